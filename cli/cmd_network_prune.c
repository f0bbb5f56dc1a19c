/*
 * cli/cmd_network_prune.c — `bld network prune [-f] [--filter until=|label=|label!=]`:
 * removes the user networks no container is on, printing docker's "Deleted Networks:" block.
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"

static const struct bld_cli_opt opts[] = {
	BLD_CLI_PRUNE_OPTS("until=<timestamp>"),
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* The filters as the store takes them: until= read here (unix seconds), label ones kept;
 * docker's refusals for the rest. */
static int read_filters(char *const *f, double *until, char ***labels, struct bld_error **err)
{
	*until = 0;
	for (size_t i = 0; f && f[i]; i++) {
		const char *eq = strchr(f[i], '='); /* there is one: bld_cli_filters_check */
		int64_t ns = 0;
		if (bld_str_has_prefix(f[i], "label=") || bld_str_has_prefix(f[i], "label!=")) {
			bld_strv_push(labels, f[i]);
			continue;
		}
		if (!bld_str_has_prefix(f[i], "until="))
			return bld_error_refuse(err, BLD_E_INVALID, "Invalid filter '%.*s'",
						(int)(eq - f[i]), f[i]);
		if (bld_cli_timestamp(eq + 1, &ns) < 0)
			return bld_error_refuse(err, BLD_E_INVALID,
						"failed to parse value as time or duration: \"%s\"",
						eq + 1);
		*until = (double)ns / 1e9;
	}
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_strv char **labels = NULL;
	cleanup_strv char **names = NULL;
	double until = 0;
	if (bld_cli_filters_check(a, "--filter", err) < 0 ||
	    read_filters(bld_cli_list(a, "filter"), &until, &labels, err) < 0)
		return -1;
	if (!bld_cli_bool(a, "force") &&
	    !bld_cli_confirm("WARNING! This will remove all custom networks not used by at least "
			     "one container."))
		return 0;
	if (bld_runner_network_prune(ctx, until, labels, &names, err) < 0)
		return -1;
	if (!names)
		return 0;
	printf("Deleted Networks:\n");
	for (size_t i = 0; names[i]; i++)
		printf("%s\n", names[i]);
	printf("\n");
	return 0;
}

const struct bld_cli_cmd bld_cmd_network_prune = {
	.name = "network prune",
	.usage = "[OPTIONS]",
	.summary = "Remove all unused networks",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove every network no container uses",
		 "bld network prune -f"},
		{"Only those older than a week",
		 "bld network prune -f --filter until=168h"}),
};
