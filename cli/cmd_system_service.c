/*
 * cli/cmd_system_service.c — `bld system service [--time SECONDS] [URI]`: serves the Docker
 * Engine API on a socket (api/), so that docker's own CLI, docker-compose and other API
 * clients drive bld. Like `podman system service`: the service comes and goes (idle for
 * --time seconds, 5 by default, it ends; 0 serves until SIGINT/SIGTERM), and holds no state,
 * so containers it starts outlive it and `bld ps` sees them.
 */
#include "api/api.h"
#include "cli/cli.h"

static const struct bld_cli_opt opts[] = {
	{"time", 't', BLD_OPT_STRING, "int",
	 "Time until the service session expires in seconds. Use 0 to disable the timeout", "5"},
	{"tlsverify", 0, BLD_OPT_BOOL, NULL, "Use TLS and verify the remote (tcp:// only)", NULL},
	{"tlscacert", 0, BLD_OPT_STRING, "string", "Trust certs signed only by this CA", NULL},
	{"tlscert", 0, BLD_OPT_STRING, "string", "Path to TLS certificate file", NULL},
	{"tlskey", 0, BLD_OPT_STRING, "string", "Path to TLS key file", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	long t = 0;
	const char *time_s = bld_cli_str(a, "time");
	if (bld_parse_long(time_s, 0, 365L * 24 * 3600, &t) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"invalid argument \"%s\" for \"-t, --time\" flag", time_s);
	struct bld_api_opts o = {.listen = a->argc ? a->argv[0] : NULL, .idle_seconds = (int)t};
	if (o.listen && bld_str_has_prefix(o.listen, "tcp://") &&
	    (bld_cli_given(a, "tlsverify") || bld_cli_given(a, "tlscacert")))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "%s: TLS is not supported yet: use unix:// or fd://", o.listen);
	return bld_api_serve(ctx, &o, err);
}

const struct bld_cli_cmd bld_cmd_system_service = {
	.name = "system service",
	.usage = "[OPTIONS] [URI]",
	.summary = "Serve the Docker Engine API on a socket (unix:///run/bld/bld.sock, fd://)",
	.opts = opts,
	.max_args = 1,
	.run = run,
	.fail_status = 125,
	.examples = BLD_CLI_EXAMPLES(
		{"Serve the Engine API on bld's socket", "bld system service"},
		{"Serve it on a socket of your own, for docker's CLI",
		 "bld system service unix:///tmp/bld.sock & DOCKER_HOST=unix:///tmp/bld.sock docker ps"},
		{"Under systemd's socket activation", "bld system service fd://"}),
};
