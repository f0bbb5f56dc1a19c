/*
 * cli/cmd_stop.c — `bld stop [-t N] CONTAINER...`: the stop signal, then SIGKILL after the
 * timeout; prints each name as docker does.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"time", 't', BLD_OPT_STRING, "int", "Seconds to wait before killing the container", NULL},
	{"signal", 's', BLD_OPT_STRING, "string", "Signal to send to the container", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int stop(struct bld_ctx *ctx, const char *id, void *t, struct bld_error **err)
{
	return bld_runner_container_stop(ctx, id, *(int *)t, err);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int t;
	if (bld_cli_stop_time(a, &t, err) < 0)
		return -1;
	return bld_cli_each_container(ctx, a, stop, &t);
}

const struct bld_cli_cmd bld_cmd_stop = {
	.name = "stop",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Stop one or more running containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Stop a container",
		 "bld stop web"},
		{"Stop it, killing it if it takes more than 30 seconds",
		 "bld stop -t 30 web"}),
};
