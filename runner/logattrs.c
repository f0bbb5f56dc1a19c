/*
 * runner/logattrs.c — the "attrs" of a json-file log record, as docker's json-file driver
 * writes them: --log-opt labels= / labels-regex= (the container's labels named or matched),
 * env= / env-regex= (its environment's), and tag= (a template of the container's names:
 * {{.ID}}, {{.FullID}}, {{.Name}}, {{.ImageID}}, {{.ImageFullID}}, {{.ImageName}},
 * {{.DaemonName}}, {{.Command}}); and how `logs --details` prints them (sorted, values
 * URL-query escaped, comma-separated).
 *
 * A tag is a template of those fields and text only: Go's pipelines and functions are
 * refused, not half-run.
 */
#include "runner/runner_int.h"

#include <ctype.h>
#include <jansson.h>
#include <regex.h>

/* One {{.Field}} of the tag: its value, or NULL when docker's logger.Info has no such one. */
static char *tag_field(json_t *cfg, const char *f)
{
	const char *id = bld_json_get_str(cfg, "Id"), *name = bld_json_get_str(cfg, "Name");
	const char *img = bld_json_get_str(cfg, "ImageID");
	json_t *c = json_object_get(cfg, "Config");
	if (!strcmp(f, "ID"))
		return xstrndup(id ? id : "", 12);
	if (!strcmp(f, "FullID"))
		return xstrdup(id ? id : "");
	if (!strcmp(f, "Name"))
		return xstrdup(name ? name + (name[0] == '/') : "");
	if (!strcmp(f, "ImageID"))
		return xstrndup(img ? img : "", 12);
	if (!strcmp(f, "ImageFullID"))
		return xstrdup(img ? img : "");
	if (!strcmp(f, "ImageName"))
		return xstrdup(bld_json_get_str(c, "Image") ? bld_json_get_str(c, "Image") : "");
	if (!strcmp(f, "DaemonName"))
		return xstrdup("docker");
	return strcmp(f, "Command") ? NULL : bld_runner_command_text(cfg);
}

static int tag_expand(json_t *cfg, const char *tmpl, char **out, struct bld_error **err)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (const char *p = tmpl; *p;) {
		const char *open = strstr(p, "{{");
		if (!open) {
			bld_buf_adds(&b, p);
			break;
		}
		bld_buf_add(&b, p, (size_t)(open - p));
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			bld_buf_dispose(&b);
			return bld_error_set(err, BLD_E_INVALID, "failed to initialize logging driver: "
					     "template: log-tag:1: unclosed action");
		}
		cleanup_free char *f = xstrndup(open + 2, (size_t)(close - open - 2));
		char *name = f + strspn(f, " ");
		name[strcspn(name, " ")] = 0;
		cleanup_free char *v = name[0] == '.' ? tag_field(cfg, name + 1) : NULL;
		if (!v) {
			bld_buf_dispose(&b);
			return bld_error_set(err, BLD_E_INVALID,
					     "failed to initialize logging driver: template: "
					     "log-tag:1:%d: executing \"log-tag\" at <%s>: can't evaluate "
					     "field %s in type *logger.Info",
					     (int)(open - tmpl) + 2, name, name + (name[0] == '.'));
		}
		bld_buf_adds(&b, v);
		p = close + 2;
	}
	*out = bld_buf_detach(&b);
	return 0;
}

/* Whether key is in the comma-separated list, or matches the regex (either may be NULL). */
static bool wanted(const char *key, const char *list, regex_t *re)
{
	if (re && regexec(re, key, 0, NULL, 0) == 0)
		return true;
	size_t n = strlen(key);
	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
		if (strncmp(p, key, n) == 0 && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* The labels and environment variables the options name, into attrs. */
static int extra_attrs(json_t *cfg, json_t *opts, json_t *attrs, struct bld_error **err)
{
	json_t *c = json_object_get(cfg, "Config");
	static const char *const kinds[][2] = {{"labels", "labels-regex"}, {"env", "env-regex"}};
	for (size_t k = 0; k < 2; k++) {
		const char *list = bld_json_get_str(opts, kinds[k][0]);
		const char *rx = bld_json_get_str(opts, kinds[k][1]);
		regex_t re;
		if (rx && regcomp(&re, rx, REG_EXTENDED | REG_NOSUB) != 0)
			return bld_error_set(err, BLD_E_INVALID, "failed to initialize logging "
					     "driver: error parsing regexp: %s", rx);
		const char *key;
		json_t *v;
		size_t i;
		if (k == 0)
			json_object_foreach(json_object_get(c, "Labels"), key, v)
				if (wanted(key, list, rx ? &re : NULL))
					json_object_set(attrs, key, v);
		json_array_foreach(k == 1 ? json_object_get(c, "Env") : NULL, i, v) {
			cleanup_free char *kv = xstrdup(json_string_value(v));
			char *eq = strchr(kv, '=');
			if (eq && (*eq = 0, wanted(kv, list, rx ? &re : NULL)))
				json_object_set_new(attrs, kv, json_string(eq + 1));
		}
		if (rx)
			regfree(&re);
	}
	return 0;
}

int bld_runner_log_attrs(json_t *cfg, json_t **out, struct bld_error **err)
{
	json_t *opts = json_object_get(json_object_get(json_object_get(cfg, "HostConfig"),
						       "LogConfig"), "Config");
	const char *tag = bld_json_get_str(opts, "tag");
	*out = NULL;
	if (!tag && !json_object_get(opts, "labels") && !json_object_get(opts, "labels-regex") &&
	    !json_object_get(opts, "env") && !json_object_get(opts, "env-regex"))
		return 0;
	cleanup_json json_t *attrs = json_object();
	cleanup_free char *t = NULL;
	if (extra_attrs(cfg, opts, attrs, err) < 0 || (tag && tag_expand(cfg, tag, &t, err) < 0))
		return -1;
	if (t)
		json_object_set_new(attrs, "tag", json_string(t));
	*out = json_object_size(attrs) ? bld_runner_json_sorted(attrs) : NULL;
	return 0;
}

void bld_runner_log_details(FILE *f, json_t *attrs)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *key;
	json_t *v;
	bool first = true;
	json_object_foreach(attrs, key, v) {
		fprintf(f, "%s%s=", first ? "" : ",", key);
		first = false;
		/* Go's url.QueryEscape */
		for (const unsigned char *p = (const unsigned char *)json_string_value(v); p && *p;
		     p++) {
			if (isalnum(*p) || strchr("-_.~", *p))
				fputc(*p, f);
			else if (*p == ' ')
				fputc('+', f);
			else
				fprintf(f, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
		}
	}
	fputc(' ', f);
}
