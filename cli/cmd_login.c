/*
 * cli/cmd_login.c — `bld login [-u USER] [-p PASS | --password-stdin] [SERVER]` and
 * `bld logout [SERVER]`: docker's credential handling through registry/.
 */
#include "cli/cli.h"
#include "registry/registry.h"

#include <termios.h>

#define PASSWORD_MAX ((size_t)64 << 10)

static const struct bld_cli_opt login_opts[] = {
	{"password", 'p', BLD_OPT_STRING, "string", "Password", NULL},
	{"password-stdin", 0, BLD_OPT_BOOL, NULL, "Take the password from stdin", NULL},
	{"tls-verify", 0, BLD_OPT_BOOL, NULL,
	 "Require HTTPS and verify certificates (default: all but local and insecure registries)",
	 NULL},
	{"username", 'u', BLD_OPT_STRING, "string", "Username", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* Reads one line from f (the password), without its newline; caller frees. */
static char *read_line(FILE *f)
{
	struct bld_buf b = BLD_BUF_INIT;
	b.max = PASSWORD_MAX;
	int ch;
	while ((ch = fgetc(f)) != EOF && ch != '\n')
		if (bld_buf_addc(&b, (char)ch) < 0)
			break;
	if (b.len && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	return bld_buf_detach(&b);
}

/* Prompts on the terminal; echo off for the password. */
static char *prompt(const char *what, bool secret)
{
	fprintf(stderr, "%s: ", what);
	fflush(stderr);
	struct termios old, quiet;
	bool tty = secret && tcgetattr(0, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	char *s = read_line(stdin);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return s;
}

static int login_run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *server = a->argc ? a->argv[0] : NULL;
	cleanup_free char *user = bld_cli_str(a, "username") ? xstrdup(bld_cli_str(a, "username"))
							    : NULL;
	cleanup_free char *pass = NULL;
	if (bld_cli_bool(a, "password-stdin")) {
		if (bld_cli_given(a, "password"))
			return bld_error_set(err, BLD_E_INVALID,
					     "--password and --password-stdin are mutually exclusive");
		if (!user)
			return bld_error_set(err, BLD_E_INVALID,
					     "must provide --username with --password-stdin");
		pass = read_line(stdin);
	} else if (bld_cli_str(a, "password")) {
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
				"--password-stdin.\n");
		pass = xstrdup(bld_cli_str(a, "password"));
	}
	if (!user && isatty(0))
		user = prompt("Username", false);
	if (!pass && isatty(0))
		pass = prompt("Password", true);
	struct bld_registry_opts o = {
		.config_dir = ctx->config_dir,
		.tls_verify = bld_cli_tls_verify(a),
	};
	int r = bld_registry_login(server, user, pass, &o, err);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	if (r < 0)
		return -1;
	printf("Login Succeeded\n");
	return 0;
}

const struct bld_cli_cmd bld_cmd_login = {
	.name = "login",
	.usage = "[OPTIONS] [SERVER]",
	.summary = "Log in to a registry",
	.opts = login_opts,
	.max_args = 1,
	.run = login_run,
	.examples = BLD_CLI_EXAMPLES(
		{"Log in to a registry, asked for the password",
		 "bld login -u me registry.example.com"},
		{"Log in from a script, the password on stdin",
		 "echo \"$TOKEN\" | bld login -u me --password-stdin registry.example.com"}),
};

static const struct bld_cli_opt logout_opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int logout_run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *server = a->argc ? a->argv[0] : NULL;
	struct bld_registry_opts o = {.config_dir = ctx->config_dir};
	int r = bld_registry_logout(server, &o, err);
	if (r < 0)
		return -1;
	cleanup_free char *shown = server ? bld_registry_server_domain(server)
					  : xstrdup("https://index.docker.io/v1/");
	if (r == 1)
		printf("Not logged in to %s\n", shown);
	else
		printf("Removing login credentials for %s\n", shown);
	return 0;
}

const struct bld_cli_cmd bld_cmd_logout = {
	.name = "logout",
	.usage = "[SERVER]",
	.summary = "Log out from a registry",
	.opts = logout_opts,
	.max_args = 1,
	.run = logout_run,
	.examples = BLD_CLI_EXAMPLES(
		{"Forget the credentials of a registry",
		 "bld logout registry.example.com"},
		{"Forget Docker Hub's",
		 "bld logout"}),
};
