/*
 * runner/hostcfg.c — the HostConfig and Config fields of the Engine API that a caller gives
 * in the API's own shape (struct bld_runner_container_config's host_extra/config_extra): each
 * defaulted as docker shows it in inspect, merged, and checked as docker's daemon checks it at
 * create (a signal it knows, /dev/shm not negative, no network sysctl in the host's
 * namespace). And what the sandbox makes of some of them: resolv.conf from Dns, DnsSearch and
 * DnsOptions over the host's own.
 *
 * It does not mount or start anything: spec.c reads the fields, sandbox.c applies them.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <strings.h>
#include <unistd.h>

#define RESOLV_MAX (1 << 16)
#define SHM_DEFAULT (64 * 1024 * 1024)

/* o[key] = v unless o has key; takes the reference to v either way. */
static void set_default(json_t *o, const char *key, json_t *v)
{
	cleanup_json json_t *owned = v;
	if (!json_object_get(o, key))
		json_object_set_new(o, key, steal_pointer(&owned));
}

static void defaults(json_t *hc, json_t *cfg)
{
	set_default(hc, "Dns", json_array());
	set_default(hc, "DnsOptions", json_array());
	set_default(hc, "DnsSearch", json_array());
	set_default(hc, "ExtraHosts", json_null());
	set_default(hc, "GroupAdd", json_null());
	set_default(hc, "Ulimits", json_null());
	set_default(hc, "VolumesFrom", json_null());
	set_default(hc, "ContainerIDFile", json_string(""));
	set_default(hc, "ShmSize", json_integer(SHM_DEFAULT));
	set_default(cfg, "Domainname", json_string(""));
	static const char *const strs[][2] = {
		{"IpcMode", "private"}, {"PidMode", ""},      {"UTSMode", ""},
		{"CgroupnsMode", "private"}, {"UsernsMode", ""}, {"Isolation", ""},
		{"CgroupParent", ""},   {"CpusetCpus", ""},   {"CpusetMems", ""}};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(strs); i++)
		set_default(hc, strs[i][0], json_string(strs[i][1]));
	static const char *const ints[] = {"CpuShares", "MemoryReservation", "MemorySwap",
					   "OomScoreAdj", "BlkioWeight"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ints); i++)
		set_default(hc, ints[i], json_integer(0));
	set_default(hc, "OomKillDisable", json_false());
	static const char *const more_ints[] = {"CpuPeriod", "CpuQuota", "CpuRealtimePeriod",
						"CpuRealtimeRuntime", "KernelMemory"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(more_ints); i++)
		set_default(hc, more_ints[i], json_integer(0));
	set_default(hc, "BlkioWeightDevice", json_array());
	static const char *const lists[] = {"BlkioDeviceReadBps", "BlkioDeviceWriteBps",
					    "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(lists); i++)
		set_default(hc, lists[i], json_null());
	set_default(hc, "MemorySwappiness", json_null());
	set_default(hc, "VolumeDriver", json_string(""));
	set_default(hc, "Runtime", json_string("runc"));
	set_default(hc, "Devices", json_array());
	set_default(hc, "DeviceCgroupRules", json_null());
}

static json_int_t int_of(json_t *hc, const char *key)
{
	return json_integer_value(json_object_get(hc, key));
}

/* The namespace modes docker's daemon checks: IPC's words, no hostname of our own in the
 * host's UTS namespace, Linux's one isolation (that a container to share with exists is
 * container.c's to check). */
static int check_modes(json_t *hc, const struct bld_runner_container_config *c,
		       struct bld_error **err)
{
	const char *iso = bld_json_get_str(hc, "Isolation");
	if (iso && *iso && strcasecmp(iso, "default") != 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "Invalid isolation: \"%s\" - linux only supports 'default'", iso);
	const char *ipc = bld_json_get_str(hc, "IpcMode");
	static const char *const ipcs[] = {"", "none", "private", "shareable", "host"};
	bool ok = bld_str_has_prefix(ipc, "container:") && ipc[10];
	for (size_t i = 0; !ok && i < BLD_ARRAY_SIZE(ipcs); i++)
		ok = strcmp(ipc, ipcs[i]) == 0;
	if (!ok)
		return bld_error_set(err, BLD_E_INVALID, "Invalid IPC mode: %s", ipc);
	const char *uts = bld_json_get_str(hc, "UTSMode");
	if (c->hostname && strcmp(uts, "host") == 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "conflicting options: hostname and the UTS mode");
	return 0;
}

static int check_memory(json_t *hc, struct bld_error **err)
{
	json_int_t mem = int_of(hc, "Memory"), swap = int_of(hc, "MemorySwap");
	json_int_t res = int_of(hc, "MemoryReservation"), adj = int_of(hc, "OomScoreAdj");
	if (res > 0 && res < 6 * 1024 * 1024)
		return bld_error_set(err, BLD_E_INVALID, "Minimum memory reservation allowed is 6MB");
	if (mem > 0 && res > mem)
		return bld_error_set(err, BLD_E_INVALID,
				     "Minimum memory limit can not be less than memory reservation "
				     "limit, see usage");
	if (mem == 0 && swap > 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "You should always set the Memory limit when using Memoryswap "
				     "limit, see usage");
	if (swap > 0 && swap < mem)
		return bld_error_set(err, BLD_E_INVALID,
				     "Minimum memoryswap limit should be larger than memory limit, "
				     "see usage");
	if (adj < -1000 || adj > 1000)
		return bld_error_set(err, BLD_E_INVALID,
				     "Invalid value %lld, range for oom score adj is [-1000, 1000]",
				     (long long)adj);
	bool v2 = bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2;
	if (json_is_true(json_object_get(hc, "OomKillDisable")) && v2) {
		bld_warn("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
		json_object_set_new(hc, "OomKillDisable", json_false());
	} else if (json_is_true(json_object_get(hc, "OomKillDisable")) && mem == 0) {
		bld_warn("OOM killer is disabled for the container, but no memory limit is set, "
			 "this can result in the system running out of resources.");
	}
	return 0;
}

/* "0-2,5" as the kernel writes cpu and node lists; *max the highest number in it. */
static bool parse_list(const char *s, long *max)
{
	cleanup_free char *copy = xstrdup(s);
	char *save = NULL;
	*max = -1;
	if (!*s || s[strlen(s) - 1] == ',')
		return false;
	for (char *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(r, '-');
		long lo, hi;
		if (dash)
			*dash++ = 0;
		if (bld_parse_long(r, 0, 1 << 20, &lo) < 0 ||
		    (dash && bld_parse_long(dash, lo, 1 << 20, &hi) < 0))
			return false;
		if ((dash ? hi : lo) > *max)
			*max = dash ? hi : lo;
	}
	return true;
}

/* Every number of want is in have (both lists). */
static bool list_within(const char *want, const char *have)
{
	cleanup_free char *copy = xstrdup(want);
	char *save = NULL;
	for (char *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(r, '-');
		long lo = strtol(r, NULL, 10), hi = dash ? strtol(dash + 1, NULL, 10) : lo;
		for (long n = lo; n <= hi; n++) {
			char one[24];
			snprintf(one, sizeof(one), "%ld", n);
			cleanup_free char *h = xstrdup(have);
			char *s2 = NULL;
			bool in = false;
			for (char *t = strtok_r(h, ",", &s2); t && !in; t = strtok_r(NULL, ",", &s2)) {
				char *d = strchr(t, '-');
				long a = strtol(t, NULL, 10), b = d ? strtol(d + 1, NULL, 10) : a;
				in = n >= a && n <= b;
			}
			if (!in)
				return false;
		}
	}
	return true;
}

static char *read_line(const char *path)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_fs_read_file(path, 4096, &data, &len, &e) < 0)
		return xstrdup("");
	data[strcspn(data, "\n")] = 0;
	return steal_pointer(&data);
}

static int check_cpuset(json_t *hc, const char *key, const char *what, const char *avail_file,
			const char *unavail, struct bld_error **err)
{
	const char *v = bld_json_get_str(hc, key);
	long max;
	if (!v || !*v)
		return 0;
	if (!parse_list(v, &max))
		return bld_error_set(err, BLD_E_INVALID,
				     "Invalid value %s for cpuset %s: invalid format: %s", v, what, v);
	cleanup_free char *have = read_line(avail_file);
	if (*have && !list_within(v, have))
		return bld_error_set(err, BLD_E_INVALID, "%s - requested %s, available: %s",
				     unavail, v, have);
	return 0;
}

/* CFS period and quota, as docker's daemon checks them. */
static int check_cpu(json_t *hc, struct bld_error **err)
{
	json_int_t period = int_of(hc, "CpuPeriod"), quota = int_of(hc, "CpuQuota");
	bool nano = int_of(hc, "NanoCpus") > 0;
	if (nano && period)
		return bld_error_set(err, BLD_E_INVALID, "Conflicting options: Nano CPUs and CPU "
				     "Period cannot both be set");
	if (nano && quota)
		return bld_error_set(err, BLD_E_INVALID, "Conflicting options: Nano CPUs and CPU "
				     "Quota cannot both be set");
	if (period && (period < 1000 || period > 1000000))
		return bld_error_set(err, BLD_E_INVALID, "CPU cfs period can not be less than 1ms "
				     "(i.e. 1000) or larger than 1s (i.e. 1000000)");
	if (quota > 0 && quota < 1000)
		return bld_error_set(err, BLD_E_INVALID,
				     "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	bool v2 = bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2;
	if (v2 && json_is_integer(json_object_get(hc, "MemorySwappiness"))) {
		bld_warn("Your kernel does not support memory swappiness capabilities or the cgroup "
			 "is not mounted. Memory swappiness discarded.");
		json_object_set_new(hc, "MemorySwappiness", json_null());
	}
	return 0;
}

/* The devices of the block I/O throttles exist (docker's 127: "no such file"); weights per
 * device are dropped with docker's warning where the kernel has no weight_device file. */
static int check_blkio_devices(json_t *hc, struct bld_error **err)
{
	static const char *const lists[] = {"BlkioDeviceReadBps", "BlkioDeviceWriteBps",
					    "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
					    "BlkioWeightDevice"};
	for (size_t k = 0; k < BLD_ARRAY_SIZE(lists); k++) {
		size_t i;
		json_t *d;
		json_array_foreach(json_object_get(hc, lists[k]), i, d) {
			const char *p = bld_json_get_str(d, "Path");
			if (p && access(p, F_OK) < 0) {
				bld_error_set(err, BLD_E_NOTFOUND, "stat %s: no such file or directory",
					      p);
				(*err)->status = 127;
				return -1;
			}
		}
	}
	if (json_array_size(json_object_get(hc, "BlkioWeightDevice")) &&
	    access("/sys/fs/cgroup/blkio/blkio.weight_device", F_OK) < 0) {
		bld_warn("Your kernel does not support Block I/O weight_device or the cgroup is not "
			 "mounted. Weight-device discarded.");
		json_object_set_new(hc, "BlkioWeightDevice", json_array());
	}
	return 0;
}

/* Block I/O weight: docker drops it, with a warning, where the kernel has no weight file. */
static int check_blkio(json_t *hc, struct bld_error **err)
{
	json_int_t w = int_of(hc, "BlkioWeight");
	if (w == 0)
		return 0;
	bool v2 = bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2;
	bool have = v2 ? access("/sys/fs/cgroup/bld/io.weight", F_OK) == 0 ||
				 access("/sys/fs/cgroup/io.bfq.weight", F_OK) == 0
		       : access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0;
	if (!have) {
		bld_warn("Your kernel does not support Block I/O weight or the cgroup is not "
			 "mounted. Weight discarded.");
		json_object_set_new(hc, "BlkioWeight", json_integer(0));
		return 0;
	}
	if (w < 10 || w > 1000)
		return bld_error_set(err, BLD_E_INVALID, "Range of blkio weight is from 10 to 1000");
	return 0;
}

/* Config.ExposedPorts: the image's and --expose's, which -P publishes alike. */
static void exposed(json_t *doc, json_t *cfg)
{
	json_t *img = json_object_get(doc, "ImageExposedPorts");
	json_t *own = json_object_get(cfg, "ExposedPorts");
	if (!json_is_object(img)) {
		img = json_object();
		json_object_set_new(doc, "ImageExposedPorts", img);
	}
	if (json_is_object(own))
		json_object_update(img, own);
	if (json_object_size(img))
		json_object_set(cfg, "ExposedPorts", img);
}

static int checks(json_t *doc, json_t *hc, json_t *cfg, struct bld_error **err)
{
	const char *ss = bld_json_get_str(cfg, "StopSignal");
	const char *img_ss = bld_json_get_str(doc, "ImageStopSignal");
	if (ss && bld_runner_signal_parse(ss) < 0)
		return bld_error_set(err, BLD_E_INVALID, "Invalid signal: %s", ss);
	if (!ss && img_ss && *img_ss)
		json_object_set_new(cfg, "StopSignal", json_string(img_ss));
	json_int_t shm = json_integer_value(json_object_get(hc, "ShmSize"));
	if (shm < 0)
		return bld_error_set(err, BLD_E_INVALID, "SHM size can not be less than 0");
	if (shm == 0)
		json_object_set_new(hc, "ShmSize", json_integer(SHM_DEFAULT));
	const char *net = bld_json_get_str(hc, "NetworkMode");
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(hc, "Sysctls"), key, v)
		if (net && strcmp(net, "host") == 0 && bld_str_has_prefix(key, "net."))
			return bld_error_set(err, BLD_E_INVALID,
					     "sysctl \"%s\" not allowed in host network namespace",
					     key);
	return 0;
}

int bld_runner_hostcfg_merge(json_t *doc, const struct bld_runner_container_config *c,
			     struct bld_error **err)
{
	json_t *hc = json_object_get(doc, "HostConfig"), *cfg = json_object_get(doc, "Config");
	if (c->host_extra)
		json_object_update(hc, c->host_extra);
	if (c->config_extra)
		json_object_update(cfg, c->config_extra);
	defaults(hc, cfg);
	exposed(doc, cfg);
	const char *uts = bld_json_get_str(hc, "UTSMode");
	char host[256] = "";
	if (uts && strcmp(uts, "host") == 0 && !c->hostname && gethostname(host, sizeof(host) - 1) == 0)
		json_object_set_new(cfg, "Hostname", json_string(host));
	if (checks(doc, hc, cfg, err) < 0 || check_modes(hc, c, err) < 0 ||
	    check_memory(hc, err) < 0 || check_blkio(hc, err) < 0 || check_cpu(hc, err) < 0 ||
	    check_blkio_devices(hc, err) < 0 ||
	    check_cpuset(hc, "CpusetCpus", "cpus", "/sys/devices/system/cpu/online",
			 "Requested CPUs are not available", err) < 0 ||
	    check_cpuset(hc, "CpusetMems", "mems", "/sys/devices/system/node/online",
			 "Requested memory nodes are not available", err) < 0)
		return -1;
	return 0;
}

/* The values of the "word ..." lines (nameserver, search, options) of a resolv.conf text, in
 * order; nameservers on the loopback are left out, as docker leaves them out for a network of
 * the container's own. */
static void host_values(const char *text, const char *word, bool nameserver, char ***out)
{
	cleanup_free char *copy = xstrdup(text ? text : "");
	char *save = NULL;
	size_t wl = strlen(word);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, word, wl) != 0 || (l[wl] != ' ' && l[wl] != '\t'))
			continue;
		char *s2 = NULL;
		for (char *t = strtok_r(l + wl, " \t\r", &s2); t; t = strtok_r(NULL, " \t\r", &s2))
			if (!nameserver || (!bld_str_has_prefix(t, "127.") && strcmp(t, "::1")))
				bld_strv_push(out, t);
	}
}

static char *host_resolv(void)
{
	char *host = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_fs_read_file("/etc/resolv.conf", RESOLV_MAX, &host, &len, &e) < 0)
		return NULL;
	return host;
}

void bld_runner_resolv_host_values(const char *word, char ***out)
{
	cleanup_free char *host = host_resolv();
	host_values(host, word, strcmp(word, "nameserver") == 0, out);
}

static void join_line(struct bld_buf *b, const char *word, char **v)
{
	if (!v || !v[0])
		return;
	bld_buf_adds(b, word);
	for (size_t i = 0; v[i]; i++)
		bld_buf_printf(b, " %s", v[i]);
	bld_buf_adds(b, "\n");
}

/* Whether an "ndots:N" option is there (docker's ndotsSet: the user's value is kept). */
static bool has_ndots(char **opts)
{
	for (size_t i = 0; opts && opts[i]; i++)
		if (bld_str_has_prefix(opts[i], "ndots:"))
			return true;
	return false;
}

char *bld_runner_resolv_conf(json_t *hc, bool embedded)
{
	cleanup_strv char **dns = bld_json_to_strv(json_object_get(hc, "Dns"));
	cleanup_strv char **search = bld_json_to_strv(json_object_get(hc, "DnsSearch"));
	cleanup_strv char **opts = bld_json_to_strv(json_object_get(hc, "DnsOptions"));
	if (!dns && !search && !opts && !embedded)
		return NULL;
	cleanup_free char *host = host_resolv();
	/* what is not given comes from the host's file, as docker's resolvconf.Build */
	if (!dns)
		host_values(host, "nameserver", true, &dns);
	if (!search)
		host_values(host, "search", false, &search);
	if (!opts)
		host_values(host, "options", false, &opts);
	cleanup_strv char **ns = NULL;
	/* the embedded resolver, then the IPv6 upstreams (docker lists them too: rebuildDNS) */
	if (embedded)
		bld_strv_push(&ns, BLD_RUNNER_DNS_ADDR);
	for (size_t i = 0; dns && dns[i]; i++)
		if (!embedded || strchr(dns[i], ':'))
			bld_strv_push(&ns, dns[i]);
	if (embedded && !has_ndots(opts))
		bld_strv_push(&opts, "ndots:0");
	struct bld_buf b = BLD_BUF_INIT;
	/* "search ." alone means no search list */
	if (!(search && bld_strv_len(search) == 1 && strcmp(search[0], ".") == 0))
		join_line(&b, "search", search);
	for (size_t i = 0; ns && ns[i]; i++)
		bld_buf_printf(&b, "nameserver %s\n", ns[i]);
	join_line(&b, "options", opts);
	return bld_buf_detach(&b);
}
