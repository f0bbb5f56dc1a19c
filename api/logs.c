/*
 * api/logs.c — GET /containers/{id}/logs: the runner's log reader (the one `bld logs` runs)
 * in a thread of its own, its records framed as docker frames them (8-byte headers with the
 * stream, raw for a TTY container) into a pipe, and the pipe read by libmicrohttpd's
 * content-reader callback as a chunked response. A client that goes closes the pipe; the
 * reader's next write fails and it stops.
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>

struct logs_job {
	struct bld_ctx *ctx;
	char id[65];
	struct bld_runner_logs_opts o;
	bool raw;
	bool want_out, want_err;
	int wfd, rfd;
	int refs; /* the reader thread's and the response's */
};

static void job_unref(struct logs_job *j)
{
	if (__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(j);
}

static int sink(int fd, const char *data, size_t n, void *payload)
{
	struct logs_job *j = payload;
	if ((fd == 1 && !j->want_out) || (fd == 2 && !j->want_err))
		return 0;
	return bld_api_frame_send(j->wfd, j->raw, fd, data, n) ? 0 : -1;
}

static void *reader(void *arg)
{
	struct logs_job *j = arg;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_container_logs(j->ctx, j->id, &j->o, &e) < 0)
		bld_log(BLD_LOG_DEBUG, "logs %s: %s", j->id, e->msg);
	close(j->wfd);
	job_unref(j);
	return NULL;
}

static ssize_t content(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct logs_job *j = cls;
	ssize_t n;
	while ((n = read(j->rfd, buf, max)) < 0 && errno == EINTR)
		;
	return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void content_free(void *cls)
{
	struct logs_job *j = cls;
	close(j->rfd); /* the reader's writes fail from now on: it ends */
	job_unref(j);
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
	int p[2];
	pthread_t t;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(j);
		return bld_error_sys(err, errno, "pipe");
	}
	j->rfd = p[0];
	j->wfd = p[1];
	j->refs = 2;
	if (pthread_create(&t, NULL, reader, j) != 0) {
		close(p[0]);
		close(p[1]);
		free(j);
		return bld_error_set(err, BLD_E_SYSTEM, "cannot start the log reader");
	}
	pthread_detach(t);
	resp->raw = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, content, j,
						      content_free);
	MHD_add_response_header(resp->raw, "Content-Type",
				j->raw || req->version_minor < 42
					? "application/vnd.docker.raw-stream"
					: "application/vnd.docker.multiplexed-stream");
	return 0;
}
