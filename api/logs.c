/*
 * api/logs.c — GET /containers/{id}/logs: the runner's log reader (the one `bld logs` runs)
 * streamed (stream.c), its records framed as docker frames them (8-byte headers with the
 * stream, raw for a TTY container).
 */
#include "api/api_int.h"
#include "runner/runner.h"


struct logs_job {
	struct bld_ctx *ctx;
	char id[65];
	struct bld_runner_logs_opts o;
	bool raw;
	bool want_out, want_err;
	int wfd;
};

static int sink(int fd, const char *data, size_t n, void *payload)
{
	struct logs_job *j = payload;
	if ((fd == 1 && !j->want_out) || (fd == 2 && !j->want_err))
		return 0;
	return bld_api_frame_send(j->wfd, j->raw, fd, data, n) ? 0 : -1;
}

static void reader(int wfd, void *arg)
{
	struct logs_job *j = arg;
	cleanup_error struct bld_error *e = NULL;
	j->wfd = wfd;
	j->o.out_fd = wfd;
	if (bld_runner_container_logs(j->ctx, j->id, &j->o, &e) < 0)
		bld_log(BLD_LOG_DEBUG, "logs %s: %s", j->id, e->msg);
}

/* since/until as docker's query sends them: unix seconds with an optional fraction. */
static double query_time(const struct bld_api_req *req, const char *key)
{
	const char *v = bld_api_query(req, key);
	return v && *v ? strtod(v, NULL) : 0;
}

int bld_api_containers_logs(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	cleanup_free char *id = NULL;
	cleanup_json json_t *info = NULL;
	if (bld_api_container_find(req, &id, &info, err) < 0)
		return -1;
	const char *tail = bld_api_query(req, "tail");
	struct logs_job *j = xcalloc(1, sizeof(*j));
	j->ctx = req->ctx;
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->raw = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	j->want_out = bld_api_query_bool(req, "stdout");
	j->want_err = bld_api_query_bool(req, "stderr");
	j->o.follow = bld_api_query_bool(req, "follow");
	j->o.timestamps = bld_api_query_bool(req, "timestamps");
	j->o.tail = !tail || !*tail || !strcmp(tail, "all") ? -1 : strtol(tail, NULL, 10);
	j->o.since = query_time(req, "since");
	j->o.until = query_time(req, "until");
	j->o.sink = sink;
	j->o.sink_payload = j;
	bool raw = j->raw; /* j is the stream's from here */
	if (bld_api_stream(resp, reader, j, free, err) < 0)
		return -1;
	MHD_add_response_header(resp->raw, "Content-Type",
				raw || req->version_minor < 42
					? "application/vnd.docker.raw-stream"
					: "application/vnd.docker.multiplexed-stream");
	return 0;
}
