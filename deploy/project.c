/*
 * deploy/project.c — bld_deploy_project_load: which files make the project, in which
 * directory, under which name, and the order of the steps that turn them into one model.
 *
 * The files: -f (in order, "-" for stdin), else COMPOSE_FILE, else the first of
 * compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml found in the working
 * directory or its nearest parent that has one, followed by its .override file. The project
 * directory: --project-directory, else the first file's directory.
 */
#include <errno.h>
#include <sys/stat.h>

#include "deploy/deploy_int.h"

extern char **environ;

/* compose-go's DefaultFileNames and DefaultOverrideFileNames, in their order of preference */
static const char *const default_names[] = {"compose.yaml", "compose.yml",
					    "docker-compose.yml", "docker-compose.yaml", NULL};
static const char *const override_names[] = {"compose.override.yml", "compose.override.yaml",
					     "docker-compose.override.yml",
					     "docker-compose.override.yaml", NULL};

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* The first of names that exists in dir, joined to dir; NULL when none does. Several are
 * warned about, as compose does. */
static char *first_in(const char *dir, const char *const *names, const char *what)
{
	cleanup_strv char **found = NULL;
	for (const char *const *n = names; *n; n++) {
		cleanup_free char *p = bld_path_join(dir, *n);
		if (is_file(p))
			bld_strv_push(&found, p);
	}
	if (bld_strv_len(found) > 1) {
		struct bld_buf b = BLD_BUF_INIT;
		for (size_t i = 0; found[i]; i++)
			bld_buf_printf(&b, "%s%s", i ? ", " : "", found[i]);
		bld_warn("Found multiple %s files with supported names: %s", what, bld_buf_str(&b));
		bld_warn("Using %s", found[0]);
		bld_buf_dispose(&b);
	}
	return found ? xstrdup(found[0]) : NULL;
}

/* compose v2's discovery: the working directory, then each parent, until one holds a file. */
static int discover(const char *workdir, char ***files, struct bld_error **err)
{
	cleanup_free char *dir = xstrdup(workdir);
	for (;;) {
		cleanup_free char *main_file = first_in(dir, default_names, "config");
		if (main_file) {
			bld_strv_push(files, main_file);
			cleanup_free char *ovr = first_in(dir, override_names, "override");
			if (ovr)
				bld_strv_push(files, ovr);
			return 0;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			if (strcmp(dir, "/") == 0)
				break;
			dir[1] = '\0';
			continue;
		}
		*slash = '\0';
	}
	return bld_error_refuse(err, BLD_E_NOTFOUND,
				"no configuration file provided: not found");
}

static int working_dir(const struct bld_deploy_options *o, char **out, struct bld_error **err)
{
	cleanup_free char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return bld_error_sys(err, errno, "getcwd");
	*out = o->workdir ? bld_deploy_abs_path(cwd, o->workdir) : steal_pointer(&cwd);
	return 0;
}

/* The environment as a JSON object (name -> value), from o->environ or the process's. */
static json_t *environment(const struct bld_deploy_options *o)
{
	json_t *env = json_object();
	char *const *v = o->environ ? o->environ : environ;
	for (size_t i = 0; v && v[i]; i++) {
		const char *eq = strchr(v[i], '=');
		if (!eq || eq == v[i])
			continue;
		cleanup_free char *k = xstrndup(v[i], (size_t)(eq - v[i]));
		json_object_set_new(env, k, json_string(eq + 1));
	}
	return env;
}

/* The compose files, absolute: -f, else COMPOSE_FILE, else discovery. */
static int config_files(struct bld_deploy_load *l, struct bld_error **err)
{
	const struct bld_deploy_options *o = l->opts;
	for (size_t i = 0; o->files && o->files[i]; i++) {
		cleanup_free char *p = bld_deploy_abs_path(l->workdir, o->files[i]);
		bld_strv_push(&l->files, p);
	}
	if (l->files)
		return 0;
	const char *cf = bld_json_get_str(l->env, "COMPOSE_FILE");
	if (cf) {
		const char *sep = bld_json_get_str(l->env, "COMPOSE_PATH_SEPARATOR");
		cleanup_strv char **parts = bld_strv_split(cf, sep && *sep ? sep : ":");
		for (size_t i = 0; parts && parts[i]; i++) {
			cleanup_free char *p = bld_deploy_abs_path(l->workdir, parts[i]);
			bld_strv_push(&l->files, p);
		}
		if (l->files)
			return 0;
	}
	return discover(l->workdir, &l->files, err);
}

static int project_dir(struct bld_deploy_load *l, struct bld_error **err)
{
	const char *pd = l->opts->project_directory;
	if (pd) {
		l->project_dir = bld_deploy_abs_path(l->workdir, pd);
		return 0;
	}
	if (strcmp(l->files[0], "-") == 0) {
		l->project_dir = xstrdup(l->workdir);
		return 0;
	}
	l->project_dir = xstrdup(l->files[0]);
	char *slash = strrchr(l->project_dir, '/');
	if (slash == l->project_dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

void bld_deploy_load_dispose(struct bld_deploy_load *l)
{
	json_decref(l->env);
	json_decref(l->model);
	bld_strv_free(l->files);
	free(l->workdir);
	free(l->project_dir);
	free(l->name);
	free(l->stdin_data);
	bld_deploy_srcmap_dispose(&l->map);
	memset(l, 0, sizeof(*l));
}

static bool env_file_disabled(const struct bld_deploy_load *l)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	const char *v = bld_json_get_str(l->env, "COMPOSE_DISABLE_ENV_FILE");
	for (size_t i = 0; v && i < BLD_ARRAY_SIZE(yes); i++)
		if (strcmp(v, yes[i]) == 0)
			return true;
	return false;
}

/* The env files (--env-file, relative to the working directory; else dir/.env when it is a
 * file) added to the environment: what is set already stays. */
static int add_env_files(struct bld_deploy_load *l, const char *dir, struct bld_error **err)
{
	cleanup_strv char **files = bld_strv_dup(l->opts->env_files);
	if (!*files && !env_file_disabled(l)) {
		cleanup_free char *dotenv = bld_path_join(dir, ".env");
		if (is_file(dotenv))
			bld_strv_push(&files, dotenv);
	}
	cleanup_json json_t *vars = NULL;
	if (bld_deploy_env_files_read(files, l->workdir, l->env, &vars, err) < 0)
		return -(*err)->code;
	json_object_update_missing(l->env, vars);
	return 0;
}

/* Where the project is: environment, files, project directory. The .env of the directory
 * the project is looked for from is read first, so that it may set COMPOSE_FILE; the
 * project directory's after. */
int bld_deploy_load_init(struct bld_deploy_load *l, const struct bld_deploy_options *o,
			 struct bld_error **err)
{
	memset(l, 0, sizeof(*l));
	l->opts = o;
	bld_deploy_srcmap_init(&l->map);
	l->env = environment(o);
	int r = working_dir(o, &l->workdir, err);
	cleanup_free char *first = NULL;
	if (r == 0)
		first = o->project_directory ? bld_deploy_abs_path(l->workdir, o->project_directory)
					     : xstrdup(l->workdir);
	if (r == 0)
		r = add_env_files(l, first, err);
	if (r == 0)
		r = config_files(l, err);
	if (r == 0)
		r = project_dir(l, err);
	if (r == 0 && !o->env_files && strcmp(first, l->project_dir) != 0)
		r = add_env_files(l, l->project_dir, err);
	return r;
}
