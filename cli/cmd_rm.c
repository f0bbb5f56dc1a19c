/*
 * cli/cmd_rm.c — `bld rm [-f] [-v] CONTAINER...`.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"force", 'f', BLD_OPT_BOOL, NULL, "Force the removal of a running container (uses SIGKILL)",
	 NULL},
	{"volumes", 'v', BLD_OPT_BOOL, NULL, "Remove anonymous volumes associated with the container",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int status = 0;
	bool force = bld_cli_bool(a, "force"), vols = bld_cli_bool(a, "volumes");
	for (int i = 0; i < a->argc; i++) {
		cleanup_free char *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0 ||
		    bld_runner_container_remove(ctx, id, force, vols, &e) < 0) {
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	return status;
}

const struct bld_cli_cmd bld_cmd_rm = {
	.name = "rm",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Remove one or more containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
