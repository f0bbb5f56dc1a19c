/*
 * deploy/norm_order.c — the shape compose-go's Go types give the model when they are
 * marshalled: the members of each struct in declaration order (which both `docker compose
 * config` outputs and the config hash follow), Go's omitempty (false, 0, "", empty lists and
 * maps and null dropped), except for the fields that are pointers (kept when set) or have no
 * omitempty, and OptOut fields (dropped when true). Members the tables do not name (x-
 * extensions) follow in their own order.
 *
 * A table entry is a key with an optional prefix: '*' a pointer or a field without omitempty
 * (kept whatever its value), '~' an OptOut bool (dropped when true).
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <string.h>

const char *const bld_deploy_order_service[] = {
	"profiles", "annotations", "*attach", "build", "develop", "blkio_config", "cap_add",
	"cap_drop", "cgroup_parent", "cgroup", "cpu_count", "cpu_percent", "cpu_period",
	"cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares", "command",
	"configs", "container_name", "credential_spec", "depends_on", "deploy",
	"device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "dockerfile",
	"domainname", "entrypoint", "provider", "environment", "env_file", "expose", "extends",
	"external_links", "extra_hosts", "group_add", "gpus", "hostname", "*healthcheck", "image",
	"*init", "ipc", "isolation", "labels", "label_file", "links", "logging", "log_driver",
	"log_opt", "mem_limit", "mem_reservation", "memswap_limit", "mem_swappiness",
	"mac_address", "models", "net", "network_mode", "networks", "oom_kill_disable",
	"oom_score_adj", "pid", "pids_limit", "platform", "ports", "privileged", "pull_policy",
	"read_only", "restart", "runtime", "*scale", "secrets", "security_opt", "shm_size",
	"stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty",
	"ulimits", "use_api_socket", "user", "userns_mode", "uts", "volume_driver", "volumes",
	"volumes_from", "working_dir", "pre_start", "post_start", "pre_stop", NULL};

const char *const bld_deploy_order_build[] = {
	"context", "dockerfile", "dockerfile_inline", "entitlements", "args", "provenance", "sbom",
	"ssh", "labels", "cache_from", "cache_to", "no_cache", "no_cache_filter",
	"additional_contexts", "pull", "extra_hosts", "isolation", "network", "target", "secrets",
	"shm_size", "tags", "ulimits", "platforms", "privileged", NULL};

const char *const bld_deploy_order_healthcheck[] = {
	"test", "timeout", "interval", "*retries", "start_period", "start_interval", "disable",
	NULL};

const char *const bld_deploy_order_port[] = {
	"name", "mode", "host_ip", "target", "published", "protocol", "app_protocol", NULL};

const char *const bld_deploy_order_device[] = {"source", "target", "permissions", NULL};

const char *const bld_deploy_order_volume[] = {
	"type", "source", "target", "read_only", "consistency", "*bind", "*volume", "*tmpfs",
	"*image", NULL};

const char *const bld_deploy_order_bind[] = {
	"selinux", "propagation", "~create_host_path", "recursive", NULL};

const char *const bld_deploy_order_file_ref[] = {"source", "target", "uid", "gid", "mode",
						 NULL};

const char *const bld_deploy_order_depends[] = {"condition", "restart", "*required", NULL};

const char *const bld_deploy_order_svc_network[] = {
	"aliases", "driver_opts", "gw_priority", "interface_name", "ipv4_address", "ipv6_address",
	"link_local_ips", "mac_address", "priority", NULL};

const char *const bld_deploy_order_deploy[] = {
	"mode", "*replicas", "labels", "update_config", "rollback_config", "resources",
	"restart_policy", "placement", "endpoint_mode", NULL};

const char *const bld_deploy_order_resources[] = {"limits", "reservations", NULL};

const char *const bld_deploy_order_resource[] = {"cpus", "memory", "pids", "devices",
						 "generic_resources", NULL};

const char *const bld_deploy_order_restart_policy[] = {"condition", "delay", "*max_attempts",
						       "window", NULL};

const char *const bld_deploy_order_logging[] = {"driver", "options", NULL};

const char *const bld_deploy_order_network[] = {
	"name", "driver", "driver_opts", "ipam", "external", "internal", "attachable", "labels",
	"*enable_ipv4", "*enable_ipv6", NULL};

const char *const bld_deploy_order_ipam[] = {"driver", "config", "options", NULL};

const char *const bld_deploy_order_volume_top[] = {"name", "driver", "driver_opts", "external",
						   "labels", NULL};

const char *const bld_deploy_order_file_object[] = {
	"name", "file", "environment", "content", "external", "labels", "driver", "driver_opts",
	"template_driver", NULL};

const char *const bld_deploy_order_ulimit[] = {"soft", "hard", NULL};

/* Go's omitempty: the zero value of the member's type. */
static bool is_empty(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE: return true;
	case JSON_STRING: return json_string_length(v) == 0;
	case JSON_INTEGER: return json_integer_value(v) == 0;
	case JSON_REAL: return json_real_value(v) == 0;
	case JSON_ARRAY: return json_array_size(v) == 0;
	case JSON_OBJECT: return json_object_size(v) == 0;
	default: return false;
	}
}

static bool in_table(const char *const *keys, const char *key)
{
	for (size_t i = 0; keys[i]; i++)
		if (!strcmp(keys[i] + (keys[i][0] == '*' || keys[i][0] == '~'), key))
			return true;
	return false;
}

json_t *bld_deploy_order(json_t *obj, const char *const *keys)
{
	if (!json_is_object(obj))
		return obj;
	json_t *out = json_object();
	for (size_t i = 0; keys[i]; i++) {
		char kind = keys[i][0] == '*' || keys[i][0] == '~' ? keys[i][0] : 0;
		const char *key = keys[i] + (kind != 0);
		json_t *v = json_object_get(obj, key);
		if (!v)
			continue;
		if (kind == '~' ? json_is_true(v) : kind != '*' && is_empty(v))
			continue;
		json_object_set(out, key, v);
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (!in_table(keys, key))
			json_object_set(out, key, v);
	}
	json_decref(obj);
	return out;
}

/* A member of obj reordered in place with its table (each item of it for a list). */
void bld_deploy_order_member(json_t *obj, const char *key, const char *const *keys)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_object(v)) {
		json_object_set_new(obj, key, bld_deploy_order(json_incref(v), keys));
		return;
	}
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
		json_array_set_new(v, i, bld_deploy_order(json_incref(e), keys));
}

/* Every value of the map obj[key] reordered with its table (ulimits, networks, depends_on). */
void bld_deploy_order_map_values(json_t *obj, const char *key, const char *const *keys)
{
	json_t *m = json_object_get(obj, key);
	const char *k;
	json_t *e;
	json_object_foreach(m, k, e) {
		if (json_is_object(e))
			json_object_set_new(m, k, bld_deploy_order(json_incref(e), keys));
	}
}

void bld_deploy_order_list(json_t *arr, const char *const *keys)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
		json_array_set_new(arr, i, bld_deploy_order(json_incref(e), keys));
}

void bld_deploy_order_map_values_of(json_t *map, const char *const *keys)
{
	const char *k;
	json_t *e;
	json_object_foreach(map, k, e) {
		if (json_is_object(e))
			json_object_set_new(map, k, bld_deploy_order(json_incref(e), keys));
	}
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

json_t *bld_deploy_sorted_strings(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = xmalloc((n + 1) * sizeof(json_t *));
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(json_t *), cmp_json_str);
	json_t *out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every object under v rebuilt with its keys sorted, as Go marshals maps. */
json_t *bld_deploy_sort_maps(json_t *v)
{
	size_t i, n = 0;
	const char *k;
	json_t *e;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			json_array_set_new(v, i, bld_deploy_sort_maps(json_incref(e)));
		return v;
	}
	if (!json_is_object(v))
		return v;
	const char **keys = xmalloc((json_object_size(v) + 1) * sizeof(char *));
	json_object_foreach(v, k, e)
		keys[n++] = k;
	qsort(keys, n, sizeof(char *), cmp_str);
	json_t *out = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(out, keys[i],
				    bld_deploy_sort_maps(json_incref(json_object_get(v, keys[i]))));
	free(keys);
	json_decref(v);
	return out;
}

json_t *bld_deploy_sort_top(json_t *obj)
{
	size_t n = 0;
	const char *k;
	json_t *e;
	const char **keys = xmalloc((json_object_size(obj) + 1) * sizeof(char *));
	json_object_foreach(obj, k, e)
		keys[n++] = k;
	qsort(keys, n, sizeof(char *), cmp_str);
	json_t *out = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(obj, keys[i]));
	free(keys);
	json_decref(obj);
	return out;
}
