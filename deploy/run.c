/*
 * deploy/run.c — `compose run`: a one-off container of a service (named
 * <project>-<service>-run-<12 hex>, labelled oneoff=True with its slug), its dependencies
 * brought up first unless --no-deps, its command, entrypoint, environment, user, workdir,
 * volumes and ports as asked (the service's ports only with --service-ports, else those of
 * -p), no restart
 * policy; attached (its exit code) or detached (its name printed), removed after with --rm.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <unistd.h>

/* The dependencies of svc brought up as `up -d` would (not svc itself). */
static int deps_up(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *svc,
		   struct bld_error **err)
{
	const json_t *s = json_object_get(json_object_get(t->project, "services"), svc);
	cleanup_strv char **deps = xcalloc(1, sizeof(char *));
	const char *dep;
	json_t *v;
	json_object_foreach(json_object_get(s, "depends_on"), dep, v)
		bld_strv_push(&deps, dep);
	if (!deps[0])
		return 0;
	struct bld_deploy_target dt = *t;
	dt.services = deps;
	struct bld_deploy_up_opts uo = {.timeout = -1};
	return bld_deploy_up(ctx, &dt, &uo, err);
}

/* What run changes in the service's container config. */
static void override(const struct bld_deploy_run_opts *o, const char *slug,
		     struct bld_runner_container_config *c)
{
	for (size_t i = 0; c->labels && c->labels[i]; i++)
		if (bld_str_has_prefix(c->labels[i], BLD_DEPLOY_L_ONEOFF "=")) {
			free(c->labels[i]);
			c->labels[i] = xstrdup(BLD_DEPLOY_L_ONEOFF "=True");
		}
	cleanup_free char *sl = xasprintf("com.docker.compose.slug=%s", slug);
	bld_strv_push(&c->labels, sl);
	if (o->cmd && o->cmd[0]) {
		bld_strv_free(c->cmd);
		c->cmd = bld_strv_dup(o->cmd);
	}
	if (o->entrypoint) {
		bld_strv_free(c->entrypoint);
		c->entrypoint = xcalloc(2, sizeof(char *));
		if (*o->entrypoint)
			c->entrypoint[0] = xstrdup(o->entrypoint);
		c->entrypoint_set = true;
	}
	for (size_t i = 0; o->env && o->env[i]; i++)
		bld_strv_push(&c->env, o->env[i]);
	for (size_t i = 0; o->volumes && o->volumes[i]; i++)
		bld_strv_push(&c->binds, o->volumes[i]);
	if (o->user) {
		free(c->user);
		c->user = xstrdup(o->user);
	}
	if (o->workdir) {
		free(c->workdir);
		c->workdir = xstrdup(o->workdir);
	}
	free(c->restart);
	c->restart = NULL;
	c->tty = o->tty;
	c->interactive = o->interactive;
	c->auto_remove = o->rm && o->detach;
}

/* The service as run sees it: its ports those of -p unless --service-ports. */
static json_t *run_service(const json_t *service, const struct bld_deploy_run_opts *o,
			   struct bld_error **err)
{
	json_t *s = json_deep_copy(service);
	if (o->service_ports)
		return s;
	json_t *ports = json_array();
	json_object_set_new(s, "ports", ports);
	for (size_t i = 0; o->publish && o->publish[i]; i++)
		if (bld_deploy_port_parse(ports, o->publish[i], err) < 0) {
			json_decref(s);
			return NULL;
		}
	return s;
}

/* The one-off container, created. */
static int create(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *svc,
		  const struct bld_deploy_run_opts *o, char **id, char **name,
		  struct bld_error **err)
{
	cleanup_strv char **one = xcalloc(2, sizeof(char *));
	one[0] = xstrdup(svc);
	cleanup_json json_t *images = NULL;
	struct bld_deploy_up_opts uo = {.timeout = -1};
	if (bld_deploy_images(ctx, t, one, &uo, &images, err) < 0 ||
	    bld_deploy_networks_ensure(ctx, t, err) < 0 || bld_deploy_volumes_ensure(ctx, t, err) < 0)
		return -1;
	char rnd[BLD_DIGEST_STR_LEN], hash[65];
	cleanup_free char *seed = xasprintf("%s %d %lld", svc, getpid(), (long long)bld_mono_ns());
	bld_sha256_digest(seed, strlen(seed), rnd);
	*name = o->name ? xstrdup(o->name) : xasprintf("%s-%s-run-%.12s", t->name, svc, rnd + 7);
	cleanup_json json_t *service = run_service(
		json_object_get(json_object_get(t->project, "services"), svc), o, err);
	if (!service)
		return -1;
	const json_t *img = json_object_get(images, svc);
	bld_deploy_service_hash(service, hash);
	struct bld_deploy_replica r = {.t = t, .svc = svc, .service = service, .number = 1,
				       .name = *name, .image_ref = bld_json_get_str(img, "ref"),
				       .image_id = bld_json_get_str(img, "id"), .hash = hash};
	struct bld_runner_container_config c;
	int rc = bld_deploy_replica_config(&r, &c, err);
	if (rc == 0) {
		override(o, rnd + 7, &c);
		rc = bld_runner_container_create(ctx, &c, id, err);
	}
	if (rc == 0)
		rc = bld_deploy_files_inject(ctx, t, service, *id, err);
	bld_runner_container_config_dispose(&c);
	return rc;
}

int bld_deploy_run(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *svc,
		   const struct bld_deploy_run_opts *o, int *code, struct bld_error **err)
{
	cleanup_free char *id = NULL, *name = NULL;
	*code = 0;
	if (!json_object_get(json_object_get(t->project, "services"), svc))
		return bld_error_refuse(err, BLD_E_NOTFOUND, "no such service: %s", svc);
	if ((!o->no_deps && deps_up(ctx, t, svc, err) < 0) ||
	    create(ctx, t, svc, o, &id, &name, err) < 0)
		goto fail;
	struct bld_runner_attach at = {.out = !o->detach, .in = !o->detach && o->interactive};
	int report = -1;
	if (bld_runner_container_start(ctx, id, &at, &report, err) < 0)
		goto fail;
	if (o->detach) {
		printf("%s\n", name);
		return 0;
	}
	int r = bld_runner_container_attach_wait(ctx, id, report, code, err);
	if (o->rm) {
		cleanup_error struct bld_error *e = NULL;
		bld_runner_container_remove(ctx, id, true, true, &e);
	}
	return r;
fail:
	if (*err)
		(*err)->status = 1;
	return -1;
}
