/*
 * runner/netcreate.c — `network create`: a spec checked as docker checks it (the CLI's
 * pairing of --subnet/--gateway/--ip-range, then the daemon's and libnetwork's checks, with
 * their words), subnets chosen for what was not given, and the new network.json written by
 * network.c under the networks lock.
 *
 * Subnets not given come from docker 20.10's default pools, in order: 172.17.0.0/16 to
 * 172.31.0.0/16, then 192.168.0.0/16 cut in /20s; the first that overlaps no subnet of
 * another network, no route of the host (/proc/net/route, the calling process's network
 * namespace) and no nameserver of /etc/resolv.conf. IPv6 has no default pool (docker 20.10
 * has none either): --ipv6 needs a --subnet for it. Given subnets are checked against the
 * other networks only, as docker's.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>

/* Whether subnet text s (docker's subnetMatches) contains the address of data ("ADDR" or
 * "ADDR/PREFIX"); -1 when s is not a CIDR, -2 when data has a bad prefix. */
static int subnet_matches(const char *s, const char *data)
{
	struct bld_runner_ipam_cidr c, d;
	unsigned char a[16];
	if (bld_runner_ipam_cidr_parse(s, &c) < 0)
		return -1;
	if (strchr(data, '/')) {
		if (bld_runner_ipam_cidr_parse(data, &d) < 0)
			return -2;
		memcpy(a, d.addr, 16);
		return d.family == c.family && bld_runner_ipam_contains(&c, a);
	}
	int fam = bld_runner_ipam_addr_parse(data, 0, a);
	return fam == c.family && bld_runner_ipam_contains(&c, a);
}

/* Attaches each of vals (ranges or gateways) to the one config entry whose subnet holds it. */
static int pair_with_subnets(json_t *configs, char *const *vals, const char *key,
			     const char *what, struct bld_error **err)
{
	for (size_t i = 0; vals && vals[i]; i++) {
		bool match = false;
		size_t k;
		json_t *c;
		json_array_foreach(configs, k, c) {
			const char *s = bld_json_get_str(c, "Subnet");
			int m = subnet_matches(s, vals[i]);
			if (m == -1)
				return bld_error_set(err, BLD_E_INVALID,
						     "invalid subnet: invalid CIDR address: %s", s);
			if (m == -2)
				return bld_error_set(err, BLD_E_INVALID, "invalid CIDR address: %s",
						     vals[i]);
			if (!m)
				continue;
			const char *old = bld_json_get_str(c, key);
			if (old)
				return bld_error_set(
					err, BLD_E_INVALID,
					strcmp(key, "IPRange") == 0
						? "cannot configure multiple ranges (%s, %s) on the same subnet (%s)"
						: "cannot configure multiple gateways (%s, %s) for the same subnet (%s)",
					vals[i], old, s);
			json_object_set_new(c, key, json_string(vals[i]));
			match = true;
		}
		if (!match)
			return bld_error_set(err, BLD_E_INVALID, "no matching subnet for %s %s", what,
					     vals[i]);
	}
	return 0;
}

/* docker's consolidateIpam: one config per --subnet, none overlapping, each --ip-range and
 * --gateway paired with the subnet that holds it. */
static int consolidate(const struct bld_runner_network_spec *s, json_t *configs,
		       struct bld_error **err)
{
	size_t ns = bld_strv_len(s->subnets);
	if (ns < bld_strv_len(s->ip_ranges) || ns < bld_strv_len(s->gateways))
		return bld_error_set(err, BLD_E_INVALID,
				     "every ip-range or gateway must have a corresponding subnet");
	for (size_t i = 0; i < ns; i++) {
		for (size_t k = 0; k < i; k++) {
			int a = subnet_matches(s->subnets[i], s->subnets[k]);
			int b = subnet_matches(s->subnets[k], s->subnets[i]);
			if (a < 0 || b < 0)
				return bld_error_set(err, BLD_E_INVALID,
						     "invalid subnet: invalid CIDR address: %s",
						     a == -1 ? s->subnets[i] : s->subnets[k]);
			if (a || b)
				return bld_error_set(err, BLD_E_INVALID,
						     "multiple overlapping subnet configuration is not "
						     "supported");
		}
		json_array_append_new(configs, json_pack("{s:s}", "Subnet", s->subnets[i]));
	}
	if (pair_with_subnets(configs, s->ip_ranges, "IPRange", "range", err) < 0)
		return -1;
	return pair_with_subnets(configs, s->gateways, "Gateway", "gateway", err);
}

/* The daemon's checks of one given config: the subnet, the gateway's form and place. */
static int check_config(json_t *c, struct bld_error **err)
{
	const char *s = bld_json_get_str(c, "Subnet");
	const char *gw = bld_json_get_str(c, "Gateway");
	const char *range = bld_json_get_str(c, "IPRange");
	struct bld_runner_ipam_cidr sub, r;
	unsigned char a[16];
	if (bld_runner_ipam_cidr_parse(s, &sub) < 0)
		return bld_error_set(err, BLD_E_INVALID, "Invalid subnet %s : invalid CIDR address: %s",
				     s, s);
	if (gw && bld_runner_ipam_addr_parse(gw, 0, a) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid gateway address %s in Ipam configuration", gw);
	if (range && (bld_runner_ipam_cidr_parse(range, &r) < 0 || r.family != sub.family ||
		      r.prefix < sub.prefix || !bld_runner_ipam_contains(&sub, r.addr)))
		return bld_error_set(err, BLD_E_INVALID, "Invalid Address SubPool");
	uint64_t last = bld_runner_ipam_host_last(&sub);
	if (sub.family == AF_INET && last == 0)
		return bld_error_set(err, BLD_E_EXISTS,
				     "failed to allocate gateway (%s): No available addresses on this "
				     "pool", gw ? gw : "");
	if (!gw)
		return 0;
	uint64_t g = bld_runner_ipam_host_of(&sub, a);
	if (!bld_runner_ipam_contains(&sub, a) || g == 0 || g > last)
		return bld_error_set(err, BLD_E_EXISTS,
				     "failed to allocate gateway (%s): Address already in use", gw);
	return 0;
}

/* ------------------------------------------------------------------ default pools */

/* The IPv4 subnets the host already routes (/proc/net/route) and its nameservers (as /32s):
 * what a default pool must not overlap. */
void bld_runner_network_host_taken(struct bld_runner_ipam_cidr **v, size_t *n)
{
	cleanup_fclose FILE *f = fopen("/proc/net/route", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		char ifname[32];
		unsigned dst, gw, flags, mask;
		if (sscanf(line, "%31s %x %x %x %*d %*d %*d %x", ifname, &dst, &gw, &flags, &mask) != 5)
			continue; /* the header */
		if (mask == 0)
			continue; /* a default route overlaps everything and counts for nothing */
		struct bld_runner_ipam_cidr c = {.family = AF_INET, .prefix = __builtin_popcount(mask)};
		memcpy(c.addr, &dst, 4); /* the kernel prints them in network order */
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = c;
	}
	cleanup_fclose FILE *r = fopen("/etc/resolv.conf", "re");
	while (r && fgets(line, sizeof(line), r)) {
		char ns[64];
		struct bld_runner_ipam_cidr c = {.family = AF_INET, .prefix = 32};
		if (sscanf(line, " nameserver %63s", ns) != 1 ||
		    bld_runner_ipam_addr_parse(ns, AF_INET, c.addr) < 0)
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = c;
	}
}


/* ------------------------------------------------------------------ create */

/* The daemon's refusals of the driver (only bridge networks can be made). */
static int check_driver(const char *d, struct bld_error **err)
{
	if (!d || !*d || strcmp(d, "bridge") == 0)
		return 0;
	if (strcmp(d, "host") == 0 || strcmp(d, "null") == 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "only one instance of \"%s\" network is allowed", d);
	if (strcmp(d, "overlay") == 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "This node is not a swarm manager. Use \"docker swarm init\" or "
				     "\"docker swarm join\" to connect this node to swarm and try "
				     "again.");
	return bld_error_set(err, BLD_E_NOTFOUND, "plugin \"%s\" not found", d);
}

/* KEY=VALUE strings into an object (a KEY alone: ""), keys in order as docker's. */
static json_t *kv_object(char *const *v)
{
	cleanup_json json_t *o = json_object();
	for (size_t i = 0; v && v[i]; i++) {
		const char *eq = strchr(v[i], '=');
		cleanup_free char *k = eq ? xstrndup(v[i], (size_t)(eq - v[i])) : xstrdup(v[i]);
		json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return bld_runner_json_sorted(o);
}

/* The bridge driver's check of its options: the MTU is a number. */
static int check_options(const json_t *opts, struct bld_error **err)
{
	const char *mtu = bld_json_get_str(opts, "com.docker.network.driver.mtu");
	long v = 0;
	if (mtu && bld_parse_long(mtu, 0, INT32_MAX, &v) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "failed to parse com.docker.network.driver.mtu value: %s "
				     "(strconv.Atoi: parsing \"%s\": invalid syntax)",
				     mtu, mtu);
	return 0;
}

/* The subnets of every other network, masked. */
static void used_subnets(struct bld_ctx *ctx, struct bld_runner_ipam_cidr **v, size_t *n)
{
	cleanup_strv char **ids = bld_runner_network_ids(ctx);
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_json json_t *net = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_network_read(ctx, ids[i], &net, &e) < 0)
			continue;
		size_t k;
		json_t *c;
		json_array_foreach(json_object_get(json_object_get(net, "IPAM"), "Config"), k, c) {
			struct bld_runner_ipam_cidr x;
			if (bld_runner_ipam_cidr_parse(bld_json_get_str(c, "Subnet"), &x) < 0)
				continue;
			bld_runner_ipam_cidr_mask(&x);
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = x;
		}
	}
}

/* Checks each given config against the others' subnets, and adds an IPv4 one picked from
 * the default pools when none was given. *picked: that happened. */
static int assign_subnets(struct bld_ctx *ctx, json_t *configs, bool *picked,
			  struct bld_error **err)
{
	cleanup_free struct bld_runner_ipam_cidr *used = NULL;
	size_t n_used = 0;
	bool v4 = false;
	used_subnets(ctx, &used, &n_used);
	size_t i;
	json_t *c;
	json_array_foreach(configs, i, c) {
		struct bld_runner_ipam_cidr x;
		bld_runner_ipam_cidr_parse(bld_json_get_str(c, "Subnet"), &x);
		bld_runner_ipam_cidr_mask(&x);
		v4 = v4 || x.family == AF_INET;
		for (size_t k = 0; k < n_used; k++)
			if (bld_runner_ipam_overlaps(&x, &used[k]))
				return bld_error_set(err, BLD_E_EXISTS,
						     "Pool overlaps with other one on this address "
						     "space");
	}
	*picked = !v4;
	if (v4)
		return 0;
	cleanup_free struct bld_runner_ipam_cidr *taken = NULL;
	size_t n_taken = 0;
	bld_runner_network_host_taken(&taken, &n_taken);
	char sub[64], gw[INET6_ADDRSTRLEN];
	if (bld_runner_ipam_pool_pick(used, n_used, taken, n_taken, sub, err) < 0)
		return -1;
	struct bld_runner_ipam_cidr x;
	bld_runner_ipam_cidr_parse(sub, &x);
	bld_runner_ipam_addr_at(&x, 1, gw);
	json_array_insert_new(configs, 0, json_pack("{s:s, s:s}", "Subnet", sub, "Gateway", gw));
	return 0;
}

/* IPv4 configs first, then IPv6 ones, each in the order given (docker's inspect order), with
 * docker's key order (Subnet, IPRange, Gateway). */
static json_t *ordered_configs(const json_t *configs)
{
	json_t *out = json_array();
	static const char *const keys[] = {"Subnet", "IPRange", "Gateway"};
	for (int pass = 0; pass < 2; pass++) {
		size_t i;
		json_t *c;
		json_array_foreach(configs, i, c) {
			bool v6 = strchr(bld_json_get_str(c, "Subnet"), ':') != NULL;
			if (v6 != (pass == 1))
				continue;
			json_t *o = json_object();
			for (size_t k = 0; k < BLD_ARRAY_SIZE(keys); k++)
				if (json_object_get(c, keys[k]))
					json_object_set(o, keys[k], json_object_get(c, keys[k]));
			json_array_append_new(out, o);
		}
	}
	return out;
}

/* The checks that need no store: the CLI's, then the daemon's on the name. */
static int check_spec(const struct bld_runner_network_spec *s, json_t *configs,
		      struct bld_error **err)
{
	if (consolidate(s, configs, err) < 0)
		return -1;
	if (bld_runner_network_is_predefined(s->name))
		return bld_error_set(err, BLD_E_INVALID,
				     "operation is not permitted on predefined %s network", s->name);
	return 0;
}

/* The daemon's checks after the name's: driver, configs, options, IPv6. */
static int check_more(const struct bld_runner_network_spec *s, json_t *configs, json_t *opts,
		      struct bld_error **err)
{
	bool v6 = false;
	size_t i;
	json_t *c;
	if (check_driver(s->driver, err) < 0)
		return -1;
	json_array_foreach(configs, i, c) {
		if (check_config(c, err) < 0)
			return -1;
		v6 = v6 || strchr(bld_json_get_str(c, "Subnet"), ':') != NULL;
	}
	if (check_options(opts, err) < 0)
		return -1;
	if (s->ipv6 && !v6)
		return bld_error_set(err, BLD_E_EXISTS,
				     "could not find an available, non-overlapping IPv6 address pool "
				     "among the defaults to assign to the network");
	return 0;
}

int bld_runner_network_create(struct bld_ctx *ctx, const struct bld_runner_network_spec *s,
			      char **id, struct bld_error **err)
{
	cleanup_json json_t *configs = json_array();
	cleanup_json json_t *opts = kv_object(s->options);
	cleanup_strv char **ids = NULL;
	bool picked = false;
	*id = NULL;
	if (check_spec(s, configs, err) < 0 || bld_runner_network_list(ctx, &ids, err) < 0)
		return -1;
	cleanup_close int lock = bld_runner_networks_lock(ctx, err);
	if (lock < 0)
		return -1;
	bld_runner_network_sweep(ctx);
	if (bld_runner_network_name_taken(ctx, s->name))
		return bld_error_set(err, BLD_E_EXISTS, "network with name %s already exists",
				     s->name);
	if (check_more(s, configs, opts, err) < 0 || assign_subnets(ctx, configs, &picked, err) < 0)
		return -1;
	cleanup_json json_t *net = bld_runner_network_new(s->name, "bridge");
	json_t *ipam = json_object_get(net, "IPAM");
	json_object_set_new(ipam, "Config", ordered_configs(configs));
	json_object_set_new(net, "EnableIPv6", json_boolean(s->ipv6));
	json_object_set_new(net, "Internal", json_boolean(s->internal));
	json_object_set_new(net, "Attachable", json_boolean(s->attachable));
	json_object_set(net, "Options", opts);
	json_object_set_new(net, "Labels", kv_object(s->labels));
	if (bld_runner_network_write(ctx, net, picked, err) < 0)
		return -1;
	*id = xstrdup(bld_json_get_str(net, "Id"));
	cleanup_free char *nattr = xasprintf("name=%s", s->name);
	char *attrs[] = {nattr, "type=bridge", NULL};
	bld_cache_event_append(ctx->root, "network", "create", *id, attrs, NULL);
	return 0;
}
