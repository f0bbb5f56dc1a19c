/*
 * cli/cmd_compose_up.c — `bld compose up` and `bld compose create`: the project converged
 * (deploy/apply.c), then, without -d, attached to its containers' merged logs until they
 * stop or ctrl-c stops them, as docker compose v2.
 */
#include "cli/compose_util.h"

#define UP_COMMON_OPTS                                                                      \
	{"build", 0, BLD_OPT_BOOL, NULL, "Build images before starting containers", NULL},  \
	{"force-recreate", 0, BLD_OPT_BOOL, NULL,                                           \
	 "Recreate containers even if their configuration and image haven't changed", NULL}, \
	{"no-build", 0, BLD_OPT_BOOL, NULL, "Don't build an image, even if it's policy", NULL}, \
	{"no-recreate", 0, BLD_OPT_BOOL, NULL,                                              \
	 "If containers already exist, don't recreate them. Incompatible with --force-recreate.", \
	 NULL},                                                                             \
	{"pull", 0, BLD_OPT_STRING, "string",                                               \
	 "Pull image before running (\"always\"|\"missing\"|\"never\")", "policy"},         \
	{"quiet-pull", 0, BLD_OPT_BOOL, NULL, "Pull without printing progress information", NULL}, \
	{"remove-orphans", 0, BLD_OPT_BOOL, NULL,                                           \
	 "Remove containers for services not defined in the Compose file", NULL},           \
	{"scale", 0, BLD_OPT_LIST, "scale",                                                 \
	 "Scale SERVICE to NUM instances. Overrides the scale setting in the Compose file if " \
	 "present.",                                                                        \
	 NULL}

static const struct bld_cli_opt up_opts[] = {
	UP_COMMON_OPTS,
	{"abort-on-container-exit", 0, BLD_OPT_BOOL, NULL,
	 "Stops all containers if any container was stopped. Incompatible with -d", NULL},
	{"attach", 0, BLD_OPT_LIST, "stringArray",
	 "Restrict attaching to the specified services. Incompatible with --attach-dependencies.",
	 NULL},
	{"attach-dependencies", 0, BLD_OPT_BOOL, NULL,
	 "Automatically attach to log output of dependent services", NULL},
	{"detach", 'd', BLD_OPT_BOOL, NULL, "Detached mode: Run containers in the background",
	 NULL},
	{"exit-code-from", 0, BLD_OPT_STRING, "string",
	 "Return the exit code of the selected service container. Implies "
	 "--abort-on-container-exit",
	 NULL},
	{"no-attach", 0, BLD_OPT_LIST, "stringArray",
	 "Do not attach (stream logs) to the specified services", NULL},
	{"no-color", 0, BLD_OPT_BOOL, NULL, "Produce monochrome output", NULL},
	{"no-deps", 0, BLD_OPT_BOOL, NULL, "Don't start linked services", NULL},
	{"no-start", 0, BLD_OPT_BOOL, NULL, "Don't start the services after creating them", NULL},
	{"timeout", 't', BLD_OPT_STRING, "int",
	 "Use this timeout in seconds for container shutdown when attached or when containers "
	 "are already running",
	 NULL},
	{"timestamps", 0, BLD_OPT_BOOL, NULL, "Show timestamps", NULL},
	{"wait", 0, BLD_OPT_BOOL, NULL, "Wait for services to be running|healthy. Implies detached "
	 "mode.", NULL},
	{"wait-timeout", 0, BLD_OPT_STRING, "int",
	 "Maximum duration in seconds to wait for the project to be running|healthy", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int seconds(struct bld_cli_args *a, const char *name, int def, int *out,
		   struct bld_error **err)
{
	const char *s = bld_cli_str(a, name);
	long v = def;
	if (s && bld_parse_long(s, -1, 1 << 24, &v) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"invalid argument \"%s\" for \"--%s\" flag: strconv.ParseInt: "
					"parsing \"%s\": invalid syntax",
					s, name, s);
	*out = (int)v;
	return 0;
}

/* The flags both up and create take, checked as compose checks them. */
static int common(struct bld_cli_args *a, struct bld_deploy_up_opts *o, struct bld_error **err)
{
	const char *pull = bld_cli_str(a, "pull");
	*o = (struct bld_deploy_up_opts){
		.build = bld_cli_bool(a, "build"), .no_build = bld_cli_bool(a, "no-build"),
		.force_recreate = bld_cli_bool(a, "force-recreate"),
		.no_recreate = bld_cli_bool(a, "no-recreate"),
		.remove_orphans = bld_cli_bool(a, "remove-orphans"),
		.quiet_pull = bld_cli_bool(a, "quiet-pull"), .scale = bld_cli_list(a, "scale"),
		.timeout = -1};
	if (o->build && o->no_build)
		return bld_error_refuse(err, BLD_E_INVALID,
					"--build and --no-build are incompatible");
	if (o->force_recreate && o->no_recreate)
		return bld_error_refuse(err, BLD_E_INVALID,
					"--force-recreate and --no-recreate are incompatible");
	if (pull && strcmp(pull, "policy") != 0 && strcmp(pull, "missing") != 0 &&
	    strcmp(pull, "always") != 0 && strcmp(pull, "never") != 0 &&
	    strcmp(pull, "build") != 0)
		return bld_error_refuse(err, BLD_E_INVALID, "invalid --pull option \"%s\"", pull);
	o->pull_always = pull && strcmp(pull, "always") == 0;
	o->pull_never = pull && strcmp(pull, "never") == 0;
	for (size_t i = 0; o->scale && o->scale[i]; i++) {
		const char *eq = strchr(o->scale[i], '=');
		long n;
		if (!eq || bld_parse_long(eq + 1, 0, 1 << 16, &n) < 0)
			return bld_error_refuse(err, BLD_E_INVALID,
						"invalid --scale option \"%s\". Should be SERVICE=NUM",
						o->scale[i]);
	}
	return 0;
}

static bool listed(char *const *v, const char *s)
{
	for (size_t i = 0; v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* The services whose logs the attached up follows, as compose picks them: those of
 * --attach, else those asked for (all when none), with their dependencies under
 * --attach-dependencies, but the ones with `attach: false`; less those of --no-attach. */
static int attach_set(struct bld_cli_args *a, const struct bld_cli_compose *c, char ***out,
		      struct bld_error **err)
{
	const json_t *services = json_object_get(c->project, "services");
	char *const *want = bld_cli_list(a, "attach"), *const *no = bld_cli_list(a, "no-attach");
	*out = xcalloc(1, sizeof(char *));
	for (size_t i = 0; want && want[i]; i++)
		if (!json_object_get(services, want[i]))
			return bld_error_refuse(err, BLD_E_NOTFOUND,
						"cannot attach to services not included in up: %s",
						want[i]);
	cleanup_strv char **up = NULL;
	if (!(want && want[0]) &&
	    bld_deploy_services(&c->t, bld_cli_bool(a, "attach-dependencies"), &up, err) < 0)
		return -1;
	const char *name;
	json_t *s;
	json_object_foreach((json_t *)services, name, s) {
		bool in = want && want[0] ? listed(want, name)
					  : listed(up, name) &&
						    !json_is_false(json_object_get(s, "attach"));
		if (in && !(no && listed(no, name)))
			bld_strv_push(out, name);
	}
	return 0;
}

/* Without -d: the containers of the services asked for, attached until they stop. */
static int attach(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_cli_compose *c,
		  const struct bld_deploy_up_opts *uo, char *const *shown, struct bld_error **err)
{
	struct bld_deploy_state st;
	/* --attach-dependencies: their containers are followed (and stopped) with the others */
	cleanup_strv char **deps = NULL;
	char *const *asked = c->t.services;
	if (bld_cli_bool(a, "attach-dependencies") && asked && asked[0] &&
	    bld_deploy_services(&c->t, true, &deps, err) < 0)
		return -1;
	if (deps)
		c->t.services = deps;
	int r = bld_cli_compose_state(ctx, c, false, &st, err);
	c->t.services = asked;
	if (r < 0)
		return -1;
	const char *from = bld_cli_str(a, "exit-code-from");
	struct bld_deploy_attach_opts o = {
		.abort_on_exit = bld_cli_bool(a, "abort-on-container-exit") || from,
		.no_color = bld_cli_bool(a, "no-color"),
		.timestamps = bld_cli_bool(a, "timestamps"), .exit_from = from,
		.timeout = uo->timeout, .attach = shown};
	int code = 0;
	r = bld_deploy_attach(ctx, &c->t, &st, &o, &code, err);
	bld_deploy_state_dispose(&st);
	return r < 0 ? r : code;
}

static int up(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_up_opts o;
	if (common(a, &o, err) < 0 || seconds(a, "timeout", -1, &o.timeout, err) < 0 ||
	    seconds(a, "wait-timeout", 0, &o.wait_timeout, err) < 0)
		return -1;
	o.no_deps = bld_cli_bool(a, "no-deps");
	o.no_start = bld_cli_bool(a, "no-start");
	o.wait = bld_cli_bool(a, "wait");
	bool detach = bld_cli_bool(a, "detach") || o.wait || o.no_start;
	const char *from = bld_cli_str(a, "exit-code-from");
	bool attach_list = bld_cli_list(a, "attach") && bld_cli_list(a, "attach")[0];
	bool attach_given = attach_list || bld_cli_bool(a, "attach-dependencies");
	if (o.wait && (bld_cli_bool(a, "abort-on-container-exit") || from || attach_given))
		return bld_error_refuse(err, BLD_E_INVALID,
					"--wait cannot be combined with --abort-on-container-exit, "
					"--attach or --attach-dependencies");
	if (bld_cli_bool(a, "detach") &&
	    (bld_cli_bool(a, "abort-on-container-exit") || from || attach_given))
		return bld_error_refuse(err, BLD_E_INVALID,
					"--detach cannot be combined with --abort-on-container-exit, "
					"--abort-on-container-failure, --attach, --attach-dependencies "
					"or --watch");
	if (attach_list && bld_cli_bool(a, "attach-dependencies"))
		return bld_error_refuse(err, BLD_E_INVALID,
					"cannot combine --attach and --attach-dependencies");
	struct bld_cli_compose c;
	cleanup_strv char **shown = NULL;
	int r = bld_cli_compose_open(ctx, a, 0, true, &c, err);
	if (r == 0 && !detach)
		r = attach_set(a, &c, &shown, err);
	if (r == 0 && from && !json_object_get(json_object_get(c.project, "services"), from))
		r = bld_error_refuse(err, BLD_E_NOTFOUND, "no such service: %s", from);
	if (r == 0)
		r = bld_deploy_up(ctx, &c.t, &o, err);
	if (r == 0 && !detach)
		r = attach(ctx, a, &c, &o, shown, err);
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_up = {
	.name = "compose up",
	.usage = "[OPTIONS] [SERVICE...]",
	.summary = "Create and start containers",
	.opts = up_opts,
	.max_args = -1,
	.run = up,
	.examples = BLD_CLI_EXAMPLES(
		{"Create and start the project, following its logs",
		 "bld compose up"},
		{"Build and start it in the background",
		 "bld compose up -d --build"},
		{"Start it and wait until every service is running or healthy",
		 "bld compose up --wait"}),
};

static const struct bld_cli_opt create_opts[] = {
	UP_COMMON_OPTS,
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int create(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_up_opts o;
	if (common(a, &o, err) < 0)
		return -1;
	o.no_start = true;
	struct bld_cli_compose c;
	int r = bld_cli_compose_open(ctx, a, 0, true, &c, err);
	if (r == 0)
		r = bld_deploy_up(ctx, &c.t, &o, err);
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_create = {
	.name = "compose create",
	.usage = "[OPTIONS] [SERVICE...]",
	.summary = "Creates containers for a service",
	.opts = create_opts,
	.max_args = -1,
	.run = create,
	.examples = BLD_CLI_EXAMPLES(
		{"Create the project's containers without starting them",
		 "bld compose create"},
		{"Create them again even when nothing changed",
		 "bld compose create --force-recreate"}),
};
