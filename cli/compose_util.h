/*
 * cli/compose_util.h — what the `bld compose` runtime commands (cmd_compose_*.c) share:
 * the project a command acts on (loaded from its files, or only named by -p when the
 * command can work from the store's labels), and the options several commands take.
 */
#ifndef BLD_CLI_COMPOSE_UTIL_H
#define BLD_CLI_COMPOSE_UTIL_H

#include "cli/cli.h"
#include "deploy/deploy.h"

struct bld_cli_compose {
	struct bld_deploy_target t;
	json_t *project, *env;
	char *name, *working_dir, *config_files;
};

/* The project of a's group options and its SERVICE arguments (a->argv from first_service).
 * With need_project false, a missing compose file is no error when -p (or
 * COMPOSE_PROJECT_NAME) names the project: t.project is NULL then. */
int bld_cli_compose_open(struct bld_ctx *ctx, struct bld_cli_args *a, int first_service,
			 bool need_project, struct bld_cli_compose *out, struct bld_error **err);
void bld_cli_compose_close(struct bld_cli_compose *c);

/* The project's containers of the services asked for (all when none), one-off ones left
 * out unless oneoff. */
int bld_cli_compose_state(struct bld_ctx *ctx, const struct bld_cli_compose *c, bool oneoff,
			  struct bld_deploy_state *out, struct bld_error **err);

#endif
