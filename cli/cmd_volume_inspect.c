/*
 * cli/cmd_volume_inspect.c — `bld volume inspect VOLUME...`: a JSON array as docker prints. A
 * name that is not found is reported after the others and exits 1, as docker's.
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format output (\"{{.Mountpoint}}\")", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	(void)err;
	return bld_cli_inspect_each(ctx, a, "volume", bld_runner_volume_inspect);
}

const struct bld_cli_cmd bld_cmd_volume_inspect = {
	.name = "volume inspect",
	.usage = "[OPTIONS] VOLUME [VOLUME...]",
	.summary = "Display detailed information on one or more volumes",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a volume as JSON",
		 "bld volume inspect data"},
		{"Only where it lives",
		 "bld volume inspect -f '{{.Mountpoint}}' data"}),
};
