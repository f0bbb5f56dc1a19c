/*
 * cli/cmd_volume_prune.c — `bld volume prune [-a] [-f]`: removes the volumes no container
 * mounts; as today's docker, only anonymous ones unless -a.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Remove all unused volumes, not just anonymous ones",
	 NULL},
	BLD_CLI_PRUNE_OPTS("label=<label>"),
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool all = bld_cli_bool(a, "all");
	int r = bld_cli_prune_confirm(a, "volume prune",
				      all ? "WARNING! This will remove all local volumes not used "
					    "by at least one container."
					  : "WARNING! This will remove anonymous local volumes not "
					    "used by at least one container.",
				      err);
	cleanup_strv char **names = NULL;
	int64_t bytes = 0;
	if (r <= 0)
		return r;
	if (bld_runner_volume_prune(ctx, all, &names, &bytes, err) < 0)
		return -1;
	bld_cli_print_deleted("Volumes", names);
	bld_cli_print_reclaimed(bytes);
	return 0;
}

const struct bld_cli_cmd bld_cmd_volume_prune = {
	.name = "volume prune",
	.usage = "[OPTIONS]",
	.summary = "Remove unused local volumes",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove the anonymous volumes no container uses",
		 "bld volume prune -f"},
		{"Remove every unused volume, named ones too",
		 "bld volume prune -a -f"}),
};
