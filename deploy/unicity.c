/*
 * deploy/unicity.c — compose-go's EnforceUnicity: after a merge, sequences whose items have a
 * key (a port, a mount target, the KEY of "KEY=VALUE") keep one item per key: the later one,
 * in the earlier one's place. The keys are only compared, never shown, so a port's key need
 * not be spelled as compose-go spells it, only told apart the same way.
 */
#include <ctype.h>

#include "deploy/deploy_int.h"

typedef int (*indexer)(const json_t *v, const char *dflt, char **key);

/* "KEY=VALUE" and "KEY" by KEY. */
static int kv_index(const json_t *v, const char *dflt, char **key)
{
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	*key = xstrndup(s, strcspn(s, "="));
	return 0;
}

/* The target of a short volume ("src:dst:mode", "dst"): colons inside ${...} and after a
 * one-letter drive do not split. */
static char *volume_target(const char *spec)
{
	if (strlen(spec) <= 2)
		return xstrdup(spec);
	char *fields[3] = {NULL, NULL, NULL};
	size_t nf = 0, start = 0;
	int depth = 0;
	for (size_t i = 0;; i++) {
		char c = spec[i];
		depth += c == '$' && spec[i + 1] == '{';
		depth -= c == '}' && depth > 0;
		bool drive = c == ':' && i - start == 1 && isalpha((unsigned char)spec[start]);
		if ((c == ':' && depth == 0 && !drive) || c == '\0') {
			if (nf < 3)
				fields[nf++] = xstrndup(spec + start, i - start);
			start = i + 1;
		}
		if (!c)
			break;
	}
	char *t = xstrdup(nf >= 2 ? fields[1] : fields[0]);
	for (size_t i = 0; i < nf; i++)
		free(fields[i]);
	return t;
}

static int volume_index(const json_t *v, const char *dflt, char **key)
{
	if (json_is_string(v)) {
		*key = volume_target(json_string_value(v));
		return 0;
	}
	const char *t = bld_json_get_str(v, "target");
	if (!t)
		return -1;
	*key = xstrdup(t);
	return 0;
}

static int device_index(const json_t *v, const char *dflt, char **key)
{
	if (!json_is_string(v))
		return volume_index(v, dflt, key);
	const char *s = json_string_value(v), *colon = strchr(s, ':');
	*key = colon ? xstrndup(colon + 1, strcspn(colon + 1, ":")) : xstrdup(s);
	return 0;
}

static int expose_index(const json_t *v, const char *dflt, char **key)
{
	if (json_is_integer(v))
		*key = xasprintf("%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		*key = xstrdup(json_string_value(v));
	else
		return -1;
	return 0;
}

/* A secret or config: its target, else <dflt>/<source>. */
static int mount_index(const json_t *v, const char *dflt, char **key)
{
	if (json_is_string(v))
		*key = xasprintf("%s/%s", dflt, json_string_value(v));
	else if (bld_json_get_str(v, "target"))
		*key = xstrdup(bld_json_get_str(v, "target"));
	else if (json_is_object(v))
		*key = xasprintf("%s/%s", dflt, bld_json_get_str(v, "source") ?: "");
	else
		return -1;
	return 0;
}

static int port_index(const json_t *v, const char *dflt, char **key)
{
	if (json_is_integer(v) || json_is_string(v))
		return expose_index(v, dflt, key);
	if (!json_is_object(v) || !json_object_get(v, "target"))
		return -1;
	const char *host = bld_json_get_str(v, "host_ip"), *proto = bld_json_get_str(v, "protocol");
	cleanup_free char *pub = json_dumps(json_object_get(v, "published"), JSON_ENCODE_ANY);
	cleanup_free char *target = json_dumps(json_object_get(v, "target"), JSON_ENCODE_ANY);
	*key = xasprintf("%s:%s:%s/%s", host ? host : "0.0.0.0", pub ? pub : "", target,
			 proto ? proto : "tcp");
	return 0;
}

static int env_file_index(const json_t *v, const char *dflt, char **key)
{
	const char *s = json_is_string(v) ? json_string_value(v) : bld_json_get_str(v, "path");
	if (!s)
		return -1;
	*key = xstrdup(s);
	return 0;
}

static const struct {
	const char *pattern;
	indexer fn;
	const char *dflt;
} unique[] = {
	{"networks.*.labels", kv_index, NULL},
	{"networks.*.ipam.options", kv_index, NULL},
	{"services.*.annotations", kv_index, NULL},
	{"services.*.build.args", kv_index, NULL},
	{"services.*.build.additional_contexts", kv_index, NULL},
	{"services.*.build.platform", kv_index, NULL},
	{"services.*.build.tags", kv_index, NULL},
	{"services.*.build.labels", kv_index, NULL},
	{"services.*.cap_add", kv_index, NULL},
	{"services.*.cap_drop", kv_index, NULL},
	{"services.*.configs", mount_index, ""},
	{"services.*.deploy.labels", kv_index, NULL},
	{"services.*.dns", kv_index, NULL},
	{"services.*.dns_opt", kv_index, NULL},
	{"services.*.dns_search", kv_index, NULL},
	{"services.*.environment", kv_index, NULL},
	{"services.*.env_file", env_file_index, NULL},
	{"services.*.expose", expose_index, NULL},
	{"services.*.labels", kv_index, NULL},
	{"services.*.links", kv_index, NULL},
	{"services.*.networks.*.aliases", kv_index, NULL},
	{"services.*.networks.*.link_local_ips", kv_index, NULL},
	{"services.*.ports", port_index, NULL},
	{"services.*.profiles", kv_index, NULL},
	{"services.*.secrets", mount_index, "/run/secrets"},
	{"services.*.sysctls", kv_index, NULL},
	{"services.*.tmpfs", kv_index, NULL},
	{"services.*.volumes", volume_index, NULL},
	{"services.*.devices", device_index, NULL},
};

static int dedupe(json_t *seq, indexer fn, const char *dflt, struct bld_deploy_path *p,
		  struct bld_error **err)
{
	cleanup_json json_t *out = json_array();
	cleanup_json json_t *keys = json_object(); /* key -> index in out */
	for (size_t i = 0; i < json_array_size(seq); i++) {
		json_t *item = json_array_get(seq, i);
		cleanup_free char *key = NULL;
		if (fn(item, dflt, &key) < 0) {
			cleanup_free char *path = bld_deploy_path_dotted(p);
			return bld_error_set(err, BLD_E_INVALID, "%s.[%zu]: unexpected value", path, i);
		}
		json_t *at = json_object_get(keys, key);
		if (at) {
			json_array_set(out, (size_t)json_integer_value(at), item);
			continue;
		}
		json_object_set_new(keys, key, json_integer((json_int_t)json_array_size(out)));
		json_array_append(out, item);
	}
	json_array_clear(seq);
	json_array_extend(seq, out);
	return 0;
}

static int walk(json_t *v, struct bld_deploy_path *p, struct bld_error **err)
{
	if (json_is_array(v)) {
		for (size_t i = 0; i < BLD_ARRAY_SIZE(unique); i++)
			if (bld_deploy_path_match(p, unique[i].pattern))
				return dedupe(v, unique[i].fn, unique[i].dflt, p, err);
		return 0;
	}
	const char *k;
	json_t *m;
	json_object_foreach(v, k, m) {
		bld_deploy_path_enter(p, k);
		int r = walk(m, p, err);
		bld_deploy_path_leave(p);
		if (r < 0)
			return r;
	}
	return 0;
}

int bld_deploy_unicity(json_t *doc, struct bld_error **err)
{
	struct bld_deploy_path p = {.n = 0};
	return walk(doc, &p, err);
}
