/*
 * api/prune.c — POST /containers/prune, /volumes/prune, /networks/prune and /images/prune
 * (docker container, volume, network and image prune): the runner's and the registry's
 * prunes, the ones `bld ... prune` runs, answered in docker's shapes. Of the filters, label
 * ones are taken where the runner takes them (networks) and all of docker's for images
 * (dangling, label, label!, until: registry/names.c checks them, for `bld image prune` too);
 * the others are refused rather than ignored.
 */
#include "api/api_int.h"
#include "parser/parser.h"
#include "registry/registry.h"
#include "runner/runner.h"

#include <time.h>


/* The filters as "key=value" strings, refused as not supported unless every key is one of
 * keys (label: label! too). */
static int prune_filters(const struct bld_api_req *req, const char *const *keys, char ***out,
			 struct bld_error **err)
{
	if (bld_api_query_filters(req, out, err) < 0)
		return -1;
	for (size_t i = 0; *out && (*out)[i]; i++) {
		size_t k = 0, n = strcspn((*out)[i], "!=");
		while (keys[k] && (strlen(keys[k]) != n || strncmp(keys[k], (*out)[i], n) != 0))
			k++;
		if (!keys[k])
			return bld_error_set(err, BLD_E_UNSUPPORTED, "filter %.*s is not supported",
					     (int)n, (*out)[i]);
	}
	return 0;
}

/* {what: [names] or null, "SpaceReclaimed": bytes (unless bytes < 0)} */
static json_t *pruned(const char *what, char *const *names, int64_t bytes)
{
	json_t *o = json_pack("{s:o}", what, names ? bld_json_strv(names) : json_null());
	if (bytes >= 0)
		json_object_set_new(o, "SpaceReclaimed", json_integer(bytes));
	return o;
}

int bld_api_containers_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err)
{
	static const char *const keys[] = {NULL};
	cleanup_strv char **filters = NULL, **ids = NULL;
	int64_t bytes = 0;
	if (prune_filters(req, keys, &filters, err) < 0 ||
	    bld_runner_container_prune(req->ctx, &ids, &bytes, err) < 0)
		return -1;
	resp->json = pruned("ContainersDeleted", ids, bytes);
	return 0;
}

int bld_api_volumes_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err)
{
	static const char *const keys[] = {"all", NULL};
	cleanup_strv char **filters = NULL, **names = NULL;
	int64_t bytes = 0;
	if (prune_filters(req, keys, &filters, err) < 0)
		return -1;
	/* before 1.42 docker pruned every unused volume; since, anonymous ones unless all */
	bool all = req->version_minor < 42;
	for (size_t i = 0; filters && filters[i]; i++)
		all = all || !strcmp(filters[i], "all=true") || !strcmp(filters[i], "all=1");
	if (bld_runner_volume_prune(req->ctx, all, &names, &bytes, err) < 0)
		return -1;
	resp->json = pruned("VolumesDeleted", names, bytes);
	return 0;
}

int bld_api_networks_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err)
{
	static const char *const keys[] = {"label", NULL};
	cleanup_strv char **filters = NULL, **names = NULL;
	if (prune_filters(req, keys, &filters, err) < 0 ||
	    bld_runner_network_prune(req->ctx, 0, filters, &names, err) < 0)
		return -1;
	resp->json = pruned("NetworksDeleted", names, -1);
	return 0;
}

/* One image the prune removed, as docker's ImagesDeleted entries. */
static void image_pruned(void *arg, char *const *untagged, const char *deleted)
{
	json_t *list = arg;
	for (size_t i = 0; untagged && untagged[i]; i++)
		json_array_append_new(list, json_pack("{s:s}", "Untagged", untagged[i]));
	if (deleted)
		json_array_append_new(list, json_pack("{s:s}", "Deleted", deleted));
}

int bld_api_images_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			 struct bld_error **err)
{
	cleanup_strv char **filters = NULL;
	int64_t ns = 0;
	const char *until = NULL;
	bool all = false;
	if (bld_api_query_filters(req, &filters, err) < 0 ||
	    bld_registry_image_prune_filters(filters, &all, &until, err) < 0 ||
	    (until && bld_parser_until(until, (int64_t)time(NULL), &ns, err) < 0))
		return -1;
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	cleanup_strv char **used = bld_runner_container_images(req->ctx, NULL);
	cleanup_json json_t *list = json_array();
	struct bld_cache_gc_stats st = {0};
	struct bld_cache_gc_opts o = {.keep = used};
	int r = bld_registry_image_prune(s, all, used, filters, until ? &ns : NULL, image_pruned,
					 list, err);
	if (r == 0)
		r = bld_cache_gc(s, &o, &st, err);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	resp->json = json_pack("{s:O, s:I}", "ImagesDeleted",
			       json_array_size(list) ? list : json_null(), "SpaceReclaimed",
			       (json_int_t)(st.blob_bytes + st.layer_bytes + st.partial_bytes));
	return 0;
}
