/*
 * deploy/kube_gen_ctr.c — `kube generate CONTAINER...`: the compose project that running
 * (or stopped) containers run, rebuilt from what the store keeps of them, in the shape the
 * loader gives, so that the same generation turns it into Kubernetes objects.
 *
 * A container's docker inspect object holds the effective config: its image's defaults
 * merged with what the service set. Only what differs from the image is the service's
 * (command, entrypoint, environment, working directory, user, labels, health check, exposed
 * ports), so that a service that set nothing has nothing here either. The service, project,
 * dependencies and image come from compose's com.docker.compose.* labels (a container
 * without them is a service of its own name in the project "bld"); replicas are the number
 * of containers named of a service. What a container cannot tell is documented, not
 * guessed: `restart: "no"` is docker's default and reads as unset; secrets and configs
 * are bind mounts; an image is built when it has compose's name for a built image
 * (<project>-<service>).
 */
#include "deploy/kube_gen_int.h"

#include <string.h>

#define COMPOSE_LABEL "com.docker.compose."
#define DOCKER_SHM_DEFAULT 67108864 /* docker's /dev/shm size when none is set */

struct ctr_src {
	const json_t *cfg, *hc, *img; /* Config, HostConfig, the image's config */
	const char *project;
};

static const json_t *cfg_get(const struct ctr_src *c, const char *k)
{
	return json_object_get(c->cfg, k);
}

/* Config's k when set and not the image's own. */
static const json_t *own(const struct ctr_src *c, const char *k)
{
	const json_t *v = cfg_get(c, k), *base = json_object_get(c->img, k);
	if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
	    (json_is_array(v) && !json_array_size(v)) || (base && json_equal(v, base)))
		return NULL;
	return v;
}

static void set_own(json_t *svc, const char *key, const struct ctr_src *c, const char *k)
{
	const json_t *v = own(c, k);
	if (v)
		json_object_set(svc, key, (json_t *)v);
}

/* Env entries the image does not have, as a map. */
static void environment(json_t *svc, const struct ctr_src *c)
{
	const json_t *base = json_object_get(c->img, "Env");
	json_t *env = json_object();
	size_t i, j;
	json_t *e, *b;
	json_array_foreach(cfg_get(c, "Env"), i, e) {
		bool inherited = false;
		json_array_foreach(base, j, b)
			inherited = inherited || json_equal(e, b);
		const char *kv = json_string_value(e) ?: "";
		const char *eq = strchr(kv, '=');
		if (inherited || !eq)
			continue;
		cleanup_free char *k = xstrndup(kv, (size_t)(eq - kv));
		json_object_set_new(env, k, json_string(eq + 1));
	}
	kg_set_some(svc, "environment", env);
}

/* Labels that are neither compose's nor the image's. */
static void labels(json_t *svc, const struct ctr_src *c)
{
	const json_t *base = json_object_get(c->img, "Labels");
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)cfg_get(c, "Labels"), k, v) {
		const json_t *b = json_object_get(base, k);
		if (strncmp(k, COMPOSE_LABEL, strlen(COMPOSE_LABEL)) && !(b && json_equal(b, v)))
			json_object_set(out, k, v);
	}
	kg_set_some(svc, "labels", out);
}

static void set_duration(json_t *h, const char *key, const json_t *ns)
{
	if (json_integer_value(ns) > 0) {
		cleanup_free char *d = bld_deploy_duration_format(json_integer_value(ns));
		json_object_set_new(h, key, json_string(d));
	}
}

static void healthcheck(json_t *svc, const struct ctr_src *c)
{
	const json_t *hc = own(c, "Healthcheck");
	if (!hc)
		return;
	json_t *h = json_pack("{s:O}", "test", json_object_get(hc, "Test"));
	set_duration(h, "interval", json_object_get(hc, "Interval"));
	set_duration(h, "timeout", json_object_get(hc, "Timeout"));
	set_duration(h, "start_period", json_object_get(hc, "StartPeriod"));
	set_duration(h, "start_interval", json_object_get(hc, "StartInterval"));
	if (json_integer_value(json_object_get(hc, "Retries")) > 0)
		json_object_set(h, "retries", json_object_get(hc, "Retries"));
	json_object_set_new(svc, "healthcheck", h);
}

/* PortBindings as published ports; ExposedPorts neither published nor the image's as
 * expose. */
static void ports(json_t *svc, const struct ctr_src *c)
{
	json_t *pub = json_array(), *expose = json_array();
	const json_t *bindings = json_object_get(c->hc, "PortBindings");
	const char *k;
	json_t *v, *b;
	size_t i;
	json_object_foreach((json_t *)bindings, k, v) {
		const char *slash = strchr(k, '/');
		json_array_foreach(v, i, b) {
			json_t *p = json_pack("{s:s, s:I, s:s}", "mode", "ingress", "target",
					      (json_int_t)strtol(k, NULL, 10), "protocol",
					      slash ? slash + 1 : "tcp");
			if (*(bld_json_get_str(b, "HostIp") ?: ""))
				json_object_set(p, "host_ip", json_object_get(b, "HostIp"));
			if (*(bld_json_get_str(b, "HostPort") ?: ""))
				json_object_set(p, "published", json_object_get(b, "HostPort"));
			json_array_append_new(pub, p);
		}
	}
	const json_t *base = json_object_get(c->img, "ExposedPorts");
	json_object_foreach((json_t *)cfg_get(c, "ExposedPorts"), k, v)
		if (!json_object_get(bindings, k) && !json_object_get(base, k))
			json_array_append_new(expose, json_string(k));
	kg_set_some(svc, "ports", pub);
	kg_set_some(svc, "expose", expose);
}

/* A name compose gave ("<project>_<key>") back as its key. */
static const char *key_of(const struct ctr_src *c, const char *name)
{
	size_t n = strlen(c->project);
	return !strncmp(name, c->project, n) && name[n] == '_' ? name + n + 1 : name;
}

/* Whether HostConfig.Tmpfs (docker's map, or a list of "path[:options]") has path. */
static bool tmpfs_listed(const struct ctr_src *c, const char *path)
{
	const json_t *t = json_object_get(c->hc, "Tmpfs");
	size_t i, n = strlen(path ?: "");
	json_t *v;
	if (!path || json_object_get(t, path))
		return path != NULL;
	json_array_foreach(t, i, v) {
		const char *s = json_string_value(v) ?: "";
		if (!strncmp(s, path, n) && (s[n] == 0 || s[n] == ':'))
			return true;
	}
	return false;
}

/* Mounts as long-form volumes; named ones recorded in the project's volumes. */
static void volumes(json_t *svc, const struct ctr_src *c, const json_t *mounts, json_t *pvols)
{
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *type = bld_json_get_str(m, "Type") ?: "";
		const char *name = bld_json_get_str(m, "Name");
		if (!strcmp(type, "tmpfs") && tmpfs_listed(c, bld_json_get_str(m, "Destination")))
			continue; /* the service's tmpfs:, not a volume */
		json_t *v = json_pack("{s:s, s:O}", "type", type, "target",
				      json_object_get(m, "Destination"));
		if (!strcmp(type, "volume") && name && !json_is_true(json_object_get(m, "Anonymous"))) {
			json_object_set_new(v, "source", json_string(key_of(c, name)));
			json_object_set_new(pvols, key_of(c, name), json_pack("{s:s}", "name", name));
		} else if (!strcmp(type, "bind")) {
			json_object_set(v, "source", json_object_get(m, "Source"));
		}
		if (json_is_false(json_object_get(m, "RW")))
			json_object_set_new(v, "read_only", json_true());
		json_array_append_new(out, v);
	}
	kg_set_some(svc, "volumes", out);
}

/* HostConfig.Tmpfs, as docker's map or a list of "path[:options]". */
static void tmpfs(json_t *svc, const struct ctr_src *c)
{
	const json_t *t = json_object_get(c->hc, "Tmpfs");
	json_t *out = json_array();
	const char *k;
	json_t *v;
	size_t i;
	json_object_foreach((json_t *)t, k, v) {
		const char *o = json_string_value(v) ?: "";
		json_array_append_new(out, *o ? json_sprintf("%s:%s", k, o) : json_string(k));
	}
	json_array_foreach(t, i, v)
		json_array_append(out, v);
	kg_set_some(svc, "tmpfs", out);
}

/* com.docker.compose.depends_on: "db:service_healthy:false,...". */
static void depends_on(json_t *svc, const struct ctr_src *c)
{
	const char *l = bld_json_get_str(json_object_get(c->cfg, "Labels"),
					 COMPOSE_LABEL "depends_on");
	cleanup_strv char **deps = l ? bld_strv_split(l, ",") : NULL;
	json_t *out = json_object();
	for (size_t i = 0; deps && deps[i]; i++) {
		cleanup_strv char **f = bld_deploy_split(deps[i], ':');
		if (bld_strv_len(f) < 2)
			continue;
		json_object_set_new(out, f[0], json_pack("{s:s, s:b, s:b}", "condition", f[1],
							 "required", true, "restart",
							 f[2] && !strcmp(f[2], "true")));
	}
	kg_set_some(svc, "depends_on", out);
}

/* HostConfig's fields that map one to one, when set. */
static void host_fields(json_t *svc, const struct ctr_src *c)
{
	static const char *const map[][2] = {
		{"CapAdd", "cap_add"},   {"CapDrop", "cap_drop"},       {"Sysctls", "sysctls"},
		{"SecurityOpt", "security_opt"}, {"GroupAdd", "group_add"}, {"Dns", "dns"},
		{"DnsSearch", "dns_search"}, {"DnsOptions", "dns_opt"}, {"Ulimits", "ulimits"},
		{"Devices", "devices"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(map); i++) {
		json_t *v = json_object_get(c->hc, map[i][0]);
		if (json_array_size(v) || json_object_size(v))
			json_object_set(svc, map[i][1], v);
	}
	static const char *const flags[][2] = {
		{"Privileged", "privileged"}, {"ReadonlyRootfs", "read_only"}, {"Init", "init"}};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(flags); i++)
		if (json_is_true(json_object_get(c->hc, flags[i][0])))
			json_object_set_new(svc, flags[i][1], json_true());
	size_t i;
	json_t *h, *hosts = json_array();
	json_array_foreach(json_object_get(c->hc, "ExtraHosts"), i, h) {
		const char *s = json_string_value(h) ?: "";
		const char *colon = strchr(s, ':');
		cleanup_free char *name = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
		json_array_append_new(hosts, json_sprintf("%s=%s", name, colon ? colon + 1 : ""));
	}
	kg_set_some(svc, "extra_hosts", hosts);
}

/* Memory, CPUs, /dev/shm, restart, namespaces. */
static void host_limits(json_t *svc, const struct ctr_src *c)
{
	json_int_t mem = json_integer_value(json_object_get(c->hc, "Memory"));
	json_int_t resv = json_integer_value(json_object_get(c->hc, "MemoryReservation"));
	json_int_t ncpu = json_integer_value(json_object_get(c->hc, "NanoCpus"));
	json_int_t shm = json_integer_value(json_object_get(c->hc, "ShmSize"));
	if (mem > 0)
		json_object_set_new(svc, "mem_limit", json_sprintf("%lld", (long long)mem));
	if (resv > 0)
		json_object_set_new(svc, "mem_reservation", json_sprintf("%lld", (long long)resv));
	if (ncpu > 0)
		json_object_set_new(svc, "cpus", json_real((double)ncpu / 1e9));
	if (shm > 0 && shm != DOCKER_SHM_DEFAULT)
		json_object_set_new(svc, "shm_size", json_sprintf("%lld", (long long)shm));
	const json_t *rp = json_object_get(c->hc, "RestartPolicy");
	const char *r = bld_json_get_str(rp, "Name") ?: "";
	json_int_t n = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
	if (!strcmp(r, "on-failure") && n > 0)
		json_object_set_new(svc, "restart", json_sprintf("on-failure:%lld", (long long)n));
	else if (*r && strcmp(r, "no"))
		json_object_set_new(svc, "restart", json_string(r));
	const char *pid = bld_json_get_str(c->hc, "PidMode"), *ipc = bld_json_get_str(c->hc,
										  "IpcMode");
	if (pid && *pid)
		json_object_set_new(svc, "pid", json_string(pid));
	if (ipc && *ipc && strcmp(ipc, "private") && strcmp(ipc, "shareable"))
		json_object_set_new(svc, "ipc", json_string(ipc));
}

/* NetworkMode host/none/container:X, else the networks, recorded in the project's. */
static void networks(json_t *svc, const struct ctr_src *c, const json_t *nets, json_t *pnets)
{
	const char *mode = bld_json_get_str(c->hc, "NetworkMode") ?: "";
	if (!strcmp(mode, "host") || !strcmp(mode, "none") || !strncmp(mode, "container:", 10)) {
		json_object_set_new(svc, "network_mode", json_string(mode));
		return;
	}
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)nets, k, v) {
		json_object_set_new(out, key_of(c, k), json_null());
		json_object_set_new(pnets, key_of(c, k), json_pack("{s:s}", "name", k));
	}
	json_object_set_new(svc, "networks", out);
}

/* Config's process fields: what the service set beyond its image. */
static void process(json_t *svc, const struct ctr_src *c, const char *id)
{
	set_own(svc, "command", c, "Cmd");
	set_own(svc, "entrypoint", c, "Entrypoint");
	set_own(svc, "working_dir", c, "WorkingDir");
	set_own(svc, "user", c, "User");
	set_own(svc, "stop_signal", c, "StopSignal");
	set_own(svc, "domainname", c, "Domainname");
	const char *host = bld_json_get_str(c->cfg, "Hostname");
	if (host && *host && strncmp(host, id, strlen(host)))
		json_object_set_new(svc, "hostname", json_string(host));
	json_t *stop = json_object_get(c->cfg, "StopTimeout");
	if (json_integer_value(stop) > 0)
		json_object_set_new(svc, "stop_grace_period",
				    json_sprintf("%llds", (long long)json_integer_value(stop)));
	if (json_is_true(json_object_get(c->cfg, "Tty")))
		json_object_set_new(svc, "tty", json_true());
	if (json_is_true(json_object_get(c->cfg, "OpenStdin")))
		json_object_set_new(svc, "stdin_open", json_true());
	environment(svc, c);
	labels(svc, c);
	healthcheck(svc, c);
}

/* The image's config (Cmd, Env ... as inspect names them), or an empty one. */
static json_t *image_config(struct bld_store *s, const char *id)
{
	struct bld_cache_image *img = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (!id || bld_cache_image_load(s, id, &img, &e) < 0)
		return json_object();
	json_t *c = json_incref(json_object_get(img->config, "config"));
	bld_cache_image_free(img);
	return c ? c : json_object();
}

/* One container's service, into project (its replicas counted). */
static void add_container(struct bld_store *s, json_t *project, const json_t *ins)
{
	const json_t *cfg = json_object_get(ins, "Config");
	const json_t *l = json_object_get(cfg, "Labels");
	const char *svc_name = bld_json_get_str(l, COMPOSE_LABEL "service");
	cleanup_free char *own_name = xstrdup((bld_json_get_str(ins, "Name") ?: "ctr") +
					     (*(bld_json_get_str(ins, "Name") ?: "x") == '/'));
	json_t *services = json_object_get(project, "services");
	json_t *known = json_object_get(services, svc_name ?: own_name);
	if (known) {
		json_t *d = json_object_get(known, "deploy");
		json_int_t n = json_integer_value(json_object_get(d, "replicas"));
		json_object_set_new(d, "replicas", json_integer(n + 1));
		return;
	}
	cleanup_json json_t *img = image_config(s, bld_json_get_str(ins, "Image"));
	struct ctr_src c = {.cfg = cfg, .hc = json_object_get(ins, "HostConfig"), .img = img,
			    .project = bld_json_get_str(project, "name")};
	json_t *svc = json_pack("{s:{s:i}}", "deploy", "replicas", 1);
	cleanup_free char *built = xasprintf("%s-%s", c.project, svc_name ?: own_name);
	const char *image = bld_json_get_str(cfg, "Image") ?: "";
	if (!strcmp(image, built)) /* compose's name of a built image */
		json_object_set_new(svc, "build", json_pack("{s:s}", "context", "."));
	else
		json_object_set_new(svc, "image", json_string(image));
	process(svc, &c, bld_json_get_str(ins, "Id") ?: "");
	ports(svc, &c);
	volumes(svc, &c, json_object_get(ins, "Mounts"), json_object_get(project, "volumes"));
	tmpfs(svc, &c);
	depends_on(svc, &c);
	host_fields(svc, &c);
	host_limits(svc, &c);
	networks(svc, &c, json_object_get(json_object_get(ins, "NetworkSettings"), "Networks"),
		 json_object_get(project, "networks"));
	json_object_set_new(services, svc_name ?: own_name, svc);
}

static int by_service(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *kx = bld_json_get_str(json_object_get(json_object_get(x, "Config"), "Labels"),
					  COMPOSE_LABEL "service") ?: bld_json_get_str(x, "Name");
	const char *ky = bld_json_get_str(json_object_get(json_object_get(y, "Config"), "Labels"),
					  COMPOSE_LABEL "service") ?: bld_json_get_str(y, "Name");
	return strcmp(kx ?: "", ky ?: "");
}

/* Each container's inspect object, sorted by service (the model's order); one project. */
static int inspect_all(struct bld_ctx *ctx, char *const *names, json_t **out, const char **project,
		       struct bld_error **err)
{
	*out = json_array();
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_free char *id = NULL;
		json_t *ins = NULL;
		if (bld_runner_container_lookup(ctx, names[i], &id, err) < 0 ||
		    bld_runner_container_inspect(ctx, id, &ins, err) < 0)
			return -1;
		json_array_append_new(*out, ins);
		const char *p = bld_json_get_str(json_object_get(json_object_get(ins, "Config"),
								 "Labels"), COMPOSE_LABEL "project");
		if (*project && strcmp(*project, p ?: "bld"))
			return bld_error_set(err, BLD_E_INVALID, "%s: of project %s, not %s",
					     names[i], p ?: "bld", *project);
		*project = p ?: "bld";
	}
	size_t n = json_array_size(*out);
	cleanup_free json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(*out, i));
	qsort(v, n, sizeof(*v), by_service);
	json_array_clear(*out);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(*out, v[i]);
	return 0;
}

int bld_deploy_kube_project_from_containers(struct bld_ctx *ctx, char *const *names,
					    json_t **project, struct bld_error **err)
{
	cleanup_json json_t *all = NULL;
	const char *name = NULL;
	if (inspect_all(ctx, names, &all, &name, err) < 0)
		return -1;
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	json_t *p = json_pack("{s:s, s:{}, s:{}, s:{}}", "name", name, "services", "networks",
			      "volumes");
	size_t i;
	json_t *ins;
	json_array_foreach(all, i, ins)
		add_container(s, p, ins);
	bld_cache_store_free(s);
	*project = p;
	return 0;
}
