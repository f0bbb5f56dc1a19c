/*
 * runner/psfilter.c — `ps --filter` as docker's daemon applies it (daemon/list.go): id and
 * name as regular expressions, label (every one given must match), status, exited, health,
 * ancestor (the image by name or ID, or an image whose layers start with its layers), network,
 * volume (name or mount point), publish and expose (port numbers, ranges, protocols), before
 * and since (by creation). Values of one key match when any matches, keys must all match.
 * Refusals carry docker's messages and status 1. It reads the listing; it does not list.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <regex.h>

#define MAX_PORT_RANGE 65536

static const char *const keys[] = {"ancestor", "before", "expose", "exited", "health", "id",
	"label", "name", "network", "publish", "since", "status", "volume", "isolation",
	"is-task"};

/* The filters' values by key, split once for the whole listing (NULL: no such filter). */
struct want {
	char **name, **id, **status, **health, **label, **exited, **vol, **net, **pub, **exp,
		**anc;
	struct bld_store *store; /* opened for ancestor only */
	json_t *ancestors;       /* per image name or ID: its ID and diff IDs */
};

static void want_init(struct want *w, char *const *f)
{
	*w = (struct want){.name = bld_strv_values(f, "name"), .id = bld_strv_values(f, "id"),
			   .status = bld_strv_values(f, "status"),
			   .health = bld_strv_values(f, "health"),
			   .label = bld_strv_values(f, "label"),
			   .exited = bld_strv_values(f, "exited"),
			   .vol = bld_strv_values(f, "volume"), .net = bld_strv_values(f, "network"),
			   .pub = bld_strv_values(f, "publish"), .exp = bld_strv_values(f, "expose"),
			   .anc = bld_strv_values(f, "ancestor"), .ancestors = json_object()};
}

static void want_dispose(struct want *w)
{
	char **lists[] = {w->name, w->id,  w->status, w->health, w->label, w->exited,
			  w->vol,  w->net, w->pub,    w->exp,    w->anc};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(lists); i++)
		bld_strv_free(lists[i]);
	bld_cache_store_free(w->store);
	json_decref(w->ancestors);
}

/* docker's filters.Match: equal, or the value as a regular expression found in s. */
static bool pattern_match(const char *pattern, const char *s)
{
	if (strcmp(pattern, s) == 0)
		return true;
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static bool any_re(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (pattern_match(v[i], s))
			return true;
	return false;
}

static bool any_eq(char **v, const char *s)
{
	for (size_t i = 0; s && v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static const char *health_of(const struct bld_runner_container_info *c)
{
	const char *h = bld_json_get_str(json_object_get(c->state_json, "Health"), "Status");
	return h ? h : "none";
}

static bool labels_ok(char **v, const struct bld_runner_container_info *c)
{
	const json_t *l = json_object_get(json_object_get(c->cfg_json, "Config"), "Labels");
	for (size_t i = 0; v && v[i]; i++) {
		size_t k = strcspn(v[i], "=");
		cleanup_free char *key = xstrndup(v[i], k);
		const char *have = bld_json_get_str(l, key);
		if (!have || (v[i][k] && strcmp(have, v[i] + k + 1) != 0))
			return false;
	}
	return true;
}

static bool exited_ok(char **v, const struct bld_runner_container_info *c)
{
	const char *started = bld_json_get_str(c->state_json, "StartedAt");
	bool ran = started && !bld_str_has_prefix(started, "0001-");
	char code[16];
	snprintf(code, sizeof(code), "%d", c->exit_code);
	return !v || (ran && strcmp(c->state, "running") != 0 && any_eq(v, code));
}

static bool volume_ok(char **v, const struct bld_runner_container_info *c)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(c->cfg_json, "Mounts"), i, m)
		if (any_eq(v, bld_json_get_str(m, "Name")) ||
		    any_eq(v, bld_json_get_str(m, "Destination")))
			return true;
	return false;
}

static bool network_ok(char **v, const struct bld_runner_container_info *c)
{
	const char *mode = bld_json_get_str(json_object_get(c->cfg_json, "HostConfig"), "NetworkMode");
	if (!mode || strcmp(mode, "default") == 0)
		mode = "bridge";
	if (any_eq(v, mode))
		return true;
	/* every network it is on, by name, and by id while it runs */
	const char *key;
	json_t *ep;
	json_object_foreach(json_object_get(json_object_get(c->cfg_json, "NetworkingConfig"),
					    "EndpointsConfig"), key, ep)
		if (any_eq(v, key))
			return true;
	json_object_foreach(json_object_get(json_object_get(c->state_json, "NetworkSettings"),
					    "Networks"), key, ep)
		if (any_eq(v, key) || any_eq(v, bld_json_get_str(ep, "NetworkID")))
			return true;
	return false;
}

/* "80", "80/udp", "8000-8080/tcp" (docker's nat.ParsePortRange), checked as docker does. */
static int port_range(const char *key, const char *v, long *lo, long *hi, char proto[8],
		      struct bld_error **err)
{
	*lo = *hi = -1;
	if (strchr(v, ':'))
		return bld_error_refuse(err, BLD_E_INVALID,
					"filter for '%s' should not contain ':': %s", key, v);
	const char *slash = strchr(v, '/');
	snprintf(proto, 8, "%s", slash ? slash + 1 : "tcp");
	cleanup_free char *num = xstrndup(v, slash ? (size_t)(slash - v) : strlen(v));
	char *dash = strchr(num, '-');
	if (dash)
		*dash++ = 0;
	if (bld_parse_long(num, 0, 65535, lo) < 0 || bld_parse_long(dash ? dash : num, 0, 65535, hi) < 0 ||
	    *hi < *lo)
		return bld_error_refuse(err, BLD_E_INVALID,
					"error while looking up for %s %s: strconv.ParseUint: parsing "
					"\"%s\": invalid syntax", key, v, num);
	return 0;
}

static bool port_in(const char *key, const json_t *set, char **v)
{
	const char *port;
	json_t *x;
	json_object_foreach((json_t *)set, port, x) {
		long p = strtol(port, NULL, 10);
		const char *proto = strchr(port, '/') ? strchr(port, '/') + 1 : "tcp";
		for (size_t i = 0; v && v[i]; i++) {
			long lo, hi;
			char want[8];
			if (port_range(key, v[i], &lo, &hi, want, NULL) == 0 && p >= lo && p <= hi &&
			    strcmp(proto, want) == 0)
				return true;
		}
	}
	return false;
}

static bool ports_ok(char **pub, char **exp, const struct bld_runner_container_info *c)
{
	const json_t *bind = json_object_get(json_object_get(c->cfg_json, "HostConfig"), "PortBindings");
	if (pub && !port_in("publish", bind, pub))
		return false;
	if (!exp)
		return true;
	return port_in("expose", bind, exp) ||
	       port_in("expose", json_object_get(json_object_get(c->cfg_json, "Config"), "ExposedPorts"),
		       exp) ||
	       port_in("expose", json_object_get(c->cfg_json, "ImageExposedPorts"), exp);
}

/* The diff IDs of the image with this ID or name, cached in w->ancestors; NULL when unknown. */
static const json_t *diff_ids(struct bld_ctx *ctx, struct want *w, const char *ref)
{
	json_t *hit = json_object_get(w->ancestors, ref);
	if (hit)
		return hit;
	if (!w->store && bld_cache_store_open(&w->store, ctx->root, NULL) < 0)
		return NULL;
	struct bld_cache_image *img = NULL;
	if (bld_cache_image_load(w->store, ref, &img, NULL) < 0)
		return NULL;
	json_t *h = json_object_get(img->config, "history");
	json_t *d = json_pack("{s:s, s:O, s:O}", "id", img->id, "layers",
			      json_object_get(json_object_get(img->config, "rootfs"), "diff_ids"),
			      "history", h ? h : json_array());
	bld_cache_image_free(img);
	json_object_set_new(w->ancestors, ref, d);
	return d;
}

/* Whether array a starts array b (strictly shorter when strict). */
static bool is_prefix(const json_t *a, const json_t *b, bool strict)
{
	size_t n = json_array_size(a);
	if (n > json_array_size(b) || (strict && n == json_array_size(b)))
		return false;
	for (size_t k = 0; k < n; k++)
		if (!json_equal(json_array_get(a, k), json_array_get(b, k)))
			return false;
	return true;
}

/*
 * docker's ancestor: the image itself or one built on it. OCI images record no parent, so
 * "built on it" is read from what a build leaves: the parent's layers come first and its
 * history is the start of the child's, which is longer (a step that adds no layer, such as a
 * HEALTHCHECK, still adds a history entry).
 */
static bool ancestor_ok(struct bld_ctx *ctx, struct want *w, char **v,
			const struct bld_runner_container_info *c)
{
	const char *id = bld_json_get_str(c->cfg_json, "ImageID");
	const json_t *mine = id && *id ? diff_ids(ctx, w, id) : NULL;
	for (size_t i = 0; v && v[i]; i++) {
		const json_t *a = diff_ids(ctx, w, v[i]);
		if (!a || !mine)
			continue;
		if (json_equal(json_object_get(a, "id"), json_object_get(mine, "id")))
			return true;
		if (is_prefix(json_object_get(a, "layers"), json_object_get(mine, "layers"), false) &&
		    is_prefix(json_object_get(a, "history"), json_object_get(mine, "history"), true))
			return true;
	}
	return false;
}

static bool match_one(struct bld_ctx *ctx, struct want *w, const struct bld_runner_container_info *c)
{
	bool named = !w->name || any_re(w->name, c->name);
	if (!named) {
		cleanup_free char *slashed = xasprintf("/%s", c->name);
		named = any_re(w->name, slashed);
	}
	return named && (!w->id || any_re(w->id, c->id)) && labels_ok(w->label, c) &&
	       exited_ok(w->exited, c) && (!w->status || any_eq(w->status, c->state)) &&
	       (!w->health || any_eq(w->health, health_of(c))) &&
	       (!w->vol || volume_ok(w->vol, c)) && (!w->net || network_ok(w->net, c)) &&
	       ports_ok(w->pub, w->exp, c) && (!w->anc || ancestor_ok(ctx, w, w->anc, c));
}

/* before=/since=: the container named, by its creation time (BLD_E_NOTFOUND as docker's). */
static int bound(const struct bld_runner_container_info *v, size_t n, char *const *f,
		 const char *key, double *out, struct bld_error **err)
{
	cleanup_strv char **vals = bld_strv_values(f, key);
	*out = 0;
	for (size_t i = 0; vals && vals[i]; i++) {
		size_t k = 0;
		while (k < n && strcmp(v[k].name, vals[i]) && !bld_str_has_prefix(v[k].id, vals[i]))
			k++;
		if (k == n)
			return bld_error_refuse(err, BLD_E_NOTFOUND, "no such container %s", vals[i]);
		*out = v[k].created_at;
	}
	return 0;
}

static bool in_list(const char *v, const char *list)
{
	size_t n = strlen(v);
	for (const char *p = list; (p = strstr(p, v)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* The daemon's refusals of filters it cannot apply. */
static int check(char *const *f, struct bld_error **err)
{
	for (size_t i = 0; f && f[i]; i++) {
		const char *eq = strchr(f[i], '=');
		size_t k = eq ? (size_t)(eq - f[i]) : strlen(f[i]), j = 0;
		while (j < BLD_ARRAY_SIZE(keys) && (strlen(keys[j]) != k || strncmp(keys[j], f[i], k)))
			j++;
		if (!eq || j == BLD_ARRAY_SIZE(keys))
			return bld_error_refuse(err, BLD_E_INVALID, "Invalid filter '%.*s'", (int)k, f[i]);
		const char *v = eq + 1;
		long x, lo, hi;
		char proto[8];
		if (!strcmp(keys[j], "status") &&
		    !in_list(v, "created restarting running removing paused exited dead"))
			return bld_error_refuse(err, BLD_E_INVALID, "Invalid filter 'status=%s'", v);
		if (!strcmp(keys[j], "health") && !in_list(v, "starting healthy unhealthy none"))
			return bld_error_refuse(err, BLD_E_INVALID,
						"Unrecognised filter value for health: %s", v);
		if (!strcmp(keys[j], "exited") && bld_parse_long(v, -(1L << 31), 1L << 31, &x) < 0)
			return bld_error_refuse(err, BLD_E_INVALID,
						"strconv.Atoi: parsing \"%s\": invalid syntax", v);
		if ((!strcmp(keys[j], "publish") || !strcmp(keys[j], "expose")) &&
		    port_range(keys[j], v, &lo, &hi, proto, err) < 0)
			return -1;
	}
	return 0;
}

int bld_runner_container_filter(struct bld_ctx *ctx, const struct bld_runner_container_info *v,
				size_t n, char *const *filters, bool *keep, struct bld_error **err)
{
	double before, since;
	if (check(filters, err) < 0 || bound(v, n, filters, "before", &before, err) < 0 ||
	    bound(v, n, filters, "since", &since, err) < 0)
		return -1;
	struct want w;
	want_init(&w, filters);
	for (size_t i = 0; i < n; i++) {
		double t = v[i].created_at;
		keep[i] = (before == 0 || t < before) && (since == 0 || t > since) &&
			  match_one(ctx, &w, &v[i]);
	}
	want_dispose(&w);
	return 0;
}
