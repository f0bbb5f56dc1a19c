/*
 * deploy/kube_gen_pod.c — a compose service as a pod template: its container (image,
 * command, environment, ports, probes from the health check, resources, security context),
 * the init containers that wait for its dependencies, and the pod-level settings (labels,
 * annotations, host namespaces, DNS, sysctls). Volumes are kube_gen_vol.c's.
 *
 * Kubernetes expands $(VAR) in command, args and env values; compose does not, so every
 * "$(" written out is escaped as "$$(". What a pod cannot express is reported, never dropped.
 */
#include "deploy/kube_gen_int.h"

#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

#define NS_PER_S 1000000000LL

/* s with "$(" escaped as Kubernetes reads it ("$$("): compose passes it through. */
static json_t *literal(const char *s)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (; *s; s++)
		bld_buf_adds(&b, s[0] == '$' && s[1] == '(' ? "$$" : (char[]){*s, 0});
	json_t *v = json_string(bld_buf_str(&b));
	bld_buf_dispose(&b);
	return v;
}

static json_t *literal_list(const json_t *list)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
		json_array_append_new(out, literal(json_string_value(e) ?: ""));
	return out;
}

static bool label_part_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* A DNS-1123 subdomain: dot-separated lower-case labels. */
static bool subdomain_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	cleanup_strv char **parts = bld_deploy_split(s, '.');
	for (size_t i = 0; parts && parts[i]; i++) {
		cleanup_free char *dns = kg_dns_name(parts[i]);
		if (strcmp(dns, parts[i]))
			return false;
	}
	return true;
}

/* Whether k: v is a valid Kubernetes label (else it becomes an annotation). */
static bool label_ok(const char *k, const char *v)
{
	const char *slash = strrchr(k, '/');
	const char *name = slash ? slash + 1 : k;
	if (!label_part_ok(name, 63) || (*v && !label_part_ok(v, 63)))
		return false;
	cleanup_free char *prefix = slash ? xstrndup(k, (size_t)(slash - k)) : NULL;
	return !prefix || subdomain_ok(prefix);
}

/* The compose labels (labels when valid, annotations else; bld.dev/kube.* are generate's
 * own) and annotations. */
static void pod_metadata(struct kg *g, const char *svc, json_t *labels, json_t *ann)
{
	const json_t *s = kg_service(g, svc);
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(s, "labels"), k, v) {
		const char *val = json_string_value(v) ?: "";
		if (!strncmp(k, "bld.dev/kube.", 13))
			continue;
		if (json_object_get(labels, k))
			kg_report(g, svc, "labels", "%s: generate's own label: written as an "
				  "annotation", k);
		json_object_set(label_ok(k, val) && !json_object_get(labels, k) ? labels : ann, k,
				v);
	}
	json_object_foreach(json_object_get(s, "annotations"), k, v)
		json_object_set(ann, k, v);
	kg_network_labels(g, svc, labels);
}

static json_t *env_list(struct kg *g, const char *svc)
{
	json_t *env = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(kg_service(g, svc), "environment"), k, v) {
		if (!json_is_string(v)) {
			kg_report(g, svc, "environment", "%s: no value (compose takes it from the "
				  "shell that runs it)", k);
			continue;
		}
		json_array_append_new(env, json_pack("{s:s, s:o}", "name", k, "value",
						     literal(json_string_value(v))));
	}
	return env;
}

/* Whether s can be a ConfigMap key. */
static bool key_ok(const char *s)
{
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-._", *c))
			return false;
	return *s && strlen(s) <= 253;
}

/* env_file (the loader leaves it for generate): its files' variables, read in order as
 * compose reads them, in a ConfigMap <service>-env that the container takes whole
 * (envFrom); the service's own environment (env) overrides it, as in compose. A name that
 * cannot be a ConfigMap key goes to env. */
static int env_from(struct kg *g, const char *svc, json_t *env, json_t **out,
		    struct bld_error **err)
{
	cleanup_json json_t *files =
		bld_deploy_str_or_list(json_object_get(kg_service(g, svc), "env_file"));
	cleanup_json json_t *data = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) {
		const char *path = json_is_string(f) ? json_string_value(f) : bld_json_get_str(f, "path");
		cleanup_json json_t *vars = NULL;
		struct stat st;
		if (json_is_false(json_object_get(f, "required")) && stat(path ?: "", &st) < 0)
			continue;
		if (bld_deploy_env_file_read(&vars, path ?: "", g->o->env, err) < 0)
			return bld_error_wrap(err, "service %s: env_file", svc);
		json_object_update(data, vars);
	}
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(data, tmp, k, v) {
		if (key_ok(k) && json_is_string(v))
			continue;
		if (json_is_string(v))
			json_array_append_new(env, json_pack("{s:s, s:o}", "name", k, "value",
							     literal(json_string_value(v))));
		json_object_del(data, k);
	}
	*out = NULL;
	if (!json_object_size(data))
		return 0;
	cleanup_free char *raw = xasprintf("%s-env", svc);
	cleanup_free char *name = kg_dns_name(raw);
	json_t *cm = kg_object(g, "v1", "ConfigMap", name, svc);
	json_object_set(cm, "data", data);
	json_array_append_new(g->head, cm);
	*out = json_pack("[{s:{s:s}}]", "configMapRef", "name", name);
	return 0;
}

/* Adds {containerPort, protocol} once per port and protocol. */
static void add_port(json_t *ports, json_int_t port, const char *proto)
{
	cleanup_free char *p = kg_protocol(proto);
	size_t i;
	json_t *e;
	json_array_foreach(ports, i, e) {
		if (json_integer_value(json_object_get(e, "containerPort")) == port &&
		    !strcmp(bld_json_get_str(e, "protocol"), p))
			return;
	}
	json_array_append_new(ports, json_pack("{s:I, s:s}", "containerPort", port, "protocol", p));
}

/* ports' targets and expose's ports ("80", "80/udp", "8000-8010"). */
static json_t *container_ports(struct kg *g, const char *svc)
{
	const json_t *s = kg_service(g, svc);
	json_t *ports = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(s, "ports"), i, e)
		add_port(ports, json_integer_value(json_object_get(e, "target")),
			 bld_json_get_str(e, "protocol"));
	json_array_foreach(json_object_get(s, "expose"), i, e) {
		const char *t = json_string_value(e) ?: "", *proto;
		long lo, hi;
		if (!kg_expose_range(t, &lo, &hi, &proto)) {
			kg_report(g, svc, "expose", "%s: not a port or range", t);
			continue;
		}
		for (long p = lo; p <= hi; p++)
			add_port(ports, p, proto);
	}
	return ports;
}

/* Whole seconds of a duration, rounded up (at least min), the rounding reported. */
static json_int_t seconds(struct kg *g, const char *svc, const char *attr, const json_t *v,
			  json_int_t dflt, json_int_t min)
{
	if (!v)
		return dflt;
	int64_t ns = bld_deploy_duration(v);
	json_int_t s = (json_int_t)((ns + NS_PER_S - 1) / NS_PER_S);
	if (s < min)
		s = min;
	if (ns % NS_PER_S || ns < min * NS_PER_S)
		kg_report(g, svc, attr, "%s: Kubernetes counts whole seconds: %llds",
			  json_string_value(v) ?: "", (long long)s);
	return s;
}

/* healthcheck -> an exec probe with compose's timings (its defaults where unset: 30s
 * interval and timeout, 3 retries); NULL when there is none or it is disabled. */
static json_t *probe(struct kg *g, const char *svc)
{
	const json_t *h = json_object_get(kg_service(g, svc), "healthcheck");
	const json_t *test = json_object_get(h, "test");
	const char *kind = json_string_value(json_array_get(test, 0));
	if (!h || json_is_true(json_object_get(h, "disable")) || !kind || !strcmp(kind, "NONE"))
		return NULL;
	json_t *cmd;
	if (!strcmp(kind, "CMD-SHELL"))
		cmd = json_pack("[s, s, o]", "sh", "-c", literal(json_string_value(
								   json_array_get(test, 1)) ?: ""));
	else {
		cleanup_json json_t *rest = json_array();
		for (size_t i = 1; i < json_array_size(test); i++)
			json_array_append(rest, json_array_get(test, i));
		cmd = literal_list(rest);
	}
	json_t *retries = json_object_get(h, "retries");
	if (json_object_get(h, "start_interval"))
		kg_report(g, svc, "healthcheck.start_interval", "a probe has one period");
	return json_pack("{s:{s:o}, s:I, s:I, s:I, s:I}", "exec", "command", cmd, "periodSeconds",
			 seconds(g, svc, "healthcheck.interval", json_object_get(h, "interval"),
				 30, 1),
			 "timeoutSeconds",
			 seconds(g, svc, "healthcheck.timeout", json_object_get(h, "timeout"), 30, 1),
			 "failureThreshold", json_is_integer(retries) ? json_integer_value(retries) : 3,
			 "initialDelaySeconds",
			 seconds(g, svc, "healthcheck.start_period",
				 json_object_get(h, "start_period"), 0, 0));
}

json_t *kg_bytes_quantity(const json_t *v)
{
	int64_t n = 0;
	const char *s = json_string_value(v);
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (!s || bld_deploy_bytes_parse(s, &n) < 0)
		return NULL;
	static const char *const units[] = {"", "Ki", "Mi", "Gi", "Ti"};
	size_t u = 0;
	while (n && n % 1024 == 0 && u + 1 < BLD_ARRAY_SIZE(units)) {
		n /= 1024;
		u++;
	}
	return json_sprintf("%lld%s", (long long)n, units[u]);
}

static json_t *cpu_quantity(const json_t *v)
{
	double c = json_is_number(v) ? json_number_value(v)
				     : strtod(json_string_value(v) ?: "0", NULL);
	return c > 0 ? json_sprintf("%lldm", (long long)(c * 1000 + 0.5)) : NULL;
}

/* One side of deploy.resources (limits or reservations) as a resource list. */
static json_t *resource_list(struct kg *g, const char *svc, const char *side, const json_t *r)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)r, k, v) {
		json_t *q = !strcmp(k, "cpus") ? cpu_quantity(v)
			  : !strcmp(k, "memory") ? kg_bytes_quantity(v) : NULL;
		if (q)
			json_object_set_new(out, !strcmp(k, "cpus") ? "cpu" : "memory", q);
		else
			kg_report(g, svc, side, "%s: not a pod resource", k);
	}
	return out;
}

/* deploy.resources, and the service-level cpus, mem_limit and mem_reservation. */
static json_t *resources(struct kg *g, const char *svc)
{
	const json_t *s = kg_service(g, svc);
	const json_t *r = json_object_get(json_object_get(s, "deploy"), "resources");
	cleanup_json json_t *limits = resource_list(g, svc, "deploy.resources.limits",
						    json_object_get(r, "limits"));
	cleanup_json json_t *requests = resource_list(g, svc, "deploy.resources.reservations",
						      json_object_get(r, "reservations"));
	json_t *q;
	if ((q = cpu_quantity(json_object_get(s, "cpus"))))
		json_object_set_new(limits, "cpu", q);
	if ((q = kg_bytes_quantity(json_object_get(s, "mem_limit"))))
		json_object_set_new(limits, "memory", q);
	if ((q = kg_bytes_quantity(json_object_get(s, "mem_reservation"))))
		json_object_set_new(requests, "memory", q);
	json_t *out = json_object();
	if (json_object_size(limits))
		json_object_set(out, "limits", limits);
	if (json_object_size(requests))
		json_object_set(out, "requests", requests);
	return out;
}

/* "1000" or "1000:1000" into runAsUser/runAsGroup; a name is reported. */
static void run_as(struct kg *g, const char *svc, const char *user, json_t *sc)
{
	char *end;
	long uid = strtol(user, &end, 10), gid = -1;
	if (end != user && *end == ':')
		gid = strtol(end + 1, &end, 10);
	if (end == user || *end || uid < 0) {
		kg_report(g, svc, "user", "%s: Kubernetes runs as a numeric uid[:gid] only", user);
		return;
	}
	json_object_set_new(sc, "runAsUser", json_integer(uid));
	if (gid >= 0)
		json_object_set_new(sc, "runAsGroup", json_integer(gid));
}

/* Capabilities as Kubernetes names them (no CAP_ prefix). */
static json_t *caps(const json_t *list)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *c = json_string_value(e) ?: "";
		json_array_append_new(out, json_string(strncasecmp(c, "CAP_", 4) ? c : c + 4));
	}
	return out;
}

static void security_opts(struct kg *g, const char *svc, json_t *sc)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(kg_service(g, svc), "security_opt"), i, e) {
		const char *o = json_string_value(e) ?: "";
		if (!strcmp(o, "no-new-privileges") || !strcmp(o, "no-new-privileges:true") ||
		    !strcmp(o, "no-new-privileges=true"))
			json_object_set_new(sc, "allowPrivilegeEscalation", json_false());
		else if (!strcmp(o, "seccomp:unconfined") || !strcmp(o, "seccomp=unconfined"))
			json_object_set_new(sc, "seccompProfile", json_pack("{s:s}", "type",
									    "Unconfined"));
		else if (!strcmp(o, "apparmor:unconfined") || !strcmp(o, "apparmor=unconfined"))
			json_object_set_new(sc, "appArmorProfile", json_pack("{s:s}", "type",
									     "Unconfined"));
		else
			kg_report(g, svc, "security_opt", "%s: no pod equivalent", o);
	}
}

/* cap_add, cap_drop, user, privileged, read_only, security_opt. */
static json_t *security_context(struct kg *g, const char *svc)
{
	const json_t *s = kg_service(g, svc);
	json_t *sc = json_object();
	json_t *add = json_object_get(s, "cap_add"), *drop = json_object_get(s, "cap_drop");
	if (add || drop) {
		json_t *c = json_object();
		if (add)
			json_object_set_new(c, "add", caps(add));
		if (drop)
			json_object_set_new(c, "drop", caps(drop));
		json_object_set_new(sc, "capabilities", c);
	}
	if (bld_json_get_str(s, "user"))
		run_as(g, svc, bld_json_get_str(s, "user"), sc);
	if (json_is_true(json_object_get(s, "privileged")))
		json_object_set_new(sc, "privileged", json_true());
	if (json_is_true(json_object_get(s, "read_only")))
		json_object_set_new(sc, "readOnlyRootFilesystem", json_true());
	security_opts(g, svc, sc);
	return sc;
}

static const char *pull_policy(struct kg *g, const char *svc)
{
	const char *p = bld_json_get_str(kg_service(g, svc), "pull_policy");
	if (!p)
		return json_object_get(kg_service(g, svc), "build") ? "IfNotPresent" : NULL;
	if (!strcmp(p, "always"))
		return "Always";
	if (!strcmp(p, "never"))
		return "Never";
	if (strcmp(p, "missing") && strcmp(p, "if_not_present"))
		kg_report(g, svc, "pull_policy", "%s: Kubernetes pulls always, never or when "
			  "missing", p);
	return "IfNotPresent";
}

/* The service's own container. */
static int container(struct kg *g, const char *svc, json_t *mounts, json_t **out,
		     struct bld_error **err)
{
	const json_t *s = kg_service(g, svc);
	cleanup_free char *name = kg_dns_name(svc);
	json_t *c = json_pack("{s:s, s:s}", "name", name, "image",
			      bld_json_get_str(g->images, svc) ?: "");
	const char *pp = pull_policy(g, svc);
	if (pp)
		json_object_set_new(c, "imagePullPolicy", json_string(pp));
	if (json_is_array(json_object_get(s, "entrypoint")))
		json_object_set_new(c, "command", literal_list(json_object_get(s, "entrypoint")));
	if (json_is_array(json_object_get(s, "command")))
		json_object_set_new(c, "args", literal_list(json_object_get(s, "command")));
	if (bld_json_get_str(s, "working_dir"))
		json_object_set(c, "workingDir", json_object_get(s, "working_dir"));
	json_t *env = env_list(g, svc), *from = NULL;
	if (env_from(g, svc, env, &from, err) < 0) {
		json_decref(env);
		json_decref(c);
		return -1;
	}
	kg_set_some(c, "env", env);
	if (from)
		json_object_set_new(c, "envFrom", from);
	kg_set_some(c, "ports", container_ports(g, svc));
	json_t *p = probe(g, svc);
	if (p) {
		json_object_set_new(c, "readinessProbe", p);
		json_object_set_new(c, "livenessProbe", json_deep_copy(p));
	}
	kg_set_some(c, "resources", resources(g, svc));
	kg_set_some(c, "securityContext", security_context(g, svc));
	kg_set_some(c, "volumeMounts", json_incref(mounts));
	if (json_is_true(json_object_get(s, "tty")))
		json_object_set_new(c, "tty", json_true());
	if (json_is_true(json_object_get(s, "stdin_open")))
		json_object_set_new(c, "stdin", json_true());
	if (bld_json_get_str(s, "stop_signal"))
		json_object_set_new(c, "lifecycle", json_pack("{s:O}", "stopSignal",
							      json_object_get(s, "stop_signal")));
	*out = c;
	return 0;
}

/* One init container per dependency, in the model's order: wait-for-<dep> loops until the
 * dependency's Service resolves (it has ready pods), or, for a Job awaited to complete,
 * runs kubectl wait under the project's waiter account; the Jobs go in jobs. */
static json_t *init_containers(struct kg *g, const char *svc, json_t *jobs)
{
	json_t *inits = json_array();
	const char *dep;
	json_t *d;
	json_object_foreach(json_object_get(kg_service(g, svc), "depends_on"), dep, d) {
		cleanup_free char *n = kg_dns_name(dep);
		cleanup_free char *name = xasprintf("wait-for-%s", n);
		const char *cond = bld_json_get_str(d, "condition") ?: "service_started";
		bool job = !strcmp(bld_json_get_str(g->kinds, dep) ?: "", "Job");
		if (json_is_true(json_object_get(d, "restart")))
			kg_report(g, svc, "depends_on", "%s: restart: a pod is not restarted with "
				  "its dependency", dep);
		if (!strcmp(cond, "service_completed_successfully") && job) {
			cleanup_free char *what = xasprintf("job/%s", n);
			json_array_append_new(inits, json_pack(
				"{s:s, s:s, s:[s,s,s,s,s]}", "name", name, "image",
				g->o->kubectl_image ?: "bitnami/kubectl", "command", "kubectl", "wait",
				"--for=condition=complete", what, "--timeout=-1s"));
			json_array_append_new(jobs, json_string(n));
			continue;
		}
		if (!strcmp(cond, "service_completed_successfully"))
			kg_report(g, svc, "depends_on", "%s: service_completed_successfully: %s is "
				  "no Job: waited for until it is ready", dep, dep);
		cleanup_free char *loop = xasprintf("until nslookup %s; do sleep 1; done", n);
		json_array_append_new(inits, json_pack("{s:s, s:s, s:[s,s,s]}", "name", name, "image",
						       g->o->wait_image ?: "busybox", "command", "sh",
						       "-c", loop));
	}
	return inits;
}

/* extra_hosts ("host=ip", "host:ip") as hostAliases, one per address. */
static json_t *host_aliases(struct kg *g, const char *svc)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(kg_service(g, svc), "extra_hosts"), i, e) {
		const char *h = json_string_value(e) ?: "";
		const char *sep = strchr(h, '=') ? strchr(h, '=') : strchr(h, ':');
		if (!sep) {
			kg_report(g, svc, "extra_hosts", "%s: no address", h);
			continue;
		}
		cleanup_free char *host = xstrndup(h, (size_t)(sep - h));
		json_array_append_new(out, json_pack("{s:s, s:[s]}", "ip", sep + 1, "hostnames",
						     host));
	}
	return out;
}

static json_t *dns_config(const json_t *s)
{
	json_t *dc = json_object(), *opts = json_array();
	size_t i;
	json_t *e;
	if (json_object_get(s, "dns"))
		json_object_set(dc, "nameservers", json_object_get(s, "dns"));
	if (json_object_get(s, "dns_search"))
		json_object_set(dc, "searches", json_object_get(s, "dns_search"));
	json_array_foreach(json_object_get(s, "dns_opt"), i, e) {
		const char *o = json_string_value(e) ?: "";
		const char *colon = strchr(o, ':');
		cleanup_free char *name = colon ? xstrndup(o, (size_t)(colon - o)) : xstrdup(o);
		json_t *opt = json_pack("{s:s}", "name", name);
		if (colon)
			json_object_set_new(opt, "value", json_string(colon + 1));
		json_array_append_new(opts, opt);
	}
	kg_set_some(dc, "options", opts);
	return dc;
}

/* sysctls and group_add (numeric groups only). */
static json_t *pod_security(struct kg *g, const char *svc)
{
	const json_t *s = kg_service(g, svc);
	json_t *sc = json_object(), *sysctls = json_array(), *groups = json_array();
	const char *k;
	json_t *v;
	size_t i;
	json_object_foreach(json_object_get(s, "sysctls"), k, v) {
		cleanup_free char *val = bld_deploy_scalar_text(v);
		json_array_append_new(sysctls, json_pack("{s:s, s:s}", "name", k, "value", val));
	}
	json_array_foreach(json_object_get(s, "group_add"), i, v) {
		cleanup_free char *t = bld_deploy_scalar_text(v);
		char *end;
		long gid = strtol(t, &end, 10);
		if (*t && !*end && gid >= 0)
			json_array_append_new(groups, json_integer(gid));
		else
			kg_report(g, svc, "group_add", "%s: Kubernetes adds numeric groups only", t);
	}
	kg_set_some(sc, "sysctls", sysctls);
	kg_set_some(sc, "supplementalGroups", groups);
	return sc;
}

/* network_mode, pid and ipc: the host's namespaces, or reported. */
static void namespaces(struct kg *g, const char *svc, json_t *spec)
{
	const json_t *s = kg_service(g, svc);
	const char *nm = bld_json_get_str(s, "network_mode");
	const char *pid = bld_json_get_str(s, "pid"), *ipc = bld_json_get_str(s, "ipc");
	if (nm && !strcmp(nm, "host"))
		json_object_set_new(spec, "hostNetwork", json_true());
	else if (nm && strcmp(nm, "bridge") && strcmp(nm, "default"))
		kg_report(g, svc, "network_mode", "%s: a pod has its own network or the host's", nm);
	if (pid && !strcmp(pid, "host"))
		json_object_set_new(spec, "hostPID", json_true());
	else if (pid)
		kg_report(g, svc, "pid", "%s: a pod has its own PID namespace or the host's", pid);
	if (ipc && !strcmp(ipc, "host"))
		json_object_set_new(spec, "hostIPC", json_true());
	else if (ipc && strcmp(ipc, "private"))
		kg_report(g, svc, "ipc", "%s: a pod has its own IPC namespace or the host's", ipc);
}

/* hostname, DNS, host aliases, grace period, stop signal's OS. */
static void pod_settings(struct kg *g, const char *svc, json_t *spec)
{
	const json_t *s = kg_service(g, svc);
	const char *host = bld_json_get_str(s, "hostname");
	if (host) {
		cleanup_free char *dns = kg_dns_name(host);
		if (strcmp(dns, host))
			kg_report(g, svc, "hostname", "%s: not a DNS-1123 label", host);
		else
			json_object_set_new(spec, "hostname", json_string(host));
	}
	kg_set_some(spec, "dnsConfig", dns_config(s));
	kg_set_some(spec, "hostAliases", host_aliases(g, svc));
	if (json_object_get(s, "stop_grace_period"))
		json_object_set_new(spec, "terminationGracePeriodSeconds",
				    json_integer(seconds(g, svc, "stop_grace_period",
							 json_object_get(s, "stop_grace_period"),
							 0, 0)));
	if (bld_json_get_str(s, "stop_signal")) /* lifecycle.stopSignal needs the pod's OS */
		json_object_set_new(spec, "os", json_pack("{s:s}", "name", "linux"));
	kg_set_some(spec, "securityContext", pod_security(g, svc));
	namespaces(g, svc, spec);
}

int kg_pod_template(struct kg *g, const char *svc, json_t *claims, json_t **out,
		    struct bld_error **err)
{
	cleanup_json json_t *vols = json_array(), *mounts = json_array(), *jobs = json_array();
	if (kg_pod_volumes(g, svc, vols, mounts, claims, err) < 0)
		return -1;
	json_t *main = NULL;
	if (container(g, svc, mounts, &main, err) < 0)
		return -1;
	json_t *labels = kg_selector(svc), *ann = json_object();
	json_object_set_new(labels, KG_LABEL_PART_OF, json_string(g->project_name));
	pod_metadata(g, svc, labels, ann);
	json_t *spec = json_object();
	json_t *inits = init_containers(g, svc, jobs);
	kg_set_some(spec, "initContainers", inits);
	json_object_set_new(spec, "containers", json_pack("[o]", main));
	kg_set_some(spec, "volumes", json_incref(vols));
	pod_settings(g, svc, spec);
	if (json_array_size(jobs)) {
		struct bld_buf list = BLD_BUF_INIT;
		size_t i;
		json_t *j;
		json_array_foreach(jobs, i, j)
			bld_buf_printf(&list, "%s%s", i ? "," : "", json_string_value(j));
		json_object_set_new(ann, KG_ANN_WAIT_JOBS, json_string(bld_buf_str(&list)));
		bld_buf_dispose(&list);
		json_object_set_new(spec, "serviceAccountName",
				    json_sprintf("%s-waiter", g->project_name));
		g->need_waiter = true;
	}
	json_t *meta = json_pack("{s:o}", "labels", labels);
	kg_set_some(meta, "annotations", ann);
	*out = json_pack("{s:o, s:o}", "metadata", meta, "spec", spec);
	return 0;
}
