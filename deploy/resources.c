/*
 * deploy/resources.c — a project's volumes in the store: each top-level volume made once,
 * named <project>_<key> (or its name:) and labelled as compose labels it; an external one
 * must exist. `down -v` removes the ones the project made, never an external one.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>

static bool volume_exists(struct bld_ctx *ctx, const char *name)
{
	cleanup_json json_t *v = NULL;
	cleanup_error struct bld_error *e = NULL;
	return bld_runner_volume_inspect(ctx, name, &v, &e) == 0;
}

static int create_volume(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *key,
			 const char *name, const json_t *vol, struct bld_error **err)
{
	cleanup_strv char **labels = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(vol, "labels"), k, v) {
		cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
		bld_strv_push(&labels, kv);
	}
	cleanup_free char *p = xasprintf("%s=%s", BLD_DEPLOY_L_PROJECT, t->name);
	cleanup_free char *vl = xasprintf("%s=%s", BLD_DEPLOY_L_VOLUME, key);
	cleanup_free char *ver = xasprintf("%s=%s", BLD_DEPLOY_L_VERSION, BLD_DEPLOY_COMPOSE_VERSION);
	bld_strv_push(&labels, p);
	bld_strv_push(&labels, vl);
	bld_strv_push(&labels, ver);
	cleanup_free char *what = xasprintf("Volume \"%s\"", name);
	bld_deploy_event(ctx, what, "Creating");
	cleanup_free char *out = NULL;
	if (bld_runner_volume_create(ctx, name, labels, &out, err) < 0) {
		bld_deploy_event(ctx, what, "Error");
		return -1;
	}
	bld_deploy_event(ctx, what, "Created");
	return 0;
}

int bld_deploy_volumes_ensure(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			      struct bld_error **err)
{
	const char *key;
	json_t *vol;
	json_object_foreach(json_object_get(t->project, "volumes"), key, vol) {
		cleanup_free char *dflt = xasprintf("%s_%s", t->name, key);
		const char *name = bld_json_get_str(vol, "name");
		if (!name)
			name = dflt;
		if (volume_exists(ctx, name))
			continue;
		if (json_is_true(json_object_get(vol, "external")))
			return bld_error_refuse(err, BLD_E_NOTFOUND,
						"external volume \"%s\" not found", name);
		if (create_volume(ctx, t, key, name, vol, err) < 0)
			return -1;
	}
	return 0;
}

/* Whether the store's volume name carries the project's label (made by it). */
static bool ours(struct bld_ctx *ctx, const char *project, const char *name)
{
	cleanup_json json_t *v = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_volume_inspect(ctx, name, &v, &e) < 0)
		return false;
	const char *p = bld_json_get_str(json_object_get(v, "Labels"), BLD_DEPLOY_L_PROJECT);
	return p && strcmp(p, project) == 0;
}

int bld_deploy_volumes_remove(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			      struct bld_error **err)
{
	cleanup_strv char **names = NULL;
	if (bld_runner_volume_list(ctx, &names, err) < 0)
		return -1;
	for (size_t i = 0; names && names[i]; i++) {
		if (!ours(ctx, t->name, names[i]))
			continue;
		cleanup_free char *what = xasprintf("Volume %s", names[i]);
		bld_deploy_event(ctx, what, "Removing");
		if (bld_runner_volume_remove(ctx, names[i], false, err) < 0) {
			bld_deploy_event(ctx, what, "Error");
			return -1;
		}
		bld_deploy_event(ctx, what, "Removed");
	}
	return 0;
}
