/*
 * cli/cmd_pause.c — `bld pause CONTAINER...` and `bld unpause CONTAINER...` (also under
 * `bld container`): every process of each container frozen or thawed by its monitor
 * (runner/), each name printed when that worked, docker's errors and exit status 1
 * otherwise.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int pause_one(struct bld_ctx *ctx, const char *id, void *payload, struct bld_error **err)
{
	return *(bool *)payload ? bld_runner_container_pause(ctx, id, err)
				: bld_runner_container_unpause(ctx, id, err);
}

static int run_pause(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool pause = true;
	return bld_cli_each_container(ctx, a, pause_one, &pause);
}

static int run_unpause(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool pause = false;
	return bld_cli_each_container(ctx, a, pause_one, &pause);
}

const struct bld_cli_cmd bld_cmd_pause = {
	.name = "pause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Pause all processes within one or more containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run_pause,
	.examples = BLD_CLI_EXAMPLES(
		{"Freeze a container's processes",
		 "bld pause web"},
		{"Freeze several",
		 "bld pause web worker"}),
};

const struct bld_cli_cmd bld_cmd_unpause = {
	.name = "unpause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Unpause all processes within one or more containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run_unpause,
	.examples = BLD_CLI_EXAMPLES(
		{"Thaw a paused container",
		 "bld unpause web"},
		{"Thaw several",
		 "bld unpause web worker"}),
};
