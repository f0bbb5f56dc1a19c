/*
 * api/imgio.c — images in and out of the store through the API: GET /images/get and
 * /images/{name}/get (docker save: a docker archive streamed), POST /images/load (docker
 * load: the archive read, its images named, docker's "Loaded image" messages), POST
 * /images/create?fromSrc=- or =URL (docker import: the body, or the tar the URL serves, a root file system tar made a
 * one-layer image, with docker's changes and message), POST
 * /images/{name}/push (docker push, with the client's X-Registry-Auth credentials and its
 * progress as docker's JSON messages), and POST /auth (docker login: the credentials checked
 * against the registry, kept by the client, not here). The work is cache/'s and registry/'s,
 * the calls `bld save`, `bld load`, `bld push` and `bld login` make.
 */
#include "api/api_int.h"
#include "builder/builder.h"
#include "registry/registry.h"

#include <errno.h>
#include <sodium.h>
#include <time.h>

/* X-Registry-Auth is base64url JSON; a small document ("e30=" is "{}"). */
#define REGISTRY_AUTH_MAX 16384

/* ------------------------------------------------------------------ save */

struct save_job {
	struct bld_store *s;
	struct bld_cache_image **imgs;
	struct bld_cache_save_item *items;
	char ***tags;
	size_t n;
};

static void save_job_free(void *arg)
{
	struct save_job *j = arg;
	for (size_t i = 0; i < j->n; i++) {
		bld_cache_image_free(j->imgs[i]);
		bld_strv_free(j->tags[i]);
	}
	free(j->imgs);
	free(j->items);
	free(j->tags);
	bld_cache_store_free(j->s);
	free(j);
}

static void save_writer(int wfd, void *arg)
{
	struct save_job *j = arg;
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_save(j->s, j->items, j->n, wfd, &e) < 0) {
		bld_log(BLD_LOG_DEBUG, "save: %s", e->msg);
		return;
	}
	for (size_t i = 0; i < j->n; i++)
		bld_cache_image_event(j->s, "save", j->imgs[i]->id, j->imgs[i]->id);
}

/* Finds every image names has (the save's items, as `bld save` makes them). */
static int save_find(struct save_job *j, char *const *names, struct bld_error **err)
{
	j->n = bld_strv_len((char **)names);
	j->imgs = xcalloc(j->n, sizeof(*j->imgs));
	j->items = xcalloc(j->n, sizeof(*j->items));
	j->tags = xcalloc(j->n, sizeof(*j->tags));
	for (size_t i = 0; i < j->n; i++) {
		if (bld_registry_image_find(j->s, names[i], &j->imgs[i], err) < 0)
			return -1;
		cleanup_free char *t = bld_registry_save_tag(j->imgs[i], names[i]);
		if (t)
			bld_strv_push(&j->tags[i], t);
		j->items[i].img = j->imgs[i];
		j->items[i].repo_tags = j->tags[i];
	}
	return 0;
}

int bld_api_images_get(struct bld_api_req *req, struct bld_api_resp *resp,
		       struct bld_error **err)
{
	cleanup_strv char **names = NULL;
	if (req->captures[0])
		bld_strv_push(&names, req->captures[0]);
	else
		names = bld_api_query_all(req, "names");
	if (!names)
		return bld_error_set(err, BLD_E_INVALID, "no image names given");
	struct save_job *j = xcalloc(1, sizeof(*j));
	if (bld_cache_store_open(&j->s, req->ctx->root, err) < 0 || save_find(j, names, err) < 0) {
		save_job_free(j);
		return -1;
	}
	if (bld_api_stream(resp, save_writer, j, save_job_free, err) < 0)
		return -1;
	MHD_add_response_header(resp->raw, "Content-Type", "application/x-tar");
	return 0;
}

/* ------------------------------------------------------------------ load */

/* A JSON message docker's CLI prints as a line. */
static json_t *stream_line(const char *text)
{
	cleanup_free char *line = xasprintf("%s\n", text);
	return json_pack("{s:s}", "stream", line);
}

int bld_api_images_load(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err)
{
	cleanup_close int fd = bld_api_body_file(req, err);
	if (fd < 0)
		return -1;
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	struct bld_cache_loaded *v = NULL;
	size_t n = 0;
	cleanup_strv char **lines = NULL;
	int r = bld_cache_load(s, fd, &v, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = bld_registry_load_name(s, &v[i], &lines, err);
	bld_cache_loaded_free(v, n);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	resp->json = json_array();
	for (size_t i = 0; lines && lines[i]; i++)
		json_array_append_new(resp->json, stream_line(lines[i]));
	resp->json_lines = true;
	return 0;
}

/* ------------------------------------------------------------------ import */

/* The config docker's import gives an image: its changes applied, created now, the
 * message (or "Imported from SRC") as comment and history; NULL with *err set. */
static json_t *import_config(const struct bld_api_req *req, const char *src,
			     struct bld_error **err)
{
	char now[40];
	bld_api_time(now, (double)time(NULL));
	const char *msg = bld_api_query(req, "message");
	cleanup_free char *comment = msg && *msg ? xstrdup(msg) : xasprintf("Imported from %s", src);
	json_t *cfg = json_pack("{s:s, s:s, s:s, s:s, s:{}, s:[{s:s, s:s}]}", "architecture",
				"amd64", "os", "linux", "created", now, "comment", comment,
				"config", "history", "created", now, "comment", comment);
	cleanup_strv char **changes = bld_api_query_all(req, "changes");
	if (bld_builder_config_changes(cfg, changes, err) < 0) {
		json_decref(cfg);
		return NULL;
	}
	return cfg;
}

/* The name repo and tag give ("" when none: an unnamed image), fully qualified. */
static int import_name(const struct bld_api_req *req, char **out, struct bld_error **err)
{
	const char *repo = bld_api_query(req, "repo"), *tag = bld_api_query(req, "tag");
	*out = NULL;
	if (!repo || !*repo)
		return 0;
	cleanup_free char *ref = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
	return bld_registry_full_name(ref, out, err);
}

/* The tar: the body (fromSrc=-), or what the URL fromSrc names serves (docker import URL;
 * without a scheme, http:// as dockerd's), downloaded into an unnamed file of the store. */
static int import_source(struct bld_api_req *req, const char *src, struct bld_error **err)
{
	if (strcmp(src, "-") == 0)
		return bld_api_body_file(req, err);
	cleanup_free char *url = strstr(src, "://") ? xstrdup(src) : xasprintf("http://%s", src);
	return bld_registry_fetch_url_tmp(req->ctx->root, url, BLD_REGISTRY_IMPORT_MAX, err);
}

int bld_api_images_import(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err)
{
	const char *src = bld_api_query(req, "fromSrc");
	cleanup_free char *name = NULL;
	cleanup_json json_t *cfg = import_config(req, src, err);
	if (!cfg || import_name(req, &name, err) < 0)
		return -1;
	cleanup_close int fd = import_source(req, src, err);
	struct bld_store *s = NULL;
	if (fd < 0 || bld_cache_store_open(&s, req->ctx->root, err) < 0)
		return -1;
	struct bld_cache_layer l;
	char id[BLD_DIGEST_STR_LEN];
	int r = bld_cache_layer_from_tar(s, fd, &l, err);
	if (r == 0)
		r = bld_cache_image_write(s, cfg, &l, 1, name, NULL, id, err);
	if (r == 0)
		bld_cache_image_event(s, "import", id, id);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	resp->json = json_pack("[{s:s}]", "status", id);
	resp->json_lines = true;
	return 0;
}

/* ------------------------------------------------------------------ auth, push */

/* The X-Registry-Auth header's credentials (*user, *secret: caller frees; both NULL when
 * the header is absent or empty); BLD_E_INVALID when it is no base64url JSON. */
static int registry_auth(const struct bld_api_req *req, char **user, char **secret,
			 struct bld_error **err)
{
	*user = *secret = NULL;
	const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Registry-Auth");
	if (!h || !*h)
		return 0;
	size_t hn = strlen(h), got = 0;
	if (hn > REGISTRY_AUTH_MAX)
		return bld_error_set(err, BLD_E_INVALID, "X-Registry-Auth too large");
	cleanup_free unsigned char *bin = xmalloc(hn + 1);
	const char *end = NULL;
	/* docker's CLI sends base64url with padding; some clients send the standard alphabet */
	if (sodium_base642bin(bin, hn, h, hn, NULL, &got, &end, sodium_base64_VARIANT_URLSAFE) != 0 &&
	    sodium_base642bin(bin, hn, h, hn, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid X-Registry-Auth header");
	cleanup_json json_t *o = json_loadb((const char *)bin, got, 0, NULL);
	if (!json_is_object(o))
		return bld_error_set(err, BLD_E_INVALID, "invalid X-Registry-Auth header");
	const char *u = bld_json_get_str(o, "username"), *p = bld_json_get_str(o, "password");
	if (u && *u && p) {
		*user = xstrdup(u);
		*secret = xstrdup(p);
	}
	return 0;
}

int bld_api_auth(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err)
{
	cleanup_json json_t *b = NULL;
	if (bld_api_body_json(req, &b, err) < 0)
		return -1;
	struct bld_registry_opts o = {.config_dir = req->ctx->config_dir, .quiet = true};
	if (bld_registry_login_check(bld_json_get_str(b, "serveraddress"),
				     bld_json_get_str(b, "username"), bld_json_get_str(b, "password"),
				     &o, err) < 0) {
		if ((*err)->code == BLD_E_AUTH || (*err)->code == BLD_E_INVALID)
			(*err)->code = BLD_E_AUTH;
		return -1;
	}
	resp->json = json_pack("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", "");
	return 0;
}

static void push_line(const char *id, const char *status, void *payload)
{
	json_t *lines = payload;
	json_t *m = json_pack("{s:s, s:{}}", "status", status, "progressDetail");
	if (id)
		json_object_set_new(m, "id", json_string(id));
	json_array_append_new(lines, m);
}

/* POST /images/{name}/push?tag=TAG: answered once it is done, as the JSON messages docker
 * streams; a failure after the first message is the last one, as docker's. */
int bld_api_images_push(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err)
{
	const char *tag = bld_api_query(req, "tag");
	cleanup_free char *user = NULL, *secret = NULL;
	if (registry_auth(req, &user, &secret, err) < 0)
		return -1;
	cleanup_free char *ref = tag && *tag ? xasprintf("%s:%s", req->captures[0], tag)
					      : xstrdup(req->captures[0]);
	json_t *lines = json_array();
	struct bld_registry_opts o = {.config_dir = req->ctx->config_dir, .user = user,
				      .secret = secret, .progress_fn = push_line,
				      .progress_payload = lines};
	struct bld_store *s = NULL;
	char digest[BLD_DIGEST_STR_LEN];
	int r = bld_cache_store_open(&s, req->ctx->root, err);
	if (r == 0)
		r = bld_registry_push(s, ref, &o, digest, err);
	bld_cache_store_free(s);
	if (r < 0 && json_array_size(lines) == 0) {
		json_decref(lines);
		return -1;
	}
	if (r < 0) {
		json_array_append_new(lines, json_pack("{s:{s:s}, s:s}", "errorDetail", "message",
						       (*err)->msg, "error", (*err)->msg));
		bld_error_free(*err);
		*err = NULL;
	}
	resp->json = lines;
	resp->json_lines = true;
	return 0;
}
