/*
 * runner/hostcfg.c — the HostConfig and Config fields of the Engine API that a caller gives
 * in the API's own shape (struct bld_runner_container_config's host_extra/config_extra): each
 * defaulted as docker shows it in inspect, merged, and checked as docker's daemon checks it at
 * create (a signal it knows, /dev/shm not negative, no network sysctl in the host's
 * namespace). And what the sandbox makes of some of them: resolv.conf from Dns, DnsSearch and
 * DnsOptions over the host's own.
 *
 * It does not mount or start anything: spec.c reads the fields, sandbox.c applies them.
 */
#include "runner/runner_int.h"

#include <jansson.h>

#define RESOLV_MAX (1 << 16)
#define SHM_DEFAULT (64 * 1024 * 1024)

static void set_default(json_t *o, const char *key, json_t *v)
{
	if (!json_object_get(o, key))
		json_object_set(o, key, v);
	json_decref(v);
}

static void defaults(json_t *hc, json_t *cfg)
{
	set_default(hc, "Dns", json_array());
	set_default(hc, "DnsOptions", json_array());
	set_default(hc, "DnsSearch", json_array());
	set_default(hc, "ExtraHosts", json_null());
	set_default(hc, "GroupAdd", json_null());
	set_default(hc, "Ulimits", json_null());
	set_default(hc, "VolumesFrom", json_null());
	set_default(hc, "ContainerIDFile", json_string(""));
	set_default(hc, "ShmSize", json_integer(SHM_DEFAULT));
	set_default(cfg, "Domainname", json_string(""));
}

/* Config.ExposedPorts: the image's and --expose's, which -P publishes alike. */
static void exposed(json_t *doc, json_t *cfg)
{
	json_t *img = json_object_get(doc, "ImageExposedPorts");
	json_t *own = json_object_get(cfg, "ExposedPorts");
	if (!json_is_object(img)) {
		img = json_object();
		json_object_set_new(doc, "ImageExposedPorts", img);
	}
	if (json_is_object(own))
		json_object_update(img, own);
	if (json_object_size(img))
		json_object_set(cfg, "ExposedPorts", img);
}

static int checks(json_t *doc, json_t *hc, json_t *cfg, struct bld_error **err)
{
	const char *ss = bld_json_get_str(cfg, "StopSignal");
	const char *img_ss = bld_json_get_str(doc, "ImageStopSignal");
	if (ss && bld_runner_signal_parse(ss) < 0)
		return bld_error_set(err, BLD_E_INVALID, "Invalid signal: %s", ss);
	if (!ss && img_ss && *img_ss)
		json_object_set_new(cfg, "StopSignal", json_string(img_ss));
	json_int_t shm = json_integer_value(json_object_get(hc, "ShmSize"));
	if (shm < 0)
		return bld_error_set(err, BLD_E_INVALID, "SHM size can not be less than 0");
	if (shm == 0)
		json_object_set_new(hc, "ShmSize", json_integer(SHM_DEFAULT));
	const char *net = bld_json_get_str(hc, "NetworkMode");
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(hc, "Sysctls"), key, v)
		if (net && strcmp(net, "host") == 0 && bld_str_has_prefix(key, "net."))
			return bld_error_set(err, BLD_E_INVALID,
					     "sysctl \"%s\" not allowed in host network namespace",
					     key);
	return 0;
}

int bld_runner_hostcfg_merge(json_t *doc, const struct bld_runner_container_config *c,
			     struct bld_error **err)
{
	json_t *hc = json_object_get(doc, "HostConfig"), *cfg = json_object_get(doc, "Config");
	if (c->host_extra)
		json_object_update(hc, c->host_extra);
	if (c->config_extra)
		json_object_update(cfg, c->config_extra);
	defaults(hc, cfg);
	exposed(doc, cfg);
	return checks(doc, hc, cfg, err);
}

/* The values of the host's "word ..." lines (nameserver, search, options), in order;
 * nameservers on the loopback are left out, as docker leaves them out for a network of
 * the container's own. */
static void host_values(const char *text, const char *word, bool nameserver, char ***out)
{
	cleanup_free char *copy = xstrdup(text ? text : "");
	char *save = NULL;
	size_t wl = strlen(word);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, word, wl) != 0 || (l[wl] != ' ' && l[wl] != '\t'))
			continue;
		char *s2 = NULL;
		for (char *t = strtok_r(l + wl, " \t\r", &s2); t; t = strtok_r(NULL, " \t\r", &s2))
			if (!nameserver || (!bld_str_has_prefix(t, "127.") && strcmp(t, "::1")))
				bld_strv_push(out, t);
	}
}

static char **strv_of(json_t *arr)
{
	char **v = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(arr, i, s)
		if (json_is_string(s))
			bld_strv_push(&v, json_string_value(s));
	return v;
}

static void join_line(struct bld_buf *b, const char *word, char **v)
{
	if (!v || !v[0])
		return;
	bld_buf_adds(b, word);
	for (size_t i = 0; v[i]; i++)
		bld_buf_printf(b, " %s", v[i]);
	bld_buf_adds(b, "\n");
}

char *bld_runner_resolv_conf(json_t *hc)
{
	cleanup_strv char **dns = strv_of(json_object_get(hc, "Dns"));
	cleanup_strv char **search = strv_of(json_object_get(hc, "DnsSearch"));
	cleanup_strv char **opts = strv_of(json_object_get(hc, "DnsOptions"));
	if (!dns && !search && !opts)
		return NULL;
	cleanup_free char *host = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_fs_read_file("/etc/resolv.conf", RESOLV_MAX, &host, &len, &e) < 0)
		host = NULL;
	/* what is not given comes from the host's file, as docker's resolvconf.Build */
	if (!dns)
		host_values(host, "nameserver", true, &dns);
	if (!search)
		host_values(host, "search", false, &search);
	if (!opts)
		host_values(host, "options", false, &opts);
	struct bld_buf b = BLD_BUF_INIT;
	/* "search ." alone means no search list */
	if (!(search && bld_strv_len(search) == 1 && strcmp(search[0], ".") == 0))
		join_line(&b, "search", search);
	for (size_t i = 0; dns && dns[i]; i++)
		bld_buf_printf(&b, "nameserver %s\n", dns[i]);
	join_line(&b, "options", opts);
	return bld_buf_detach(&b);
}
