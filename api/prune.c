/*
 * api/prune.c — POST /containers/prune, /volumes/prune and /networks/prune (docker container,
 * volume and network prune): the runner's prunes, the ones `bld ... prune` runs, answered in
 * docker's shapes. Of the filters, label ones are taken where the runner takes them
 * (networks); the others are refused rather than ignored.
 */
#include "api/api_int.h"
#include "runner/runner.h"

/* The filters as "key=value" strings, refused unless every key is one of keys. */
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
