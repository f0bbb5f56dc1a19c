/*
 * cli/cmd_compose_exec.c — `bld compose exec SERVICE COMMAND` (in the service's container
 * number --index, through the runner's exec) and `bld compose port SERVICE PRIVATE_PORT`.
 */
#include "cli/compose_util.h"
#include "cli/container_opts.h"

#include <unistd.h>

static const struct bld_cli_opt exec_opts[] = {
	{"detach", 'd', BLD_OPT_BOOL, NULL, "Detached mode: Run command in the background", NULL},
	{"env", 'e', BLD_OPT_LIST, "stringArray", "Set environment variables", NULL},
	{"index", 0, BLD_OPT_STRING, "int", "Index of the container if service has multiple replicas",
	 "1"},
	{"no-TTY", 'T', BLD_OPT_BOOL, NULL,
	 "Disable pseudo-TTY allocation. By default 'docker compose exec' allocates a TTY.", NULL},
	{"privileged", 0, BLD_OPT_BOOL, NULL, "Give extended privileges to the process", NULL},
	{"user", 'u', BLD_OPT_STRING, "string", "Run the command as this user", NULL},
	{"workdir", 'w', BLD_OPT_STRING, "string", "Path to workdir directory for this command", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* The id of container number index of the service svc (running ones only, as compose). */
static int find(struct bld_ctx *ctx, const struct bld_cli_compose *c, const char *svc,
		const char *index, char **id, struct bld_error **err)
{
	long n = 1;
	if (index && bld_parse_long(index, 1, 1 << 20, &n) < 0)
		return bld_error_refuse(err, BLD_E_INVALID, "invalid index: %s", index);
	struct bld_deploy_state st;
	if (bld_deploy_state_load(ctx, c->name, &st, err) < 0)
		return -1;
	for (size_t i = 0; !*id && i < st.n; i++)
		if (!st.v[i].oneoff && st.v[i].number == n && strcmp(st.v[i].service, svc) == 0 &&
		    strcmp(st.v[i].state, "running") == 0)
			*id = xstrdup(st.v[i].id);
	bld_deploy_state_dispose(&st);
	if (!*id)
		return bld_error_refuse(err, BLD_E_NOTFOUND, "service \"%s\" is not running", svc);
	return 0;
}

/* The container of the SERVICE argument (--index), in the project a names. */
static int target(struct bld_ctx *ctx, struct bld_cli_args *a, char **id, struct bld_error **err)
{
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, a->argc, false, &c, err) < 0)
		return -1;
	int r = find(ctx, &c, a->argv[0], bld_cli_str(a, "index"), id, err);
	bld_cli_compose_close(&c);
	return r;
}

static int exec_cmd(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (target(ctx, a, &id, err) < 0)
		return -1;
	cleanup_strv char **argv = bld_strv_dup(a->argv + 1);
	bool tty = !bld_cli_bool(a, "no-TTY") && isatty(0);
	struct bld_runner_exec_opts o = {
		.argv = argv, .env = (char **)bld_cli_list(a, "env"), .user = bld_cli_str(a, "user"),
		.workdir = bld_cli_str(a, "workdir"), .tty = tty, .interactive = true,
		.detach = bld_cli_bool(a, "detach"), .privileged = bld_cli_bool(a, "privileged")};
	struct termios saved;
	bool raw = tty && !o.detach && bld_cli_term_raw(&saved);
	int code = 0;
	int r = bld_runner_container_exec(ctx, id, &o, &code, err);
	if (raw)
		bld_cli_term_restore(&saved);
	return r < 0 ? r : code;
}

const struct bld_cli_cmd bld_cmd_compose_exec = {
	.name = "compose exec",
	.usage = "[OPTIONS] SERVICE COMMAND [ARGS...]",
	.summary = "Execute a command in a running container",
	.opts = exec_opts,
	.min_args = 2,
	.max_args = -1,
	.stop_at_first_arg = true,
	.run = exec_cmd,
	.examples = BLD_CLI_EXAMPLES(
		{"Open a shell in a service's running container",
		 "bld compose exec web sh"},
		{"Run a command as another user without a terminal",
		 "bld compose exec -T -u postgres db psql -c 'select 1'"}),
};

static const struct bld_cli_opt port_opts[] = {
	{"index", 0, BLD_OPT_STRING, "int", "Index of the container if service has multiple replicas",
	 "1"},
	{"protocol", 0, BLD_OPT_STRING, "string", "tcp or udp", "tcp"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* "80/tcp -> 127.0.0.1:18080" lines: the address of the one asked for. */
static int port(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	cleanup_strv char **lines = NULL;
	if (target(ctx, a, &id, err) < 0 || bld_runner_container_ports(ctx, id, &lines, err) < 0)
		return -1;
	const char *proto = bld_cli_str(a, "protocol");
	cleanup_free char *want = xasprintf("%s/%s -> ", a->argv[1], proto ? proto : "tcp");
	for (size_t i = 0; lines && lines[i]; i++)
		if (bld_str_has_prefix(lines[i], want)) {
			printf("%s\n", lines[i] + strlen(want));
			return 0;
		}
	return bld_error_refuse(err, BLD_E_NOTFOUND, "no port %s/%s for container %s", a->argv[1],
				proto ? proto : "tcp", id);
}

const struct bld_cli_cmd bld_cmd_compose_port = {
	.name = "compose port",
	.usage = "[OPTIONS] SERVICE PRIVATE_PORT",
	.summary = "Print the public port for a port binding",
	.opts = port_opts,
	.min_args = 2,
	.max_args = 2,
	.run = port,
	.examples = BLD_CLI_EXAMPLES(
		{"Show where a service's port 80 is published",
		 "bld compose port web 80"},
		{"The same for a UDP port",
		 "bld compose port --protocol udp dns 53"}),
};
