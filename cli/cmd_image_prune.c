/*
 * cli/cmd_image_prune.c — `bld image prune [-a] [-f] [--filter ...]`: removes unnamed
 * (dangling) images, or with -a every image no container uses, those the filters let go
 * (label=, label!=, until=, dangling=, as docker's), then collects garbage (blobs, unpacked
 * layers, abandoned partial downloads and extraction directories) and reports the space
 * reclaimed as docker does.
 */
#include "cli/image_util.h"
#include "parser/parser.h"

#include <time.h>

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Remove all unused images, not just dangling ones", NULL},
	BLD_CLI_PRUNE_OPTS("until=<timestamp>"),
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool all = bld_cli_bool(a, "all");
	char *const *filters = bld_cli_list(a, "filter");
	int64_t ns = 0;
	const char *until = NULL;
	if (bld_registry_image_prune_filters(filters, &all, &until, err) < 0 ||
	    (until && bld_parser_until(until, (int64_t)time(NULL), &ns, err) < 0))
		return -1;
	struct bld_cli_image_sel sel = {.filters = filters, .until = until ? &ns : NULL};
	if (!bld_cli_prune_ask(a, all ? "WARNING! This will remove all images without at least "
					"one container associated to them."
				      : "WARNING! This will remove all dangling images."))
		return 0;
	int64_t bytes = 0;
	if (bld_cli_prune_store(ctx, true, &sel, NULL, all, &bytes, err) < 0)
		return -1;
	bld_cli_print_reclaimed(bytes);
	return 0;
}

const struct bld_cli_cmd bld_cmd_image_prune = {
	.name = "image prune",
	.usage = "[OPTIONS]",
	.summary = "Remove unused images",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove the dangling images",
		 "bld image prune -f"},
		{"Remove every image no container uses, made over a day ago",
		 "bld image prune -a -f --filter until=24h"}),
};
