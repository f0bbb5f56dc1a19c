/*
 * runner/logs.c — Docker's json-file log: one JSON object per line,
 * {"log":"text\n","stream":"stdout|stderr","time":"RFC3339Nano"}. The writer (used by the
 * monitor) cuts the output into lines, flushing partial lines at 16 KiB as Docker does; the
 * reader prints a container's log for `bld logs` with --tail, --since, -t and -f.
 *
 * It does not rotate logs (no max-size/max-file yet).
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>

#define LINE_MAX_BYTES (16 * 1024)
#define LOG_LINE_MAX (256 * 1024)

static void write_record(int fd, const char *stream, const char *data, size_t n)
{
	char now[40];
	bld_runner_now_str(now);
	json_t *o = json_pack("{s:s%, s:s, s:s}", "log", data, n, "stream", stream, "time", now);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return;
	size_t len = strlen(s);
	s[len] = '\n';
	/* one write per record: readers never see half a line */
	if (write(fd, s, len + 1) < 0)
		bld_debug("log write: %s", strerror(errno));
	free(s);
}

void bld_runner_log_add(struct bld_runner_logbuf *b, int fd, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b->buf[b->len++] = data[i];
		if (data[i] == '\n' || b->len == sizeof(b->buf)) {
			write_record(fd, b->stream, b->buf, b->len);
			b->len = 0;
		}
	}
}

void bld_runner_log_flush(struct bld_runner_logbuf *b, int fd)
{
	if (b->len)
		write_record(fd, b->stream, b->buf, b->len);
	b->len = 0;
}

struct reader {
	const struct bld_runner_logs_opts *o;
	struct bld_buf pending; /* an incomplete last line */
};

static void print_record(const struct bld_runner_logs_opts *o, const char *line, size_t n)
{
	json_t *v = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_json_load_buf(&v, line, n, &e) < 0)
		return;
	const char *time = bld_json_get_str(v, "time");
	const char *stream = bld_json_get_str(v, "stream");
	json_t *log = json_object_get(v, "log");
	if (o->since > 0 && bld_runner_time_parse(time) < o->since) {
		json_decref(v);
		return;
	}
	FILE *f = stream && strcmp(stream, "stderr") == 0 ? stderr : stdout;
	if (o->timestamps && time)
		fprintf(f, "%s ", time);
	fwrite(json_string_value(log), 1, json_string_length(log), f);
	fflush(f);
	json_decref(v);
}

/* Feeds data; prints every complete line. */
static void feed(struct reader *r, const char *data, size_t n)
{
	bld_buf_add(&r->pending, data, n);
	char *start = r->pending.data;
	char *end = start + r->pending.len;
	char *nl;
	while (start < end && (nl = memchr(start, '\n', (size_t)(end - start)))) {
		print_record(r->o, start, (size_t)(nl - start));
		start = nl + 1;
	}
	size_t rest = (size_t)(end - start);
	memmove(r->pending.data, start, rest);
	r->pending.len = rest;
	r->pending.data[rest] = 0;
}

/* Offset where the last `tail` lines start (the file ends with a newline). */
static off_t tail_offset(int fd, long tail)
{
	struct stat st;
	if (tail < 0 || fstat(fd, &st) < 0)
		return 0;
	if (tail == 0)
		return st.st_size;
	off_t pos = st.st_size;
	long seen = 0;
	char buf[4096];
	while (pos > 0) {
		size_t chunk = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		pos -= (off_t)chunk;
		if (pread(fd, buf, chunk, pos) != (ssize_t)chunk)
			return 0;
		for (size_t i = chunk; i-- > 0;)
			if (buf[i] == '\n' && ++seen == tail + 1)
				return pos + (off_t)i + 1;
	}
	return 0;
}

static int drain(int fd, struct reader *r)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		feed(r, buf, (size_t)n);
	return n < 0 ? -errno : 0;
}

int bld_runner_container_logs(struct bld_ctx *ctx, const char *id,
			      const struct bld_runner_logs_opts *o, struct bld_error **err)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_free char *path = xasprintf("%s/%s-json.log", dir, id);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return bld_error_sys(err, errno, "open %s", path);
	struct reader r = {.o = o, .pending = BLD_BUF_INIT};
	r.pending.max = LOG_LINE_MAX;
	if (fd >= 0) {
		lseek(fd, tail_offset(fd, o->tail), SEEK_SET);
		drain(fd, &r);
	}
	/* follow: keep reading until the container is no longer running */
	cleanup_close int watch = o->follow ? bld_runner_client_wait_fd(ctx, id) : -1;
	while (watch >= 0) {
		struct pollfd p = {.fd = watch, .events = POLLIN};
		int pr = poll(&p, 1, 50);
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			drain(fd, &r);
		if (pr > 0)
			break;
	}
	bld_buf_dispose(&r.pending);
	return 0;
}
