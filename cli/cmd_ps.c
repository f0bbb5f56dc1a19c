/*
 * cli/cmd_ps.c — `bld ps [-a] [-q] [-l] [--filter K=V]... [--format TEMPLATE] [--no-trunc]`.
 * Templates substitute docker's {{.Field}} names; "table " adds the header row.
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"

#include <time.h>

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Show all containers (default shows just running)", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only display container IDs", NULL},
	{"latest", 'l', BLD_OPT_BOOL, NULL, "Show the latest created container (includes all states)",
	 NULL},
	{"filter", 'f', BLD_OPT_LIST, "filter", "Filter output based on conditions provided", NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Format output using a custom template", NULL},
	{"no-trunc", 0, BLD_OPT_BOOL, NULL, "Don't truncate output", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static const char *field(const struct bld_runner_container_info *c, const char *name,
			 bool trunc, char *tmp, size_t n)
{
	if (!strcmp(name, "ID"))
		return trunc ? (snprintf(tmp, n, "%.12s", c->id), tmp) : c->id;
	if (!strcmp(name, "Names"))
		return c->name;
	if (!strcmp(name, "Image"))
		return c->image;
	if (!strcmp(name, "Command")) {
		snprintf(tmp, n, trunc && strlen(c->command) > 20 ? "\"%.19s…\"" : "\"%s\"",
			 c->command);
		return tmp;
	}
	if (!strcmp(name, "Status"))
		return c->status_text;
	if (!strcmp(name, "CreatedAt") || !strcmp(name, "RunningFor")) {
		bld_cli_created_text(tmp, n, c->created);
		return tmp;
	}
	if (!strcmp(name, "State"))
		return c->state;
	if (!strcmp(name, "Ports"))
		return c->ports;
	if (!strcmp(name, "Labels")) {
		tmp[0] = 0;
		for (size_t i = 0; c->labels && c->labels[i]; i++)
			snprintf(tmp + strlen(tmp), n - strlen(tmp), "%s%s", i ? "," : "",
				 c->labels[i]);
		return tmp;
	}
	return NULL;
}

static void print_template(const struct bld_runner_container_info *c, const char *t, bool trunc)
{
	struct bld_buf b = BLD_BUF_INIT;
	while (*t) {
		const char *open = strstr(t, "{{");
		const char *close = open ? strstr(open, "}}") : NULL;
		if (!open || !close) {
			bld_buf_adds(&b, t);
			break;
		}
		bld_buf_add(&b, t, (size_t)(open - t));
		cleanup_free char *name = xstrndup(open + 2, (size_t)(close - open - 2));
		char *nm = name;
		while (*nm == ' ' || *nm == '.')
			nm++;
		nm[strcspn(nm, " ")] = 0;
		char tmp[1024];
		const char *v = c ? field(c, nm, trunc, tmp, sizeof(tmp)) : nm;
		bld_buf_adds(&b, v ? v : "");
		t = close + 2;
	}
	cleanup_free char *s = bld_buf_detach(&b);
	for (char *p = s; (p = strstr(p, "\\t"));) {
		*p = '\t';
		memmove(p + 1, p + 2, strlen(p + 2) + 1);
	}
	printf("%s\n", s);
}

static void print_table(const struct bld_runner_container_info *c, bool trunc)
{
	char tmp[1024], id[16], created[64];
	snprintf(id, sizeof(id), "%.12s", c->id);
	bld_cli_created_text(created, sizeof(created), c->created);
	printf("%-14s %-20s %-22s %-16s %-26s %-24s %s\n", trunc ? id : c->id, c->image,
	       field(c, "Command", trunc, tmp, sizeof(tmp)), created, c->status_text, c->ports,
	       c->name);
}

/* The filters with each ancestor=IMAGE naming its image ID (docker resolves the reference
 * as a pull would name it); an image that is not there stays as given and matches nothing. */
static char **resolve_ancestors(struct bld_ctx *ctx, char *const *filters)
{
	char **out = NULL;
	struct bld_store *s = NULL;
	for (size_t i = 0; filters && filters[i]; i++) {
		struct bld_cache_image *img = NULL;
		if (!bld_str_has_prefix(filters[i], "ancestor=") ||
		    (!s && bld_cli_store_open(ctx, &s, NULL) < 0) ||
		    bld_registry_image_find(s, filters[i] + 9, &img, NULL) < 0) {
			bld_strv_push(&out, filters[i]);
			continue;
		}
		cleanup_free char *f = xasprintf("ancestor=%s", img->id);
		bld_strv_push(&out, f);
		bld_cache_image_free(img);
	}
	bld_cache_store_free(s);
	return out;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	if (bld_cli_filters_check(a, "-f, --filter", err) < 0 ||
	    bld_runner_container_list(ctx, &v, &n, err) < 0)
		return -1;
	bool all = bld_cli_bool(a, "all") || bld_cli_bool(a, "latest");
	bool quiet = bld_cli_bool(a, "quiet"), trunc = !bld_cli_bool(a, "no-trunc");
	const char *fmt = bld_cli_str(a, "format");
	cleanup_strv char **filters = resolve_ancestors(ctx, bld_cli_list(a, "filter"));
	bool has_status_filter = false;
	for (size_t i = 0; filters && filters[i]; i++)
		has_status_filter |= bld_str_has_prefix(filters[i], "status=") ||
				     bld_str_has_prefix(filters[i], "exited=");
	if (has_status_filter)
		all = true;
	cleanup_free bool *keep = xcalloc(n ? n : 1, sizeof(bool));
	int r = bld_runner_container_filter(ctx, v, n, filters, keep, err);
	if (r == 0 && !quiet && (!fmt || bld_str_has_prefix(fmt, "table")))
		fmt ? print_template(NULL, fmt + 5 + (fmt[5] == ' '), trunc)
		    : (void)printf("%-14s %-20s %-22s %-16s %-26s %-24s %s\n", "CONTAINER ID",
				   "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
	for (size_t i = 0; r == 0 && i < n && (!bld_cli_bool(a, "latest") || i < 1); i++) {
		bool up = !strcmp(v[i].state, "running") || !strcmp(v[i].state, "paused");
		if (!keep[i] || (!all && !up))
			continue;
		if (quiet)
			printf("%.*s\n", trunc ? 12 : 64, v[i].id);
		else if (fmt)
			print_template(&v[i], bld_str_has_prefix(fmt, "table") ? fmt + 5 : fmt, trunc);
		else
			print_table(&v[i], trunc);
	}
	bld_runner_container_info_free(v, n);
	return r;
}

const struct bld_cli_cmd bld_cmd_ps = {
	.name = "ps",
	.usage = "[OPTIONS]",
	.summary = "List containers",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"List the running containers",
		 "bld ps"},
		{"List every container, stopped ones too",
		 "bld ps -a"},
		{"Only the IDs of the exited ones",
		 "bld ps -aq --filter status=exited"}),
};
