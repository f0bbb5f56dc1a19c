/*
 * cli/cmd_network_ls.c — `bld network ls [-q] [--no-trunc] [--filter K=V]... [--format F]`
 * (also `network list`): docker's table (NETWORK ID, NAME, DRIVER, SCOPE) sorted by name in
 * natural order, its template fields (ID, Name, Driver, Scope, IPv6, Internal, Labels,
 * CreatedAt, Label "KEY"), "table " templates with their header, and "raw".
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"

#include <ctype.h>
#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"filter", 'f', BLD_OPT_LIST, "filter", "Provide filter values (e.g. 'driver=bridge')",
	 NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Pretty-print networks using a Go template", NULL},
	{"no-trunc", 0, BLD_OPT_BOOL, NULL, "Do not truncate the output", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only display network IDs", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

#define TABLE_DEFAULT "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}"
#define RAW_DEFAULT                                                                          \
	"network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n"

/* docker's sortorder.NaturalLess: runs of digits compare as numbers. */
static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *x = a, *y = b;
			while (*x == '0')
				x++;
			while (*y == '0')
				y++;
			size_t lx = strspn(x, "0123456789"), ly = strspn(y, "0123456789");
			int c = lx != ly ? (lx < ly ? -1 : 1) : strncmp(x, y, lx);
			if (c)
				return c;
			a = x + lx;
			b = y + ly;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int by_name(const void *x, const void *y)
{
	const json_t *const *a = x, *const *b = y;
	return natural_cmp(bld_json_get_str(*a, "Name"), bld_json_get_str(*b, "Name"));
}

/* Go's time.String of an RFC 3339 UTC time: "2006-01-02 15:04:05.999999999 +0000 UTC". */
static char *go_time(const char *rfc)
{
	if (!rfc || strlen(rfc) < 19)
		return xstrdup("");
	cleanup_free char *s = xstrdup(rfc);
	s[10] = ' ';
	char *z = strchr(s, 'Z');
	if (z)
		*z = 0;
	char *dot = strchr(s, '.');
	size_t n = strlen(s);
	while (dot && n > (size_t)(dot - s) + 1 && s[n - 1] == '0')
		s[--n] = 0;
	if (dot && n == (size_t)(dot - s) + 1)
		*dot = 0;
	return xasprintf("%s +0000 UTC", s);
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* "k=v,k2=v2" (sorted: docker's order is Go's map order, i.e. none). */
static char *labels_text(const json_t *labels)
{
	struct bld_buf b = BLD_BUF_INIT;
	const char *k;
	json_t *v;
	cleanup_strv char **items = NULL;
	json_object_foreach((json_t *)labels, k, v) {
		cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
		bld_strv_push(&items, kv);
	}
	if (items)
		qsort(items, bld_strv_len(items), sizeof(*items), str_cmp);
	for (size_t i = 0; items && items[i]; i++)
		bld_buf_printf(&b, "%s%s", i ? "," : "", items[i]);
	return bld_buf_detach(&b);
}

/* The row the templates see; header: the column titles instead. */
static json_t *row_of(const json_t *net, bool trunc)
{
	const char *id = bld_json_get_str(net, "Id");
	cleanup_free char *created = go_time(bld_json_get_str(net, "Created"));
	cleanup_free char *labels = labels_text(json_object_get(net, "Labels"));
	return json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id,
			 trunc ? (size_t)12 : strlen(id), "Name", bld_json_get_str(net, "Name"),
			 "Driver", bld_json_get_str(net, "Driver"), "Scope",
			 bld_json_get_str(net, "Scope"), "IPv6",
			 json_is_true(json_object_get(net, "EnableIPv6")) ? "true" : "false",
			 "Internal", json_is_true(json_object_get(net, "Internal")) ? "true" : "false",
			 "Labels", labels, "CreatedAt", created);
}

static json_t *header_row(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID", "Name",
			 "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv6", "IPV6", "Internal",
			 "INTERNAL", "Labels", "LABELS", "CreatedAt", "CREATED AT");
}

/* The template with each {{.Label "KEY"}} replaced by that label's value (header: LABEL). */
static char *with_labels(const char *tmpl, const json_t *labels, bool header)
{
	struct bld_buf b = BLD_BUF_INIT;
	const char *p = tmpl;
	for (const char *q; (q = strstr(p, "{{.Label \""));) {
		const char *kend = strchr(q + 10, '"');
		const char *close = kend ? strstr(kend, "}}") : NULL;
		if (!close)
			break;
		bld_buf_add(&b, p, (size_t)(q - p));
		cleanup_free char *k = xstrndup(q + 10, (size_t)(kend - q - 10));
		const char *v = bld_json_get_str(labels, k);
		bld_buf_adds(&b, header ? "LABEL" : v ? v : "");
		p = close + 2;
	}
	bld_buf_adds(&b, p);
	return bld_buf_detach(&b);
}

static char *render(const char *tmpl, const json_t *row, const json_t *labels, bool header)
{
	cleanup_free char *t = with_labels(tmpl, labels, header);
	return bld_cli_template(t, row);
}

static void print_rows(json_t *nets, const char *fmt, bool trunc)
{
	const char *tmpl = bld_cli_rows_template(fmt, "");
	cleanup_json json_t *hdr = header_row();
	cleanup_free char *h = render(tmpl, hdr, NULL, true);
	struct bld_cli_rows rows;
	bld_cli_rows_begin(&rows, fmt, h);
	size_t i;
	json_t *net;
	json_array_foreach(nets, i, net) {
		cleanup_json json_t *row = row_of(net, trunc);
		cleanup_free char *line = render(tmpl, row, json_object_get(net, "Labels"), false);
		bld_cli_rows_add(&rows, line);
	}
	bld_cli_rows_end(&rows);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_json json_t *nets = NULL;
	if (bld_cli_filters_check(a, "-f, --filter", err) < 0 ||
	    bld_runner_network_filter(ctx, bld_cli_list(a, "filter"), &nets, err) < 0)
		return -1;
	size_t n = json_array_size(nets);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(nets, i));
	qsort(v, n, sizeof(*v), by_name);
	json_array_clear(nets);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(nets, v[i]);
	free(v);
	const char *fmt = bld_cli_str(a, "format");
	bool quiet = bld_cli_bool(a, "quiet");
	if (!fmt || !strcmp(fmt, "table"))
		fmt = quiet ? "{{.ID}}" : TABLE_DEFAULT;
	else if (!strcmp(fmt, "raw"))
		fmt = quiet ? "network_id: {{.ID}}" : RAW_DEFAULT;
	print_rows(nets, fmt, !bld_cli_bool(a, "no-trunc"));
	return 0;
}

const struct bld_cli_cmd bld_cmd_network_ls = {
	.name = "network ls",
	.usage = "[OPTIONS]",
	.summary = "List networks",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"List the networks",
		 "bld network ls"},
		{"Only the names of those with a label",
		 "bld network ls --filter label=env=ci --format '{{.Name}}'"}),
};
