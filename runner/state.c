/*
 * runner/state.c — a container's state at rest and the way to its monitor: the directory
 * $BLD_ROOT/containers/<id>/ with config.json (what was asked, in docker inspect's shape) and
 * state.json (what happened), read and replaced whole; containers listed and found by id,
 * unique prefix or name; docker's time strings; and the monitor's socket (monitor.sock in that
 * directory): connect, send a line, read a reply, wait for the exit.
 *
 * Every file of runner/ may use it and it uses none of them. State files are replaced
 * atomically (rename) but not fsynced: a crash may lose the last state change of a container,
 * never corrupt it. Creating, renaming and removing containers are container.c's and
 * client.c's.
 */
#include "runner/runner_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#define STATE_MAX (1 << 20)

char *bld_runner_containers_dir(struct bld_ctx *ctx)
{
	return xasprintf("%s/containers", ctx->root);
}

char *bld_runner_container_dir(struct bld_ctx *ctx, const char *id)
{
	return xasprintf("%s/containers/%s", ctx->root, id);
}

int64_t bld_runner_container_size_rw(struct bld_ctx *ctx, const char *id)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_free char *upper = bld_path_join(dir, "upper");
	return bld_cache_du(AT_FDCWD, upper);
}

/* RFC 3339 with nanoseconds, UTC, as Docker writes times. */
void bld_runner_time_str(char out[40], const struct timespec *ts)
{
	struct tm tm;
	gmtime_r(&ts->tv_sec, &tm);
	char base[24];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%09ldZ", base, ts->tv_nsec);
}

void bld_runner_now_str(char out[40])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	bld_runner_time_str(out, &ts);
}

/* Parses what bld_runner_time_str writes (also without fraction); 0 on failure. */
double bld_runner_time_parse(const char *s)
{
	struct tm tm = {0};
	const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!rest)
		return 0;
	double t = (double)timegm(&tm);
	if (*rest == '.')
		t += strtod(rest, NULL);
	return t;
}

int bld_runner_json_write(const char *dir, const char *name, json_t *v, struct bld_error **err)
{
	cleanup_free char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	cleanup_free char *dst = xasprintf("%s/%s", dir, name);
	if (json_dump_file(v, tmp, JSON_COMPACT) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp); /* a disk that filled up keeps no half-written state */
		return bld_error_sys(err, e, "write %s", tmp);
	}
	if (rename(tmp, dst) < 0)
		return bld_error_sys(err, errno, "rename %s", dst);
	return 0;
}

int bld_runner_json_read(const char *dir, const char *name, json_t **out, struct bld_error **err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	return bld_json_load_file(out, p, STATE_MAX, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *bld_runner_json_sorted(json_t *o)
{
	cleanup_strv char **keys = NULL;
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
		bld_strv_push(&keys, key);
	size_t n = bld_strv_len(keys);
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_str);
	json_t *out = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(o, keys[i]));
	return out;
}

void bld_runner_sweep(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!bld_str_has_prefix(de->d_name, prefix))
			continue;
		cleanup_free char *p = xasprintf("%s/%s", dir, de->d_name);
		bld_fs_rm_rf(p, NULL);
	}
	if (d)
		closedir(d);
}

/* The start time of process pid (field 22 of its stat; 0: no such process, or a zombie
 * nobody has reaped yet), which tells a live monitor from a later process with its pid. */
unsigned long long bld_runner_proc_start(pid_t pid)
{
	cleanup_free char *path = xasprintf("/proc/%d/stat", (int)pid), *buf = NULL;
	cleanup_error struct bld_error *e = NULL;
	size_t len;
	if (bld_fs_read_file(path, 4096, &buf, &len, &e) < 0)
		return 0;
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || strchr("ZX", p[2]))
		return 0;
	for (int field = 2; p && *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return p ? strtoull(p, NULL, 10) : 0;
}

char **bld_runner_ids_in(const char *dir)
{
	DIR *d = opendir(dir);
	char **ids = NULL;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strlen(e->d_name) == 64 && e->d_name[0] != '.')
			bld_strv_push(&ids, e->d_name);
	if (d)
		closedir(d);
	return ids;
}

/* Every container id in the store (caller frees). */
char **bld_runner_container_ids(struct bld_ctx *ctx)
{
	cleanup_free char *dir = bld_runner_containers_dir(ctx);
	return bld_runner_ids_in(dir);
}

int bld_runner_container_load(struct bld_ctx *ctx, const char *id, json_t **cfg, json_t **state,
			      struct bld_error **err)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_json json_t *c = NULL;
	if (cfg && bld_runner_json_read(dir, "config.json", &c, err) < 0)
		return -1;
	if (state && bld_runner_json_read(dir, "state.json", state, err) < 0)
		return -1;
	if (cfg)
		*cfg = steal_pointer(&c);
	return 0;
}

int bld_runner_client_connect(struct bld_ctx *ctx, const char *id)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/monitor.sock", dfd);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(s);
		return -e;
	}
	return s;
}

bool bld_runner_container_tearing_down(struct bld_ctx *ctx, const char *id)
{
	cleanup_free char *top = bld_runner_containers_dir(ctx);
	cleanup_free char *cfg = xasprintf("%s/.rm-%s/config.json", top, id);
	return access(cfg, F_OK) == 0;
}

bool bld_runner_client_wait_fd_alive(struct bld_ctx *ctx, const char *id)
{
	int s = bld_runner_client_connect(ctx, id);
	if (s < 0)
		return false;
	close(s);
	return true;
}

int bld_runner_client_send(struct bld_ctx *ctx, const char *id, const char *line)
{
	int s = bld_runner_client_connect(ctx, id);
	if (s < 0)
		return s;
	if (send(s, line, strlen(line), MSG_NOSIGNAL) < 0) {
		int e = errno;
		close(s);
		return -e;
	}
	return s;
}

int bld_runner_client_readline(int s, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = 0;
	/* a byte at a time: the next reply may follow in the same segment */
	while (len < cap - 1 && (len == 0 || buf[len - 1] != '\n')) {
		ssize_t n = recv(s, buf + len, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
	}
	if (!len)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int bld_runner_client_wait_fd(struct bld_ctx *ctx, const char *id)
{
	int s = bld_runner_client_send(ctx, id, "wait\n");
	return s < 0 ? -1 : s;
}
