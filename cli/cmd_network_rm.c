/*
 * cli/cmd_network_rm.c — `bld network rm NETWORK...` (also `network remove`): removes each
 * network, printing its name as given; goes on after a failure and exits 1, as docker's.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int status = 0;
	(void)err;
	for (int i = 0; i < a->argc; i++) {
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_network_remove(ctx, a->argv[i], &e) == 0) {
			printf("%s\n", a->argv[i]);
			continue;
		}
		if (e->code == BLD_E_NOTFOUND)
			fprintf(stderr, "bld: No such network: %s\n", a->argv[i]);
		else
			fprintf(stderr, "bld: %s\n", e->msg);
		status = 1;
	}
	return status;
}

const struct bld_cli_cmd bld_cmd_network_rm = {
	.name = "network rm",
	.usage = "NETWORK [NETWORK...]",
	.summary = "Remove one or more networks",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove a network",
		 "bld network rm backend"},
		{"Remove several",
		 "bld network rm backend frontend"}),
};
