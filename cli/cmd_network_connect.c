/*
 * cli/cmd_network_connect.c — `bld network connect [OPTIONS] NETWORK CONTAINER`: the container
 * joins the network, live when it runs (runner/netconnect.c).
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"alias", 0, BLD_OPT_LIST, "strings", "Add network-scoped alias for the container", NULL},
	{"driver-opt", 0, BLD_OPT_LIST, "strings", "driver options for the network", NULL},
	{"ip", 0, BLD_OPT_STRING, "string", "IPv4 address (e.g., 172.30.100.104)", NULL},
	{"ip6", 0, BLD_OPT_STRING, "string", "IPv6 address (e.g., 2001:db8::33)", NULL},
	{"link", 0, BLD_OPT_LIST, "list", "Add link to another container", NULL},
	{"link-local-ip", 0, BLD_OPT_LIST, "strings", "Add a link-local address for the container",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_runner_net_attach o = {.aliases = bld_cli_list(a, "alias"),
					  .ip = bld_cli_str(a, "ip"),
					  .ip6 = bld_cli_str(a, "ip6"),
					  .links = bld_cli_list(a, "link")};
	return bld_runner_network_connect(ctx, a->argv[0], a->argv[1], &o, err);
}

const struct bld_cli_cmd bld_cmd_network_connect = {
	.name = "network connect",
	.usage = "[OPTIONS] NETWORK CONTAINER",
	.summary = "Connect a container to a network",
	.opts = opts,
	.min_args = 2,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Connect a running container to a network",
		 "bld network connect backend web"},
		{"With an alias and a fixed address",
		 "bld network connect --alias api --ip 172.20.0.10 backend web"}),
};
