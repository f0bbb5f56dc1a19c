/*
 * cli/cmd_exec.c — `bld exec [-d] [-i] [-t] [-e] [-u] [-w] CONTAINER COMMAND [ARG...]`.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"detach", 'd', BLD_OPT_BOOL, NULL, "Detached mode: run command in the background", NULL},
	{"interactive", 'i', BLD_OPT_BOOL, NULL, "Keep STDIN open even if not attached", NULL},
	{"tty", 't', BLD_OPT_BOOL, NULL, "Allocate a pseudo-TTY", NULL},
	{"env", 'e', BLD_OPT_LIST, "list", "Set environment variables", NULL},
	{"user", 'u', BLD_OPT_STRING, "string", "Username or UID (format: <name|uid>[:<group|gid>])",
	 NULL},
	{"workdir", 'w', BLD_OPT_STRING, "string", "Working directory inside the container", NULL},
	{"privileged", 0, BLD_OPT_BOOL, NULL, "Give extended privileges to the command", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (bld_runner_container_lookup(ctx, a->argv[0], &id, err) < 0)
		return -1;
	cleanup_strv char **argv = bld_strv_dup(a->argv + 1);
	struct bld_runner_exec_opts o = {
		.argv = argv, .env = (char **)bld_cli_list(a, "env"), .user = bld_cli_str(a, "user"),
		.workdir = bld_cli_str(a, "workdir"), .tty = bld_cli_bool(a, "tty"),
		.interactive = bld_cli_bool(a, "interactive"), .detach = bld_cli_bool(a, "detach"),
		.privileged = bld_cli_bool(a, "privileged"),
	};
	struct termios saved;
	bool raw = o.tty && o.interactive && !o.detach && bld_cli_term_raw(&saved);
	int code = 0;
	int r = bld_runner_container_exec(ctx, id, &o, &code, err);
	if (raw)
		bld_cli_term_restore(&saved);
	return r < 0 ? r : code;
}

const struct bld_cli_cmd bld_cmd_exec = {
	.name = "exec",
	.usage = "[OPTIONS] CONTAINER COMMAND [ARG...]",
	.summary = "Execute a command in a running container",
	.opts = opts,
	.min_args = 2,
	.max_args = -1,
	.stop_at_first_arg = true,
	.run = run,
	.exit_status = "The exit status of the command; 1 when the container does not exist or does "
		       "not run, 125 for a flag that does not parse, 126 when the command "
		       "cannot be invoked, 127 when it is not found.",
	.examples = BLD_CLI_EXAMPLES(
		{"Open a shell in a running container",
		 "bld exec -it web sh"},
		{"Run a command with an extra variable in another directory",
		 "bld exec -e DEBUG=1 -w /app web ./check"}),
};
