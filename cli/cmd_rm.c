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

struct rm_opts {
	bool force, vols;
};

static int rm(struct bld_ctx *ctx, const char *id, void *payload, struct bld_error **err)
{
	const struct rm_opts *o = payload;
	return bld_runner_container_remove(ctx, id, o->force, o->vols, err);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct rm_opts o = {bld_cli_bool(a, "force"), bld_cli_bool(a, "volumes")};
	return bld_cli_each_container(ctx, a, rm, &o);
}

const struct bld_cli_cmd bld_cmd_rm = {
	.name = "rm",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Remove one or more containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove a stopped container",
		 "bld rm web"},
		{"Remove a running one with its anonymous volumes",
		 "bld rm -f -v web"},
		{"Remove every stopped container",
		 "bld rm $(bld ps -aq --filter status=exited)"}),
};
