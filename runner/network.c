/*
 * runner/network.c — the network store: $BLD_ROOT/networks/<id>/network.json, docker's
 * network object as `docker network inspect` prints it without "Containers" (computed from
 * networks/<id>/endpoints/<container id>.json, the endpoints whose container is alive), and
 * the network's lease files (ipam.c). Create, rm and prune run under networks/.lock, as
 * lease changes do; every file is written to a temporary name, fsynced and renamed.
 *
 * The predefined networks "bridge" (the device bld0 on 10.88.0.0/16), "host" and "none"
 * are made on first use with a random Id, as docker makes them when it starts; they cannot
 * be created, removed or pruned. A network is found by its full Id, then its name, then a
 * unique Id prefix, as docker's daemon looks it up.
 *
 * Subnets for networks created without --subnet come from docker's default pools
 * (172.17-31.0.0/16, then 192.168.0.0/16 in /20s), the first that overlaps no other bld
 * network, no route of the host and no nameserver of its resolv.conf, as docker 20.10's
 * IPAM picks them. This file does not set up bridges or containers' interfaces (net.c);
 * it deletes a network's bridge device when the network goes.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#define NET_JSON_MAX (1 << 20)

static const char *const predefined[] = {"bridge", "host", "none"};

char *bld_runner_network_dir(struct bld_ctx *ctx, const char *id)
{
	return xasprintf("%s/networks/%s", ctx->root, id);
}

int bld_runner_networks_lock(struct bld_ctx *ctx, struct bld_error **err)
{
	cleanup_free char *dir = xasprintf("%s/networks", ctx->root);
	if (bld_fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	cleanup_free char *p = xasprintf("%s/.lock", dir);
	cleanup_close int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return bld_error_sys(err, errno, "lock %s", p);
	return steal_fd(&fd);
}

bool bld_runner_network_is_predefined(const char *name)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(predefined); i++)
		if (strcmp(name, predefined[i]) == 0)
			return true;
	return false;
}

char **bld_runner_network_ids(struct bld_ctx *ctx)
{
	cleanup_free char *dir = xasprintf("%s/networks", ctx->root);
	return bld_runner_ids_in(dir);
}

int bld_runner_network_read(struct bld_ctx *ctx, const char *id, json_t **out,
			    struct bld_error **err)
{
	cleanup_free char *p = xasprintf("%s/networks/%s/network.json", ctx->root, id);
	return bld_json_load_file(out, p, NET_JSON_MAX, err);
}

/* network.json (and the auto-subnet mark) go into a new directory renamed to
 * networks/<id>: a network appears whole or not at all. */
int bld_runner_network_write(struct bld_ctx *ctx, json_t *net, bool auto_subnet,
			     struct bld_error **err)
{
	const char *id = bld_json_get_str(net, "Id");
	cleanup_free char *tmp = xasprintf("%s/networks/.new-%s", ctx->root, id);
	cleanup_free char *dst = bld_runner_network_dir(ctx, id);
	cleanup_free char *eps = xasprintf("%s/endpoints", tmp);
	cleanup_free char *text = bld_json_dump_pretty(net);
	if (bld_fs_mkdir_p(eps, 0700, err) < 0)
		return -1;
	cleanup_close int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return bld_error_sys(err, errno, "open %s", tmp);
	if (bld_fs_write_atomic(dfd, "network.json", text, strlen(text), 0600, err) < 0 ||
	    (auto_subnet && bld_fs_write_atomic(dfd, "auto-subnet", "", 0, 0600, err) < 0))
		return -1;
	if (rename(tmp, dst) < 0)
		return bld_error_sys(err, errno, "rename %s", dst);
	cleanup_free char *parent = xasprintf("%s/networks", ctx->root);
	cleanup_close int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0)
		bld_fs_fsync_dir(pfd);
	return 0;
}

static void random_id(char out[65])
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		abort(); /* the kernel's entropy pool never fails once initialised */
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The object docker prints, with the fields every network has. */
json_t *bld_runner_network_new(const char *name, const char *driver)
{
	char id[65], now[40];
	random_id(id);
	bld_runner_now_str(now);
	/* Go's RFC3339Nano, as docker writes Created: no trailing zeros in the fraction */
	size_t n = strlen(now) - 1; /* at the Z */
	while (now[n - 1] == '0')
		n--;
	if (now[n - 1] == '.')
		n--;
	snprintf(now + n, sizeof(now) - n, "Z");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:o, s:[]}, s:b, s:b, s:b,"
			 " s:{s:s}, s:b, s:{}, s:{}}",
			 "Name", name, "Id", id, "Created", now, "Scope", "local", "Driver", driver,
			 "EnableIPv6", false, "IPAM", "Driver", "default", "Options", json_object(),
			 "Config", "Internal", false, "Attachable", false, "Ingress", false,
			 "ConfigFrom", "Network", "", "ConfigOnly", false, "Options", "Labels");
}

/* The default bridge's subnet: BLD_BRIDGE_SUBNET or 10.88.0.0/16. */
static const char *bridge_subnet(void)
{
	const char *s = getenv("BLD_BRIDGE_SUBNET");
	return s && *s ? s : "10.88.0.0/16";
}

const char *bld_runner_network_default_bridge(void)
{
	const char *n = getenv("BLD_BRIDGE_NAME");
	return n && *n && strlen(n) < 16 ? n : "bld0";
}

/* A predefined network as docker shows its own (bridge: bld's device and subnet). */
static json_t *predefined_new(const char *name)
{
	bool bridge = strcmp(name, "bridge") == 0;
	json_t *net = bld_runner_network_new(name, strcmp(name, "none") == 0 ? "null" : name);
	json_t *ipam = json_object_get(net, "IPAM");
	json_object_set_new(ipam, "Options", json_null());
	if (!bridge)
		return net;
	json_array_append_new(json_object_get(ipam, "Config"),
			      json_pack("{s:s}", "Subnet", bridge_subnet()));
	json_t *o = json_object_get(net, "Options");
	json_object_set_new(o, "com.docker.network.bridge.default_bridge", json_string("true"));
	json_object_set_new(o, "com.docker.network.bridge.enable_icc", json_string("true"));
	json_object_set_new(o, "com.docker.network.bridge.enable_ip_masquerade",
			    json_string("true"));
	json_object_set_new(o, "com.docker.network.bridge.host_binding_ipv4",
			    json_string("0.0.0.0"));
	json_object_set_new(o, "com.docker.network.bridge.name",
			    json_string(bld_runner_network_default_bridge()));
	json_object_set_new(o, "com.docker.network.driver.mtu", json_string("1500"));
	return net;
}

/* The name of network id, NULL when its network.json cannot be read (caller frees). */
static char *name_of(struct bld_ctx *ctx, const char *id)
{
	cleanup_json json_t *n = NULL;
	cleanup_error struct bld_error *e = NULL;
	const char *nm = bld_runner_network_read(ctx, id, &n, &e) == 0 ? bld_json_get_str(n, "Name")
								       : NULL;
	return nm ? xstrdup(nm) : NULL;
}

/* Whether one of the networks ids is named name. */
static bool find_name(struct bld_ctx *ctx, char **ids, const char *name)
{
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_free char *nm = name_of(ctx, ids[i]);
		if (nm && strcmp(nm, name) == 0)
			return true;
	}
	return false;
}

void bld_runner_network_sweep(struct bld_ctx *ctx)
{
	cleanup_free char *top = xasprintf("%s/networks", ctx->root);
	DIR *d = opendir(top);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!bld_str_has_prefix(de->d_name, ".new-") &&
		    !bld_str_has_prefix(de->d_name, ".gone-"))
			continue;
		cleanup_free char *p = xasprintf("%s/%s", top, de->d_name);
		cleanup_error struct bld_error *e = NULL;
		if (bld_fs_rm_rf(p, &e) < 0)
			bld_debug("%s", e->msg);
	}
	if (d)
		closedir(d);
}

bool bld_runner_network_name_taken(struct bld_ctx *ctx, const char *name)
{
	cleanup_strv char **ids = bld_runner_network_ids(ctx);
	return find_name(ctx, ids, name);
}

/* Makes the predefined networks that are missing (under the lock; once per store). */
static int ensure_predefined(struct bld_ctx *ctx, struct bld_error **err)
{
	cleanup_free char *mark = xasprintf("%s/networks/.predefined", ctx->root);
	if (access(mark, F_OK) == 0)
		return 0;
	cleanup_close int lock = bld_runner_networks_lock(ctx, err);
	if (lock < 0)
		return -1;
	if (access(mark, F_OK) == 0)
		return 0;
	cleanup_strv char **ids = bld_runner_network_ids(ctx);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(predefined); i++) {
		if (find_name(ctx, ids, predefined[i]))
			continue;
		cleanup_json json_t *net = predefined_new(predefined[i]);
		if (bld_runner_network_write(ctx, net, false, err) < 0)
			return -1;
	}
	cleanup_close int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? bld_error_sys(err, errno, "create %s", mark) : 0;
}

int bld_runner_network_list(struct bld_ctx *ctx, char ***ids, struct bld_error **err)
{
	*ids = NULL;
	if (ensure_predefined(ctx, err) < 0)
		return -1;
	*ids = bld_runner_network_ids(ctx);
	return 0;
}

/* Docker's lookup: the full Id, then one network of that name, then a unique Id prefix.
 * api: an ambiguous prefix in the words of the API's network inspect, not the daemon's. */
static int resolve(struct bld_ctx *ctx, char **ids, const char *ref, bool api, char **id,
		   struct bld_error **err)
{
	char *by_prefix = NULL;
	size_t n_name = 0, n_prefix = 0;
	for (size_t i = 0; ids && ids[i]; i++)
		if (strcmp(ids[i], ref) == 0) {
			*id = xstrdup(ids[i]);
			return 0;
		}
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_free char *nm = name_of(ctx, ids[i]);
		if (nm && strcmp(nm, ref) == 0 && n_name++ == 0)
			*id = xstrdup(ids[i]);
		if (*ref && bld_str_has_prefix(ids[i], ref) && n_prefix++ == 0)
			by_prefix = ids[i];
	}
	if (n_name == 1)
		return 0;
	free(*id);
	*id = NULL;
	if (n_name > 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "network %s is ambiguous (%zu matches found on name)", ref, n_name);
	if (n_prefix == 1) {
		*id = xstrdup(by_prefix);
		return 0;
	}
	if (n_prefix > 1 && api)
		return bld_error_set(err, BLD_E_INVALID,
				     "%zu matches found based on ID prefix: network %s is ambiguous",
				     n_prefix, ref);
	if (n_prefix > 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "network %s is ambiguous (%zu matches found based on ID prefix)",
				     ref, n_prefix);
	return bld_error_set(err, BLD_E_NOTFOUND, "network %s not found", ref);
}

static int load(struct bld_ctx *ctx, const char *ref, bool api, json_t **out,
		struct bld_error **err)
{
	*out = NULL;
	cleanup_strv char **ids = NULL;
	cleanup_free char *id = NULL;
	if (bld_runner_network_list(ctx, &ids, err) < 0 ||
	    resolve(ctx, ids, ref, api, &id, err) < 0)
		return -1;
	return bld_runner_network_read(ctx, id, out, err);
}

int bld_runner_network_load(struct bld_ctx *ctx, const char *ref, json_t **out,
			    struct bld_error **err)
{
	return load(ctx, ref, false, out, err);
}

/* ------------------------------------------------------------------ endpoints */

int bld_runner_network_endpoints(struct bld_ctx *ctx, const char *id, json_t **out,
				 struct bld_error **err)
{
	(void)err;
	cleanup_free char *dir = xasprintf("%s/networks/%s/endpoints", ctx->root, id);
	json_t *eps = json_object();
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len != 64 + 5 || !bld_str_has_suffix(e->d_name, ".json"))
			continue;
		char cid[65];
		snprintf(cid, sizeof(cid), "%.64s", e->d_name);
		cleanup_json json_t *ep = NULL;
		cleanup_error struct bld_error *le = NULL;
		cleanup_free char *p = xasprintf("%s/%s", dir, e->d_name);
		if (!bld_runner_lease_owner_alive(ctx, cid) ||
		    bld_json_load_file(&ep, p, NET_JSON_MAX, &le) < 0)
			continue; /* a dead container's endpoint counts as absent */
		json_object_set_new(eps, cid, steal_pointer(&ep));
	}
	if (d)
		closedir(d);
	*out = eps;
	return 0;
}

/* "ADDR/PREFIX" of an endpoint's address, "" when it has none. */
static json_t *with_prefix(const char *addr, int prefix)
{
	if (!addr || !*addr)
		return json_string("");
	return json_sprintf("%s/%d", addr, prefix);
}

static const json_t *config_of(const json_t *net, int family);

/* The prefix length of the network's subnet of the family. */
static int family_prefix(const json_t *net, int family)
{
	struct bld_runner_ipam_cidr x;
	const json_t *c = config_of(net, family);
	if (c && bld_runner_ipam_cidr_parse(bld_json_get_str(c, "Subnet"), &x) == 0)
		return x.prefix;
	return family == AF_INET ? 32 : 128;
}

/* One live lease of the default bridge as an endpoint, from its container's state. */
static int bridge_endpoint(const char *ctr, const char *ip, bool well_formed, void *payload)
{
	struct bld_ctx *ctx = ((void **)payload)[0];
	json_t *eps = ((void **)payload)[1];
	cleanup_json json_t *st = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (!well_formed || !bld_runner_lease_owner_alive(ctx, ctr) ||
	    bld_runner_container_load(ctx, ctr, NULL, &st, &e) < 0)
		return 0;
	json_t *nw = json_object_get(json_object_get(json_object_get(st, "NetworkSettings"),
						     "Networks"), "bridge");
	cleanup_free char *name = bld_runner_container_name(ctx, ctr);
	const char *epid = bld_json_get_str(nw, "EndpointID");
	const char *mac = bld_json_get_str(nw, "MacAddress");
	json_object_set_new(eps, ctr,
			    json_pack("{s:s, s:s, s:s, s:s}", "Name", name ? name : "",
				      "EndpointID", epid ? epid : "", "MacAddress", mac ? mac : "",
				      "IPv4Address", ip));
	return 0;
}

/* The default bridge's containers: those holding a live lease on it (docker lists them;
 * they have no endpoint files). */
static void bridge_endpoints(struct bld_ctx *ctx, const json_t *net, json_t *eps)
{
	struct bld_runner_ipam_pool p;
	cleanup_error struct bld_error *e = NULL;
	const json_t *c = config_of(net, AF_INET);
	const char *name = bld_json_get_str(net, "Name");
	if (!c || !name || strcmp(name, "bridge") || bld_runner_ipam_pool_init(&p, c, &e) < 0)
		return;
	cleanup_free char *dir = bld_runner_network_dir(ctx, bld_json_get_str(net, "Id"));
	void *payload[] = {ctx, eps};
	bld_runner_ipam_each(dir, "leases", &p, bridge_endpoint, payload);
}

/* docker's Containers: {id: {Name, EndpointID, MacAddress, IPv4Address, IPv6Address}}. */
static json_t *containers_of(struct bld_ctx *ctx, const json_t *net)
{
	cleanup_json json_t *eps = NULL;
	cleanup_error struct bld_error *e = NULL;
	cleanup_json json_t *out = json_object();
	if (bld_runner_network_endpoints(ctx, bld_json_get_str(net, "Id"), &eps, &e) < 0)
		return json_object();
	bridge_endpoints(ctx, net, eps);
	const char *cid;
	json_t *ep;
	json_object_foreach(eps, cid, ep) {
		json_t *pl = json_object_get(ep, "PrefixLen");
		int p4 = json_is_integer(pl) ? (int)json_integer_value(pl)
					     : family_prefix(net, AF_INET);
		const char *name = bld_json_get_str(ep, "Name");
		const char *epid = bld_json_get_str(ep, "EndpointID");
		const char *mac = bld_json_get_str(ep, "MacAddress");
		json_object_set_new(
			out, cid,
			json_pack("{s:s, s:s, s:s, s:o, s:o}", "Name", name ? name : "",
				  "EndpointID", epid ? epid : "", "MacAddress", mac ? mac : "",
				  "IPv4Address", with_prefix(bld_json_get_str(ep, "IPv4Address"), p4),
				  "IPv6Address",
				  with_prefix(bld_json_get_str(ep, "IPv6Address"),
					      family_prefix(net, AF_INET6))));
	}
	return bld_runner_json_sorted(out);
}

/* network.json with Containers put where docker prints it (before Options). */
static json_t *with_containers(struct bld_ctx *ctx, json_t *net)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(net, k, v) {
		if (strcmp(k, "Options") == 0)
			json_object_set_new(out, "Containers", containers_of(ctx, net));
		json_object_set(out, k, v);
	}
	return out;
}

int bld_runner_network_inspect(struct bld_ctx *ctx, const char *ref, json_t **out,
			       struct bld_error **err)
{
	cleanup_json json_t *net = NULL;
	if (load(ctx, ref, true, &net, err) < 0)
		return -1;
	*out = with_containers(ctx, net);
	return 0;
}

/* ------------------------------------------------------------------ removal */

void bld_runner_network_rules(const json_t *net, bool add)
{
	char br[16], gws[INET6_ADDRSTRLEN];
	int prefix = 0;
	struct in_addr gw;
	bld_runner_network_bridge_name(net, br);
	if (!br[0] || bld_runner_network_gateway(net, AF_INET, gws, &prefix) < 0 ||
	    inet_pton(AF_INET, gws, &gw) != 1)
		return;
	uint32_t mask = prefix ? ~0U << (32 - prefix) : 0;
	struct in_addr netaddr = {.s_addr = htonl(ntohl(gw.s_addr) & mask)};
	char netstr[INET_ADDRSTRLEN], cidr[64];
	inet_ntop(AF_INET, &netaddr, netstr, sizeof(netstr));
	snprintf(cidr, sizeof(cidr), "%s/%d", netstr, prefix);
	bld_runner_net_rules(add, br, cidr, json_is_true(json_object_get(net, "Internal")));
}

/* Deletes the network's bridge device and its firewall rules, when there is one (a user
 * network's). */
static void bridge_delete(const json_t *net)
{
	bld_runner_network_rules(net, false);
	char br[16];
	bld_runner_network_bridge_name(net, br);
	int i = br[0] ? bld_runner_nl_ifindex(br) : 0;
	cleanup_error struct bld_error *e = NULL;
	if (i > 0 && bld_runner_nl_link_del(i, &e) < 0)
		bld_debug("delete %s: %s", br, e->msg);
}

/* Removes network id (the caller holds the lock): refused while it has live endpoints. */
static int remove_locked(struct bld_ctx *ctx, const char *id, struct bld_error **err)
{
	cleanup_json json_t *net = NULL;
	cleanup_json json_t *eps = NULL;
	if (bld_runner_network_read(ctx, id, &net, err) < 0)
		return -1;
	const char *name = bld_json_get_str(net, "Name");
	if (bld_runner_network_is_predefined(name ? name : ""))
		return bld_error_set(err, BLD_E_INVALID,
				     "%s is a pre-defined network and cannot be removed", name);
	if (bld_runner_network_endpoints(ctx, id, &eps, err) < 0)
		return -1;
	if (json_object_size(eps))
		return bld_error_set(err, BLD_E_EXISTS,
				     "error while removing network: network %s id %s has active "
				     "endpoints",
				     name, id);
	cleanup_error struct bld_error *ne = NULL; /* rootless: the bridge is there, if any */
	if (bld_runner_rootless_netns(ctx, false, &ne) < 0)
		bld_debug("%s", ne->msg);
	bridge_delete(net);
	cleanup_free char *dir = bld_runner_network_dir(ctx, id);
	cleanup_free char *gone = xasprintf("%s/networks/.gone-%s", ctx->root, id);
	/* renamed first: a kill -9 during the removal leaves no half network */
	if (rename(dir, gone) < 0)
		return bld_error_sys(err, errno, "rename %s", dir);
	char *attrs[] = {"type=bridge", NULL};
	cleanup_free char *nattr = xasprintf("name=%s", name);
	attrs[0] = nattr;
	bld_cache_event_append(ctx->root, "network", "destroy", id, attrs, NULL);
	return bld_fs_rm_rf(gone, err);
}

int bld_runner_network_remove(struct bld_ctx *ctx, const char *ref, struct bld_error **err)
{
	cleanup_strv char **ids = NULL;
	cleanup_free char *id = NULL;
	if (bld_runner_network_list(ctx, &ids, err) < 0 ||
	    resolve(ctx, ids, ref, false, &id, err) < 0)
		return -1;
	cleanup_close int lock = bld_runner_networks_lock(ctx, err);
	if (lock < 0)
		return -1;
	return remove_locked(ctx, id, err);
}

/* Whether a prune keeps net: created at or after until (unix seconds, 0: no limit), or its
 * labels against filters (docker's label=K[=V] and label!=K[=V]). */
static bool prune_keeps(const json_t *net, double until, char *const *filters)
{
	json_t *labels = json_object_get(net, "Labels");
	if (until > 0 && bld_runner_time_parse(bld_json_get_str(net, "Created")) >= until)
		return true;
	for (size_t i = 0; filters && filters[i]; i++) {
		const char *f = filters[i];
		bool neg = bld_str_has_prefix(f, "label!=");
		if (!neg && !bld_str_has_prefix(f, "label="))
			continue;
		const char *kv = f + (neg ? 7 : 6);
		const char *eq = strchr(kv, '=');
		cleanup_free char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
		const char *have = bld_json_get_str(labels, k);
		bool match = json_object_get(labels, k) && (!eq || (have && !strcmp(have, eq + 1)));
		if (match == neg)
			return true;
	}
	return false;
}

int bld_runner_network_prune(struct bld_ctx *ctx, double until, char *const *filters,
			     char ***removed, struct bld_error **err)
{
	*removed = NULL;
	cleanup_strv char **ids = NULL;
	if (bld_runner_network_list(ctx, &ids, err) < 0)
		return -1;
	cleanup_close int lock = bld_runner_networks_lock(ctx, err);
	if (lock < 0)
		return -1;
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_json json_t *net = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_network_read(ctx, ids[i], &net, &e) < 0)
			continue;
		const char *name = bld_json_get_str(net, "Name");
		if (!name || bld_runner_network_is_predefined(name) || prune_keeps(net, until, filters))
			continue;
		cleanup_free char *nm = xstrdup(name);
		if (remove_locked(ctx, ids[i], &e) == 0)
			bld_strv_push(removed, nm);
	}
	return 0;
}

/* ------------------------------------------------------------------ facts of a network */

void bld_runner_network_bridge_name(const json_t *net, char out[16])
{
	const char *drv = bld_json_get_str(net, "Driver");
	const char *id = bld_json_get_str(net, "Id");
	const char *br =
		bld_json_get_str(json_object_get(net, "Options"), "com.docker.network.bridge.name");
	out[0] = 0;
	if (!drv || strcmp(drv, "bridge") != 0)
		return;
	if (br && *br)
		snprintf(out, 16, "%s", br);
	else if (id)
		snprintf(out, 16, "br-%.12s", id);
}

/* The IPAM.Config entry of the family, or NULL. */
static const json_t *config_of(const json_t *net, int family)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(net, "IPAM"), "Config"), i, c) {
		struct bld_runner_ipam_cidr x;
		if (bld_runner_ipam_cidr_parse(bld_json_get_str(c, "Subnet"), &x) == 0 &&
		    x.family == family)
			return c;
	}
	return NULL;
}

int bld_runner_network_gateway(const json_t *net, int family, char out[46], int *prefix)
{
	struct bld_runner_ipam_pool p;
	const json_t *c = config_of(net, family);
	cleanup_error struct bld_error *e = NULL;
	out[0] = 0;
	if (!c || bld_runner_ipam_pool_init(&p, c, &e) < 0)
		return -1;
	*prefix = p.subnet.prefix;
	bld_runner_ipam_addr_at(&p.subnet, p.gateway, out);
	return 0;
}

/* ------------------------------------------------------------------ leases */

int bld_runner_network_ip_lease(struct bld_ctx *ctx, const json_t *net, const char *ctr_id,
				int family, const char *want, char out[46], int *prefix,
				struct bld_error **err)
{
	struct bld_runner_ipam_pool p;
	const json_t *c = config_of(net, family);
	out[0] = 0;
	if (!c)
		return bld_error_set(err, BLD_E_NOTFOUND, "network %s has no IPv%d subnet",
				     bld_json_get_str(net, "Name"), family == AF_INET ? 4 : 6);
	if (bld_runner_ipam_pool_init(&p, c, err) < 0)
		return -1;
	*prefix = p.subnet.prefix;
	cleanup_free char *dir = bld_runner_network_dir(ctx, bld_json_get_str(net, "Id"));
	return bld_runner_ipam_lease(ctx, dir, family == AF_INET ? "leases" : "leases6", &p,
				     ctr_id, want, out, err);
}

int bld_runner_network_ip_release(struct bld_ctx *ctx, const char *net_id, const char *ctr_id,
				  struct bld_error **err)
{
	cleanup_free char *dir = bld_runner_network_dir(ctx, net_id);
	if (bld_runner_ipam_release(dir, "leases", ctr_id, err) < 0)
		return -1;
	return bld_runner_ipam_release(dir, "leases6", ctr_id, err);
}

bool bld_runner_network_user_subnet(struct bld_ctx *ctx, const json_t *net)
{
	cleanup_free char *p =
		xasprintf("%s/networks/%s/auto-subnet", ctx->root, bld_json_get_str(net, "Id"));
	const char *name = bld_json_get_str(net, "Name");
	return access(p, F_OK) != 0 && !bld_runner_network_is_predefined(name ? name : "");
}
