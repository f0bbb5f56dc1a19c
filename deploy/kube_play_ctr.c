/*
 * deploy/kube_play_ctr.c — one container of a Kubernetes pod spec turned into what the
 * runner creates, with Kubernetes' meanings: command replaces the image's ENTRYPOINT and
 * args its CMD; env after envFrom, both resolved from the file's ConfigMaps and Secrets, and
 * $(VAR) expanded in env, command and args; volumeMounts from the pod's volumes (a
 * PersistentVolumeClaim is the bld volume of its name, a StatefulSet's claim template the
 * volume "<claim>-<pod>", hostPath a bind mount, configMap, secret and emptyDir directories
 * of the pod's own under the store's kube/ directory, emptyDir of medium Memory a tmpfs);
 * resources.limits, securityContext (the pod's, then the container's), workingDir; the
 * readinessProbe (else the livenessProbe) as the health check.
 *
 * It reads the checked file only and creates nothing but the pod's volume files
 * (bld_deploy_kube_pod_files). Probes of kind httpGet and tcpSocket become commands run in
 * the container (wget, nc): the image must have them, unlike the kubelet's own probes.
 */
#include "deploy/deploy_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL

/* ---------------------------------------------------------------------- values */

/* A Kubernetes quantity ("128Mi", "1G", "500m", "1.5"), times 1000 when milli (CPU). */
static int quantity(const json_t *v, bool milli, int64_t *out)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0},
		     {"Ti", 1099511627776.0}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
		     {"m", 1e-3}};
	if (json_is_number(v)) {
		*out = (int64_t)(json_number_value(v) * (milli ? 1000 : 1));
		return 0;
	}
	const char *s = json_string_value(v);
	char *end = NULL;
	double n = s ? strtod(s, &end) : NAN;
	if (!s || end == s || !isfinite(n) || n < 0)
		return -1;
	double mult = 1;
	for (size_t i = 0; *end && i < BLD_ARRAY_SIZE(units); i++)
		if (strcmp(end, units[i].suffix) == 0)
			mult = units[i].mult, end += strlen(end);
	if (*end)
		return -1;
	*out = (int64_t)(n * mult * (milli ? 1000 : 1) + 0.5);
	return 0;
}

/* $(VAR) replaced by env's value when env has it, $$ kept as one $: Kubernetes' rule. */
static char *expand(const char *s, char *const *env)
{
	struct bld_buf b = {0};
	for (const char *p = s; *p; p++) {
		const char *close = p[0] == '$' && p[1] == '(' ? strchr(p + 2, ')') : NULL;
		if (p[0] == '$' && p[1] == '$') {
			bld_buf_addc(&b, '$');
			p++;
			continue;
		}
		cleanup_free char *name = close ? xstrndup(p + 2, (size_t)(close - p - 2)) : NULL;
		const char *v = name ? bld_strv_env_get(env, name) : NULL;
		if (v) {
			bld_buf_adds(&b, v);
			p = close;
			continue;
		}
		bld_buf_addc(&b, *p);
	}
	bld_buf_addc(&b, '\0');
	return bld_buf_detach(&b);
}

static char **expand_all(const json_t *arr, char *const *env)
{
	char **out = xcalloc(1, sizeof(char *));
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		cleanup_free char *s = expand(json_string_value(v), env);
		bld_strv_push(&out, s);
	}
	return out;
}

/* ------------------------------------------------------------------------- env */

static const json_t *data_of(const struct bld_deploy_kube_file *f,
			     const struct bld_deploy_kube_pod *p, const char *kind, const char *name)
{
	cleanup_free char *id = xasprintf("%s/%s/%s", kind, p->ns, name ? name : "");
	return json_object_get(f->data, id);
}

/* configMapKeyRef, secretKeyRef: the value, NULL when optional and missing. */
static int key_ref(const struct bld_deploy_kube_file *f, const struct bld_deploy_kube_pod *p,
		   const json_t *ref, const char *kind, const char *at, const char **out,
		   struct bld_error **err)
{
	const char *name = bld_json_get_str(ref, "name"), *key = bld_json_get_str(ref, "key");
	const json_t *d = data_of(f, p, kind, name);
	*out = bld_json_get_str(d, key ? key : "");
	if (*out || json_is_true(json_object_get(ref, "optional")))
		return 0;
	if (!d)
		return bld_deploy_kube_fail(f, at, err, "%s \"%s\" not found in the file", kind,
					    name ? name : "");
	return bld_deploy_kube_fail(f, at, err, "%s \"%s\" has no key \"%s\"", kind, name,
				    key ? key : "");
}

static int value_from(const struct bld_deploy_kube_file *f, const struct bld_deploy_kube_pod *p,
		      const json_t *from, const char *at, const char **out, struct bld_error **err)
{
	const json_t *cm = json_object_get(from, "configMapKeyRef");
	const json_t *sk = json_object_get(from, "secretKeyRef");
	const char *field = bld_json_get_str(json_object_get(from, "fieldRef"), "fieldPath");
	if (cm || sk)
		return key_ref(f, p, cm ? cm : sk, cm ? "ConfigMap" : "Secret", at, out, err);
	if (field && strcmp(field, "metadata.name") == 0)
		*out = p->name;
	else if (field && strcmp(field, "metadata.namespace") == 0)
		*out = p->ns;
	else
		return bld_deploy_kube_fail(f, at, err, "valueFrom: only configMapKeyRef, "
							"secretKeyRef and fieldRef metadata.name or "
							"metadata.namespace are supported");
	return 0;
}

static int env_from(const struct bld_deploy_kube_file *f, const struct bld_deploy_kube_pod *p,
		    const json_t *ctr, const char *at, char ***env, struct bld_error **err)
{
	size_t i;
	const json_t *e;
	json_array_foreach(json_object_get(ctr, "envFrom"), i, e) {
		const json_t *cm = json_object_get(e, "configMapRef");
		const json_t *ref = cm ? cm : json_object_get(e, "secretRef");
		const char *kind = cm ? "ConfigMap" : "Secret", *name = bld_json_get_str(ref, "name");
		const json_t *d = data_of(f, p, kind, name);
		cleanup_free char *eat = xasprintf("%s/envFrom/%zu", at, i);
		if (!d && !json_is_true(json_object_get(ref, "optional")))
			return bld_deploy_kube_fail(f, eat, err, "%s \"%s\" not found in the file",
						    kind, name ? name : "");
		const char *prefix = bld_json_get_str(e, "prefix"), *k;
		const json_t *v;
		json_object_foreach((json_t *)d, k, v) {
			cleanup_free char *key = xasprintf("%s%s", prefix ? prefix : "", k);
			bld_strv_env_set(env, key, json_string_value(v));
		}
	}
	return 0;
}

static int env(const struct bld_deploy_kube_file *f, const struct bld_deploy_kube_pod *p,
	       const json_t *ctr, const char *at, char ***out, struct bld_error **err)
{
	*out = xcalloc(1, sizeof(char *));
	if (env_from(f, p, ctr, at, out, err) < 0)
		return -1;
	size_t i;
	const json_t *e;
	json_array_foreach(json_object_get(ctr, "env"), i, e) {
		cleanup_free char *eat = xasprintf("%s/env/%zu", at, i);
		const json_t *v = json_object_get(e, "value"), *from = json_object_get(e, "valueFrom");
		const char *val = json_string_value(v);
		cleanup_free char *num = json_is_number(v) || json_is_boolean(v)
						 ? json_dumps(v, JSON_ENCODE_ANY)
						 : NULL;
		if (from && value_from(f, p, from, eat, &val, err) < 0)
			return -1;
		cleanup_free char *x = expand(num ? num : val ? val : "", *out);
		if (val || num || !from)
			bld_strv_env_set(out, bld_json_get_str(e, "name"), x);
	}
	return 0;
}

/* --------------------------------------------------------------------- volumes */

static const json_t *volume_of(const struct bld_deploy_kube_pod *p, const char *name)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(p->spec, "volumes"), i, v)
		if (strcmp(bld_json_get_str(v, "name"), name) == 0)
			return v;
	return NULL;
}

static bool claim_template(const struct bld_deploy_kube_pod *p, const char *name)
{
	size_t i;
	const json_t *t;
	json_array_foreach(p->claims, i, t)
		if (strcmp(bld_json_get_str(json_object_get(t, "metadata"), "name") ?: "", name) == 0)
			return true;
	return false;
}

/* The source of a mount: a volume name or a host path, "" for a tmpfs. */
static int mount_source(const struct bld_deploy_kube_file *f, const struct bld_deploy_kube_pod *p,
			const char *name, const char *dir, const char *at, char **src, bool *path,
			struct bld_error **err)
{
	const json_t *v = volume_of(p, name);
	const json_t *pvc = json_object_get(v, "persistentVolumeClaim");
	const json_t *ed = json_object_get(v, "emptyDir");
	*path = true;
	if (!v && claim_template(p, name))
		*src = xasprintf("%s-%s", name, p->name), *path = false;
	else if (pvc)
		*src = xstrdup(bld_json_get_str(pvc, "claimName") ?: ""), *path = false;
	else if (json_object_get(v, "hostPath")) /* without a "/": a named volume, as podman */
		*src = xstrdup(bld_json_get_str(json_object_get(v, "hostPath"), "path") ?: "/"),
		*path = strchr(*src, '/') != NULL;
	else if (ed && strcmp(bld_json_get_str(ed, "medium") ?: "", "Memory") == 0)
		*src = xstrdup("");
	else if (ed || json_object_get(v, "configMap") || json_object_get(v, "secret"))
		*src = xasprintf("%s/%s", dir, name);
	else
		return bld_deploy_kube_fail(f, at, err, "volume \"%s\": %s", name,
					    v ? "only persistentVolumeClaim, hostPath, emptyDir, "
						"configMap and secret volumes are supported"
					      : "no such volume in the pod");
	return 0;
}

static int mounts(const struct bld_deploy_kube_file *f, const struct bld_deploy_kube_pod *p,
		  const json_t *ctr, const char *at, const char *dir,
		  struct bld_runner_container_config *c, struct bld_error **err)
{
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(ctr, "volumeMounts"), i, m) {
		cleanup_free char *mat = xasprintf("%s/volumeMounts/%zu", at, i), *src = NULL;
		bool path;
		if (mount_source(f, p, bld_json_get_str(m, "name"), dir, mat, &src, &path, err) < 0 ||
		    !src)
			return -1;
		const char *dst = bld_json_get_str(m, "mountPath");
		const char *sub = bld_json_get_str(m, "subPath");
		bool ro = json_is_true(json_object_get(m, "readOnly"));
		if (!*src) {
			bld_strv_push(&c->tmpfs, dst);
			continue;
		}
		if (sub && *sub && (!path || strstr(sub, "..") || sub[0] == '/'))
			return bld_deploy_kube_fail(f, mat, err, "subPath: only a relative path in "
								 "a hostPath, emptyDir, configMap "
								 "or secret volume is supported");
		cleanup_free char *full = sub && *sub ? xasprintf("%s/%s", src, sub) : xstrdup(src);
		cleanup_free char *bind = xasprintf("%s:%s%s", full, dst, ro ? ":ro" : "");
		bld_strv_push(&c->binds, bind);
	}
	return 0;
}

/* -------------------------------------------------------------------- security */

static const json_t *sec(const json_t *ctr, const json_t *pod_sc, const char *key)
{
	const json_t *v = json_object_get(json_object_get(ctr, "securityContext"), key);
	return v ? v : json_object_get(pod_sc, key);
}

static void security(const struct bld_deploy_kube_pod *p, const json_t *ctr,
		     struct bld_runner_container_config *c)
{
	const json_t *psc = json_object_get(p->spec, "securityContext");
	const json_t *sc = json_object_get(ctr, "securityContext");
	const json_t *uid = sec(ctr, psc, "runAsUser"), *gid = sec(ctr, psc, "runAsGroup");
	if (json_is_integer(uid) && json_is_integer(gid))
		c->user = xasprintf("%lld:%lld", (long long)json_integer_value(uid),
				    (long long)json_integer_value(gid));
	else if (json_is_integer(uid))
		c->user = xasprintf("%lld", (long long)json_integer_value(uid));
	const json_t *caps = json_object_get(sc, "capabilities");
	c->cap_add = bld_json_to_strv(json_object_get(caps, "add"));
	c->cap_drop = bld_json_to_strv(json_object_get(caps, "drop"));
	c->readonly = json_is_true(json_object_get(sc, "readOnlyRootFilesystem"));
	c->privileged = json_is_true(json_object_get(sc, "privileged"));
	c->no_new_privs = json_is_false(json_object_get(sc, "allowPrivilegeEscalation"));
}

static int limits(const struct bld_deploy_kube_file *f, const json_t *ctr, const char *at,
		  struct bld_runner_container_config *c, struct bld_error **err)
{
	const json_t *l = json_object_get(json_object_get(ctr, "resources"), "limits");
	const json_t *mem = json_object_get(l, "memory"), *cpu = json_object_get(l, "cpu");
	cleanup_free char *lat = xasprintf("%s/resources/limits", at);
	if (mem && quantity(mem, false, &c->memory) < 0)
		return bld_deploy_kube_fail(f, lat, err, "memory: not a quantity");
	if (cpu && quantity(cpu, true, &c->cpu_milli) < 0)
		return bld_deploy_kube_fail(f, lat, err, "cpu: not a quantity");
	return 0;
}

/* ---------------------------------------------------------------------- probes */

/* A probe's port: a number, or the name of one of the container's ports. */
static long probe_port(const json_t *ctr, const json_t *port)
{
	size_t i;
	const json_t *cp;
	json_array_foreach(json_object_get(ctr, "ports"), i, cp)
		if (json_is_string(port) && json_equal(port, json_object_get(cp, "name")))
			return (long)json_integer_value(json_object_get(cp, "containerPort"));
	return (long)json_integer_value(port);
}

static char **probe_test(const json_t *ctr, const json_t *pr)
{
	const json_t *ex = json_object_get(json_object_get(pr, "exec"), "command");
	const json_t *hg = json_object_get(pr, "httpGet"), *tcp = json_object_get(pr, "tcpSocket");
	char **t = xcalloc(1, sizeof(char *));
	if (json_is_array(ex)) {
		bld_strv_push(&t, "CMD");
		cleanup_strv char **argv = bld_json_to_strv(ex);
		for (size_t i = 0; argv && argv[i]; i++)
			bld_strv_push(&t, argv[i]);
		return t;
	}
	cleanup_free char *sh = NULL;
	if (hg)
		sh = xasprintf("wget -q -O /dev/null http://127.0.0.1:%ld%s",
			       probe_port(ctr, json_object_get(hg, "port")),
			       bld_json_get_str(hg, "path") ?: "/");
	else if (tcp)
		sh = xasprintf("nc -z 127.0.0.1 %ld", probe_port(ctr, json_object_get(tcp, "port")));
	if (!sh) {
		bld_strv_free(t);
		return NULL;
	}
	bld_strv_push(&t, "CMD-SHELL");
	bld_strv_push(&t, sh);
	return t;
}

static int64_t seconds(const json_t *pr, const char *key, int64_t def)
{
	const json_t *v = json_object_get(pr, key);
	return (json_is_integer(v) ? json_integer_value(v) : def) * NS_PER_S;
}

/* Kubernetes probes at once (after initialDelaySeconds), then every periodSeconds: the
 * health check's start period covers the first failureThreshold periods, checked every
 * second, so that a ready container is seen ready within a second as the kubelet sees it. */
static void probe(const json_t *ctr, struct bld_runner_container_config *c)
{
	const json_t *pr = json_object_get(ctr, "readinessProbe");
	if (!pr)
		pr = json_object_get(ctr, "livenessProbe");
	if (!pr || !(c->health.test = probe_test(ctr, pr)))
		return;
	c->health.interval = seconds(pr, "periodSeconds", 10);
	c->health.timeout = seconds(pr, "timeoutSeconds", 1);
	c->health.retries = (int)(seconds(pr, "failureThreshold", 3) / NS_PER_S);
	c->health.start_period = seconds(pr, "initialDelaySeconds", 0) +
				 c->health.interval * c->health.retries;
	c->health.start_interval = c->health.interval < NS_PER_S ? c->health.interval : NS_PER_S;
}

/* ------------------------------------------------------------------- container */

static void labels(const struct bld_deploy_kube_pod *p, struct bld_runner_container_config *c)
{
	const char *k;
	const json_t *v;
	json_object_foreach(json_object_get(p->meta, "labels"), k, v)
		if (json_is_string(v)) {
			cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
			bld_strv_push(&c->labels, kv);
		}
	cleanup_free char *pod = xasprintf(BLD_KUBE_LABEL_POD "=%s/%s", p->ns, p->name);
	cleanup_free char *owner = xasprintf(BLD_KUBE_LABEL_OWNER "=%s/%s/%s", p->ns, p->kind,
					     p->owner);
	bld_strv_push(&c->labels, pod);
	bld_strv_push(&c->labels, owner);
}

static const char *restart_of(const struct bld_deploy_kube_pod *p)
{
	const char *rp = bld_json_get_str(p->spec, "restartPolicy");
	if (p->backoff >= 0 || (rp && strcmp(rp, "Never") == 0))
		return "no"; /* a Job's attempts are play's to make */
	return rp && strcmp(rp, "OnFailure") == 0 ? "on-failure" : "always";
}

int bld_deploy_kube_ctr_config(const struct bld_deploy_kube_file *f,
			       const struct bld_deploy_kube_pod *p, const json_t *ctr,
			       const char *at, const char *dir, const char *net,
			       struct bld_runner_container_config *c, struct bld_error **err)
{
	memset(c, 0, sizeof(*c));
	c->name = xasprintf("%s-%s", p->name, bld_json_get_str(ctr, "name"));
	c->image = xstrdup(bld_json_get_str(ctr, "image"));
	c->image_ref = bld_deploy_image_full_name(c->image);
	c->network = xstrdup(net);
	c->restart = xstrdup(restart_of(p));
	c->workdir = bld_json_get_str(ctr, "workingDir") ? xstrdup(bld_json_get_str(ctr, "workingDir"))
							 : NULL;
	if (env(f, p, ctr, at, &c->env, err) < 0 || mounts(f, p, ctr, at, dir, c, err) < 0 ||
	    limits(f, ctr, at, c, err) < 0)
		return -1;
	const json_t *cmd = json_object_get(ctr, "command"), *args = json_object_get(ctr, "args");
	if (cmd) {
		c->entrypoint = expand_all(cmd, c->env);
		c->entrypoint_set = true;
		c->cmd = args ? expand_all(args, c->env) : xcalloc(1, sizeof(char *));
	} else if (args) {
		c->cmd = expand_all(args, c->env);
	}
	security(p, ctr, c);
	probe(ctr, c);
	labels(p, c);
	return 0;
}

/* ----------------------------------------------------------------- volume files */

static int write_file(const char *dir, const char *rel, const json_t *v, int mode,
		      struct bld_error **err)
{
	cleanup_free char *full = xasprintf("%s/%s", dir, rel);
	char *slash = strrchr(full, '/');
	*slash = '\0';
	if (bld_fs_mkdir_p(full, 0755, err) < 0)
		return -1;
	cleanup_close int fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", full);
	return bld_fs_write_atomic(fd, slash + 1, json_string_value(v), json_string_length(v),
				   (mode_t)(mode & 07777), err);
}

static bool safe_rel(const char *p)
{
	return p && *p && p[0] != '/' && !strstr(p, "..");
}

/* A configMap or secret volume: every key as a file, or the items asked for at their
 * paths, with their modes (defaultMode, else 0644). */
static int data_volume(const struct bld_deploy_kube_file *f, const struct bld_deploy_kube_pod *p,
		       const json_t *vol, const char *at, const char *dir, struct bld_error **err)
{
	const json_t *cm = json_object_get(vol, "configMap");
	const json_t *src = cm ? cm : json_object_get(vol, "secret");
	const char *name = bld_json_get_str(src, cm ? "name" : "secretName");
	const json_t *d = data_of(f, p, cm ? "ConfigMap" : "Secret", name);
	if (!d && !json_is_true(json_object_get(src, "optional")))
		return bld_deploy_kube_fail(f, at, err, "%s \"%s\" not found in the file",
					    cm ? "ConfigMap" : "Secret", name ? name : "");
	const json_t *dm = json_object_get(src, "defaultMode");
	int mode = json_is_integer(dm) ? (int)json_integer_value(dm) : 0644;
	cleanup_free char *vdir = xasprintf("%s/%s", dir, bld_json_get_str(vol, "name"));
	if (bld_fs_mkdir_p(vdir, 0755, err) < 0)
		return -1;
	const json_t *items = json_object_get(src, "items");
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it) {
		const char *key = bld_json_get_str(it, "key"), *path = bld_json_get_str(it, "path");
		const json_t *m = json_object_get(it, "mode");
		if (!safe_rel(path) || !json_object_get(d, key ? key : ""))
			return bld_deploy_kube_fail(f, at, err, "items: key \"%s\" or path \"%s\" "
								"not valid", key ?: "", path ?: "");
		if (write_file(vdir, path, json_object_get(d, key),
			       json_is_integer(m) ? (int)json_integer_value(m) : mode, err) < 0)
			return -1;
	}
	const char *k;
	const json_t *v;
	json_object_foreach(items ? NULL : (json_t *)d, k, v)
		if (safe_rel(k) && write_file(vdir, k, v, mode, err) < 0)
			return -1;
	return 0;
}

int bld_deploy_kube_pod_files(const struct bld_deploy_kube_file *f,
			      const struct bld_deploy_kube_pod *p, const char *dir,
			      struct bld_error **err)
{
	if (bld_fs_mkdir_p(dir, 0755, err) < 0)
		return -1;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(p->spec, "volumes"), i, v) {
		cleanup_free char *at = xasprintf("%s/volumes/%zu", p->at, i);
		cleanup_free char *vdir = xasprintf("%s/%s", dir, bld_json_get_str(v, "name"));
		if (json_object_get(v, "configMap") || json_object_get(v, "secret")) {
			if (data_volume(f, p, v, at, dir, err) < 0)
				return -1;
		} else if (json_object_get(v, "emptyDir") && bld_fs_mkdir_p(vdir, 0777, err) < 0) {
			return -1;
		}
	}
	return 0;
}
