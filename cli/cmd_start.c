/*
 * cli/cmd_start.c — `bld start [-a] [-i] CONTAINER...`: start stopped containers; with -a
 * attach to the (single) container's output and return its exit code.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"attach", 'a', BLD_OPT_BOOL, NULL, "Attach STDOUT/STDERR and forward signals", NULL},
	{"interactive", 'i', BLD_OPT_BOOL, NULL, "Attach container's STDIN", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool attach = bld_cli_bool(a, "attach"), in = bld_cli_bool(a, "interactive");
	if ((attach || in) && a->argc > 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "you cannot start and attach multiple containers at once");
	int status = 0;
	for (int i = 0; i < a->argc; i++) {
		cleanup_free char *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		struct bld_runner_attach at = {.out = attach || in, .in = in};
		int report = -1, code = 0;
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0 ||
		    bld_runner_container_start(ctx, id, &at, &report, &e) < 0) {
			if (a->argc == 1) {
				bld_error_move(err, &e);
				return -1;
			}
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		if (report < 0) {
			printf("%s\n", a->argv[i]);
			continue;
		}
		if (bld_runner_container_attach_wait(ctx, id, report, &code, err) < 0)
			return -1;
		status = code;
	}
	return status;
}

const struct bld_cli_cmd bld_cmd_start = {
	.name = "start",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Start one or more stopped containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Start a stopped container",
		 "bld start web"},
		{"Start it and attach to its output",
		 "bld start -a web"}),
};
