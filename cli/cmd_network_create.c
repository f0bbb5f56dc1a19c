/*
 * cli/cmd_network_create.c — `bld network create [OPTIONS] NETWORK`: a bridge network with
 * docker's flags; prints its Id. Every refusal exits 1, as docker's.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"attachable", 0, BLD_OPT_BOOL, NULL, "Enable manual container attachment", NULL},
	{"driver", 'd', BLD_OPT_STRING, "string", "Driver to manage the Network", "bridge"},
	{"gateway", 0, BLD_OPT_LIST, "strings", "IPv4 or IPv6 Gateway for the master subnet",
	 NULL},
	{"internal", 0, BLD_OPT_BOOL, NULL, "Restrict external access to the network", NULL},
	{"ip-range", 0, BLD_OPT_LIST, "strings", "Allocate container ip from a sub-range", NULL},
	{"ipv6", 0, BLD_OPT_BOOL, NULL, "Enable IPv6 networking", NULL},
	{"label", 0, BLD_OPT_LIST, "list", "Set metadata on a network", NULL},
	{"opt", 'o', BLD_OPT_LIST, "map", "Set driver specific options", NULL},
	{"subnet", 0, BLD_OPT_LIST, "strings",
	 "Subnet in CIDR format that represents a network segment", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_runner_network_spec s = {
		.name = a->argv[0],
		.driver = bld_cli_str(a, "driver"),
		.subnets = (char **)bld_cli_list(a, "subnet"),
		.gateways = (char **)bld_cli_list(a, "gateway"),
		.ip_ranges = (char **)bld_cli_list(a, "ip-range"),
		.labels = (char **)bld_cli_list(a, "label"),
		.options = (char **)bld_cli_list(a, "opt"),
		.ipv6 = bld_cli_bool(a, "ipv6"),
		.internal = bld_cli_bool(a, "internal"),
		.attachable = bld_cli_bool(a, "attachable"),
	};
	cleanup_free char *id = NULL;
	if (bld_runner_network_create(ctx, &s, &id, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	printf("%s\n", id);
	return 0;
}

const struct bld_cli_cmd bld_cmd_network_create = {
	.name = "network create",
	.usage = "[OPTIONS] NETWORK",
	.summary = "Create a network",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Create a network",
		 "bld network create backend"},
		{"With its own subnet and gateway",
		 "bld network create --subnet 172.20.0.0/16 --gateway 172.20.0.1 backend"},
		{"A network without a way out",
		 "bld network create --internal private"}),
};
