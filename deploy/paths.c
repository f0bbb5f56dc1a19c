/*
 * deploy/paths.c — where a project lives, for the labels compose v2 puts on what it
 * makes (com.docker.compose.project.working_dir and .config_files): found as the loader
 * finds them, so that both always agree; and the environment it interpolates with.
 */
#include "deploy/deploy_int.h"

int bld_deploy_project_paths(const struct bld_deploy_options *o, char **working_dir,
			     char **config_files, json_t **env, struct bld_error **err)
{
	struct bld_deploy_load l;
	*working_dir = *config_files = NULL;
	*env = NULL;
	int r = bld_deploy_load_init(&l, o, err);
	if (r == 0) {
		struct bld_buf b = BLD_BUF_INIT;
		for (size_t i = 0; l.files && l.files[i]; i++)
			bld_buf_printf(&b, "%s%s", i ? "," : "", l.files[i]);
		*config_files = bld_buf_detach(&b);
		*working_dir = xstrdup(l.project_dir);
		*env = json_incref(l.env);
	}
	bld_deploy_load_dispose(&l);
	return r;
}
