/*
 * deploy/apply.c — `compose up`: the store converged on the project, service by service in
 * dependency order, as compose v2's convergence does it. For each service: the replicas it
 * should have (--scale, scale:, deploy.replicas) are compared with the containers labelled
 * with its name; a container whose config hash or image differs is recreated (a new one
 * made under a temporary name, the old one stopped and removed, the new one renamed), the
 * ones beyond the scale removed, missing numbers created; then, each depends_on condition
 * met, what is not running is started. A service recreated stops its dependants that ask
 * for restart: true, so that they start again after it. A missing container that another up
 * of the project (one running beside this one) makes first is taken as made, as is the
 * project's network (resources.c).
 *
 * On failure what this call started is stopped, never removed: `down` removes it, and the
 * progress lines said what was made.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <time.h>
#include <unistd.h>

struct up {
	struct bld_ctx *ctx;
	const struct bld_deploy_target *t;
	const struct bld_deploy_up_opts *o;
	json_t *images;     /* service -> {ref, id} */
	json_t *recreated;  /* service -> true */
	char **started;     /* ids this call started */
};

static const json_t *service_of(const struct up *u, const char *svc)
{
	return json_object_get(json_object_get(u->t->project, "services"), svc);
}

/* --scale S=N, else scale:, else deploy.replicas, else 1. */
static int scale_of(const struct up *u, const char *svc)
{
	size_t n = strlen(svc);
	for (size_t i = 0; u->o->scale && u->o->scale[i]; i++) {
		long v = 0;
		const char *s = u->o->scale[i];
		if (strncmp(s, svc, n) == 0 && s[n] == '=' &&
		    bld_parse_long(s + n + 1, 0, 1 << 16, &v) == 0)
			return (int)v;
	}
	const json_t *service = service_of(u, svc);
	json_t *sc = json_object_get(service, "scale");
	if (json_is_integer(sc))
		return (int)json_integer_value(sc);
	json_t *r = json_object_get(json_object_get(service, "deploy"), "replicas");
	return json_is_integer(r) ? (int)json_integer_value(r) : 1;
}

static void ctr_event(struct up *u, const char *name, const char *status)
{
	cleanup_free char *what = xasprintf("Container %s", name);
	bld_deploy_event(u->ctx, what, status);
}

/* Whether the container that took name, the cause of err, is replica number of svc made by
 * another `compose up` of the project since this one read the project's containers (one
 * running beside it, or the child of a killed one): then it is taken as made (its id in *id)
 * and err dropped, as compose takes a container of the project that it finds. */
static bool made_beside(struct up *u, const char *svc, int number, const char *name, char **id,
			struct bld_error **err)
{
	cleanup_free char *cid = NULL;
	cleanup_json json_t *cfg = NULL;
	cleanup_error struct bld_error *e = NULL;
	if ((*err)->code != BLD_E_EXISTS || bld_runner_container_lookup(u->ctx, name, &cid, &e) < 0 ||
	    bld_runner_container_inspect(u->ctx, cid, &cfg, &e) < 0)
		return false;
	json_t *labels = json_object_get(json_object_get(cfg, "Config"), "Labels");
	const char *p = bld_json_get_str(labels, BLD_DEPLOY_L_PROJECT);
	const char *s = bld_json_get_str(labels, BLD_DEPLOY_L_SERVICE);
	const char *n = bld_json_get_str(labels, BLD_DEPLOY_L_NUMBER);
	const char *oneoff = bld_json_get_str(labels, BLD_DEPLOY_L_ONEOFF);
	long num = 0;
	if (!p || strcmp(p, u->t->name) != 0 || !s || strcmp(s, svc) != 0 || !n ||
	    bld_parse_long(n, 0, 1L << 30, &num) < 0 || num != number ||
	    (oneoff && strcmp(oneoff, "True") == 0))
		return false;
	bld_error_free(*err);
	*err = NULL;
	*id = steal_pointer(&cid);
	return true;
}

/* Creates the container `name` of replica number of svc; new: a missing replica, which
 * another compose up may have made meanwhile (made_beside). */
static int create(struct up *u, const char *svc, int number, const char *name,
		  const char *event_name, bool new, char **id, struct bld_error **err)
{
	const json_t *img = json_object_get(u->images, svc);
	char hash[65];
	bld_deploy_service_hash(service_of(u, svc), hash);
	struct bld_deploy_replica r = {.t = u->t, .svc = svc, .service = service_of(u, svc),
				       .number = number, .name = name,
				       .image_ref = bld_json_get_str(img, "ref"),
				       .image_id = bld_json_get_str(img, "id"), .hash = hash};
	struct bld_runner_container_config c;
	int rc = bld_deploy_replica_config(&r, &c, err);
	if (rc == 0)
		rc = bld_runner_container_create(u->ctx, &c, id, err);
	if (rc == 0)
		rc = bld_deploy_files_inject(u->ctx, u->t, r.service, *id, err);
	bld_runner_container_config_dispose(&c);
	if (rc < 0 && new && !*id && made_beside(u, svc, number, name, id, err))
		return 0;
	if (rc < 0) {
		ctr_event(u, event_name, "Error");
		return bld_error_wrap(err, "service \"%s\"", svc);
	}
	return 0;
}

static bool must_recreate(struct up *u, const struct bld_deploy_ctr *c, const char *svc)
{
	if (u->o->no_recreate)
		return false;
	if (u->o->force_recreate)
		return true;
	char hash[65];
	bld_deploy_service_hash(service_of(u, svc), hash);
	const char *id = bld_json_get_str(json_object_get(u->images, svc), "id");
	return strcmp(c->hash, hash) != 0 || !id || strcmp(c->image_digest, id) != 0;
}

static int stop_remove(struct up *u, const struct bld_deploy_ctr *c, struct bld_error **err)
{
	ctr_event(u, c->name, "Stopping");
	if (bld_runner_container_stop(u->ctx, c->id, u->o->timeout, err) < 0)
		return -1;
	ctr_event(u, c->name, "Stopped");
	ctr_event(u, c->name, "Removing");
	if (bld_runner_container_remove(u->ctx, c->id, true, false, err) < 0)
		return -1;
	ctr_event(u, c->name, "Removed");
	return 0;
}

static int recreate(struct up *u, const struct bld_deploy_ctr *c, struct bld_error **err)
{
	cleanup_free char *tmp = xasprintf("%.12s_%s", c->id, c->name);
	cleanup_free char *id = NULL;
	ctr_event(u, c->name, "Recreate");
	if (create(u, c->service, c->number, tmp, c->name, false, &id, err) < 0)
		return -1;
	if (bld_runner_container_stop(u->ctx, c->id, u->o->timeout, err) < 0 ||
	    bld_runner_container_remove(u->ctx, c->id, true, false, err) < 0 ||
	    bld_runner_container_rename(u->ctx, id, c->name, err) < 0)
		return -1;
	json_object_set_new(u->recreated, c->service, json_true());
	ctr_event(u, c->name, "Recreated");
	return 0;
}

/* Stops the running containers of the services that depend on svc with restart: true. */
static int stop_dependants(struct up *u, struct bld_deploy_state *st, const char *svc,
			   struct bld_error **err)
{
	const char *name;
	json_t *s;
	json_object_foreach(json_object_get(u->t->project, "services"), name, s) {
		json_t *d = json_object_get(json_object_get(s, "depends_on"), svc);
		if (!json_is_true(json_object_get(d, "restart")))
			continue;
		for (size_t i = 0; i < st->n; i++) {
			struct bld_deploy_ctr *c = &st->v[i];
			if (strcmp(c->service, name) != 0 || strcmp(c->state, "running") != 0)
				continue;
			ctr_event(u, c->name, "Stopping");
			if (bld_runner_container_stop(u->ctx, c->id, u->o->timeout, err) < 0)
				return -1;
			ctr_event(u, c->name, "Stopped");
			free(c->state);
			c->state = xstrdup("exited");
		}
	}
	return 0;
}

/* The replicas of svc: kept, recreated, removed beyond the scale, created up to it. */
static int converge(struct up *u, struct bld_deploy_state *st, const char *svc,
		    struct bld_error **err)
{
	int want = scale_of(u, svc), have = 0, next = 1;
	for (size_t i = 0; i < st->n; i++) {
		struct bld_deploy_ctr *c = &st->v[i];
		if (c->oneoff || strcmp(c->service, svc) != 0)
			continue;
		next = c->number >= next ? c->number + 1 : next;
		if (++have > want) {
			if (stop_remove(u, c, err) < 0)
				return -1;
			continue;
		}
		if (must_recreate(u, c, svc)) {
			if (recreate(u, c, err) < 0)
				return -1;
		} else if (strcmp(c->state, "running") == 0) {
			ctr_event(u, c->name, "Running");
		}
	}
	for (int k = have; k < want; k++, next++) {
		cleanup_free char *name = xasprintf("%s-%s-%d", u->t->name, svc, next);
		cleanup_free char *id = NULL;
		ctr_event(u, name, "Creating");
		bld_test_point("compose-create");
		if (create(u, svc, next, name, name, true, &id, err) < 0)
			return -1;
		ctr_event(u, name, "Created");
	}
	if (json_object_get(u->recreated, svc))
		return stop_dependants(u, st, svc, err);
	return 0;
}

/* Polls cond on dep until it holds (1) or fails (-1), with the Waiting line before. */
static int wait_for(struct up *u, const char *svc, const char *cond, int64_t deadline_ms,
		    struct bld_error **err)
{
	struct bld_deploy_state st;
	if (bld_deploy_state_load(u->ctx, u->t->name, &st, err) < 0)
		return -1;
	for (size_t i = 0; i < st.n; i++)
		if (!st.v[i].oneoff && strcmp(st.v[i].service, svc) == 0)
			ctr_event(u, st.v[i].name, "Waiting");
	int r;
	while ((r = bld_deploy_condition(u->ctx, u->t->name, svc, cond, err)) == 0) {
		if (deadline_ms && bld_mono_ms() > deadline_ms) {
			r = bld_error_refuse(err, BLD_E_INVALID, "timeout waiting for dependencies");
			break;
		}
		usleep(100 * 1000);
	}
	const char *done = strcmp(cond, "service_completed_successfully") == 0 ? "Exited"
										 : "Healthy";
	for (size_t i = 0; i < st.n; i++)
		if (!st.v[i].oneoff && strcmp(st.v[i].service, svc) == 0)
			ctr_event(u, st.v[i].name, r > 0 ? done : "Error");
	bld_deploy_state_dispose(&st);
	return r > 0 ? 0 : -1;
}

/* Every depends_on condition of svc that waits (service_started does not). */
static int wait_dependencies(struct up *u, const char *svc, struct bld_error **err)
{
	const char *dep;
	json_t *d;
	json_object_foreach(json_object_get(service_of(u, svc), "depends_on"), dep, d) {
		const char *cond = bld_json_get_str(d, "condition");
		if (!cond || strcmp(cond, "service_started") == 0 || !service_of(u, dep))
			continue;
		if (wait_for(u, dep, cond, 0, err) < 0) {
			if (strcmp(cond, "service_healthy") == 0)
				bld_error_wrap(err, "dependency failed to start");
			return -1;
		}
	}
	return 0;
}

static int start_one(struct bld_ctx *ctx, const struct bld_deploy_ctr *c, void *payload,
		     struct bld_error **err)
{
	struct bld_runner_attach at = {0};
	int report = -1;
	cleanup_free char *what = xasprintf("Container %s", c->name);
	bld_deploy_event(ctx, what, "Starting");
	if (bld_runner_container_start(ctx, c->id, &at, &report, err) < 0) {
		bld_deploy_event(ctx, what, "Error");
		return bld_error_wrap(err, "service \"%s\"", c->service);
	}
	bld_deploy_event(ctx, what, "Started");
	return 0;
}

/* The services of svcs at level l: each one's dependencies waited for, then every container
 * of theirs that does not run started, all together. st: the project's containers after the
 * convergence (a service's own do not change before its start). */
static int start_level(struct up *u, const struct bld_deploy_state *st, char *const *svcs,
		       const int *lv, int l, struct bld_error **err)
{
	cleanup_free struct bld_deploy_ctr **sel = xcalloc(st->n + 1, sizeof(*sel));
	size_t n = 0;
	for (size_t k = 0; svcs[k]; k++) {
		if (lv[k] != l)
			continue;
		if (wait_dependencies(u, svcs[k], err) < 0)
			return -1;
		for (size_t i = 0; i < st->n; i++) {
			struct bld_deploy_ctr *c = &st->v[i];
			if (c->oneoff || strcmp(c->service, svcs[k]) != 0 ||
			    strcmp(c->state, "running") == 0)
				continue;
			sel[n++] = c;
			bld_strv_push(&u->started, c->id);
		}
	}
	return n ? bld_deploy_each(u->ctx, sel, n, start_one, NULL, err) : 0;
}

/* Every service of svcs started, level by level. */
static int start_all(struct up *u, char *const *svcs, struct bld_error **err)
{
	struct bld_deploy_state st;
	if (bld_deploy_state_load(u->ctx, u->t->name, &st, err) < 0)
		return -1;
	const json_t *all = json_object_get(u->t->project, "services");
	size_t ns = bld_strv_len(svcs);
	cleanup_free int *lv = xcalloc(ns + 1, sizeof(*lv));
	int top = 0, r = 0;
	for (size_t k = 0; k < ns; k++) {
		lv[k] = bld_deploy_level(all, svcs[k], true);
		top = lv[k] > top ? lv[k] : top;
	}
	for (int l = 0; r == 0 && l <= top; l++)
		r = start_level(u, &st, svcs, lv, l, err);
	bld_deploy_state_dispose(&st);
	return r;
}

/* The condition --wait holds svc to: completed when another service waits for its
 * completion, else running (healthy when it has a health check). */
static const char *wait_condition(struct up *u, const char *svc)
{
	const char *name;
	json_t *s;
	json_object_foreach(json_object_get(u->t->project, "services"), name, s) {
		json_t *d = json_object_get(json_object_get(s, "depends_on"), svc);
		const char *cond = bld_json_get_str(d, "condition");
		if (cond && strcmp(cond, "service_completed_successfully") == 0)
			return cond;
	}
	return "running_or_healthy";
}

static int wait_all(struct up *u, char *const *svcs, struct bld_error **err)
{
	int64_t deadline = u->o->wait_timeout > 0 ? bld_mono_ms() + u->o->wait_timeout * 1000LL
						  : 0;
	for (size_t i = 0; svcs[i]; i++) {
		if (scale_of(u, svcs[i]) == 0)
			continue;
		if (wait_for(u, svcs[i], wait_condition(u, svcs[i]), deadline, err) < 0) {
			if (!deadline || bld_mono_ms() <= deadline)
				return -1;
			bld_error_free(steal_pointer(err)); /* compose's words for --wait-timeout */
			return bld_error_refuse(err, BLD_E_INVALID,
						"application not healthy after %ds",
						u->o->wait_timeout);
		}
	}
	return 0;
}

/* Containers of services the project no longer has: removed with --remove-orphans, else
 * named in compose's warning. */
static int orphans(struct up *u, struct bld_deploy_state *st, struct bld_error **err)
{
	struct bld_buf names = BLD_BUF_INIT;
	int r = 0;
	for (size_t i = 0; r == 0 && i < st->n; i++) {
		struct bld_deploy_ctr *c = &st->v[i];
		if (c->oneoff || service_of(u, c->service))
			continue;
		if (u->o->remove_orphans)
			r = stop_remove(u, c, err);
		else
			bld_buf_printf(&names, "%s%s", names.len ? " " : "", c->name);
	}
	if (names.len)
		fprintf(stderr,
			"WARN[0000] Found orphan containers ([%s]) for this project. If you removed "
			"or renamed this service in your compose file, you can run this command "
			"with the --remove-orphans flag to clean it up.\n",
			bld_buf_str(&names));
	bld_buf_dispose(&names);
	return r;
}

/* What this call started, stopped again after a failure. */
static void undo(struct up *u)
{
	for (size_t i = 0; u->started && u->started[i]; i++) {
		cleanup_error struct bld_error *e = NULL;
		bld_runner_container_stop(u->ctx, u->started[i], 0, &e);
	}
}

static int converge_all(struct up *u, char *const *svcs, struct bld_error **err)
{
	struct bld_deploy_state st;
	if (bld_deploy_state_load(u->ctx, u->t->name, &st, err) < 0)
		return -1;
	int r = orphans(u, &st, err);
	for (size_t i = 0; r == 0 && svcs[i]; i++)
		r = converge(u, &st, svcs[i], err);
	bld_deploy_state_dispose(&st);
	return r;
}

int bld_deploy_up(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		  const struct bld_deploy_up_opts *o, struct bld_error **err)
{
	cleanup_strv char **svcs = NULL;
	cleanup_json json_t *images = NULL;
	cleanup_json json_t *recreated = json_object();
	struct up u = {.ctx = ctx, .t = t, .o = o, .recreated = recreated};
	if (bld_deploy_services(t, !o->no_deps, &svcs, err) < 0 ||
	    bld_deploy_images(ctx, t, svcs, o, &images, err) < 0)
		goto fail;
	u.images = images;
	if (bld_deploy_networks_ensure(ctx, t, err) < 0 ||
	    bld_deploy_volumes_ensure(ctx, t, err) < 0 || converge_all(&u, svcs, err) < 0)
		goto fail;
	if (!o->no_start && start_all(&u, svcs, err) < 0)
		goto fail;
	if (o->wait && !o->no_start && wait_all(&u, svcs, err) < 0)
		goto fail;
	bld_strv_free(u.started);
	bld_deploy_progress_end(ctx);
	return 0;
fail:
	undo(&u);
	bld_strv_free(u.started);
	bld_deploy_progress_end(ctx);
	if (*err)
		(*err)->status = 1;
	return -1;
}

int bld_deploy_start(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		     struct bld_error **err)
{
	cleanup_strv char **svcs = NULL;
	struct bld_deploy_up_opts o = {.timeout = -1};
	struct up u = {.ctx = ctx, .t = t, .o = &o};
	if (bld_deploy_services(t, false, &svcs, err) < 0)
		return -1;
	int r = start_all(&u, svcs, err);
	bld_strv_free(u.started);
	if (r < 0 && *err)
		(*err)->status = 1;
	return r;
}
