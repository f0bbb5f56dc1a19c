/*
 * cli/cmd_compose_down.c — `bld compose down`: the project's containers stopped and
 * removed in reverse dependency order, its volumes too with -v (deploy/down.c). Works from
 * the store's labels alone when only -p names the project.
 */
#include "cli/compose_util.h"

static const struct bld_cli_opt opts[] = {
	{"remove-orphans", 0, BLD_OPT_BOOL, NULL,
	 "Remove containers for services not defined in the Compose file", NULL},
	{"rmi", 0, BLD_OPT_STRING, "string",
	 "Remove images used by services. \"local\" remove only images that don't have a custom "
	 "tag (\"local\"|\"all\")",
	 NULL},
	{"timeout", 't', BLD_OPT_STRING, "int", "Specify a shutdown timeout in seconds", NULL},
	{"volumes", 'v', BLD_OPT_BOOL, NULL,
	 "Remove named volumes declared in the \"volumes\" section of the Compose file and "
	 "anonymous volumes attached to containers",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int down(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_down_opts o = {.volumes = bld_cli_bool(a, "volumes"),
					 .remove_orphans = bld_cli_bool(a, "remove-orphans"),
					 .rmi = bld_cli_str(a, "rmi"), .timeout = -1};
	if (o.rmi && strcmp(o.rmi, "local") != 0 && strcmp(o.rmi, "all") != 0)
		return bld_error_refuse(err, BLD_E_INVALID, "invalid --rmi option \"%s\"", o.rmi);
	const char *t = bld_cli_str(a, "timeout");
	long v = -1;
	if (t && bld_parse_long(t, -1, 1 << 24, &v) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"invalid argument \"%s\" for \"-t, --timeout\" flag", t);
	o.timeout = (int)v;
	struct bld_cli_compose c;
	int r = bld_cli_compose_open(ctx, a, a->argc, false, &c, err);
	if (r == 0)
		r = bld_deploy_down(ctx, &c.t, &o, err);
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_down = {
	.name = "compose down",
	.usage = "[OPTIONS] [SERVICES]",
	.summary = "Stop and remove containers, networks",
	.opts = opts,
	.max_args = -1,
	.run = down,
	.examples = BLD_CLI_EXAMPLES(
		{"Stop and remove the project's containers and networks",
		 "bld compose down"},
		{"Also remove its named volumes and the images it built",
		 "bld compose down -v --rmi local"}),
};
