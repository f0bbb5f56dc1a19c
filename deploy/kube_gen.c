/*
 * deploy/kube_gen.c — `kube generate`: a loaded compose project as Kubernetes objects
 * (release 1.36). This file owns the walk: which workload each service becomes (Deployment,
 * StatefulSet or Job), the objects' names and labels, the ServiceAccount that lets a pod
 * wait for a Job, the order of the output and the report of what cannot be expressed; the
 * pod itself is kube_gen_pod.c's, volumes kube_gen_vol.c's, Services and NetworkPolicies
 * kube_gen_net.c's, images kube_gen_image.c's. README.md says why each mapping is as it is.
 *
 * It reads only the normalised model (the value `compose config --format json` prints) and
 * the store; it never reads a compose file. Every service attribute is either mapped or
 * reported: the table below lists those that are mapped elsewhere, the rest are reported.
 */
#include "deploy/kube_gen_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

/* The service attributes some part of generate maps; any other is reported. */
static const char *const mapped[] = {
	"annotations", "build", "cap_add", "cap_drop", "command", "configs", "depends_on",
	"deploy", "dns", "dns_opt", "dns_search", "entrypoint", "env_file", "environment", "expose",
	"extra_hosts", "group_add", "healthcheck", "hostname", "image", "ipc", "labels",
	"network_mode", "networks", "pid", "ports", "privileged", "profiles", "pull_policy",
	"read_only", "restart", "scale", "secrets", "security_opt", "shm_size", "stdin_open",
	"stop_grace_period", "stop_signal", "sysctls", "tmpfs", "tty", "user", "volumes",
	"working_dir", "mem_limit", "mem_reservation", "cpus",
};

/* Why some attributes cannot be expressed, where the generic words would not say it. */
static const struct {
	const char *attr, *why;
} reasons[] = {
	{"init", "Kubernetes runs no init process in a container (use an image with one)"},
	{"container_name", "a pod's containers are named by their controller"},
	{"devices", "host devices are not part of the pod API (use a device plugin)"},
	{"logging", "logs are the cluster's: a pod has no log driver"},
	{"ulimits", "the pod API has no resource limits per process"},
	{"platform", "the cluster's nodes decide (use a nodeSelector on kubernetes.io/arch)"},
	{"links", "Services resolve by name already; aliases are not expressible"},
	{"external_links", "Services resolve by name already; aliases are not expressible"},
	{"mac_address", "pod interfaces are the network plugin's"},
	{"cgroup_parent", "the kubelet places pods in its own cgroups"},
	{"userns_mode", "the pod API has only hostUsers"},
	{"volumes_from", "pods do not share volumes with other pods"},
};

void kg_report(struct kg *g, const char *svc, const char *attr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *why = NULL;
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	cleanup_free char *line = svc ? xasprintf("service %s: %s: %s", svc, attr, why)
				      : xasprintf("%s: %s", attr, why);
	bld_strv_push(g->reports, line);
}

char *kg_dns_name(const char *name)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (const char *p = name; *p && b.len < KG_NAME_MAX; p++) {
		char c = (char)tolower((unsigned char)*p);
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (ok || (b.len && bld_buf_str(&b)[b.len - 1] != '-'))
			bld_buf_addc(&b, ok ? c : '-');
	}
	while (b.len && bld_buf_str(&b)[b.len - 1] == '-')
		b.data[--b.len] = 0;
	return b.len ? bld_buf_detach(&b) : (bld_buf_dispose(&b), xstrdup(""));
}

json_t *kg_selector(const char *svc)
{
	cleanup_free char *n = kg_dns_name(svc);
	return json_pack("{s:s}", KG_LABEL_NAME, n);
}

json_t *kg_object(const struct kg *g, const char *api, const char *kind, const char *name,
		  const char *svc)
{
	json_t *labels = svc ? kg_selector(svc) : json_object();
	json_object_set_new(labels, KG_LABEL_PART_OF, json_string(g->project_name));
	return json_pack("{s:s, s:s, s:{s:s, s:o}}", "apiVersion", api, "kind", kind, "metadata",
			 "name", name, "labels", labels);
}

const json_t *kg_service(const struct kg *g, const char *svc)
{
	return json_object_get(json_object_get(g->project, "services"), svc);
}

void kg_set_some(json_t *obj, const char *key, json_t *v)
{
	if (json_array_size(v) || json_object_size(v))
		json_object_set(obj, key, v);
	json_decref(v);
}

bool kg_expose_range(const char *t, long *lo, long *hi, const char **proto)
{
	char *end;
	*lo = *hi = strtol(t, &end, 10);
	if (*end == '-')
		*hi = strtol(end + 1, &end, 10);
	*proto = *end == '/' ? end + 1 : "tcp";
	return *lo > 0 && *hi >= *lo && *hi <= 65535 && (!*end || *end == '/');
}

char *kg_protocol(const char *p)
{
	char *u = xstrdup(p && *p ? p : "tcp");
	for (char *c = u; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return u;
}

/* Whether some service waits for svc to complete (service_completed_successfully). */
static bool awaited_completion(const struct kg *g, const char *svc)
{
	const char *k;
	json_t *s;
	json_object_foreach(json_object_get(g->project, "services"), k, s) {
		const char *c = bld_json_get_str(json_object_get(json_object_get(s, "depends_on"),
								 svc), "condition");
		if (c && !strcmp(c, "service_completed_successfully"))
			return true;
	}
	return false;
}

static bool has_named_volume(const json_t *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(s, "volumes"), i, v) {
		if (!strcmp(bld_json_get_str(v, "type") ?: "", "volume") &&
		    bld_json_get_str(v, "source"))
			return true;
	}
	return false;
}

/* The workload of svc: a label asks, else a one-shot service (awaited to complete, or
 * restart "no"/"on-failure" written out) is a Job, a stateful one a StatefulSet. */
static const char *workload_kind(struct kg *g, const char *svc)
{
	const json_t *s = kg_service(g, svc);
	const char *asked = bld_json_get_str(json_object_get(s, "labels"), KG_LABEL_KIND);
	const char *restart = bld_json_get_str(s, "restart");
	if (asked && !strcasecmp(asked, "job"))
		return "Job";
	if (asked && !strcasecmp(asked, "statefulset"))
		return "StatefulSet";
	if (asked && strcasecmp(asked, "deployment"))
		kg_report(g, svc, "labels." KG_LABEL_KIND, "%s: not deployment, statefulset or job",
			  asked);
	if (asked)
		return "Deployment";
	if (awaited_completion(g, svc) ||
	    (restart && (!strcmp(restart, "no") || !strncmp(restart, "on-failure", 10))))
		return "Job";
	return g->o->stateful && has_named_volume(s) ? "StatefulSet" : "Deployment";
}

/* deploy.replicas, else scale, else 1. */
static json_int_t replicas(const json_t *s)
{
	json_t *r = json_object_get(json_object_get(s, "deploy"), "replicas");
	if (!json_is_integer(r))
		r = json_object_get(s, "scale");
	return json_is_integer(r) ? json_integer_value(r) : 1;
}

/* A Job's spec: run once as compose runs a one-shot service ("no": never retried), or
 * retried on failure up to the count of "on-failure:N". */
static json_t *job_spec(struct kg *g, const char *svc, json_t *tmpl)
{
	const json_t *s = kg_service(g, svc);
	const char *restart = bld_json_get_str(s, "restart") ?: "no";
	json_t *pod = json_object_get(tmpl, "spec");
	json_int_t n = replicas(s), backoff = 0;
	if (!strncmp(restart, "on-failure", 10)) {
		backoff = restart[10] == ':' ? strtol(restart + 11, NULL, 10) : 6;
		json_object_set_new(pod, "restartPolicy", json_string("OnFailure"));
	} else {
		if (strcmp(restart, "no"))
			kg_report(g, svc, "restart", "%s: a Job's pod is never restarted once it "
				  "completed", restart);
		json_object_set_new(pod, "restartPolicy", json_string("Never"));
	}
	json_t *spec = json_pack("{s:I, s:O}", "backoffLimit", backoff, "template", tmpl);
	if (n != 1) {
		json_object_set_new(spec, "completions", json_integer(n));
		json_object_set_new(spec, "parallelism", json_integer(n));
	}
	return spec;
}

/* restart of a long-running service: its pods always restart, as "always" and
 * "unless-stopped"; a Deployment cannot do "no" or "on-failure". */
static void check_restart(struct kg *g, const char *svc)
{
	const char *restart = bld_json_get_str(kg_service(g, svc), "restart");
	if (restart && strcmp(restart, "always") && strcmp(restart, "unless-stopped"))
		kg_report(g, svc, "restart", "%s: a %s's pods always restart", restart,
			  bld_json_get_str(g->kinds, svc));
}

/* svc's workload object around its pod template. */
static int workload(struct kg *g, const char *svc, struct bld_error **err)
{
	const char *kind = bld_json_get_str(g->kinds, svc);
	cleanup_free char *name = kg_dns_name(svc);
	bool sts = !strcmp(kind, "StatefulSet"), job = !strcmp(kind, "Job");
	cleanup_json json_t *claims = sts ? json_array() : NULL;
	cleanup_json json_t *tmpl = NULL;
	if (kg_pod_template(g, svc, claims, &tmpl, err) < 0)
		return -1;
	json_t *obj = kg_object(g, job ? "batch/v1" : "apps/v1", kind, name, svc);
	json_t *spec;
	if (job) {
		spec = job_spec(g, svc, tmpl);
	} else {
		check_restart(g, svc);
		spec = json_pack("{s:I, s:{s:o}, s:O}", "replicas", replicas(kg_service(g, svc)),
				 "selector", "matchLabels", kg_selector(svc), "template", tmpl);
	}
	if (sts) {
		json_object_set_new(spec, "serviceName", json_string(name));
		if (json_array_size(claims))
			json_object_set(spec, "volumeClaimTemplates", claims);
	}
	json_object_set_new(obj, "spec", spec);
	json_array_append_new(g->objects, obj);
	return 0;
}

/* The ServiceAccount, Role and RoleBinding under which wait-for-<job> init containers ask
 * the API for a Job's condition (get/list/watch on jobs, nothing else). */
static void waiter_objects(struct kg *g)
{
	cleanup_free char *name = xasprintf("%s-waiter", g->project_name);
	json_array_append_new(g->head, kg_object(g, "v1", "ServiceAccount", name, NULL));
	json_t *role = kg_object(g, "rbac.authorization.k8s.io/v1", "Role", name, NULL);
	json_object_set_new(role, "rules",
			    json_pack("[{s:[s], s:[s], s:[s,s,s]}]", "apiGroups", "batch",
				      "resources", "jobs", "verbs", "get", "list", "watch"));
	json_array_append_new(g->head, role);
	json_t *rb = kg_object(g, "rbac.authorization.k8s.io/v1", "RoleBinding", name, NULL);
	json_object_set_new(rb, "subjects",
			    json_pack("[{s:s, s:s}]", "kind", "ServiceAccount", "name", name));
	json_object_set_new(rb, "roleRef",
			    json_pack("{s:s, s:s, s:s}", "apiGroup", "rbac.authorization.k8s.io",
				      "kind", "Role", "name", name));
	json_array_append_new(g->head, rb);
}

/* Each attribute of svc that no part of generate maps, one line each. */
static void report_unmapped(struct kg *g, const char *svc)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)kg_service(g, svc), k, v) {
		bool known = !strncmp(k, "x-", 2) || json_is_null(v);
		for (size_t i = 0; !known && i < BLD_ARRAY_SIZE(mapped); i++)
			known = !strcmp(k, mapped[i]);
		if (known)
			continue;
		const char *why = "not expressible in Kubernetes";
		for (size_t i = 0; i < BLD_ARRAY_SIZE(reasons); i++)
			if (!strcmp(k, reasons[i].attr))
				why = reasons[i].why;
		kg_report(g, svc, k, "%s", why);
	}
}

/* Each service's workload kind, before anything else: a pod's init containers depend on
 * whether its dependencies are Jobs, and a StatefulSet has its own claims. */
static int kinds(struct kg *g, struct bld_error **err)
{
	const char *svc;
	json_t *s;
	cleanup_json json_t *names = json_object();
	json_object_foreach(json_object_get(g->project, "services"), svc, s) {
		cleanup_free char *n = kg_dns_name(svc);
		if (!*n)
			return bld_error_set(err, BLD_E_INVALID, "service %s: no Kubernetes name "
					     "can be made of it", svc);
		if (json_object_get(names, n))
			return bld_error_set(err, BLD_E_INVALID, "services %s and %s: both named %s "
					     "in Kubernetes", bld_json_get_str(names, n), svc, n);
		json_object_set_new(names, n, json_string(svc));
		json_object_set_new(g->kinds, svc, json_string(workload_kind(g, svc)));
	}
	return 0;
}

static int services(struct kg *g, struct bld_error **err)
{
	const char *svc;
	json_t *s;
	json_object_foreach(json_object_get(g->project, "services"), svc, s) {
		report_unmapped(g, svc);
		json_array_append_new(g->objects, kg_service_object(g, svc));
		if (workload(g, svc, err) < 0)
			return bld_error_wrap(err, "service %s", svc);
	}
	return 0;
}

static void kg_dispose(struct kg *g)
{
	free(g->project_name);
	json_decref(g->kinds);
	json_decref(g->images);
	json_decref(g->head);
	json_decref(g->objects);
	json_decref(g->policies);
	json_decref(g->files);
}

int bld_deploy_kube_generate(struct bld_ctx *ctx, const json_t *project,
			     const struct bld_deploy_kube_gen_opts *o, json_t **objects,
			     char ***reports, struct bld_error **err)
{
	struct kg g = {
		.ctx = ctx, .project = project, .o = o, .reports = reports,
		.project_name = kg_dns_name(bld_json_get_str(project, "name") ?: "project"),
		.kinds = json_object(), .images = json_object(), .head = json_array(),
		.objects = json_array(), .policies = json_array(), .files = json_object(),
	};
	int r = kinds(&g, err);
	if (r == 0)
		r = kg_images(&g, err);
	if (r == 0)
		r = kg_volumes_objects(&g, err);
	if (r == 0)
		r = services(&g, err);
	if (r == 0) {
		kg_network_policies(&g);
		if (g.need_waiter)
			waiter_objects(&g);
		*objects = json_array();
		json_array_extend(*objects, g.head);
		json_array_extend(*objects, g.objects);
		json_array_extend(*objects, g.policies);
	}
	kg_dispose(&g);
	return r;
}

int bld_deploy_kube_yaml(char **out, const json_t *objects, struct bld_error **err)
{
	return bld_deploy_yaml_stream(out, objects, false, err);
}
