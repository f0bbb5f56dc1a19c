/*
 * api/images.c — the image endpoints: list (docker images), inspect, create (docker pull),
 * tag and delete (docker rmi), in docker's shapes. Names, lookups, tagging and removal are
 * registry/names.c's, pulling registry/pull.c's: the calls `bld images`, `inspect`, `pull`,
 * `tag` and `rmi` make. Only the summaries' shape and the daemon-side filters of the list
 * (docker's CLI sends `docker images REPO` as a reference filter) are made here.
 */
#include "api/api_int.h"
#include "registry/registry.h"
#include "runner/runner.h"

#include <fnmatch.h>

/* "repo\ttag" -> "repo:tag" (sep ':'), "repo\tdigest" -> "repo@digest" (sep '@'). */
static char *pair_name(const char *pair, char sep)
{
	size_t rn = strcspn(pair, "\t");
	return xasprintf("%.*s%c%s", (int)rn, pair, sep, pair[rn] ? pair + rn + 1 : "");
}

/* Whether "repo:tag" matches a reference filter as docker's: the pattern against the whole
 * name or its repository. */
static bool ref_match(const char *name, const char *pattern)
{
	cleanup_free char *repo = xstrndup(name, strcspn(name, "@"));
	char *colon = strrchr(repo, ':');
	if (colon && !strchr(colon, '/'))
		*colon = 0;
	return fnmatch(pattern, name, 0) == 0 || fnmatch(pattern, repo, 0) == 0;
}

/* The image's RepoTags (pairs "repo\ttag", sep ':') or RepoDigests (sep '@') after reference
 * filters, which docker's daemon applies to both (every one when there are none). */
static json_t *repo_names(char *const *pairs, char sep, char *const *refs)
{
	json_t *out = json_array();
	for (size_t i = 0; pairs && pairs[i]; i++) {
		cleanup_free char *t = pair_name(pairs[i], sep);
		bool keep = !refs;
		for (size_t k = 0; refs && refs[k] && !keep; k++)
			keep = ref_match(t, refs[k]);
		if (keep)
			json_array_append_new(out, json_string(t));
	}
	return out;
}

/* One image as GET /images/json shows it; NULL when the filters leave it out. */
static json_t *summary(const struct bld_registry_image_names *im, char *const *refs,
		       int dangling, int minor)
{
	json_t *tags = repo_names(im->tags, ':', refs);
	json_t *digests = repo_names(im->digests, '@', refs);
	bool untagged = !im->tags;
	if ((refs && json_array_size(tags) + json_array_size(digests) == 0) ||
	    (dangling >= 0 && untagged != dangling)) {
		json_decref(tags);
		json_decref(digests);
		return NULL;
	}
	/* before 1.43 docker's daemon filled a nameless image's lists with <none> */
	if (minor < 43 && untagged && json_array_size(digests) == 0) {
		json_array_append_new(tags, json_string("<none>:<none>"));
		json_array_append_new(digests, json_string("<none>@<none>"));
	}
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o, s:I}", "Id", im->id,
			      "ParentId", "", "RepoTags", tags, "RepoDigests", digests, "Created",
			      (json_int_t)im->created, "Size", (json_int_t)im->size, "SharedSize",
			      (json_int_t)-1, "Labels",
			      im->labels ? json_incref(im->labels) : json_object(),
			      "Containers", (json_int_t)-1);
	if (minor < 44)
		json_object_set_new(o, "VirtualSize", json_integer((json_int_t)im->size));
	return o;
}

json_t *bld_api_image_summary(const struct bld_registry_image_names *im, int minor)
{
	return summary(im, NULL, -1, minor);
}

/* The list's filters: reference=PATTERN (several: any) and dangling=true|false; the others
 * docker knows are refused as unsupported rather than ignored. */
static int list_filters(char *const *filters, char ***refs, int *dangling,
			struct bld_error **err)
{
	*dangling = -1;
	for (size_t i = 0; filters && filters[i]; i++) {
		const char *f = filters[i], *v = strchr(f, '=') + 1;
		if (bld_str_has_prefix(f, "reference="))
			bld_strv_push(refs, v);
		else if (bld_str_has_prefix(f, "dangling="))
			*dangling = !strcmp(v, "true") || !strcmp(v, "1");
		else
			return bld_error_set(err, BLD_E_INVALID, "invalid filter '%.*s'",
					     (int)(v - f - 1), f);
	}
	return 0;
}

int bld_api_images_list(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err)
{
	cleanup_strv char **filters = NULL, **refs = NULL;
	int dangling;
	if (bld_api_query_filters(req, &filters, err) < 0 ||
	    list_filters(filters, &refs, &dangling, err) < 0)
		return -1;
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	struct bld_registry_image_names *v = NULL;
	size_t n = 0;
	int r = bld_registry_images_list(s, &v, &n, err);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	resp->json = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = summary(&v[i], refs, dangling, req->version_minor);
		if (o)
			json_array_append_new(resp->json, o);
	}
	bld_registry_images_free(v, n);
	return 0;
}

int bld_api_image_find(struct bld_store *s, const char *name, struct bld_cache_image **img,
		       struct bld_error **err)
{
	cleanup_error struct bld_error *e = NULL;
	if (bld_registry_image_find(s, name, img, &e) == 0)
		return 0;
	if (e->code != BLD_E_NOTFOUND)
		return bld_error_set(err, e->code, "%s", e->msg);
	cleanup_free char *full = NULL;
	cleanup_free char *fam = bld_registry_full_name(name, &full, NULL) == 0
					 ? bld_registry_familiar(full)
					 : NULL;
	return bld_error_set(err, BLD_E_NOTFOUND, "No such image: %s", fam ? fam : name);
}

int bld_api_images_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	struct bld_cache_image *img = NULL;
	int r = bld_api_image_find(s, req->captures[0], &img, err);
	if (r == 0)
		resp->json = bld_registry_image_json(s, img);
	/* before 1.45 docker's daemon always had both, empty for a BuildKit-built image;
	 * docker-compose 1.29 reads ContainerConfig when it recreates a container */
	if (r == 0 && req->version_minor < 45 && !json_object_get(resp->json, "ContainerConfig")) {
		json_object_set_new(resp->json, "Container", json_string(""));
		json_object_set_new(resp->json, "ContainerConfig", bld_registry_config_json(NULL));
	}
	bld_cache_image_free(img);
	bld_cache_store_free(s);
	return r;
}

int bld_api_images_tag(struct bld_api_req *req, struct bld_api_resp *resp,
		       struct bld_error **err)
{
	const char *repo = bld_api_query(req, "repo"), *tag = bld_api_query(req, "tag");
	if (!repo || !*repo)
		return bld_error_set(err, BLD_E_INVALID, "repository name must have at least one "
				     "component");
	cleanup_free char *target = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	int r = bld_registry_image_tag(s, req->captures[0], target, err);
	bld_cache_store_free(s);
	resp->status = MHD_HTTP_CREATED;
	return r;
}

/* DELETE /images/{name}: [{"Untagged": ...}, {"Deleted": ...}], then the store's garbage
 * collected as `bld rmi` does (the layers of images containers use stay). */
int bld_api_images_delete(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	cleanup_strv char **cids = NULL, **untagged = NULL;
	cleanup_strv char **used = bld_runner_container_images(req->ctx, &cids);
	cleanup_free char *deleted = NULL;
	int r = bld_registry_image_remove(s, req->captures[0], bld_api_query_bool(req, "force"),
					  used, cids, &untagged, &deleted, err);
	struct bld_cache_gc_opts o = {.keep = used};
	if (r == 0)
		r = bld_cache_gc(s, &o, NULL, err);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	resp->json = json_array();
	for (size_t i = 0; untagged && untagged[i]; i++)
		json_array_append_new(resp->json, json_pack("{s:s}", "Untagged", untagged[i]));
	if (deleted)
		json_array_append_new(resp->json, json_pack("{s:s}", "Deleted", deleted));
	return 0;
}

/* The status lines docker's daemon streams for a pull, from what the pull did. */
static json_t *pull_lines(const char *ref, const struct bld_registry_pull_result *res)
{
	struct bld_registry_ref r;
	cleanup_error struct bld_error *e = NULL;
	cleanup_free char *repo = NULL, *fam = bld_registry_familiar(res->name);
	const char *id = "latest";
	if (bld_registry_ref_parse(&r, res->name, &e) == 0) {
		repo = xstrdup(r.path); /* docker's reference.Path: no registry domain */
		id = r.tag ? r.tag : r.digest ? r.digest : id;
	}
	json_t *out = json_array();
	json_array_append_new(out, json_pack("{s:s+, s:s}", "status", "Pulling from ",
					     repo ? repo : ref, "id", id));
	json_array_append_new(out, json_pack("{s:s+}", "status", "Digest: ", res->digest));
	json_array_append_new(out, json_pack("{s:s+}", "status",
					     res->updated ? "Status: Downloaded newer image for "
							  : "Status: Image is up to date for ",
					     fam));
	if (e == NULL)
		bld_registry_ref_dispose(&r);
	return out;
}

/* POST /images/create?fromImage=NAME&tag=TAG: docker pull, answered once it is done as the
 * JSON lines docker streams (its last line an error when the pull failed half way). */
int bld_api_images_create(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err)
{
	const char *from = bld_api_query(req, "fromImage"), *tag = bld_api_query(req, "tag");
	if (bld_api_query(req, "fromSrc"))
		return bld_api_images_import(req, resp, err);
	if (!from || !*from)
		return bld_error_set(err, BLD_E_INVALID, "fromImage or fromSrc is required");
	cleanup_free char *ref = !tag || !*tag ? xstrdup(from)
				 : xasprintf("%s%c%s", from, strchr(tag, ':') ? '@' : ':', tag);
	struct bld_registry_opts o = {.config_dir = req->ctx->config_dir, .quiet = true,
				      .platform = bld_api_query(req, "platform")};
	if (o.platform && !*o.platform)
		o.platform = NULL;
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	struct bld_registry_pull_result res;
	int r = bld_registry_pull(s, ref, &o, &res, err);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	resp->json = pull_lines(ref, &res);
	resp->json_lines = true;
	bld_registry_pull_result_dispose(&res);
	return 0;
}

/* GET /images/{name}/history: the steps newest first, as `bld history` lists them; the
 * newest carries the image's ID and names, the others "<missing>" as docker's. */
int bld_api_images_history(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	struct bld_cache_image *img = NULL;
	int r = bld_registry_image_find(s, req->captures[0], &img, err);
	cleanup_json json_t *info = r == 0 ? bld_registry_image_json(s, img) : NULL;
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	struct bld_registry_history_step *h = NULL;
	size_t n = bld_registry_image_history(img, &h);
	resp->json = json_array();
	for (size_t k = n; k-- > 0;) {
		bool top = k + 1 == n;
		json_t *tags = json_object_get(info, "RepoTags");
		json_array_append_new(
			resp->json,
			json_pack("{s:s, s:I, s:s, s:O, s:I, s:s}", "Id", top ? img->id : "<missing>",
				  "Created", (json_int_t)bld_time_parse(h[k].created), "CreatedBy",
				  h[k].created_by ? h[k].created_by : "", "Tags",
				  top && json_array_size(tags) ? tags : json_null(), "Size",
				  (json_int_t)h[k].size, "Comment", h[k].comment ? h[k].comment : ""));
	}
	free(h);
	bld_cache_image_free(img);
	return 0;
}
