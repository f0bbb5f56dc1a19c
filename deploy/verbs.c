/*
 * deploy/verbs.c — the compose verbs that act on a project's existing containers: start
 * (dependency order, each depends_on condition waited for), stop, restart, kill, pause,
 * unpause and rm (reverse order, one service's containers in parallel), each step a
 * progress line in compose's words. What they act on is the store's containers of the
 * project and of the services asked for.
 */
#include "deploy/deploy_int.h"

#include <signal.h>

struct verb {
	const char *working, *done;
	const struct bld_deploy_verb_opts *o;
};

static int act(struct bld_ctx *ctx, const struct bld_deploy_ctr *c, void *payload,
	       struct bld_error **err)
{
	const struct verb *v = payload;
	const struct bld_deploy_verb_opts *o = v->o;
	bool running = strcmp(c->state, "running") == 0 || strcmp(c->state, "paused") == 0;
	struct bld_runner_attach none = {0};
	int report = -1, r = 0, code = 0;
	if ((o->verb == BLD_DEPLOY_STOP || o->verb == BLD_DEPLOY_KILL ||
	     o->verb == BLD_DEPLOY_PAUSE) && !running)
		return 0;
	if (o->verb == BLD_DEPLOY_UNPAUSE && strcmp(c->state, "paused") != 0)
		return 0;
	cleanup_free char *what = xasprintf("Container %s", c->name);
	bld_deploy_event(ctx, what, v->working);
	switch (o->verb) {
	case BLD_DEPLOY_STOP:
		r = bld_runner_container_stop(ctx, c->id, o->timeout, err);
		break;
	case BLD_DEPLOY_RESTART:
		r = bld_runner_container_stop(ctx, c->id, o->timeout, err);
		if (r == 0)
			r = bld_runner_container_start(ctx, c->id, &none, &report, err);
		break;
	case BLD_DEPLOY_KILL:
		r = bld_runner_container_kill(ctx, c->id, o->signal ? o->signal : SIGKILL, err);
		/* SIGKILL ends it: done when the store says so, as the daemon's state is */
		if (r == 0 && (!o->signal || o->signal == SIGKILL))
			r = bld_runner_container_wait(ctx, c->id, &code, err);
		break;
	case BLD_DEPLOY_PAUSE:
		r = bld_runner_container_pause(ctx, c->id, err);
		break;
	case BLD_DEPLOY_UNPAUSE:
		r = bld_runner_container_unpause(ctx, c->id, err);
		break;
	case BLD_DEPLOY_RM:
		r = bld_runner_container_remove(ctx, c->id, true, o->volumes, err);
		break;
	}
	bld_deploy_event(ctx, what, r < 0 ? "Error" : v->done);
	return r;
}

int bld_deploy_verb(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		    struct bld_deploy_state *st, const struct bld_deploy_verb_opts *o,
		    struct bld_error **err)
{
	static const char *const words[][2] = {
		[BLD_DEPLOY_STOP] = {"Stopping", "Stopped"},
		[BLD_DEPLOY_RESTART] = {"Restarting", "Restarted"},
		[BLD_DEPLOY_KILL] = {"Killing", "Killed"},
		[BLD_DEPLOY_PAUSE] = {"Pausing", "Paused"},
		[BLD_DEPLOY_UNPAUSE] = {"Unpausing", "Unpaused"},
		[BLD_DEPLOY_RM] = {"Removing", "Removed"},
	};
	struct verb v = {.working = words[o->verb][0], .done = words[o->verb][1], .o = o};
	int r = bld_deploy_reverse(ctx, t, st, !t->project, act, &v, err);
	if (r < 0 && *err)
		(*err)->status = 1;
	return r;
}
