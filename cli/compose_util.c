/*
 * cli/compose_util.c — the project a compose runtime command acts on: loaded through
 * deploy's loader, with what compose v2 records in its labels besides (the working
 * directory and the files), or, for the commands that can, named only by -p.
 */
#include "cli/compose_util.h"

#include <stdlib.h>

/* -p or COMPOSE_PROJECT_NAME, normalised; NULL when neither. */
static int given_name(const struct bld_deploy_options *o, char **out, struct bld_error **err)
{
	const char *n = o->project_name ? o->project_name : getenv("COMPOSE_PROJECT_NAME");
	*out = NULL;
	return n && *n ? bld_deploy_project_name_normalize(n, out, err) : 0;
}

int bld_cli_compose_open(struct bld_ctx *ctx, struct bld_cli_args *a, int first_service,
			 bool need_project, struct bld_cli_compose *out, struct bld_error **err)
{
	struct bld_deploy_options o;
	memset(out, 0, sizeof(*out));
	bld_cli_compose_options(a, &o);
	cleanup_error struct bld_error *e = NULL;
	int r = bld_deploy_project_paths(&o, &out->working_dir, &out->config_files, &out->env,
					 &e);
	if (r == 0)
		r = bld_deploy_project_load(ctx, &o, &out->project, &e);
	if (r < 0 && (need_project || e->code != BLD_E_NOTFOUND)) {
		bld_error_move(err, &e);
		return -1;
	}
	if (r < 0 && (given_name(&o, &out->name, err) < 0 || !out->name))
		return bld_error_refuse(err, BLD_E_NOTFOUND,
					"no configuration file provided: not found");
	if (r == 0)
		out->name = xstrdup(bld_json_get_str(out->project, "name"));
	out->t = (struct bld_deploy_target){
		.project = out->project, .name = out->name, .working_dir = out->working_dir,
		.config_files = out->config_files, .env = out->env,
		.services = first_service < a->argc ? a->argv + first_service : NULL};
	bld_deploy_files_export_env(&out->t);
	return 0;
}

void bld_cli_compose_close(struct bld_cli_compose *c)
{
	json_decref(c->project);
	free(c->name);
	free(c->working_dir);
	free(c->config_files);
	json_decref(c->env);
	memset(c, 0, sizeof(*c));
}

int bld_cli_compose_state(struct bld_ctx *ctx, const struct bld_cli_compose *c, bool oneoff,
			  struct bld_deploy_state *out, struct bld_error **err)
{
	if (bld_deploy_state_load(ctx, c->name, out, err) < 0)
		return -1;
	char *const *svcs = c->t.services;
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++) {
		bool keep = oneoff || !out->v[i].oneoff;
		bool asked = !svcs || !svcs[0];
		for (size_t j = 0; !asked && svcs[j]; j++)
			asked = strcmp(svcs[j], out->v[i].service) == 0;
		if (keep && asked)
			out->v[k++] = out->v[i];
		else
			bld_deploy_ctr_dispose(&out->v[i]);
	}
	out->n = k;
	return 0;
}
