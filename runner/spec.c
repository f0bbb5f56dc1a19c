/*
 * runner/spec.c — turns a container's config.json into a bld_runner_spec for the sandbox
 * (used by the monitor to start it and by exec to join it). The holder owns every string
 * the spec points at.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <sys/mount.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char **strv_from(json_t *arr)
{
	char **v = bld_json_to_strv(arr);
	if (!v)
		v = xcalloc(1, sizeof(char *));
	return v;
}

static char *dup_or_null(const char *s) { return s && *s ? xstrdup(s) : NULL; }

/* tmpfs options without the flags Docker reads itself (ro, rw). */
static char *tmpfs_data(const char *opts, bool *ro)
{
	struct bld_buf b = BLD_BUF_INIT;
	cleanup_free char *copy = xstrdup(opts ? opts : "");
	char *save = NULL;
	*ro = false;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ro") == 0)
			*ro = true;
		else if (strcmp(t, "rw") && strcmp(t, "noexec") && strcmp(t, "nosuid") &&
			 strcmp(t, "nodev") && strcmp(t, "exec"))
			bld_buf_printf(&b, "%s%s", b.len ? "," : "", t);
	}
	if (!strstr(bld_buf_str(&b), "mode="))
		bld_buf_printf(&b, "%smode=1777", b.len ? "," : "");
	return bld_buf_detach(&b);
}

/* --mount's bind-propagation as mount flags; the private ones are what every mount of the
 * container's namespace already is. */
static unsigned long propagation(const char *p)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} t[] = {{"shared", MS_SHARED},           {"rshared", MS_SHARED | MS_REC},
		 {"slave", MS_SLAVE},             {"rslave", MS_SLAVE | MS_REC}};
	for (size_t i = 0; p && i < BLD_ARRAY_SIZE(t); i++)
		if (strcmp(p, t[i].name) == 0)
			return t[i].flags;
	return 0;
}

static void mounts_from(struct bld_runner_spec_holder *h, json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t *m;
	h->mounts = xcalloc(n ? n : 1, sizeof(*h->mounts));
	json_array_foreach(arr, i, m) {
		struct bld_runner_mount *o = &h->mounts[i];
		const char *type = bld_json_get_str(m, "Type");
		bool tmpfs = type && strcmp(type, "tmpfs") == 0;
		o->type = xstrdup(tmpfs ? "tmpfs" : "bind");
		o->source = dup_or_null(bld_json_get_str(m, "Source"));
		o->target = xstrdup(bld_json_get_str(m, "Destination"));
		o->readonly = !json_is_true(json_object_get(m, "RW"));
		o->copy_up = type && strcmp(type, "volume") == 0 &&
			     json_is_true(json_object_get(m, "CopyData"));
		if (tmpfs)
			o->options = tmpfs_data(bld_json_get_str(m, "Options"), &o->readonly);
		o->propagation = propagation(bld_json_get_str(m, "Propagation"));
		o->nonrecursive = json_is_true(json_object_get(m, "NonRecursive"));
	}
	h->s.mounts = h->mounts;
	h->s.n_mounts = n;
}

/* HostConfig.Ulimits ({"Name", "Soft", "Hard"}) as setrlimit's resources. */
static void rlimits_from(struct bld_runner_spec_holder *h, json_t *arr)
{
	static const struct {
		const char *name;
		int res;
	} t[] = {{"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
		 {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK},
		 {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},
		 {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
		 {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
		 {"stack", RLIMIT_STACK}};
	size_t n = json_array_size(arr), i, k = 0;
	json_t *u;
	if (!n)
		return;
	h->rlimits = xcalloc(n, sizeof(*h->rlimits));
	json_array_foreach(arr, i, u) {
		const char *name = bld_json_get_str(u, "Name");
		for (size_t j = 0; name && j < BLD_ARRAY_SIZE(t); j++)
			if (strcmp(name, t[j].name) == 0)
				h->rlimits[k++] = (struct bld_runner_rlimit){
					.resource = t[j].res,
					.soft = (uint64_t)json_integer_value(json_object_get(u, "Soft")),
					.hard = (uint64_t)json_integer_value(json_object_get(u, "Hard"))};
	}
	h->s.rlimits = h->rlimits;
	h->s.n_rlimits = k;
}

/* The kernel settings and limits of HostConfig, when there are any. */
static void kernel_from(struct bld_runner_spec_holder *h, json_t *c, json_t *hc)
{
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(hc, "Sysctls"), key, v) {
		cleanup_free char *kv = xasprintf("%s=%s", key, json_string_value(v));
		bld_strv_push(&h->sysctls, kv);
	}
	h->s.sysctls = h->sysctls;
	rlimits_from(h, json_object_get(hc, "Ulimits"));
	h->s.shm_size = json_integer_value(json_object_get(hc, "ShmSize"));
	if (json_array_size(json_object_get(hc, "GroupAdd")))
		h->groups = strv_from(json_object_get(hc, "GroupAdd"));
	h->s.group_add = h->groups;
	h->domainname = dup_or_null(bld_json_get_str(c, "Domainname"));
	h->s.domainname = h->domainname;
}

/* HostConfig.Devices, with what the host's nodes are (stat here: the cgroup's rules are
 * written before the child runs). */
static void devices_from(struct bld_runner_spec_holder *h, json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t *d;
	if (!n)
		return;
	h->devices = xcalloc(n, sizeof(*h->devices));
	json_array_foreach(arr, i, d) {
		struct bld_runner_device *o = &h->devices[i];
		struct stat st;
		o->host_path = xstrdup(bld_json_get_str(d, "PathOnHost"));
		o->path = xstrdup(bld_json_get_str(d, "PathInContainer"));
		snprintf(o->perms, sizeof(o->perms), "%s", bld_json_get_str(d, "CgroupPermissions"));
		if (stat(o->host_path, &st) < 0) {
			o->errnum = errno;
			continue;
		}
		o->type = S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : 0;
		o->errnum = o->type ? 0 : ENODEV;
		o->major = major(st.st_rdev);
		o->minor = minor(st.st_rdev);
		o->mode = st.st_mode;
		o->uid = st.st_uid;
		o->gid = st.st_gid;
	}
	h->s.devices = h->devices;
	h->s.n_devices = n;
}

/* The namespaces of the host it shares (the container ones are joined at start). */
static void namespaces_from(struct bld_runner_spec *s, json_t *hc)
{
	const char *ipc = bld_json_get_str(hc, "IpcMode");
	s->pid_host = !strcmp(bld_json_get_str(hc, "PidMode") ?: "", "host");
	s->uts_host = !strcmp(bld_json_get_str(hc, "UTSMode") ?: "", "host");
	s->cgroupns_host = !strcmp(bld_json_get_str(hc, "CgroupnsMode") ?: "", "host");
	s->ipc_host = ipc && !strcmp(ipc, "host");
	s->ipc_none = ipc && !strcmp(ipc, "none");
}

/* HostConfig's block I/O throttles as "read_bps MAJ:MIN N" (the devices' numbers read here:
 * the cgroup is written before the child runs). */
static void throttles_from(struct bld_runner_spec_holder *h, json_t *hc)
{
	static const char *const lists[][2] = {{"BlkioDeviceReadBps", "read_bps"},
					       {"BlkioDeviceWriteBps", "write_bps"},
					       {"BlkioDeviceReadIOps", "read_iops"},
					       {"BlkioDeviceWriteIOps", "write_iops"}};
	for (size_t k = 0; k < BLD_ARRAY_SIZE(lists); k++) {
		size_t i;
		json_t *d;
		json_array_foreach(json_object_get(hc, lists[k][0]), i, d) {
			struct stat st;
			const char *p = bld_json_get_str(d, "Path");
			if (!p || stat(p, &st) < 0)
				continue;
			cleanup_free char *t = xasprintf(
				"%s %u:%u %lld", lists[k][1], major(st.st_rdev), minor(st.st_rdev),
				(long long)json_integer_value(json_object_get(d, "Rate")));
			bld_strv_push(&h->blkio_throttle, t);
		}
	}
	h->s.blkio_throttle = h->blkio_throttle;
}

/* The cgroup settings beyond the limits every container may have. */
static void cgroup_from(struct bld_runner_spec_holder *h, json_t *hc)
{
	struct bld_runner_spec *s = &h->s;
	s->cgroup_parent = h->cgroup_parent = dup_or_null(bld_json_get_str(hc, "CgroupParent"));
	s->memory_swap = json_integer_value(json_object_get(hc, "MemorySwap"));
	s->memory_reservation = json_integer_value(json_object_get(hc, "MemoryReservation"));
	s->oom_kill_disable = json_is_true(json_object_get(hc, "OomKillDisable"));
	s->cpu_shares = json_integer_value(json_object_get(hc, "CpuShares"));
	s->cpuset_cpus = h->cpuset_cpus = dup_or_null(bld_json_get_str(hc, "CpusetCpus"));
	s->cpuset_mems = h->cpuset_mems = dup_or_null(bld_json_get_str(hc, "CpusetMems"));
	s->blkio_weight = json_integer_value(json_object_get(hc, "BlkioWeight"));
	s->oom_score_adj = (int)json_integer_value(json_object_get(hc, "OomScoreAdj"));
	if (json_array_size(json_object_get(hc, "DeviceCgroupRules")))
		h->device_rules = strv_from(json_object_get(hc, "DeviceCgroupRules"));
	s->device_rules = h->device_rules;
	devices_from(h, json_object_get(hc, "Devices"));
	s->cpu_period = json_integer_value(json_object_get(hc, "CpuPeriod"));
	s->cpu_quota = json_integer_value(json_object_get(hc, "CpuQuota"));
	s->cpu_rt_period = json_integer_value(json_object_get(hc, "CpuRealtimePeriod"));
	s->cpu_rt_runtime = json_integer_value(json_object_get(hc, "CpuRealtimeRuntime"));
	json_t *sw = json_object_get(hc, "MemorySwappiness");
	s->memory_swappiness = json_is_integer(sw) ? json_integer_value(sw) : -1;
	s->kernel_memory = json_integer_value(json_object_get(hc, "KernelMemory"));
	throttles_from(h, hc);
}

static const char *effective(json_t *cfg, const char *key, const char *image_key)
{
	const char *v = bld_json_get_str(json_object_get(cfg, "Config"), key);
	return v && *v ? v : bld_json_get_str(cfg, image_key);
}

void bld_runner_spec_from_config(struct bld_runner_spec_holder *h, json_t *cfg, const char *dir)
{
	json_t *c = json_object_get(cfg, "Config"), *hc = json_object_get(cfg, "HostConfig");
	memset(h, 0, sizeof(*h));
	h->lowers = strv_from(json_object_get(cfg, "Lowers"));
	h->argv = NULL;
	bld_strv_push(&h->argv, bld_json_get_str(cfg, "Path") ? bld_json_get_str(cfg, "Path") : "");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(cfg, "Args"), i, a)
		bld_strv_push(&h->argv, json_string_value(a));
	h->env = strv_from(json_object_get(c, "Env"));
	h->cap_add = strv_from(json_object_get(hc, "CapAdd"));
	h->cap_drop = strv_from(json_object_get(hc, "CapDrop"));
	h->dir = xstrdup(dir);
	h->cwd = dup_or_null(effective(cfg, "WorkingDir", "ImageWorkingDir"));
	h->user = dup_or_null(effective(cfg, "User", "ImageUser"));
	h->hostname = dup_or_null(bld_json_get_str(c, "Hostname"));
	h->seccomp = dup_or_null(bld_json_get_str(hc, "Seccomp"));
	h->cgroup = xasprintf("bld-%.12s", bld_json_get_str(cfg, "Id"));
	/* $BLD_ROOT/containers/<id> -> $BLD_ROOT/runner */
	h->cache = xasprintf("%s/../../runner", dir);
	struct bld_runner_spec *s = &h->s;
	s->lowers = h->lowers;
	s->state_dir = h->dir;
	s->readonly_rootfs = json_is_true(json_object_get(hc, "ReadonlyRootfs"));
	s->ephemeral = json_is_true(json_object_get(hc, "AutoRemove"));
	s->argv = h->argv;
	s->env = h->env;
	s->cwd = h->cwd;
	s->user = h->user;
	s->hostname = h->hostname;
	s->init = json_is_true(json_object_get(hc, "Init"));
	s->tty = json_is_true(json_object_get(c, "Tty"));
	s->stdin_fd = s->stdout_fd = s->stderr_fd = -1;
	s->cap_add = h->cap_add;
	s->cap_drop = h->cap_drop;
	s->privileged = json_is_true(json_object_get(hc, "Privileged"));
	json_array_foreach(json_object_get(hc, "SecurityOpt"), i, a)
	{
		const char *so = json_string_value(a);
		/* docker's forms: no-new-privileges, no-new-privileges[:=]true (compose
		 * hands them over as written) */
		if (so && (strcmp(so, "no-new-privileges") == 0 ||
			   strcmp(so, "no-new-privileges:true") == 0 ||
			   strcmp(so, "no-new-privileges=true") == 0))
			s->no_new_privs = true;
	}
	s->seccomp = h->seccomp;
	s->cache_dir = h->cache;
	s->memory = json_integer_value(json_object_get(hc, "Memory"));
	s->cpu_milli = json_integer_value(json_object_get(hc, "NanoCpus")) / 1000000;
	s->pids_limit = json_integer_value(json_object_get(hc, "PidsLimit"));
	s->cgroup_name = h->cgroup;
	mounts_from(h, json_object_get(cfg, "Mounts"));
	kernel_from(h, c, hc);
	h->resolv = bld_runner_resolv_conf(hc, bld_runner_netcfg_user_networks(cfg));
	s->resolv_conf = h->resolv;
	cgroup_from(h, hc);
	namespaces_from(&h->s, hc);
	const char *net = bld_json_get_str(hc, "NetworkMode");
	s->net = net && strcmp(net, "host") == 0 ? BLD_RUNNER_NET_HOST : BLD_RUNNER_NET_NONE;
	s->net_fd = -1;
}

void bld_runner_spec_holder_dispose(struct bld_runner_spec_holder *h)
{
	bld_strv_free(h->lowers);
	bld_strv_free(h->argv);
	bld_strv_free(h->env);
	bld_strv_free(h->cap_add);
	bld_strv_free(h->cap_drop);
	bld_strv_free(h->extra_hosts);
	bld_strv_free(h->sysctls);
	bld_strv_free(h->groups);
	free(h->rlimits);
	free(h->domainname);
	free(h->cgroup_parent);
	free(h->cpuset_cpus);
	free(h->cpuset_mems);
	bld_strv_free(h->device_rules);
	bld_strv_free(h->blkio_throttle);
	for (size_t i = 0; i < h->s.n_devices; i++) {
		free(h->devices[i].host_path);
		free(h->devices[i].path);
	}
	free(h->devices);
	for (size_t i = 0; i < h->s.n_mounts; i++) {
		free(h->mounts[i].type);
		free(h->mounts[i].source);
		free(h->mounts[i].target);
		free(h->mounts[i].options);
	}
	free(h->mounts);
	free(h->dir);
	free(h->cwd);
	free(h->user);
	free(h->hostname);
	free(h->seccomp);
	free(h->cgroup);
	free(h->resolv);
	free(h->cache);
}

char *bld_runner_command_text(json_t *cfg)
{
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_adds(&b, bld_json_get_str(cfg, "Path") ? bld_json_get_str(cfg, "Path") : "");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(cfg, "Args"), i, a)
		bld_buf_printf(&b, " %s", json_string_value(a));
	return bld_buf_detach(&b);
}
