/*
 * deploy/kube_play.c — `kube play` and `kube down`: the pods of a Kubernetes YAML file run
 * with bld's runner, as podman's kube play runs them, and removed again.
 *
 * A pod is an infra container (bld's own static pause process on an otherwise empty root,
 * the holder of the pod's network namespace, named after the pod on the namespace's network
 * "kube-<namespace>", with the ports its Services publish) and its containers joined to that
 * namespace (`--network container:`), so that they share localhost as in Kubernetes; names
 * "<pod>-infra", "<pod>-<container>". Pods come up side by side, a child process each: the
 * Jobs a pod's bld.dev/wait-for-jobs annotation names are waited for (exit 0), then its
 * init containers run one after the other to completion, then its containers start; once
 * every container runs (healthy where it has a probe), the pod's infra endpoint gets the
 * names of the Services that select it, so that a Service name resolves to ready pods only.
 * A Job's pod is waited for to the end, failed containers started again up to backoffLimit
 * times. play returns when every pod is ready or complete.
 *
 * Every container is labelled with its pod and owner (io.bld.kube.*): kube down removes the
 * containers of the file's pods and their directories under $BLD_ROOT/kube/; volumes only
 * with --volumes. There is no controller: a pod that dies later is the runner's restart
 * policy's, not rescheduled.
 */
#include "deploy/deploy_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 100

/* kube_pause_bin.c */
extern const unsigned char bld_deploy_kube_pause[];
extern const uint64_t bld_deploy_kube_pause_size;

struct play {
	struct bld_deploy_kube_file f;
	const struct bld_deploy_kube_play_opts *o;
	char *pause_dir;
};

static void nap(void)
{
	struct timespec ts = {0, POLL_MS * 1000000L};
	nanosleep(&ts, NULL);
}

static char *pod_dir(struct bld_ctx *ctx, const struct bld_deploy_kube_pod *p)
{
	return xasprintf("%s/kube/%s/%s", ctx->root, p->ns, p->name);
}

static char *net_of(const char *network, const char *ns)
{
	return network ? xstrdup(network) : xasprintf("kube-%s", ns);
}

static void event(struct bld_ctx *ctx, const char *pod, const char *status)
{
	cleanup_free char *what = xasprintf("Pod %s", pod);
	bld_deploy_event(ctx, what, status);
}

/* ------------------------------------------------------------- store objects */

/* The pause process written once under the store's kube/ (the same bytes: left as it is). */
static int pause_rootfs(struct bld_ctx *ctx, char **dir, struct bld_error **err)
{
	*dir = xasprintf("%s/kube/pause", ctx->root);
	size_t n = (size_t)bld_deploy_kube_pause_size;
	cleanup_free char *bin = xasprintf("%s/pause", *dir);
	struct stat st;
	if (stat(bin, &st) == 0 && (size_t)st.st_size == n)
		return 0;
	if (bld_fs_mkdir_p(*dir, 0755, err) < 0)
		return -1;
	cleanup_close int fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", *dir);
	return bld_fs_write_atomic(fd, "pause", bld_deploy_kube_pause, n, 0755, err);
}

static int ensure_network(struct bld_ctx *ctx, const char *ns, struct bld_error **err)
{
	cleanup_free char *name = net_of(NULL, ns);
	cleanup_json json_t *net = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_network_load(ctx, name, &net, &e) == 0)
		return 0;
	cleanup_free char *label = xasprintf("io.bld.kube.namespace=%s", ns), *id = NULL;
	char *labels[] = {label, NULL};
	struct bld_runner_network_spec s = {.name = name, .labels = labels};
	return bld_runner_network_create(ctx, &s, &id, err);
}

static int ensure_volume(struct bld_ctx *ctx, const char *name, const char *ns,
			 struct bld_error **err)
{
	cleanup_json json_t *v = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_volume_inspect(ctx, name, &v, &e) == 0)
		return 0;
	cleanup_free char *label = xasprintf("io.bld.kube.namespace=%s", ns), *out = NULL;
	char *labels[] = {label, NULL};
	return bld_runner_volume_create(ctx, name, labels, &out, err);
}

/* The PersistentVolumeClaims' volumes and each StatefulSet pod's claim templates'. */
static int volumes(struct bld_ctx *ctx, const struct bld_deploy_kube_file *f, bool remove,
		   struct bld_error **err)
{
	const char *name;
	json_t *ns;
	cleanup_strv char **names = NULL, **nss = NULL;
	json_object_foreach(f->claims, name, ns)
		bld_strv_push(&names, name), bld_strv_push(&nss, json_string_value(ns));
	for (size_t i = 0; i < f->n_pods; i++) {
		size_t k;
		const json_t *t;
		json_array_foreach(f->pods[i].claims, k, t) {
			cleanup_free char *v = xasprintf(
				"%s-%s", bld_json_get_str(json_object_get(t, "metadata"), "name"),
				f->pods[i].name);
			bld_strv_push(&names, v), bld_strv_push(&nss, f->pods[i].ns);
		}
	}
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_error struct bld_error *e = NULL;
		if (remove)
			bld_runner_volume_remove(ctx, names[i], false, &e);
		else if (ensure_volume(ctx, names[i], nss[i], err) < 0)
			return -1;
	}
	return 0;
}

/* The Jobs of the pod's bld.dev/wait-for-jobs annotation (NULL: none); caller frees. */
static char **jobs_of(const struct bld_deploy_kube_pod *p)
{
	const char *ann = bld_json_get_str(json_object_get(p->meta, "annotations"),
					   "bld.dev/wait-for-jobs");
	return ann ? bld_strv_split(ann, ", ") : NULL;
}

/* An init container "wait-for-<job>" for a Job the annotation names: play waits itself. */
static bool skipped(char *const *jobs, const char *name)
{
	for (size_t k = 0; jobs && jobs[k]; k++)
		if (bld_str_has_prefix(name, "wait-for-") && strcmp(name + 9, jobs[k]) == 0)
			return true;
	return false;
}

static void each_image(const struct bld_deploy_kube_pod *p, const char *key, char ***out)
{
	size_t i;
	const json_t *c;
	cleanup_strv char **jobs = jobs_of(p);
	json_array_foreach(json_object_get(p->spec, key), i, c) {
		if (skipped(jobs, bld_json_get_str(c, "name")))
			continue;
		const char *pol = bld_json_get_str(c, "imagePullPolicy");
		cleanup_free char *v = xasprintf("%c%s", pol && !strcmp(pol, "Always") ? 'A' : '-',
						 bld_json_get_str(c, "image"));
		bld_strv_push(out, v);
	}
}

static int images(struct bld_ctx *ctx, const struct bld_deploy_kube_file *f,
		  struct bld_error **err)
{
	cleanup_strv char **v = NULL;
	for (size_t i = 0; i < f->n_pods; i++) {
		each_image(&f->pods[i], "initContainers", &v);
		each_image(&f->pods[i], "containers", &v);
	}
	cleanup_json json_t *seen = json_object();
	for (size_t i = 0; v && v[i]; i++) {
		if (json_object_get(seen, v[i]))
			continue;
		json_object_set_new(seen, v[i], json_true());
		if (bld_deploy_image_ensure(ctx, v[i] + 1, v[i][0] == 'A', err) < 0)
			return bld_error_wrap(err, "image %s", v[i] + 1);
	}
	return 0;
}

/* ---------------------------------------------------------------- containers */

static void push_label(char ***labels, const char *k, const char *v)
{
	cleanup_free char *kv = xasprintf("%s=%s", k, v);
	bld_strv_push(labels, kv);
}

static int infra(struct bld_ctx *ctx, struct play *pl, const struct bld_deploy_kube_pod *p,
		 const char *net, char **id, struct bld_error **err)
{
	struct bld_runner_container_config c = {0};
	c.name = xasprintf("%s-infra", p->name);
	c.rootfs = xstrdup(pl->pause_dir);
	c.image = xstrdup(pl->pause_dir);
	c.entrypoint = xcalloc(2, sizeof(char *));
	c.entrypoint[0] = xstrdup("/pause");
	c.entrypoint_set = true;
	c.cmd = xcalloc(1, sizeof(char *));
	c.init = true;
	c.network = xstrdup(net);
	c.hostname = xstrndup(p->name, 63);
	c.restart = xstrdup("no");
	c.ports = p->n_ports ? xmalloc(p->n_ports * sizeof(*c.ports)) : NULL;
	if (p->n_ports)
		memcpy(c.ports, p->ports, p->n_ports * sizeof(*c.ports));
	c.n_ports = p->n_ports;
	cleanup_free char *pod = xasprintf("%s/%s", p->ns, p->name);
	cleanup_free char *owner = xasprintf("%s/%s/%s", p->ns, p->kind, p->owner);
	push_label(&c.labels, BLD_KUBE_LABEL_POD, pod);
	push_label(&c.labels, BLD_KUBE_LABEL_OWNER, owner);
	push_label(&c.labels, BLD_KUBE_LABEL_ROLE, "infra");
	c.endpoints = json_pack("{s:{s:[s]}}", net, "Aliases", p->name);
	int r = bld_runner_container_create(ctx, &c, id, err);
	bld_runner_container_config_dispose(&c);
	struct bld_runner_attach none = {0};
	int fd = -1;
	return r < 0 ? -1 : bld_runner_container_start(ctx, *id, &none, &fd, err);
}

/* Creates one container of the pod (role: init or main). */
static int create(struct bld_ctx *ctx, struct play *pl, const struct bld_deploy_kube_pod *p,
		  const char *key, size_t i, const char *infra_id, const char *role, char **id,
		  struct bld_error **err)
{
	const json_t *ctr = json_array_get(json_object_get(p->spec, key), i);
	cleanup_free char *at = xasprintf("%s/%s/%zu", p->at, key, i);
	cleanup_free char *dir = pod_dir(ctx, p), *net = xasprintf("container:%s", infra_id);
	struct bld_runner_container_config c;
	int r = bld_deploy_kube_ctr_config(&pl->f, p, ctr, at, dir, net, &c, err);
	if (r == 0 && strcmp(role, "init") == 0) { /* to completion once, whatever the pod's */
		free(c.restart);
		c.restart = xstrdup("no");
	}
	if (r == 0) {
		push_label(&c.labels, BLD_KUBE_LABEL_ROLE, role);
		r = bld_runner_container_create(ctx, &c, id, err);
	}
	bld_runner_container_config_dispose(&c);
	return r;
}

static int start(struct bld_ctx *ctx, const char *id, struct bld_error **err)
{
	struct bld_runner_attach none = {0};
	int fd = -1;
	return bld_runner_container_start(ctx, id, &none, &fd, err);
}

/* ----------------------------------------------------------------------- pods */

/* 1 when a main container of the Job's pods has exited 0, 0 not yet, -1 when it failed
 * for good (its marker). */
static int job_done(struct bld_ctx *ctx, const char *ns, const char *name,
		    struct bld_error **err)
{
	cleanup_free char *owner = xasprintf("%s/Job/%s", ns, name);
	cleanup_free char *failed = xasprintf("%s/kube/%s/%s-0/failed", ctx->root, ns, name);
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	if (bld_runner_container_list_labeled(ctx, BLD_KUBE_LABEL_OWNER, owner, &v, &n, err) < 0)
		return -1;
	int done = 0;
	for (size_t k = 0; k < n; k++)
		if (!strcmp(bld_strv_env_get(v[k].labels, BLD_KUBE_LABEL_ROLE) ?: "", "main") &&
		    !strcmp(v[k].state, "exited") && v[k].exit_code == 0)
			done = 1;
	bld_runner_container_info_free(v, n);
	if (!done && access(failed, F_OK) == 0)
		return bld_error_set(err, BLD_E_INVALID, "job %s failed", name);
	return done;
}

/* bld.dev/wait-for-jobs: each Job's pod has exited 0. */
static int wait_jobs(struct bld_ctx *ctx, const struct bld_deploy_kube_pod *p,
		     char *const *jobs, struct bld_error **err)
{
	for (size_t i = 0; jobs && jobs[i]; i++) {
		int r;
		while ((r = job_done(ctx, p->ns, jobs[i], err)) == 0)
			nap();
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Runs the init containers in order, each to exit 0 (those waiting for a Job play waits
 * for itself skipped). */
static int init_containers(struct bld_ctx *ctx, struct play *pl,
			   const struct bld_deploy_kube_pod *p, const char *infra_id,
			   char *const *jobs, struct bld_error **err)
{
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(p->spec, "initContainers"), i, c) {
		const char *name = bld_json_get_str(c, "name");
		cleanup_free char *id = NULL;
		int code = 0;
		if (skipped(jobs, name))
			continue;
		if (create(ctx, pl, p, "initContainers", i, infra_id, "init", &id, err) < 0 ||
		    start(ctx, id, err) < 0 || bld_runner_container_wait(ctx, id, &code, err) < 0)
			return bld_error_wrap(err, "init container %s", name);
		if (code != 0)
			return bld_error_set(err, BLD_E_INVALID,
					     "init container %s exited with code %d", name, code);
	}
	return 0;
}

/* 1 when every container of ids runs (healthy if it has a probe), 0 not yet; an exited
 * container that will not restart: its error. */
static int ready(struct bld_ctx *ctx, char *const *ids, bool restarts, struct bld_error **err)
{
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_json json_t *in = NULL;
		if (bld_runner_container_inspect(ctx, ids[i], &in, err) < 0)
			return -1;
		const json_t *st = json_object_get(in, "State");
		const char *s = bld_json_get_str(st, "Status") ?: "";
		const char *h = bld_json_get_str(json_object_get(st, "Health"), "Status");
		if ((!strcmp(s, "exited") || !strcmp(s, "dead")) && !restarts)
			return bld_error_set(
				err, BLD_E_INVALID, "container %s exited with code %d",
				bld_json_get_str(in, "Name") ?: ids[i],
				(int)json_integer_value(json_object_get(st, "ExitCode")));
		if (strcmp(s, "running") != 0 || (h && strcmp(h, "healthy") != 0))
			return 0;
	}
	return 1;
}

/* A Job's pod to the end: failed containers started again, backoffLimit times at most;
 * the final failure leaves a marker for the pods that wait for the Job. */
static int job(struct bld_ctx *ctx, const struct bld_deploy_kube_pod *p, char *const *ids,
	       struct bld_error **err)
{
	size_t n = ids ? bld_strv_len((char **)ids) : 0;
	if (n == 0)
		return 0;
	cleanup_free int *codes = xcalloc(n + 1, sizeof(int));
	for (int attempt = 0;; attempt++) {
		int failed = -1;
		for (size_t i = 0; i < n; i++)
			if (bld_runner_container_wait(ctx, ids[i], &codes[i], err) < 0)
				return -1;
			else if (codes[i] != 0)
				failed = (int)i;
		if (failed < 0)
			return 0;
		if (attempt >= p->backoff) {
			cleanup_free char *dir = pod_dir(ctx, p);
			cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				bld_fs_write_atomic(fd, "failed", "", 0, 0644, NULL);
			return bld_error_set(err, BLD_E_INVALID,
					     "job %s failed: exit code %d after %d attempts",
					     p->owner, codes[failed], attempt + 1);
		}
		for (size_t i = 0; i < n; i++) /* only the failed ones run again */
			if (codes[i] != 0 &&
			    start(ctx, ids[i], err) < 0)
				return -1;
	}
}

static int run_mains(struct bld_ctx *ctx, struct play *pl, const struct bld_deploy_kube_pod *p,
		     const char *infra_id, char ***ids, struct bld_error **err)
{
	size_t n = json_array_size(json_object_get(p->spec, "containers"));
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *id = NULL;
		if (create(ctx, pl, p, "containers", i, infra_id, "main", &id, err) < 0)
			return -1;
		bld_strv_push(ids, id);
	}
	for (size_t i = 0; i < n; i++)
		if (start(ctx, (*ids)[i], err) < 0)
			return -1;
	return 0;
}

static int pod_job(struct bld_ctx *ctx, size_t i, void *payload, struct bld_error **err)
{
	struct play *pl = payload;
	const struct bld_deploy_kube_pod *p = &pl->f.pods[i];
	cleanup_free char *dir = pod_dir(ctx, p), *net = net_of(pl->o->network, p->ns);
	cleanup_free char *infra_id = NULL;
	cleanup_strv char **ids = NULL;
	cleanup_strv char **jobs = jobs_of(p);
	if (bld_deploy_kube_pod_files(&pl->f, p, dir, err) < 0 ||
	    infra(ctx, pl, p, net, &infra_id, err) < 0 || wait_jobs(ctx, p, jobs, err) < 0 ||
	    init_containers(ctx, pl, p, infra_id, jobs, err) < 0 ||
	    run_mains(ctx, pl, p, infra_id, &ids, err) < 0)
		return bld_error_wrap(err, "pod %s", p->name);
	event(ctx, p->name, "Started");
	if (p->backoff >= 0) {
		if (job(ctx, p, ids, err) < 0)
			return -1;
		event(ctx, p->name, "Completed");
		return 0;
	}
	bool restarts = strcmp(bld_json_get_str(p->spec, "restartPolicy") ?: "Always", "Never");
	int r;
	while ((r = ready(ctx, ids, restarts, err)) == 0)
		nap();
	if (r < 0 || (p->aliases && bld_runner_network_alias_add(ctx, net, infra_id, p->aliases,
								  err) < 0))
		return bld_error_wrap(err, "pod %s", p->name);
	event(ctx, p->name, "Ready");
	return 0;
}

/* ----------------------------------------------------------------------- down */

struct pod_ctrs {
	struct bld_runner_container_info *v;
	size_t n;
	int timeout;
	bool infra; /* this round: the infra container, else the others */
};

static int remove_ctr(struct bld_ctx *ctx, size_t i, void *payload, struct bld_error **err)
{
	const struct pod_ctrs *pc = payload;
	const char *role = bld_strv_env_get(pc->v[i].labels, BLD_KUBE_LABEL_ROLE) ?: "";
	if ((strcmp(role, "infra") == 0) != pc->infra)
		return 0;
	return bld_runner_container_stop(ctx, pc->v[i].id, pc->timeout, err) < 0 ||
			       bld_runner_container_remove(ctx, pc->v[i].id, true, false, err) < 0
		       ? -1
		       : 0;
}

/* The pod's containers stopped side by side (terminationGracePeriodSeconds, else their
 * own timeout) and removed, its infra container last; its directory. */
static int remove_pod(struct bld_ctx *ctx, size_t i, void *payload, struct bld_error **err)
{
	const struct bld_deploy_kube_file *f = payload;
	const struct bld_deploy_kube_pod *p = &f->pods[i];
	cleanup_free char *pod = xasprintf("%s/%s", p->ns, p->name), *dir = pod_dir(ctx, p);
	struct pod_ctrs pc = {0};
	if (bld_runner_container_list_labeled(ctx, BLD_KUBE_LABEL_POD, pod, &pc.v, &pc.n, err) < 0)
		return -1;
	const json_t *grace = json_object_get(p->spec, "terminationGracePeriodSeconds");
	pc.timeout = json_is_integer(grace) ? (int)json_integer_value(grace) : -1;
	int r = bld_deploy_parallel(ctx, pc.n, 0, remove_ctr, &pc, err);
	pc.infra = true;
	if (r == 0)
		r = bld_deploy_parallel(ctx, pc.n, 0, remove_ctr, &pc, err);
	bld_runner_container_info_free(pc.v, pc.n);
	if (r == 0 && pc.n)
		event(ctx, p->name, "Removed");
	return r < 0 ? -1 : bld_fs_rm_rf(dir, err);
}

static bool named(const struct bld_deploy_kube_file *f, const char *pod)
{
	for (size_t i = 0; pod && i < f->n_pods; i++) {
		cleanup_free char *id = xasprintf("%s/%s", f->pods[i].ns, f->pods[i].name);
		if (strcmp(id, pod) == 0)
			return true;
	}
	return false;
}

/* The containers of the file's workloads in pods the file no longer names (a Deployment
 * played with more replicas than it has now). */
static int strays(struct bld_ctx *ctx, const struct bld_deploy_kube_file *f,
		  struct bld_error **err)
{
	for (size_t i = 0; i < f->n_pods; i++) {
		const struct bld_deploy_kube_pod *p = &f->pods[i];
		if (i > 0 && p->owner == f->pods[i - 1].owner && p->kind == f->pods[i - 1].kind)
			continue; /* the replicas of one object come one after the other */
		cleanup_free char *owner = xasprintf("%s/%s/%s", p->ns, p->kind, p->owner);
		struct pod_ctrs pc = {.timeout = -1};
		if (bld_runner_container_list_labeled(ctx, BLD_KUBE_LABEL_OWNER, owner, &pc.v, &pc.n,
						      err) < 0)
			return -1;
		int r = 0;
		for (int pass = 0; pass < 2; pass++) { /* infra containers last */
			pc.infra = pass == 1;
			for (size_t k = 0; k < pc.n && r == 0; k++)
				if (!named(f, bld_strv_env_get(pc.v[k].labels, BLD_KUBE_LABEL_POD)))
					r = remove_ctr(ctx, k, &pc, err);
		}
		bld_runner_container_info_free(pc.v, pc.n);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int down(struct bld_ctx *ctx, struct bld_deploy_kube_file *f, const char *network,
		bool vols, struct bld_error **err)
{
	if (bld_deploy_parallel(ctx, f->n_pods, 0, remove_pod, f, err) < 0 ||
	    strays(ctx, f, err) < 0)
		return -1;
	if (vols && volumes(ctx, f, true, err) < 0)
		return -1;
	const char *ns;
	json_t *v;
	json_object_foreach(f->namespaces, ns, v) {
		cleanup_free char *net = net_of(network, ns);
		cleanup_error struct bld_error *e = NULL; /* in use by another file's pods: kept */
		if (!network)
			bld_runner_network_remove(ctx, net, &e);
	}
	return 0;
}

int bld_deploy_kube_down(struct bld_ctx *ctx, const struct bld_deploy_kube_down_opts *o,
			 struct bld_error **err)
{
	struct bld_deploy_kube_file f;
	int r = bld_deploy_kube_file_load(&f, o->file, NULL, true, err);
	if (r == 0)
		r = down(ctx, &f, o->network, o->volumes, err);
	bld_deploy_kube_file_dispose(&f);
	return r < 0 ? bld_error_wrap(err, "kube down") : 0;
}

/* ----------------------------------------------------------------------- play */

static int exists(struct bld_ctx *ctx, const struct bld_deploy_kube_file *f,
		  struct bld_error **err)
{
	for (size_t i = 0; i < f->n_pods; i++) {
		cleanup_free char *name = xasprintf("%s-infra", f->pods[i].name), *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_lookup(ctx, name, &id, &e) == 0)
			return bld_error_refuse(err, BLD_E_EXISTS,
						"pod %s already exists (kube down the file, or "
						"--replace)",
						f->pods[i].name);
	}
	return 0;
}

static int play(struct bld_ctx *ctx, struct play *pl, struct bld_error **err)
{
	struct bld_deploy_kube_file *f = &pl->f;
	if (pl->o->replace ? down(ctx, f, pl->o->network, false, err) < 0 : exists(ctx, f, err) < 0)
		return -1;
	if (pause_rootfs(ctx, &pl->pause_dir, err) < 0 || volumes(ctx, f, false, err) < 0 ||
	    images(ctx, f, err) < 0)
		return -1;
	const char *ns;
	json_t *v;
	json_object_foreach(f->namespaces, ns, v)
		if (!pl->o->network && ensure_network(ctx, ns, err) < 0)
			return -1;
	return bld_deploy_parallel(ctx, f->n_pods, 0, pod_job, pl, err);
}

int bld_deploy_kube_play(struct bld_ctx *ctx, const struct bld_deploy_kube_play_opts *o,
			 struct bld_error **err)
{
	struct play pl = {.o = o};
	int r = bld_deploy_kube_file_load(&pl.f, o->file, o->publish, false, err);
	if (r == 0)
		r = play(ctx, &pl, err);
	bld_deploy_kube_file_dispose(&pl.f);
	free(pl.pause_dir);
	if (r < 0) {
		(*err)->status = 1;
		return bld_error_wrap(err, "kube play");
	}
	return 0;
}
