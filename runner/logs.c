/*
 * runner/logs.c — Docker's json-file log: one JSON object per line,
 * {"log":"text\n","stream":"stdout|stderr","time":"RFC3339Nano"}. The writer (used by the
 * monitor) cuts the output into lines, flushing partial lines at 16 KiB as Docker does; the
 * reader prints a container's log for `bld logs` with --tail, --since, -t and -f.
 *
 * Drivers and rotation as docker's: --log-driver json-file (the default) or none (nothing is
 * written and `logs` refuses); --log-opt max-size=SIZE (k, m, g: powers of 1000) rotates the
 * file before a record once it has reached SIZE, to <log>.1, shifting older ones to .2 ...
 * up to --log-opt max-file=N files in all (with N = 1 the file is emptied instead). The
 * reader goes through the rotated files, oldest first, and a follower moves on to the new
 * file when the one it reads is rotated away.
 */
#include "runner/runner_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>

#define LINE_MAX_BYTES (16 * 1024)
#define LOG_LINE_MAX (256 * 1024)
#define MAX_FILES 1000

/* ------------------------------------------------------------------ configuration */

/* docker's units.FromHumanSize: a number and an optional k/m/g/t (b, i: ignored), 1000-based */
static int parse_size(const char *s, int64_t *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	static const char units[] = "kmgtp";
	double mul = 1;
	const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
	if (*end && !u && tolower((unsigned char)*end) != 'b')
		return -1;
	if (u) {
		for (const char *k = units; k <= u; k++)
			mul *= 1000;
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	} else if (*end) {
		end++;
	}
	if (*end || v * mul > 9e18)
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

static int check_opt(const char *driver, const char *k, const char *v, struct bld_error **err)
{
	if (strcmp(driver, "json-file") != 0)
		return bld_error_set(err, BLD_E_INVALID, "unknown log opt '%s' for %s log driver",
				     k, driver);
	int64_t size = 0;
	long files = 0;
	if (strcmp(k, "max-size") == 0 && (parse_size(v, &size) < 0 || size <= 0))
		return bld_error_set(err, BLD_E_INVALID,
				     parse_size(v, &size) < 0
					 ? "invalid size: '%s'"
					 : "max-size must be a positive number",
				     v);
	if (strcmp(k, "max-file") == 0 && bld_parse_long(v, LONG_MIN, LONG_MAX, &files) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "strconv.Atoi: parsing \"%s\": invalid syntax", v);
	if (strcmp(k, "max-file") == 0 && (files < 1 || files > MAX_FILES))
		return bld_error_set(err, BLD_E_INVALID,
				     files < 1 ? "max-file cannot be less than 1"
					       : "max-file: at most %d files",
				     MAX_FILES);
	static const char *const known[] = {"max-size", "max-file", "tag", "labels",
					    "labels-regex", "env", "env-regex"};
	bool ok = false;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(known); i++)
		ok = ok || strcmp(k, known[i]) == 0;
	if (!ok)
		return bld_error_set(err, BLD_E_INVALID, "unknown log opt '%s' for %s log driver",
				     k, driver);
	return 0;
}

int bld_runner_log_config(const char *driver, char *const *opts, json_t **out,
			  struct bld_error **err)
{
	if (!driver || !*driver)
		driver = "json-file";
	if (strcmp(driver, "json-file") && strcmp(driver, "none"))
		return bld_error_set(err, BLD_E_INVALID,
				     "logger: no log driver named '%s' is registered", driver);
	cleanup_json json_t *cfg = json_object();
	for (size_t i = 0; opts && opts[i]; i++) {
		cleanup_free char *k = xstrdup(opts[i]);
		char *eq = strchr(k, '=');
		if (!eq || eq == k)
			return bld_error_set(err, BLD_E_INVALID,
					     "invalid key value pair format in log-opt: %s",
					     opts[i]);
		*eq = 0;
		if (check_opt(driver, k, eq + 1, err) < 0)
			return -1;
		json_object_set_new(cfg, k, json_string(eq + 1));
	}
	*out = json_pack("{s:s, s:o}", "Type", driver, "Config", steal_pointer(&cfg));
	return 0;
}

static bool driver_none(json_t *hc)
{
	const char *t = bld_json_get_str(json_object_get(hc, "LogConfig"), "Type");
	return t && strcmp(t, "none") == 0;
}

/* ------------------------------------------------------------------ writer */

int bld_runner_logfile_open(struct bld_runner_logfile *lf, const char *dir, const char *id,
			    json_t *cfg, struct bld_error **err)
{
	json_t *hc = json_object_get(cfg, "HostConfig");
	*lf = (struct bld_runner_logfile){.fd = -1, .max_size = -1, .max_file = 1};
	if (driver_none(hc))
		return 0;
	if (bld_runner_log_attrs(cfg, &lf->attrs, err) < 0)
		return -1;
	json_t *c = json_object_get(json_object_get(hc, "LogConfig"), "Config");
	const char *ms = bld_json_get_str(c, "max-size"), *mf = bld_json_get_str(c, "max-file");
	long files = 1;
	if (ms && parse_size(ms, &lf->max_size) < 0)
		lf->max_size = -1;
	if (mf && bld_parse_long(mf, 1, MAX_FILES, &files) == 0)
		lf->max_file = (int)files;
	lf->path = xasprintf("%s/%s-json.log", dir, id);
	lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	struct stat st;
	if (lf->fd < 0 || fstat(lf->fd, &st) < 0)
		return bld_error_sys(err, errno, "open %s", lf->path);
	lf->size = st.st_size;
	return 0;
}

void bld_runner_logfile_close(struct bld_runner_logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	free(lf->path);
	lf->path = NULL;
	json_decref(lf->attrs);
	lf->attrs = NULL;
}

/* <log>.N-1 is dropped, each <log>.i becomes .i+1, <log> becomes .1, a new <log> begins. */
static void rotate(struct bld_runner_logfile *lf)
{
	lf->size = 0;
	if (lf->max_file < 2) {
		if (ftruncate(lf->fd, 0) < 0)
			bld_debug("log truncate: %s", strerror(errno));
		return;
	}
	for (int i = lf->max_file - 1; i > 1; i--) {
		cleanup_free char *from = xasprintf("%s.%d", lf->path, i - 1);
		cleanup_free char *to = xasprintf("%s.%d", lf->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			bld_debug("log rotate: %s", strerror(errno));
	}
	cleanup_free char *first = xasprintf("%s.1", lf->path);
	if (rename(lf->path, first) < 0)
		bld_debug("log rotate: %s", strerror(errno));
	int fd = open(lf->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return; /* keep writing to the old file rather than lose output */
	close(lf->fd);
	lf->fd = fd;
}

static void write_record(struct bld_runner_logfile *lf, const char *stream, const char *data,
			 size_t n)
{
	if (lf->fd < 0)
		return;
	char now[40];
	bld_runner_now_str(now);
	cleanup_json json_t *o = json_pack("{s:s%, s:s}", "log", data, n, "stream", stream);
	if (lf->attrs)
		json_object_set(o, "attrs", lf->attrs);
	json_object_set_new(o, "time", json_string(now));
	char *s = json_dumps(o, JSON_COMPACT);
	if (!s)
		return;
	size_t len = strlen(s);
	s[len] = '\n';
	if (lf->max_size > 0 && lf->size >= lf->max_size)
		rotate(lf);
	/* one write per record: readers never see half a line */
	ssize_t w = write(lf->fd, s, len + 1);
	if (w == (ssize_t)(len + 1)) {
		lf->size += w;
	} else { /* a full disk: drop the half record, say so once, keep running like docker */
		int e = w < 0 ? errno : ENOSPC;
		if (w > 0 && ftruncate(lf->fd, lf->size) < 0)
			bld_debug("log truncate: %s", strerror(errno));
		if (!lf->failed)
			bld_warn("write %s: %s", lf->path, strerror(e));
		lf->failed = true;
	}
	free(s);
}

void bld_runner_log_add(struct bld_runner_logbuf *b, struct bld_runner_logfile *lf,
			const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b->buf[b->len++] = data[i];
		if (data[i] == '\n' || b->len == sizeof(b->buf)) {
			write_record(lf, b->stream, b->buf, b->len);
			b->len = 0;
		}
	}
}

void bld_runner_log_flush(struct bld_runner_logbuf *b, struct bld_runner_logfile *lf)
{
	if (b->len)
		write_record(lf, b->stream, b->buf, b->len);
	b->len = 0;
}

/* ------------------------------------------------------------------ reader */

struct reader {
	const struct bld_runner_logs_opts *o;
	struct bld_buf pending; /* an incomplete last line */
	bool failed;            /* the sink refused: stop */
};

/* A record to o->sink: the text as the streams would get it (with its time first under
 * --timestamps). */
static void sink_record(struct reader *r, const char *time, const char *stream, json_t *log)
{
	const struct bld_runner_logs_opts *o = r->o;
	struct bld_buf b = BLD_BUF_INIT;
	if (o->timestamps && time)
		bld_buf_printf(&b, "%s ", time);
	bld_buf_add(&b, json_string_value(log), json_string_length(log));
	int fd = stream && strcmp(stream, "stderr") == 0 ? 2 : 1;
	if (o->sink(fd, bld_buf_str(&b), b.len, o->sink_payload) < 0)
		r->failed = true;
	bld_buf_dispose(&b);
}

static void print_record(struct reader *r, const char *line, size_t n)
{
	const struct bld_runner_logs_opts *o = r->o;
	cleanup_json json_t *v = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_json_load_buf(&v, line, n, &e) < 0)
		return;
	const char *time = bld_json_get_str(v, "time");
	const char *stream = bld_json_get_str(v, "stream");
	json_t *log = json_object_get(v, "log");
	if ((o->since > 0 && bld_runner_time_parse(time) < o->since) ||
	    (o->until > 0 && bld_runner_time_parse(time) > o->until))
		return;
	if (o->sink) {
		if (!r->failed)
			sink_record(r, time, stream, log);
		return;
	}
	FILE *f = stream && strcmp(stream, "stderr") == 0 ? stderr : stdout;
	if (o->timestamps && time)
		fprintf(f, "%s ", time);
	if (o->details)
		bld_runner_log_details(f, json_object_get(v, "attrs"));
	fwrite(json_string_value(log), 1, json_string_length(log), f);
	fflush(f);
}

/* Feeds data; prints every complete line. */
static void feed(struct reader *r, const char *data, size_t n)
{
	bld_buf_add(&r->pending, data, n);
	char *start = r->pending.data;
	char *end = start + r->pending.len;
	char *nl;
	while (start < end && (nl = memchr(start, '\n', (size_t)(end - start)))) {
		print_record(r, start, (size_t)(nl - start));
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

/* The log files, oldest first: <log>.K ... <log>.1, <log>. */
static char **log_files(const char *path)
{
	int k = 0;
	while (k < MAX_FILES) {
		cleanup_free char *p = xasprintf("%s.%d", path, k + 1);
		if (access(p, F_OK) < 0)
			break;
		k++;
	}
	char **v = NULL;
	for (int i = k; i >= 1; i--) {
		cleanup_free char *p = xasprintf("%s.%d", path, i);
		bld_strv_push(&v, p);
	}
	bld_strv_push(&v, path);
	return v;
}

static long count_lines(int fd)
{
	char buf[65536];
	long n = 0;
	ssize_t r;
	off_t pos = 0;
	while ((r = pread(fd, buf, sizeof(buf), pos)) > 0) {
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
		pos += r;
	}
	return n;
}

/* Where --tail starts: the file (index) and the offset in it, counting back from the end. */
static void tail_start(char **files, long tail, size_t *first, off_t *off)
{
	*first = 0;
	*off = 0;
	long left = tail;
	for (size_t i = bld_strv_len(files); tail >= 0 && i-- > 0;) {
		cleanup_close int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		long lines = count_lines(fd);
		if (lines >= left) {
			*first = i;
			*off = tail_offset(fd, left);
			return;
		}
		left -= lines;
	}
}

static bool same_file(const char *p, const struct stat *want)
{
	struct stat st;
	return stat(p, &st) == 0 && st.st_ino == want->st_ino && st.st_dev == want->st_dev;
}

static char *log_name(const char *path, int k)
{
	return k ? xasprintf("%s.%d", path, k) : xstrdup(path);
}

/* The file's place now: 0 for <log>, k for <log>.k, -1 once it is gone. A rotation leaves at
 * most one name missing at a time, so two missing names in a row end the files. */
static int log_index(const char *path, const struct stat *want)
{
	for (int k = 0, missing = 0; k <= MAX_FILES && missing < 2; k++) {
		cleanup_free char *p = log_name(path, k);
		if (same_file(p, want))
			return k;
		missing = access(p, F_OK) < 0 ? missing + 1 : 0;
	}
	return -1;
}

/* After a drain of the current log: the start again when it was emptied (max-file=1); when it
 * was rotated away, its rest and then each newer file in turn until <log> itself. The files
 * are told apart by inode, and the next one is taken only while ours still has the name it had,
 * so a rotation racing with us is noticed and the step retried. Returns the descriptor to go
 * on with. */
static int follow_rotation(int fd, const char *path, struct reader *r)
{
	struct stat cur;
	if (fstat(fd, &cur) < 0)
		return fd;
	if (cur.st_size < lseek(fd, 0, SEEK_CUR)) {
		lseek(fd, 0, SEEK_SET);
		drain(fd, r);
	}
	for (;;) {
		int j = log_index(path, &cur);
		if (j == 0)
			return fd;
		drain(fd, r);
		int next = j - 1;
		if (j < 0) /* fell behind past the last kept file: go on with the oldest kept */
			for (next = 0; next < MAX_FILES; next++) {
				cleanup_free char *p = log_name(path, next + 1);
				if (access(p, F_OK) < 0)
					break;
			}
		cleanup_free char *p = log_name(path, next);
		int nfd = open(p, O_RDONLY | O_CLOEXEC);
		struct stat ns;
		if (nfd >= 0 && fstat(nfd, &ns) < 0) {
			close(nfd);
			nfd = -1;
		}
		cleanup_free char *ours = log_name(path, j);
		if (nfd < 0 || (j > 0 && !same_file(ours, &cur))) {
			if (nfd >= 0)
				close(nfd);
			if (j < 0 && nfd < 0)
				return fd; /* nothing there yet */
			continue; /* a rotation came in between */
		}
		close(fd);
		fd = nfd;
		cur = ns;
		drain(fd, r);
	}
}

/* Prints the files from the --tail start; returns the newest one, still open (or -1). */
static int print_files(char **files, const struct bld_runner_logs_opts *o, struct reader *r)
{
	size_t first = 0, n = bld_strv_len(files);
	off_t off = 0;
	tail_start(files, o->tail, &first, &off);
	int fd = -1;
	for (size_t i = first; i < n; i++) {
		if (fd >= 0)
			close(fd);
		fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (i == first)
			lseek(fd, off, SEEK_SET);
		drain(fd, r);
	}
	return fd;
}

int bld_runner_container_logs(struct bld_ctx *ctx, const char *id,
			      const struct bld_runner_logs_opts *o, struct bld_error **err)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_free char *path = xasprintf("%s/%s-json.log", dir, id);
	cleanup_json json_t *cfg = NULL;
	if (bld_runner_container_load(ctx, id, &cfg, NULL, err) < 0)
		return -1;
	bool none = driver_none(json_object_get(cfg, "HostConfig"));
	if (none) /* docker's exit status 1 for a daemon's error */
		return bld_error_refuse(err, BLD_E_INVALID,
					"configured logging driver does not support reading");
	cleanup_strv char **files = log_files(path);
	struct reader r = {.o = o, .pending = BLD_BUF_INIT};
	r.pending.max = LOG_LINE_MAX;
	cleanup_close int fd = print_files(files, o, &r);
	/* follow: keep reading until the container is no longer running, or until passes */
	cleanup_close int watch = o->follow ? bld_runner_client_wait_fd(ctx, id) : -1;
	while (watch >= 0 && !r.failed && !(o->until > 0 && (double)time(NULL) > o->until)) {
		struct pollfd p[2] = {{.fd = watch, .events = POLLIN}, {.fd = o->out_fd}};
		int pr = poll(p, o->out_fd > 0 ? 2 : 1, 50);
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			drain(fd, &r);
			fd = follow_rotation(fd, path, &r);
		}
		if (pr > 0 && (p[0].revents || (p[1].revents & (POLLERR | POLLHUP))))
			break;
	}
	bld_buf_dispose(&r.pending);
	return 0;
}
