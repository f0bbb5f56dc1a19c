/*
 * cli/cmd_restart.c — `bld restart [-t N] CONTAINER...`: stop, then start detached.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"time", 't', BLD_OPT_STRING, "int", "Seconds to wait before killing the container", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int restart(struct bld_ctx *ctx, const char *id, void *t, struct bld_error **err)
{
	struct bld_runner_attach none = {.out = false};
	int report = -1;
	if (bld_runner_container_stop(ctx, id, *(int *)t, err) < 0 ||
	    bld_runner_container_start(ctx, id, &none, &report, err) < 0)
		return -1;
	bld_runner_container_event(ctx, id, "restart", NULL); /* after start's, as docker's */
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int t;
	if (bld_cli_stop_time(a, &t, err) < 0)
		return -1;
	return bld_cli_each_container(ctx, a, restart, &t);
}

const struct bld_cli_cmd bld_cmd_restart = {
	.name = "restart",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Restart one or more containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Restart a container",
		 "bld restart web"},
		{"Restart it, killing it if it does not stop within 2 seconds",
		 "bld restart -t 2 web"}),
};
