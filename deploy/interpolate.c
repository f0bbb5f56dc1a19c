/*
 * deploy/interpolate.c — interpolation of a compose document, as compose-go's loader does it
 * for each file before anything is merged: every string value (never a key) substituted
 * (template.c), then, at the places where the schema wants a number or a boolean, the string
 * converted as compose-go's interpolateTypeCastMapping does ("yes"/"on" become true with a
 * warning). An error names the file and line of the value and its path.
 */
#include <errno.h>
#include <math.h>

#include "deploy/deploy_int.h"

enum cast { C_INT, C_INT64, C_FLOAT, C_BOOL };

static const struct {
	const char *pattern;
	enum cast cast;
} casts[] = {
	{"services.*.cpu_count", C_INT64},
	{"services.*.cpu_percent", C_FLOAT},
	{"services.*.cpu_period", C_INT64},
	{"services.*.cpu_quota", C_INT64},
	{"services.*.cpu_rt_period", C_INT64},
	{"services.*.cpu_rt_runtime", C_INT64},
	{"services.*.cpus", C_FLOAT},
	{"services.*.cpu_shares", C_INT64},
	{"services.*.init", C_BOOL},
	{"services.*.depends_on.*.required", C_BOOL},
	{"services.*.depends_on.*.restart", C_BOOL},
	{"services.*.deploy.replicas", C_INT},
	{"services.*.deploy.update_config.parallelism", C_INT},
	{"services.*.deploy.update_config.max_failure_ratio", C_FLOAT},
	{"services.*.deploy.rollback_config.parallelism", C_INT},
	{"services.*.deploy.rollback_config.max_failure_ratio", C_FLOAT},
	{"services.*.deploy.restart_policy.max_attempts", C_INT},
	{"services.*.deploy.placement.max_replicas_per_node", C_INT},
	{"services.*.healthcheck.retries", C_INT},
	{"services.*.healthcheck.disable", C_BOOL},
	{"services.*.oom_kill_disable", C_BOOL},
	{"services.*.oom_score_adj", C_INT64},
	{"services.*.pids_limit", C_INT64},
	{"services.*.ports.[].target", C_INT},
	{"services.*.privileged", C_BOOL},
	{"services.*.read_only", C_BOOL},
	{"services.*.scale", C_INT},
	{"services.*.stdin_open", C_BOOL},
	{"services.*.tty", C_BOOL},
	{"services.*.ulimits.*", C_INT},
	{"services.*.ulimits.*.hard", C_INT},
	{"services.*.ulimits.*.soft", C_INT},
	{"services.*.volumes.[].read_only", C_BOOL},
	{"services.*.volumes.[].volume.nocopy", C_BOOL},
	{"networks.*.external", C_BOOL},
	{"networks.*.internal", C_BOOL},
	{"networks.*.attachable", C_BOOL},
	{"networks.*.enable_ipv4", C_BOOL},
	{"networks.*.enable_ipv6", C_BOOL},
	{"volumes.*.external", C_BOOL},
	{"secrets.*.external", C_BOOL},
	{"configs.*.external", C_BOOL},
};

struct ip {
	struct bld_deploy_subst s;
	struct bld_deploy_path path;
	struct bld_buf ptr; /* the JSON Pointer of the value, for the source map */
	const struct bld_deploy_srcmap *map;
};

static const char *env_lookup(const char *name, void *payload)
{
	return bld_json_get_str(payload, name);
}

static json_t *to_bool(const char *s, const char *path)
{
	static const char *const yes[] = {"y", "yes", "on"}, *const no[] = {"n", "no", "off"};
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)
		return json_boolean(strcasecmp(s, "true") == 0);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) != 0 && strcasecmp(s, no[i]) != 0)
			continue;
		bool v = strcasecmp(s, yes[i]) == 0;
		bld_warn("%s: \"%s\" for boolean is not supported by YAML 1.2, please use `%s`", path,
			 s, v ? "true" : "false");
		return json_boolean(v);
	}
	return NULL;
}

/* The string s as cast c wants it, or NULL with *why set. */
static json_t *cast_value(enum cast c, const char *s, const char *path, const char **why)
{
	char *end = NULL;
	errno = 0;
	if (c == C_BOOL) {
		*why = "invalid boolean";
		return to_bool(s, path);
	}
	if (c == C_FLOAT) {
		*why = "strconv.ParseFloat";
		double d = strtod(s, &end);
		return *s && !*end && !errno && isfinite(d) ? json_real(d) : NULL;
	}
	*why = c == C_INT ? "strconv.Atoi" : "strconv.ParseInt";
	long long v = strtoll(s, &end, 10);
	return *s && !*end && !errno && !strchr(" \t\n", *s) ? json_integer(v) : NULL;
}

/* err (set by the substitution or the cast) rewritten to name the value's file and line. */
static int located(struct ip *ip, struct bld_error **err, const char *what)
{
	const char *file = "?";
	int line = 0;
	bld_deploy_srcmap_find(ip->map, bld_buf_str(&ip->ptr), &file, &line);
	cleanup_free char *path = bld_deploy_path_dotted(&ip->path);
	cleanup_free char *msg = NULL;
	if (ip->s.invalid)
		msg = xasprintf("%s:%d: invalid interpolation format for %s: \"%s\" (you may need to "
				"escape any $ with another $)",
				file, line, path, ip->s.invalid);
	else
		msg = xasprintf("%s:%d: %s %s: %s", file, line, what, path, (*err)->msg);
	bld_error_free(steal_pointer(err));
	return bld_error_set(err, BLD_E_INVALID, "%s", msg);
}

static int string_value(struct ip *ip, json_t *v, json_t **out, struct bld_error **err)
{
	cleanup_free char *s = NULL;
	if (bld_deploy_substitute(&ip->s, json_string_value(v), &s, err) < 0)
		return located(ip, err, "error while interpolating");
	for (size_t i = 0; i < BLD_ARRAY_SIZE(casts); i++) {
		if (!bld_deploy_path_match(&ip->path, casts[i].pattern))
			continue;
		cleanup_free char *path = bld_deploy_path_dotted(&ip->path);
		const char *why = NULL;
		*out = cast_value(casts[i].cast, s, path, &why);
		if (*out)
			return 0;
		bld_error_set(err, BLD_E_INVALID, "failed to cast to expected type: %s%s%s%s", why,
			      casts[i].cast == C_BOOL ? ": " : ": parsing \"", s,
			      casts[i].cast == C_BOOL ? "" : "\": invalid syntax");
		return located(ip, err, "error while interpolating");
	}
	*out = json_string(s);
	return 0;
}

static int walk(struct ip *ip, json_t *v, json_t **out, struct bld_error **err);

static int walk_member(struct ip *ip, json_t *parent, const char *key, size_t idx, json_t *v,
		       struct bld_error **err)
{
	size_t mark = ip->ptr.len;
	if (key)
		bld_deploy_path_push(&ip->ptr, key);
	else
		bld_deploy_path_push_index(&ip->ptr, idx);
	bld_deploy_path_enter(&ip->path, key ? key : "[]");
	json_t *nv = NULL;
	int r = walk(ip, v, &nv, err);
	bld_deploy_path_leave(&ip->path);
	ip->ptr.len = mark;
	ip->ptr.data[mark] = '\0';
	if (r == 0 && nv && key)
		json_object_set_new(parent, key, nv);
	else if (r == 0 && nv)
		json_array_set_new(parent, idx, nv);
	return r;
}

/* Interpolates v in place; a string is replaced through *out. */
static int walk(struct ip *ip, json_t *v, json_t **out, struct bld_error **err)
{
	*out = NULL;
	if (json_is_string(v))
		return string_value(ip, v, out, err);
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if (walk_member(ip, v, NULL, i, json_array_get(v, i), err) < 0)
				return -BLD_E_INVALID;
		return 0;
	}
	const char *k;
	json_t *m;
	json_object_foreach(v, k, m) {
		if (walk_member(ip, v, k, 0, m, err) < 0)
			return -BLD_E_INVALID;
	}
	return 0;
}

int bld_deploy_interpolate(json_t *doc, const json_t *env, const struct bld_deploy_srcmap *map,
			   struct bld_error **err)
{
	struct ip ip = {.s = {.lookup = env_lookup, .payload = (void *)env, .warn = true},
			.map = map};
	json_t *unused = NULL;
	int r = walk(&ip, doc, &unused, err);
	free(ip.s.invalid);
	bld_buf_dispose(&ip.ptr);
	return r;
}
