/*
 * cli/cmd_container_prune.c — `bld container prune [-f]`: removes every container that is
 * not running, with docker's prompt and report.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"filter", 0, BLD_OPT_LIST, "filter", "Provide filter values (e.g. \"until=<timestamp>\")",
	 NULL},
	{"force", 'f', BLD_OPT_BOOL, NULL, "Do not prompt for confirmation", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	if (bld_cli_given(a, "filter"))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "container prune --filter is not supported yet");
	if (!bld_cli_bool(a, "force") &&
	    !bld_cli_confirm("WARNING! This will remove all stopped containers."))
		return 0;
	cleanup_strv char **ids = NULL;
	int64_t bytes = 0;
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
};
