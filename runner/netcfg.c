/*
 * runner/netcfg.c — a new container's network config as docker's daemon records and checks
 * it at create: NetworkingConfig.EndpointsConfig (what the CLI gave, one entry per network),
 * HostConfig.Links in the daemon's "/NAME:/CONTAINER/ALIAS" form (legacy links on the default
 * bridge; the linked container must exist), and the refusals of a "container:NAME" network
 * mode (no published ports, hostname, DNS or extra hosts of its own).
 *
 * It does not look at networks: whether they exist, and the addresses they lease, is decided
 * when the container starts (net.c), as docker decides it.
 */
#include "runner/runner_int.h"

#include <jansson.h>

/* The "container:NAME" refusals, in the daemon's words. */
static int container_mode(json_t *doc, const struct bld_runner_container_config *c,
			  struct bld_error **err)
{
	json_t *hc = json_object_get(doc, "HostConfig");
	json_t *cfg = json_object_get(doc, "Config");
	if (c->n_ports || json_is_true(json_object_get(hc, "PublishAllPorts")))
		return bld_error_set(err, BLD_E_INVALID, "conflicting options: port publishing and "
				     "the container type network mode");
	if (c->hostname)
		return bld_error_set(err, BLD_E_INVALID,
				     "conflicting options: hostname and the network mode");
	if (json_array_size(json_object_get(hc, "Dns")) ||
	    json_array_size(json_object_get(hc, "DnsSearch")) ||
	    json_array_size(json_object_get(hc, "DnsOptions")))
		return bld_error_set(err, BLD_E_INVALID,
				     "conflicting options: dns and the network mode");
	if (json_array_size(json_object_get(hc, "ExtraHosts")))
		return bld_error_set(err, BLD_E_INVALID, "conflicting options: custom host-to-IP "
				     "mapping and the network mode");
	if (bld_json_get_str(cfg, "MacAddress") && *bld_json_get_str(cfg, "MacAddress"))
		return bld_error_set(err, BLD_E_INVALID,
				     "conflicting options: mac-address and the network mode");
	return 0;
}

/* "NAME[:ALIAS]" -> "/NAME:/SELF/ALIAS", NAME an existing container. */
static int link_json(struct bld_ctx *ctx, const char *self, const char *l, json_t *out,
		     struct bld_error **err)
{
	const char *colon = strchr(l, ':');
	cleanup_free char *target = colon ? xstrndup(l, (size_t)(colon - l)) : xstrdup(l);
	const char *alias = colon && colon[1] ? colon + 1 : NULL;
	cleanup_free char *id = NULL;
	cleanup_error struct bld_error *e = NULL;
	const char *t = target[0] == '/' ? target + 1 : target;
	if (bld_runner_container_lookup(ctx, t, &id, &e) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "could not get container for %s: %s", t,
				     e->msg);
	cleanup_free char *name = bld_runner_container_name(ctx, id);
	json_array_append_new(out, json_sprintf("/%s:%s/%s", name ? name : t, self,
						alias ? alias : (name ? name : t)));
	return 0;
}

int bld_runner_netcfg_create(struct bld_ctx *ctx, json_t *doc,
			     const struct bld_runner_container_config *c, struct bld_error **err)
{
	json_t *hc = json_object_get(doc, "HostConfig");
	const char *mode = bld_json_get_str(hc, "NetworkMode");
	json_t *eps = c->endpoints ? json_deep_copy(c->endpoints) : json_object();
	json_object_set_new(doc, "NetworkingConfig", json_pack("{s:o}", "EndpointsConfig", eps));
	/* a user-defined NetworkMode has its entry too: disconnected, it is gone for good, as
	 * docker's container then starts on no network */
	if (mode && bld_runner_network_user_defined(mode) && !json_object_get(eps, mode))
		json_object_set_new(eps, mode,
				    json_pack("{s:n, s:n, s:n}", "IPAMConfig", "Links", "Aliases"));
	if (mode && bld_str_has_prefix(mode, "container:") && container_mode(doc, c, err) < 0)
		return -1;
	if (!c->links || !c->links[0]) {
		json_object_set_new(hc, "Links", json_null());
		return 0;
	}
	json_t *links = json_array();
	json_object_set_new(hc, "Links", links);
	const char *self = bld_json_get_str(doc, "Name");
	for (size_t i = 0; c->links[i]; i++)
		if (link_json(ctx, self ? self : "/", c->links[i], links, err) < 0)
			return -1;
	return 0;
}

bool bld_runner_network_user_defined(const char *mode)
{
	return strcmp(mode, "default") && strcmp(mode, "bridge") && strcmp(mode, "host") &&
	       strcmp(mode, "none") && !bld_str_has_prefix(mode, "container:");
}

bool bld_runner_netcfg_user_networks(json_t *cfg)
{
	const char *mode = bld_json_get_str(json_object_get(cfg, "HostConfig"), "NetworkMode");
	json_t *eps = json_object_get(json_object_get(cfg, "NetworkingConfig"), "EndpointsConfig");
	if (mode && bld_runner_network_user_defined(mode))
		return true;
	const char *key;
	json_t *v;
	json_object_foreach(eps, key, v)
		if (bld_runner_network_user_defined(key))
			return true;
	return false;
}

/* One NetworkSettings.Networks entry of a container that does not run: what its config asks
 * for, nothing leased (docker's shape). */
static json_t *idle_entry(json_t *epcfg, json_t *last)
{
	json_t *e = json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}",
			      "IPAMConfig", "Links", "Aliases", "NetworkID", "", "EndpointID", "",
			      "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
			      "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", "",
			      "DriverOpts");
	static const char *const keys[] = {"IPAMConfig", "Links", "Aliases", "DriverOpts"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(epcfg, keys[i]);
		if (v && !json_is_null(v))
			json_object_set_new(e, keys[i], json_deep_copy(v));
	}
	/* what the last run had and docker keeps once stopped: the network's id, the aliases */
	static const char *const kept[] = {"NetworkID", "Aliases"};
	for (size_t i = 0; last && i < BLD_ARRAY_SIZE(kept); i++)
		if (json_object_get(last, kept[i]))
			json_object_set(e, kept[i], json_object_get(last, kept[i]));
	return e;
}

json_t *bld_runner_netcfg_settings(json_t *cfg, json_t *last)
{
	json_t *ports = json_object_get(last, "Ports");
	json_t *was = json_object_get(last, "Networks");
	json_t *hc = json_object_get(cfg, "HostConfig");
	const char *mode = bld_json_get_str(hc, "NetworkMode");
	json_t *eps = json_object_get(json_object_get(cfg, "NetworkingConfig"), "EndpointsConfig");
	if (!mode || !*mode || strcmp(mode, "default") == 0)
		mode = "bridge";
	json_t *nets = json_object();
	if (!bld_str_has_prefix(mode, "container:") &&
	    (!bld_runner_network_user_defined(mode) || json_object_get(eps, mode)))
		json_object_set_new(nets, mode, idle_entry(json_object_get(eps, mode),
							   json_object_get(was, mode)));
	const char *key;
	json_t *v;
	json_object_foreach(eps, key, v)
		if (!json_object_get(nets, key))
			json_object_set_new(nets, key, idle_entry(v, json_object_get(was, key)));
	json_t *ns = json_pack(
		"{s:s, s:s, s:b, s:s, s:i, s:o, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s, s:i, s:s,"
		" s:s, s:o}",
		"Bridge", "", "SandboxID", "", "HairpinMode", false, "LinkLocalIPv6Address", "",
		"LinkLocalIPv6PrefixLen", 0, "Ports", ports ? json_incref(ports) : json_object(),
		"SandboxKey", "", "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID",
		"", "Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress",
		"", "IPPrefixLen", 0, "IPv6Gateway", "", "MacAddress", "", "Networks", nets);
	return ns;
}
