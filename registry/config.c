/*
 * registry/config.c — the registry part of bld's own config file ($BLD_CONFIG, default
 * /etc/bld/config.json), shaped like docker's daemon.json:
 *     {"insecure-registries": ["myreg:5000", "10.0.0.0/8"]}
 * An insecure registry is reached without certificate verification and over plain HTTP
 * when HTTPS fails, as docker does.
 *
 * Credentials are not here: they live in docker's config.json (auth.c, login.c).
 */
#include "registry/registry_int.h"

#include <arpa/inet.h>
#include <jansson.h>

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
