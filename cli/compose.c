/*
 * cli/compose.c — the `bld compose` command group, as docker compose v2's command line:
 * the group's own options (-f, -p, --project-directory, --env-file, --profile ...) come
 * before the command word, then the command and its options:
 *
 *     bld compose -f a.yaml -p demo up -d web
 *
 * Each command lives in cli/cmd_compose_<name>.c and defines `const struct bld_cli_cmd
 * bld_cmd_compose_<name>` named "compose <name>"; the table below names them weakly, so a
 * command not linked in is absent. A command reads the group's options through
 * args->parent (bld_cli_compose_options turns them into struct bld_deploy_options).
 * Errors print here, with docker compose's exit status 1 unless the error carries another.
 */
#include "cli/cli.h"
#include "deploy/deploy.h"

#define COMPOSE_CMDS(X)                                                                    \
	X(compose_build) X(compose_config) X(compose_cp) X(compose_create) X(compose_down) \
	X(compose_events) X(compose_exec) X(compose_images) X(compose_kill)                 \
	X(compose_logs) X(compose_ls) X(compose_pause) X(compose_port) X(compose_ps)        \
	X(compose_pull) X(compose_push) X(compose_restart) X(compose_rm) X(compose_run)     \
	X(compose_start) X(compose_stop) X(compose_top) X(compose_unpause) X(compose_up)    \
	X(compose_version) X(compose_wait)

#define DECL(n) extern const struct bld_cli_cmd bld_cmd_##n __attribute__((weak));
COMPOSE_CMDS(DECL)
#undef DECL

#define REF(n) &bld_cmd_##n,
static const struct bld_cli_cmd *const table[] = {COMPOSE_CMDS(REF)};
#undef REF

static const struct bld_cli_opt group_opts[] = {
	{"ansi", 0, BLD_OPT_STRING, "string",
	 "Control when to print ANSI control characters (\"never\"|\"always\"|\"auto\")", "auto"},
	{"compatibility", 0, BLD_OPT_BOOL, NULL, "Run compose in backward compatibility mode",
	 NULL},
	{"dry-run", 0, BLD_OPT_BOOL, NULL, "Execute command in dry run mode", NULL},
	{"env-file", 0, BLD_OPT_LIST, "stringArray", "Specify an alternate environment file",
	 NULL},
	{"file", 'f', BLD_OPT_LIST, "stringArray", "Compose configuration files", NULL},
	{"parallel", 0, BLD_OPT_STRING, "int", "Control max parallelism, -1 for unlimited", "-1"},
	{"profile", 0, BLD_OPT_LIST, "stringArray", "Specify a profile to enable", NULL},
	{"progress", 0, BLD_OPT_STRING, "string",
	 "Set type of progress output (auto, tty, plain, json, quiet)", "auto"},
	{"project-directory", 0, BLD_OPT_STRING, "string",
	 "Specify an alternate working directory (default: the path of the, first specified, "
	 "Compose file)",
	 NULL},
	{"project-name", 'p', BLD_OPT_STRING, "string", "Project name", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const struct bld_cli_cmd group_cmd = {
	.name = "compose",
	.usage = "[OPTIONS] COMMAND",
	.summary = "Define and run multi-container applications with bld",
	.description = "Runs the project a Compose file (compose.yaml, docker-compose.yml ...) "
		       "describes, as docker compose v2 does: the group's options come before the "
		       "command word, the command's after it.",
	.opts = group_opts,
	.max_args = -1,
	.stop_at_first_arg = true,
	.examples = BLD_CLI_EXAMPLES(
		{"Start the project of the current directory in the background",
		 "bld compose up -d"},
		{"Use another file and project name", "bld compose -f ci.yaml -p ci up --build"},
		{"Stop and remove the project's containers and networks", "bld compose down"}),
	.exit_status = "0 on success; 1 when the project or a command fails (docker compose's "
		       "status).",
};

const struct bld_cli_cmd *const *bld_cli_compose_table(void)
{
	static const struct bld_cli_cmd *all[BLD_ARRAY_SIZE(table) + 2];
	if (!all[0]) {
		size_t n = 0;
		all[n++] = &group_cmd;
		for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
			if (table[i])
				all[n++] = table[i];
	}
	return all;
}

void bld_cli_compose_options(const struct bld_cli_args *a, struct bld_deploy_options *o)
{
	const struct bld_cli_args *g = a->parent ? a->parent : a;
	memset(o, 0, sizeof(*o));
	o->files = bld_cli_list(g, "file");
	o->env_files = bld_cli_list(g, "env-file");
	o->profiles = bld_cli_list(g, "profile");
	o->project_name = bld_cli_str(g, "project-name");
	o->project_directory = bld_cli_str(g, "project-directory");
}

/* --progress: auto (the display on a terminal), tty, plain, quiet; json not done. */
static int progress_mode(struct bld_ctx *ctx, const char *mode, struct bld_error **err)
{
	if (!mode || strcmp(mode, "auto") == 0)
		return 0;
	if (strcmp(mode, "tty") == 0 || strcmp(mode, "plain") == 0)
		ctx->tty = mode[0] == 't';
	else if (strcmp(mode, "quiet") == 0)
		ctx->quiet = true;
	else
		return bld_error_refuse(err, BLD_E_INVALID, "unsupported --progress value \"%s\"",
					mode);
	return 0;
}

static const struct bld_cli_cmd *find(const char *word)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
		if (table[i] && strcmp(table[i]->name + strlen("compose "), word) == 0)
			return table[i];
	return NULL;
}

static void help(FILE *f)
{
	bld_cli_help_options(f, &group_cmd);
	fprintf(f, "\nCommands:\n");
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
		if (table[i])
			fprintf(f, "  %-12s %s\n", table[i]->name + strlen("compose "),
				table[i]->summary);
	fprintf(f, "\nRun 'bld compose COMMAND --help' for more information on a command.\n");
	bld_cli_help_examples(f, group_cmd.examples);
}

static int run(const struct bld_cli_cmd *cmd, const struct bld_cli_args *g, int argc,
	       char **argv)
{
	struct bld_cli_args a;
	cleanup_error struct bld_error *err = NULL;
	int r = bld_cli_args_parse(&a, cmd, argc, argv, &err);
	a.parent = g;
	if (r == 1)
		bld_cli_help(stdout, cmd);
	if (r < 0)
		fprintf(stderr, "bld: %s\nSee 'bld %s --help'.\n", err->msg, cmd->name);
	if (r != 0) {
		bld_cli_args_dispose(&a);
		return r == 1 ? 0 : 1;
	}
	struct bld_ctx ctx;
	r = bld_ctx_init(&ctx, &err);
	if (r == 0 && (r = progress_mode(&ctx, bld_cli_str(g, "progress"), &err)) < 0)
		bld_ctx_dispose(&ctx);
	if (r == 0) {
		r = cmd->run(&ctx, &a, &err);
		bld_deploy_progress_end(&ctx); /* its timer draws no more over what follows */
		bld_ctx_dispose(&ctx);
	}
	bld_cli_args_dispose(&a);
	if (r >= 0)
		return r;
	fprintf(stderr, "bld: %s\n", err->msg);
	return err->status ? err->status : 1;
}

int bld_cli_compose_main(int argc, char **argv)
{
	struct bld_cli_args g;
	cleanup_error struct bld_error *err = NULL;
	int r = bld_cli_args_parse(&g, &group_cmd, argc, argv, &err);
	if (r < 0) {
		fprintf(stderr, "bld: %s\nSee 'bld compose --help'.\n", err->msg);
		bld_cli_args_dispose(&g);
		return 1;
	}
	if (r == 1 || g.argc == 0) {
		help(stdout);
		bld_cli_args_dispose(&g);
		return 0;
	}
	const struct bld_cli_cmd *cmd = find(g.argv[0]);
	if (!cmd) {
		fprintf(stderr, "bld: unknown command \"%s\" for \"bld compose\"\n", g.argv[0]);
		bld_cli_args_dispose(&g);
		return 1;
	}
	r = run(cmd, &g, g.argc - 1, g.argv + 1);
	bld_cli_args_dispose(&g);
	return r;
}
