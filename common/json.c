/*
 * common/json.c — JSON through jansson: capped loading with positioned errors and the two
 * serialisations the project uses (canonical for content that is hashed, pretty for people),
 * and the cleanup attribute for owned jansson references (cleanup_json).
 */
#include "common/common.h"

#include <jansson.h>

int bld_json_load_buf(struct json_t **out, const void *data, size_t n, struct bld_error **err)
{
	json_error_t je;
	json_t *v = json_loadb(data, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!v) {
		/* jansson quotes the bytes it choked on as they are */
		cleanup_free char *text = bld_str_printable(je.text, sizeof(je.text));
		return bld_error_set(err, BLD_E_INVALID, "invalid json at line %d column %d: %s",
				     je.line, je.column, text);
	}
	*out = v;
	return 0;
}

int bld_json_load_file(struct json_t **out, const char *path, size_t max, struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	int r = bld_fs_read_file(path, max, &data, &len, err);
	if (r < 0)
		return r;
	if (bld_json_load_buf(out, data, len, err) < 0)
		return bld_error_wrap(err, "%s", path);
	return 0;
}

char *bld_json_dump_canonical(const struct json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s)
		abort();
	return s;
}

char *bld_json_dump_pretty(const struct json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(4) | JSON_ENCODE_ANY);
	if (!s)
		abort();
	return s;
}

json_t *bld_json_strv(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *bld_json_kv_object(char *const *kv)
{
	json_t *o = json_object();
	for (size_t i = 0; kv && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		cleanup_free char *k = eq ? xstrndup(kv[i], (size_t)(eq - kv[i])) : xstrdup(kv[i]);
		json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

char **bld_json_to_strv(const json_t *arr)
{
	char **v = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(arr, i, s)
		if (json_is_string(s))
			bld_strv_push(&v, json_string_value(s));
	return v;
}

const char *bld_json_get_str(const struct json_t *obj, const char *key)
{
	if (!json_is_object(obj))
		return NULL;
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

void bld_jsonp(json_t **v)
{
	if (*v)
		json_decref(*v);
}
