/*
 * deploy/normalize.c — a loaded, merged and interpolated compose document turned, in place,
 * into the model `docker compose config --format json` (v2) prints: `name` first, every
 * service in long form (norm_service.c), env_file folded into environment, the default
 * network given to the services that name none, networks/volumes/configs/secrets named
 * <project>_<key> unless external or named, their files absolute, maps sorted and structs in
 * compose-go's member order (norm_order.c). Validation comes before (validate.c); this file
 * assumes a document the schema accepts.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

/* Where each compose-go struct sits in the model: a path ("*" any key or item) and its table. */
static const struct {
	const char *path;
	const char *const *keys;
} struct_paths[] = {
	{"services.*", bld_deploy_order_service},
	{"services.*.build", bld_deploy_order_build},
	{"services.*.build.secrets.*", bld_deploy_order_file_ref},
	{"services.*.healthcheck", bld_deploy_order_healthcheck},
	{"services.*.ports.*", bld_deploy_order_port},
	{"services.*.devices.*", bld_deploy_order_device},
	{"services.*.volumes.*", bld_deploy_order_volume},
	{"services.*.volumes.*.bind", bld_deploy_order_bind},
	{"services.*.secrets.*", bld_deploy_order_file_ref},
	{"services.*.configs.*", bld_deploy_order_file_ref},
	{"services.*.depends_on.*", bld_deploy_order_depends},
	{"services.*.networks.*", bld_deploy_order_svc_network},
	{"services.*.deploy", bld_deploy_order_deploy},
	{"services.*.deploy.resources", bld_deploy_order_resources},
	{"services.*.deploy.resources.limits", bld_deploy_order_resource},
	{"services.*.deploy.resources.reservations", bld_deploy_order_resource},
	{"services.*.deploy.restart_policy", bld_deploy_order_restart_policy},
	{"services.*.logging", bld_deploy_order_logging},
	{"services.*.ulimits.*", bld_deploy_order_ulimit},
	{"networks.*", bld_deploy_order_network},
	{"networks.*.ipam", bld_deploy_order_ipam},
	{"volumes.*", bld_deploy_order_volume_top},
	{"secrets.*", bld_deploy_order_file_object},
	{"configs.*", bld_deploy_order_file_object},
};

static void order_at(json_t *v, char **segs, const char *const *keys);

/* Applies keys to what segs names under v (the member key of parent). */
static void order_walk(json_t *parent, const char *key, json_t *v, char **segs,
		       const char *const *keys)
{
	if (!*segs) {
		if (json_is_object(v) && json_is_object(parent))
			json_object_set_new(parent, key, bld_deploy_order(json_incref(v), keys));
		return;
	}
	order_at(v, segs, keys);
}

static void order_at(json_t *v, char **segs, const char *const *keys)
{
	size_t i;
	const char *k;
	json_t *e;
	void *tmp;
	if (strcmp(segs[0], "*")) {
		e = json_object_get(v, segs[0]);
		if (e)
			order_walk(v, segs[0], e, segs + 1, keys);
		return;
	}
	json_object_foreach_safe(v, tmp, k, e)
		order_walk(v, k, e, segs + 1, keys);
	json_array_foreach(v, i, e) {
		if (segs[1])
			order_at(e, segs + 1, keys);
		else if (json_is_object(e))
			json_array_set_new(v, i, bld_deploy_order(json_incref(e), keys));
	}
}

json_t *bld_deploy_model_order(json_t *doc)
{
	doc = bld_deploy_sort_maps(doc);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(struct_paths); i++) {
		cleanup_strv char **segs = bld_deploy_split(struct_paths[i].path, '.');
		order_at(doc, segs, struct_paths[i].keys);
	}
	static const char *const top[] = {"name", "*services", "networks", "volumes", "secrets",
					  "configs", "models", NULL};
	return bld_deploy_order(doc, top);
}


/* external: {name: X} into name: X and external: true (transformMaybeExternal). */
static int resource_external(json_t *r, const char *kind, const char *key,
			     struct bld_error **err)
{
	json_t *ext = json_object_get(r, "external");
	if (!json_is_object(ext))
		return 0;
	const char *extname = bld_json_get_str(ext, "name");
	const char *name = bld_json_get_str(r, "name");
	if (extname && name && strcmp(extname, name))
		return bld_error_set(err, BLD_E_INVALID, "%s.%s: name and external.name conflict;"
				     " only use name", kind, key);
	if (extname && !name)
		json_object_set_new(r, "name", json_string(extname));
	json_object_set_new(r, "external", json_true());
	return 0;
}

static int norm_resource(json_t *top, const char *kind, const char *key, json_t *r,
			 const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	r = json_is_object(r) ? r : json_object();
	json_object_set_new(top, key, r);
	if (resource_external(r, kind, key, err) < 0)
		return -BLD_E_INVALID;
	if (!json_object_get(r, "name")) {
		cleanup_free char *n = json_is_true(json_object_get(r, "external"))
					       ? xstrdup(key) : xasprintf("%s_%s", o->name, key);
		json_object_set_new(r, "name", json_string(n));
	}
	const char *file = bld_json_get_str(r, "file");
	if (file) {
		cleanup_free char *abs = bld_deploy_norm_abs(o, file);
		json_object_set_new(r, "file", json_string(abs));
	}
	if (json_object_get(r, "labels"))
		json_object_set_new(r, "labels", bld_deploy_to_labels(json_object_get(r, "labels")));
	if (json_object_get(r, "driver_opts"))
		json_object_set_new(r, "driver_opts",
				    bld_deploy_to_map(json_object_get(r, "driver_opts"), '='));
	return 0;
}

static int norm_resources(json_t *doc, const struct bld_deploy_norm_opts *o,
			  struct bld_error **err)
{
	static const char *const kinds[] = {"networks", "volumes", "secrets", "configs"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(kinds); i++) {
		json_t *top = json_object_get(doc, kinds[i]);
		const char *k;
		json_t *r;
		void *tmp;
		json_object_foreach_safe(top, tmp, k, r) {
			if (norm_resource(top, kinds[i], k, json_incref(r), o, err) < 0)
				return -BLD_E_INVALID;
		}
		if (top && json_object_size(top) == 0)
			json_object_del(doc, kinds[i]);
	}
	return 0;
}

/* normalizeNetworks: a service without networks (and no network_mode) joins "default". */
static void default_network(json_t *doc)
{
	bool used = false;
	const char *k;
	json_t *svc;
	json_object_foreach(json_object_get(doc, "services"), k, svc) {
		if (json_object_get(svc, "network_mode") || json_object_get(svc, "provider"))
			continue;
		json_t *nets = json_object_get(svc, "networks");
		if (!nets || json_object_size(nets) == 0)
			json_object_set_new(svc, "networks", json_pack("{s:n}", "default"));
		used = used || json_object_get(json_object_get(svc, "networks"), "default");
	}
	if (!used)
		return;
	if (!json_object_get(doc, "networks"))
		json_object_set_new(doc, "networks", json_object());
	json_t *top = json_object_get(doc, "networks");
	if (!json_object_get(top, "default"))
		json_object_set_new(top, "default", json_null());
}

/* The names a service uses of one top-level section. */
static void used_by(const json_t *svc, const char *section, json_t *used)
{
	const char *k;
	json_t *e;
	size_t i;
	if (!strcmp(section, "networks")) {
		json_object_foreach(json_object_get(svc, "networks"), k, e)
			json_object_set_new(used, k, json_true());
		return;
	}
	const json_t *lists[] = {json_object_get(svc, section),
				 !strcmp(section, "secrets")
					 ? json_object_get(json_object_get(svc, "build"), "secrets")
					 : NULL};
	for (size_t l = 0; l < 2; l++) {
		json_array_foreach(lists[l], i, e) {
			const char *type = bld_json_get_str(e, "type");
			const char *src = bld_json_get_str(e, "source");
			if (src && (!type || !strcmp(type, "volume")))
				json_object_set_new(used, src, json_true());
		}
	}
}

/* WithoutUnnecessaryResources: what no service uses is not part of the project. */
static void prune_unused(json_t *doc)
{
	static const char *const kinds[] = {"networks", "volumes", "secrets", "configs"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(kinds); i++) {
		json_t *top = json_object_get(doc, kinds[i]);
		cleanup_json json_t *used = json_object();
		const char *k;
		json_t *e;
		void *tmp;
		json_object_foreach(json_object_get(doc, "services"), k, e)
			used_by(e, kinds[i], used);
		json_object_foreach_safe(top, tmp, k, e) {
			if (!json_object_get(used, k))
				json_object_del(top, k);
		}
		if (top && json_object_size(top) == 0)
			json_object_del(doc, kinds[i]);
	}
}

int bld_deploy_normalize(json_t **doc, const struct bld_deploy_norm_opts *o,
			 struct bld_error **err)
{
	json_t *d = *doc;
	json_object_set_new(d, "name", json_string(o->name));
	json_object_del(d, "version"); /* obsolete; compose warns and drops it */
	json_object_del(d, "include"); /* the loader has merged what it names */
	if (!json_object_get(d, "services"))
		json_object_set_new(d, "services", json_object());
	const char *k;
	json_t *svc;
	json_object_foreach(json_object_get(d, "services"), k, svc) {
		if (bld_deploy_norm_service(svc, o, err) < 0)
			return bld_error_wrap(err, "services.%s", k);
	}
	default_network(d);
	prune_unused(d);
	if (norm_resources(d, o, err) < 0)
		return -BLD_E_INVALID;
	*doc = o->raw ? bld_deploy_sort_maps(d) : bld_deploy_model_order(d);
	return 0;
}
