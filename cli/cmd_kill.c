/*
 * cli/cmd_kill.c — `bld kill [-s SIGNAL] CONTAINER...`.
 */
#include "cli/container_opts.h"




static const struct bld_cli_opt opts[] = {
	{"signal", 's', BLD_OPT_STRING, "string", "Signal to send to the container", "KILL"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int sig = bld_runner_signal_parse(bld_cli_str(a, "signal"));
	if (sig <= 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid signal: %s",
				     bld_cli_str(a, "signal"));
	int status = 0;
	for (int i = 0; i < a->argc; i++) {
		cleanup_free char *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0 ||
		    bld_runner_container_kill(ctx, id, sig, &e) < 0) {
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	return status;
}

const struct bld_cli_cmd bld_cmd_kill = {
	.name = "kill",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Kill one or more running containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
