/*
 * deploy/kube_play_load.c — a Kubernetes YAML file read for kube play and kube down: its
 * documents parsed by deploy's YAML loader (each under its index in the source map, so that
 * every error names FILE:LINE), the fields kube play uses checked, the pods expanded (a Pod,
 * each replica of a Deployment or StatefulSet as "<name>-<i>", a Job's one pod as
 * "<name>-0"), ConfigMaps and Secrets (decoded) indexed, and each Service's name and
 * published ports given to the pods it selects.
 *
 * It starts and writes nothing. Kinds it does not run are reported on stderr, one line
 * each, and skipped; fields it does not use are ignored, as kube play on a cluster's
 * manifests must be.
 */
#include "deploy/deploy_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#define KUBE_FILE_MAX ((size_t)16 << 20)
#define KUBE_REPLICAS_MAX 64 /* containers of one machine, not a cluster */

int bld_deploy_kube_fail(const struct bld_deploy_kube_file *f, const char *at,
			 struct bld_error **err, const char *fmt, ...)
{
	const char *file = f->name;
	int line = 0;
	bld_deploy_srcmap_find(&f->map, at, &file, &line);
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *what = xvasprintf(fmt, ap);
	va_end(ap);
	return bld_error_refuse(err, BLD_E_INVALID, "%s:%d: %s", file, line, what);
}

static void warn(const struct bld_deploy_kube_file *f, const char *at, const char *what)
{
	const char *file = f->name;
	int line = 0;
	bld_deploy_srcmap_find(&f->map, at, &file, &line);
	if (!f->quiet)
		fprintf(stderr, "bld: kube play: %s:%d: %s\n", file, line, what);
}

/* ----------------------------------------------------------------------- checks */

/* v (at at/key) is absent or of type t; what names the type in the error. */
static int want(const struct bld_deploy_kube_file *f, const json_t *o, const char *at,
		const char *key, json_type t, const char *what, struct bld_error **err)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v)))
		return 0;
	cleanup_free char *p = xasprintf("%s/%s", at, key);
	return bld_deploy_kube_fail(f, p, err, "%s must be %s", key, what);
}

static int want_strings(const struct bld_deploy_kube_file *f, const json_t *o, const char *at,
			const char *key, struct bld_error **err)
{
	if (want(f, o, at, key, JSON_ARRAY, "a list of strings", err) < 0)
		return -1;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(o, key), i, v)
		if (!json_is_string(v)) {
			cleanup_free char *p = xasprintf("%s/%s/%zu", at, key, i);
			return bld_deploy_kube_fail(f, p, err, "%s must be a list of strings", key);
		}
	return 0;
}

static int want_name(const struct bld_deploy_kube_file *f, const json_t *o, const char *at,
		     const char *key, struct bld_error **err)
{
	if (json_is_string(json_object_get(o, key)) && *bld_json_get_str(o, key))
		return 0;
	cleanup_free char *p = xasprintf("%s/%s", at, key);
	return bld_deploy_kube_fail(f, json_object_get(o, key) ? p : at, err,
				    "%s: a non-empty string is required", key);
}

/* Each member of the list o[key] is a mapping whose members names are non-empty strings. */
static int want_list(const struct bld_deploy_kube_file *f, const json_t *o, const char *at,
		     const char *key, const char *const *names, struct bld_error **err)
{
	if (want(f, o, at, key, JSON_ARRAY, "a list", err) < 0)
		return -1;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(o, key), i, v) {
		cleanup_free char *p = xasprintf("%s/%s/%zu", at, key, i);
		if (!json_is_object(v))
			return bld_deploy_kube_fail(f, p, err, "%s: each item must be a mapping",
						    key);
		for (size_t k = 0; names && names[k]; k++)
			if (want_name(f, v, p, names[k], err) < 0)
				return -1;
	}
	return 0;
}

static int check_container(const struct bld_deploy_kube_file *f, const json_t *c, const char *at,
			   struct bld_error **err)
{
	static const char *const name[] = {"name", NULL}, *const mount[] = {"name", "mountPath", NULL};
	if (want_name(f, c, at, "name", err) < 0 || want_name(f, c, at, "image", err) < 0 ||
	    want_strings(f, c, at, "command", err) < 0 || want_strings(f, c, at, "args", err) < 0 ||
	    want_list(f, c, at, "env", name, err) < 0 || want_list(f, c, at, "ports", NULL, err) < 0 ||
	    want_list(f, c, at, "envFrom", NULL, err) < 0 ||
	    want_list(f, c, at, "volumeMounts", mount, err) < 0 ||
	    want(f, c, at, "workingDir", JSON_STRING, "a string", err) < 0)
		return -1;
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(c, "ports"), i, p) {
		cleanup_free char *pat = xasprintf("%s/ports/%zu", at, i);
		if (!json_is_integer(json_object_get(p, "containerPort")))
			return bld_deploy_kube_fail(f, pat, err,
						    "containerPort: an integer is required");
	}
	return 0;
}

static int check_containers(const struct bld_deploy_kube_file *f, const json_t *spec,
			    const char *at, const char *key, struct bld_error **err)
{
	if (want(f, spec, at, key, JSON_ARRAY, "a list", err) < 0)
		return -1;
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(spec, key), i, c) {
		cleanup_free char *p = xasprintf("%s/%s/%zu", at, key, i);
		if (!json_is_object(c))
			return bld_deploy_kube_fail(f, p, err, "%s: each item must be a mapping", key);
		if (check_container(f, c, p, err) < 0)
			return -1;
	}
	return 0;
}

static int check_pod_spec(const struct bld_deploy_kube_file *f, const json_t *spec,
			  const char *at, struct bld_error **err)
{
	static const char *const name[] = {"name", NULL};
	if (!json_is_object(spec))
		return bld_deploy_kube_fail(f, at, err, "spec: a mapping is required");
	const json_t *cs = json_object_get(spec, "containers");
	if (!json_is_array(cs) || json_array_size(cs) == 0) {
		cleanup_free char *p = xasprintf("%s/containers", at);
		return bld_deploy_kube_fail(f, cs ? p : at, err,
					    "containers: a non-empty list is required");
	}
	const char *rp = bld_json_get_str(spec, "restartPolicy");
	if (json_object_get(spec, "restartPolicy") &&
	    (!rp || (strcmp(rp, "Always") && strcmp(rp, "OnFailure") && strcmp(rp, "Never")))) {
		cleanup_free char *p = xasprintf("%s/restartPolicy", at);
		return bld_deploy_kube_fail(f, p, err,
					    "restartPolicy must be Always, OnFailure or Never");
	}
	return check_containers(f, spec, at, "containers", err) < 0 ||
			       check_containers(f, spec, at, "initContainers", err) < 0 ||
			       want_list(f, spec, at, "volumes", name, err) < 0
		       ? -1
		       : 0;
}

/* ------------------------------------------------------------------------- pods */

static const char *ns_of(const json_t *o)
{
	const char *ns = bld_json_get_str(json_object_get(o, "metadata"), "namespace");
	return ns && *ns ? ns : "default";
}

static struct bld_deploy_kube_pod *add_pod(struct bld_deploy_kube_file *f, const json_t *o,
					   const json_t *tmpl, const char *at)
{
	f->pods = xrealloc(f->pods, (f->n_pods + 1) * sizeof(*f->pods));
	struct bld_deploy_kube_pod *p = &f->pods[f->n_pods++];
	memset(p, 0, sizeof(*p));
	p->ns = ns_of(o);
	p->kind = bld_json_get_str(o, "kind");
	p->owner = bld_json_get_str(json_object_get(o, "metadata"), "name");
	p->meta = json_object_get(tmpl, "metadata");
	p->spec = json_object_get(tmpl, "spec");
	p->at = xasprintf("%s/spec", at);
	p->backoff = -1;
	json_object_set_new(f->namespaces, p->ns, json_true());
	return p;
}

/* A Deployment's, StatefulSet's or Job's pods: its template, replicas times. */
static int controller(struct bld_deploy_kube_file *f, const json_t *o, const char *at,
		      struct bld_error **err)
{
	const json_t *spec = json_object_get(o, "spec");
	cleanup_free char *sat = xasprintf("%s/spec", at), *tat = xasprintf("%s/spec/template", at);
	if (!json_is_object(spec))
		return bld_deploy_kube_fail(f, at, err, "spec: a mapping is required");
	const json_t *tmpl = json_object_get(spec, "template");
	if (!json_is_object(tmpl))
		return bld_deploy_kube_fail(f, sat, err, "template: a mapping is required");
	if (check_pod_spec(f, json_object_get(tmpl, "spec"), tat, err) < 0)
		return -1;
	bool job = strcmp(bld_json_get_str(o, "kind"), "Job") == 0;
	const json_t *rep = json_object_get(spec, job ? "parallelism" : "replicas");
	if (rep && (!json_is_integer(rep) || json_integer_value(rep) < 0 ||
		    json_integer_value(rep) > KUBE_REPLICAS_MAX)) {
		cleanup_free char *p = xasprintf("%s/%s", sat, job ? "parallelism" : "replicas");
		return bld_deploy_kube_fail(f, p, err, "an integer from 0 to %d is required",
					    KUBE_REPLICAS_MAX);
	}
	json_int_t n = job ? 1 : rep ? json_integer_value(rep) : 1;
	const json_t *bl = json_object_get(spec, "backoffLimit");
	for (json_int_t i = 0; i < n; i++) {
		struct bld_deploy_kube_pod *p = add_pod(f, o, tmpl, tat);
		p->name = xasprintf("%s-%lld", p->owner, (long long)i);
		p->claims = json_object_get(spec, "volumeClaimTemplates");
		if (job)
			p->backoff = json_is_integer(bl) ? (int)json_integer_value(bl) : 6;
	}
	return 0;
}

static int pod(struct bld_deploy_kube_file *f, const json_t *o, const char *at,
	       struct bld_error **err)
{
	cleanup_free char *sat = xasprintf("%s/spec", at);
	if (check_pod_spec(f, json_object_get(o, "spec"), sat, err) < 0)
		return -1;
	struct bld_deploy_kube_pod *p = add_pod(f, o, o, at);
	p->name = xstrdup(p->owner);
	return 0;
}

/* ------------------------------------------------------------- configs, secrets */

static int decode(const struct bld_deploy_kube_file *f, const char *at, const char *key,
		  const char *b64, json_t *into, struct bld_error **err)
{
	size_t n = strlen(b64), len = 0;
	cleanup_free unsigned char *bin = xmalloc(n + 1);
	if (sodium_base642bin(bin, n + 1, b64, n, " \n\r\t", &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		cleanup_free char *p = xasprintf("%s/%s", at, key);
		return bld_deploy_kube_fail(f, p, err, "%s: invalid base64 data", key);
	}
	json_object_set_new(into, key, json_stringn_nocheck((const char *)bin, len));
	return 0;
}

/* A ConfigMap's or Secret's data (data: base64 in a Secret, binaryData in a ConfigMap;
 * stringData and a ConfigMap's data as they are). */
static int data(struct bld_deploy_kube_file *f, const json_t *o, const char *at,
		struct bld_error **err)
{
	const char *kind = bld_json_get_str(o, "kind");
	bool secret = strcmp(kind, "Secret") == 0;
	json_t *into = json_object();
	cleanup_free char *id = xasprintf("%s/%s/%s", kind, ns_of(o),
					  bld_json_get_str(json_object_get(o, "metadata"), "name"));
	json_object_set_new(f->data, id, into);
	static const char *const keys[] = {"data", "binaryData", "stringData"};
	for (size_t k = 0; k < 3; k++) {
		const json_t *m = json_object_get(o, keys[k]);
		cleanup_free char *p = xasprintf("%s/%s", at, keys[k]);
		if (m && !json_is_object(m))
			return bld_deploy_kube_fail(f, p, err, "%s: a mapping is required", keys[k]);
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)m, key, v) {
			cleanup_free char *kp = xasprintf("%s/%s", p, key);
			if (!json_is_string(v))
				return bld_deploy_kube_fail(f, kp, err, "%s: a string is required", key);
			bool b64 = k == 1 || (k == 0 && secret);
			if (b64 && decode(f, p, key, json_string_value(v), into, err) < 0)
				return -1;
			if (!b64)
				json_object_set(into, key, (json_t *)v);
		}
	}
	return 0;
}

/* --------------------------------------------------------------------- services */

static bool selects(const json_t *selector, const json_t *labels)
{
	if (!json_is_object(selector) || json_object_size(selector) == 0)
		return false;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)selector, k, v)
		if (!json_is_string(v) || !json_equal(v, json_object_get(labels, k)))
			return false;
	return true;
}

/* A targetPort by number, or by the name of one of the pod's container ports. */
static int target_port(const struct bld_deploy_kube_pod *p, const json_t *port)
{
	const json_t *t = json_object_get(port, "targetPort");
	if (json_is_integer(t))
		return (int)json_integer_value(t);
	size_t i, k;
	const json_t *c, *cp;
	json_array_foreach(json_object_get(p->spec, "containers"), i, c)
		json_array_foreach(json_object_get(c, "ports"), k, cp)
			if (json_is_string(t) && json_equal(t, json_object_get(cp, "name")))
				return (int)json_integer_value(json_object_get(cp, "containerPort"));
	return (int)json_integer_value(json_object_get(port, "port"));
}

static void add_port(struct bld_deploy_kube_pod *p, int host, int ctr, const char *proto)
{
	p->ports = xrealloc(p->ports, (p->n_ports + 1) * sizeof(*p->ports));
	struct bld_runner_port *r = &p->ports[p->n_ports++];
	memset(r, 0, sizeof(*r));
	r->host_port = host;
	r->ctr_port = ctr;
	snprintf(r->proto, sizeof(r->proto), "%s", proto && strcasecmp(proto, "UDP") == 0 ? "udp" : "tcp");
}

/* NodePort and LoadBalancer: every port on the host (nodePort, else port), on the first
 * pod the Service selects: one host port has one listener. */
static void publish_service(struct bld_deploy_kube_pod *p, const json_t *spec)
{
	size_t i;
	const json_t *port;
	json_array_foreach(json_object_get(spec, "ports"), i, port) {
		const json_t *np = json_object_get(port, "nodePort");
		int host = (int)json_integer_value(np ? np : json_object_get(port, "port"));
		add_port(p, host, target_port(p, port), bld_json_get_str(port, "protocol"));
	}
}

static int check_service(const struct bld_deploy_kube_file *f, const json_t *spec, const char *at,
			 struct bld_error **err)
{
	if (!json_is_object(spec))
		return bld_deploy_kube_fail(f, at, err, "spec: a mapping is required");
	if (want_list(f, spec, at, "ports", NULL, err) < 0 ||
	    want(f, spec, at, "selector", JSON_OBJECT, "a mapping", err) < 0)
		return -1;
	size_t i;
	const json_t *port;
	json_array_foreach(json_object_get(spec, "ports"), i, port) {
		cleanup_free char *p = xasprintf("%s/ports/%zu", at, i);
		const json_t *n = json_object_get(port, "port");
		if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 65535)
			return bld_deploy_kube_fail(f, p, err, "port: an integer from 1 to 65535 "
							       "is required");
	}
	return 0;
}

static int service(struct bld_deploy_kube_file *f, const json_t *o, const char *at,
		   struct bld_error **err)
{
	const json_t *spec = json_object_get(o, "spec");
	cleanup_free char *sat = xasprintf("%s/spec", at);
	if (check_service(f, spec, sat, err) < 0)
		return -1;
	const char *name = bld_json_get_str(json_object_get(o, "metadata"), "name");
	const char *type = bld_json_get_str(spec, "type");
	bool published = type && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"));
	if (type && !strcmp(type, "ExternalName"))
		warn(f, at, "Service of type ExternalName: not supported, skipped");
	for (size_t i = 0; i < f->n_pods; i++) {
		struct bld_deploy_kube_pod *p = &f->pods[i];
		if (strcmp(p->ns, ns_of(o)) != 0 ||
		    !selects(json_object_get(spec, "selector"), json_object_get(p->meta, "labels")))
			continue;
		bld_strv_push(&p->aliases, name);
		cleanup_free char *fq = xasprintf("%s.%s.svc.cluster.local", name, p->ns),
				  *sn = xasprintf("%s.%s", name, p->ns);
		bld_strv_push(&p->aliases, sn);
		bld_strv_push(&p->aliases, fq);
		if (published)
			publish_service(p, spec);
		published = false;
	}
	return 0;
}

/* --publish HOST:CONTAINER[/PROTO]: the port of the first pod that publishes CONTAINER,
 * else of the first whose containers declare it. */
static int publish_flag(struct bld_deploy_kube_file *f, const char *spec, struct bld_error **err)
{
	long host = 0, ctr = 0;
	cleanup_strv char **parts = bld_strv_split(spec, ":/");
	if (bld_strv_len(parts) < 2 || bld_parse_long(parts[0], 1, 65535, &host) < 0 ||
	    bld_parse_long(parts[1], 1, 65535, &ctr) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"--publish %s: HOST:CONTAINER expected", spec);
	for (size_t i = 0; i < f->n_pods; i++)
		for (size_t k = 0; k < f->pods[i].n_ports; k++)
			if (f->pods[i].ports[k].ctr_port == ctr) {
				f->pods[i].ports[k].host_port = (int)host;
				return 0;
			}
	for (size_t i = 0; i < f->n_pods; i++) {
		size_t a, b;
		const json_t *c, *cp;
		json_array_foreach(json_object_get(f->pods[i].spec, "containers"), a, c)
			json_array_foreach(json_object_get(c, "ports"), b, cp)
				if (json_integer_value(json_object_get(cp, "containerPort")) == ctr) {
					add_port(&f->pods[i], (int)host, (int)ctr, parts[2]);
					return 0;
				}
	}
	return bld_error_refuse(err, BLD_E_INVALID,
				"--publish %s: no container has port %ld", spec, ctr);
}

/* containers' hostPort: published as they say. */
static void host_ports(struct bld_deploy_kube_pod *p)
{
	size_t a, b;
	const json_t *c, *cp;
	json_array_foreach(json_object_get(p->spec, "containers"), a, c)
		json_array_foreach(json_object_get(c, "ports"), b, cp)
			if (json_is_integer(json_object_get(cp, "hostPort")))
				add_port(p, (int)json_integer_value(json_object_get(cp, "hostPort")),
					 (int)json_integer_value(json_object_get(cp, "containerPort")),
					 bld_json_get_str(cp, "protocol"));
}

/* --------------------------------------------------------------------- the file */

static int read_input(const char *path, char **data, size_t *len, struct bld_error **err)
{
	if (strcmp(path, "-") == 0)
		return bld_fs_read_fd(0, KUBE_FILE_MAX, data, len, err);
	return bld_fs_read_file(path, KUBE_FILE_MAX, data, len, err);
}

typedef int (*object_fn)(struct bld_deploy_kube_file *f, const json_t *o, const char *at,
			 struct bld_error **err);

static int claim(struct bld_deploy_kube_file *f, const json_t *o, const char *at,
		 struct bld_error **err)
{
	json_object_set_new(f->claims, bld_json_get_str(json_object_get(o, "metadata"), "name"),
			    json_string(ns_of(o)));
	return 0;
}

/* The function for kind in pass 0 (objects) or 1 (Services, once the pods are known). */
static object_fn handler(const char *kind, int pass)
{
	static const struct {
		const char *kind;
		int pass;
		object_fn fn;
	} kinds[] = {
		{"Pod", 0, pod},        {"Deployment", 0, controller}, {"StatefulSet", 0, controller},
		{"Job", 0, controller}, {"ConfigMap", 0, data},        {"Secret", 0, data},
		{"PersistentVolumeClaim", 0, claim}, {"Service", 1, service},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].pass == pass ? kinds[i].fn : NULL;
	return NULL;
}

static int check_object(struct bld_deploy_kube_file *f, const json_t *o, const char *at,
			struct bld_error **err)
{
	if (!json_is_object(o))
		return bld_deploy_kube_fail(f, at, err, "a Kubernetes object (a mapping) is required");
	if (want_name(f, o, at, "apiVersion", err) < 0 || want_name(f, o, at, "kind", err) < 0)
		return -1;
	cleanup_free char *mat = xasprintf("%s/metadata", at);
	const json_t *meta = json_object_get(o, "metadata");
	if (!json_is_object(meta))
		return bld_deploy_kube_fail(f, meta ? mat : at, err, "metadata: a mapping is required");
	return want_name(f, meta, mat, "name", err) < 0 ||
			       want(f, meta, mat, "namespace", JSON_STRING, "a string", err) < 0
		       ? -1
		       : 0;
}

static int objects(struct bld_deploy_kube_file *f, int pass, struct bld_error **err)
{
	for (size_t i = 0; i < f->n_docs; i++) {
		const json_t *o = f->docs[i].root;
		cleanup_free char *at = xasprintf("/%zu", i);
		if (json_is_null(o))
			continue;
		if (pass == 0 && check_object(f, o, at, err) < 0)
			return -1;
		const char *kind = bld_json_get_str(o, "kind");
		object_fn fn = handler(kind, pass);
		if (fn && fn(f, o, at, err) < 0)
			return -1;
		if (pass == 0 && !handler(kind, 0) && !handler(kind, 1)) {
			cleanup_free char *what = xasprintf(
				"%s \"%s\": kind not supported, skipped", kind,
				bld_json_get_str(json_object_get(o, "metadata"), "name"));
			warn(f, at, what);
		}
	}
	return 0;
}

int bld_deploy_kube_file_load(struct bld_deploy_kube_file *f, const char *path,
			      char *const *publish, bool quiet, struct bld_error **err)
{
	memset(f, 0, sizeof(*f));
	f->quiet = quiet;
	bld_deploy_srcmap_init(&f->map);
	f->name = xstrdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	f->data = json_object();
	f->claims = json_object();
	f->namespaces = json_object();
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (read_input(path, &text, &len, err) < 0)
		return bld_error_wrap(err, "%s", f->name);
	if (bld_deploy_yaml_parse_indexed(text, len, f->name, &f->map, &f->docs, &f->n_docs,
					  err) < 0 ||
	    objects(f, 0, err) < 0 || objects(f, 1, err) < 0)
		return -1;
	for (size_t i = 0; i < f->n_pods; i++)
		host_ports(&f->pods[i]);
	for (size_t i = 0; publish && publish[i]; i++)
		if (publish_flag(f, publish[i], err) < 0)
			return -1;
	if (f->n_pods == 0)
		return bld_error_refuse(err, BLD_E_INVALID, "%s: no Pod, Deployment, StatefulSet "
							    "or Job to run", f->name);
	return 0;
}

void bld_deploy_kube_file_dispose(struct bld_deploy_kube_file *f)
{
	for (size_t i = 0; i < f->n_pods; i++) {
		free(f->pods[i].name);
		free(f->pods[i].at);
		free(f->pods[i].ports);
		bld_strv_free(f->pods[i].aliases);
	}
	free(f->pods);
	bld_deploy_docs_free(f->docs, f->n_docs);
	bld_deploy_srcmap_dispose(&f->map);
	json_decref(f->data);
	json_decref(f->claims);
	json_decref(f->namespaces);
	free(f->name);
	memset(f, 0, sizeof(*f));
}
