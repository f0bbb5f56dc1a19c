/*
 * api/util.c — docker's request conventions, shared by the handlers: query booleans and
 * integers, the JSON "filters" argument turned into the "key=value" strings the modules'
 * filters take (as the CLI's --filter gives them), the JSON body, and docker's times.
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <time.h>

const char *bld_api_query(const struct bld_api_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct query_all {
	const char *key;
	char **out;
};

static enum MHD_Result query_each(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct query_all *q = cls;
	if (key && value && strcmp(key, q->key) == 0)
		bld_strv_push(&q->out, value);
	return MHD_YES;
}

char **bld_api_query_all(const struct bld_api_req *req, const char *key)
{
	struct query_all q = {.key = key};
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_each, &q);
	return q.out;
}

bool bld_api_query_bool(const struct bld_api_req *req, const char *key)
{
	const char *v = bld_api_query(req, key);
	return v && (!strcmp(v, "1") || !strcasecmp(v, "true"));
}

int bld_api_query_int(const struct bld_api_req *req, const char *key, long def, long *out,
		      struct bld_error **err)
{
	const char *v = bld_api_query(req, key);
	*out = def;
	if (!v || !*v)
		return 0;
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end)
		return bld_error_set(err, BLD_E_INVALID, "invalid value for %s: %s", key, v);
	*out = n;
	return 0;
}

/* One filter key's values: {"v": true, ...} or ["v", ...]. */
static int filter_values(char ***out, const char *key, json_t *vals, struct bld_error **err)
{
	if (json_is_array(vals)) {
		size_t i;
		json_t *v;
		json_array_foreach(vals, i, v) {
			if (!json_is_string(v))
				return bld_error_set(err, BLD_E_INVALID, "invalid filter '%s'", key);
			cleanup_free char *kv = xasprintf("%s=%s", key, json_string_value(v));
			bld_strv_push(out, kv);
		}
		return 0;
	}
	if (!json_is_object(vals))
		return bld_error_set(err, BLD_E_INVALID, "invalid filter '%s'", key);
	const char *v;
	json_t *on;
	json_object_foreach(vals, v, on) {
		if (!json_is_true(on))
			continue;
		cleanup_free char *kv = xasprintf("%s=%s", key, v);
		bld_strv_push(out, kv);
	}
	return 0;
}

int bld_api_query_filters(const struct bld_api_req *req, char ***out, struct bld_error **err)
{
	return bld_api_filters_parse(bld_api_query(req, "filters"), out, err);
}

int bld_api_filters_parse(const char *f, char ***out, struct bld_error **err)
{
	*out = NULL;
	if (!f || !*f)
		return 0;
	cleanup_json json_t *j = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_json_load_buf(&j, f, strlen(f), &e) < 0 || !json_is_object(j))
		return bld_error_set(err, BLD_E_INVALID, "invalid filter: %s", f);
	cleanup_strv char **v = NULL;
	const char *key;
	json_t *vals;
	json_object_foreach(j, key, vals)
		if (filter_values(&v, key, vals, err) < 0)
			return -1;
	*out = steal_pointer(&v);
	return 0;
}

int bld_api_body_file(const struct bld_api_req *req, struct bld_error **err)
{
	if (req->body_fd < 0)
		return bld_error_set(err, BLD_E_INVALID, "no request body");
	int fd = fcntl(req->body_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return bld_error_sys(err, e, "request body");
	}
	return fd;
}

int bld_api_body_json(const struct bld_api_req *req, json_t **out, struct bld_error **err)
{
	if (req->body_len == 0) {
		*out = json_object();
		return 0;
	}
	if (bld_json_load_buf(out, req->body, req->body_len, err) < 0)
		return bld_error_wrap(err, "request body");
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return bld_error_set(err, BLD_E_INVALID, "request body: not a JSON object");
	}
	return 0;
}

char **bld_api_kv_strv(const json_t *o)
{
	char **out = NULL;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		cleanup_free char *kv = xasprintf("%s=%s", k, json_is_string(v) ? json_string_value(v)
									: "");
		bld_strv_push(&out, kv);
	}
	return out;
}

int bld_api_container_find(const struct bld_api_req *req, char **id, json_t **info,
			   struct bld_error **err)
{
	if (bld_runner_container_lookup(req->ctx, req->captures[0], id, err) < 0) {
		bld_error_free(*err);
		*err = NULL;
		return bld_error_set(err, BLD_E_NOTFOUND, "No such container: %s", req->captures[0]);
	}
	return info ? bld_runner_container_inspect(req->ctx, *id, info, err) : 0;
}

void bld_api_time(char out[40], double secs)
{
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	double frac = secs - (double)t;
	unsigned ns = frac > 0 && frac < 1 ? (unsigned)(frac * 1e9) % 1000000000u : 0;
	char base[24];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%.19s.%09uZ", base, ns);
}
