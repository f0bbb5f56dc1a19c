/*
 * deploy/service.c — one service of a project turned into what the runner creates: the
 * container config of one replica (names, the com.docker.compose.* labels, every attribute
 * the runner has a field or an Engine API key for), and the
 * order services come up in.
 *
 * It reads only the normalised project (long forms, absolute paths): the loader's job is
 * to have made it so. It creates nothing.
 */
#include "deploy/deploy_int.h"
#include "parser/parser.h"

#include <jansson.h>

/* (the config hash is emit.c's, with the output it shares the Go marshalling with) */

/* ------------------------------------------------------------------------ order */

static const json_t *services_of(const struct bld_deploy_target *t)
{
	return json_object_get(t->project, "services");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends svc after its dependencies (depth first; seen guards against a cycle, which the
 * loader refuses anyway). */
static void visit(const json_t *all, const char *svc, bool deps, json_t *seen, char ***out)
{
	if (json_object_get(seen, svc))
		return;
	json_object_set_new(seen, svc, json_true());
	const char *dep;
	json_t *v;
	json_object_foreach(json_object_get(json_object_get(all, svc), "depends_on"), dep, v)
		if (deps && json_object_get(all, dep))
			visit(all, dep, deps, seen, out);
	bld_strv_push(out, svc);
}

int bld_deploy_services(const struct bld_deploy_target *t, bool deps, char ***out,
			struct bld_error **err)
{
	const json_t *all = services_of(t);
	cleanup_json json_t *seen = json_object();
	*out = xcalloc(1, sizeof(char *));
	for (size_t i = 0; t->services && t->services[i]; i++)
		if (!json_object_get(all, t->services[i])) {
			bld_strv_free(steal_pointer(out));
			return bld_error_refuse(err, BLD_E_NOTFOUND, "no such service: %s",
						t->services[i]);
		}
	const char *svc;
	json_t *v;
	bool some = t->services && t->services[0];
	/* in name order, dependencies first: the order is the same on every run */
	cleanup_strv char **names = NULL;
	json_object_foreach((json_t *)all, svc, v)
		bld_strv_push(&names, svc);
	qsort(names, bld_strv_len(names), sizeof(char *), by_name);
	for (size_t i = 0; names && names[i]; i++) {
		bool asked = !some;
		for (size_t k = 0; some && t->services[k]; k++)
			asked = asked || strcmp(t->services[k], names[i]) == 0;
		if (asked)
			visit(all, names[i], deps || !some, seen, out);
	}
	return 0;
}

static int level(const json_t *all, const char *svc, bool deps, int guard)
{
	int lv = 0;
	const char *name;
	json_t *s;
	if (guard > 64) /* a cycle, which the loader refuses */
		return 0;
	json_object_foreach((json_t *)all, name, s) {
		const json_t *on = deps ? json_object_get(json_object_get(all, svc), "depends_on")
					: json_object_get(s, "depends_on");
		if (json_object_get(on, deps ? name : svc)) {
			int l = level(all, name, deps, guard + 1) + 1;
			lv = l > lv ? l : lv;
		}
	}
	return lv;
}

int bld_deploy_level(const json_t *services, const char *svc, bool deps)
{
	return level(services, svc, deps, 0);
}

/* ---------------------------------------------------------------------- helpers */

char *bld_deploy_image_name(const char *project, const char *svc, const json_t *service)
{
	const char *img = bld_json_get_str(service, "image");
	return img ? xstrdup(img) : xasprintf("%s-%s", project, svc);
}

int64_t bld_deploy_duration(const json_t *v)
{
	int64_t ns = 0;
	if (json_is_string(v) && bld_parser_duration(json_string_value(v), &ns) == 0)
		return ns;
	return 0;
}

static char **strv_of(const json_t *arr) { return arr ? bld_json_to_strv(arr) : NULL; }

static char *str_of(const json_t *o, const char *key)
{
	const char *s = bld_json_get_str(o, key);
	return s ? xstrdup(s) : NULL;
}

/* A byte size given as a number or a string ("512m"). */
static int64_t bytes_of(const json_t *v)
{
	int64_t n = 0;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v) && bld_parse_size(json_string_value(v), &n) < 0)
		return 0;
	return n;
}

/* "K=V" of a map of strings (null values left out: unset, as compose does). */
static void push_map(char ***out, const json_t *map)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)map, k, v) {
		if (json_is_null(v))
			continue;
		cleanup_free char *kv = json_is_string(v)
						? xasprintf("%s=%s", k, json_string_value(v))
						: xasprintf("%s=%lld", k, (long long)json_integer_value(v));
		bld_strv_push(out, kv);
	}
}

/* ---------------------------------------------------------------------- labels */

/* com.docker.compose.depends_on: "db:service_healthy:false,..." */
static char *depends_label(const json_t *service)
{
	struct bld_buf b = BLD_BUF_INIT;
	const char *dep;
	json_t *v;
	json_object_foreach(json_object_get(service, "depends_on"), dep, v) {
		const char *cond = bld_json_get_str(v, "condition");
		bld_buf_printf(&b, "%s%s:%s:%s", b.len ? "," : "", dep,
			       cond ? cond : "service_started",
			       json_is_true(json_object_get(v, "restart")) ? "true" : "false");
	}
	return b.len ? bld_buf_detach(&b) : (bld_buf_dispose(&b), xstrdup(""));
}

static void push_label(char ***out, const char *k, const char *v)
{
	cleanup_free char *kv = xasprintf("%s=%s", k, v);
	bld_strv_push(out, kv);
}

static void labels(const struct bld_deploy_replica *r, char ***out)
{
	push_map(out, json_object_get(r->service, "labels"));
	cleanup_free char *num = xasprintf("%d", r->number);
	cleanup_free char *deps = depends_label(r->service);
	push_label(out, BLD_DEPLOY_L_PROJECT, r->t->name);
	push_label(out, BLD_DEPLOY_L_SERVICE, r->svc);
	push_label(out, BLD_DEPLOY_L_NUMBER, num);
	push_label(out, BLD_DEPLOY_L_ONEOFF, "False");
	push_label(out, BLD_DEPLOY_L_HASH, r->hash);
	push_label(out, BLD_DEPLOY_L_WORKDIR, r->t->working_dir ? r->t->working_dir : "");
	push_label(out, BLD_DEPLOY_L_FILES, r->t->config_files ? r->t->config_files : "");
	push_label(out, BLD_DEPLOY_L_DEPENDS, deps);
	push_label(out, BLD_DEPLOY_L_IMAGE, r->image_id);
	push_label(out, BLD_DEPLOY_L_VERSION, BLD_DEPLOY_COMPOSE_VERSION);
}

/* ---------------------------------------------------------------------- mounts */

/* The store name of the project's volume key ("data" -> "proj_data"). */
static char *volume_name(const struct bld_deploy_target *t, const char *key)
{
	const json_t *v = json_object_get(json_object_get(t->project, "volumes"), key);
	const char *n = bld_json_get_str(v, "name");
	if (n)
		return xstrdup(n);
	return v || json_object_get(json_object_get(t->project, "volumes"), key)
		       ? xasprintf("%s_%s", t->name, key)
		       : xstrdup(key);
}

/* A tmpfs volume as --tmpfs DST[:size=N,mode=M] (mode: octal, as mount takes it). */
static void tmpfs_mount(const char *dst, const json_t *o, struct bld_runner_container_config *c)
{
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_printf(&b, "%s", dst);
	int64_t size = bytes_of(json_object_get(o, "size"));
	json_t *mode = json_object_get(o, "mode");
	if (size)
		bld_buf_printf(&b, ":size=%lld", (long long)size);
	if (json_is_integer(mode))
		bld_buf_printf(&b, "%smode=%llo", size ? "," : ":",
			       (unsigned long long)json_integer_value(mode));
	cleanup_free char *t = bld_buf_detach(&b);
	bld_strv_push(&c->tmpfs, t);
}

/* Whether compose v2 hands a volume to the engine's Mount API rather than as a bind string:
 * a bind with a propagation or create_host_path: false, a volume with nocopy. */
static bool needs_mount_api(const json_t *m)
{
	const json_t *b = json_object_get(m, "bind");
	return bld_json_get_str(b, "propagation") ||
	       json_is_false(json_object_get(b, "create_host_path")) ||
	       json_is_true(json_object_get(json_object_get(m, "volume"), "nocopy"));
}

/* Such a volume as an entry of HostConfig.Mounts, as `--mount` gives it. */
static void api_mount(const struct bld_deploy_target *t, const json_t *m, json_t *hc)
{
	const char *type = bld_json_get_str(m, "type");
	const char *src = bld_json_get_str(m, "source");
	cleanup_free char *vol = strcmp(type, "volume") == 0 && src && *src
					 ? volume_name(t, src) : NULL;
	json_t *o = json_pack("{s:s, s:s, s:s}", "Type", type, "Source", vol ? vol : src ? src : "",
			      "Target", bld_json_get_str(m, "target"));
	if (json_is_true(json_object_get(m, "read_only")))
		json_object_set_new(o, "ReadOnly", json_true());
	const char *prop = bld_json_get_str(json_object_get(m, "bind"), "propagation");
	if (prop)
		json_object_set_new(o, "BindOptions", json_pack("{s:s}", "Propagation", prop));
	if (json_is_true(json_object_get(json_object_get(m, "volume"), "nocopy")))
		json_object_set_new(o, "VolumeOptions", json_pack("{s:b}", "NoCopy", 1));
	if (!json_is_array(json_object_get(hc, "Mounts")))
		json_object_set_new(hc, "Mounts", json_array());
	json_array_append_new(json_object_get(hc, "Mounts"), o);
}

static void api_mounts(const struct bld_deploy_target *t, const json_t *vols, json_t *hc)
{
	for (size_t i = 0; i < json_array_size(vols); i++) {
		const json_t *m = json_array_get(vols, i);
		const char *type = bld_json_get_str(m, "type");
		if (type && strcmp(type, "tmpfs") && bld_json_get_str(m, "target") &&
		    needs_mount_api(m))
			api_mount(t, m, hc);
	}
}

/* A bind's SELinux label (`:z`/`:Z`, `bind.selinux`): docker relabels the source only where
 * SELinux is enabled, and bld has no labelling; there it says so, elsewhere there is nothing
 * to do, as with docker. Returns the label for the bind string, or NULL. */
static const char *selinux_label(const json_t *m, const char *dst)
{
	const char *label = bld_json_get_str(json_object_get(m, "bind"), "selinux");
	if (label && access("/sys/fs/selinux/enforce", F_OK) == 0)
		bld_warn("volume %s: SELinux is enabled but bld does not relabel: the label %s is "
			 "not applied", dst, label);
	return label;
}

static void mount(const struct bld_deploy_target *t, const json_t *m,
		  struct bld_runner_container_config *c)
{
	const char *type = bld_json_get_str(m, "type");
	const char *src = bld_json_get_str(m, "source");
	const char *dst = bld_json_get_str(m, "target");
	bool ro = json_is_true(json_object_get(m, "read_only"));
	if (!type || !dst)
		return;
	const char *label = selinux_label(m, dst);
	if (needs_mount_api(m))
		return; /* api_mounts' */
	if (strcmp(type, "tmpfs") == 0) {
		tmpfs_mount(dst, json_object_get(m, "tmpfs"), c);
		return;
	}
	cleanup_free char *vol = NULL;
	if (strcmp(type, "volume") == 0 && src && *src)
		src = vol = volume_name(t, src);
	cleanup_free char *b = src && *src ? xasprintf("%s:%s%s%s%s", src, dst, ro ? ":ro" : "",
						       label ? ro ? "," : ":" : "",
						       label ? label : "")
					   : xstrdup(dst);
	bld_strv_push(&c->binds, b);
}

/* ------------------------------------------------------------------------ ports */

static int ports(const json_t *arr, struct bld_runner_container_config *c, struct bld_error **err)
{
	size_t n = json_array_size(arr);
	c->ports = xcalloc(n ? n : 1, sizeof(*c->ports));
	c->n_ports = n;
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(arr, i);
		struct bld_runner_port *o = &c->ports[i];
		const char *pub = bld_json_get_str(p, "published");
		const char *ip = bld_json_get_str(p, "host_ip");
		const char *proto = bld_json_get_str(p, "protocol");
		long hp = 0;
		o->ctr_port = (int)json_integer_value(json_object_get(p, "target"));
		if (pub && *pub && bld_parse_long(pub, 0, 65535, &hp) < 0)
			return bld_error_refuse(err, BLD_E_INVALID, "invalid published port: %s",
						pub);
		o->host_port = (int)hp;
		snprintf(o->host_ip, sizeof(o->host_ip), "%s", ip ? ip : "");
		snprintf(o->proto, sizeof(o->proto), "%s", proto ? proto : "tcp");
	}
	return 0;
}

/* ----------------------------------------------------------------------- health */

static void health(const json_t *h, struct bld_runner_health *o)
{
	if (!h)
		return;
	if (json_is_true(json_object_get(h, "disable"))) {
		o->test = xcalloc(2, sizeof(char *));
		o->test[0] = xstrdup("NONE");
		return;
	}
	o->test = strv_of(json_object_get(h, "test"));
	o->interval = bld_deploy_duration(json_object_get(h, "interval"));
	o->timeout = bld_deploy_duration(json_object_get(h, "timeout"));
	o->start_period = bld_deploy_duration(json_object_get(h, "start_period"));
	o->start_interval = bld_deploy_duration(json_object_get(h, "start_interval"));
	o->retries = (int)json_integer_value(json_object_get(h, "retries"));
}

/* restart:, else deploy.restart_policy.condition in docker's words */
static char *restart(const json_t *s)
{
	const char *r = bld_json_get_str(s, "restart");
	if (r)
		return xstrdup(r);
	json_t *rp = json_object_get(json_object_get(s, "deploy"), "restart_policy");
	const char *cond = bld_json_get_str(rp, "condition");
	if (!cond)
		return NULL;
	if (strcmp(cond, "any") == 0)
		return xstrdup("always");
	if (strcmp(cond, "on-failure") == 0)
		return xstrdup("on-failure");
	return xstrdup("no");
}

/* ------------------------------------------------------------------ Engine keys */

static void set_list(json_t *o, const char *key, const json_t *v)
{
	if (json_array_size(v))
		json_object_set(o, key, (json_t *)v);
}

/* What the runner takes in the Engine API's shape. */
static void extras(const json_t *s, struct bld_runner_container_config *c)
{
	json_t *hc = json_object(), *cfg = json_object();
	set_list(hc, "Dns", json_object_get(s, "dns"));
	set_list(hc, "DnsSearch", json_object_get(s, "dns_search"));
	set_list(hc, "DnsOptions", json_object_get(s, "dns_opt"));
	set_list(hc, "GroupAdd", json_object_get(s, "group_add"));
	set_list(hc, "SecurityOpt", json_object_get(s, "security_opt"));
	json_t *eh = json_object_get(s, "extra_hosts");
	if (json_is_object(eh)) {
		cleanup_strv char **v = NULL;
		const char *k;
		json_t *x;
		json_object_foreach(eh, k, x) {
			cleanup_free char *l = xasprintf("%s:%s", k, json_string_value(x));
			bld_strv_push(&v, l);
		}
		json_object_set_new(hc, "ExtraHosts", bld_json_strv(v));
	} else if (json_array_size(eh)) {
		/* the model's "HOST=IP", given to the engine as compose does: "HOST:IP" */
		json_t *v = json_array();
		for (size_t i = 0; i < json_array_size(eh); i++) {
			cleanup_free char *l = xstrdup(json_string_value(json_array_get(eh, i)));
			char *eq = strchr(l, '=');
			if (eq)
				*eq = ':';
			json_array_append_new(v, json_string(l));
		}
		json_object_set_new(hc, "ExtraHosts", v);
	}
	json_t *sc = json_object_get(s, "sysctls");
	if (json_object_size(sc))
		json_object_set(hc, "Sysctls", sc);
	int64_t shm = bytes_of(json_object_get(s, "shm_size"));
	if (shm)
		json_object_set_new(hc, "ShmSize", json_integer(shm));
	const char *ss = bld_json_get_str(s, "stop_signal");
	if (ss)
		json_object_set_new(cfg, "StopSignal", json_string(ss));
	int64_t grace = bld_deploy_duration(json_object_get(s, "stop_grace_period"));
	if (grace)
		json_object_set_new(cfg, "StopTimeout", json_integer(grace / 1000000000));
	const char *dn = bld_json_get_str(s, "domainname");
	if (dn)
		json_object_set_new(cfg, "Domainname", json_string(dn));
	c->host_extra = hc;
	c->config_extra = cfg;
}

/* ulimits: {nofile: {soft, hard}} or {nproc: N} -> [{Name, Soft, Hard}] */
static json_t *ulimits(const json_t *ul)
{
	json_t *out = json_array();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)ul, k, v) {
		json_int_t soft = json_is_integer(v) ? json_integer_value(v)
						     : json_integer_value(json_object_get(v, "soft"));
		json_int_t hard = json_is_integer(v) ? soft
						     : json_integer_value(json_object_get(v, "hard"));
		json_array_append_new(out, json_pack("{s:s, s:I, s:I}", "Name", k, "Hard",
						     (json_int_t)hard, "Soft", (json_int_t)soft));
	}
	return out;
}

static json_t *devices(const json_t *arr)
{
	json_t *out = json_array();
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *d = json_array_get(arr, i);
		const char *src = bld_json_get_str(d, "source");
		const char *dst = bld_json_get_str(d, "target");
		const char *perm = bld_json_get_str(d, "permissions");
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "PathOnHost", src ? src : "",
						     "PathInContainer", dst ? dst : (src ? src : ""),
						     "CgroupPermissions", perm ? perm : "rwm"));
	}
	return out;
}

/* "service:NAME" (ipc, pid) is the service's first container, as compose resolves it. */
static void set_mode(const struct bld_deploy_replica *r, json_t *hc, const char *key,
		     const char *v)
{
	if (!v)
		return;
	cleanup_free char *m = bld_str_has_prefix(v, "service:")
				       ? xasprintf("container:%s-%s-1", r->t->name, v + 8)
				       : xstrdup(v);
	json_object_set_new(hc, key, json_string(m));
}

/* volumes_from: "SERVICE[:MODE]" or "container:NAME[:MODE]" -> "NAME[:MODE]" */
static json_t *volumes_from(const struct bld_deploy_replica *r, const json_t *arr)
{
	cleanup_strv char **v = NULL;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *f = json_string_value(json_array_get(arr, i));
		if (!f)
			continue;
		if (bld_str_has_prefix(f, "container:")) {
			bld_strv_push(&v, f + 10);
			continue;
		}
		const char *mode = strchr(f, ':');
		cleanup_free char *e = xasprintf("%s-%.*s-1%s", r->t->name,
						 (int)(mode ? mode - f : (long)strlen(f)), f,
						 mode ? mode : "");
		bld_strv_push(&v, e);
	}
	return bld_json_strv(v);
}

/* The namespaces, cgroup and device fields of HostConfig. */
static void kernel(const struct bld_deploy_replica *r, json_t *hc)
{
	const json_t *s = r->service;
	if (json_object_size(json_object_get(s, "ulimits")))
		json_object_set_new(hc, "Ulimits", ulimits(json_object_get(s, "ulimits")));
	if (json_array_size(json_object_get(s, "devices")))
		json_object_set_new(hc, "Devices", devices(json_object_get(s, "devices")));
	if (json_array_size(json_object_get(s, "volumes_from")))
		json_object_set_new(hc, "VolumesFrom",
				    volumes_from(r, json_object_get(s, "volumes_from")));
	set_mode(r, hc, "IpcMode", bld_json_get_str(s, "ipc"));
	set_mode(r, hc, "PidMode", bld_json_get_str(s, "pid"));
	const char *cg = bld_json_get_str(s, "cgroup");
	if (cg)
		json_object_set_new(hc, "CgroupnsMode", json_string(cg));
	const char *cp = bld_json_get_str(s, "cgroup_parent");
	if (cp)
		json_object_set_new(hc, "CgroupParent", json_string(cp));
}

/* Service keys that are one HostConfig field each: s a string, i an integer (a number or
 * its string), b a boolean, l a list. */
static const struct {
	const char *key, *field;
	char kind;
} plain[] = {{"cpuset", "CpusetCpus", 's'},	    {"cpu_quota", "CpuQuota", 'i'},
	     {"cpu_period", "CpuPeriod", 'i'},	    {"cpu_rt_runtime", "CpuRealtimeRuntime", 'i'},
	     {"cpu_rt_period", "CpuRealtimePeriod", 'i'}, {"userns_mode", "UsernsMode", 's'},
	     {"uts", "UTSMode", 's'},		    {"oom_kill_disable", "OomKillDisable", 'b'},
	     {"mem_swappiness", "MemorySwappiness", 'i'}, {"runtime", "Runtime", 's'},
	     {"device_cgroup_rules", "DeviceCgroupRules", 'l'}};

static void plain_fields(const json_t *s, json_t *hc)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(plain); i++) {
		json_t *v = json_object_get(s, plain[i].key);
		long n = 0;
		if (!v)
			continue;
		if (plain[i].kind == 'i' && json_is_string(v) &&
		    bld_parse_long(json_string_value(v), -1, 1L << 62, &n) == 0)
			json_object_set_new(hc, plain[i].field, json_integer(n));
		else if ((plain[i].kind == 'i' && json_is_integer(v)) ||
			 (plain[i].kind == 's' && json_is_string(v)) ||
			 (plain[i].kind == 'b' && json_is_boolean(v)) ||
			 (plain[i].kind == 'l' && json_is_array(v)))
			json_object_set(hc, plain[i].field, v);
	}
}

/* expose: "80", "53/udp", "8000-8001" -> Config.ExposedPorts {"80/tcp": {}, ...} */
static void expose(const json_t *arr, json_t *cfg)
{
	if (!json_array_size(arr))
		return;
	cleanup_strv char **keys = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *e = json_string_value(json_array_get(arr, i));
		if (!e)
			continue;
		const char *slash = strchr(e, '/');
		cleanup_free char *proto = xstrdup(slash ? slash + 1 : "tcp");
		cleanup_free char *range = slash ? xstrndup(e, (size_t)(slash - e)) : xstrdup(e);
		long lo = 0, hi = 0;
		char *dash = strchr(range, '-');
		if (dash)
			*dash = '\0';
		if (bld_parse_long(range, 1, 65535, &lo) < 0 ||
		    (dash && bld_parse_long(dash + 1, lo, 65535, &hi) < 0))
			continue;
		for (long p = lo; p <= (dash ? hi : lo); p++) {
			cleanup_free char *k = xasprintf("%ld/%s", p, proto);
			bld_strv_push(&keys, k);
		}
	}
	/* sorted, as docker's inspect prints a map */
	qsort(keys, bld_strv_len(keys), sizeof(char *), by_name);
	json_t *ports = json_object();
	for (size_t i = 0; keys[i]; i++)
		json_object_set_new(ports, keys[i], json_object());
	json_object_set_new(cfg, "ExposedPorts", ports);
}

/* The memory and CPU fields beyond Memory/NanoCpus/PidsLimit. */
/* blkio_config: weight, and [{path, weight|rate}] lists as HostConfig's Blkio* fields. */
static void blkio(const json_t *b, json_t *hc)
{
	static const char *const lists[][3] = {
		{"weight_device", "BlkioWeightDevice", "Weight"},
		{"device_read_bps", "BlkioDeviceReadBps", "Rate"},
		{"device_write_bps", "BlkioDeviceWriteBps", "Rate"},
		{"device_read_iops", "BlkioDeviceReadIOps", "Rate"},
		{"device_write_iops", "BlkioDeviceWriteIOps", "Rate"},
	};
	json_t *w = json_object_get(b, "weight");
	if (json_is_integer(w))
		json_object_set(hc, "BlkioWeight", w);
	for (size_t k = 0; k < BLD_ARRAY_SIZE(lists); k++) {
		const json_t *l = json_object_get(b, lists[k][0]);
		if (!json_array_size(l))
			continue;
		json_t *out = json_array();
		for (size_t i = 0; i < json_array_size(l); i++) {
			const json_t *e = json_array_get(l, i);
			const char *path = bld_json_get_str(e, "path");
			json_int_t n = bytes_of(json_object_get(e, k ? "rate" : "weight"));
			json_array_append_new(out, json_pack("{s:s, s:I}", "Path", path ? path : "",
							     lists[k][2], n));
		}
		json_object_set_new(hc, lists[k][1], out);
	}
}

static void more_limits(const json_t *s, json_t *hc)
{
	blkio(json_object_get(s, "blkio_config"), hc);
	json_t *res = json_object_get(json_object_get(s, "deploy"), "resources");
	int64_t resv = bytes_of(json_object_get(s, "mem_reservation"));
	if (!resv)
		resv = bytes_of(json_object_get(json_object_get(res, "reservations"), "memory"));
	if (resv)
		json_object_set_new(hc, "MemoryReservation", json_integer(resv));
	int64_t swap = bytes_of(json_object_get(s, "memswap_limit"));
	if (swap)
		json_object_set_new(hc, "MemorySwap", json_integer(swap));
	static const char *const ints[][2] = {{"oom_score_adj", "OomScoreAdj"},
					      {"cpu_shares", "CpuShares"}};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ints); i++) {
		json_t *v = json_object_get(s, ints[i][0]);
		if (json_is_integer(v))
			json_object_set(hc, ints[i][1], v);
	}
}

static void logging(const json_t *s, struct bld_runner_container_config *c)
{
	const json_t *l = json_object_get(s, "logging");
	c->log_driver = str_of(l, "driver");
	push_map(&c->log_opts, json_object_get(l, "options"));
}

static void limits(const json_t *s, struct bld_runner_container_config *c)
{
	json_t *lim = json_object_get(json_object_get(json_object_get(s, "deploy"), "resources"),
				      "limits");
	c->memory = bytes_of(json_object_get(s, "mem_limit"));
	if (!c->memory)
		c->memory = bytes_of(json_object_get(lim, "memory"));
	json_t *cpus = json_object_get(s, "cpus");
	if (!cpus)
		cpus = json_object_get(lim, "cpus");
	double v = json_is_number(cpus)   ? json_number_value(cpus)
		   : json_is_string(cpus) ? strtod(json_string_value(cpus), NULL)
					  : 0;
	c->cpu_milli = (int64_t)(v * 1000 + 0.5);
	json_int_t pids = json_integer_value(json_object_get(s, "pids_limit"));
	if (!pids)
		pids = json_integer_value(json_object_get(lim, "pids"));
	c->pids_limit = pids > 0 ? pids : 0;
}

static void process(const json_t *s, struct bld_runner_container_config *c)
{
	json_t *ep = json_object_get(s, "entrypoint");
	if (json_is_array(ep)) {
		c->entrypoint = bld_json_to_strv(ep);
		c->entrypoint_set = true;
	}
	c->cmd = json_is_array(json_object_get(s, "command"))
			 ? bld_json_to_strv(json_object_get(s, "command"))
			 : NULL;
	push_map(&c->env, json_object_get(s, "environment"));
	c->workdir = str_of(s, "working_dir");
	c->user = str_of(s, "user");
	c->hostname = str_of(s, "hostname");
	c->tty = json_is_true(json_object_get(s, "tty"));
	c->interactive = json_is_true(json_object_get(s, "stdin_open"));
	c->readonly = json_is_true(json_object_get(s, "read_only"));
	c->init = json_is_true(json_object_get(s, "init"));
	c->privileged = json_is_true(json_object_get(s, "privileged"));
	c->cap_add = strv_of(json_object_get(s, "cap_add"));
	c->cap_drop = strv_of(json_object_get(s, "cap_drop"));
	/* security_opt goes to HostConfig.SecurityOpt as written (extras); its seccomp
	 * profile is the Seccomp field the runner applies */
	const json_t *so = json_object_get(s, "security_opt");
	for (size_t i = 0; i < json_array_size(so); i++) {
		const char *v = json_string_value(json_array_get(so, i));
		if (v && (bld_str_has_prefix(v, "seccomp=") || bld_str_has_prefix(v, "seccomp:"))) {
			free(c->seccomp);
			c->seccomp = xstrdup(v + 8);
		}
	}
}

/* One endpoint of EndpointsConfig: the aliases compose gives (the container's name, the
 * service's, the configured ones) and the addresses asked for. */
static json_t *endpoint(const struct bld_deploy_replica *r, const json_t *cfg)
{
	json_t *aliases = json_pack("[s, s]", r->name, r->svc);
	json_t *more = json_object_get(cfg, "aliases");
	for (size_t i = 0; i < json_array_size(more); i++)
		json_array_append(aliases, json_array_get(more, i));
	json_t *ipam = json_object();
	const char *v4 = bld_json_get_str(cfg, "ipv4_address");
	const char *v6 = bld_json_get_str(cfg, "ipv6_address");
	if (v4)
		json_object_set_new(ipam, "IPv4Address", json_string(v4));
	if (v6)
		json_object_set_new(ipam, "IPv6Address", json_string(v6));
	return json_pack("{s:o, s:o}", "Aliases", aliases, "IPAMConfig", ipam);
}

/* The service's networks by priority (highest first), then name, as compose orders them. */
static char **network_keys(const json_t *nets)
{
	char **keys = xcalloc(1, sizeof(char *));
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)nets, k, v)
		bld_strv_push(&keys, k);
	size_t n = bld_strv_len(keys);
	for (size_t i = 1; i < n; i++) /* insertion sort: a handful of networks */
		for (size_t j = i; j > 0; j--) {
			json_int_t pa = json_integer_value(
				json_object_get(json_object_get(nets, keys[j - 1]), "priority"));
			json_int_t pb = json_integer_value(
				json_object_get(json_object_get(nets, keys[j]), "priority"));
			if (pa > pb || (pa == pb && strcmp(keys[j - 1], keys[j]) <= 0))
				break;
			char *t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	return keys;
}

/* network_mode, else the project networks the service joins, each with its aliases. */
static void network(const struct bld_deploy_replica *r, struct bld_runner_container_config *c)
{
	const char *nm = bld_json_get_str(r->service, "network_mode");
	if (nm && bld_str_has_prefix(nm, "service:")) {
		c->network = xasprintf("container:%s-%s-1", r->t->name, nm + 8);
		return;
	}
	if (nm) {
		c->network = xstrdup(nm);
		return;
	}
	const json_t *nets = json_object_get(r->service, "networks");
	cleanup_json json_t *dflt = json_pack("{s:n}", "default");
	if (!json_object_size(nets))
		nets = dflt;
	cleanup_strv char **keys = network_keys(nets);
	c->endpoints = json_object();
	for (size_t i = 0; keys[i]; i++) {
		cleanup_free char *name = bld_deploy_network_name(r->t, keys[i]);
		if (i == 0)
			c->network = xstrdup(name);
		json_object_set_new(c->endpoints, name,
				    endpoint(r, json_object_get(nets, keys[i])));
	}
}

/* mac_address: the service's, else its first network's, in Config.MacAddress as compose v2
 * gives it to an engine of docker 20.10's API (which sets the first network's interface's
 * address); on another network compose refuses it on that API, as bld does. */
static int mac_address(const struct bld_deploy_replica *r, struct bld_runner_container_config *c,
		       struct bld_error **err)
{
	const char *mac = bld_json_get_str(r->service, "mac_address");
	const json_t *nets = json_object_get(r->service, "networks");
	if (!bld_json_get_str(r->service, "network_mode") && json_object_size(nets)) {
		cleanup_strv char **keys = network_keys(nets);
		for (size_t i = 0; keys[i]; i++) {
			const char *m = bld_json_get_str(json_object_get(nets, keys[i]),
							 "mac_address");
			if (m && i > 0)
				return bld_error_refuse(err, BLD_E_INVALID,
							"services.%s.networks.%s.mac_address: a MAC "
							"address on a network other than the first "
							"needs API 1.44",
							r->svc, keys[i]);
			if (m && !mac)
				mac = m;
		}
	}
	if (mac)
		json_object_set_new(c->config_extra, "MacAddress", json_string(mac));
	return 0;
}

int bld_deploy_replica_config(const struct bld_deploy_replica *r,
			      struct bld_runner_container_config *c, struct bld_error **err)
{
	const json_t *s = r->service;
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(r->name);
	c->image = bld_deploy_image_name(r->t->name, r->svc, s);
	c->image_ref = xstrdup(r->image_ref);
	process(s, c);
	for (size_t i = 0; i < json_array_size(json_object_get(s, "volumes")); i++)
		mount(r->t, json_array_get(json_object_get(s, "volumes"), i), c);
	const json_t *tmpfs = json_object_get(s, "tmpfs");
	for (size_t i = 0; i < json_array_size(tmpfs); i++)
		bld_strv_push(&c->tmpfs, json_string_value(json_array_get(tmpfs, i)));
	network(r, c);
	c->restart = restart(s);
	labels(r, &c->labels);
	health(json_object_get(s, "healthcheck"), &c->health);
	limits(s, c);
	logging(s, c);
	extras(s, c);
	kernel(r, c->host_extra);
	more_limits(s, c->host_extra);
	plain_fields(s, c->host_extra);
	expose(json_object_get(s, "expose"), c->config_extra);
	api_mounts(r->t, json_object_get(s, "volumes"), c->host_extra);
	if (mac_address(r, c, err) < 0)
		return -1;
	if (bld_deploy_files_mounts(r->t, s, c->host_extra, err) < 0)
		return -1;
	return ports(json_object_get(s, "ports"), c, err);
}
