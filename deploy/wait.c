/*
 * deploy/wait.c — depends_on conditions and --wait, read from the store as compose reads
 * them from the daemon: a service is started when its containers run, healthy when every
 * one's health check says so (the monitor runs the checks), completed when one exited 0.
 * Errors in compose's words.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>

static bool has_healthcheck(const struct bld_deploy_ctr *c)
{
	json_t *hc = json_object_get(json_object_get(c->info->cfg_json, "Config"), "Healthcheck");
	json_t *test = json_object_get(hc, "Test");
	const char *t0 = json_string_value(json_array_get(test, 0));
	return json_array_size(test) && !(t0 && strcmp(t0, "NONE") == 0);
}

/* One container against a "healthy" (or, fallback, "running or healthy") condition. */
static int healthy(const struct bld_deploy_ctr *c, bool fallback, struct bld_error **err)
{
	if (strcmp(c->state, "exited") == 0 || strcmp(c->state, "dead") == 0)
		return bld_error_refuse(err, BLD_E_INVALID, "container %s exited (%d)", c->name,
					c->exit_code);
	if (fallback && !has_healthcheck(c))
		return strcmp(c->state, "running") == 0;
	if (!c->health[0])
		return bld_error_refuse(err, BLD_E_INVALID,
					"container %s has no healthcheck configured", c->name);
	if (strcmp(c->health, "healthy") == 0)
		return 1;
	if (strcmp(c->health, "unhealthy") == 0)
		return bld_error_refuse(err, BLD_E_INVALID, "container %s is unhealthy", c->name);
	return 0;
}

static int completed(const struct bld_deploy_ctr *c, const char *svc, struct bld_error **err)
{
	if (strcmp(c->state, "exited") != 0)
		return 0;
	if (c->exit_code != 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"service \"%s\" didn't complete successfully: exit %d", svc,
					c->exit_code);
	return 1;
}

static int check(const struct bld_deploy_ctr *c, const char *svc, const char *cond,
		 struct bld_error **err)
{
	if (strcmp(cond, "service_completed_successfully") == 0)
		return completed(c, svc, err);
	if (strcmp(cond, "service_healthy") == 0)
		return healthy(c, false, err);
	if (strcmp(cond, "running_or_healthy") == 0)
		return healthy(c, true, err);
	return strcmp(c->state, "running") == 0 || strcmp(c->state, "exited") == 0;
}

int bld_deploy_condition(struct bld_ctx *ctx, const char *project, const char *svc,
			 const char *cond, struct bld_error **err)
{
	struct bld_deploy_state st;
	if (bld_deploy_state_load(ctx, project, &st, err) < 0)
		return -1;
	int met = 1, n = 0;
	for (size_t i = 0; met > 0 && i < st.n; i++) {
		if (st.v[i].oneoff || strcmp(st.v[i].service, svc) != 0)
			continue;
		n++;
		met = check(&st.v[i], svc, cond, err);
	}
	bld_deploy_state_dispose(&st);
	if (met >= 0 && n == 0)
		return bld_error_refuse(err, BLD_E_NOTFOUND, "service %s has no container", svc);
	return met;
}
