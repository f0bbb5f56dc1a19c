/*
 * deploy/relpaths.c — relative paths of a compose document made absolute against the directory
 * they are relative to, as compose-go's paths.ResolveRelativePaths does: build contexts
 * (not git or other URLs), additional contexts, env_file and label_file, extends.file, bind
 * sources (long form, and the short "./src:dst" form, which is a bind when it starts with
 * '.', '/' or '~'), configs and secrets files, a local volume's bind device.
 *
 * It runs on each document set that has its own directory (the project, an included
 * project, a file a service extends), so that a value keeps the meaning it had where it was
 * written. "~" is the user's home directory.
 */
#include "deploy/deploy_int.h"

struct pr {
	const char *base;
	const char *home;
};

/* p made absolute (a new string), "~" expanded. */
static char *abs_of(const struct pr *r, const char *p)
{
	if (p[0] == '~' && (p[1] == '/' || !p[1]) && r->home)
		return xasprintf("%s%s", r->home, p + 1);
	if (!*p)
		return xstrdup(p);
	return bld_deploy_abs_path(r->base, p);
}

static void set_abs(const struct pr *r, json_t *obj, const char *key)
{
	const char *v = bld_json_get_str(obj, key);
	if (!v)
		return;
	cleanup_free char *a = abs_of(r, v);
	json_object_set_new(obj, key, json_string(a));
}

static bool remote_context(const char *v)
{
	static const char *const prefixes[] = {"https://", "http://", "git://", "ssh://",
					       "github.com/", "git@", "service:"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(prefixes); i++)
		if (bld_str_has_prefix(v, prefixes[i]))
			return true;
	return strstr(v, "://") != NULL;
}

static json_t *context_path(const struct pr *r, json_t *v)
{
	if (!json_is_string(v) || remote_context(json_string_value(v)))
		return json_incref(v);
	cleanup_free char *a = abs_of(r, json_string_value(v));
	return json_string(a);
}

static void build_paths(const struct pr *r, json_t *svc)
{
	json_t *b = json_object_get(svc, "build");
	if (json_is_string(b)) {
		json_object_set_new(svc, "build", context_path(r, b));
		return;
	}
	if (!json_is_object(b))
		return;
	if (json_object_get(b, "context"))
		json_object_set_new(b, "context", context_path(r, json_object_get(b, "context")));
	const char *k;
	json_t *v;
	json_t *extra = json_object_get(b, "additional_contexts");
	json_object_foreach(extra, k, v)
		json_object_set_new(extra, k, context_path(r, v));
	size_t i;
	json_array_foreach(extra, i, v) { /* the list form: NAME=VALUE */
		const char *s = json_string_value(v), *eq = s ? strchr(s, '=') : NULL;
		if (!eq || remote_context(eq + 1))
			continue;
		cleanup_free char *a = abs_of(r, eq + 1);
		cleanup_free char *kv = xasprintf("%.*s=%s", (int)(eq - s), s, a);
		json_array_set_new(extra, i, json_string(kv));
	}
}

/* env_file and label_file: a string, a list of strings, or a list of {path: ...}. */
static void file_list(const struct pr *r, json_t *svc, const char *key)
{
	json_t *v = json_object_get(svc, key);
	if (json_is_string(v)) {
		set_abs(r, svc, key);
		return;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		if (json_is_object(e)) {
			set_abs(r, e, "path");
			continue;
		}
		if (!json_is_string(e))
			continue;
		cleanup_free char *a = abs_of(r, json_string_value(e));
		json_array_set_new(v, i, json_string(a));
	}
}

/* A short volume whose source is a path: "./src:dst:ro" -> "/abs/src:dst:ro". */
static json_t *short_volume(const struct pr *r, json_t *v)
{
	const char *s = json_string_value(v);
	const char *colon = strchr(s, ':');
	if (!colon || !strchr("./~", s[0]))
		return json_incref(v);
	cleanup_free char *src = xstrndup(s, (size_t)(colon - s));
	cleanup_free char *a = abs_of(r, src);
	cleanup_free char *spec = xasprintf("%s%s", a, colon);
	return json_string(spec);
}

static void volume_paths(const struct pr *r, json_t *svc)
{
	json_t *vols = json_object_get(svc, "volumes");
	for (size_t i = 0; i < json_array_size(vols); i++) {
		json_t *v = json_array_get(vols, i);
		if (json_is_string(v))
			json_array_set_new(vols, i, short_volume(r, v));
		else if (json_is_object(v) && bld_json_get_str(v, "type") &&
			 strcmp(bld_json_get_str(v, "type"), "bind") == 0)
			set_abs(r, v, "source");
	}
}

static void service_paths(const struct pr *r, json_t *svc)
{
	if (!json_is_object(svc))
		return;
	build_paths(r, svc);
	file_list(r, svc, "env_file");
	file_list(r, svc, "label_file");
	json_t *ext = json_object_get(svc, "extends");
	if (json_is_object(ext))
		set_abs(r, ext, "file");
	volume_paths(r, svc);
}

/* A local volume bound to a directory: driver_opts.device. */
static void top_volume_paths(const struct pr *r, json_t *vol)
{
	json_t *o = json_object_get(vol, "driver_opts");
	const char *drv = bld_json_get_str(vol, "driver"), *kind = bld_json_get_str(o, "o");
	if (drv && strcmp(drv, "local") == 0 && kind && strcmp(kind, "bind") == 0)
		set_abs(r, o, "device");
}

void bld_deploy_resolve_paths(json_t *doc, const char *base)
{
	struct pr r = {.base = base, .home = getenv("HOME")};
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(doc, "services"), k, v)
		service_paths(&r, v);
	json_object_foreach(json_object_get(doc, "configs"), k, v)
		if (json_is_object(v))
			set_abs(&r, v, "file");
	json_object_foreach(json_object_get(doc, "secrets"), k, v)
		if (json_is_object(v))
			set_abs(&r, v, "file");
	json_object_foreach(json_object_get(doc, "volumes"), k, v)
		if (json_is_object(v))
			top_volume_paths(&r, v);
}
