/*
 * deploy/model.c — a set of compose files turned into one model, in compose-go's order for
 * each document: interpolate (docs.c), import what it includes, drop from the model so far
 * what it tags !reset/!override, apply extends, merge, keep sequences unique; at the end,
 * relative paths made absolute against the working directory.
 *
 * `include` (short and long form: path as a string or list, project_directory, env_file):
 * each included project is loaded as a model of its own, in its own directory and with its
 * own .env added to (never over) the environment, then its services, networks, volumes,
 * configs and secrets imported; a resource defined on both sides is merged, the including
 * side winning. A file that includes itself, directly or not, is refused.
 */
#include <sys/stat.h>

#include "deploy/deploy_int.h"

/* An include entry: the files (absolute), the project directory and env files. */
struct inc {
	char **paths;
	char *project_dir;
	char **env_files;
};

static void inc_dispose(struct inc *r)
{
	bld_strv_free(r->paths);
	free(r->project_dir);
	bld_strv_free(r->env_files);
}

static char **string_list(const json_t *v)
{
	char **out = NULL;
	if (json_is_string(v))
		bld_strv_push(&out, json_string_value(v));
	for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++)
		if (json_is_string(json_array_get(v, i)))
			bld_strv_push(&out, json_string_value(json_array_get(v, i)));
	return out;
}

static char *dir_of(const char *path)
{
	char *d = xstrdup(path);
	char *slash = strrchr(d, '/');
	if (slash == d)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	return d;
}

/* The env files of an include: given ones (relative to workdir, /dev/null skipped, each must
 * exist), else the project directory's .env when there is one. */
static int inc_env_files(struct inc *r, const json_t *given, const char *workdir,
			 struct bld_error **err)
{
	cleanup_strv char **list = string_list(given);
	if (!list) {
		cleanup_free char *dotenv = bld_path_join(r->project_dir, ".env");
		struct stat st;
		if (stat(dotenv, &st) == 0 && !S_ISDIR(st.st_mode))
			bld_strv_push(&r->env_files, dotenv);
		return 0;
	}
	for (size_t i = 0; list[i]; i++) {
		if (strcmp(list[i], "/dev/null") == 0)
			continue;
		cleanup_free char *f = bld_deploy_abs_path(workdir, list[i]);
		struct stat st;
		if (stat(f, &st) < 0)
			return bld_error_set(err, BLD_E_NOTFOUND, "stat %s: no such file or directory",
					     f);
		if (S_ISDIR(st.st_mode))
			return bld_error_set(err, BLD_E_INVALID, "%s is not a file", f);
		bld_strv_push(&r->env_files, f);
	}
	return 0;
}

static int inc_parse(const json_t *entry, const char *workdir, struct inc *r,
		     struct bld_error **err)
{
	const json_t *path = json_is_object(entry) ? json_object_get(entry, "path") : entry;
	cleanup_strv char **list = string_list(path);
	if (!list)
		return bld_error_set(err, BLD_E_INVALID, "include: path is required");
	for (size_t i = 0; list[i]; i++) {
		cleanup_free char *p = bld_deploy_abs_path(workdir, list[i]);
		bld_strv_push(&r->paths, p);
	}
	const char *pd = bld_json_get_str(entry, "project_directory");
	r->project_dir = pd && *pd ? bld_deploy_abs_path(workdir, pd) : dir_of(r->paths[0]);
	return inc_env_files(r, json_object_get(entry, "env_file"), workdir, err);
}

static int inc_cycle(char *const *included, const char *path, struct bld_error **err)
{
	bool cycle = false;
	for (size_t i = 0; included && included[i]; i++)
		cycle = cycle || strcmp(included[i], path) == 0;
	if (!cycle)
		return 0;
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_printf(&b, "include cycle detected: %s", included[0]);
	for (size_t i = 1; included[i]; i++)
		bld_buf_printf(&b, " include %s", included[i]);
	bld_buf_printf(&b, " include %s", path);
	int r = bld_error_set(err, BLD_E_INVALID, "%s", bld_buf_str(&b));
	bld_buf_dispose(&b);
	return r;
}

/* The included model's resources of kind key put into cfg; a name defined on both sides is
 * merged, cfg's side over the included one. */
static int import_kind(json_t *imported, json_t *cfg, const char *key,
		       const struct bld_deploy_doc *doc, struct bld_error **err)
{
	json_t *from = json_object_get(imported, key), *to = json_object_get(cfg, key);
	if (!json_is_object(from))
		return 0;
	if (!json_is_object(to)) {
		to = json_object();
		json_object_set_new(cfg, key, to);
	}
	const char *name;
	json_t *a;
	json_object_foreach(from, name, a) {
		json_t *conflict = json_object_get(to, name);
		if (!conflict) {
			json_object_set(to, name, a);
			continue;
		}
		cleanup_json json_t *wrap = json_pack("{s{sO}}", key, name, a);
		bld_deploy_reset_apply(wrap, doc);
		cleanup_free char *root = xasprintf("%s.%s", key, name);
		cleanup_json json_t *merged = json_copy(a);
		if (!json_is_object(merged) || !json_is_object(conflict)) {
			json_object_set(to, name, conflict);
			continue;
		}
		if (bld_deploy_merge(merged, conflict, root, err) < 0)
			return -BLD_E_INVALID;
		json_object_set(to, name, merged);
	}
	return 0;
}

static int include_one(struct bld_deploy_load *l, const json_t *entry, const char *workdir,
		       const json_t *env, char *const *included, json_t *cfg,
		       const struct bld_deploy_doc *doc, struct bld_error **err)
{
	static const char *const kinds[] = {"services", "volumes", "networks", "secrets",
					    "configs"};
	struct inc r = {NULL, NULL, NULL};
	cleanup_json json_t *vars = NULL, *imported = NULL;
	cleanup_strv char **chain = bld_strv_dup(included);
	int rc = inc_parse(entry, workdir, &r, err);
	if (rc == 0)
		rc = inc_cycle(included, r.paths[0], err);
	if (rc == 0)
		rc = bld_deploy_env_files_read(r.env_files, workdir, env, &vars, err);
	if (rc == 0) {
		cleanup_json json_t *env2 = json_copy((json_t *)env);
		json_object_update_missing(env2, vars);
		bld_strv_push(&chain, r.paths[0]);
		rc = bld_deploy_model_load(l, r.paths, r.project_dir, env2, chain, &imported, err);
	}
	for (size_t i = 0; rc == 0 && i < BLD_ARRAY_SIZE(kinds); i++)
		rc = import_kind(imported, cfg, kinds[i], doc, err);
	inc_dispose(&r);
	return rc;
}

static int include_apply(struct bld_deploy_load *l, const char *workdir, const json_t *env,
			 char *const *included, json_t *cfg, const struct bld_deploy_doc *doc,
			 struct bld_error **err)
{
	json_t *list = json_object_get(cfg, "include");
	if (!list)
		return 0;
	if (!json_is_array(list))
		return bld_error_set(err, BLD_E_INVALID, "`include` must be a list");
	for (size_t i = 0; i < json_array_size(list); i++)
		if (include_one(l, json_array_get(list, i), workdir, env, included, cfg, doc, err) <
		    0)
			return -(*err)->code;
	json_object_del(cfg, "include");
	return 0;
}

/* One document of file over the model: includes, resets, extends, merge, unicity. */
static int add_document(struct bld_deploy_load *l, const char *file, const char *workdir,
			const json_t *env, char *const *included, struct bld_deploy_doc *doc,
			json_t *model, struct bld_error **err)
{
	cleanup_strv char **chain = bld_strv_dup(included);
	bld_strv_push(&chain, file);
	int r = include_apply(l, workdir, env, chain, doc->root, doc, err);
	if (r == 0)
		bld_deploy_reset_apply(model, doc);
	if (r == 0)
		r = bld_deploy_extends_apply(l, file, workdir, env, doc->root, doc, err);
	if (r == 0)
		r = bld_deploy_merge(model, doc->root, "", err);
	if (r == 0)
		r = bld_deploy_unicity(model, err);
	return r;
}

/* compose-go's ResolveEnvironment: "VAR" alone in an environment list takes its value from
 * env, the environment of the project (or included project) the service was written in. */
static void resolve_environment(json_t *model, const json_t *env)
{
	const char *name;
	json_t *svc;
	json_object_foreach(json_object_get(model, "services"), name, svc) {
		json_t *list = json_object_get(svc, "environment");
		for (size_t i = 0; json_is_array(list) && i < json_array_size(list); i++) {
			const char *var = json_string_value(json_array_get(list, i));
			const char *v = var && !strchr(var, '=') ? bld_json_get_str(env, var) : NULL;
			cleanup_free char *kv = v ? xasprintf("%s=%s", var, v) : NULL;
			if (kv)
				json_array_set_new(list, i, json_string(kv));
		}
	}
}

/* compose-go's default build context, set before paths are resolved so that it is the
 * directory of the project (or included project) the service was written in. */
static void default_build_context(json_t *model)
{
	const char *name;
	json_t *svc;
	json_object_foreach(json_object_get(model, "services"), name, svc) {
		json_t *b = json_object_get(svc, "build");
		if (json_is_object(b) && !json_object_get(b, "context"))
			json_object_set_new(b, "context", json_string("."));
	}
}

int bld_deploy_model_load(struct bld_deploy_load *l, char *const *files, const char *workdir,
			  const json_t *env, char *const *included, json_t **out,
			  struct bld_error **err)
{
	cleanup_json json_t *model = json_object();
	for (size_t i = 0; files && files[i]; i++) {
		struct bld_deploy_doc *docs = NULL;
		size_t n = 0;
		int r = bld_deploy_file_docs(l, files[i], env, &l->map, &docs, &n, err);
		for (size_t j = 0; r == 0 && j < n; j++)
			r = add_document(l, files[i], workdir, env, included, &docs[j], model, err);
		bld_deploy_docs_free(docs, n);
		if (r < 0)
			return r;
	}
	default_build_context(model);
	bld_deploy_resolve_paths(model, workdir);
	resolve_environment(model, env);
	*out = steal_pointer(&model);
	return 0;
}
