/*
 * cli/cmd_system_service.c — `bld system service [--time SECONDS] [URI]`: serves the Docker
 * Engine API on a socket (api/), so that docker's own CLI, docker-compose and other API
 * clients drive bld. Like `podman system service`: the service comes and goes (idle for
 * --time seconds, 5 by default, it ends; 0 serves until SIGINT/SIGTERM), and holds no state,
 * so containers it starts outlive it and `bld ps` sees them. tcp://127.0.0.1:PORT only with
 * --tlsverify: TLS, and a client certificate signed by --tlscacert, as dockerd's.
 */
#include "api/api.h"
#include "cli/cli.h"

static const struct bld_cli_opt opts[] = {
	{"time", 't', BLD_OPT_STRING, "int",
	 "Time until the service session expires in seconds. Use 0 to disable the timeout", "5"},
	{"tlsverify", 0, BLD_OPT_BOOL, NULL,
	 "Serve TLS and require client certificates signed by --tlscacert (tcp:// only)", NULL},
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
	struct bld_api_opts o = {.listen = a->argc ? a->argv[0] : NULL,
				 .idle_seconds = (int)t,
				 .tls_verify = bld_cli_bool(a, "tlsverify"),
				 .tls_ca = bld_cli_str(a, "tlscacert"),
				 .tls_cert = bld_cli_str(a, "tlscert"),
				 .tls_key = bld_cli_str(a, "tlskey")};
	bool tcp = o.listen && bld_str_has_prefix(o.listen, "tcp://");
	if (!tcp && (o.tls_verify || o.tls_ca || o.tls_cert || o.tls_key))
		return bld_error_set(err, BLD_E_INVALID, "--tls* options apply to tcp:// only");
	if (o.tls_verify && !(o.tls_ca && o.tls_cert && o.tls_key))
		return bld_error_set(err, BLD_E_INVALID,
				     "--tlsverify needs --tlscacert, --tlscert and --tlskey");
	return bld_api_serve(ctx, &o, err);
}

int bld_cli_api_child_main(int argc, char **argv)
{
	return bld_api_child_main(argc, argv);
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
		{"On TCP, for clients with a certificate of your CA",
		 "bld system service --tlsverify --tlscacert ca.pem --tlscert cert.pem --tlskey "
		 "key.pem tcp://127.0.0.1:2376"}),
};
