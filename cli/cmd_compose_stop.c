/*
 * cli/cmd_compose_stop.c — `bld compose stop|restart|kill|pause|unpause|rm|start`: the
 * verbs on a project's existing containers (deploy/verbs.c), with docker compose v2's
 * flags.
 */
#include "cli/compose_util.h"
#include "cli/image_util.h"

#include <signal.h>

static const struct bld_cli_opt timeout_opts[] = {
	{"timeout", 't', BLD_OPT_STRING, "int", "Specify a shutdown timeout in seconds", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};
static const struct bld_cli_opt kill_opts[] = {
	{"remove-orphans", 0, BLD_OPT_BOOL, NULL,
	 "Remove containers for services not defined in the Compose file", NULL},
	{"signal", 's', BLD_OPT_STRING, "string", "SIGNAL to send to the container", "SIGKILL"},
	{NULL, 0, 0, NULL, NULL, NULL},
};
static const struct bld_cli_opt rm_opts[] = {
	{"force", 'f', BLD_OPT_BOOL, NULL, "Don't ask to confirm removal", NULL},
	{"stop", 's', BLD_OPT_BOOL, NULL, "Stop the containers, if required, before removing",
	 NULL},
	{"volumes", 'v', BLD_OPT_BOOL, NULL, "Remove any anonymous volumes attached to containers",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};
static const struct bld_cli_opt no_opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int timeout_of(struct bld_cli_args *a, int *out, struct bld_error **err)
{
	const char *t = a->cmd->opts == timeout_opts ? bld_cli_str(a, "timeout") : NULL;
	long v = -1;
	if (t && bld_parse_long(t, -1, 1 << 24, &v) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"invalid argument \"%s\" for \"-t, --timeout\" flag", t);
	*out = (int)v;
	return 0;
}

/* The containers of the services asked for, through the verb. */
static int apply(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_deploy_verb_opts *o,
		 bool stopped_only, struct bld_error **err)
{
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, false, &c, err) < 0)
		return -1;
	struct bld_deploy_state st;
	int r = bld_cli_compose_state(ctx, &c, false, &st, err);
	size_t k = 0;
	for (size_t i = 0; r == 0 && i < st.n; i++) {
		if (stopped_only && strcmp(st.v[i].state, "running") == 0)
			bld_deploy_ctr_dispose(&st.v[i]);
		else
			st.v[k++] = st.v[i];
	}
	st.n = k;
	if (r == 0 && stopped_only && k == 0)
		fprintf(stderr, "No stopped containers\n");
	else if (r == 0)
		r = bld_deploy_verb(ctx, &c.t, &st, o, err);
	bld_deploy_state_dispose(&st);
	bld_cli_compose_close(&c);
	return r;
}

static int verb(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	static const struct {
		const char *name;
		enum bld_deploy_verb_kind v;
	} map[] = {{"compose stop", BLD_DEPLOY_STOP},     {"compose restart", BLD_DEPLOY_RESTART},
		   {"compose kill", BLD_DEPLOY_KILL},     {"compose pause", BLD_DEPLOY_PAUSE},
		   {"compose unpause", BLD_DEPLOY_UNPAUSE}};
	struct bld_deploy_verb_opts o = {0};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(map); i++)
		if (strcmp(a->cmd->name, map[i].name) == 0)
			o.verb = map[i].v;
	if (timeout_of(a, &o.timeout, err) < 0)
		return -1;
	if (o.verb == BLD_DEPLOY_KILL) {
		o.signal = bld_runner_signal_parse(bld_cli_str(a, "signal"));
		if (o.signal < 0)
			return bld_error_refuse(err, BLD_E_INVALID, "invalid signal: %s",
						bld_cli_str(a, "signal"));
	}
	return apply(ctx, a, &o, false, err);
}

static int rm(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_verb_opts o = {.verb = BLD_DEPLOY_STOP, .timeout = -1};
	if (bld_cli_bool(a, "stop") && apply(ctx, a, &o, false, err) < 0)
		return -1;
	if (!bld_cli_bool(a, "force") && !bld_cli_confirm("Going to remove the stopped containers of the project"))
		return 0;
	o = (struct bld_deploy_verb_opts){.verb = BLD_DEPLOY_RM, .volumes = bld_cli_bool(a, "volumes")};
	return apply(ctx, a, &o, true, err);
}

static int start(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, true, &c, err) < 0)
		return -1;
	int r = bld_deploy_start(ctx, &c.t, err);
	bld_cli_compose_close(&c);
	return r;
}

#define VERB(n, opt, sum, fn, ex)                                                           \
	const struct bld_cli_cmd bld_cmd_compose_##n = {                                    \
		.name = "compose " #n, .usage = "[OPTIONS] [SERVICE...]", .summary = sum,   \
		.opts = opt, .max_args = -1, .run = fn, .examples = ex}

VERB(stop, timeout_opts, "Stop services", verb,
	BLD_CLI_EXAMPLES(
		{"Stop every service",
		 "bld compose stop"},
		{"Stop one service at once",
		 "bld compose stop -t 0 worker"}));
VERB(restart, timeout_opts, "Restart service containers", verb,
	BLD_CLI_EXAMPLES(
		{"Restart every service",
		 "bld compose restart"},
		{"Restart one service, waiting 2 seconds before killing it",
		 "bld compose restart -t 2 web"}));
VERB(kill, kill_opts, "Force stop service containers", verb,
	BLD_CLI_EXAMPLES(
		{"Kill the project's containers",
		 "bld compose kill"},
		{"Send one service a signal",
		 "bld compose kill -s SIGHUP web"}));
VERB(pause, no_opts, "Pause services", verb,
	BLD_CLI_EXAMPLES(
		{"Pause every service's containers",
		 "bld compose pause"},
		{"Pause one service",
		 "bld compose pause worker"}));
VERB(unpause, no_opts, "Unpause services", verb,
	BLD_CLI_EXAMPLES(
		{"Unpause every service",
		 "bld compose unpause"},
		{"Unpause one service",
		 "bld compose unpause worker"}));
VERB(rm, rm_opts, "Removes stopped service containers", rm,
	BLD_CLI_EXAMPLES(
		{"Remove the project's stopped containers",
		 "bld compose rm"},
		{"Stop and remove one service's containers without asking",
		 "bld compose rm -s -f worker"}));
VERB(start, no_opts, "Start services", start,
	BLD_CLI_EXAMPLES(
		{"Start the project's existing containers",
		 "bld compose start"},
		{"Start one service",
		 "bld compose start db"}));
