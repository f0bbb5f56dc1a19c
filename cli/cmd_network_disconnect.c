/*
 * cli/cmd_network_disconnect.c — `bld network disconnect [-f] NETWORK CONTAINER`: the
 * container leaves the network, live when it runs (runner/netconnect.c).
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"force", 'f', BLD_OPT_BOOL, NULL, "Force the container to disconnect from a network", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	return bld_runner_network_disconnect(ctx, a->argv[0], a->argv[1], bld_cli_bool(a, "force"),
					     err);
}

const struct bld_cli_cmd bld_cmd_network_disconnect = {
	.name = "network disconnect",
	.usage = "[OPTIONS] NETWORK CONTAINER",
	.summary = "Disconnect a container from a network",
	.opts = opts,
	.min_args = 2,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Disconnect a container from a network",
		 "bld network disconnect backend web"},
		{"Even when the container is gone",
		 "bld network disconnect -f backend web"}),
};
