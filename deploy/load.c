/*
 * deploy/load.c — bld_deploy_project_load: the project's files, environment and directory
 * (project.c), their model (model.c), the services the profiles and the command line
 * select (profiles.c), and the project's name; then validation and normalisation
 * (check.c).
 */
#include "deploy/deploy_int.h"

/* -p, then COMPOSE_PROJECT_NAME (both as given: they must be valid), then name: in the
 * files, then the project directory's base name (both normalised). */
static int project_name(struct bld_deploy_load *l, struct bld_error **err)
{
	const char *given = l->opts->project_name;
	if (!given || !*given)
		given = bld_json_get_str(l->env, "COMPOSE_PROJECT_NAME");
	if (given && *given) {
		if (bld_deploy_name_check(given, err) < 0)
			return -BLD_E_INVALID;
		l->name = xstrdup(given);
		return 0;
	}
	const char *in_file = bld_json_get_str(l->model, "name");
	if (in_file && *in_file) {
		l->name = bld_deploy_name_normalize(in_file);
		if (*l->name)
			return 0;
		free(steal_pointer(&l->name));
	}
	const char *slash = strrchr(l->project_dir, '/');
	return bld_deploy_project_name_normalize(slash && slash[1] ? slash + 1 : l->project_dir,
						 &l->name, err);
}

/* --profile, else COMPOSE_PROFILES (comma-separated). */
static char **active_profiles(const struct bld_deploy_load *l)
{
	if (l->opts->profiles)
		return bld_strv_dup(l->opts->profiles);
	const char *env = bld_json_get_str(l->env, "COMPOSE_PROFILES");
	cleanup_strv char **parts = env ? bld_strv_split(env, ",") : NULL;
	char **out = NULL;
	for (size_t i = 0; parts && parts[i]; i++) {
		const char *s = parts[i];
		size_t n = strlen(s);
		while (*s == ' ' || *s == '\t')
			s++, n--;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		cleanup_free char *p = xstrndup(s, n);
		bld_strv_push(&out, p);
	}
	return out;
}

int bld_deploy_project_model(struct bld_deploy_load *l, const struct bld_deploy_options *o,
			      struct bld_error **err)
{
	int r = bld_deploy_load_init(l, o, err);
	if (r == 0)
		r = bld_deploy_model_load(l, l->files, l->project_dir, l->env, NULL, &l->model, err);
	if (r == 0 && json_object_size(l->model) == 0)
		r = bld_error_set(err, BLD_E_INVALID, "empty compose file");
	if (r == 0)
		r = project_name(l, err);
	cleanup_strv char **profiles = r == 0 ? active_profiles(l) : NULL;
	if (r == 0)
		r = bld_deploy_profiles_apply(l->model, profiles, o->services, err);
	if (r == 0) {
		json_object_del(l->model, "version");
		json_object_set_new(l->model, "name", json_string(l->name));
	}
	return r;
}

int bld_deploy_project_load(struct bld_ctx *ctx, const struct bld_deploy_options *o,
			    json_t **project, struct bld_error **err)
{
	struct bld_deploy_load l;
	int r = bld_deploy_project_model(&l, o, err);
	if (r == 0)
		r = bld_deploy_load_check(&l, err);
	if (r == 0)
		*project = steal_pointer(&l.model);
	bld_deploy_load_dispose(&l);
	return r;
}
