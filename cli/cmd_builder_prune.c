/*
 * cli/cmd_builder_prune.c — `bld builder prune [-a] [-f]`: removes the build cache: the
 * dangling records (those keeping a layer no image holds), or with -a all of them, then
 * collects the garbage they kept.
 */
#include "cli/image_util.h"

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Remove all unused build cache, not just dangling ones",
	 NULL},
	BLD_CLI_PRUNE_OPTS("until=24h"),
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool all = bld_cli_bool(a, "all");
	int r = bld_cli_prune_confirm(a, "builder prune",
				      all ? "WARNING! This will remove all build cache."
					  : "WARNING! This will remove all dangling build cache.",
				      err);
	cleanup_strv char **keys = NULL;
	int64_t bytes = 0;
	if (r <= 0)
		return r;
	if (bld_cli_prune_store(ctx, false, NULL, &keys, all, &bytes, err) < 0)
		return -1;
	bld_cli_print_deleted("build cache objects", keys);
	bld_cli_print_reclaimed(bytes);
	return 0;
}

const struct bld_cli_cmd bld_cmd_builder_prune = {
	.name = "builder prune",
	.usage = "[OPTIONS]",
	.summary = "Remove build cache",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove the build cache no image uses",
		 "bld builder prune -f"},
		{"Remove all of the build cache",
		 "bld builder prune -a -f"}),
};
