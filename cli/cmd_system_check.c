/*
 * cli/cmd_system_check.c — `bld system check`: re-hashes every blob of the store and checks
 * that every image has what it needs, then the network store (network.json files, leases,
 * endpoints; those of dead containers counted as stale, not damage), and the half-made or
 * half-removed containers and volumes of killed commands (stale too); with --layers, every
 * unpacked layer against its blob (a damaged one is extracted again: it is a cache). Prints
 * one line per problem and exits 1 when the store is damaged (0 when it is clean).
 */
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"layers", 0, BLD_OPT_BOOL, NULL,
	 "Also compare every unpacked layer with its blob, extracting damaged ones again", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only print problems", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static void print_problem(const char *problem, void *payload)
{
	(void)payload;
	printf("%s\n", problem);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_check_stats st;
	struct bld_cache_layer_check_stats ls = {0};
	int r = bld_cache_check(s, print_problem, NULL, &st, err);
	if (r == 0 && bld_cli_bool(a, "layers"))
		r = bld_cache_layers_check(s, true, print_problem, NULL, &ls, err);
	bld_cache_store_free(s);
	if (r < 0)
		return r;
	char sz[32];
	bld_cli_size(sz, sizeof(sz), st.bytes);
	if (!bld_cli_bool(a, "quiet") || st.problems)
		printf("%lld blobs checked (%s): %lld damaged, %lld missing, %s\n",
		       (long long)st.blobs, sz, (long long)st.damaged, (long long)st.missing,
		       st.problems ? "the store is damaged" : "no problems found");
	if (bld_cli_bool(a, "layers") && (!bld_cli_bool(a, "quiet") || ls.problems))
		printf("%lld layers checked: %lld damaged (%lld extracted again), %s\n",
		       (long long)ls.layers, (long long)ls.damaged, (long long)ls.repaired,
		       ls.problems ? "the layers were damaged" : "no problems found");
	struct bld_runner_network_check_stats ns;
	if (bld_runner_network_check(ctx, print_problem, NULL, &ns, err) < 0)
		return -1;
	if (!bld_cli_bool(a, "quiet") || ns.problems)
		printf("%lld networks checked: %lld leases (%lld stale), %lld endpoints (%lld stale), "
		       "%lld stale half-made networks: %s\n",
		       (long long)ns.networks, (long long)ns.leases, (long long)ns.stale_leases,
		       (long long)ns.endpoints, (long long)ns.stale_endpoints,
		       (long long)ns.stale_dirs,
		       ns.problems ? "the network store is damaged" : "no problems found");
	struct bld_runner_leftover_stats lo;
	bld_runner_leftovers_count(ctx, &lo);
	if (!bld_cli_bool(a, "quiet") && (lo.containers || lo.volumes))
		printf("%lld containers and %lld volumes half made or half removed by interrupted "
		       "commands: stale, removed by the next create or rm\n",
		       (long long)lo.containers, (long long)lo.volumes);
	return st.problems || ls.problems || ns.problems ? 1 : 0;
}

const struct bld_cli_cmd bld_cmd_system_check = {
	.name = "system check",
	.usage = "[OPTIONS]",
	.summary = "Verify every blob of the image store against its digest",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Verify every blob of the store",
		 "bld system check"},
		{"Only report damage",
		 "bld system check -q"},
		{"Also verify the unpacked layers and repair damaged ones",
		 "bld system check --layers"}),
};
