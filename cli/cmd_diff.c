/*
 * cli/cmd_diff.c — `bld diff CONTAINER` (also `bld container diff`): one "A /path",
 * "C /path" or "D /path" line per change to the container's file system, as docker prints
 * them; the rules are runner/changes.c's.
 */
#include "cli/cli.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_runner_change *v = NULL;
	size_t n = 0;
	if (bld_runner_container_diff(ctx, a->argv[0], &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		printf("%c %s\n", v[i].kind, v[i].path);
	bld_runner_changes_free(v, n);
	return 0;
}

const struct bld_cli_cmd bld_cmd_diff = {
	.name = "diff",
	.usage = "CONTAINER",
	.summary = "Inspect changes to files or directories on a container's filesystem",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"List the files a container changed",
		 "bld diff web"},
		{"Only those it added",
		 "bld diff web | grep '^A'"}),
};
