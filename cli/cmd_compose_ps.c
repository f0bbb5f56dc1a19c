/*
 * cli/cmd_compose_ps.c — `bld compose ps`: the project's containers (running ones unless
 * -a), as docker compose v2 lists them: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS,
 * sorted by name; -q their IDs, --services their services, --status STATE to filter,
 * --format json one object a line.
 */
#include "cli/compose_util.h"
#include "cli/image_util.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL,
	 "Show all stopped containers (including those created by the run command)", NULL},
	{"format", 0, BLD_OPT_STRING, "string",
	 "Format output using a custom template: 'table' (default), 'json'", "table"},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only display IDs", NULL},
	{"services", 0, BLD_OPT_BOOL, NULL, "Display services", NULL},
	{"status", 0, BLD_OPT_LIST, "stringArray",
	 "Filter services by status. Values: [paused | restarting | removing | running | dead | "
	 "created | exited]",
	 NULL},
	{"no-trunc", 0, BLD_OPT_BOOL, NULL, "Don't truncate output", NULL},
	{"orphans", 0, BLD_OPT_BOOL, NULL, "Include orphaned services (not declared by project)",
	 "true"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static bool wanted(struct bld_cli_args *a, const struct bld_deploy_ctr *c)
{
	char *const *st = bld_cli_list(a, "status");
	if (!st)
		return bld_cli_bool(a, "all") || strcmp(c->state, "running") == 0 ||
		       strcmp(c->state, "paused") == 0 || strcmp(c->state, "restarting") == 0;
	for (size_t i = 0; st[i]; i++)
		if (strcmp(st[i], c->state) == 0)
			return true;
	return false;
}

static char *command(const struct bld_deploy_ctr *c, bool trunc)
{
	const char *cmd = c->info->command ? c->info->command : "";
	if (trunc && strlen(cmd) > 20)
		return xasprintf("\"%.19s…\"", cmd);
	return xasprintf("\"%s\"", cmd);
}

static json_t *json_of(const struct bld_deploy_ctr *c, const char *project)
{
	char created[64];
	bld_cli_created_text(created, sizeof(created), c->created);
	cleanup_free char *cmd = command(c, false);
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "Command", cmd, "CreatedAt", created, "ExitCode", c->exit_code,
			 "Health", c->health, "ID", c->id, "Image", c->info->image, "Name",
			 c->name, "Names", c->name, "Ports", c->info->ports ? c->info->ports : "",
			 "Project", project, "RunningFor", created, "Service", c->service,
			 "State", c->state, "Status", c->info->status_text);
}

static void table(struct bld_deploy_ctr *const *v, size_t n, bool trunc)
{
	struct bld_cli_table t;
	bld_cli_table_init(&t, 7);
	const char *head[] = {"NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"};
	bld_cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		char created[64];
		bld_cli_created_text(created, sizeof(created), v[i]->created);
		cleanup_free char *cmd = command(v[i], trunc);
		const char *row[] = {v[i]->name, v[i]->info->image, cmd, v[i]->service, created,
				     v[i]->info->status_text, v[i]->info->ports};
		bld_cli_table_add(&t, row);
	}
	bld_cli_table_print(stdout, &t);
	bld_cli_table_dispose(&t);
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct bld_deploy_ctr *const *)a)->name,
		      (*(struct bld_deploy_ctr *const *)b)->name);
}

static void print(struct bld_cli_args *a, const char *project, struct bld_deploy_ctr **v,
		  size_t n)
{
	const char *fmt = bld_cli_str(a, "format");
	qsort(v, n, sizeof(*v), by_name);
	if (bld_cli_bool(a, "services")) {
		cleanup_json json_t *seen = json_object();
		for (size_t i = 0; i < n; i++)
			if (!json_object_get(seen, v[i]->service)) {
				json_object_set_new(seen, v[i]->service, json_true());
				printf("%s\n", v[i]->service);
			}
	} else if (bld_cli_bool(a, "quiet")) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", v[i]->id);
	} else if (fmt && strcmp(fmt, "json") == 0) {
		for (size_t i = 0; i < n; i++) {
			cleanup_json json_t *o = json_of(v[i], project);
			cleanup_free char *s = json_dumps(o, JSON_COMPACT);
			printf("%s\n", s);
		}
	} else {
		table(v, n, !bld_cli_bool(a, "no-trunc"));
	}
}

static int ps(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *fmt = bld_cli_str(a, "format");
	if (fmt && strcmp(fmt, "table") != 0 && strcmp(fmt, "json") != 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"unsupported format \"%s\": use table or json", fmt);
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, false, &c, err) < 0)
		return -1;
	struct bld_deploy_state st;
	int r = bld_cli_compose_state(ctx, &c, bld_cli_bool(a, "all"), &st, err);
	if (r == 0) {
		struct bld_deploy_ctr **v = xcalloc(st.n + 1, sizeof(*v));
		size_t n = 0;
		for (size_t i = 0; i < st.n; i++)
			if (wanted(a, &st.v[i]))
				v[n++] = &st.v[i];
		print(a, c.name, v, n);
		free(v);
		bld_deploy_state_dispose(&st);
	}
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_ps = {
	.name = "compose ps",
	.usage = "[OPTIONS] [SERVICE...]",
	.summary = "List containers",
	.opts = opts,
	.max_args = -1,
	.run = ps,
	.examples = BLD_CLI_EXAMPLES(
		{"List the project's running containers",
		 "bld compose ps"},
		{"List every container of the project, stopped ones too",
		 "bld compose ps -a"},
		{"Only the names of the services that run",
		 "bld compose ps --services --status running"}),
};
