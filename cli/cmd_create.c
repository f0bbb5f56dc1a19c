/*
 * cli/cmd_create.c — `bld create`: a container's state directory, ready for `bld start`.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	BLD_CREATE_OPTS,
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_runner_container_config c;
	cleanup_free char *id = NULL;
	int r = bld_cli_container_create(ctx, a, &c, &id, err);
	bld_cli_container_config_dispose(&c);
	if (r < 0)
		return r;
	printf("%s\n", id);
	return 0;
}

const struct bld_cli_cmd bld_cmd_create = {
	.name = "create",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.summary = "Create a new container",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.stop_at_first_arg = true,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Create a container without starting it",
		 "bld create --name web -p 8080:80 nginx"},
		{"Create one with a volume and a restart policy",
		 "bld create --name db -v data:/var/lib/db --restart unless-stopped postgres"}),
};
