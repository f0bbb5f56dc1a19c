/*
 * cli/cmd_restart.c — `bld restart [-t N] CONTAINER...`: stop, then start detached.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"time", 't', BLD_OPT_STRING, "int", "Seconds to wait before killing the container", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	long t = -1;
	const char *ts = bld_cli_str(a, "time");
	if (ts && bld_parse_long(ts, -1, 1 << 20, &t) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid argument \"%s\" for \"-t, --time\"",
				     ts);
	int status = 0;
	for (int i = 0; i < a->argc; i++) {
		cleanup_free char *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		struct bld_runner_attach none = {false, false};
		int report = -1;
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0 ||
		    bld_runner_container_stop(ctx, id, (int)t, &e) < 0 ||
		    bld_runner_container_start(ctx, id, &none, &report, &e) < 0) {
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	return status;
}

const struct bld_cli_cmd bld_cmd_restart = {
	.name = "restart",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Restart one or more containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
