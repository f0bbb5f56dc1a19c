/*
 * cli/cmd_system_boot.c — `bld system boot`: what a daemon's start would do, run once when
 * the machine boots (bld-boot.service): the containers whose restart policy asks for it
 * are started again (runner/boot.c), each one's name printed. One command for that one
 * job rather than podman's `start --all --filter restart-policy=...`: unless-stopped's
 * "unless a user stopped it" and on-failure's "it was running when the machine went down"
 * are no filter of ps, and the unit must not have to know the rules.
 */
#include "cli/cli.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_strv char **started = NULL;
	int r = bld_runner_boot(ctx, &started, err);
	for (size_t i = 0; started && started[i]; i++)
		printf("%s\n", started[i]);
	if (r < 0)
		(*err)->status = 1;
	return r;
}

const struct bld_cli_cmd bld_cmd_system_boot = {
	.name = "system boot",
	.usage = "",
	.summary = "Start the containers whose restart policy asks for it after a reboot",
	.opts = opts,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Start the containers whose restart policy asks for it (bld-boot.service runs this)",
		 "bld system boot"},
		{"Do it for another store",
		 "bld --root /srv/bld system boot"}),
};
