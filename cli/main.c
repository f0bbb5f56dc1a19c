/*
 * cli/main.c — bld's entry point: global options, the command table, dispatch, and the one
 * place where errors are printed and exit codes chosen, as docker 20.10's CLI chooses them:
 * 125 for a flag that does not parse and for run's own failures, 1 for a command that fails
 * (a missing object, a refusing registry, a wrong number of arguments), else the status the
 * command gives (a container's, a build's).
 *
 * Commands are named weakly: each cli/cmd_*.c that is linked in defines its symbol, and a
 * command whose file does not exist yet is left out of the table at run time.
 */
#include "cli/cli.h"
#include "runner/runner.h"

#include <signal.h>

#define CMDS(X)                                                                            \
	X(build) X(parse) X(pull) X(push) X(login) X(logout) X(images) X(tag) X(rmi)       \
	X(inspect) X(history) X(save) X(load) X(import) X(image_prune) X(run) X(create)    \
	X(start) X(stop) X(kill) X(restart) X(rm) X(ps) X(logs) X(exec) X(wait) X(port)    \
	X(volume_create) X(volume_ls) X(volume_rm) X(volume_inspect) X(volume_prune)       \
	X(network_create) X(network_ls) X(network_inspect) X(network_rm) X(network_prune)  \
	X(system_df) X(system_check) X(system_prune) X(trust_key_generate) X(trust_sign)   \
	X(trust_inspect) X(trust_revoke) X(trust_verify_attestation) X(container_prune) X(builder_prune) X(cp) \
	X(export) X(rename) X(events) X(commit) X(diff) X(pause) X(unpause) X(top) X(stats) \
	X(info) X(system_info) X(attach) X(version) X(system_boot)                        \
	X(completion)                                                                      \
	X(network_connect) X(network_disconnect) X(system_service) X(kube_generate)       \
	X(kube_play) X(kube_down)

#define DECL(n) extern const struct bld_cli_cmd bld_cmd_##n __attribute__((weak));
CMDS(DECL)
#undef DECL

#define REF(n) &bld_cmd_##n,
static const struct bld_cli_cmd *const table[] = {CMDS(REF)};
#undef REF

static const struct bld_cli_cmd *find_cmd(const char *name);

static const struct bld_cli_opt global_opts[] = {
	{"debug", 'D', BLD_OPT_BOOL, NULL, "Enable debug mode", NULL},
	{"log-level", 'l', BLD_OPT_STRING, "string",
	 "Set the logging level (\"debug\", \"info\", \"warn\", \"error\")", "warn"},
	{"root", 0, BLD_OPT_STRING, "string", "Store directory (default $BLD_ROOT or /var/lib/bld)",
	 NULL},
	{"version", 'v', BLD_OPT_BOOL, NULL, "Print version information and quit", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* docker's management commands: "image ls", "container rm" ... run the same commands as
 * "images" and "rm"; "image inspect" and "container inspect" keep to their type. */
static const struct alias {
	const char *name, *target, *opt;
} aliases[] = {
	{"builder build", "build", NULL},     {"image build", "build", NULL},
	{"image history", "history", NULL},   {"image import", "import", NULL},
	{"image inspect", "inspect", "--type=image"},
	{"image load", "load", NULL},         {"image ls", "images", NULL},
	{"image list", "images", NULL},       {"image pull", "pull", NULL},
	{"image push", "push", NULL},         {"image rm", "rmi", NULL},
	{"image remove", "rmi", NULL},        {"image save", "save", NULL},
	{"image tag", "tag", NULL},           {"container create", "create", NULL},
	{"container cp", "cp", NULL},         {"container exec", "exec", NULL},
	{"container inspect", "inspect", "--type=container"},
	{"container kill", "kill", NULL},     {"container logs", "logs", NULL},
	{"container ls", "ps", NULL},         {"container list", "ps", NULL},
	{"container ps", "ps", NULL},         {"container port", "port", NULL},
	{"container restart", "restart", NULL}, {"container rm", "rm", NULL},
	{"container remove", "rm", NULL},     {"container run", "run", NULL},
	{"container start", "start", NULL},   {"container stop", "stop", NULL},
	{"container wait", "wait", NULL},   {"container export", "export", NULL},
	{"container rename", "rename", NULL}, {"system events", "events", NULL},
	{"container commit", "commit", NULL}, {"container diff", "diff", NULL},
	{"container pause", "pause", NULL},   {"container unpause", "unpause", NULL},
	{"container top", "top", NULL},       {"container stats", "stats", NULL},
	{"container attach", "attach", NULL},
	/* docker's other spellings of a group's own commands: the option is the second word */
	{"network list", "network", "ls"},    {"network remove", "network", "rm"},
	{"volume list", "volume", "ls"},      {"volume remove", "volume", "rm"},
};

/* argv with a management command's two words replaced by the command they name (and its
 * option), or NULL when argv does not start with one. The strings stay argv's. */
static char **expand_alias(int argc, char **argv, int *out_argc)
{
	if (argc < 2)
		return NULL;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(aliases); i++) {
		const struct alias *a = &aliases[i];
		size_t n = strlen(argv[0]);
		if (strncmp(a->name, argv[0], n) != 0 || a->name[n] != ' ' ||
		    strcmp(a->name + n + 1, argv[1]) != 0)
			continue;
		char **v = xcalloc((size_t)argc + 1, sizeof(*v));
		int k = 0;
		v[k++] = (char *)a->target;
		if (a->opt)
			v[k++] = (char *)a->opt;
		for (int j = 2; j < argc; j++)
			v[k++] = argv[j];
		*out_argc = k;
		return v;
	}
	return NULL;
}

/* bld itself: its global options, and what its manual page bld(1) says */
static const struct bld_cli_cmd global_cmd = {
	.name = "",
	.usage = "[OPTIONS] COMMAND",
	.summary = "A daemonless tool to build, ship and run container images",
	.description =
		"bld builds images from Dockerfiles with a content-addressed cache, keeps them in "
		"an OCI image layout (bld-store(7)), pushes and pulls them to any OCI registry "
		"with sigstore signatures under a trust policy (bld-trust(7)), and runs them as "
		"sandboxed containers and compose projects. There is no daemon: every command "
		"works on the store directly, and a container's own monitor process keeps it.\n\n"
		"Its command line follows docker's verbs, flags, output and exit codes, and "
		"docker's management-command spellings (bld image ls, bld container rm ...) run "
		"the same commands. The global options come before the command.",
	.opts = global_opts,
	.max_args = -1,
	.stop_at_first_arg = true,
	.examples = BLD_CLI_EXAMPLES(
		{"Build the Dockerfile of the current directory as an image named app",
		 "bld build -t app ."},
		{"Run it in the background, publishing port 80 on 8080",
		 "bld run -d -p 8080:80 --name web app"},
		{"Use a store of your own", "bld --root /srv/bld images"}),
};

const struct bld_cli_cmd *const *bld_cli_table(void)
{
	static const struct bld_cli_cmd *all[BLD_ARRAY_SIZE(table) + 128];
	if (!all[0]) {
		size_t n = 0;
		all[n++] = &global_cmd;
		for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
			if (table[i])
				all[n++] = table[i];
		for (const struct bld_cli_cmd *const *c = bld_cli_compose_table(); *c; c++)
			if (n + 1 < BLD_ARRAY_SIZE(all))
				all[n++] = *c;
	}
	return all;
}

const char **bld_cli_aliases_of(const char *name)
{
	const char **v = xcalloc(BLD_ARRAY_SIZE(aliases) + 1, sizeof(*v));
	size_t n = 0, len = strlen(name);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(aliases); i++) {
		const struct alias *a = &aliases[i];
		bool word = a->opt && a->opt[0] != '-'; /* "network list": "network" + "ls" */
		if (word ? (strncmp(name, a->target, strlen(a->target)) == 0 &&
			    name[strlen(a->target)] == ' ' &&
			    strcmp(name + strlen(a->target) + 1, a->opt) == 0)
			 : (strlen(a->target) == len && strcmp(a->target, name) == 0))
			v[n++] = a->name;
	}
	return v;
}

size_t bld_cli_alias_list(const char ***names, const struct bld_cli_cmd ***cmds)
{
	*names = xcalloc(BLD_ARRAY_SIZE(aliases), sizeof(**names));
	*cmds = xcalloc(BLD_ARRAY_SIZE(aliases), sizeof(**cmds));
	size_t n = 0;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(aliases); i++) {
		const struct alias *a = &aliases[i];
		bool word = a->opt && a->opt[0] != '-'; /* "network list": "network" + "ls" */
		cleanup_free char *target = word ? xasprintf("%s %s", a->target, a->opt)
						 : xstrdup(a->target);
		const struct bld_cli_cmd *c = find_cmd(target);
		if (c) {
			(*names)[n] = a->name;
			(*cmds)[n++] = c;
		}
	}
	return n;
}

static void usage(FILE *f)
{
	fprintf(f, "\nUsage:  bld %s\n\n%s\n\nCommands:\n", global_cmd.usage, global_cmd.summary);
	int width = 20; /* wider when a name needs it: two spaces always part the columns */
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
		if (table[i] && (int)strlen(table[i]->name) + 1 > width)
			width = (int)strlen(table[i]->name) + 1;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
		if (table[i])
			fprintf(f, "  %-*s %s\n", width, table[i]->name, table[i]->summary);
	fprintf(f, "  %-*s %s\n", width, "compose", "Define and run multi-container applications");
	fprintf(f, "\nGlobal Options:\n");
	for (const struct bld_cli_opt *o = global_opts; o->name; o++) {
		char left[64];
		bld_cli_opt_left(left, sizeof(left), o);
		fprintf(f, "  %s%-*s %s\n", o->shorthand ? "" : "    ", o->shorthand ? 24 : 20, left,
			o->help);
	}
	fprintf(f, "  %-24s %s\n", "    --help", "Print usage");
	fprintf(f, "\nRun 'bld COMMAND --help' for more information on a command.\n");
	bld_cli_help_examples(f, global_cmd.examples);
}

/* The longest command name that matches the leading words of argv ("image prune"). */
static const struct bld_cli_cmd *lookup(int argc, char **argv, int *used)
{
	const struct bld_cli_cmd *best = NULL;
	int best_words = 0;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++) {
		if (!table[i])
			continue;
		const char *name = table[i]->name;
		int words = 0;
		const char *p = name;
		while (*p && words < argc) {
			size_t len = strcspn(p, " ");
			if (strlen(argv[words]) != len || strncmp(argv[words], p, len) != 0)
				break;
			words++;
			p += len;
			if (*p == ' ')
				p++;
			else if (*p == '\0')
				break;
		}
		if (*p == '\0' && words > best_words) {
			best = table[i];
			best_words = words;
		}
	}
	*used = best_words;
	return best;
}

static int print_error(struct bld_error *e, int fallback)
{
	fprintf(stderr, "bld: %s\n", e->msg);
	return e->status ? e->status : fallback;
}

static bool in_group(const char *name, const char *word, size_t n)
{
	return strncmp(name, word, n) == 0 && name[n] == ' ';
}

static const struct bld_cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
		if (table[i] && strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

/* A command group ("image", "container", "system", "volume", "network", "trust key") with no
 * subcommand. */
static bool is_group(const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
		if (table[i] && in_group(table[i]->name, word, n))
			return true;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(aliases); i++)
		if (in_group(aliases[i].name, word, n))
			return true;
	return false;
}

static void group_help(FILE *f, const char *word)
{
	size_t n = strlen(word);
	fprintf(f, "\nUsage:  bld %s COMMAND\n\nCommands:\n", word);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(table); i++)
		if (table[i] && in_group(table[i]->name, word, n))
			fprintf(f, "  %-16s %s\n", table[i]->name + n + 1, table[i]->summary);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(aliases); i++) {
		const struct bld_cli_cmd *c = find_cmd(aliases[i].target);
		if (c && in_group(aliases[i].name, word, n))
			fprintf(f, "  %-16s %s (bld %s)\n", aliases[i].name + n + 1, c->summary,
				c->name);
	}
}

/* The commands whose processes enter a container's namespaces (or start one that does: a
 * monitor, a RUN step, an exec, a copy): they re-execute from a view of bld's executable no
 * container can write (runner/selfexe.c, CVE-2019-5736); the others (ps, images, inspect...)
 * do not pay for it. */
static bool enters_containers(const struct bld_cli_cmd *cmd)
{
	static const char *const names[] = {
		"run",		  "start",	   "restart",		 "exec",
		"build",	  "cp",		   "system boot",	 "system service",
		"kube play",	  "kube generate", "network connect",	 "network disconnect",
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(names); i++)
		if (strcmp(cmd->name, names[i]) == 0)
			return true;
	return false;
}

/* bld_runner_selfexe_seal for a command that makes its own context (compose). */
static int seal_self(char **argv, struct bld_error **err)
{
	struct bld_ctx ctx;
	int r = bld_ctx_init(&ctx, err);
	if (r == 0)
		r = bld_runner_selfexe_seal(&ctx, argv, err);
	bld_ctx_dispose(&ctx);
	return r;
}

static int run_command(struct bld_ctx *ctx, const struct bld_cli_cmd *cmd, int argc,
		       char **argv)
{
	struct bld_cli_args args;
	cleanup_error struct bld_error *err = NULL;
	int r = bld_cli_args_parse(&args, cmd, argc, argv, &err);
	if (r == 1) {
		bld_cli_help(stdout, cmd);
		bld_cli_args_dispose(&args);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "bld: %s\nSee 'bld %s --help'.\n", err->msg, cmd->name);
		bld_cli_args_dispose(&args);
		return err->status ? err->status : 125;
	}
	r = cmd->run(ctx, &args, &err);
	bld_cli_args_dispose(&args);
	if (r < 0)
		return print_error(err, cmd->fail_status ? cmd->fail_status : 1);
	return r;
}

/* A user who is not root: into the user's namespaces, where the rest runs as their root. */
static int enter_rootless(struct bld_error **err)
{
	if (geteuid() == 0)
		return 0;
	struct bld_ctx ctx;
	if (bld_ctx_init(&ctx, err) < 0)
		return -1;
	int r = bld_runner_rootless_enter(&ctx, err);
	bld_ctx_dispose(&ctx);
	return r;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && strcmp(argv[1], "__pause") == 0)
		bld_runner_rootless_pause();
	/* spawned by bld itself (a start, the Engine API service): not a command of users */
	if (argc >= 2 && strcmp(argv[1], "__monitor") == 0)
		return bld_runner_monitor_exec(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "__cp-mount") == 0)
		return bld_runner_cp_mount_exec(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "__api") == 0)
		return bld_cli_api_child_main(argc, argv);
	struct bld_cli_args g;
	cleanup_error struct bld_error *err = NULL;
	int r = bld_cli_args_parse(&g, &global_cmd, argc - 1, argv + 1, &err);
	if (r == 1 || (r == 0 && g.argc == 0 && !bld_cli_bool(&g, "version"))) {
		usage(stdout);
		bld_cli_args_dispose(&g);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "bld: %s\nSee 'bld --help'.\n", err->msg);
		return 125;
	}
	if (bld_cli_bool(&g, "version")) {
		printf("bld version %s\n", bld_version);
		bld_cli_args_dispose(&g);
		return 0;
	}
	if (bld_cli_bool(&g, "debug"))
		bld_log_set_level(BLD_LOG_DEBUG);
	const char *lvl = bld_cli_str(&g, "log-level");
	if (strcmp(lvl, "debug") == 0)
		bld_log_set_level(BLD_LOG_DEBUG);
	else if (strcmp(lvl, "info") == 0)
		bld_log_set_level(BLD_LOG_INFO);
	else if (strcmp(lvl, "error") == 0)
		bld_log_set_level(BLD_LOG_ERROR);
	if (bld_cli_str(&g, "root"))
		setenv("BLD_ROOT", bld_cli_str(&g, "root"), 1);

	if (strcmp(g.argv[0], "__man") == 0 && g.argc == 2) {
		r = bld_cli_man_write(g.argv[1], &err) < 0 ? print_error(err, 125) : 0;
		bld_cli_args_dispose(&g);
		return r;
	}
	if (strcmp(g.argv[0], "__complete") == 0) {
		struct bld_ctx ctx;
		if (bld_ctx_init(&ctx, &err) == 0) {
			bld_cli_complete(&ctx, g.argv + 1, g.argc - 1);
			bld_ctx_dispose(&ctx);
		}
		bld_cli_args_dispose(&g);
		return 0;
	}
	if (enter_rootless(&err) < 0) {
		bld_cli_args_dispose(&g);
		return print_error(err, 125);
	}
	if (strcmp(g.argv[0], "compose") == 0) {
		if (seal_self(argv, &err) < 0)
			return print_error(err, 125);
		r = bld_cli_compose_main(g.argc - 1, g.argv + 1);
		bld_cli_args_dispose(&g);
		fflush(stdout);
		return r;
	}
	int used = 0, n_cmd = g.argc;
	cleanup_free char **expanded = expand_alias(g.argc, g.argv, &n_cmd);
	char **argv_cmd = expanded ? expanded : g.argv;
	const struct bld_cli_cmd *cmd = lookup(n_cmd, argv_cmd, &used);
	if (!cmd) {
		bool help = g.argc == 2 && (!strcmp(g.argv[1], "--help") || !strcmp(g.argv[1], "-h"));
		if (is_group(g.argv[0]) && (g.argc == 1 || help)) {
			group_help(stdout, g.argv[0]);
			r = 0;
		} else {
			fprintf(stderr, "bld: '%s' is not a bld command.\nSee 'bld --help'\n",
				g.argv[0]);
			r = 1;
		}
		bld_cli_args_dispose(&g);
		return r;
	}
	struct bld_ctx ctx;
	if (bld_ctx_init(&ctx, &err) < 0) {
		bld_cli_args_dispose(&g);
		return print_error(err, 125);
	}
	if (enters_containers(cmd) && bld_runner_selfexe_seal(&ctx, argv, &err) < 0) {
		bld_ctx_dispose(&ctx);
		bld_cli_args_dispose(&g);
		return print_error(err, 125);
	}
	r = run_command(&ctx, cmd, n_cmd - used, argv_cmd + used);
	bld_ctx_dispose(&ctx);
	bld_cli_args_dispose(&g);
	fflush(stdout);
	return r;
}
