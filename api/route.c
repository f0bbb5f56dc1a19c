/*
 * api/route.c — from an HTTP request to a handler and back: the routing table (method, path
 * pattern, handler), the /vX.Y/ prefix and its bounds, the request body read into memory up
 * to BLD_API_BODY_MAX (an upload's — a build context, an image archive, docker cp's tar —
 * spooled to an unnamed file of the store up to BLD_API_UPLOAD_MAX), and errors as docker sends them: {"message": "..."} with the status
 * bld's error code maps to (not found 404, exists 409, invalid 400, else 500).
 *
 * It knows nothing of containers or images: the handlers do, through the modules.
 */
#include "api/api_int.h"

#include <errno.h>
#include <fcntl.h>

static const struct bld_api_route routes[] = {
	{"GET", "/_ping", bld_api_ping},
	{"HEAD", "/_ping", bld_api_ping},
	{"GET", "/version", bld_api_version},
	{"GET", "/info", bld_api_info},
	{"POST", "/auth", bld_api_auth},
	{"GET", "/system/df", bld_api_system_df},
	{"GET", "/events", bld_api_events},
	{"GET", "/containers/json", bld_api_containers_list},
	{"POST", "/containers/create", bld_api_containers_create},
	{"POST", "/containers/prune", bld_api_containers_prune},
	{"GET", "/containers/{}/json", bld_api_containers_inspect},
	{"POST", "/containers/{}/start", bld_api_containers_start},
	{"POST", "/containers/{}/stop", bld_api_containers_stop},
	{"POST", "/containers/{}/kill", bld_api_containers_kill},
	{"POST", "/containers/{}/restart", bld_api_containers_restart},
	{"POST", "/containers/{}/pause", bld_api_containers_pause},
	{"POST", "/containers/{}/unpause", bld_api_containers_unpause},
	{"POST", "/containers/{}/rename", bld_api_containers_rename},
	{"POST", "/containers/{}/update", bld_api_containers_update},
	{"POST", "/containers/{}/wait", bld_api_containers_wait},
	{"POST", "/containers/{}/attach", bld_api_containers_attach},
	{"POST", "/containers/{}/resize", bld_api_containers_resize},
	{"HEAD", "/containers/{}/archive", bld_api_archive_head},
	{"GET", "/containers/{}/archive", bld_api_archive_get},
	{"PUT", "/containers/{}/archive", bld_api_archive_put},
	{"GET", "/containers/{}/export", bld_api_containers_export},
	{"GET", "/containers/{}/changes", bld_api_containers_changes},
	{"GET", "/containers/{}/top", bld_api_containers_top},
	{"GET", "/containers/{}/stats", bld_api_containers_stats},
	{"GET", "/containers/{}/logs", bld_api_containers_logs},
	{"DELETE", "/containers/{}", bld_api_containers_delete},
	{"POST", "/containers/{}/exec", bld_api_exec_create},
	{"POST", "/exec/{}/start", bld_api_exec_start},
	{"GET", "/exec/{}/json", bld_api_exec_inspect},
	{"POST", "/exec/{}/resize", bld_api_exec_resize},
	{"GET", "/images/json", bld_api_images_list},
	{"POST", "/images/create", bld_api_images_create},
	{"GET", "/images/get", bld_api_images_get},
	{"POST", "/images/load", bld_api_images_load},
	{"POST", "/images/prune", bld_api_images_prune},
	{"GET", "/images/{*}/json", bld_api_images_inspect},
	{"GET", "/images/{*}/get", bld_api_images_get},
	{"GET", "/images/{*}/history", bld_api_images_history},
	{"POST", "/images/{*}/push", bld_api_images_push},
	{"POST", "/images/{*}/tag", bld_api_images_tag},
	{"DELETE", "/images/{*}", bld_api_images_delete},
	{"POST", "/build", bld_api_build},
	{"GET", "/networks", bld_api_networks_list},
	{"POST", "/networks/create", bld_api_networks_create},
	{"POST", "/networks/prune", bld_api_networks_prune},
	{"GET", "/networks/{}", bld_api_networks_inspect},
	{"DELETE", "/networks/{}", bld_api_networks_delete},
	{"POST", "/networks/{}/connect", bld_api_networks_connect},
	{"POST", "/networks/{}/disconnect", bld_api_networks_disconnect},
	{"GET", "/volumes", bld_api_volumes_list},
	{"POST", "/volumes/create", bld_api_volumes_create},
	{"POST", "/volumes/prune", bld_api_volumes_prune},
	{"GET", "/volumes/{}", bld_api_volumes_inspect},
	{"DELETE", "/volumes/{}", bld_api_volumes_delete},
};

/* What a connection carries between MHD's calls of the access handler. */
struct conn_state {
	struct bld_buf body;
	int spool_fd; /* the body of an upload route, in an unnamed file of the store; else -1 */
	size_t spooled;
	bool too_large;
	bool spool_failed;
};

/* Routes whose body is an upload spooled to a file rather than held in memory, with or
 * without a version prefix: POST /build (a build context), POST /images/load (an image
 * archive), POST /images/create?fromSrc= (docker import's tar) and PUT
 * /containers/{id}/archive (docker cp's tar). */
static bool upload_route(struct MHD_Connection *conn, const char *method, const char *url)
{
	if (strncmp(url, "/v", 2) == 0 && strchr(url + 1, '/'))
		url = strchr(url + 1, '/');
	if (strcmp(method, "PUT") == 0)
		return bld_str_has_prefix(url, "/containers/") &&
		       bld_str_has_suffix(url, "/archive");
	if (strcmp(method, "POST") == 0 && strcmp(url, "/images/create") == 0)
		return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "fromSrc");
	return strcmp(method, "POST") == 0 &&
	       (strcmp(url, "/build") == 0 || strcmp(url, "/images/load") == 0);
}

/* Appends an upload's piece to its spool; false when it cannot (the request then fails). */
static bool spool_add(struct conn_state *st, const char *data, size_t n)
{
	if (st->spooled + n > BLD_API_UPLOAD_MAX) {
		st->too_large = true;
		return false;
	}
	st->spooled += n;
	while (n > 0) {
		ssize_t w = write(st->spool_fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			st->spool_failed = true;
			return false;
		}
		data += w;
		n -= (size_t)w;
	}
	return true;
}

void bld_api_common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Api-Version", BLD_API_VERSION_MAX);
	MHD_add_response_header(r, "Docker-Experimental", "false");
	MHD_add_response_header(r, "Ostype", "linux");
	cleanup_free char *server = xasprintf("bld/%s (linux)", bld_version);
	MHD_add_response_header(r, "Server", server);
}

/* body as one line, or with lines each element of the array body on its own line */
static char *json_text(json_t *body, bool lines)
{
	if (!body)
		return NULL;
	if (!lines || !json_is_array(body)) {
		cleanup_free char *text = json_dumps(body, JSON_COMPACT);
		return xasprintf("%s\n", text);
	}
	struct bld_buf b = BLD_BUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(body, i, v) {
		cleanup_free char *text = json_dumps(v, JSON_COMPACT);
		bld_buf_printf(&b, "%s\n", text);
	}
	return bld_buf_detach(&b);
}

/* Sends text (JSON, owned: the response frees it; NULL: no body) with status. */
static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned status, char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		text ? strlen(text) : 0, text ? text : (char *)"",
		text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	bld_api_common_headers(r);
	if (text)
		MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_json(struct MHD_Connection *conn, unsigned status, json_t *body,
				  bool lines)
{
	return queue_text(conn, status, json_text(body, lines));
}

static enum MHD_Result queue_message(struct MHD_Connection *conn, unsigned status,
				     const char *msg)
{
	cleanup_json json_t *body = json_pack("{s:s}", "message", msg);
	return queue_json(conn, status, body, false);
}

enum MHD_Result bld_api_route_refuse(struct MHD_Connection *conn, unsigned status,
				     const char *msg)
{
	return queue_message(conn, status, msg);
}

static unsigned error_status(const struct bld_error *e)
{
	switch (e->code) {
	case BLD_E_NOTFOUND: return MHD_HTTP_NOT_FOUND;
	case BLD_E_EXISTS: return MHD_HTTP_CONFLICT;
	case BLD_E_INVALID: return MHD_HTTP_BAD_REQUEST;
	case BLD_E_AUTH: return MHD_HTTP_UNAUTHORIZED;
	case BLD_E_UNSUPPORTED: return MHD_HTTP_NOT_IMPLEMENTED;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* "1.41" -> 41; -1 when it is not 1.Y. */
static int parse_minor(const char *s, size_t n)
{
	if (n < 3 || strncmp(s, "1.", 2) != 0)
		return -1;
	long v = 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > 1000)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return (int)v;
}

/* Strips "/vX.Y" from *path; *minor the version (the newest when there is none). Docker's
 * refusals of versions outside the served range, BLD_E_INVALID. */
static int strip_version(const char **path, int *minor, struct bld_error **err)
{
	int lo = parse_minor(BLD_API_VERSION_MIN, strlen(BLD_API_VERSION_MIN));
	int hi = parse_minor(BLD_API_VERSION_MAX, strlen(BLD_API_VERSION_MAX));
	*minor = hi;
	const char *p = *path;
	if (strncmp(p, "/v", 2) != 0 || !(p[2] >= '0' && p[2] <= '9'))
		return 0;
	size_t n = strcspn(p + 2, "/");
	int v = parse_minor(p + 2, n);
	if (v < 0)
		return 0; /* not a version: the path as it is (and likely 404) */
	if (v < lo)
		return bld_error_set(err, BLD_E_INVALID,
				     "client version 1.%d is too old. Minimum supported API version "
				     "is %s, please upgrade your client to a newer version",
				     v, BLD_API_VERSION_MIN);
	if (v > hi)
		return bld_error_set(err, BLD_E_INVALID,
				     "client version 1.%d is too new. Maximum supported API version "
				     "is %s", v, BLD_API_VERSION_MAX);
	*minor = v;
	*path = p + 2 + n;
	return 0;
}

/* Whether the segments of path from i match pattern's from j; captures filled in order. */
static bool match_from(char **segs, size_t nseg, size_t i, char **pat, size_t npat, size_t j,
		       char **caps, size_t ncap)
{
	if (j == npat)
		return i == nseg;
	if (strcmp(pat[j], "{*}") == 0) {
		/* as few segments as leave the rest of the pattern matching, at least one */
		for (size_t k = i + 1; k <= nseg && k - i + npat - j - 1 <= nseg; k++) {
			if (!match_from(segs, nseg, k, pat, npat, j + 1, caps, ncap + 1))
				continue;
			struct bld_buf b = BLD_BUF_INIT;
			for (size_t m = i; m < k; m++)
				bld_buf_printf(&b, "%s%s", m > i ? "/" : "", segs[m]);
			free(caps[ncap]);
			caps[ncap] = bld_buf_detach(&b);
			return true;
		}
		return false;
	}
	if (i == nseg)
		return false;
	bool cap = strcmp(pat[j], "{}") == 0;
	if (!cap && strcmp(pat[j], segs[i]) != 0)
		return false;
	if (!match_from(segs, nseg, i + 1, pat, npat, j + 1, caps, ncap + cap))
		return false;
	if (cap) {
		free(caps[ncap]);
		caps[ncap] = xstrdup(segs[i]);
	}
	return true;
}

/* The route for method and path (captures into req), or NULL. */
static const struct bld_api_route *find_route(struct bld_api_req *req)
{
	cleanup_strv char **segs = bld_strv_split(req->path, "/");
	size_t nseg = bld_strv_len(segs);
	for (size_t r = 0; r < BLD_ARRAY_SIZE(routes); r++) {
		if (strcmp(routes[r].method, req->method) != 0)
			continue;
		cleanup_strv char **pat = bld_strv_split(routes[r].pattern, "/");
		if (match_from(segs, nseg, 0, pat, bld_strv_len(pat), 0, req->captures, 0))
			return &routes[r];
	}
	return NULL;
}

/* The socket of a connection, -1 when libmicrohttpd does not say. */
static int client_socket(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

int bld_api_route_find(struct bld_api_req *req, const struct bld_api_route **route,
		       struct bld_error **err)
{
	*route = NULL;
	if (strip_version(&req->path, &req->version_minor, err) < 0)
		return -(*err)->code;
	*route = find_route(req);
	return 0;
}

static enum MHD_Result dispatch(struct bld_ctx *ctx, struct MHD_Connection *conn,
				const char *url, const char *method, struct conn_state *st)
{
	struct bld_api_req req = {.ctx = ctx, .conn = conn, .method = method, .path = url};
	struct bld_api_resp resp = {.status = MHD_HTTP_OK, .client = client_socket(conn)};
	cleanup_error struct bld_error *e = NULL;
	enum MHD_Result ret;
	req.body = bld_buf_str(&st->body);
	req.body_len = st->body.len;
	req.body_fd = st->spool_fd;
	const struct bld_api_route *route = NULL;
	if (bld_api_route_find(&req, &route, &e) < 0)
		return queue_message(conn, error_status(e), e->msg);
	if (!route) {
		ret = queue_message(conn, MHD_HTTP_NOT_FOUND, "page not found");
	} else if (route->fn(&req, &resp, &e) < 0) {
		ret = queue_message(conn, error_status(e), e->msg);
	} else if (resp.raw) {
		bld_api_common_headers(resp.raw);
		ret = MHD_queue_response(conn, resp.status, resp.raw);
		MHD_destroy_response(resp.raw);
	} else if (resp.text) {
		ret = queue_text(conn, resp.status, steal_pointer(&resp.text));
	} else {
		ret = queue_json(conn, resp.status, resp.json, resp.json_lines);
	}
	json_decref(resp.json);
	free(resp.text); /* a handler that failed after it wrote one */
	for (size_t i = 0; i < BLD_API_CAPTURES_MAX; i++)
		free(req.captures[i]);
	return ret;
}

/* A body read into memory and announced larger than it may be is refused before it is read
 * (413, as when it turns out larger); else MHD_YES, the request goes on. */
static enum MHD_Result refuse_large(struct MHD_Connection *conn)
{
	const char *cl =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > BLD_API_BODY_MAX)
		return queue_message(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	return MHD_YES;
}

enum MHD_Result bld_api_route_access(void *cls, struct MHD_Connection *conn, const char *url,
				     const char *method, const char *version,
				     const char *upload_data, size_t *upload_data_size,
				     void **con_cls)
{
	struct conn_state *st = *con_cls;
	if (!st) {
		st = xcalloc(1, sizeof(*st));
		st->body.max = BLD_API_BODY_MAX;
		st->spool_fd = -1;
		*con_cls = st;
		if (!upload_route(conn, method, url))
			return refuse_large(conn);
		struct bld_ctx *ctx = cls;
		st->spool_fd = open(ctx->root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		st->spool_failed = st->spool_fd < 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (st->spool_fd >= 0)
			spool_add(st, upload_data, *upload_data_size);
		else if (!st->spool_failed && bld_buf_add(&st->body, upload_data,
							  *upload_data_size) < 0)
			st->too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->too_large)
		return queue_message(conn, MHD_HTTP_CONTENT_TOO_LARGE,
				     "request body too large");
	if (st->spool_failed)
		return queue_message(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				     "cannot store the request body in the store's directory");
	return dispatch(cls, conn, url, method, st);
}

void bld_api_route_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;
	if (!st)
		return;
	bld_buf_dispose(&st->body);
	if (st->spool_fd >= 0)
		close(st->spool_fd);
	free(st);
	*con_cls = NULL;
}
