/*
 * cli/cmd_volume_create.c — `bld volume create [--label K=V] [-o K=V] [NAME]`.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"label", 0, BLD_OPT_LIST, "list", "Set metadata for a volume", NULL},
	{"opt", 'o', BLD_OPT_LIST, "map", "Set driver specific options", NULL},
	{"name", 0, BLD_OPT_STRING, "string", "Specify volume name", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *name = a->argc ? a->argv[0] : bld_cli_str(a, "name");
	cleanup_free char *out = NULL;
	if (bld_runner_volume_create_opts(ctx, name, (char **)bld_cli_list(a, "label"),
					  (char **)bld_cli_list(a, "opt"), &out, err) < 0)
		return -1;
	printf("%s\n", out);
	return 0;
}

const struct bld_cli_cmd bld_cmd_volume_create = {
	.name = "volume create",
	.usage = "[OPTIONS] [VOLUME]",
	.summary = "Create a volume",
	.opts = opts,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Create a named volume",
		 "bld volume create data"},
		{"With a label",
		 "bld volume create --label env=ci cache"}),
};
