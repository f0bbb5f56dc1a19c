/*
 * cli/cmd_top.c — `bld top CONTAINER [ps OPTIONS]` (also `bld container top`): the
 * container's processes as the host's ps shows them (runner/top.c), printed in docker's
 * table (columns of at least 20).
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

int bld_cli_top(struct bld_ctx *ctx, const char *id, char *const *ps_args,
		struct bld_error **err)
{
	struct bld_runner_top top;
	if (bld_runner_container_top(ctx, id, ps_args, &top, err) < 0)
		return -1;
	struct bld_cli_table t;
	bld_cli_table_init(&t, bld_strv_len(top.titles));
	t.min_width = 20;
	bld_cli_table_add(&t, (const char *const *)top.titles);
	for (size_t i = 0; i < top.n; i++)
		bld_cli_table_add(&t, (const char *const *)top.rows[i]);
	bld_cli_table_print(stdout, &t);
	bld_cli_table_dispose(&t);
	bld_runner_top_dispose(&top);
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (bld_runner_container_lookup(ctx, a->argv[0], &id, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	return bld_cli_top(ctx, id, a->argv + 1, err);
}

const struct bld_cli_cmd bld_cmd_top = {
	.name = "top",
	.usage = "CONTAINER [ps OPTIONS]",
	.summary = "Display the running processes of a container",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.stop_at_first_arg = true,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a container's processes",
		 "bld top web"},
		{"With ps options of your own",
		 "bld top web -o pid,comm,rss"}),
};
