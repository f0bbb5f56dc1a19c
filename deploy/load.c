/*
 * deploy/load.c — bld_deploy_project_load: the steps from files to one model, in compose-go's
 * order. Each file (each YAML document of it) is parsed, must be a mapping, and is merged
 * over what the files before it gave; then the project gets its name.
 */
#include "deploy/deploy_int.h"

static int read_file(const char *path, char **data, size_t *len, struct bld_error **err)
{
	if (strcmp(path, "-") == 0)
		return bld_fs_read_fd(0, BLD_DEPLOY_MAX_FILE, data, len, err);
	return bld_fs_read_file(path, BLD_DEPLOY_MAX_FILE, data, len, err);
}

/* One document merged over the model. */
static int add_document(struct bld_deploy_load *l, const char *file, struct bld_deploy_doc *d,
			struct bld_error **err)
{
	if (!json_is_object(d->root)) {
		const char *f;
		int line = 1;
		bld_deploy_srcmap_find(&l->map, "", &f, &line);
		return bld_error_set(err, BLD_E_INVALID, "%s:%d: top-level object must be a mapping",
				     file, line);
	}
	return json_object_update_recursive(l->model, d->root) == 0
		       ? 0
		       : bld_error_set(err, BLD_E_INTERNAL, "merge %s", file);
}

static int load_file(struct bld_deploy_load *l, const char *file, struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (read_file(file, &data, &len, err) < 0)
		return -(*err)->code;
	struct bld_deploy_doc *docs = NULL;
	size_t n = 0;
	int r = bld_deploy_yaml_parse(data, len, file, &l->map, &docs, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_document(l, file, &docs[i], err);
	bld_deploy_docs_free(docs, n);
	return r;
}

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
	return bld_deploy_project_name_normalize(slash ? slash + 1 : l->project_dir, &l->name,
						 err);
}

int bld_deploy_project_load(struct bld_ctx *ctx, const struct bld_deploy_options *o,
			    json_t **project, struct bld_error **err)
{
	struct bld_deploy_load l;
	int r = bld_deploy_load_init(&l, o, err);
	for (size_t i = 0; r == 0 && l.files[i]; i++)
		r = load_file(&l, l.files[i], err);
	if (r == 0 && json_object_size(l.model) == 0)
		r = bld_error_set(err, BLD_E_INVALID, "empty compose file");
	if (r == 0)
		r = project_name(&l, err);
	if (r == 0)
		r = bld_deploy_load_check(&l, err);
	if (r == 0) {
		json_object_set_new(l.model, "name", json_string(l.name));
		*project = steal_pointer(&l.model);
	}
	bld_deploy_load_dispose(&l);
	return r;
}
