/*
 * deploy/down.c — `compose down` and the other verbs that act on a project's containers in
 * bulk (stop, kill, rm...): services in reverse dependency order, the containers of one
 * level of the dependency graph in parallel (one child process each, as compose runs one
 * goroutine each), each step a progress line. Then, for down, the project's networks, and
 * its volumes with -v.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>

struct each {
	struct bld_deploy_ctr *const *v;
	bld_deploy_ctr_fn fn;
	void *payload;
};

static int each_one(struct bld_ctx *ctx, size_t i, void *payload, struct bld_error **err)
{
	const struct each *e = payload;
	return e->fn(ctx, e->v[i], e->payload, err);
}

/* Runs fn on each container of v in parallel, a child each; the first failure's error comes
 * back as this call's (the others' are dropped, as compose reports one). */
int bld_deploy_each(struct bld_ctx *ctx, struct bld_deploy_ctr *const *v, size_t n,
		    bld_deploy_ctr_fn fn, void *payload, struct bld_error **err)
{
	struct each e = {.v = v, .fn = fn, .payload = payload};
	return bld_deploy_parallel(ctx, n, 0, each_one, &e, err);
}

int bld_deploy_stop_one(struct bld_ctx *ctx, const struct bld_deploy_ctr *c, void *payload,
			struct bld_error **err)
{
	const int *timeout = payload;
	cleanup_free char *what = xasprintf("Container %s", c->name);
	if (strcmp(c->state, "running") != 0 && strcmp(c->state, "paused") != 0 &&
	    strcmp(c->state, "restarting") != 0)
		return 0;
	bld_deploy_event(ctx, what, "Stopping");
	if (bld_runner_container_stop(ctx, c->id, timeout ? *timeout : -1, err) < 0)
		return -1;
	bld_deploy_event(ctx, what, "Stopped");
	return 0;
}

/* A container that is gone by the time down reaches it (removed by another command, or by
 * the children of a down killed before this one) is removed, as compose takes a 404. */
static int stop_rm(struct bld_ctx *ctx, const struct bld_deploy_ctr *c, void *payload,
		   struct bld_error **err)
{
	const struct bld_deploy_down_opts *o = payload;
	cleanup_free char *what = xasprintf("Container %s", c->name);
	cleanup_error struct bld_error *e = NULL;
	int r = bld_deploy_stop_one(ctx, c, (void *)&o->timeout, &e);
	if (r == 0)
		bld_deploy_event(ctx, what, "Removing");
	if (r == 0)
		r = bld_runner_container_remove(ctx, c->id, true, o->volumes, &e);
	if (r < 0 && e->code != BLD_E_NOTFOUND) {
		bld_error_move(err, &e);
		return -1;
	}
	bld_deploy_event(ctx, what, "Removed");
	return 0;
}

int bld_deploy_reverse(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		       struct bld_deploy_state *st, bool orphans, bld_deploy_ctr_fn fn,
		       void *payload, struct bld_error **err)
{
	cleanup_strv char **svcs = NULL;
	cleanup_free struct bld_deploy_ctr **sel = xcalloc(st->n + 1, sizeof(*sel));
	cleanup_free int *lv = NULL;
	if (t->project && bld_deploy_services(t, false, &svcs, err) < 0)
		return -1;
	json_t *all = json_object_get(t->project, "services");
	size_t ns = bld_strv_len(svcs);
	lv = xcalloc(ns + 1, sizeof(*lv));
	int top = 0, r = 0;
	for (size_t i = 0; i < ns; i++) {
		lv[i] = bld_deploy_level(all, svcs[i], false);
		top = lv[i] > top ? lv[i] : top;
	}
	for (int l = 0; r == 0 && l <= top && ns; l++) {
		size_t n = 0;
		for (size_t i = 0; i < st->n; i++)
			for (size_t k = 0; k < ns; k++)
				if (lv[k] == l && strcmp(st->v[i].service, svcs[k]) == 0)
					sel[n++] = &st->v[i];
		r = n ? bld_deploy_each(ctx, sel, n, fn, payload, err) : 0;
	}
	/* what no service of the project names: every container without a project, the
	 * orphans with --remove-orphans */
	size_t n = 0;
	for (size_t i = 0; orphans && i < st->n; i++)
		if (!json_object_get(all, st->v[i].service) || !t->project)
			sel[n++] = &st->v[i];
	if (r == 0 && n)
		r = bld_deploy_each(ctx, sel, n, fn, payload, err);
	return r;
}

/* --rmi: the services' images removed: "local" only those named by the project itself
 * (built without an image: name), "all" every one. An image still used elsewhere stays,
 * as compose leaves it (docker's conflict), without failing down. */
static int remove_images(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			 const char *rmi, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	cleanup_json json_t *seen = json_object();
	const char *svc;
	json_t *v;
	json_object_foreach(json_object_get(t->project, "services"), svc, v) {
		cleanup_free char *name = bld_deploy_image_name(t->name, svc, v);
		if ((strcmp(rmi, "local") == 0 && bld_json_get_str(v, "image")) ||
		    json_object_get(seen, name))
			continue;
		json_object_set_new(seen, name, json_true());
		cleanup_free char *what = xasprintf("Image %s", name);
		cleanup_strv char **untagged = NULL;
		cleanup_free char *deleted = NULL;
		cleanup_error struct bld_error *e = NULL;
		bld_deploy_event(ctx, what, "Removing");
		cleanup_free char *full = bld_deploy_image_full_name(name);
		if (bld_cache_image_remove(s, full, false, &untagged, &deleted, &e) < 0) {
			bld_deploy_event(ctx, what, "Error");
			if (e->code != BLD_E_NOTFOUND)
				fprintf(stderr, "bld: %s\n", e->msg);
			continue;
		}
		bld_deploy_event(ctx, what, "Removed");
	}
	bld_cache_store_free(s);
	return 0;
}

int bld_deploy_down(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		    const struct bld_deploy_down_opts *o, struct bld_error **err)
{
	struct bld_deploy_state st;
	if (bld_deploy_state_load(ctx, t->name, &st, err) < 0)
		return -1;
	int r = bld_deploy_reverse(ctx, t, &st, o->remove_orphans || !t->project, stop_rm,
				   (void *)o, err);
	bld_deploy_state_dispose(&st);
	if (r == 0)
		r = bld_deploy_networks_remove(ctx, t, err);
	if (r == 0 && o->volumes)
		r = bld_deploy_volumes_remove(ctx, t, err);
	if (r == 0 && o->rmi && t->project)
		r = remove_images(ctx, t, o->rmi, err);
	if (r < 0 && *err)
		(*err)->status = 1;
	return r;
}
