/*
 * runner/image.c — what a container takes from its image: the layer directories (through
 * cache/), and the config defaults Docker applies (Env merged with the user's, Entrypoint
 * and Cmd combined into Path/Args, WorkingDir, User, ExposedPorts for -P). With --rootfs a
 * plain directory stands in for an image with one layer and an empty config.
 *
 * It does not pull: an image that is not in the store is BLD_E_NOTFOUND.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <sys/stat.h>

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Env: the image's, then the user's (a user's KEY replaces the image's). */
static json_t *merge_env(json_t *img_env, char *const *user)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(img_env, i, v) {
		const char *e = json_string_value(v);
		size_t k = e ? strcspn(e, "=") : 0;
		bool overridden = false;
		for (size_t j = 0; e && user && user[j]; j++)
			if (strncmp(user[j], e, k) == 0 && (user[j][k] == '=' || user[j][k] == 0))
				overridden = true;
		if (e && !overridden)
			json_array_append(out, v);
	}
	for (size_t j = 0; user && user[j]; j++)
		json_array_append_new(out, json_string(user[j]));
	return out;
}

/* Path and Args from entrypoint + cmd, Docker's rules. */
static int command(json_t *doc, const struct bld_runner_container_config *c, json_t *icfg,
		   struct bld_error **err)
{
	cleanup_json json_t *ep = c->entrypoint_set
					  ? strv_json(c->entrypoint)
					  : json_incref(json_object_get(icfg, "Entrypoint"));
	cleanup_json json_t *cmd = c->cmd ? strv_json(c->cmd)
					  : (c->entrypoint_set ? json_array()
							       : json_incref(json_object_get(icfg, "Cmd")));
	cleanup_json json_t *all = json_array();
	if (json_is_array(ep))
		json_array_extend(all, ep);
	if (json_is_array(cmd))
		json_array_extend(all, cmd);
	if (json_array_size(all) == 0)
		return bld_error_set(err, BLD_E_INVALID, "no command specified");
	json_object_set(doc, "Path", json_array_get(all, 0));
	json_array_remove(all, 0);
	json_object_set_new(doc, "Args", steal_pointer(&all));
	return 0;
}

/* The image's layer directories (unpacked once by cache/) and its config. */
static int load_image(struct bld_ctx *ctx, const struct bld_runner_container_config *c,
		      json_t **icfg, json_t **lowers, char **image_id, struct bld_error **err)
{
	const char *ref = c->image_ref ? c->image_ref : c->image;
	struct bld_store *s = c->store;
	struct bld_cache_image *img = c->loaded;
	char **dirs = NULL;
	if (!s && bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	int r = img ? 0 : bld_cache_image_load(s, ref, &img, err);
	if (r == 0)
		r = bld_cache_image_layers(s, img, &dirs, err);
	if (r == 0) {
		json_t *cfg = json_object_get(img->config, "config");
		cleanup_json json_t *ic = json_is_object(cfg) ? json_deep_copy(cfg) : json_object();
		cleanup_json json_t *lw = json_array();
		for (size_t i = 0; dirs && dirs[i]; i++)
			json_array_append_new(lw, json_string(dirs[i]));
		if (json_array_size(lw) == 0) {
			r = bld_error_set(err, BLD_E_UNSUPPORTED, "image %s has no layers", ref);
		} else {
			*icfg = steal_pointer(&ic);
			*lowers = steal_pointer(&lw);
			*image_id = xstrdup(img->id);
		}
	}
	bld_strv_free(dirs);
	if (img != c->loaded)
		bld_cache_image_free(img);
	if (s != c->store)
		bld_cache_store_free(s);
	return r;
}

int bld_runner_image_resolve(struct bld_ctx *ctx, const struct bld_runner_container_config *c,
			     json_t **out, struct bld_error **err)
{
	cleanup_json json_t *icfg = NULL;
	cleanup_json json_t *lowers = NULL;
	cleanup_free char *image_id = NULL;
	if (c->rootfs) {
		struct stat st;
		if (stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
			return bld_error_set(err, BLD_E_NOTFOUND, "rootfs %s: not a directory",
					     c->rootfs);
		cleanup_free char *abs = realpath(c->rootfs, NULL);
		lowers = json_pack("[s]", abs);
		icfg = json_object();
		image_id = xstrdup("");
	} else if (load_image(ctx, c, &icfg, &lowers, &image_id, err) < 0) {
		return -1;
	}
	cleanup_json json_t *doc =
		json_pack("{s:s, s:o}", "ImageID", image_id, "Lowers", steal_pointer(&lowers));
	int r = command(doc, c, icfg, err);
	json_t *env = merge_env(json_object_get(icfg, "Env"), c->env);
	json_object_set_new(doc, "Env", env);
	const char *wd = bld_json_get_str(icfg, "WorkingDir");
	const char *user = bld_json_get_str(icfg, "User");
	json_object_set_new(doc, "ImageWorkingDir", json_string(wd ? wd : ""));
	json_object_set_new(doc, "ImageUser", json_string(user ? user : ""));
	json_t *exposed = json_object_get(icfg, "ExposedPorts");
	json_object_set_new(doc, "ImageExposedPorts", exposed ? json_incref(exposed) : json_object());
	json_t *ss = json_object_get(icfg, "StopSignal");
	json_object_set_new(doc, "ImageStopSignal", ss ? json_incref(ss) : json_string(""));
	json_t *hc = NULL;
	if (r == 0)
		r = bld_runner_health_config(&hc, json_object_get(icfg, "Healthcheck"), &c->health, err);
	if (hc)
		json_object_set_new(doc, "Healthcheck", hc);
	if (r < 0)
		return r;
	*out = steal_pointer(&doc);
	return 0;
}
