/*
 * runner/cgroup.c — cgroups for sandboxes on cgroup v1, v2 and hybrid hosts: one leaf per
 * container, limits (-m, --cpus, --pids-limit, --memory-swap, --memory-reservation,
 * --oom-kill-disable, --cpu-shares, --cpuset-*, --blkio-weight), docker's device rules (every
 * node may be made, only docker's few and those of --device and --device-cgroup-rule opened:
 * without them CAP_MKNOD opens the host's disks; on v2 an eBPF program, devfilter.c), the
 * OOM-kill counter, and removal that first kills whatever is still inside.
 *
 * Layout: on v1 (and on hybrid hosts, whose controllers are v1) a leaf
 * "<own cgroup>/bld/<name>" in each of the memory, pids and devices hierarchies (devices not
 * for --privileged; cpu, cpuset and blkio when a setting needs them), nested under the
 * caller's own cgroup so that whoever accounts for the caller still does; --cgroup-parent P puts it at "/P/<name>" in
 * each hierarchy (and on v2) instead, as docker's cgroupfs driver does. On pure v2 the
 * leaf is "/sys/fs/cgroup/bld/<name>" (a cgroup with processes may not delegate
 * controllers, the root may). It never writes above those directories except to enable
 * controllers in cgroup.subtree_control on v2.
 */
#include "runner/runner_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#define CG_ROOT "/sys/fs/cgroup"

enum bld_runner_cgroup_mode bld_runner_cgroup_mode(void)
{
	static int mode = -1;
	if (mode < 0) {
		if (access(CG_ROOT "/cgroup.controllers", F_OK) == 0)
			mode = BLD_RUNNER_CG_V2;
		else if (access(CG_ROOT "/unified/cgroup.controllers", F_OK) == 0)
			mode = BLD_RUNNER_CG_HYBRID;
		else
			mode = BLD_RUNNER_CG_V1;
	}
	return (enum bld_runner_cgroup_mode)mode;
}

static int write_str(const char *dir, const char *file, const char *val)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, val, strlen(val));
	int e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

/* The caller's cgroup path in the v1 hierarchy holding ctrl, or with ctrl "" in the v2 one
 * (its "0::" line); "/" when not found. */
static char *own_path(const char *ctrl)
{
	cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *c = strchr(line, ':');
		char *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p = 0;
		if (!*ctrl && c == line + 1 && line[0] == '0' && !c[1])
			return xstrdup(p + 1);
		char *save = NULL;
		for (char *t = strtok_r(c + 1, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (strcmp(t, ctrl) == 0)
				return xstrdup(p + 1);
	}
	return xstrdup("/");
}

static int write_num(const char *dir, const char *file, int64_t n)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", (long long)n);
	return write_str(dir, file, v);
}

static int memory_v1(const char *dir, const struct bld_runner_spec *s)
{
	int r = 0;
	if (s->memory > 0) {
		r = write_num(dir, "memory.limit_in_bytes", s->memory);
		/* --memory-swap, else no swap beyond the limit, so that -m means what it says */
		if (r == 0)
			write_num(dir, "memory.memsw.limit_in_bytes",
				  s->memory_swap ? s->memory_swap : s->memory);
	}
	if (r == 0 && s->memory_reservation > 0)
		r = write_num(dir, "memory.soft_limit_in_bytes", s->memory_reservation);
	if (r == 0 && s->oom_kill_disable)
		r = write_str(dir, "memory.oom_control", "1");
	if (r == 0 && s->memory_swappiness >= 0)
		r = write_num(dir, "memory.swappiness", s->memory_swappiness);
	/* deprecated and refused by newer kernels, as docker warned at create */
	if (r == 0 && s->kernel_memory > 0 &&
	    write_num(dir, "memory.kmem.limit_in_bytes", s->kernel_memory) < 0)
		bld_debug("kernel memory limit not set");
	return r;
}

static int cpu_v1(const char *dir, const struct bld_runner_spec *s)
{
	int r = 0;
	if (s->cpu_milli > 0) {
		r = write_str(dir, "cpu.cfs_period_us", "100000");
		if (r == 0)
			r = write_num(dir, "cpu.cfs_quota_us", s->cpu_milli * 100);
	}
	if (r == 0 && s->cpu_period > 0)
		r = write_num(dir, "cpu.cfs_period_us", s->cpu_period);
	if (r == 0 && s->cpu_quota != 0)
		r = write_num(dir, "cpu.cfs_quota_us", s->cpu_quota);
	if (r == 0 && s->cpu_shares > 0)
		r = write_num(dir, "cpu.shares", s->cpu_shares);
	if (r == 0 && s->cpu_rt_period > 0)
		r = write_num(dir, "cpu.rt_period_us", s->cpu_rt_period);
	if (r == 0 && s->cpu_rt_runtime != 0)
		r = write_num(dir, "cpu.rt_runtime_us", s->cpu_rt_runtime);
	return r;
}

/* "read_bps 8:0 1048576" into blkio.throttle.read_bps_device. */
static int throttle_v1(const char *dir, const struct bld_runner_spec *s)
{
	for (size_t i = 0; s->blkio_throttle && s->blkio_throttle[i]; i++) {
		const char *t = s->blkio_throttle[i];
		const char *sp = strchr(t, ' ');
		cleanup_free char *file = xasprintf("blkio.throttle.%.*s_device", (int)(sp - t), t);
		int r = write_str(dir, file, sp + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A new v1 cpuset cgroup starts with no CPUs and no memory nodes, and takes no process
 * then: each level below the hierarchy's root that has none gets its parent's. */
static int cpuset_fill(const char *mnt, const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	size_t len = strlen(dir);
	for (size_t at = strlen(mnt); at < len;) {
		const char *slash = strchr(dir + at + 1, '/');
		size_t end = slash ? (size_t)(slash - dir) : len;
		cleanup_free char *level = xstrndup(dir, end);
		cleanup_free char *parent = xstrndup(dir, at);
		for (size_t i = 0; i < BLD_ARRAY_SIZE(files); i++) {
			char have[256] = "", want[256] = "";
			cleanup_free char *hp = xasprintf("%s/%s", level, files[i]);
			cleanup_free char *pp = xasprintf("%s/%s", parent, files[i]);
			cleanup_fclose FILE *h = fopen(hp, "re");
			cleanup_fclose FILE *q = fopen(pp, "re");
			if (h && fgets(have, sizeof(have), h) && have[0] != '\n')
				continue;
			if (!q || !fgets(want, sizeof(want), q))
				return -EINVAL;
			want[strcspn(want, "\n")] = 0;
			int r = write_str(level, files[i], want);
			if (r < 0)
				return r;
		}
		at = end;
	}
	return 0;
}

/* Docker's default device rules (its devices.list): every node may be made, these used. */
static const char *const default_devices[] = {
	"c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",    "c 1:8 rwm",
	"c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 10:200 rwm", "c 136:* rwm"};

/* What a container may use: docker's rules, --device-cgroup-rule's and --device's. */
static char **device_allows(const struct bld_runner_spec *s)
{
	char **v = NULL;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(default_devices); i++)
		bld_strv_push(&v, default_devices[i]);
	for (size_t i = 0; s->device_rules && s->device_rules[i]; i++)
		bld_strv_push(&v, s->device_rules[i]);
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct bld_runner_device *d = &s->devices[i];
		cleanup_free char *rule = xasprintf("%c %u:%u %s", d->type, d->major, d->minor,
						    d->perms);
		bld_strv_push(&v, rule);
	}
	return v;
}

static int devices_v1(const char *dir, const struct bld_runner_spec *s)
{
	cleanup_strv char **allow = device_allows(s);
	int r = write_str(dir, "devices.deny", "a");
	for (size_t i = 0; r == 0 && allow[i]; i++)
		r = write_str(dir, "devices.allow", allow[i]);
	return r;
}

/* v2 has no devices controller: the same rules as an eBPF program on the cgroup. */
static int devices_v2(const char *dir, const struct bld_runner_spec *s, struct bld_error **err)
{
	if (s->privileged)
		return 0;
	cleanup_strv char **allow = device_allows(s);
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	return bld_runner_devfilter_attach(fd, allow, err);
}

static int set_limits_v1(const char *ctrl, const char *mnt, const char *dir,
			 const struct bld_runner_spec *s)
{
	int r = 0;
	if (strcmp(ctrl, "memory") == 0) {
		r = memory_v1(dir, s);
	} else if (strcmp(ctrl, "pids") == 0 && s->pids_limit > 0) {
		r = write_num(dir, "pids.max", s->pids_limit);
	} else if (strcmp(ctrl, "cpu") == 0) {
		r = cpu_v1(dir, s);
	} else if (strcmp(ctrl, "cpuset") == 0) {
		r = cpuset_fill(mnt, dir);
		if (r == 0 && s->cpuset_cpus)
			r = write_str(dir, "cpuset.cpus", s->cpuset_cpus);
		if (r == 0 && s->cpuset_mems)
			r = write_str(dir, "cpuset.mems", s->cpuset_mems);
	} else if (strcmp(ctrl, "blkio") == 0) {
		r = s->blkio_weight > 0 ? write_num(dir, "blkio.weight", s->blkio_weight) : 0;
		if (r == 0)
			r = throttle_v1(dir, s);
	} else if (strcmp(ctrl, "devices") == 0) {
		r = devices_v1(dir, s);
	}
	return r;
}

/* The leaf in hierarchy mnt: under --cgroup-parent, else under the caller's own cgroup. */
static char *leaf_v1(const char *mnt, const char *ctrl, const struct bld_runner_spec *s)
{
	if (s->cgroup_parent)
		return xasprintf("%s/%s/%s", mnt, s->cgroup_parent + (s->cgroup_parent[0] == '/'),
				 s->cgroup_name);
	cleanup_free char *own = own_path(ctrl);
	return xasprintf("%s%s/bld/%s", mnt, strcmp(own, "/") ? own : "", s->cgroup_name);
}

static int create_v1(struct bld_runner_proc *p, const struct bld_runner_spec *s,
		     struct bld_error **err)
{
	/* memory and pids always (the OOM counter, pids of exec); freezer: for pause, which the
	 * v1 hierarchies give only through it; cpuacct: the CPU time stats reports (where cpu
	 * and cpuacct share a hierarchy, the same directory); devices unless privileged, and
	 * where the hierarchy is missing only when rules were asked for; the others when a
	 * setting needs them */
	static const char *const ctrls[] = {"memory", "pids",   "freezer", "cpuacct",
					    "cpu",    "cpuset", "blkio",   "devices"};
	bool wanted[] = {s->memory > 0,
			 s->pids_limit > 0,
			 false,
			 false,
			 s->cpu_milli > 0 || s->cpu_shares > 0 || s->cpu_period > 0 ||
				 s->cpu_quota != 0 || s->cpu_rt_period > 0 || s->cpu_rt_runtime != 0,
			 s->cpuset_cpus || s->cpuset_mems,
			 s->blkio_weight > 0 || s->blkio_throttle,
			 s->device_rules != NULL};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ctrls); i++) {
		cleanup_free char *mnt = xasprintf(CG_ROOT "/%s", ctrls[i]);
		bool devices = strcmp(ctrls[i], "devices") == 0;
		bool made = i < 4 || wanted[i] || (devices && !s->privileged);
		if (!made)
			continue;
		if (access(mnt, F_OK) < 0) {
			if (wanted[i])
				return bld_error_set(err, BLD_E_UNSUPPORTED,
						     "the %s cgroup controller is not available here",
						     ctrls[i]);
			continue;
		}
		cleanup_free char *dir = leaf_v1(mnt, ctrls[i], s);
		if (bld_fs_mkdir_p(dir, 0755, err) < 0)
			return bld_error_wrap(err, "cgroup");
		bld_strv_push(&p->cgroups, dir);
		int r = set_limits_v1(ctrls[i], mnt, dir, s);
		if (r < 0)
			return bld_error_sys(err, -r, "cgroup %s limit", ctrls[i]);
		if (strcmp(ctrls[i], "memory") == 0)
			p->oom_file = xasprintf("%s/memory.oom_control", dir);
	}
	return 0;
}

/* Whether the v2 hierarchy offers ctrl (on hybrid hosts mounted as v2 in a private
 * namespace, the controllers bound to v1 hierarchies are missing). */
static bool v2_has(const char *ctrl)
{
	char buf[512] = "";
	cleanup_close int fd = open(CG_ROOT "/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return false;
	buf[n] = 0;
	size_t len = strlen(ctrl);
	for (char *p = buf; (p = strstr(p, ctrl)); p += len)
		if ((p == buf || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\n' || !p[len]))
			return true;
	return false;
}

/* The controllers a limit needs, delegated one by one (a write naming one that is not
 * there would fail for all) at every level above the leaf: a clear error when a limit's
 * controller is missing. */
static int enable_v2(const struct bld_runner_spec *s, const char *leaf, struct bld_error **err)
{
	static const char *const ctrls[] = {"memory", "pids", "cpu", "cpuset", "io"};
	bool wanted[] = {s->memory > 0 || s->memory_reservation > 0, s->pids_limit > 0,
			 s->cpu_milli > 0 || s->cpu_shares > 0 || s->cpu_period > 0 ||
				 s->cpu_quota != 0,
			 s->cpuset_cpus || s->cpuset_mems, s->blkio_weight > 0 || s->blkio_throttle};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ctrls); i++) {
		if (!v2_has(ctrls[i])) {
			if (wanted[i])
				return bld_error_set(err, BLD_E_UNSUPPORTED,
						     "the %s cgroup controller is not available here",
						     ctrls[i]);
			continue;
		}
		if (i >= 3 && !wanted[i])
			continue;
		char v[16];
		snprintf(v, sizeof(v), "+%s", ctrls[i]);
		/* every level from the root down to the leaf's parent */
		for (size_t at = strlen(CG_ROOT);;) {
			cleanup_free char *level = xstrndup(leaf, at);
			write_str(level, "cgroup.subtree_control", v);
			const char *slash = strchr(leaf + at + 1, '/');
			if (!slash)
				break;
			at = (size_t)(slash - leaf);
		}
	}
	return 0;
}

/* runc's conversion of cpu.shares (2..262144) to cpu.weight (1..10000). */
static int64_t shares_to_weight(int64_t shares)
{
	return shares <= 0 ? 0 : 1 + ((shares - 2) * 9999) / 262142;
}

static int limits_v2(const char *dir, const struct bld_runner_spec *s)
{
	int r = 0;
	char v[64];
	if (s->memory > 0) {
		r = write_num(dir, "memory.max", s->memory);
		if (s->memory_swap > 0)
			write_num(dir, "memory.swap.max", s->memory_swap - s->memory);
		else
			write_str(dir, "memory.swap.max", s->memory_swap < 0 ? "max" : "0");
	}
	if (r == 0 && s->memory_reservation > 0)
		r = write_num(dir, "memory.low", s->memory_reservation);
	if (r == 0 && s->pids_limit > 0)
		r = write_num(dir, "pids.max", s->pids_limit);
	if (r == 0 && s->cpu_milli > 0) {
		snprintf(v, sizeof(v), "%lld 100000", (long long)s->cpu_milli * 100);
		r = write_str(dir, "cpu.max", v);
	} else if (r == 0 && (s->cpu_quota != 0 || s->cpu_period > 0)) {
		char q[24] = "max";
		if (s->cpu_quota > 0)
			snprintf(q, sizeof(q), "%lld", (long long)s->cpu_quota);
		snprintf(v, sizeof(v), "%s %lld", q,
			 (long long)(s->cpu_period > 0 ? s->cpu_period : 100000));
		r = write_str(dir, "cpu.max", v);
	}
	if (r == 0 && s->cpu_shares > 0)
		r = write_num(dir, "cpu.weight", shares_to_weight(s->cpu_shares));
	if (r == 0 && s->cpuset_cpus)
		r = write_str(dir, "cpuset.cpus", s->cpuset_cpus);
	if (r == 0 && s->cpuset_mems)
		r = write_str(dir, "cpuset.mems", s->cpuset_mems);
	if (r == 0 && s->blkio_weight > 0) {
		snprintf(v, sizeof(v), "default %lld", (long long)s->blkio_weight);
		r = write_str(dir, "io.weight", v);
	}
	/* "read_bps 8:0 N" -> io.max "8:0 rbps=N" */
	static const char *const keys[][2] = {{"read_bps", "rbps"}, {"write_bps", "wbps"},
					      {"read_iops", "riops"}, {"write_iops", "wiops"}};
	for (size_t i = 0; r == 0 && s->blkio_throttle && s->blkio_throttle[i]; i++) {
		const char *t = s->blkio_throttle[i], *sp = strchr(t, ' ');
		const char *num = strchr(sp + 1, ' ');
		for (size_t k = 0; k < BLD_ARRAY_SIZE(keys); k++)
			if ((size_t)(sp - t) == strlen(keys[k][0]) && !strncmp(t, keys[k][0], sp - t)) {
				snprintf(v, sizeof(v), "%.*s %s=%s", (int)(num - sp - 1), sp + 1,
					 keys[k][1], num + 1);
				r = write_str(dir, "io.max", v);
			}
	}
	return r;
}

static int create_v2(struct bld_runner_proc *p, const struct bld_runner_spec *s,
		     struct bld_error **err)
{
	cleanup_free char *dir =
		s->cgroup_parent ? xasprintf(CG_ROOT "/%s/%s", s->cgroup_parent +
						   (s->cgroup_parent[0] == '/'), s->cgroup_name)
				 : xasprintf(CG_ROOT "/bld/%s", s->cgroup_name);
	if (bld_fs_mkdir_p(dir, 0755, err) < 0)
		return bld_error_wrap(err, "cgroup");
	bld_strv_push(&p->cgroups, dir);
	if (enable_v2(s, dir, err) < 0)
		return -1;
	int r = limits_v2(dir, s);
	if (r < 0)
		return bld_error_sys(err, -r, "cgroup limits");
	if (devices_v2(dir, s, err) < 0)
		return bld_error_wrap(err, "cgroup");
	p->oom_file = xasprintf("%s/memory.events", dir);
	return 0;
}

/* Leaves of build steps in dir whose process is gone (a build killed with -9): the next
 * step's creation takes them out; one that still holds a process stays. */
static void sweep_steps(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (!bld_str_has_prefix(n, BLD_RUNNER_STEP_CGROUP))
			continue;
		n += strlen(BLD_RUNNER_STEP_CGROUP);
		cleanup_free char *num = xstrndup(n, strcspn(n, "-"));
		long pid;
		if (bld_parse_long(num, 1, INT_MAX, &pid) < 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		cleanup_free char *leaf = xasprintf("%s/%s", dir, e->d_name);
		(void)rmdir(leaf);
	}
	closedir(d);
}

/* Where build steps' leaves go: "<own cgroup>/bld" in the devices hierarchy on v1, in the one
 * hierarchy on v2; NULL when there is no such hierarchy. */
static char *steps_dir(bool v2)
{
	const char *mnt = v2 ? CG_ROOT : CG_ROOT "/devices";
	if (access(mnt, F_OK) < 0)
		return NULL;
	cleanup_free char *own = own_path(v2 ? "" : "devices");
	return xasprintf("%s%s/bld", mnt, strcmp(own, "/") ? own : "");
}

/* A build step's cgroup: docker's device rules, which BuildKit's steps have too, and nothing
 * else (they have no limits): a leaf under the caller's own cgroup (steps_dir; on v2 a child
 * without controllers may hold processes), so that whatever limits the caller limits its
 * steps too. */
static int create_step(struct bld_runner_proc *p, const struct bld_runner_spec *s,
		       struct bld_error **err)
{
	bool v2 = bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2;
	cleanup_free char *parent = steps_dir(v2);
	if (!parent)
		return 0;
	sweep_steps(parent);
	cleanup_free char *dir = xasprintf("%s/%s", parent, s->cgroup_name);
	if (bld_fs_mkdir_p(dir, 0755, err) < 0)
		return bld_error_wrap(err, "cgroup");
	bld_strv_push(&p->cgroups, dir);
	if (v2)
		return devices_v2(dir, s, err) < 0 ? bld_error_wrap(err, "cgroup") : 0;
	int r = devices_v1(dir, s);
	return r < 0 ? bld_error_sys(err, -r, "cgroup devices limit") : 0;
}

void bld_runner_cgroup_sweep_steps(void)
{
	if (bld_rootless())
		return;
	cleanup_free char *dir = steps_dir(bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2);
	if (dir)
		sweep_steps(dir);
}

/* Whether s asks for any resource limit. */
static bool any_limit(const struct bld_runner_spec *s)
{
	return s->memory > 0 || s->memory_reservation > 0 || s->pids_limit > 0 ||
	       s->cpu_milli > 0 || s->cpu_shares > 0 || s->cpu_period > 0 || s->cpu_quota != 0 ||
	       s->cpu_rt_period > 0 || s->cpu_rt_runtime != 0 || s->cpuset_cpus || s->cpuset_mems ||
	       s->blkio_weight > 0 || s->blkio_throttle || s->device_rules || s->cgroup_parent ||
	       s->memory_swap > 0 || s->oom_kill_disable || s->kernel_memory > 0 ||
	       s->memory_swappiness >= 0;
}

int bld_runner_cgroup_create(struct bld_runner_proc *p, const struct bld_runner_spec *s,
			     struct bld_error **err)
{
	if (!s->cgroup_name)
		return 0;
	if (s->build_step) /* rootless: its user namespace makes no device nodes */
		return bld_rootless() ? 0 : create_step(p, s, err);
	/* rootless: the cgroup tree is the host root's (no delegated subtree is used yet):
	 * containers run in the caller's cgroup, and limits are refused rather than ignored */
	if (bld_rootless())
		return any_limit(s) ? bld_error_set(err, BLD_E_UNSUPPORTED,
						    "resource limits need root: rootless bld has "
						    "no cgroup of its own to set them in")
				    : 0;
	if (bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2)
		return create_v2(p, s, err);
	return create_v1(p, s, err);
}

/* The leaf of controller ctrl among a container's v1 cgroups, or NULL. */
static const char *dir_v1(char *const *cgroups, const char *ctrl)
{
	cleanup_free char *prefix = xasprintf(CG_ROOT "/%s/", ctrl);
	for (size_t i = 0; cgroups && cgroups[i]; i++)
		if (bld_str_has_prefix(cgroups[i], prefix))
			return cgroups[i];
	return NULL;
}

static int update_v1(char *const *cgroups, const struct bld_runner_spec *s,
		     struct bld_error **err)
{
	static const char *const ctrls[] = {"memory", "pids", "cpu", "cpuset", "blkio"};
	bool wanted[] = {s->memory > 0 || s->memory_reservation > 0, s->pids_limit > 0,
			 s->cpu_milli > 0 || s->cpu_shares > 0 || s->cpu_period > 0 ||
				 s->cpu_quota != 0,
			 s->cpuset_cpus || s->cpuset_mems, s->blkio_weight > 0};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ctrls); i++) {
		const char *dir = dir_v1(cgroups, ctrls[i]);
		if (!wanted[i])
			continue;
		if (!dir)
			return bld_error_set(err, BLD_E_UNSUPPORTED,
					     "the container runs without a %s cgroup (it was created "
					     "without such a limit): restart it to apply one",
					     ctrls[i]);
		/* a higher limit than the swap limit is refused: the swap one first when raising */
		if (i == 0 && s->memory > 0)
			write_num(dir, "memory.memsw.limit_in_bytes",
				  s->memory_swap ? s->memory_swap : s->memory);
		cleanup_free char *mnt = xasprintf(CG_ROOT "/%s", ctrls[i]);
		int r = set_limits_v1(ctrls[i], mnt, dir, s);
		if (r < 0)
			return bld_error_sys(err, -r, "cgroup %s limit", ctrls[i]);
	}
	return 0;
}

int bld_runner_cgroup_update(char *const *cgroups, const struct bld_runner_spec *s,
			     struct bld_error **err)
{
	if (bld_runner_cgroup_mode() != BLD_RUNNER_CG_V2)
		return update_v1(cgroups, s, err);
	int r = cgroups && cgroups[0] ? limits_v2(cgroups[0], s) : 0;
	return r < 0 ? bld_error_sys(err, -r, "cgroup limits") : 0;
}

int bld_runner_cgroup_join(char *const *cgroups)
{
	/* on v1 the calling thread alone ("0" to "tasks"; the callers are single-threaded):
	 * a whole-process move takes the global threadgroup lock and waits for an RCU grace
	 * period (milliseconds), a move of the caller's own thread does not */
	const char *file = bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2 ? "cgroup.procs" : "tasks";
	for (size_t i = 0; cgroups && cgroups[i]; i++) {
		int r = write_str(cgroups[i], file, "0");
		if (r < 0)
			return r;
	}
	return 0;
}

uint64_t bld_runner_cgroup_oom_count(const char *file)
{
	cleanup_fclose FILE *f = file ? fopen(file, "re") : NULL;
	char line[256];
	unsigned long long n = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %llu", &n) == 1)
			return n;
	return 0;
}

static void kill_all(const char *dir)
{
	if (write_str(dir, "cgroup.kill", "1") == 0)
		return;
	cleanup_free char *p = xasprintf("%s/cgroup.procs", dir);
	cleanup_fclose FILE *f = fopen(p, "re");
	long pid;
	char line[32];
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (bld_parse_long(line, 1, 0x7fffffff, &pid) == 0)
			kill((pid_t)pid, SIGKILL);
	}
}

/* rmdir that waits a little for killed processes to leave the cgroup. */
static void remove_dir(const char *dir)
{
	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		kill_all(dir);
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	bld_warn("cannot remove cgroup %s: %s", dir, strerror(errno));
}

void bld_runner_cgroup_destroy(char **cgroups)
{
	/* frozen processes do not die of SIGKILL on v1: thaw first */
	bld_runner_cgroup_freeze(cgroups, false);
	for (size_t i = 0; cgroups && cgroups[i]; i++) {
		kill_all(cgroups[i]);
		remove_dir(cgroups[i]);
	}
}

/* Host path of the cgroup a /proc/<pid>/cgroup line names, or NULL when bld made none. */
static char *line_to_dir(char *line)
{
	char *c = strchr(line, ':');
	char *p = c ? strchr(c + 1, ':') : NULL;
	if (!p || (!strstr(p + 1, "/bld/") && !strstr(p + 1, "/bld-")))
		return NULL;
	*p = 0;
	const char *ctrls = c + 1;
	if (!*ctrls)
		return bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2 ? xasprintf(CG_ROOT "%s", p + 1)
								   : NULL;
	if (strcmp(ctrls, "memory") && strcmp(ctrls, "pids") && strcmp(ctrls, "freezer") &&
	    !strstr(ctrls, "cpu") && strcmp(ctrls, "blkio") && strcmp(ctrls, "devices"))
		return NULL;
	cleanup_free char *first = xstrndup(ctrls, strcspn(ctrls, ","));
	bool own_cpuacct = access(CG_ROOT "/cpuacct", F_OK) == 0;
	return xasprintf(CG_ROOT "/%s%s", strcmp(first, "cpuacct") || own_cpuacct ? first : "cpu",
			 p + 1);
}

char **bld_runner_cgroup_of(pid_t pid)
{
	char path[64], line[1024];
	char **out = NULL;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	cleanup_fclose FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		cleanup_free char *dir = line_to_dir(line);
		if (dir && access(dir, F_OK) == 0)
			bld_strv_push(&out, dir);
	}
	return out;
}

/* The directory whose freezer pauses the container: the v1 freezer leaf, else the v2
 * group. */
static const char *freezer_dir(char *const *cgroups, bool *v2)
{
	for (size_t i = 0; cgroups && cgroups[i]; i++)
		if (strstr(cgroups[i], CG_ROOT "/freezer/") == cgroups[i]) {
			*v2 = false;
			return cgroups[i];
		}
	*v2 = true;
	return bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2 && cgroups ? cgroups[0] : NULL;
}

/* Whether the freezer at dir has reached the state asked for. */
static bool freezer_settled(const char *dir, bool v2, bool freeze)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, v2 ? "cgroup.events" : "freezer.state");
	char buf[512] = "";
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n < 0)
		return false;
	buf[n] = 0;
	if (v2)
		return strstr(buf, freeze ? "frozen 1" : "frozen 0") != NULL;
	return strncmp(buf, freeze ? "FROZEN" : "THAWED", 6) == 0;
}

int bld_runner_cgroup_freeze(char *const *cgroups, bool freeze)
{
	bool v2 = false;
	const char *dir = freezer_dir(cgroups, &v2);
	if (!dir)
		return -ENOTSUP;
	int r = write_str(dir, v2 ? "cgroup.freeze" : "freezer.state",
			  v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED"));
	/* v1 passes through FREEZING while tasks stop; runc waits the same way */
	for (int i = 0; r == 0 && i < 1000 && !freezer_settled(dir, v2, freeze); i++) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
		if (!v2 && freeze && i % 100 == 99)
			write_str(dir, "freezer.state", "FROZEN");
	}
	return r;
}
