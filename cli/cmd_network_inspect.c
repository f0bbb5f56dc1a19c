/*
 * cli/cmd_network_inspect.c — `bld network inspect [-f TEMPLATE] NETWORK...`: docker's JSON
 * array (Containers computed from the endpoints of live containers), or the template once per
 * network. A name that is not found is reported after the others and exits 1, as docker's.
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format the output using the given Go template",
	 NULL},
	{"verbose", 'v', BLD_OPT_BOOL, NULL, "Verbose output for diagnostics", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	(void)err;
	return bld_cli_inspect_each(ctx, a, "network", bld_runner_network_inspect);
}

const struct bld_cli_cmd bld_cmd_network_inspect = {
	.name = "network inspect",
	.usage = "[OPTIONS] NETWORK [NETWORK...]",
	.summary = "Display detailed information on one or more networks",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a network as JSON",
		 "bld network inspect backend"},
		{"Only its subnet",
		 "bld network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' backend"}),
};
