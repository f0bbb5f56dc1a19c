/*
 * runner/stats.c — what a running container uses, read where docker's daemon reads it: its
 * processes (the cgroup's cgroup.procs, for `bld top`) and `bld stats`' figures: CPU time
 * (cpuacct.usage on v1, cpu.stat usage_usec on v2), memory (usage without the inactive
 * page cache, as docker's CLI counts it, and the limit, the host's memory when none), PIDs
 * (pids.current), network bytes (the container's /proc/PID/net/dev, lo left out) and block
 * I/O (io.stat on v2; the processes' /proc/PID/io on v1, where bld makes no blkio cgroup).
 *
 * It only reads: the cgroups are found in state.json, as the monitor recorded them.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <time.h>

#define STAT_FILE_MAX 65536

static char *read_small(const char *dir, const char *name)
{
	cleanup_free char *p = name ? xasprintf("%s/%s", dir, name) : xstrdup(dir);
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct bld_buf b = BLD_BUF_INIT;
	char buf[4096];
	ssize_t n;
	while (b.len < STAT_FILE_MAX && (n = read(fd, buf, sizeof(buf))) > 0)
		bld_buf_add(&b, buf, (size_t)n);
	return bld_buf_detach(&b);
}

/* The number after "key " in a flat keyed file (memory.stat, cpu.stat), or 0. */
static uint64_t keyed(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, n) == 0 && l[n] == ' ')
			return strtoull(l + n + 1, NULL, 10);
	return 0;
}

static uint64_t number(const char *dir, const char *name)
{
	cleanup_free char *t = read_small(dir, name);
	return t ? strtoull(t, NULL, 10) : 0;
}

/* The container's cgroups and pid 1, when it runs. */
static int running_cgroups(struct bld_ctx *ctx, const char *id, char ***cgroups, pid_t *pid,
			   struct bld_error **err)
{
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load_live(ctx, id, NULL, &st, err) < 0)
		return -1;
	bool running = json_is_true(json_object_get(st, "Running"));
	*pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	*cgroups = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(st, "Cgroups"), i, v)
		bld_strv_push(cgroups, json_string_value(v));
	if (!running || !*cgroups)
		return bld_error_refuse(err, BLD_E_INVALID, "Container %s is not running", id);
	return 0;
}

/* The cgroup directory of one v1 controller among cgroups, else the v2 group, else NULL. */
static const char *cgroup_for(char *const *cgroups, const char *ctrl)
{
	cleanup_free char *want = xasprintf("/sys/fs/cgroup/%s/", ctrl);
	for (size_t i = 0; cgroups && cgroups[i]; i++)
		if (bld_str_has_prefix(cgroups[i], want))
			return cgroups[i];
	return bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2 && cgroups ? cgroups[0] : NULL;
}

int bld_runner_container_pids(struct bld_ctx *ctx, const char *id, pid_t **out, size_t *n,
			      struct bld_error **err)
{
	cleanup_strv char **cgs = NULL;
	pid_t pid1;
	if (running_cgroups(ctx, id, &cgs, &pid1, err) < 0)
		return -1;
	cleanup_free char *procs = read_small(cgs[0], "cgroup.procs");
	*out = NULL;
	*n = 0;
	for (char *l = procs; l && *l;) {
		long v;
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		if (bld_parse_long(l, 1, 0x7fffffff, &v) == 0) {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = (pid_t)v;
		}
		l = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* ------------------------------------------------------------------ stats */

static uint64_t host_memory(void)
{
	cleanup_free char *t = read_small("/proc/meminfo", NULL);
	const char *m = t ? strstr(t, "MemTotal:") : NULL;
	return m ? strtoull(m + strlen("MemTotal:"), NULL, 10) * 1024 : 0;
}

static void memory_v1(const char *dir, struct bld_runner_stats *s)
{
	cleanup_free char *st = read_small(dir, "memory.stat");
	uint64_t usage = number(dir, "memory.usage_in_bytes");
	uint64_t inactive = st ? keyed(st, "total_inactive_file") : 0;
	s->mem_usage = inactive < usage ? usage - inactive : usage;
	s->mem_limit = number(dir, "memory.limit_in_bytes");
}

static void memory_v2(const char *dir, struct bld_runner_stats *s)
{
	cleanup_free char *st = read_small(dir, "memory.stat");
	cleanup_free char *max = read_small(dir, "memory.max");
	uint64_t usage = number(dir, "memory.current");
	uint64_t inactive = st ? keyed(st, "inactive_file") : 0;
	s->mem_usage = inactive < usage ? usage - inactive : usage;
	s->mem_limit = max && strncmp(max, "max", 3) != 0 ? strtoull(max, NULL, 10) : 0;
}

/* Bytes received and sent on the container's interfaces but lo. */
static void network(pid_t pid, struct bld_runner_stats *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	cleanup_free char *t = read_small(path, NULL);
	for (char *l = t ? strchr(t, '\n') : NULL; l && (l = strchr(l + 1, '\n'));) {
		char name[64];
		unsigned long long f[9];
		if (sscanf(l + 1, " %63[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu", name,
			   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8]) == 10 &&
		    strcmp(name, "lo") != 0) {
			s->net_rx += f[0];
			s->net_tx += f[8];
		}
	}
}

static void block_v2(const char *dir, struct bld_runner_stats *s)
{
	cleanup_free char *t = read_small(dir, "io.stat");
	for (const char *p = t; p && (p = strstr(p, "rbytes=")); p++)
		s->blk_read += strtoull(p + strlen("rbytes="), NULL, 10);
	for (const char *p = t; p && (p = strstr(p, "wbytes=")); p++)
		s->blk_write += strtoull(p + strlen("wbytes="), NULL, 10);
}

static void block_procs(const pid_t *pids, size_t n, struct bld_runner_stats *s)
{
	for (size_t i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/io", (int)pids[i]);
		cleanup_free char *t = read_small(path, NULL);
		const char *r = t ? strstr(t, "\nread_bytes: ") : NULL;
		const char *w = t ? strstr(t, "\nwrite_bytes: ") : NULL;
		s->blk_read += r ? strtoull(r + strlen("\nread_bytes: "), NULL, 10) : 0;
		s->blk_write += w ? strtoull(w + strlen("\nwrite_bytes: "), NULL, 10) : 0;
	}
}

int bld_runner_container_stats(struct bld_ctx *ctx, const char *id, struct bld_runner_stats *s,
			       struct bld_error **err)
{
	memset(s, 0, sizeof(*s));
	cleanup_strv char **cgs = NULL;
	pid_t pid1;
	if (running_cgroups(ctx, id, &cgs, &pid1, err) < 0)
		return -1;
	bool v2 = bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2;
	const char *mem = cgroup_for(cgs, "memory"), *cpu = cgroup_for(cgs, "cpuacct");
	const char *pids = cgroup_for(cgs, "pids");
	cleanup_free char *cpustat = v2 && cpu ? read_small(cpu, "cpu.stat") : NULL;
	s->cpu_ns = v2 ? keyed(cpustat, "usage_usec") * 1000 : (cpu ? number(cpu, "cpuacct.usage") : 0);
	if (mem)
		(v2 ? memory_v2 : memory_v1)(mem, s);
	uint64_t host = host_memory();
	if (!s->mem_limit || s->mem_limit > host)
		s->mem_limit = host;
	s->pids = pids ? number(pids, "pids.current") : 0;
	network(pid1, s);
	if (v2) {
		block_v2(cgs[0], s);
	} else {
		cleanup_free pid_t *pv = NULL;
		size_t n = 0;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_pids(ctx, id, &pv, &n, &e) == 0)
			block_procs(pv, n, s);
		if (!s->pids)
			s->pids = n;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->read_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}
