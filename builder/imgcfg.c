/*
 * builder/imgcfg.c — the image config a build produces, edited the way BuildKit's
 * dockerfile frontend edits it: the empty image of `FROM scratch` (PATH and WorkingDir "/"),
 * a base image's config taken over, Env entries replaced in place, Labels, ExposedPorts,
 * Volumes, Healthcheck, OnBuild, and one history entry per step with BuildKit's
 * created_by wording and comment.
 *
 * It works on jansson values only: no files, no store. Timestamps come from the caller
 * (SOURCE_DATE_EPOCH or the clock).
 */
#include "builder/builder_int.h"

#include <time.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

char *bld_builder_img_time(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

json_t *bld_builder_img_empty(const char *os, const char *arch)
{
	return json_pack("{s:s, s:s, s:{s:s, s:[]}, s:{s:[s], s:s}, s:[]}", "architecture", arch,
			 "os", os, "rootfs", "type", "layers", "diff_ids", "config", "Env",
			 DEFAULT_PATH, "WorkingDir", "/", "history");
}

json_t *bld_builder_img_from_base(const json_t *base)
{
	json_t *c = json_object();
	const char *keys[] = {"architecture", "os", "variant", "config", "rootfs", "history",
			      "author"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(base, keys[i]);
		if (v)
			json_object_set_new(c, keys[i], json_deep_copy(v));
	}
	if (!json_is_object(json_object_get(c, "config")))
		json_object_set_new(c, "config", json_object());
	if (!json_is_array(json_object_get(c, "history")))
		json_object_set_new(c, "history", json_array());
	return c;
}

json_t *bld_builder_img_conf(json_t *img)
{
	json_t *c = json_object_get(img, "config");
	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(img, "config", c);
	}
	return c;
}

/* The object member key of the config, created as an empty object when missing. */
static json_t *conf_obj(json_t *img, const char *key)
{
	json_t *c = bld_builder_img_conf(img);
	json_t *o = json_object_get(c, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(c, key, o);
	}
	return o;
}

const char *bld_builder_img_env_get(json_t *img, const char *name)
{
	json_t *env = json_object_get(bld_builder_img_conf(img), "Env");
	size_t i, n = strlen(name);
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, name, n) == 0 && s[n] == '=')
			return s + n + 1;
	}
	return NULL;
}

void bld_builder_img_env_set(json_t *img, const char *name, const char *value)
{
	json_t *c = bld_builder_img_conf(img);
	json_t *env = json_object_get(c, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(c, "Env", env);
	}
	cleanup_free char *kv = xasprintf("%s=%s", name, value);
	size_t i, n = strlen(name);
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, name, n) == 0 && s[n] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

char **bld_builder_img_env(json_t *img)
{
	char **v = NULL;
	json_t *env = json_object_get(bld_builder_img_conf(img), "Env");
	size_t i;
	json_t *x;
	json_array_foreach(env, i, x) {
		if (json_string_value(x))
			bld_strv_push(&v, json_string_value(x));
	}
	if (!v)
		v = xcalloc(1, sizeof(*v));
	return v;
}

void bld_builder_img_set_str(json_t *img, const char *key, const char *value)
{
	json_object_set_new(bld_builder_img_conf(img), key, json_string(value));
}

const char *bld_builder_img_get_str(json_t *img, const char *key)
{
	return json_string_value(json_object_get(bld_builder_img_conf(img), key));
}

void bld_builder_img_set_strv(json_t *img, const char *key, char *const *v)
{
	if (!v) {
		json_object_set_new(bld_builder_img_conf(img), key, json_null());
		return;
	}
	json_t *a = json_array();
	for (size_t i = 0; v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	json_object_set_new(bld_builder_img_conf(img), key, a);
}

char **bld_builder_img_get_strv(json_t *img, const char *key)
{
	json_t *a = json_object_get(bld_builder_img_conf(img), key);
	if (!json_is_array(a))
		return NULL;
	char **v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) {
		v[i] = xstrdup(json_string_value(x) ? json_string_value(x) : "");
	}
	return v;
}

void bld_builder_img_label(json_t *img, const char *k, const char *v)
{
	json_object_set_new(conf_obj(img, "Labels"), k, json_string(v));
}

void bld_builder_img_add_set(json_t *img, const char *key, const char *member)
{
	json_object_set_new(conf_obj(img, key), member, json_object());
}

void bld_builder_img_onbuild_add(json_t *img, const char *text)
{
	json_t *c = bld_builder_img_conf(img);
	json_t *a = json_object_get(c, "OnBuild");
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(c, "OnBuild", a);
	}
	json_array_append_new(a, json_string(text));
}

void bld_builder_img_history(json_t *img, const char *created, const char *created_by, bool empty)
{
	json_t *h = json_object_get(img, "history");
	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(img, "history", h);
	}
	json_t *e = json_pack("{s:s, s:s, s:s}", "created", created, "created_by", created_by,
			      "comment", "buildkit.dockerfile.v0");
	if (empty)
		json_object_set_new(e, "empty_layer", json_true());
	json_array_append_new(h, e);
}

const char *bld_builder_img_last_created(json_t *img)
{
	json_t *h = json_object_get(img, "history");
	size_t n = json_array_size(h);
	const char *c = n ? bld_json_get_str(json_array_get(h, n - 1), "created") : NULL;
	return c ? c : bld_json_get_str(img, "created");
}
