/*
 * cli/cmd_container_prune.c — `bld container prune [-f]`: removes every container that is
 * not running, with docker's prompt and report.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	BLD_CLI_PRUNE_OPTS("until=<timestamp>"),
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int r = bld_cli_prune_confirm(a, "container prune",
				      "WARNING! This will remove all stopped containers.", err);
	cleanup_strv char **ids = NULL;
	int64_t bytes = 0;
	if (r <= 0)
		return r;
	if (bld_runner_container_prune(ctx, &ids, &bytes, err) < 0)
		return -1;
	bld_cli_print_deleted("Containers", ids);
	bld_cli_print_reclaimed(bytes);
	return 0;
}

const struct bld_cli_cmd bld_cmd_container_prune = {
	.name = "container prune",
	.usage = "[OPTIONS]",
	.summary = "Remove all stopped containers",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove every stopped container",
		 "bld container prune -f"},
		{"Remove those stopped for more than a day",
		 "bld container prune -f --filter until=24h"}),
};
