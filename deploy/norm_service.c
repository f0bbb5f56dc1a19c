/*
 * deploy/norm_service.c — one service of a loaded compose document brought to the long form
 * `docker compose config` (v2, compose-go's canonical transforms, defaults, Normalize and
 * ResolveRelativePaths, then its types' marshalling) prints: every attribute in its long form,
 * defaults filled, durations and sizes as compose-go writes them, paths absolute, zero values
 * dropped (Go's omitempty). The key order is applied by normalize.c; what depends on other
 * services (implied depends_on, the default network) too.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

typedef int (*norm_fn)(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err);

static int norm_list(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	json_t *n = bld_deploy_str_or_list(*v);
	json_decref(*v);
	*v = n;
	return 0;
}

/* A list of strings whose numbers become strings (expose: "3000"). */
static int norm_strings(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	json_t *n = json_array();
	cleanup_json json_t *list = bld_deploy_str_or_list(*v);
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		char *t = bld_deploy_scalar_text(e);
		json_array_append_new(n, json_string(t ? t : ""));
		free(t);
	}
	json_decref(*v);
	*v = n;
	return 0;
}

static int norm_map(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	json_t *n = bld_deploy_to_map(*v, '=');
	json_decref(*v);
	*v = n;
	return 0;
}

static int norm_labels(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	json_t *n = bld_deploy_to_labels(*v);
	json_decref(*v);
	*v = n;
	return 0;
}

static int norm_command(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	if (!json_is_string(*v))
		return norm_strings(v, o, err);
	json_t *n = NULL;
	if (bld_deploy_shell_split(&n, json_string_value(*v), err) < 0)
		return -BLD_E_INVALID;
	json_decref(*v);
	*v = n;
	return 0;
}

static int norm_duration(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	if (o->raw)
		return 0;
	cleanup_free char *t = bld_deploy_scalar_text(*v);
	int64_t ns = 0;
	if (!t || bld_deploy_duration_parse(t, &ns) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid duration %s", t ? t : "null");
	cleanup_free char *go = bld_deploy_duration_format(ns);
	json_decref(*v);
	*v = json_string(go);
	return 0;
}

static int norm_bytes(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	if (o->raw)
		return 0;
	cleanup_free char *t = bld_deploy_scalar_text(*v);
	int64_t n = 0;
	if (!t || bld_deploy_bytes_parse(t, &n) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid size: '%s'", t ? t : "null");
	json_decref(*v);
	cleanup_free char *s = xasprintf("%lld", (long long)n);
	*v = json_string(s);
	return 0;
}

static int norm_cpus(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	if (o->raw)
		return 0;
	if (!json_is_string(*v))
		return 0;
	char *end = NULL;
	double d = strtod(json_string_value(*v), &end);
	if (end == json_string_value(*v) || *end)
		return bld_error_set(err, BLD_E_INVALID, "invalid cpus value %s",
				     json_string_value(*v));
	json_decref(*v);
	*v = json_real(d);
	return 0;
}


static bool is_remote_context(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "git@", 4) || !strncmp(s, "github.com/", 11);
}

static int norm_healthcheck(json_t **v, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err)
{
	static const char *const durations[] = {"timeout", "interval", "start_period",
						"start_interval"};
	json_t *test = json_object_get(*v, "test");
	if (json_is_string(test))
		json_object_set_new(*v, "test", json_pack("[s, O]", "CMD-SHELL", test));
	for (size_t i = 0; i < BLD_ARRAY_SIZE(durations); i++) {
		json_t *d = json_object_get(*v, durations[i]);
		if (!d)
			continue;
		json_incref(d);
		int r = norm_duration(&d, o, err);
		if (r < 0)
			return bld_error_wrap(err, "healthcheck.%s", durations[i]), r;
		json_object_set_new(*v, durations[i], d);
	}
	return 0;
}

/* The members of obj named in keys, each through fn. */
static int norm_members(json_t *obj, const char *const *keys, size_t n, norm_fn fn,
			const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_object_get(obj, keys[i]);
		if (!d)
			continue;
		json_incref(d);
		int r = fn(&d, o, err);
		json_object_set_new(obj, keys[i], d);
		if (r < 0)
			return bld_error_wrap(err, "%s", keys[i]);
	}
	return 0;
}

static int norm_ulimits(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	const char *k;
	json_t *e;
	json_object_foreach(*v, k, e) {
		if (!json_is_object(e))
			continue;
		json_t *l = json_object();
		if (json_object_get(e, "soft"))
			json_object_set(l, "soft", json_object_get(e, "soft"));
		if (json_object_get(e, "hard"))
			json_object_set(l, "hard", json_object_get(e, "hard"));
		json_object_set_new(*v, k, l);
	}
	return 0;
}

/* The long form of a secret or config reference; secrets default to /run/secrets/NAME. */
static json_t *file_mount(json_t *e, bool secret)
{
	json_t *m = json_is_string(e) ? json_pack("{s:O}", "source", e) : json_deep_copy(e);
	const char *src = bld_json_get_str(m, "source");
	if (secret && !json_object_get(m, "target") && src) {
		cleanup_free char *t = xasprintf("/run/secrets/%s", src);
		json_object_set_new(m, "target", json_string(t));
	}
	json_t *mode = json_object_get(m, "mode");
	if (json_is_integer(mode)) {
		cleanup_free char *t = xasprintf("0%llo", (unsigned long long)json_integer_value(mode));
		json_object_set_new(m, "mode", json_string(t));
	}
	return bld_deploy_order(m, bld_deploy_order_file_ref);
}

static int file_mounts(json_t **v, bool secret)
{
	json_t *n = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(*v, i, e)
		json_array_append_new(n, file_mount(e, secret));
	json_decref(*v);
	*v = n;
	return 0;
}

static int norm_secrets(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	return file_mounts(v, true);
}

static int norm_configs(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	return file_mounts(v, false);
}

static int norm_build(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	static const char *const maps[] = {"args", "additional_contexts"};
	static const char *const lists[] = {"cache_from", "cache_to", "tags", "platforms",
					    "no_cache_filter", "ssh"};
	if (json_is_string(*v)) {
		json_t *n = json_pack("{s:O}", "context", *v);
		json_decref(*v);
		*v = n;
	}
	json_t *b = *v;
	const char *ctx = bld_json_get_str(b, "context");
	cleanup_free char *abs = !ctx ? bld_deploy_norm_abs(o, ".")
			       : is_remote_context(ctx) ? xstrdup(ctx) : bld_deploy_norm_abs(o, ctx);
	json_object_set_new(b, "context", json_string(abs));
	if (!json_object_get(b, "dockerfile") && !json_object_get(b, "dockerfile_inline"))
		json_object_set_new(b, "dockerfile", json_string("Dockerfile"));
	if (norm_members(b, maps, BLD_ARRAY_SIZE(maps), norm_map, o, err) < 0 ||
	    norm_members(b, (const char *[]){"labels"}, 1, norm_labels, o, err) < 0 ||
	    norm_members(b, lists, BLD_ARRAY_SIZE(lists), norm_list, o, err) < 0 ||
	    norm_members(b, (const char *[]){"shm_size"}, 1, norm_bytes, o, err) < 0 ||
	    norm_members(b, (const char *[]){"secrets"}, 1, norm_secrets, o, err) < 0 ||
	    norm_members(b, (const char *[]){"ulimits"}, 1, norm_ulimits, o, err) < 0)
		return bld_error_wrap(err, "build");
	bld_deploy_resolve_args(json_object_get(b, "args"), o->env, false);
	*v = bld_deploy_order(b, bld_deploy_order_build);
	return 0;
}

static int norm_deploy(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	static const char *const rp_durations[] = {"delay", "window"};
	json_t *d = *v;
	json_t *res = json_object_get(d, "resources");
	const char *which[] = {"limits", "reservations"};
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_object_get(res, which[i]);
		if (norm_members(r, (const char *[]){"cpus"}, 1, norm_cpus, o, err) < 0 ||
		    norm_members(r, (const char *[]){"memory"}, 1, norm_bytes, o, err) < 0)
			return bld_error_wrap(err, "deploy.resources.%s", which[i]);
		bld_deploy_order_member(res, which[i], bld_deploy_order_resource);
	}
	bld_deploy_order_member(d, "resources", bld_deploy_order_resources);
	json_t *rp = json_object_get(d, "restart_policy");
	if (norm_members(rp, rp_durations, 2, norm_duration, o, err) < 0 ||
	    norm_members(d, (const char *[]){"labels"}, 1, norm_labels, o, err) < 0)
		return bld_error_wrap(err, "deploy");
	bld_deploy_order_member(d, "restart_policy", bld_deploy_order_restart_policy);
	*v = bld_deploy_order(d, bld_deploy_order_deploy);
	return 0;
}

static int norm_environment(json_t **v, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err)
{
	if (o->raw && json_is_array(*v)) {
		size_t i;
		json_t *e;
		json_array_foreach(*v, i, e) {
			const char *k = json_string_value(e);
			const char *val = k && !strchr(k, '=') ? bld_json_get_str(o->env, k) : NULL;
			cleanup_free char *kv = val ? xasprintf("%s=%s", k, val) : NULL;
			if (kv)
				json_array_set_new(*v, i, json_string(kv));
		}
		return 0;
	}
	if (o->raw) {
		bld_deploy_resolve_args(*v, o->env, true);
		return 0;
	}
	norm_map(v, o, err);
	bld_deploy_resolve_args(*v, o->env, true);
	return 0;
}

static int norm_pull_policy(json_t **v, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err)
{
	if (json_is_string(*v) && !strcmp(json_string_value(*v), "if_not_present")) {
		json_decref(*v);
		*v = json_string("missing");
	}
	return 0;
}

static int norm_logging(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	norm_members(*v, (const char *[]){"options"}, 1, norm_map, o, err);
	*v = bld_deploy_order(*v, bld_deploy_order_logging);
	return 0;
}

static int norm_health(json_t **v, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	if (norm_healthcheck(v, o, err) < 0)
		return -BLD_E_INVALID;
	*v = bld_deploy_order(*v, bld_deploy_order_healthcheck);
	return 0;
}

static const struct {
	const char *key;
	norm_fn fn;
	bool typed; /* done by compose-go's Go types, not its transforms: not when raw */
} service_attrs[] = {
	{"build", norm_build, false},
	{"cpus", norm_cpus, true},
	{"command", norm_command, true},
	{"entrypoint", norm_command, true},
	{"configs", norm_configs, false},
	{"secrets", norm_secrets, false},
	{"depends_on", bld_deploy_norm_depends_on, false},
	{"deploy", norm_deploy, true},
	{"devices", bld_deploy_norm_devices, false},
	{"dns", norm_list, false},
	{"dns_search", norm_list, true},
	{"tmpfs", norm_list, true},
	{"expose", norm_strings, true},
	{"group_add", norm_strings, true},
	{"environment", norm_environment, false},
	{"extra_hosts", bld_deploy_norm_extra_hosts, true},
	{"healthcheck", norm_health, true},
	{"labels", norm_labels, true},
	{"annotations", norm_map, true},
	{"sysctls", norm_map, true},
	{"logging", norm_logging, true},
	{"mem_limit", norm_bytes, true},
	{"mem_reservation", norm_bytes, true},
	{"memswap_limit", norm_bytes, true},
	{"mem_swappiness", norm_bytes, true},
	{"shm_size", norm_bytes, true},
	{"networks", bld_deploy_norm_networks, false},
	{"ports", bld_deploy_norm_ports, false},
	{"pull_policy", norm_pull_policy, false},
	{"stop_grace_period", norm_duration, true},
	{"ulimits", norm_ulimits, false},
	{"volumes", bld_deploy_norm_volumes, false},
};

/* depends_on entries implied by links, service: namespaces and volumes_from (Normalize). */
static void implied_depends(json_t *svc)
{
	static const char *const ns[] = {"network_mode", "ipc", "pid", "uts", "cgroup"};
	cleanup_json json_t *add = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(svc, "links"), i, e) {
		cleanup_strv char **f = bld_deploy_split(json_string_value(e), ':');
		json_object_set_new(add, f[0], json_pack("{s:s, s:b, s:b}", "condition",
							 "service_started", "restart", 1,
							 "required", 1));
	}
	for (i = 0; i < BLD_ARRAY_SIZE(ns); i++) {
		const char *ref = bld_json_get_str(svc, ns[i]);
		if (ref && !strncmp(ref, "service:", 8))
			json_object_set_new(add, ref + 8, json_pack("{s:s, s:b, s:b}", "condition",
								    "service_started", "restart",
								    1, "required", 1));
	}
	json_array_foreach(json_object_get(svc, "volumes_from"), i, e) {
		const char *s = json_string_value(e);
		if (!s || !strncmp(s, "container:", 10))
			continue;
		cleanup_strv char **f = bld_deploy_split(s, ':');
		json_object_set_new(add, f[0], json_pack("{s:s, s:b}", "condition",
							 "service_started", "required", 1));
	}
	if (json_object_size(add) == 0)
		return;
	if (!json_object_get(svc, "depends_on"))
		json_object_set_new(svc, "depends_on", json_object());
	json_object_update_missing(json_object_get(svc, "depends_on"), add);
	bld_deploy_order_map_values_of(json_object_get(svc, "depends_on"),
				       bld_deploy_order_depends);
}

/* env_file entries read in order, then environment on top; env_file itself dropped. */
int bld_deploy_norm_env_files(json_t *svc, const struct bld_deploy_norm_opts *o,
			      struct bld_error **err)
{
	json_t *files = json_object_get(svc, "env_file");
	if (!files || !o->read_env_file)
		return 0;
	cleanup_json json_t *list = bld_deploy_str_or_list(files);
	cleanup_json json_t *env = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *p = json_is_string(e) ? json_string_value(e) : bld_json_get_str(e, "path");
		json_t *req = json_object_get(e, "required");
		cleanup_free char *abs = bld_deploy_norm_abs(o, p ? p : "");
		struct stat st;
		if (stat(abs, &st) < 0 && (!req || json_is_true(req)))
			return bld_error_set(err, BLD_E_NOTFOUND, "env file %s not found: stat %s: "
					     "no such file or directory", abs, abs);
		cleanup_json json_t *vars = NULL;
		if (stat(abs, &st) == 0 && o->read_env_file(&vars, abs, o->env, err) < 0)
			return -BLD_E_INVALID;
		json_object_update(env, vars);
	}
	json_t *own = json_object_get(svc, "environment");
	const char *k;
	json_object_foreach(own, k, e) {
		if (!json_is_null(e) || !json_object_get(env, k))
			json_object_set(env, k, e);
	}
	json_object_set(svc, "environment", env);
	json_object_del(svc, "env_file");
	return 0;
}

int bld_deploy_norm_service(json_t *svc, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(service_attrs); i++) {
		json_t *v = json_object_get(svc, service_attrs[i].key);
		if (!v || json_is_null(v) || (o->raw && service_attrs[i].typed))
			continue;
		json_incref(v);
		int r = service_attrs[i].fn(&v, o, err);
		json_object_set_new(svc, service_attrs[i].key, v);
		if (r < 0)
			return bld_error_wrap(err, "%s", service_attrs[i].key);
	}
	implied_depends(svc);
	return bld_deploy_norm_env_files(svc, o, err);
}
