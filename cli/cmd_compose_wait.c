/*
 * cli/cmd_compose_wait.c — `bld compose wait` (until the services' containers stop, each
 * exit printed as compose prints it, the last one's code the exit status) and `bld compose
 * top` (each running container's processes, docker top's table under its name).
 */
#include "cli/compose_util.h"
#include "cli/container_opts.h"

static const struct bld_cli_opt wait_opts[] = {
	{"down-project", 0, BLD_OPT_BOOL, NULL, "Drops project when the first container stops",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};
static const struct bld_cli_opt no_opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int wait_cmd(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, false, &c, err) < 0)
		return -1;
	struct bld_deploy_state st;
	int r = bld_cli_compose_state(ctx, &c, false, &st, err), code = 0;
	if (r == 0 && st.n == 0)
		r = bld_error_refuse(err, BLD_E_NOTFOUND, "no containers for project \"%s\"", c.name);
	for (size_t i = 0; r == 0 && i < st.n; i++) {
		r = bld_runner_container_wait(ctx, st.v[i].id, &code, err);
		if (r == 0)
			printf("container \"%s\" exited with status code %d\n", st.v[i].id, code);
		fflush(stdout);
	}
	if (r == 0 && bld_cli_bool(a, "down-project")) {
		struct bld_deploy_down_opts o = {.remove_orphans = true, .timeout = -1};
		r = bld_deploy_down(ctx, &c.t, &o, err);
	}
	bld_deploy_state_dispose(&st);
	bld_cli_compose_close(&c);
	return r < 0 ? r : code;
}

const struct bld_cli_cmd bld_cmd_compose_wait = {
	.name = "compose wait",
	.usage = "SERVICE [SERVICE...] [OPTIONS]",
	.summary = "Block until containers of all (or specified) services stop.",
	.opts = wait_opts,
	.max_args = -1,
	.run = wait_cmd,
	.examples = BLD_CLI_EXAMPLES(
		{"Wait until a service's containers stop, with their exit status",
		 "bld compose wait migrate"},
		{"Then bring the whole project down",
		 "bld compose wait --down-project migrate"}),
};

static int top(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, false, &c, err) < 0)
		return -1;
	struct bld_deploy_state st;
	int r = bld_cli_compose_state(ctx, &c, false, &st, err);
	bool first = true;
	for (size_t i = 0; r == 0 && i < st.n; i++) {
		if (strcmp(st.v[i].state, "running") != 0)
			continue;
		printf("%s%s\n", first ? "" : "\n", st.v[i].name);
		first = false;
		r = bld_cli_top(ctx, st.v[i].id, NULL, err);
	}
	bld_deploy_state_dispose(&st);
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_top = {
	.name = "compose top",
	.usage = "[SERVICES...]",
	.summary = "Display the running processes",
	.opts = no_opts,
	.max_args = -1,
	.run = top,
	.examples = BLD_CLI_EXAMPLES(
		{"Show the processes of every service",
		 "bld compose top"},
		{"Show one service's processes",
		 "bld compose top web"}),
};
