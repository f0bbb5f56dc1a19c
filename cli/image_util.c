/*
 * cli/image_util.c — helpers shared by the image commands: store opening, docker-style
 * name lookup and display, relative times and sizes as docker prints them, and the small
 * Go-template subset behind --format. Formatting only; the store logic lives in cache/.
 */
#include "cli/image_util.h"

#include <jansson.h>
#include <time.h>

#include "parser/parser.h"
#include "registry/registry.h"
#include "runner/runner.h"

int bld_cli_store_open(struct bld_ctx *ctx, struct bld_store **out, struct bld_error **err)
{
	return bld_cache_store_open(out, ctx->root, err);
}

void bld_cli_short_id(const char *id, char out[13])
{
	const char *h = bld_str_has_prefix(id, "sha256:") ? id + 7 : id;
	snprintf(out, 13, "%.12s", h);
}

static char *human_duration(int64_t secs)
{
	if (secs < 1)
		return xstrdup("Less than a second");
	if (secs == 1)
		return xstrdup("1 second");
	if (secs < 60)
		return xasprintf("%lld seconds", (long long)secs);
	int64_t mins = secs / 60, hours = (secs + 1800) / 3600;
	if (mins == 1)
		return xstrdup("About a minute");
	if (mins < 60)
		return xasprintf("%lld minutes", (long long)mins);
	if (hours == 1)
		return xstrdup("About an hour");
	if (hours < 48)
		return xasprintf("%lld hours", (long long)hours);
	if (hours < 24 * 7 * 2)
		return xasprintf("%lld days", (long long)(hours / 24));
	if (hours < 24 * 30 * 2)
		return xasprintf("%lld weeks", (long long)(hours / 24 / 7));
	if (hours < 24 * 365 * 2)
		return xasprintf("%lld months", (long long)(hours / 24 / 30));
	return xasprintf("%lld years", (long long)(hours / 24 / 365));
}

char *bld_cli_since(const char *rfc3339)
{
	int64_t t = bld_time_parse(rfc3339);
	if (t < 0 && !(rfc3339 && bld_str_has_prefix(rfc3339, "1970")))
		return xstrdup("N/A");
	cleanup_free char *d = human_duration((int64_t)time(NULL) - t);
	return xasprintf("%s ago", d);
}

/* "5 seconds ago", as docker's CREATED column. */
void bld_cli_created_text(char *out, size_t n, int64_t created)
{
	long d = (long)(time(NULL) - created);
	if (d < 1)
		snprintf(out, n, "Less than a second ago");
	else if (d < 60)
		snprintf(out, n, "%ld second%s ago", d, d == 1 ? "" : "s");
	else if (d < 3600)
		snprintf(out, n, "%ld minute%s ago", d / 60, d / 60 == 1 ? "" : "s");
	else if (d < 86400)
		snprintf(out, n, "%ld hour%s ago", d / 3600, d / 3600 == 1 ? "" : "s");
	else
		snprintf(out, n, "%ld days ago", d / 86400);
}

void bld_cli_size(char *out, size_t n, int64_t bytes) { bld_format_size(out, n, (double)bytes); }

bool bld_cli_confirm(const char *warning)
{
	fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning);
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcmp(line, "y\n") == 0 || strcmp(line, "Y\n") == 0 || strcmp(line, "yes\n") == 0;
}

static const json_t *lookup_path(const json_t *obj, const char *path)
{
	if (strcmp(path, ".") == 0)
		return obj;
	const json_t *cur = obj;
	const char *p = path;
	while (*p == '.' && cur) {
		p++;
		size_t len = strcspn(p, ".");
		cleanup_free char *key = xstrndup(p, len);
		cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		p += len;
	}
	return cur;
}

/* A value as Go's text/template prints it. */
static void render_value(struct bld_buf *b, const json_t *v)
{
	size_t i;
	const char *k;
	json_t *x;
	switch (json_typeof(v)) {
	case JSON_STRING:
		bld_buf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		bld_buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		bld_buf_printf(b, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		bld_buf_adds(b, json_is_true(v) ? "true" : "false");
		break;
	case JSON_ARRAY:
		bld_buf_addc(b, '[');
		json_array_foreach(v, i, x) {
			if (i)
				bld_buf_addc(b, ' ');
			render_value(b, x);
		}
		bld_buf_addc(b, ']');
		break;
	case JSON_OBJECT:
		bld_buf_adds(b, "map[");
		i = 0;
		json_object_foreach((json_t *)v, k, x) {
			bld_buf_printf(b, "%s%s:", i++ ? " " : "", k);
			render_value(b, x);
		}
		bld_buf_addc(b, ']');
		break;
	default:
		bld_buf_adds(b, "<nil>");
	}
}

static void render_action(struct bld_buf *b, const char *act, const json_t *obj,
			  const json_t *json_dot)
{
	while (*act == ' ')
		act++;
	cleanup_free char *a = xstrdup(act);
	size_t n = strlen(a);
	while (n && a[n - 1] == ' ')
		a[--n] = '\0';
	bool json = bld_str_has_prefix(a, "json ");
	const char *path = json ? a + 5 : a;
	while (*path == ' ')
		path++;
	const json_t *v = json && json_dot && !strcmp(path, ".") ? json_dot : lookup_path(obj, path);
	if (json) {
		char *d = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("null");
		bld_buf_adds(b, d);
		free(d);
	} else if (v) {
		render_value(b, v);
	} else {
		bld_buf_adds(b, "<no value>");
	}
}

char *bld_cli_template(const char *fmt, const json_t *obj)
{
	return bld_cli_template_dot(fmt, obj, NULL);
}

char *bld_cli_template_dot(const char *fmt, const json_t *obj, const json_t *json_dot)
{
	struct bld_buf b = BLD_BUF_INIT;
	const char *p = fmt;
	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}");
			if (!end)
				break;
			cleanup_free char *act = xstrndup(p + 2, (size_t)(end - p - 2));
			render_action(&b, act, obj, json_dot);
			p = end + 2;
		} else if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			bld_buf_addc(&b, p[1] == 't' ? '\t' : '\n');
			p += 2;
		} else {
			bld_buf_addc(&b, *p++);
		}
	}
	return bld_buf_detach(&b);
}

void bld_cli_table_init(struct bld_cli_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->min_width = 10;
}

void bld_cli_table_add(struct bld_cli_table *t, const char *const *row)
{
	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = xstrdup(row[c] ? row[c] : "");
	t->nrows++;
}

void bld_cli_table_add_tabbed(struct bld_cli_table *t, const char *line)
{
	const char **row = xcalloc(t->ncols + 1, sizeof(char *));
	char **parts = NULL;
	const char *p = line;
	for (size_t c = 0; c < t->ncols; c++) {
		size_t len = strcspn(p, "\t");
		bld_strv_push(&parts, "");
		free(parts[c]);
		parts[c] = xstrndup(p, c + 1 == t->ncols ? strlen(p) : len);
		row[c] = parts[c];
		p += len;
		if (*p == '\t')
			p++;
	}
	bld_cli_table_add(t, row);
	bld_strv_free(parts);
	free(row);
}

void bld_cli_table_print(FILE *f, const struct bld_cli_table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(size_t));
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c + 1 < t->ncols; c++) {
			size_t len = strlen(t->cells[r * t->ncols + c]) + 3;
			if (len > w[c])
				w[c] = len;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			if (c + 1 < t->ncols)
				fprintf(f, "%-*s", (int)(w[c] < t->min_width ? t->min_width : w[c]),
					cell);
			else
				fprintf(f, "%s\n", cell);
		}
	}
	free(w);
}

void bld_cli_table_dispose(struct bld_cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

void bld_cli_inspect_print(const json_t *all, const char *fmt)
{
	size_t i;
	json_t *v;
	if (!fmt) {
		cleanup_free char *s = bld_json_dump_pretty(all);
		printf("%s\n", s);
		return;
	}
	if (!json_array_size(all))
		printf("\n"); /* docker's template over nothing */
	json_array_foreach(all, i, v) {
		cleanup_free char *s = bld_cli_template(fmt, v);
		printf("%s\n", s);
	}
}

int bld_cli_inspect_each(struct bld_ctx *ctx, struct bld_cli_args *a, const char *what,
			 int (*inspect)(struct bld_ctx *, const char *, json_t **,
					struct bld_error **))
{
	cleanup_json json_t *all = json_array();
	cleanup_strv char **errors = NULL;
	for (int i = 0; i < a->argc; i++) {
		json_t *v = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (inspect(ctx, a->argv[i], &v, &e) == 0) {
			json_array_append_new(all, v);
			continue;
		}
		cleanup_free char *line = e->code == BLD_E_NOTFOUND
						  ? xasprintf("No such %s: %s", what, a->argv[i])
						  : xstrdup(e->msg);
		bld_strv_push(&errors, line);
	}
	bld_cli_inspect_print(all, bld_cli_str(a, "format"));
	for (size_t i = 0; errors && errors[i]; i++)
		fprintf(stderr, "bld: %s\n", errors[i]);
	return errors ? 1 : 0;
}

const char *bld_cli_rows_template(const char *fmt, const char *dflt)
{
	const char *t = fmt && bld_str_has_prefix(fmt, "table") ? fmt + 5 + strspn(fmt + 5, " ")
							      : fmt;
	return t && *t ? t : dflt;
}

void bld_cli_rows_begin(struct bld_cli_rows *r, const char *fmt, const char *header)
{
	size_t cols = 1;
	for (const char *c = header; (c = strchr(c, '\t')); c++)
		cols++;
	bld_cli_table_init(&r->t, cols);
	r->table = !fmt || bld_str_has_prefix(fmt, "table");
	if (r->table)
		bld_cli_table_add_tabbed(&r->t, header);
}

void bld_cli_rows_add(struct bld_cli_rows *r, const char *line)
{
	if (r->table)
		bld_cli_table_add_tabbed(&r->t, line);
	else
		printf("%s\n", line);
}

void bld_cli_rows_end(struct bld_cli_rows *r)
{
	if (r->table)
		bld_cli_table_print(stdout, &r->t);
	bld_cli_table_dispose(&r->t);
}

int bld_cli_trust_keys(struct bld_cli_args *a, struct bld_registry_trust_key ***keys, size_t *n,
		       struct bld_error **err)
{
	char *const *paths = bld_cli_list(a, "key");
	*n = bld_strv_len(paths);
	*keys = xcalloc(*n + 1, sizeof(**keys));
	for (size_t i = 0; i < *n; i++)
		if (bld_registry_trust_key_load_public(&(*keys)[i], paths[i], err) < 0)
			return -1;
	return 0;
}

void bld_cli_trust_keys_free(struct bld_registry_trust_key **keys)
{
	for (size_t i = 0; keys && keys[i]; i++)
		bld_registry_trust_key_free(keys[i]);
	free(keys);
}

int bld_cli_timestamp(const char *s, int64_t *ns)
{
	return bld_parser_timestamp(s, (int64_t)time(NULL), ns);
}
