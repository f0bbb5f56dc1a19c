/*
 * cli/cmd_attach.c — `bld attach [--no-stdin] [--sig-proxy] [--detach-keys] CONTAINER` (also
 * `bld container attach`): this terminal joins a running container's stdio until it exits
 * (bld exits with its status) or the detach keys are typed on its tty (docker's "read escape
 * sequence", exit 1); the terminal is raw meanwhile when the container has a tty. The
 * attachment is runner/attach.c's.
 */
#include "cli/container_opts.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"detach-keys", 0, BLD_OPT_STRING, "string", "Override the key sequence for detaching a container",
	 NULL},
	{"no-stdin", 0, BLD_OPT_BOOL, NULL, "Do not attach STDIN", NULL},
	{"sig-proxy", 0, BLD_OPT_BOOL, NULL, "Proxy all received signals to the process", "true"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (bld_runner_container_lookup(ctx, a->argv[0], &id, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	struct bld_runner_attach_opts o = {
		.no_stdin = bld_cli_bool(a, "no-stdin"),
		.sig_proxy = bld_cli_bool(a, "sig-proxy"),
		.detach_keys = bld_cli_str(a, "detach-keys"),
	};
	json_t *info = NULL;
	bool tty = false;
	if (bld_runner_container_inspect(ctx, id, &info, err) < 0)
		return -1;
	tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	json_decref(info);
	struct termios saved;
	bool raw = tty && !o.no_stdin && bld_cli_term_raw(&saved);
	int code = 0;
	bool detached = false;
	int r = bld_runner_container_attach(ctx, id, &o, &code, &detached, err);
	if (raw)
		bld_cli_term_restore(&saved);
	if (r == 0 && detached)
		return bld_error_refuse(err, BLD_E_INVALID, "read escape sequence");
	return r < 0 ? -1 : code;
}

const struct bld_cli_cmd bld_cmd_attach = {
	.name = "attach",
	.usage = "[OPTIONS] CONTAINER",
	.summary = "Attach local standard input, output, and error streams to a running container",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Attach to a running container's output and input",
		 "bld attach web"},
		{"Watch its output without sending it your input",
		 "bld attach --no-stdin web"}),
};
