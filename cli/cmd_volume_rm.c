/*
 * cli/cmd_volume_rm.c — `bld volume rm [-f] VOLUME...`.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"force", 'f', BLD_OPT_BOOL, NULL, "Force the removal of one or more volumes", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int status = 0;
	for (int i = 0; i < a->argc; i++) {
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_volume_remove(ctx, a->argv[i], bld_cli_bool(a, "force"), &e) < 0) {
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	return status;
}

const struct bld_cli_cmd bld_cmd_volume_rm = {
	.name = "volume rm",
	.usage = "[OPTIONS] VOLUME [VOLUME...]",
	.summary = "Remove one or more volumes",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove a volume",
		 "bld volume rm data"},
		{"Remove several, ignoring those that do not exist",
		 "bld volume rm -f data cache"}),
};
