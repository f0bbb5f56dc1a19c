/*
 * deploy/load.c — bld_deploy_project_load: the project's files, environment and directory
 * (project.c), their model (model.c), the services the profiles and the command line
 * select (profiles.c), and the project's name; then validation and normalisation
 * (check.c).
 */
#include "deploy/deploy_int.h"

static const char *env_lookup(const char *name, void *payload)
{
	return bld_json_get_str(payload, name);
}

/* The last top-level name: of the files, interpolated (compose-go reads it before anything
 * else, so that ${COMPOSE_PROJECT_NAME} means the project's name everywhere); NULL when none.
 * A file that does not parse is left for the load to report. */
static char *name_in_files(struct bld_deploy_load *l, struct bld_error **err)
{
	cleanup_free char *name = NULL;
	for (size_t i = 0; l->files[i]; i++) {
		struct bld_deploy_srcmap map;
		bld_deploy_srcmap_init(&map);
		struct bld_deploy_doc *docs = NULL;
		size_t n = 0;
		struct bld_error *ignored = NULL;
		cleanup_free char *data = NULL;
		size_t len = 0;
		if (bld_deploy_file_read(l, l->files[i], &data, &len, &ignored) == 0)
			bld_deploy_yaml_parse(data, len, l->files[i], &map, &docs, &n, &ignored);
		for (size_t j = 0; j < n; j++)
			if (json_is_string(json_object_get(docs[j].root, "name"))) {
				free(name);
				name = xstrdup(bld_json_get_str(docs[j].root, "name"));
			}
		bld_deploy_docs_free(docs, n);
		bld_deploy_srcmap_dispose(&map);
		bld_error_free(ignored);
	}
	if (!name || l->opts->no_interpolate)
		return steal_pointer(&name);
	struct bld_deploy_subst s = {.lookup = env_lookup, .payload = l->env, .warn = true};
	char *out = NULL;
	bld_deploy_substitute(&s, name, &out, err);
	free(s.invalid);
	return out;
}

/* -p, then COMPOSE_PROJECT_NAME (both as given: they must be valid), then name: in the
 * files, then the project directory's base name (both normalised). The name is then
 * COMPOSE_PROJECT_NAME for interpolation. */
static int project_name(struct bld_deploy_load *l, struct bld_error **err)
{
	const char *given = l->opts->project_name;
	if (!given || !*given)
		given = bld_json_get_str(l->env, "COMPOSE_PROJECT_NAME");
	cleanup_free char *in_files = NULL;
	if (given && *given && bld_deploy_name_check(given, err) < 0)
		return -BLD_E_INVALID;
	if (given && *given)
		l->name = xstrdup(given);
	else
		in_files = name_in_files(l, err);
	if (*err)
		return -(*err)->code;
	if (!l->name && in_files)
		l->name = bld_deploy_name_normalize(in_files);
	if (l->name && !*l->name)
		free(steal_pointer(&l->name));
	const char *slash = strrchr(l->project_dir, '/');
	if (!l->name && bld_deploy_project_name_normalize(slash && slash[1] ? slash + 1
									: l->project_dir,
							  &l->name, err) < 0)
		return -BLD_E_INVALID;
	json_object_set_new(l->env, "COMPOSE_PROJECT_NAME", json_string(l->name));
	return 0;
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
		r = project_name(l, err);
	if (r == 0)
		r = bld_deploy_model_load(l, l->files, l->project_dir, l->env, NULL, &l->model, err);
	if (r == 0 && json_object_size(l->model) == 0)
		r = bld_error_set(err, BLD_E_INVALID, "empty compose file");
	cleanup_strv char **profiles = r == 0 ? active_profiles(l) : NULL;
	if (r == 0)
		r = bld_deploy_profiles_apply(l->model, profiles, o->services, err);
	if (r == 0) {
		if (json_object_get(l->model, "version"))
			bld_deploy_version_warning(l);
		json_object_del(l->model, "version");
		json_object_set_new(l->model, "name", json_string(l->name));
	}
	return r;
}

int bld_deploy_project_check(struct bld_deploy_load *l, struct bld_error **err)
{
	if (bld_deploy_load_check(l, err) < 0)
		return -(*err)->code;
	/* long forms can reveal repeats that a short and a long form hid: compose-go enforces
	 * unicity again after its canonical transformation */
	return bld_deploy_unicity(l->model, err);
}

int bld_deploy_project_load(struct bld_ctx *ctx, const struct bld_deploy_options *o,
			    json_t **project, struct bld_error **err)
{
	struct bld_deploy_load l;
	int r = bld_deploy_project_model(&l, o, err);
	if (r == 0)
		r = bld_deploy_project_check(&l, err);
	if (r == 0)
		*project = steal_pointer(&l.model);
	bld_deploy_load_dispose(&l);
	return r;
}
