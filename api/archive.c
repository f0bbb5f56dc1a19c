/*
 * api/archive.c — a container's files through the API, as `docker cp`, `docker export` and
 * `docker diff` reach them: HEAD and GET /containers/{id}/archive (a path's stat in the
 * X-Docker-Container-Path-Stat header, the path as a tar), PUT (a tar extracted into a
 * directory), GET .../export and GET .../changes. The copies are the runner's (`bld cp`,
 * `bld export`, `bld diff`), confined to the container's root there; this file only turns
 * their results into docker's shapes (the stat as Go's os.FileMode, the changes' kinds).
 *
 * A tar sent with PUT is read into memory first, like every request body (BLD_API_BODY_MAX).
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <errno.h>
#include <sodium.h>
#include <sys/stat.h>

/* Go's os.FileMode bits for st_mode's type and special bits (docker's stat is Go's). */
static uint32_t go_mode(mode_t m)
{
	uint32_t g = m & 0777;
	if (S_ISDIR(m))
		g |= 1U << 31;
	else if (S_ISLNK(m))
		g |= 1U << 27;
	else if (S_ISBLK(m))
		g |= 1U << 26;
	else if (S_ISFIFO(m))
		g |= 1U << 25;
	else if (S_ISSOCK(m))
		g |= 1U << 24;
	else if (S_ISCHR(m))
		g |= (1U << 26) | (1U << 21);
	if (m & S_ISUID)
		g |= 1U << 23;
	if (m & S_ISGID)
		g |= 1U << 22;
	if (m & S_ISVTX)
		g |= 1U << 20;
	return g;
}

/* The container (full ID) and the path query of an archive request; BLD_E_INVALID
 * without a path, as docker's. */
static int archive_args(struct bld_api_req *req, char **id, const char **path,
			struct bld_error **err)
{
	if (bld_api_container_find(req, id, NULL, err) < 0)
		return -1;
	*path = bld_api_query(req, "path");
	if (!*path || !**path)
		return bld_error_set(err, BLD_E_INVALID, "path cannot be empty");
	return 0;
}

/* Go's filepath.Base of path made absolute ("/" for the root); caller frees. */
static char *base_name(const char *path)
{
	cleanup_free char *abs = xasprintf("/%s", path);
	cleanup_free char *clean = bld_path_clean(abs);
	const char *slash = strrchr(clean, '/');
	return xstrdup(slash && slash[1] ? slash + 1 : "/");
}

/* The X-Docker-Container-Path-Stat header of path in the container id, on r. */
static int stat_header(struct bld_api_req *req, const char *id, const char *path,
		       struct MHD_Response *r, struct bld_error **err)
{
	struct stat st;
	cleanup_free char *link = NULL;
	if (bld_runner_cp_stat(req->ctx, id, path, &st, &link, err) < 0)
		return -1;
	char mtime[40];
	bld_api_time(mtime, (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9);
	cleanup_free char *base = base_name(path);
	cleanup_json json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", base, "size",
					   (json_int_t)st.st_size, "mode",
					   (json_int_t)go_mode(st.st_mode), "mtime", mtime,
					   "linkTarget", link ? link : "");
	cleanup_free char *text = json_dumps(o, JSON_COMPACT);
	size_t n = sodium_base64_ENCODED_LEN(strlen(text), sodium_base64_VARIANT_ORIGINAL);
	cleanup_free char *b64 = xmalloc(n);
	sodium_bin2base64(b64, n, (const unsigned char *)text, strlen(text),
			  sodium_base64_VARIANT_ORIGINAL);
	MHD_add_response_header(r, "X-Docker-Container-Path-Stat", b64);
	return 0;
}

int bld_api_archive_head(struct bld_api_req *req, struct bld_api_resp *resp,
			 struct bld_error **err)
{
	cleanup_free char *id = NULL;
	const char *path = NULL;
	if (archive_args(req, &id, &path, err) < 0)
		return -1;
	resp->raw = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
	if (stat_header(req, id, path, resp->raw, err) < 0) {
		MHD_destroy_response(resp->raw);
		resp->raw = NULL;
		return -1;
	}
	return 0;
}

struct tar_job {
	struct bld_ctx *ctx;
	char id[65];
	char *path; /* NULL: the whole root file system (export) */
};

static void tar_job_free(void *arg)
{
	struct tar_job *j = arg;
	free(j->path);
	free(j);
}

static void tar_writer(int wfd, void *arg)
{
	struct tar_job *j = arg;
	cleanup_error struct bld_error *e = NULL;
	struct bld_runner_cp_opts o = {.container = j->id, .ctr_path = j->path, .fd = wfd};
	int64_t bytes = 0;
	int r = j->path ? bld_runner_cp_from(j->ctx, &o, &bytes, &e)
			: bld_runner_export(j->ctx, j->id, wfd, &e);
	if (r < 0)
		bld_log(BLD_LOG_DEBUG, "archive %s: %s", j->id, e->msg);
}

/* A tar of the container id's path (NULL: its root file system) streamed as resp. */
static int tar_stream(struct bld_api_req *req, struct bld_api_resp *resp, const char *id,
		      const char *path, struct bld_error **err)
{
	struct tar_job *j = xcalloc(1, sizeof(*j));
	j->ctx = req->ctx;
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->path = path ? xstrdup(path) : NULL;
	if (bld_api_stream(resp, tar_writer, j, tar_job_free, err) < 0)
		return -1;
	MHD_add_response_header(resp->raw, "Content-Type", "application/x-tar");
	return 0;
}

int bld_api_archive_get(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err)
{
	cleanup_free char *id = NULL;
	const char *path = NULL;
	if (archive_args(req, &id, &path, err) < 0 || tar_stream(req, resp, id, path, err) < 0)
		return -1;
	/* the stat after the stream exists: a missing path is still answered 404 */
	if (stat_header(req, id, path, resp->raw, err) < 0) {
		MHD_destroy_response(resp->raw);
		resp->raw = NULL;
		return -1;
	}
	return 0;
}

int bld_api_archive_put(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err)
{
	cleanup_free char *id = NULL;
	const char *path = NULL;
	if (archive_args(req, &id, &path, err) < 0)
		return -1;
	cleanup_close int fd = bld_api_body_file(req, err);
	if (fd < 0)
		return -1;
	struct bld_runner_cp_opts o = {.container = id, .ctr_path = path, .fd = fd,
				       .archive = bld_api_query_bool(req, "copyUIDGID")};
	int64_t bytes = 0;
	resp->status = MHD_HTTP_OK;
	return bld_runner_cp_to(req->ctx, &o, &bytes, err);
}

int bld_api_containers_export(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (bld_api_container_find(req, &id, NULL, err) < 0)
		return -1;
	return tar_stream(req, resp, id, NULL, err);
}

int bld_api_containers_changes(struct bld_api_req *req, struct bld_api_resp *resp,
			       struct bld_error **err)
{
	cleanup_free char *id = NULL;
	struct bld_runner_change *v = NULL;
	size_t n = 0;
	if (bld_api_container_find(req, &id, NULL, err) < 0 ||
	    bld_runner_container_diff(req->ctx, id, &v, &n, err) < 0)
		return -1;
	/* docker's kinds: 0 modified, 1 added, 2 deleted; no change at all is null */
	resp->json = n ? json_array() : json_null();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(resp->json,
				      json_pack("{s:s, s:i}", "Path", v[i].path, "Kind",
						v[i].kind == 'A' ? 1 : v[i].kind == 'D' ? 2 : 0));
	bld_runner_changes_free(v, n);
	return 0;
}
