/*
 * cli/cmd_compose_logs.c — `bld compose logs`: the merged, prefixed logs of the project's
 * containers (deploy/logs.c); `bld compose ls`: the projects in the store; `bld compose
 * version`.
 */
#include "cli/compose_util.h"
#include "cli/image_util.h"

#include <jansson.h>

static const struct bld_cli_opt logs_opts[] = {
	{"follow", 'f', BLD_OPT_BOOL, NULL, "Follow log output", NULL},
	{"index", 0, BLD_OPT_STRING, "int",
	 "index of the container if service has multiple replicas", NULL},
	{"no-color", 0, BLD_OPT_BOOL, NULL, "Produce monochrome output", NULL},
	{"no-log-prefix", 0, BLD_OPT_BOOL, NULL, "Don't print prefix in logs", NULL},
	{"since", 0, BLD_OPT_STRING, "string",
	 "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 "
	 "minutes)",
	 NULL},
	{"tail", 'n', BLD_OPT_STRING, "string",
	 "Number of lines to show from the end of the logs for each container", "all"},
	{"until", 0, BLD_OPT_STRING, "string",
	 "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 "
	 "minutes)",
	 NULL},
	{"timestamps", 't', BLD_OPT_BOOL, NULL, "Show timestamps", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* --since/--until as the engine reads them (timetypes.GetTimestamp): "42m", "1h30m" before
 * now, a date, unix seconds. */
static int bound(struct bld_cli_args *a, const char *name, double *out, struct bld_error **err)
{
	const char *s = bld_cli_str(a, name);
	int64_t ns;
	if (!s)
		return 0;
	if (bld_cli_timestamp(s, &ns) < 0)
		return bld_error_refuse(err, BLD_E_INVALID, "invalid value for \"%s\": %s", name,
					s);
	*out = (double)ns / 1e9;
	return 0;
}

/* --index N: the one service's container number N, stopped or not (compose's
 * getSpecifiedContainer); *k its place in st. */
static int pick(const struct bld_cli_args *a, long index, const struct bld_deploy_state *st,
		size_t *k, struct bld_error **err)
{
	for (*k = 0; *k < st->n; (*k)++)
		if (!st->v[*k].oneoff && st->v[*k].number == index &&
		    strcmp(st->v[*k].service, a->argv[0]) == 0)
			return 0;
	return bld_error_refuse(err, BLD_E_NOTFOUND, "service \"%s\" is not running container #%ld",
				a->argv[0], index);
}

static int index_of(struct bld_cli_args *a, long *out, struct bld_error **err)
{
	const char *s = bld_cli_str(a, "index");
	*out = 0;
	if (s && bld_parse_long(s, 0, 1 << 20, out) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"invalid argument \"%s\" for \"--index\" flag: strconv.ParseInt: "
					"parsing \"%s\": invalid syntax", s, s);
	if (*out > 0 && a->argc != 1)
		return bld_error_refuse(err, BLD_E_INVALID,
					"--index requires one service to be selected");
	return 0;
}

static int logs(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	long index;
	if (index_of(a, &index, err) < 0)
		return -1;
	struct bld_deploy_logs_opts o = {.follow = bld_cli_bool(a, "follow"),
					 .timestamps = bld_cli_bool(a, "timestamps"),
					 .no_color = bld_cli_bool(a, "no-color"),
					 .no_prefix = bld_cli_bool(a, "no-log-prefix"), .tail = -1};
	const char *tail = bld_cli_str(a, "tail");
	if (tail && strcmp(tail, "all") != 0 && bld_parse_long(tail, -1, 1L << 40, &o.tail) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"invalid argument \"%s\" for \"-n, --tail\" flag", tail);
	if (bound(a, "since", &o.since, err) < 0 || bound(a, "until", &o.until, err) < 0)
		return -1;
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, false, &c, err) < 0)
		return -1;
	struct bld_deploy_state st;
	int r = bld_cli_compose_state(ctx, &c, false, &st, err);
	if (r == 0) {
		size_t k = 0;
		struct bld_deploy_state one = {.n = 1};
		if (index > 0)
			r = pick(a, index, &st, &k, err);
		one.v = st.v + k;
		if (r == 0)
			r = bld_deploy_logs(ctx, &c.t, index > 0 ? &one : &st, &o, err);
		bld_deploy_state_dispose(&st);
	}
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_logs = {
	.name = "compose logs",
	.usage = "[OPTIONS] [SERVICE...]",
	.summary = "View output from containers",
	.opts = logs_opts,
	.max_args = -1,
	.run = logs,
	.examples = BLD_CLI_EXAMPLES(
		{"Show the output of every service",
		 "bld compose logs"},
		{"Follow one service's last 100 lines",
		 "bld compose logs -f -n 100 web"}),
};

static const struct bld_cli_opt ls_opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Show all stopped Compose projects", NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Format the output. Values: [table | json]",
	 "table"},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only display project names", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int ls(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_json json_t *v = NULL;
	if (bld_deploy_projects(ctx, bld_cli_bool(a, "all"), &v, err) < 0)
		return -1;
	const char *fmt = bld_cli_str(a, "format");
	if (fmt && strcmp(fmt, "json") == 0) {
		cleanup_free char *s = json_dumps(v, JSON_COMPACT);
		printf("%s\n", s);
		return 0;
	}
	struct bld_cli_table t;
	bld_cli_table_init(&t, 3);
	const char *head[] = {"NAME", "STATUS", "CONFIG FILES"};
	if (!bld_cli_bool(a, "quiet"))
		bld_cli_table_add(&t, head);
	size_t i;
	json_t *p;
	json_array_foreach(v, i, p) {
		const char *row[] = {bld_json_get_str(p, "Name"), bld_json_get_str(p, "Status"),
				     bld_json_get_str(p, "ConfigFiles")};
		if (bld_cli_bool(a, "quiet"))
			printf("%s\n", row[0]);
		else
			bld_cli_table_add(&t, row);
	}
	bld_cli_table_print(stdout, &t);
	bld_cli_table_dispose(&t);
	return 0;
}

const struct bld_cli_cmd bld_cmd_compose_ls = {
	.name = "compose ls",
	.usage = "[OPTIONS]",
	.summary = "List running compose projects",
	.opts = ls_opts,
	.run = ls,
	.examples = BLD_CLI_EXAMPLES(
		{"List the running projects",
		 "bld compose ls"},
		{"List every project, stopped ones too",
		 "bld compose ls -a"}),
};

static const struct bld_cli_opt version_opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format the output. Values: [pretty | json]",
	 "pretty"},
	{"short", 0, BLD_OPT_BOOL, NULL, "Shows only Compose's version number", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int version(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *fmt = bld_cli_str(a, "format");
	if (bld_cli_bool(a, "short"))
		printf("%s\n", BLD_DEPLOY_COMPOSE_VERSION);
	else if (fmt && strcmp(fmt, "json") == 0)
		printf("{\"version\":\"v%s\"}\n", BLD_DEPLOY_COMPOSE_VERSION);
	else
		printf("Docker Compose version v%s (bld %s)\n", BLD_DEPLOY_COMPOSE_VERSION,
		       bld_version);
	return 0;
}

const struct bld_cli_cmd bld_cmd_compose_version = {
	.name = "compose version",
	.usage = "[OPTIONS]",
	.summary = "Show the Docker Compose version information",
	.opts = version_opts,
	.run = version,
	.examples = BLD_CLI_EXAMPLES(
		{"Show the compose version",
		 "bld compose version"},
		{"Only the version number",
		 "bld compose version --short"}),
};
