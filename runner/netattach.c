/*
 * runner/netattach.c — one container's endpoint on one user-defined network: the network's
 * bridge device (made when missing, with its gateway address, MTU and firewall rules), the
 * addresses leased from its IPAM, a veth pair whose peer is ethN in the container's network
 * namespace, and the endpoint file networks/<net>/endpoints/<ctr>.json that name resolution
 * reads. Used by the monitor when a container starts and by a live `network connect`.
 *
 * Order, for a kill -9 at any moment: the lease is taken under the networks lock and counts
 * only while the container's monitor lives (ipam.c); the veth pair exists only while the
 * container's namespace does (it dies with it); the endpoint file is written last, once the
 * interface is up, and an endpoint file of a dead monitor counts as absent. So nothing a
 * killed process made outlives its container's removal: `rm` drops leases and endpoint files
 * left by a dead monitor (bld_runner_ep_forget).
 *
 * It does not decide which networks a container is on (net.c reads that from its config) nor
 * what a network is (network.json, the store's).
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ the bridge */

/* Rootless, without an MTU option: pasta's, 65520, since every packet costs pasta alike
 * whatever its size (at 1500, a twentieth of the throughput). */
#define ROOTLESS_MTU 65520

int bld_runner_net_mtu(const json_t *net)
{
	long mtu = 0;
	const char *m = bld_json_get_str(json_object_get(net, "Options"),
					 "com.docker.network.driver.mtu");
	if (m && bld_parse_long(m, 68, 65535, &mtu) == 0)
		return (int)mtu;
	return bld_rootless() ? ROOTLESS_MTU : 0;
}

/* The bridge with its gateway address, created once (under the networks lock); its MTU,
 * rules and forwarding only then: a bridge that exists had them set up by whoever made it. */
int bld_runner_net_bridge_ensure(const json_t *net, int *ifindex, struct bld_error **err)
{
	char br[16], gws[INET6_ADDRSTRLEN];
	int prefix = 0;
	bld_runner_network_bridge_name(net, br);
	*ifindex = bld_runner_nl_ifindex(br);
	if (*ifindex > 0)
		return 0;
	struct in_addr gw;
	if (bld_runner_network_gateway(net, AF_INET, gws, &prefix) < 0 ||
	    inet_pton(AF_INET, gws, &gw) != 1)
		return bld_error_set(err, BLD_E_INVALID, "network %s has no IPv4 subnet",
				     bld_json_get_str(net, "Name"));
	if (bld_runner_nl_bridge_setup(br, gw, prefix, ifindex, err) < 0)
		return bld_error_wrap(err, "bridge %s", br);
	int mtu = bld_runner_net_mtu(net);
	if (mtu > 0 && bld_runner_nl_mtu(*ifindex, mtu, err) < 0)
		return -1;
	struct in6_addr gw6;
	if (bld_runner_network_gateway(net, AF_INET6, gws, &prefix) == 0 &&
	    inet_pton(AF_INET6, gws, &gw6) == 1) { /* --ipv6: its gateway too */
		struct bld_runner_nl b;
		cleanup_close int s = bld_runner_nl_socket();
		bld_runner_nl_init(&b, s);
		bld_runner_nl_addr6_add(&b, *ifindex, &gw6, prefix);
		if (s < 0 || bld_runner_nl_send(&b, err) < 0)
			return s < 0 ? bld_error_sys(err, errno, "netlink") : -1;
	}
	bld_runner_network_rules(net, true);
	return 0;
}

/* ------------------------------------------------------------------ one endpoint */

/* The address of the family leased (a given one when asked for), with the gateway and the
 * prefix of its subnet; nothing when the network has no subnet of that family. */
static int lease(struct bld_ctx *ctx, const json_t *net, const char *ctr_id, int family,
		 struct bld_runner_ep *ep, struct bld_error **err)
{
	bool v4 = family == AF_INET;
	const char *want = bld_json_get_str(json_object_get(ep->cfg, "IPAMConfig"),
					    v4 ? "IPv4Address" : "IPv6Address");
	int prefix = 0;
	char gw[INET6_ADDRSTRLEN];
	bool has = bld_runner_network_gateway(net, family, gw, &prefix) == 0;
	if (want && *want && (!has || (v4 && !bld_runner_network_user_subnet(ctx, net))))
		return bld_error_set(err, BLD_E_INVALID, "user specified IP address is supported "
				     "only when connecting to networks with user configured subnets");
	if (!has)
		return 0;
	if (bld_runner_network_ip_lease(ctx, net, ctr_id, family, want, v4 ? ep->ip : ep->ip6,
					v4 ? &ep->prefix : &ep->prefix6, err) < 0)
		return -1;
	snprintf(v4 ? ep->gw : ep->gw6, INET6_ADDRSTRLEN, "%s", gw);
	return 0;
}

/* Names, ids and the MAC address of a new endpoint (docker's 02:42 + the IPv4 address). */
static void ep_names(struct bld_runner_ep *ep, const char *ctr_id, const json_t *net, int index)
{
	snprintf(ep->net_id, sizeof(ep->net_id), "%s", bld_json_get_str(net, "Id"));
	snprintf(ep->name, sizeof(ep->name), "%s", bld_json_get_str(net, "Name"));
	bld_runner_network_bridge_name(net, ep->bridge);
	snprintf(ep->veth, sizeof(ep->veth), "bld%.8s%.4s", ctr_id, ep->net_id);
	snprintf(ep->ifname, sizeof(ep->ifname), "eth%d", index);
	bld_runner_random_hex(ep->ep_id, 32);
	ep->internal = json_is_true(json_object_get(net, "Internal"));
	ep->mtu = bld_runner_net_mtu(net);
}

int bld_runner_ep_prepare(struct bld_ctx *ctx, const char *ctr_id, const json_t *net,
			  json_t *epcfg, int index, struct bld_runner_ep *ep, struct bld_error **err)
{
	memset(ep, 0, sizeof(*ep));
	ep_names(ep, ctr_id, net, index);
	ep->cfg = json_incref(epcfg ? epcfg : json_object());
	cleanup_close int lock = bld_runner_networks_lock(ctx, err);
	if (lock < 0)
		return -1;
	ep->leased = true; /* released from here on, whatever comes */
	if (lease(ctx, net, ctr_id, AF_INET, ep, err) < 0 ||
	    (json_is_true(json_object_get(net, "EnableIPv6")) &&
	     lease(ctx, net, ctr_id, AF_INET6, ep, err) < 0))
		return -1;
	struct in_addr a;
	if (inet_pton(AF_INET, ep->ip, &a) == 1) {
		unsigned char *b = (unsigned char *)&a.s_addr;
		unsigned char mac[6] = {0x02, 0x42, b[0], b[1], b[2], b[3]};
		memcpy(ep->mac, mac, 6);
	}
	return bld_runner_net_bridge_ensure(net, &ep->brindex, err);
}

int bld_runner_ep_plumb(struct bld_runner_ep *ep, int nsfd, int nlfd, bool route,
			struct bld_error **err)
{
	struct bld_runner_nl b;
	cleanup_close int host = bld_runner_nl_socket();
	if (host < 0)
		return bld_error_sys(err, errno, "netlink");
	bld_runner_nl_veth_clear(ep->veth);
	bld_runner_nl_init(&b, host);
	bld_runner_nl_veth_create(&b, ep->veth, ep->brindex, ep->ifname, nsfd, ep->mac);
	if (bld_runner_nl_send(&b, err) < 0)
		return bld_error_wrap(err, "veth %s", ep->veth);
	int hi = bld_runner_nl_ifindex(ep->veth);
	if (ep->mtu > 0 && hi > 0 && bld_runner_nl_mtu(hi, ep->mtu, err) < 0)
		return -1;
	int i = bld_runner_nl_ifindex_on(nlfd, ep->ifname);
	if (i <= 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "no %s in the container", ep->ifname);
	bld_runner_nl_init(&b, nlfd);
	if (ep->mtu > 0)
		bld_runner_nl_link_mtu(&b, i, ep->mtu);
	struct in_addr a, gw;
	if (inet_pton(AF_INET, ep->ip, &a) == 1)
		bld_runner_nl_addr_add(&b, i, a, ep->prefix);
	struct in6_addr a6;
	if (ep->ip6[0] && inet_pton(AF_INET6, ep->ip6, &a6) == 1)
		bld_runner_nl_addr6_add(&b, i, &a6, ep->prefix6);
	bld_runner_nl_link_up(&b, i);
	if (route && !ep->internal && inet_pton(AF_INET, ep->gw, &gw) == 1)
		bld_runner_nl_route_default(&b, gw);
	struct in6_addr gw6;
	if (route && !ep->internal && ep->gw6[0] && inet_pton(AF_INET6, ep->gw6, &gw6) == 1)
		bld_runner_nl_route6_default(&b, &gw6);
	return bld_runner_nl_send(&b, err);
}

static char *endpoint_dir(struct bld_ctx *ctx, const char *net_id)
{
	cleanup_free char *ndir = bld_runner_network_dir(ctx, net_id);
	return xasprintf("%s/endpoints", ndir);
}

/* The endpoint's aliases as the endpoint file and inspect list them: what was asked for,
 * then (user-defined networks) the container's short id, as docker adds it. */
static json_t *aliases(const struct bld_runner_ep *ep, const char *ctr_id)
{
	if (!bld_runner_network_user_defined(ep->name))
		return json_null(); /* the default bridge has no names */
	json_t *given = json_object_get(ep->cfg, "Aliases");
	json_t *a = json_is_array(given) ? json_deep_copy(given) : json_array();
	json_array_append_new(a, json_sprintf("%.12s", ctr_id));
	return a;
}

int bld_runner_ep_publish(struct bld_ctx *ctx, const char *ctr_id, const char *ctr_name,
			  const struct bld_runner_ep *ep, struct bld_error **err)
{
	cleanup_free char *dir = endpoint_dir(ctx, ep->net_id);
	if (bld_fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	char mac[18];
	bld_runner_ep_mac(ep, mac);
	json_t *al = json_object_get(ep->cfg, "Aliases");
	const char *n = ctr_name && ctr_name[0] == '/' ? ctr_name + 1 : ctr_name;
	cleanup_json json_t *doc = json_pack(
		"{s:s, s:s, s:o, s:s, s:s, s:i, s:s, s:s}", "Name", n ? n : "", "ID", ctr_id,
		"Aliases", json_is_array(al) ? json_deep_copy(al) : json_array(), "IPv4Address",
		ep->ip, "IPv6Address", ep->ip6, "PrefixLen", ep->prefix, "MacAddress", mac,
		"EndpointID", ep->ep_id);
	cleanup_free char *name = xasprintf("%s.json", ctr_id);
	return bld_runner_json_write(dir, name, doc, err);
}

void bld_runner_ep_mac(const struct bld_runner_ep *ep, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2],
		 ep->mac[3], ep->mac[4], ep->mac[5]);
}

json_t *bld_runner_ep_json(const struct bld_runner_ep *ep, const char *ctr_id)
{
	char mac[18];
	bld_runner_ep_mac(ep, mac);
	json_t *ipam = json_object_get(ep->cfg, "IPAMConfig");
	json_t *links = json_object_get(ep->cfg, "Links");
	json_t *opts = json_object_get(ep->cfg, "DriverOpts");
	return json_pack("{s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:o}",
			 "IPAMConfig", ipam ? json_deep_copy(ipam) : json_null(), "Links",
			 links ? json_deep_copy(links) : json_null(), "Aliases",
			 aliases(ep, ctr_id), "NetworkID", ep->net_id, "EndpointID", ep->ep_id,
			 "Gateway", ep->internal ? "" : ep->gw, "IPAddress", ep->ip,
			 "IPPrefixLen", ep->prefix, "IPv6Gateway", ep->gw6, "GlobalIPv6Address",
			 ep->ip6, "GlobalIPv6PrefixLen", ep->prefix6, "MacAddress", mac,
			 "DriverOpts", opts ? json_deep_copy(opts) : json_null());
}

/* The endpoint file and the leases of ctr_id on the network in directory net_id. */
static void forget_on(struct bld_ctx *ctx, const char *net_id, const char *ctr_id)
{
	cleanup_free char *edir = endpoint_dir(ctx, net_id);
	cleanup_free char *ef = xasprintf("%s/%s.json", edir, ctr_id);
	if (unlink(ef) < 0 && errno != ENOENT)
		bld_debug("remove %s: %s", ef, strerror(errno));
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_network_ip_release(ctx, net_id, ctr_id, &e) < 0)
		bld_debug("%s", e->msg);
}

void bld_runner_ep_release(struct bld_ctx *ctx, const char *ctr_id, struct bld_runner_ep *ep)
{
	cleanup_error struct bld_error *e = NULL;
	int vi = bld_runner_nl_ifindex(ep->veth);
	if (vi > 0 && bld_runner_nl_link_del(vi, &e) < 0)
		bld_debug("%s", e->msg);
	if (ep->leased) {
		cleanup_error struct bld_error *le = NULL;
		cleanup_close int lock = bld_runner_networks_lock(ctx, &le);
		if (lock >= 0) /* else the lease stays, stale once we are gone */
			forget_on(ctx, ep->net_id, ctr_id);
	}
	ep->leased = false;
	json_decref(ep->cfg);
	ep->cfg = NULL;
}

void bld_runner_ep_forget(struct bld_ctx *ctx, const char *ctr_id)
{
	cleanup_free char *ndir = xasprintf("%s/networks", ctx->root);
	DIR *d = opendir(ndir);
	if (!d)
		return;
	cleanup_error struct bld_error *e = NULL;
	cleanup_close int lock = bld_runner_networks_lock(ctx, &e);
	struct dirent *de;
	while (lock >= 0 && (de = readdir(d)))
		if (strlen(de->d_name) == 64)
			forget_on(ctx, de->d_name, ctr_id);
	closedir(d);
}
