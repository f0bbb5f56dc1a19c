/*
 * registry/manifest.c — manifests and single blobs over the distribution API: GET (with
 * every media type bld reads in Accept, digest-verified), PUT, DELETE, blob HEAD and small
 * blob GETs, and the error wording for unknown names, missing tags and refused access.
 *
 * It does not interpret manifests (pull.c does) and does not move large blobs (fetch.c,
 * upload.c).
 */
#include "registry/registry_int.h"

#include <jansson.h>

void bld_registry_manifest_dispose(struct bld_registry_manifest *m)
{
	free(m->data);
	free(m->media_type);
	memset(m, 0, sizeof(*m));
}

/* The media type from Content-Type, or from the document when the server is vague. */
static char *media_type_of(const char *content_type, const char *data, size_t len)
{
	if (content_type) {
		size_t n = strcspn(content_type, "; ");
		if (n && strncmp(content_type, "application/json", n) != 0 &&
		    strncmp(content_type, "text/plain", n) != 0)
			return xstrndup(content_type, n);
	}
	json_t *v = NULL;
	char *mt = NULL;
	if (bld_json_load_buf(&v, data, len, NULL) == 0) {
		const char *s = bld_json_get_str(v, "mediaType");
		if (s)
			mt = xstrdup(s);
		else
			mt = xstrdup(json_object_get(v, "manifests") ? BLD_MT_OCI_INDEX
								     : BLD_MT_OCI_MANIFEST);
		json_decref(v);
	}
	return mt ? mt : xstrdup(BLD_MT_OCI_MANIFEST);
}

/* The error for a refused or failed manifest request. */
static int manifest_error(struct bld_registry_client *c, const char *repo, const char *ref,
			  const struct reg_resp *resp, struct bld_error **err)
{
	cleanup_free char *code = reg_error_code(resp);
	const char *sep = bld_str_has_prefix(ref, "sha256:") ? "@" : ":";
	if (resp->status == 404 && code && strcmp(code, "NAME_UNKNOWN") == 0)
		return reg_status_error(resp, BLD_E_NOTFOUND, err, "repository %s/%s not found",
					c->domain, repo);
	if (resp->status == 404)
		return reg_status_error(resp, BLD_E_NOTFOUND, err, "manifest for %s/%s%s%s not found",
					c->domain, repo, sep, ref);
	if ((resp->status == 401 || resp->status == 403) && !c->have_creds)
		return bld_error_set(err, BLD_E_AUTH,
				     "access denied for %s/%s, repository does not exist or may "
				     "require 'bld login'",
				     c->domain, repo);
	if (resp->status == 401 && c->auth == REG_AUTH_BASIC)
		return bld_error_set(err, BLD_E_AUTH,
				     "%s/%s: unauthorized: incorrect username or password",
				     c->domain, repo);
	if (resp->status == 401 || resp->status == 403)
		return reg_status_error(resp, BLD_E_AUTH, err, "access denied for %s/%s",
					c->domain, repo);
	return reg_status_error(resp, BLD_E_NETWORK, err, "manifest %s/%s%s%s", c->domain, repo,
				sep, ref);
}

int bld_registry_manifest_get(struct bld_registry_client *c, const char *repo,
			      const char *ref, struct bld_registry_manifest *out,
			      struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	if (reg_client_ping(c, err) < 0)
		return -1;
	cleanup_free char *scope = reg_scope(repo, "pull");
	cleanup_free char *what = xasprintf("manifests/%s", ref);
	struct reg_req req;
	reg_req_init(&req, "GET", reg_url(c, repo, what), scope);
	req.headers = curl_slist_append(req.headers, "Accept: " REG_ACCEPT_MANIFESTS);
	req.body_max = REG_MANIFEST_MAX;
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status != 200)
		r = manifest_error(c, repo, ref, &resp, err);
	if (r == 0) {
		bld_sha256_digest(resp.body.data ? resp.body.data : "", resp.body.len, out->digest);
		if (bld_str_has_prefix(ref, "sha256:") && strcmp(ref, out->digest) != 0)
			r = bld_error_set(err, BLD_E_DIGEST,
					  "manifest %s/%s@%s: digest mismatch: got %s", c->domain,
					  repo, ref, out->digest);
		else if (resp.docker_digest && bld_str_has_prefix(resp.docker_digest, "sha256:") &&
			 strcmp(resp.docker_digest, out->digest) != 0)
			r = bld_error_set(err, BLD_E_DIGEST,
					  "manifest %s/%s:%s: digest mismatch: registry says %s, "
					  "got %s",
					  c->domain, repo, ref, resp.docker_digest, out->digest);
	}
	if (r == 0) {
		out->media_type = media_type_of(resp.content_type, bld_buf_str(&resp.body),
						resp.body.len);
		out->len = resp.body.len;
		out->data = bld_buf_detach(&resp.body);
	}
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

int bld_registry_manifest_put(struct bld_registry_client *c, const char *repo,
			      const char *ref, const void *data, size_t n,
			      const char *media_type, char out[BLD_DIGEST_STR_LEN],
			      struct bld_error **err)
{
	if (reg_client_ping(c, err) < 0)
		return -1;
	cleanup_free char *scope = reg_scope(repo, "pull,push");
	cleanup_free char *what = xasprintf("manifests/%s", ref);
	cleanup_free char *ct = xasprintf("Content-Type: %s", media_type);
	struct reg_req req;
	reg_req_init(&req, "PUT", reg_url(c, repo, what), scope);
	req.headers = curl_slist_append(req.headers, ct);
	req.body = data;
	req.body_len = n;
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status != 201 && resp.status != 200)
		r = reg_status_error(&resp, BLD_E_NETWORK, err, "put manifest %s/%s:%s", c->domain,
				     repo, ref);
	char mine[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(data, n, mine);
	if (r == 0 && resp.docker_digest && strcmp(resp.docker_digest, mine) != 0) {
		cleanup_free char *theirs = bld_str_printable(resp.docker_digest, 128);
		r = bld_error_set(err, BLD_E_DIGEST, "registry stored manifest as %s, expected %s",
				  theirs, mine);
	}
	if (r == 0 && out)
		memcpy(out, mine, sizeof(mine));
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

int bld_registry_manifest_delete(struct bld_registry_client *c, const char *repo,
				 const char *digest, struct bld_error **err)
{
	if (reg_client_ping(c, err) < 0)
		return -1;
	cleanup_free char *scope = reg_scope(repo, "delete");
	cleanup_free char *what = xasprintf("manifests/%s", digest);
	struct reg_req req;
	reg_req_init(&req, "DELETE", reg_url(c, repo, what), scope);
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status != 202 && resp.status != 200)
		r = manifest_error(c, repo, digest, &resp, err);
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

int reg_blob_head(struct bld_registry_client *c, const char *repo, const char *digest,
		  const char *scope, int64_t *size, struct bld_error **err)
{
	if (reg_client_ping(c, err) < 0)
		return -1;
	cleanup_free char *what = xasprintf("blobs/%s", digest);
	struct reg_req req;
	reg_req_init(&req, "HEAD", reg_url(c, repo, what), scope);
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status == 200) {
		r = 1;
		if (size)
			*size = resp.content_length;
	} else if (r == 0 && resp.status != 404) {
		r = reg_status_error(&resp, BLD_E_NETWORK, err, "blob %s in %s/%s", digest,
				     c->domain, repo);
	}
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

int bld_registry_blob_exists(struct bld_registry_client *c, const char *repo,
			     const char *digest, int64_t *size, struct bld_error **err)
{
	cleanup_free char *scope = reg_scope(repo, "pull");
	return reg_blob_head(c, repo, digest, scope, size, err);
}

int bld_registry_blob_get(struct bld_registry_client *c, const char *repo, const char *digest,
			  size_t max, char **out, size_t *len, struct bld_error **err)
{
	if (reg_client_ping(c, err) < 0)
		return -1;
	cleanup_free char *scope = reg_scope(repo, "pull");
	cleanup_free char *what = xasprintf("blobs/%s", digest);
	struct reg_req req;
	reg_req_init(&req, "GET", reg_url(c, repo, what), scope);
	req.body_max = max;
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status != 200)
		r = reg_status_error(&resp, BLD_E_NETWORK, err, "blob %s in %s/%s", digest,
				     c->domain, repo);
	char got[BLD_DIGEST_STR_LEN];
	if (r == 0) {
		bld_sha256_digest(bld_buf_str(&resp.body), resp.body.len, got);
		if (strcmp(got, digest) != 0)
			r = bld_error_set(err, BLD_E_DIGEST, "blob %s: digest mismatch: got %s",
					  digest, got);
	}
	if (r == 0) {
		*len = resp.body.len;
		*out = bld_buf_detach(&resp.body);
	}
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

/* ------------------------------------------------------------------ tags */

#define TAGS_PAGES_MAX 1000

/* The next page's path from a Link header ("</v2/x/tags/list?n=100&last=a>; rel=\"next\""). */
static char *next_page(struct bld_registry_client *c, const char *link)
{
	const char *lt = link ? strchr(link, '<') : NULL;
	const char *gt = lt ? strchr(lt, '>') : NULL;
	if (!gt || !strstr(gt, "next"))
		return NULL;
	cleanup_free char *target = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	if (bld_str_has_prefix(target, "http://") || bld_str_has_prefix(target, "https://"))
		return steal_pointer(&target);
	return xasprintf("%s%s", c->base, target);
}

static int tags_page(struct bld_registry_client *c, const char *scope, char **url,
		     char ***tags, struct bld_error **err)
{
	struct reg_req req;
	reg_req_init(&req, "GET", *url, scope);
	*url = NULL;
	req.body_max = REG_MANIFEST_MAX;
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status != 200)
		r = reg_status_error(&resp, BLD_E_NETWORK, err, "tags of %s", req.url);
	json_t *v = NULL;
	if (r == 0 && bld_json_load_buf(&v, resp.body.data, resp.body.len, err) < 0)
		r = -1;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(v, "tags"), i, t)
		if (json_is_string(t))
			bld_strv_push(tags, json_string_value(t));
	json_decref(v);
	if (r == 0)
		*url = next_page(c, resp.link);
	/* the next page stays with this registry: its credentials must not go elsewhere */
	size_t nb = strlen(c->base);
	if (*url && (strncmp(*url, c->base, nb) != 0 || (*url)[nb] != '/')) {
		cleanup_free char *shown = bld_str_printable(*url, 200);
		r = bld_error_set(err, BLD_E_NETWORK, "tags of %s: the next page is on another host: %s",
				  req.url, shown);
		free(*url);
		*url = NULL;
	}
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

int bld_registry_tags_list(struct bld_registry_client *c, const char *repo, char ***tags,
			   struct bld_error **err)
{
	*tags = NULL;
	if (reg_client_ping(c, err) < 0)
		return -1;
	cleanup_free char *scope = reg_scope(repo, "pull");
	char *url = reg_url(c, repo, "tags/list");
	int r = 0;
	for (int page = 0; r == 0 && url && page < TAGS_PAGES_MAX; page++)
		r = tags_page(c, scope, &url, tags, err);
	free(url);
	if (r < 0) {
		bld_strv_free(*tags);
		*tags = NULL;
	}
	return r;
}
