/*
 * deploy/validate.c — what compose-go refuses in a compose document, in two passes. Before
 * normalisation (the document as merged and interpolated): the schema (schema.c), then the
 * values the schema lets through as strings, durations and byte sizes. After normalisation
 * (the model): compose-go's consistency checks (checkConsistency: references to undefined
 * services, networks, volumes, secrets and configs, exclusive attributes) and depends_on
 * cycles. Each failure is BLD_E_INVALID in compose-go's words with the location of the
 * offending node as a list of keys, so that the loader can name its file and line; what bld
 * cannot honour on one machine (swarm-only attributes) is warned about with its location.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <string.h>

/* Where durations and byte sizes sit ("*": any service). */
static const char *const duration_paths[] = {
	"services.*.healthcheck.interval", "services.*.healthcheck.timeout",
	"services.*.healthcheck.start_period", "services.*.healthcheck.start_interval",
	"services.*.stop_grace_period", "services.*.deploy.restart_policy.delay",
	"services.*.deploy.restart_policy.window", "services.*.deploy.update_config.delay",
	"services.*.deploy.update_config.monitor", "services.*.deploy.rollback_config.delay",
	"services.*.deploy.rollback_config.monitor",
};
static const char *const bytes_paths[] = {
	"services.*.mem_limit", "services.*.mem_reservation", "services.*.memswap_limit",
	"services.*.shm_size", "services.*.build.shm_size",
	"services.*.deploy.resources.limits.memory",
	"services.*.deploy.resources.reservations.memory",
};
/* Attributes that only a swarm gives meaning to: warned about, then ignored. */
static const char *const swarm_paths[] = {
	"services.*.deploy.placement", "services.*.deploy.update_config",
	"services.*.deploy.rollback_config", "services.*.deploy.endpoint_mode",
	"services.*.credential_spec", "services.*.isolation",
};

/* Attributes with meaning on one machine that bld does not honour yet: warned about, then
 * ignored (tests/fixtures/compose/README.md says why for each). */
static const char *const unhonoured_paths[] = {
	"services.*.links",	   "services.*.external_links",
	"services.*.storage_opt",  "services.*.gpus",
	"services.*.annotations",  "services.*.deploy.resources.reservations.devices",
	/* build: what the builder cannot do */
	"services.*.build.ulimits", "services.*.build.privileged",
	"services.*.build.entitlements", "services.*.build.isolation",
	"services.*.build.provenance", "services.*.build.sbom",
};

static json_t *where_of(const char *svc, const char *path)
{
	json_t *w = json_array();
	cleanup_strv char **segs = bld_deploy_split(path, '.');
	for (size_t i = 0; segs[i]; i++)
		json_array_append_new(w, json_string(strcmp(segs[i], "*") ? segs[i] : svc));
	return w;
}

/* The node at path under doc for service svc ("*" in path), or NULL. */
static const json_t *node_at(const json_t *doc, const char *svc, const char *path)
{
	cleanup_strv char **segs = bld_deploy_split(path, '.');
	const json_t *v = doc;
	for (size_t i = 0; v && segs[i]; i++)
		v = json_object_get(v, strcmp(segs[i], "*") ? segs[i] : svc);
	return v;
}

static int check_value(const json_t *v, bool duration, const char *svc, const char *path,
		       json_t **where, struct bld_error **err)
{
	cleanup_free char *t = bld_deploy_scalar_text(v);
	int64_t n = 0;
	if (!t || (duration ? bld_deploy_duration_parse(t, &n) : bld_deploy_bytes_parse(t, &n)) == 0)
		return 0;
	cleanup_json json_t *w = where_of(svc, path);
	cleanup_free char *at = bld_deploy_path_text(w);
	if (where)
		*where = steal_pointer(&w);
	if (duration)
		return bld_error_set(err, BLD_E_INVALID, "%s: time: invalid duration \"%s\"", at, t);
	return bld_error_set(err, BLD_E_INVALID, "%s: invalid size: '%s'", at, t);
}

static int check_units(const json_t *doc, const char *svc, json_t **where,
		       struct bld_error **err)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(duration_paths); i++) {
		const json_t *v = node_at(doc, svc, duration_paths[i]);
		if (v && check_value(v, true, svc, duration_paths[i], where, err) < 0)
			return -BLD_E_INVALID;
	}
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bytes_paths); i++) {
		const json_t *v = node_at(doc, svc, bytes_paths[i]);
		if (v && check_value(v, false, svc, bytes_paths[i], where, err) < 0)
			return -BLD_E_INVALID;
	}
	return 0;
}

/* The short syntaxes normalisation parses (ports, volumes, devices), checked here where the
 * location is still known. */
static int check_syntax(const json_t *svc, const char *name, json_t **where,
			struct bld_error **err)
{
	static const char *const attrs[] = {"ports", "volumes", "devices"};
	for (size_t a = 0; a < BLD_ARRAY_SIZE(attrs); a++) {
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(svc, attrs[a]), i, e) {
			cleanup_json json_t *out = json_array();
			json_t *one = NULL;
			cleanup_free char *spec = json_is_object(e) ? NULL : bld_deploy_scalar_text(e);
			int r = !spec ? 0
				: a == 0 ? bld_deploy_port_parse(out, spec, err)
				: a == 1 ? bld_deploy_volume_parse(&one, spec, err)
					 : bld_deploy_device_parse(&one, spec, err);
			json_decref(one);
			if (r == 0)
				continue;
			cleanup_free char *idx = xasprintf("%zu", i);
			if (where)
				*where = json_pack("[s, s, s, s]", "services", name, attrs[a], idx);
			return bld_error_wrap(err, "services.%s.%s.%zu", name, attrs[a], i);
		}
	}
	return 0;
}

static void warn_paths(const json_t *doc, const char *svc, const char *const *paths, size_t n,
		       const char *why, bld_deploy_warn_fn warn, void *payload)
{
	for (size_t i = 0; i < n; i++) {
		if (!node_at(doc, svc, paths[i]))
			continue;
		cleanup_json json_t *w = where_of(svc, paths[i]);
		cleanup_free char *at = bld_deploy_path_text(w);
		cleanup_free char *msg = xasprintf("%s: not supported by bld%s, ignored", at, why);
		warn(w, msg, payload);
	}
}

static void warn_at(json_t *w, bld_deploy_warn_fn warn, void *payload)
{
	cleanup_free char *at = bld_deploy_path_text(w);
	cleanup_free char *msg = xasprintf("%s: not supported by bld, ignored", at);
	warn(w, msg, payload);
	json_decref(w);
}

/* What bld does not honour inside a service's networks and volumes entries. */
static void warn_entries(const char *svc, const json_t *s, bld_deploy_warn_fn warn,
			 void *payload)
{
	static const char *const net_keys[] = {"link_local_ips", "driver_opts"};
	static const char *const vol_keys[][2] = {{"volume", "subpath"}};
	const char *n;
	json_t *e;
	json_object_foreach(json_object_get(s, "networks"), n, e)
		for (size_t k = 0; k < BLD_ARRAY_SIZE(net_keys); k++)
			if (json_object_get(e, net_keys[k]))
				warn_at(json_pack("[s, s, s, s, s]", "services", svc, "networks", n,
						  net_keys[k]), warn, payload);
	size_t i;
	json_array_foreach(json_object_get(s, "volumes"), i, e)
		for (size_t k = 0; k < BLD_ARRAY_SIZE(vol_keys); k++) {
			if (!json_object_get(json_object_get(e, vol_keys[k][0]), vol_keys[k][1]))
				continue;
			cleanup_free char *idx = xasprintf("%zu", i);
			warn_at(json_pack("[s, s, s, s, s, s]", "services", svc, "volumes", idx,
					  vol_keys[k][0], vol_keys[k][1]), warn, payload);
		}
}

/* A network's ipam beyond its config: reserved addresses, another driver, options. */
static void warn_ipam(const json_t *doc, bld_deploy_warn_fn warn, void *payload)
{
	static const char *const keys[] = {"driver", "options"};
	const char *n;
	json_t *net;
	json_object_foreach(json_object_get(doc, "networks"), n, net) {
		const json_t *ipam = json_object_get(net, "ipam");
		const json_t *cfg;
		size_t i;
		json_array_foreach(json_object_get(ipam, "config"), i, cfg) {
			if (!json_object_get(cfg, "aux_addresses"))
				continue;
			cleanup_free char *idx = xasprintf("%zu", i);
			warn_at(json_pack("[s, s, s, s, s, s]", "networks", n, "ipam", "config",
					  idx, "aux_addresses"), warn, payload);
		}
		const char *drv = bld_json_get_str(ipam, "driver");
		for (size_t k = 0; k < BLD_ARRAY_SIZE(keys); k++)
			if (json_object_get(ipam, keys[k]) &&
			    (k > 0 || !drv || strcmp(drv, "default")))
				warn_at(json_pack("[s, s, s, s]", "networks", n, "ipam", keys[k]),
					warn, payload);
	}
}

void bld_deploy_swarm_warnings(const json_t *doc, bld_deploy_warn_fn warn, void *payload)
{
	const char *svc;
	json_t *s;
	json_object_foreach(json_object_get(doc, "services"), svc, s) {
		warn_paths(doc, svc, swarm_paths, BLD_ARRAY_SIZE(swarm_paths),
			   " on one machine (a swarm attribute)", warn, payload);
		warn_paths(doc, svc, unhonoured_paths, BLD_ARRAY_SIZE(unhonoured_paths), "",
			   warn, payload);
		warn_entries(svc, s, warn, payload);
	}
	warn_ipam(doc, warn, payload);
}

int bld_deploy_validate_document(const json_t *doc, json_t **where, struct bld_error **err)
{
	if (bld_deploy_schema_check(doc, where, err) < 0)
		return -BLD_E_INVALID;
	const char *svc;
	json_t *s;
	json_object_foreach(json_object_get(doc, "services"), svc, s) {
		if (check_units(doc, svc, where, err) < 0 || check_syntax(s, svc, where, err) < 0)
			return -BLD_E_INVALID;
	}
	return 0;
}
