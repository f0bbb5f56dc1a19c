/*
 * cli/cmd_run.c — `bld run`: create a container and start it, attached (exit code of the
 * container) or detached (-d: print its id). The container's monitor relays output, so
 * `bld logs` has it either way.
 */
#include "cli/container_opts.h"

static const struct bld_cli_opt opts[] = {
	{"detach", 'd', BLD_OPT_BOOL, NULL, "Run container in background and print container ID",
	 NULL},
	{"sig-proxy", 0, BLD_OPT_BOOL, NULL, "Proxy received signals to the process", "true"},
	{"detach-keys", 0, BLD_OPT_STRING, "string",
	 "Override the key sequence for detaching a container", NULL},
	BLD_CREATE_OPTS,
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_runner_container_config c;
	cleanup_free char *id = NULL;
	bool detach = bld_cli_bool(a, "detach");
	struct bld_cli_streams st = {0};
	char keys[16];
	const char *dk = bld_cli_str(a, "detach-keys");
	/* refused before anything is made */
	if (dk && bld_runner_detach_keys(dk, keys, err) < 0)
		return -1;
	int r = bld_cli_container_create(ctx, a, &c, &id, err);
	if (r == 0)
		r = bld_cli_attach_streams(a, &st, err);
	/* -a stdin alone still waits for the exit, as docker does */
	struct bld_runner_attach at = {.out = st.in || st.out || st.err, .in = st.in,
				       .drop_stdout = !st.out, .drop_stderr = !st.err,
				       .no_sig_proxy = !bld_cli_bool(a, "sig-proxy"),
				       .detach_keys = dk ? keys : NULL};
	bool tty = c.tty;
	bld_cli_container_config_dispose(&c);
	if (r < 0)
		return r;
	struct termios saved;
	bool raw = at.in && tty && bld_cli_term_raw(&saved);
	int report = -1, code = 0;
	r = bld_runner_container_start(ctx, id, &at, &report, err);
	if (r == 0 && detach)
		printf("%s\n", id);
	if (r == 0 && report >= 0)
		r = bld_runner_container_attach_wait(ctx, id, report, &code, err);
	if (raw)
		bld_cli_term_restore(&saved);
	return r < 0 ? r : code;
}

const struct bld_cli_cmd bld_cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.summary = "Create and run a new container from an image",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.stop_at_first_arg = true,
	.run = run,
	.fail_status = 125,
	.exit_status = "The exit status of the container's command, as docker run: 125 when bld itself "
		       "fails, 126 when the command cannot be invoked, 127 when it is not found; with "
		       "-d, 0 once the container started.",
	.examples = BLD_CLI_EXAMPLES(
		{"Run a command in a new container and remove it after",
		 "bld run --rm debian:bookworm cat /etc/os-release"},
		{"Run a web server in the background, published on port 8080",
		 "bld run -d --name web -p 8080:80 nginx"},
		{"Open a shell with the current directory mounted",
		 "bld run -it --rm -v \"$PWD\":/src -w /src debian:bookworm bash"}),
};
