/*
 * cli/cmd_compose_run.c — `bld compose run [OPTIONS] SERVICE [COMMAND] [ARGS...]`: a one-off
 * container of a service (deploy/run.c), its exit code when attached.
 */
#include "cli/compose_util.h"
#include "cli/container_opts.h"

#include <unistd.h>

static const struct bld_cli_opt opts[] = {
	{"detach", 'd', BLD_OPT_BOOL, NULL, "Run container in background and print container ID",
	 NULL},
	{"entrypoint", 0, BLD_OPT_STRING, "string", "Override the entrypoint of the image", NULL},
	{"env", 'e', BLD_OPT_LIST, "stringArray", "Set environment variables", NULL},
	{"interactive", 'i', BLD_OPT_BOOL, NULL, "Keep STDIN open even if not attached", "true"},
	{"name", 0, BLD_OPT_STRING, "string", "Assign a name to the container", NULL},
	{"no-TTY", 'T', BLD_OPT_BOOL, NULL,
	 "Disable pseudo-TTY allocation (default: auto-detected)", NULL},
	{"no-deps", 0, BLD_OPT_BOOL, NULL, "Don't start linked services", NULL},
	{"publish", 'p', BLD_OPT_LIST, "stringArray", "Publish a container's port(s) to the host",
	 NULL},
	{"rm", 0, BLD_OPT_BOOL, NULL, "Automatically remove the container when it exits", NULL},
	{"service-ports", 'P', BLD_OPT_BOOL, NULL,
	 "Run command with all service's ports enabled and mapped to the host", NULL},
	{"user", 'u', BLD_OPT_STRING, "string", "Run as specified username or uid", NULL},
	{"volume", 'v', BLD_OPT_LIST, "stringArray", "Bind mount a volume", NULL},
	{"workdir", 'w', BLD_OPT_STRING, "string", "Working directory inside the container", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool tty = !bld_cli_bool(a, "no-TTY") && isatty(0) && isatty(1);
	struct bld_deploy_run_opts o = {
		.cmd = a->argv + 1, .entrypoint = bld_cli_str(a, "entrypoint"),
		.env = bld_cli_list(a, "env"), .volumes = bld_cli_list(a, "volume"),
		.publish = bld_cli_list(a, "publish"),
		.user = bld_cli_str(a, "user"), .workdir = bld_cli_str(a, "workdir"),
		.name = bld_cli_str(a, "name"), .rm = bld_cli_bool(a, "rm"),
		.detach = bld_cli_bool(a, "detach"), .no_deps = bld_cli_bool(a, "no-deps"),
		.service_ports = bld_cli_bool(a, "service-ports"), .tty = tty,
		.interactive = bld_cli_bool(a, "interactive") && !bld_cli_bool(a, "detach")};
	if (o.service_ports && o.publish && o.publish[0])
		return bld_error_refuse(err, BLD_E_INVALID,
					"--service-ports and --publish are incompatible");
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, a->argc, true, &c, err) < 0)
		return -1;
	struct termios saved;
	bool raw = tty && o.interactive && bld_cli_term_raw(&saved);
	int code = 0;
	int r = bld_deploy_run(ctx, &c.t, a->argv[0], &o, &code, err);
	if (raw)
		bld_cli_term_restore(&saved);
	bld_cli_compose_close(&c);
	return r < 0 ? r : code;
}

const struct bld_cli_cmd bld_cmd_compose_run = {
	.name = "compose run",
	.usage = "[OPTIONS] SERVICE [COMMAND] [ARGS...]",
	.summary = "Run a one-off command on a service",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.stop_at_first_arg = true,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Run a one-off command in a new container of a service",
		 "bld compose run --rm web sh -c 'env'"},
		{"Run a service with its published ports",
		 "bld compose run -d --service-ports web"}),
};
