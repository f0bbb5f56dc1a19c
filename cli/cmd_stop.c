/*
 * cli/cmd_stop.c — `bld stop [-t N] CONTAINER...`: the stop signal, then SIGKILL after the
 * timeout; prints each name as docker does.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"time", 't', BLD_OPT_STRING, "int", "Seconds to wait before killing the container", NULL},
	{"signal", 's', BLD_OPT_STRING, "string", "Signal to send to the container", NULL},
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
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0 ||
		    bld_runner_container_stop(ctx, id, (int)t, &e) < 0) {
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	return status;
}

const struct bld_cli_cmd bld_cmd_stop = {
	.name = "stop",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Stop one or more running containers",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
