/*
 * deploy/envfile.c — .env files read from disk: the project's environment files (its .env
 * or --env-file, in order, as compose-go's dotenv.GetEnvFromFile), and one service env_file
 * for normalisation. The parsing itself is dotenv.c's.
 */
#include <errno.h>
#include <sys/stat.h>

#include "deploy/deploy_int.h"

/* A .env file larger than this is refused. */
#define MAX_ENV_FILE ((size_t)4 << 20)

/* Variables are looked up in env first, then in what the files defined so far. */
struct chain {
	const json_t *env;
	const json_t *vars;
};

static const char *chain_lookup(const char *name, void *payload)
{
	const struct chain *c = payload;
	const char *v = c->env ? bld_json_get_str(c->env, name) : NULL;
	return v ? v : bld_json_get_str(c->vars, name);
}

/* Reads path into vars (values defined before stay unless the file redefines them). */
static int read_into(json_t *vars, const char *path, const json_t *env, struct bld_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? bld_error_set(err, BLD_E_NOTFOUND,
						       "couldn't find env file: %s", path)
				       : bld_error_sys(err, errno, "%s", path);
	if (S_ISDIR(st.st_mode))
		return bld_error_set(err, BLD_E_INVALID, "%s is a directory", path);
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (bld_fs_read_file(path, MAX_ENV_FILE, &text, &len, err) < 0)
		return -(*err)->code;
	struct chain c = {env, vars};
	if (bld_deploy_dotenv_parse(text, vars, chain_lookup, &c, err) < 0)
		return bld_error_wrap(err, "failed to read %s", path);
	return 0;
}

int bld_deploy_env_files_read(char *const *files, const char *base, const json_t *env,
			      json_t **out, struct bld_error **err)
{
	cleanup_json json_t *vars = json_object();
	for (size_t i = 0; files && files[i]; i++) {
		cleanup_free char *path = bld_deploy_abs_path(base, files[i]);
		if (read_into(vars, path, env, err) < 0)
			return -(*err)->code;
	}
	*out = steal_pointer(&vars);
	return 0;
}

int bld_deploy_env_file_read(json_t **out, const char *path, const json_t *env,
			     struct bld_error **err)
{
	cleanup_json json_t *vars = json_object();
	if (read_into(vars, path, env, err) < 0)
		return -(*err)->code;
	*out = steal_pointer(&vars);
	return 0;
}
