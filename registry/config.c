/*
 * registry/config.c — the registry part of bld's own config file ($BLD_CONFIG, default
 * /etc/bld/config.json), shaped like docker's daemon.json:
 *     {"insecure-registries": ["myreg:5000", "10.0.0.0/8"]}
 * An insecure registry is reached without certificate verification and over plain HTTP
 * when HTTPS fails, as docker does. The same file sets the network's patience
 * ("max-download-attempts", as docker's; "connect-timeout" and "stall-timeout"), which
 * environment variables override (reg_config_net).
 *
 * Credentials are not here: they live in docker's config.json (auth.c, login.c).
 */
#include "registry/registry_int.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <pthread.h>

#define BLD_CONFIG_DEFAULT "/etc/bld/config.json"
#define BLD_CONFIG_MAX ((size_t)1 << 20)

/* Whether the host part of domain is an IPv4 address inside cidr ("10.0.0.0/8"). */
static bool in_cidr(const char *domain, const char *cidr)
{
	const char *slash = strchr(cidr, '/');
	long bits;
	if (!slash || bld_parse_long(slash + 1, 0, 32, &bits) < 0)
		return false;
	cleanup_free char *net = xstrndup(cidr, (size_t)(slash - cidr));
	cleanup_free char *host = xstrndup(domain, strcspn(domain, ":"));
	struct in_addr a, n;
	if (inet_pton(AF_INET, net, &n) != 1 || inet_pton(AF_INET, host, &a) != 1)
		return false;
	uint32_t mask = bits == 0 ? 0 : htonl(~(uint32_t)0 << (32 - bits));
	return (a.s_addr & mask) == (n.s_addr & mask);
}

bool reg_config_insecure(const char *domain)
{
	const char *path = getenv("BLD_CONFIG");
	if (!path || !*path)
		path = BLD_CONFIG_DEFAULT;
	if (access(path, F_OK) < 0)
		return false;
	json_t *cfg = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_json_load_file(&cfg, path, BLD_CONFIG_MAX, &e) < 0) {
		bld_warn("%s: %s", path, e->msg);
		return false;
	}
	bool found = false;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(cfg, "insecure-registries"), i, v)
	{
		const char *s = json_string_value(v);
		if (s && (strcmp(s, domain) == 0 || in_cidr(domain, s)))
			found = true;
	}
	json_decref(cfg);
	return found;
}

/* A positive number from the environment or the config file, else def. */
static long net_setting(json_t *cfg, const char *key, const char *env, long def)
{
	const char *s = getenv(env);
	long v;
	if (s && *s) {
		if (bld_parse_long(s, 1, 86400, &v) == 0)
			return v;
		bld_warn("$%s: not a number from 1 to 86400: %s", env, s);
	}
	json_t *j = json_object_get(cfg, key);
	if (json_is_integer(j) && json_integer_value(j) > 0 && json_integer_value(j) <= 86400)
		return (long)json_integer_value(j);
	if (j)
		bld_warn("config %s: not a number from 1 to 86400", key);
	return def;
}

static struct reg_net net;
static pthread_once_t net_once = PTHREAD_ONCE_INIT;

static void net_load(void)
{
	const char *path = getenv("BLD_CONFIG");
	if (!path || !*path)
		path = BLD_CONFIG_DEFAULT;
	json_t *cfg = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (access(path, F_OK) == 0 && bld_json_load_file(&cfg, path, BLD_CONFIG_MAX, &e) < 0)
		bld_warn("%s: %s", path, e->msg);
	net.attempts = net_setting(cfg, "max-download-attempts", "BLD_MAX_DOWNLOAD_ATTEMPTS", 5);
	net.connect_timeout = net_setting(cfg, "connect-timeout", "BLD_CONNECT_TIMEOUT", 30);
	net.stall_timeout = net_setting(cfg, "stall-timeout", "BLD_STALL_TIMEOUT", 60);
	json_decref(cfg);
}

const struct reg_net *reg_config_net(void)
{
	pthread_once(&net_once, net_load);
	return &net;
}
