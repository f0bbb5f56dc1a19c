/*
 * runner/netfilter.c — `network ls --filter`: docker's keys (driver, id, label, name, scope,
 * type, dangling) over the networks as `network inspect` shows them. Values of one key are
 * alternatives, except label (every label filter must match, docker's MatchKVList); keys
 * combine with and. id and name are regular expressions matched anywhere (docker's Match);
 * driver and scope match exactly. dangling: no container on it (predefined networks are
 * never dangling). Refusals carry docker's words. Presentation (order, columns) is the CLI's.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <regex.h>

static const char *const keys[] = {"driver", "id", "label", "name", "scope", "type",
				   "dangling"};

static int check(char *const *filters, struct bld_error **err)
{
	for (size_t i = 0; filters && filters[i]; i++) {
		const char *f = filters[i];
		const char *eq = strchr(f, '=');
		bool known = false;
		if (!eq)
			return bld_error_refuse(err, BLD_E_INVALID,
						"bad format of filter (expected name=value)");
		for (size_t k = 0; k < BLD_ARRAY_SIZE(keys); k++)
			known = known || (strlen(keys[k]) == (size_t)(eq - f) &&
					  !strncmp(f, keys[k], (size_t)(eq - f)));
		if (!known)
			return bld_error_refuse(err, BLD_E_INVALID, "Invalid filter '%.*s'",
						(int)(eq - f), f);
		if (bld_str_has_prefix(f, "type=") && strcmp(eq + 1, "custom") &&
		    strcmp(eq + 1, "builtin"))
			return bld_error_refuse(err, BLD_E_INVALID, "invalid filter: 'type'='%s'",
						eq + 1);
		if (bld_str_has_prefix(f, "dangling=") && strcmp(eq + 1, "true") &&
		    strcmp(eq + 1, "1") && strcmp(eq + 1, "false") && strcmp(eq + 1, "0"))
			return bld_error_refuse(err, BLD_E_INVALID,
						"invalid value for filter 'dangling', must be \"true\" "
						"(or \"1\"), or \"false\" (or \"0\")");
	}
	return 0;
}

static bool regex_match(const char *re, const char *s)
{
	regex_t r;
	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

/* Whether one filter value v of key matches the network. */
static bool value_matches(const char *key, const char *v, const json_t *net)
{
	const char *name = bld_json_get_str(net, "Name");
	bool builtin = bld_runner_network_is_predefined(name ? name : "");
	if (!strcmp(key, "driver") || !strcmp(key, "scope")) {
		const char *have = bld_json_get_str(net, !strcmp(key, "driver") ? "Driver" : "Scope");
		return have && !strcmp(have, v);
	}
	if (!strcmp(key, "id") || !strcmp(key, "name"))
		return regex_match(v, bld_json_get_str(net, !strcmp(key, "id") ? "Id" : "Name"));
	if (!strcmp(key, "type"))
		return builtin == !strcmp(v, "builtin");
	if (!strcmp(key, "dangling")) {
		bool dangling = !builtin && !json_object_size(json_object_get(net, "Containers"));
		return dangling == (!strcmp(v, "true") || !strcmp(v, "1"));
	}
	/* label=K or label=K=V */
	json_t *labels = json_object_get(net, "Labels");
	const char *eq = strchr(v, '=');
	cleanup_free char *k = eq ? xstrndup(v, (size_t)(eq - v)) : xstrdup(v);
	const char *have = bld_json_get_str(labels, k);
	return json_object_get(labels, k) && (!eq || (have && !strcmp(have, eq + 1)));
}

static bool matches(const json_t *net, char *const *filters)
{
	for (size_t k = 0; k < BLD_ARRAY_SIZE(keys); k++) {
		bool label = !strcmp(keys[k], "label");
		bool given = false, any = false, all = true;
		for (size_t i = 0; filters && filters[i]; i++) {
			size_t n = strlen(keys[k]);
			if (strncmp(filters[i], keys[k], n) || filters[i][n] != '=')
				continue;
			bool m = value_matches(keys[k], filters[i] + n + 1, net);
			given = true;
			any = any || m;
			all = all && m;
		}
		if (given && !(label ? all : any))
			return false;
	}
	return true;
}

int bld_runner_network_filter(struct bld_ctx *ctx, char *const *filters, json_t **out,
			      struct bld_error **err)
{
	cleanup_strv char **ids = NULL;
	*out = NULL;
	if (check(filters, err) < 0 || bld_runner_network_list(ctx, &ids, err) < 0)
		return -1;
	json_t *list = json_array();
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_json json_t *net = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_network_inspect(ctx, ids[i], &net, &e) < 0)
			continue; /* removed meanwhile */
		if (matches(net, filters))
			json_array_append(list, net);
	}
	*out = list;
	return 0;
}
