/*
 * cli/cmd_kill.c — `bld kill [-s SIGNAL] CONTAINER...`.
 */
#include "cli/container_opts.h"




static const struct bld_cli_opt opts[] = {
	{"signal", 's', BLD_OPT_STRING, "string", "Signal to send to the container", "KILL"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int kill_one(struct bld_ctx *ctx, const char *id, void *sig, struct bld_error **err)
{
	return bld_runner_container_kill(ctx, id, *(int *)sig, err);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int sig = bld_runner_signal_parse(bld_cli_str(a, "signal"));
	if (sig <= 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid signal: %s",
				     bld_cli_str(a, "signal"));
	return bld_cli_each_container(ctx, a, kill_one, &sig);
}

const struct bld_cli_cmd bld_cmd_kill = {
	.name = "kill",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Kill one or more running containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Kill a container",
		 "bld kill web"},
		{"Send it another signal",
		 "bld kill -s HUP web"}),
};
