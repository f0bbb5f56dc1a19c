/*
 * cli/cmd_volume_ls.c — `bld volume ls [-q]`.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only display volume names", NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Format output (\"{{.Name}}\")", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_strv char **names = NULL;
	if (bld_runner_volume_list(ctx, &names, err) < 0)
		return -1;
	bool quiet = bld_cli_bool(a, "quiet") || bld_cli_str(a, "format");
	if (!quiet)
		printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
	for (size_t i = 0; names && names[i]; i++)
		quiet ? printf("%s\n", names[i]) : printf("%-10s%s\n", "local", names[i]);
	return 0;
}

const struct bld_cli_cmd bld_cmd_volume_ls = {
	.name = "volume ls",
	.usage = "[OPTIONS]",
	.summary = "List volumes",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"List the volumes",
		 "bld volume ls"},
		{"Only their names",
		 "bld volume ls -q"}),
};
