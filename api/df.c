/*
 * api/df.c — GET /system/df (docker system df): the store's images with the sizes docker
 * reports (cache/imgsize.c: every layer once, the part other images share, those containers
 * use), the containers with what they wrote, the volumes with their size and how many
 * containers mount them. The objects are the list endpoints' (images.c, containers.c) with
 * docker's usage fields added. BuildCache is empty: the classic builder's cache is none of
 * docker's BuildKit records.
 */
#include "api/api_int.h"
#include "registry/registry.h"
#include "runner/runner.h"

#include <fcntl.h>

static size_t strv_count(char *const *v, const char *s)
{
	size_t k = 0;
	for (size_t i = 0; v && v[i]; i++)
		k += strcmp(v[i], s) == 0;
	return k;
}

/* Images, with *layers_size (docker's LayersSize). */
static int df_images(struct bld_api_req *req, char *const *used, json_t **out,
		     int64_t *layers_size, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	struct bld_registry_image_names *v = NULL;
	struct bld_cache_image_df *d = NULL;
	size_t n = 0, nd = 0;
	int r = bld_registry_images_list(s, &v, &n, err);
	if (r == 0)
		bld_cache_images_df(s, used, &d, &nd, layers_size);
	bld_cache_store_free(s);
	*out = json_array();
	for (size_t i = 0; r == 0 && i < n; i++) {
		json_t *o = bld_api_image_summary(&v[i], req->version_minor);
		for (size_t k = 0; k < nd; k++) {
			if (strcmp(d[k].id, v[i].id) != 0)
				continue;
			json_object_set_new(o, "Size", json_integer(d[k].size));
			json_object_set_new(o, "SharedSize", json_integer(d[k].shared));
			if (req->version_minor < 44)
				json_object_set_new(o, "VirtualSize", json_integer(d[k].size));
		}
		json_object_set_new(o, "Containers",
				    json_integer((json_int_t)strv_count(used, v[i].id)));
		json_array_append_new(*out, o);
	}
	bld_registry_images_free(v, n);
	free(d);
	return r;
}

static int df_containers(struct bld_api_req *req, json_t **out, struct bld_error **err)
{
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	if (bld_runner_container_list(req->ctx, &v, &n, err) < 0)
		return -1;
	*out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = bld_api_container_summary(&v[i]);
		json_object_set_new(o, "SizeRw",
				    json_integer(bld_runner_container_size_rw(req->ctx, v[i].id)));
		json_object_set_new(o, "SizeRootFs", json_integer(0));
		json_array_append_new(*out, o);
	}
	bld_runner_container_info_free(v, n);
	return 0;
}

/* How many of the containers (their summaries) mount the volume name. */
static json_int_t volume_refs(const json_t *containers, const char *name)
{
	json_int_t k = 0;
	size_t i, j;
	json_t *c, *m;
	json_array_foreach(containers, i, c) {
		json_array_foreach(json_object_get(c, "Mounts"), j, m) {
			const char *type = bld_json_get_str(m, "Type"), *n = bld_json_get_str(m, "Name");
			if (type && n && !strcmp(type, "volume") && !strcmp(n, name)) {
				k++;
				break;
			}
		}
	}
	return k;
}

static int df_volumes(struct bld_api_req *req, const json_t *containers, json_t **out,
		      struct bld_error **err)
{
	cleanup_strv char **names = NULL;
	if (bld_runner_volume_list(req->ctx, &names, err) < 0)
		return -1;
	*out = json_array();
	for (size_t i = 0; names && names[i]; i++) {
		json_t *v = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_volume_inspect(req->ctx, names[i], &v, &e) < 0)
			continue; /* removed meanwhile */
		const char *mp = bld_json_get_str(v, "Mountpoint");
		json_object_set_new(v, "UsageData",
				    json_pack("{s:I, s:I}", "Size",
					      (json_int_t)(mp ? bld_cache_du(AT_FDCWD, mp) : 0),
					      "RefCount", volume_refs(containers, names[i])));
		json_array_append_new(*out, v);
	}
	return 0;
}

int bld_api_system_df(struct bld_api_req *req, struct bld_api_resp *resp,
		      struct bld_error **err)
{
	cleanup_strv char **used = bld_runner_container_images(req->ctx, NULL);
	cleanup_json json_t *images = NULL, *containers = NULL, *volumes = NULL;
	int64_t layers = 0;
	if (df_images(req, used, &images, &layers, err) < 0 ||
	    df_containers(req, &containers, err) < 0 ||
	    df_volumes(req, containers, &volumes, err) < 0)
		return -1;
	resp->json = json_pack("{s:I, s:O, s:O, s:O, s:[]}", "LayersSize", (json_int_t)layers,
			       "Images", images, "Containers", containers, "Volumes", volumes,
			       "BuildCache");
	return 0;
}
