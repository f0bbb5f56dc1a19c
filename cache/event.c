/*
 * cache/event.c — the events journal under $BLD_ROOT/events: what a daemon's event stream
 * is to docker, kept as a file because bld has no daemon. Every bld process appends;
 * `bld events` reads and follows.
 *
 * Invariants: a record is one line written by one write(2) on an O_APPEND descriptor while
 * events/lock is held exclusively, and its time is taken under that lock, so the journal
 * is in time order and no reader ever sees two records interleaved (a reader may see the
 * start of a line still being written: it waits for the newline). Rotation (rename of the
 * journal to journal.1.jsonl) happens under the same lock, after every write to the old
 * file has ended, so a follower that finds a new file at the path has read all of the old.
 * Nothing here is fsynced: like docker's, the events are a log to watch, not state.
 * It does not filter or format events (the front ends do).
 */
#include "cache/cache_int.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#define JOURNAL "journal.jsonl"
#define JOURNAL_OLD "journal.1.jsonl"
#define ATTR_SHORT 256 /* bytes an attribute keeps when a record is too long */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* events/ under root, created when missing; a directory descriptor. */
static int events_dir(const char *root, struct bld_error **err)
{
	cleanup_free char *dir = bld_path_join(root, "events");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : bld_error_sys(err, errno, "open %s", dir);
	if (bld_fs_mkdir_p(root, 0700, err) < 0 || bld_fs_mkdir_p(dir, 0755, err) < 0)
		return -BLD_E_SYSTEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : bld_error_sys(err, errno, "open %s", dir);
}

static int lock_journal(int dfd, struct bld_error **err)
{
	int fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return bld_error_sys(err, errno, "open events lock");
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return bld_error_sys(err, e, "lock events journal");
		}
	return fd;
}

static int key_cmp(const void *x, const void *y)
{
	const char *a = *(char *const *)x, *b = *(char *const *)y;
	size_t ka = strcspn(a, "="), kb = strcspn(b, "=");
	int r = memcmp(a, b, ka < kb ? ka : kb);
	return r ? r : (ka > kb) - (ka < kb);
}

/* The record as a line: docker's Message, with its deprecated fields where docker fills them. */
static char *record(const char *type, const char *action, const char *id, char *const *attrs_in,
		    size_t shorten)
{
	/* Go marshals Attributes (a map) with sorted keys; jansson keeps insertion order */
	cleanup_strv char **attrs = bld_strv_dup(attrs_in);
	if (attrs)
		qsort(attrs, bld_strv_len(attrs), sizeof(char *), key_cmp);
	json_t *a = json_object();
	for (size_t i = 0; attrs && attrs[i]; i++) {
		size_t k = strcspn(attrs[i], "=");
		cleanup_free char *key = xstrndup(attrs[i], k);
		const char *v = attrs[i][k] ? attrs[i] + k + 1 : "";
		json_object_set_new(a, key, json_stringn(v, shorten ? strnlen(v, shorten) : strlen(v)));
	}
	json_t *ev = json_object();
	bool ctr = strcmp(type, "container") == 0;
	if (ctr || strcmp(type, "image") == 0) {
		json_object_set_new(ev, "status", json_string(action));
		json_object_set_new(ev, "id", json_string(id));
	}
	if (ctr && json_object_get(a, "image"))
		json_object_set(ev, "from", json_object_get(a, "image"));
	int64_t t = now_ns();
	json_object_set_new(ev, "Type", json_string(type));
	json_object_set_new(ev, "Action", json_string(action));
	json_object_set_new(ev, "Actor", json_pack("{s:s, s:o}", "ID", id, "Attributes", a));
	json_object_set_new(ev, "scope", json_string("local"));
	json_object_set_new(ev, "time", json_integer(t / 1000000000));
	json_object_set_new(ev, "timeNano", json_integer(t));
	char *line = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!line)
		abort();
	return line;
}

/* Moves a full journal aside; fd is reopened on the new one. */
static int rotate(int dfd, int *fd, size_t add, struct bld_error **err)
{
	struct stat st;
	if (fstat(*fd, &st) < 0)
		return bld_error_sys(err, errno, "stat events journal");
	if (st.st_size + (off_t)add <= BLD_CACHE_EVENTS_MAX)
		return 0;
	if (renameat(dfd, JOURNAL, dfd, JOURNAL_OLD) < 0)
		return bld_error_sys(err, errno, "rotate events journal");
	close(*fd);
	*fd = openat(dfd, JOURNAL, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	return *fd < 0 ? bld_error_sys(err, errno, "open events journal") : 0;
}

int bld_cache_event_append(const char *root, const char *type, const char *action,
			   const char *id, char *const *attrs, struct bld_error **err)
{
	cleanup_close int dfd = events_dir(root, err);
	if (dfd < 0)
		return dfd;
	cleanup_close int lk = lock_journal(dfd, err);
	if (lk < 0)
		return lk;
	cleanup_free char *line = record(type, action, id, attrs, 0);
	if (strlen(line) + 1 > BLD_CACHE_EVENT_MAX) {
		free(line);
		line = record(type, action, id, attrs, ATTR_SHORT);
	}
	size_t n = strlen(line);
	if (n + 1 > BLD_CACHE_EVENT_MAX)
		return bld_error_set(err, BLD_E_INVALID, "event %s %s: record too long", type, action);
	line[n] = '\n'; /* the NUL goes: one write of n + 1 bytes, below */
	cleanup_close int fd = openat(dfd, JOURNAL, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return bld_error_sys(err, errno, "open events journal");
	int r = rotate(dfd, &fd, n + 1, err);
	if (r < 0)
		return r;
	ssize_t w = write(fd, line, n + 1);
	if (w != (ssize_t)(n + 1))
		return bld_error_sys(err, w < 0 ? errno : EIO, "write events journal");
	return 0;
}

/* ------------------------------------------------------------------ reading */

#define READ_CHUNK ((size_t)64 << 10)

struct reader {
	bld_cache_event_fn fn;
	void *payload;
	int64_t since, until;
	int out; /* where fn writes (watched for its reader going), -1 */
	char *buf;  /* READ_CHUNK + BLD_CACHE_EVENT_MAX bytes */
	size_t len; /* of the start of a line still being written, then what was read */
};

/* One line; 1 when the read ends (fn asked for it, or until has passed). */
static int feed_line(struct reader *r, const char *line, size_t n)
{
	json_t *ev = json_loadb(line, n, 0, NULL);
	if (!ev)
		return 0; /* a torn line (a writer crashed mid-write) is skipped */
	int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
	int stop = 0;
	if (r->until && t > r->until)
		stop = 1;
	else if (t >= r->since)
		stop = r->fn(ev, r->payload) != 0;
	json_decref(ev);
	return stop;
}

/* Feeds the complete lines in the buffer and keeps the rest; 1 when the read ends. */
static int feed_lines(struct reader *r)
{
	size_t off = 0;
	char *nl;
	while (off < r->len && (nl = memchr(r->buf + off, '\n', r->len - off))) {
		if (feed_line(r, r->buf + off, (size_t)(nl - r->buf - off)))
			return 1;
		off = (size_t)(nl - r->buf) + 1;
	}
	r->len -= off;
	memmove(r->buf, r->buf + off, r->len);
	if (r->len >= BLD_CACHE_EVENT_MAX) /* no record is that long: garbage */
		r->len = 0;
	return 0;
}

/* Reads fd to its end: 0, 1 when the read ends, < 0 on error. */
static int drain(struct reader *r, int fd, struct bld_error **err)
{
	for (;;) {
		ssize_t n = read(fd, r->buf + r->len, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bld_error_sys(err, errno, "read events journal");
		if (n == 0)
			return 0;
		r->len += (size_t)n;
		if (feed_lines(r))
			return 1;
	}
}

/* The older generation, then the current journal, from their start; *fd stays on the latter. */
static int read_past(struct reader *r, int dfd, int *fd, struct bld_error **err)
{
	cleanup_close int old = openat(dfd, JOURNAL_OLD, O_RDONLY | O_CLOEXEC);
	int s = old >= 0 ? drain(r, old, err) : 0;
	r->len = 0; /* a rotated journal is complete: nothing of it continues */
	if (s != 0 || *fd < 0)
		return s;
	return drain(r, *fd, err);
}

/* Whether the path now names another file than fd (the journal was rotated). */
static bool rotated(int dfd, int fd)
{
	struct stat a, b;
	if (fstatat(dfd, JOURNAL, &a, 0) < 0)
		return false;
	return fd < 0 || fstat(fd, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/* Waits for the directory to change, at most until r->until; 1 when until has passed or the
 * output has lost its reader. */
static int wait_change(struct reader *r, int ino)
{
	int timeout = -1;
	if (r->until) {
		int64_t left = (r->until - now_ns()) / 1000000 + 1;
		if (left <= 0)
			return 1;
		timeout = left > 3600000 ? 3600000 : (int)left;
	}
	struct pollfd p[2] = {{.fd = ino, .events = POLLIN}, {.fd = r->out, .events = 0}};
	if (poll(p, r->out >= 0 ? 2 : 1, timeout) > 0) {
		char buf[4096];
		while (read(ino, buf, sizeof(buf)) > 0)
			;
	}
	return (p[1].revents & (POLLERR | POLLHUP)) ? 1 : 0;
}

static int follow(struct reader *r, int dfd, int ino, int *fd, struct bld_error **err)
{
	for (;;) {
		int s = *fd >= 0 ? drain(r, *fd, err) : 0;
		if (s != 0)
			return s;
		if (rotated(dfd, *fd)) {
			if (*fd >= 0 && (s = drain(r, *fd, err)) != 0)
				return s;
			if (*fd >= 0)
				close(*fd);
			r->len = 0;
			*fd = openat(dfd, JOURNAL, O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (wait_change(r, ino))
			return 1;
	}
}

int bld_cache_event_read(const char *root, int64_t since_ns, int64_t until_ns, int follow_fd,
			 bld_cache_event_fn fn, void *payload, struct bld_error **err)
{
	bool follow_on = follow_fd >= 0;
	cleanup_free char *buf = xmalloc(READ_CHUNK + BLD_CACHE_EVENT_MAX);
	struct reader r = {.fn = fn, .payload = payload, .since = since_ns, .until = until_ns,
			   .out = follow_fd, .buf = buf};
	cleanup_close int dfd = events_dir(root, err);
	if (dfd < 0)
		return dfd;
	cleanup_close int ino = -1;
	if (follow_on) {
		/* watched before the first read, so that nothing written meanwhile is missed */
		cleanup_free char *dir = bld_path_join(root, "events");
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ino < 0 || inotify_add_watch(ino, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
			return bld_error_sys(err, errno, "watch %s", dir);
	}
	cleanup_close int fd = openat(dfd, JOURNAL, O_RDONLY | O_CLOEXEC);
	int s = 0;
	if (since_ns || until_ns)
		s = read_past(&r, dfd, &fd, err);
	else if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	if (s == 0 && follow_on && !(until_ns && until_ns <= now_ns()))
		s = follow(&r, dfd, ino, &fd, err);
	return s < 0 ? s : 0;
}

void bld_cache_image_event(struct bld_store *s, const char *action, const char *id,
			 const char *name)
{
	cleanup_strv char **attrs = NULL;
	struct bld_cache_image *img = NULL;
	if (bld_cache_image_load(s, id, &img, NULL) == 0) {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(json_object_get(img->config, "config"), "Labels"),
				    k, v)
		{
			cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
			bld_strv_push(&attrs, kv);
		}
		bld_cache_image_free(img);
	}
	cleanup_free char *nm = xasprintf("name=%s", name);
	bld_strv_push(&attrs, nm);
	bld_cache_event_append(bld_cache_store_root(s), "image", action, id, attrs, NULL);
}

/* ------------------------------------------------------------------ filters */

static const char *const filter_keys[] = {"container", "event", "image", "label", "type",
	"volume", "network", "daemon", "plugin", "node", "service", "secret", "config", "scope"};

/* docker's filters.ExactMatch / FuzzyMatch (a prefix matches too) for any of the values. */
static bool match(char *const *vals, const char *s, bool fuzzy)
{
	for (size_t i = 0; s && vals && vals[i]; i++)
		if (strcmp(vals[i], s) == 0 || (fuzzy && bld_str_has_prefix(s, vals[i])))
			return true;
	return false;
}

/* "busybox:latest" -> "busybox" (a port's colon stays); caller frees. */
static char *strip_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	if (colon && (!slash || colon > slash))
		return xstrndup(ref, (size_t)(colon - ref));
	return xstrdup(ref);
}

static bool match_key(char *const *f, const char *key, const json_t *ev)
{
	cleanup_strv char **v = bld_strv_values(f, key);
	if (!v)
		return true;
	const json_t *actor = json_object_get(ev, "Actor");
	const json_t *attrs = json_object_get(actor, "Attributes");
	const char *id = bld_json_get_str(actor, "ID"), *type = bld_json_get_str(ev, "Type");
	const char *action = bld_json_get_str(ev, "Action");
	if (!strcmp(key, "type"))
		return match(v, type, false);
	if (!strcmp(key, "scope"))
		return match(v, bld_json_get_str(ev, "scope"), false);
	if (!strcmp(key, "event")) {
		/* docker: "health_status", "exec_create", "exec_start" match as prefixes */
		bool fuzzy = match(v, "health_status", false) || match(v, "exec_create", false) ||
			     match(v, "exec_start", false);
		return match(v, action, fuzzy);
	}
	if (!strcmp(key, "image")) {
		const char *n = bld_json_get_str(attrs, strcmp(type, "image") ? "image" : "name");
		cleanup_free char *si = id ? strip_tag(id) : NULL, *sn = n ? strip_tag(n) : NULL;
		return match(v, id, false) || match(v, n, false) || match(v, si, false) ||
		       match(v, sn, false);
	}
	/* container, volume, network, ...: the actor's ID or name, as a prefix too */
	return match(v, id, true) || match(v, bld_json_get_str(attrs, "name"), true);
}

/* label=K or label=K=V: every one given must match the actor's attributes. */
static bool match_labels(char *const *f, const json_t *ev)
{
	cleanup_strv char **v = bld_strv_values(f, "label");
	const json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	for (size_t i = 0; v && v[i]; i++) {
		size_t k = strcspn(v[i], "=");
		cleanup_free char *key = xstrndup(v[i], k);
		const char *have = bld_json_get_str(attrs, key);
		if (!have || (v[i][k] && strcmp(have, v[i] + k + 1)))
			return false;
	}
	return true;
}

bool bld_cache_event_match(const json_t *ev, char *const *f)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(filter_keys); i++)
		if (strcmp(filter_keys[i], "label") && !match_key(f, filter_keys[i], ev))
			return false;
	return match_labels(f, ev);
}
