/*
 * cli/cmd_wait.c — `bld wait CONTAINER...`: block until each stops, print exit codes.
 */
#include "cli/container_opts.h"

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int status = 0;
	for (int i = 0; i < a->argc; i++) {
		cleanup_free char *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		int code = 0;
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0 ||
		    bld_runner_container_wait(ctx, id, &code, &e) < 0) {
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		printf("%d\n", code);
		fflush(stdout);
	}
	return status;
}

static const struct bld_cli_opt opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};

const struct bld_cli_cmd bld_cmd_wait = {
	.name = "wait",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Block until one or more containers stop, then print their exit codes",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.exit_status = "0 once every container stopped (each one's exit status is printed); 1 when a "
		       "container does not exist.",
	.examples = BLD_CLI_EXAMPLES(
		{"Wait until a container stops and print its exit status",
		 "bld wait build-job"},
		{"Use that status in a script",
		 "exit $(bld wait build-job)"}),
};
