/*
 * deploy/norm_values.c — the short syntaxes of single compose values turned into the long
 * form compose-go gives them: lists and "K=V" lists into maps of strings, shell command lines
 * into argument arrays (mattn/go-shellwords' rules: blanks split, quotes and backslashes
 * removed, nothing expanded), ports ("[IP:][PUBLISHED:]TARGET[/PROTO]", ranges), volumes
 * ("SOURCE:TARGET:OPTIONS", format.ParseVolume's rules), devices, durations and byte sizes as
 * compose-go marshals them. Each function takes a jansson value and returns a new one, or
 * fails with BLD_E_INVALID and compose-go's words; where a value sits is the caller's concern.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <string.h>

/* A scalar as Go's fmt.Sprint prints it (compose-go stringifies map values so). */
char *bld_deploy_scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

json_t *bld_deploy_str_or_list(json_t *v)
{
	if (json_is_string(v))
		return json_pack("[O]", v);
	return json_incref(v);
}

/* "K=V" items (sep '=') or a map into a map of strings; a bare "K" or a null maps to null. */
json_t *bld_deploy_to_map(const json_t *v, char sep)
{
	json_t *out = json_object();
	size_t i;
	const char *k;
	json_t *e;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e) {
			char *t = bld_deploy_scalar_text(e);
			json_object_set_new(out, k, t ? json_string(t) : json_null());
			free(t);
		}
		return out;
	}
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		const char *eq = s ? strchr(s, sep) : NULL;
		if (!s)
			continue;
		if (!eq) {
			json_object_set_new(out, s, json_null());
			continue;
		}
		cleanup_free char *key = xstrndup(s, (size_t)(eq - s));
		json_object_set_new(out, key, json_string(eq + 1));
	}
	return out;
}

/* Labels as compose-go's types.Labels decodes them: a map of strings where a bare "K" or a
 * null is "" (not null, as in environment). */
json_t *bld_deploy_to_labels(const json_t *v)
{
	json_t *out = bld_deploy_to_map(v, '=');
	const char *k;
	json_t *e;
	json_object_foreach(out, k, e)
		if (json_is_null(e))
			json_object_set_new(out, k, json_string(""));
	return out;
}

/* One word of a command line at *p (go-shellwords without variable expansion). */
static int shell_word(const char **p, struct bld_buf *w)
{
	const char *s = *p;
	char quote = 0;
	for (; *s && (quote || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
		if (*s == '\\' && quote != '\'' && s[1]) {
			s++;
			bld_buf_addc(w, *s);
		} else if (quote && *s == quote) {
			quote = 0;
		} else if (!quote && (*s == '\'' || *s == '"')) {
			quote = *s;
		} else {
			bld_buf_addc(w, *s);
		}
	}
	*p = s;
	return quote ? -BLD_E_INVALID : 0;
}

int bld_deploy_shell_split(json_t **out, const char *line, struct bld_error **err)
{
	cleanup_json json_t *arr = json_array();
	const char *p = line;
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			p++;
			continue;
		}
		struct bld_buf w = BLD_BUF_INIT;
		int r = shell_word(&p, &w);
		json_array_append_new(arr, json_string(bld_buf_str(&w)));
		bld_buf_dispose(&w);
		if (r < 0)
			return bld_error_set(err, BLD_E_INVALID, "invalid command line string");
	}
	*out = steal_pointer(&arr);
	return 0;
}

/* "a-b" or "a" into a range; 0 when empty. */
static int port_range(const char *s, long *lo, long *hi)
{
	char *end = NULL;
	if (!*s) {
		*lo = *hi = 0;
		return 0;
	}
	*lo = strtol(s, &end, 10);
	*hi = *lo;
	if (*end == '-')
		*hi = strtol(end + 1, &end, 10);
	if (*end || *lo < 0 || *hi < *lo || *hi > 65535)
		return -1;
	return 0;
}

/* Splits "[IP:][PUBLISHED:]TARGET" from the right; an IPv6 host IP is in brackets. */
static int port_fields(char *spec, char **ip, char **published, char **target)
{
	char *last = strrchr(spec, ':');
	*ip = NULL;
	*published = NULL;
	*target = last ? last + 1 : spec;
	if (!last)
		return 0;
	*last = 0;
	char *mid = strrchr(spec, ':');
	if (spec[0] == '[' && (!mid || mid < strchr(spec, ']'))) {
		*ip = spec; /* "[::1]:80" has no published port */
		*published = NULL;
	} else if (mid) {
		*mid = 0;
		*ip = spec;
		*published = mid + 1;
	} else {
		*published = spec;
	}
	if (*ip && **ip == '[') {
		(*ip)++;
		char *close = strchr(*ip, ']');
		if (close)
			*close = 0;
	}
	return 0;
}

static json_t *port_entry(const char *ip, const char *published, long target, const char *proto)
{
	json_t *p = json_pack("{s:s}", "mode", "ingress");
	if (ip && *ip)
		json_object_set_new(p, "host_ip", json_string(ip));
	json_object_set_new(p, "target", json_integer(target));
	if (published && *published)
		json_object_set_new(p, "published", json_string(published));
	json_object_set_new(p, "protocol", json_string(proto));
	return p;
}

/* Appends the long forms of one short port spec to out (a range gives one per port). */
int bld_deploy_port_parse(json_t *out, const char *spec, struct bld_error **err)
{
	cleanup_free char *s = xstrdup(spec);
	char *slash = strchr(s, '/');
	const char *proto = "tcp";
	if (slash)
		*slash = 0, proto = slash + 1;
	char *ip, *published, *target;
	long tlo, thi, plo, phi;
	port_fields(s, &ip, &published, &target);
	/* docker/go-connections nat.ParsePortSpec's words */
	if (port_range(target, &tlo, &thi) < 0 || !*target)
		return bld_error_set(err, BLD_E_INVALID, "invalid containerPort: %s", target);
	if (port_range(published ? published : "", &plo, &phi) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid hostPort: %s", published);
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return bld_error_set(err, BLD_E_INVALID, "invalid proto: %s", proto);
	if (tlo == thi) {
		json_array_append_new(out, port_entry(ip, published, tlo, proto));
		return 0;
	}
	if (plo && phi - plo != thi - tlo)
		return bld_error_set(err, BLD_E_INVALID, "invalid ranges specified for container and"
				     " host Ports: %s and %s", target, published);
	for (long t = tlo; t <= thi; t++) {
		cleanup_free char *pub = NULL;
		if (plo)
			pub = xasprintf("%ld", plo + (t - tlo));
		json_array_append_new(out, port_entry(ip, pub, t, proto));
	}
	return 0;
}

static bool is_file_path(const char *s)
{
	return *s == '.' || *s == '/' || *s == '~';
}

static void volume_option(json_t *vol, const char *opt)
{
	static const char *const propagations[] = {"rprivate", "private", "rshared",
						   "shared",   "rslave",  "slave"};
	if (!strcmp(opt, "ro") || !strcmp(opt, "rw")) {
		json_object_set_new(vol, "read_only", json_boolean(!strcmp(opt, "ro")));
		return;
	}
	if (!strcmp(opt, "nocopy")) {
		json_object_set_new(vol, "volume", json_pack("{s:b}", "nocopy", 1));
		return;
	}
	const char *key = !strcmp(opt, "z") || !strcmp(opt, "Z") ? "selinux" : NULL;
	for (size_t i = 0; !key && i < BLD_ARRAY_SIZE(propagations); i++)
		if (!strcmp(opt, propagations[i]))
			key = "propagation";
	if (!key)
		return;
	if (!json_object_get(vol, "bind"))
		json_object_set_new(vol, "bind", json_object());
	json_object_set_new(json_object_get(vol, "bind"), key, json_string(opt));
}

/* format.ParseVolume: SOURCE:TARGET:OPTS, TARGET alone for an anonymous volume. */
int bld_deploy_volume_parse(json_t **out, const char *spec, struct bld_error **err)
{
	cleanup_strv char **f = NULL;
	size_t n = 0;
	if (!*spec)
		return bld_error_set(err, BLD_E_INVALID, "invalid empty volume spec");
	f = bld_deploy_split(spec, ':');
	n = bld_strv_len(f);
	for (size_t i = 0; i < n; i++)
		if (!*f[i])
			return bld_error_set(err, BLD_E_INVALID, "invalid spec: %s: empty section "
					     "between colons", spec);
	if (n > 3)
		return bld_error_set(err, BLD_E_INVALID, "invalid spec: %s: too many colons", spec);
	cleanup_json json_t *vol = json_object();
	const char *source = n >= 2 ? f[0] : "";
	bool bind = is_file_path(source);
	json_object_set_new(vol, "type", json_string(bind ? "bind" : "volume"));
	if (*source)
		json_object_set_new(vol, "source", json_string(source));
	json_object_set_new(vol, "target", json_string(n >= 2 ? f[1] : f[0]));
	cleanup_strv char **opts = n == 3 ? bld_deploy_split(f[2], ',') : NULL;
	for (size_t i = 0; opts && opts[i]; i++)
		volume_option(vol, opts[i]);
	if (!json_object_get(vol, bind ? "bind" : "volume"))
		json_object_set_new(vol, bind ? "bind" : "volume", json_object());
	*out = steal_pointer(&vol);
	return 0;
}

/* "SOURCE[:TARGET[:PERMISSIONS]]" as compose-go's device mapping (permissions rwm). */
int bld_deploy_device_parse(json_t **out, const char *spec, struct bld_error **err)
{
	cleanup_strv char **f = bld_deploy_split(spec, ':');
	size_t n = bld_strv_len(f);
	if (n == 0 || n > 3)
		return bld_error_set(err, BLD_E_INVALID, "invalid device: %s", spec);
	*out = json_pack("{s:s, s:s, s:s}", "source", f[0], "target", n > 1 ? f[1] : f[0],
			 "permissions", n > 2 ? f[2] : "rwm");
	return 0;
}

/* Relative to the project directory; "~" is the home directory, as compose-go. */
char *bld_deploy_norm_abs(const struct bld_deploy_norm_opts *o, const char *p)
{
	const char *home = getenv("HOME");
	if (p[0] == '~' && (p[1] == '/' || !p[1]) && home)
		return bld_deploy_path_clean(xasprintf("%s%s", home, p + 1));
	if (p[0] == '/')
		return bld_deploy_path_clean(xstrdup(p));
	return bld_deploy_path_clean(xasprintf("%s/%s", o->workdir, p));
}

/* Bare names (null values) of a map take their value from env; unresolved ones stay null
 * when keep_unset, else are dropped (build args). */
void bld_deploy_resolve_args(json_t *map, const json_t *env, bool keep_unset)
{
	const char *k;
	json_t *e;
	void *tmp;
	json_object_foreach_safe(map, tmp, k, e) {
		if (!json_is_null(e))
			continue;
		const char *val = bld_json_get_str(env, k);
		if (val)
			json_object_set_new(map, k, json_string(val));
		else if (!keep_unset)
			json_object_del(map, k);
	}
}
