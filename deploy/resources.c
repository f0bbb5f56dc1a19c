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

static void push_kv(char ***v, const char *k, const char *val)
{
	cleanup_free char *kv = xasprintf("%s=%s", k, val);
	bld_strv_push(v, kv);
}

static int create_volume(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *key,
			 const char *name, const json_t *vol, struct bld_error **err)
{
	cleanup_strv char **labels = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(vol, "labels"), k, v)
		push_kv(&labels, k, json_string_value(v));
	cleanup_strv char **opts = NULL;
	json_object_foreach(json_object_get(vol, "driver_opts"), k, v)
		push_kv(&opts, k, json_string_value(v));
	cleanup_free char *p = xasprintf("%s=%s", BLD_DEPLOY_L_PROJECT, t->name);
	cleanup_free char *vl = xasprintf("%s=%s", BLD_DEPLOY_L_VOLUME, key);
	cleanup_free char *ver = xasprintf("%s=%s", BLD_DEPLOY_L_VERSION, BLD_DEPLOY_COMPOSE_VERSION);
	bld_strv_push(&labels, p);
	bld_strv_push(&labels, vl);
	bld_strv_push(&labels, ver);
	cleanup_free char *what = xasprintf("Volume \"%s\"", name);
	bld_deploy_event(ctx, what, "Creating");
	cleanup_free char *out = NULL;
	if (bld_runner_volume_create_opts(ctx, name, labels, opts, &out, err) < 0) {
		bld_deploy_event(ctx, what, "Error");
		return -1;
	}
	bld_deploy_event(ctx, what, "Created");
	return 0;
}

/* What the store's volumes cannot be: another driver (docker: no such plugin). */
static int unsupported_volume(const char *name, const json_t *vol, struct bld_error **err)
{
	const char *drv = bld_json_get_str(vol, "driver");
	if (drv && strcmp(drv, "local") != 0)
		return bld_error_refuse(err, BLD_E_UNSUPPORTED,
					"create %s: error looking up volume plugin %s: plugin "
					"\"%s\" not found",
					name, drv, drv);
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
		if (unsupported_volume(name, vol, err) < 0 ||
		    create_volume(ctx, t, key, name, vol, err) < 0)
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

/* r of a removal: a thing already gone (another command removed it since it was listed)
 * counts as removed, as compose takes a 404; any other failure stays. */
static int gone_or_fail(int r, struct bld_error **err)
{
	if (r < 0 && (*err)->code == BLD_E_NOTFOUND) {
		bld_error_free(*err);
		*err = NULL;
		return 0;
	}
	return r;
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
		if (gone_or_fail(bld_runner_volume_remove(ctx, names[i], false, err), err) < 0) {
			bld_deploy_event(ctx, what, "Error");
			return -1;
		}
		bld_deploy_event(ctx, what, "Removed");
	}
	return 0;
}

/* ---------------------------------------------------------------------- networks */

/* Whether a service joins networks of the project (no network_mode of its own). */
static bool on_networks(const json_t *service)
{
	return !json_object_get(service, "network_mode");
}

/* The project's networks: its networks: section, and "default" when a service joins
 * networks without naming any (the normalisation adds it; a project loaded without it
 * still gets it). */
json_t *bld_deploy_networks(const struct bld_deploy_target *t)
{
	json_t *out = json_deep_copy(json_object_get(t->project, "networks"));
	if (!out)
		out = json_object();
	const char *svc;
	json_t *s;
	json_object_foreach(json_object_get(t->project, "services"), svc, s)
		if (on_networks(s) && !json_object_size(json_object_get(s, "networks")) &&
		    !json_object_get(out, "default"))
			json_object_set_new(out, "default", json_object());
	return out;
}

char *bld_deploy_network_name(const struct bld_deploy_target *t, const char *key)
{
	cleanup_json json_t *all = bld_deploy_networks(t);
	const char *n = bld_json_get_str(json_object_get(all, key), "name");
	return n ? xstrdup(n) : xasprintf("%s_%s", t->name, key);
}

/* Whether the network name, whose creation failed with err, was made by another command
 * (a compose up running beside this one) since this one looked for it: then err is
 * dropped, as when it had been there before. */
static bool made_beside(struct bld_ctx *ctx, const char *name, struct bld_error **err)
{
	cleanup_json json_t *have = NULL;
	cleanup_error struct bld_error *e = NULL;
	if ((*err)->code != BLD_E_EXISTS || bld_runner_network_load(ctx, name, &have, &e) < 0)
		return false;
	bld_error_free(*err);
	*err = NULL;
	return true;
}

static int create_network(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			  const char *key, const char *name, const json_t *n,
			  struct bld_error **err)
{
	cleanup_strv char **labels = NULL, **subnets = NULL, **gateways = NULL, **opts = NULL;
	cleanup_strv char **ranges = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(n, "labels"), k, v)
		push_kv(&labels, k, json_string_value(v));
	push_kv(&labels, BLD_DEPLOY_L_NETWORK, key);
	push_kv(&labels, BLD_DEPLOY_L_PROJECT, t->name);
	push_kv(&labels, BLD_DEPLOY_L_VERSION, BLD_DEPLOY_COMPOSE_VERSION);
	json_object_foreach(json_object_get(n, "driver_opts"), k, v)
		push_kv(&opts, k, json_string_value(v));
	json_t *cfg = json_object_get(json_object_get(n, "ipam"), "config");
	for (size_t i = 0; i < json_array_size(cfg); i++) {
		const char *sn = bld_json_get_str(json_array_get(cfg, i), "subnet");
		const char *gw = bld_json_get_str(json_array_get(cfg, i), "gateway");
		if (sn)
			bld_strv_push(&subnets, sn);
		const char *ipr = bld_json_get_str(json_array_get(cfg, i), "ip_range");
		if (gw)
			bld_strv_push(&gateways, gw);
		if (ipr)
			bld_strv_push(&ranges, ipr);
	}
	struct bld_runner_network_spec s = {
		.name = name, .driver = bld_json_get_str(n, "driver"), .subnets = subnets,
		.gateways = gateways, .ip_ranges = ranges, .labels = labels, .options = opts,
		.ipv6 = json_is_true(json_object_get(n, "enable_ipv6")),
		.internal = json_is_true(json_object_get(n, "internal")),
		.attachable = json_is_true(json_object_get(n, "attachable"))};
	cleanup_free char *what = xasprintf("Network %s", name);
	cleanup_free char *id = NULL;
	bld_deploy_event(ctx, what, "Creating");
	bld_test_point("compose-network");
	if (bld_runner_network_create(ctx, &s, &id, err) < 0 && !made_beside(ctx, name, err)) {
		bld_deploy_event(ctx, what, "Error");
		return bld_error_wrap(err, "network %s", name);
	}
	bld_deploy_event(ctx, what, "Created");
	return 0;
}

int bld_deploy_networks_ensure(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			       struct bld_error **err)
{
	cleanup_json json_t *all = bld_deploy_networks(t);
	const char *key;
	json_t *n;
	json_object_foreach(all, key, n) {
		cleanup_free char *name = bld_deploy_network_name(t, key);
		cleanup_json json_t *have = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_network_load(ctx, name, &have, &e) == 0)
			continue;
		if (json_is_true(json_object_get(n, "external")))
			return bld_error_refuse(err, BLD_E_NOTFOUND,
						"network %s declared as external, but could not be "
						"found",
						name);
		if (create_network(ctx, t, key, name, n, err) < 0)
			return -1;
	}
	return 0;
}

/* The store's networks labelled with the project, removed (after its containers). */
int bld_deploy_networks_remove(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			       struct bld_error **err)
{
	cleanup_free char *f = xasprintf("label=%s=%s", BLD_DEPLOY_L_PROJECT, t->name);
	char *filters[] = {f, NULL};
	cleanup_json json_t *nets = NULL;
	if (bld_runner_network_filter(ctx, filters, &nets, err) < 0)
		return -1;
	size_t i;
	json_t *n;
	json_array_foreach(nets, i, n) {
		const char *name = bld_json_get_str(n, "Name");
		cleanup_free char *what = xasprintf("Network %s", name);
		bld_deploy_event(ctx, what, "Removing");
		if (gone_or_fail(bld_runner_network_remove(ctx, bld_json_get_str(n, "Id"), err),
				 err) < 0) {
			bld_deploy_event(ctx, what, "Error");
			return -1;
		}
		bld_deploy_event(ctx, what, "Removed");
	}
	return 0;
}
