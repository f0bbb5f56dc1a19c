/*
 * runner/net.c — a container's network, set up by its monitor for each run:
 *   none   a new network namespace with only lo;
 *   host   the host's namespace (published ports are ignored, as Docker does);
 *   bridge (default) a new namespace joined to the bridge "bld0" (BLD_BRIDGE_NAME) by a veth
 *          pair, an address from 10.88.0.0/16 (BLD_BRIDGE_SUBNET) with the bridge as gateway,
 *          and outbound NAT (one iptables MASQUERADE rule, added when the bridge is made);
 *          rootless, a new namespace whose eth0 is pasta's (rootless_net.c).
 * Published ports (-p, -P) are served by a userspace proxy in the monitor: it listens on
 * the host address and, for each TCP connection, opens a socket inside the container's
 * namespace to 127.0.0.1:<container port>. That works the same for every mode with a
 * namespace of its own and needs no firewall rules. UDP ports are bound here and served by
 * udpproxy.c (a flow per client address).
 *
 * The default bridge is the predefined network "bridge" of the store (network.c); its
 * addresses are leased there (ipam.c), under the networks lock.
 *
 * Setting up is split in two: bld_runner_net_setup makes the namespace, claims the address,
 * makes the bridge (and its NAT rule, the one fork, only when the bridge is new) and opens the
 * port listeners before the sandbox is cloned; the netlink work (veth pair, addresses, route)
 * runs as the sandbox's before_exec hook, while the child assembles its root. Requests go in
 * two batches (netlink.c): one on the host, one on a socket made inside the namespace.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <jansson.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define PROXY_BUF 16384
#define MAX_LISTEN 16

struct pair {
	int a, b; /* client, container */
	char ab[PROXY_BUF], ba[PROXY_BUF];
	size_t nab, nba;
	bool a_eof, b_eof, connecting;
};

struct listener {
	int fd;
	int ctr_port;
	int host_port;
	char host_ip[64];
	char proto[8]; /* "tcp", "udp" or "sctp" */
};

struct bld_runner_net {
	int nsfd;          /* the container's namespace (not host) */
	int nlfd;          /* a netlink socket inside it, until it is configured */
	int brindex;       /* the bridge, for bridge mode */
	int prefix;
	struct in_addr gw, addr;
	char ip[INET6_ADDRSTRLEN];
	char net_id[65];   /* the network our address is leased on, "" when none */
	char ctr_id[65];
	struct bld_ctx *ctx;
	char veth[16];
	struct listener ls[MAX_LISTEN];
	size_t n_ls;
	struct pair *pairs[BLD_RUNNER_MAX_PROXY];
	struct bld_runner_udp *udp; /* flows of the UDP ports, when there are any */
	json_t *ports; /* NetworkSettings.Ports */
	unsigned char mac[6]; /* --mac-address of eth0 ... */
	bool has_mac;         /* ... when one was given */
	struct bld_runner_dns *dns; /* the embedded resolver, on user-defined networks */
	/* user-defined networks: one endpoint each, after bld0's eth0 when on the bridge */
	struct bld_runner_ep eps[BLD_RUNNER_MAX_NETS];
	size_t n_eps;
	bool shared;         /* --network container:NAME: nsfd is that container's */
	char id[65], name[256]; /* the container's */
	char sandbox[65];    /* NetworkSettings.SandboxID of this run */
	char bridge_ep[65];  /* the default bridge endpoint's EndpointID */
	bool stack;          /* rootless default network: pasta gives eth0 (rootless_net.c) */
	pid_t stack_pid;     /* ... that pasta, 0 when none runs */
	char stack_net[65];  /* ... the default network's id once pasta configured eth0 */
	char *stack_names;   /* ... the names /etc/hosts gives eth0's address then */
};

/* ------------------------------------------------------------------ namespace */

/* A fresh network namespace as an fd, without a process in it, and a netlink socket in it. */
static int new_netns(int *nlfd, struct bld_error **err)
{
	if (bld_rootless()) { /* no way back into the host's namespace: a child makes it */
		int ns = -1;
		*nlfd = bld_runner_netns_socket(-1, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
						NETLINK_ROUTE, &ns);
		return *nlfd < 0 ? bld_error_sys(err, errno, "new network namespace") : ns;
	}
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || unshare(CLONE_NEWNET) < 0)
		return bld_error_sys(err, errno, "new network namespace");
	int ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int e = errno;
	*nlfd = bld_runner_nl_socket();
	if (*nlfd < 0)
		e = errno;
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* we would be stuck in the container's network */
	if (ns < 0 || *nlfd < 0) {
		if (ns >= 0)
			close(ns);
		return bld_error_sys(err, e, "open network namespace");
	}
	return ns;
}

/* ------------------------------------------------------------------ bridge */

/* The default bridge's network.json (made on first use). */
static int default_bridge(struct bld_ctx *ctx, json_t **net, struct bld_error **err)
{
	return bld_runner_network_load(ctx, "bridge", net, err);
}

/* Gives our address back. */
static void release_ip(struct bld_runner_net *n, struct bld_ctx *ctx)
{
	cleanup_error struct bld_error *e = NULL;
	cleanup_close int lock = bld_runner_networks_lock(ctx, &e);
	if (lock < 0 || bld_runner_network_ip_release(ctx, n->net_id, n->ctr_id, &e) < 0)
		bld_debug("release address %s: %s", n->ip, e->msg);
}

static int setup_bridge(struct bld_runner_net *n, struct bld_ctx *ctx, const char *id,
			struct bld_error **err)
{
	cleanup_json json_t *net = NULL;
	char gws[INET6_ADDRSTRLEN];
	if (default_bridge(ctx, &net, err) < 0)
		return -1;
	cleanup_close int lock = bld_runner_networks_lock(ctx, err);
	if (lock < 0 || bld_runner_net_bridge_ensure(net, &n->brindex, err) < 0 ||
	    bld_runner_network_ip_lease(ctx, net, id, AF_INET, NULL, n->ip, &n->prefix, err) < 0)
		return -1;
	snprintf(n->net_id, sizeof(n->net_id), "%s", bld_json_get_str(net, "Id"));
	snprintf(n->ctr_id, sizeof(n->ctr_id), "%s", id);
	snprintf(n->veth, sizeof(n->veth), "bld%.8s", id);
	bld_runner_network_gateway(net, AF_INET, gws, &n->prefix);
	inet_pton(AF_INET, gws, &n->gw);
	inet_pton(AF_INET, n->ip, &n->addr);
	return 0;
}

/* eth0's MAC address on the default bridge: --mac-address, else docker's 02:42 and the IPv4
 * address. */
static const unsigned char *bridge_mac(struct bld_runner_net *n)
{
	if (!n->has_mac) {
		unsigned char *b = (unsigned char *)&n->addr.s_addr;
		unsigned char mac[6] = {0x02, 0x42, b[0], b[1], b[2], b[3]};
		memcpy(n->mac, mac, 6);
	}
	return n->mac;
}

/* The rootless default network's eth0 as pasta configured it (the host interface's address,
 * prefix and gateway; pasta's MAC): inspect shows it as the default bridge's, as rootless
 * docker shows its bridge's. */
static void stack_settings(struct bld_runner_net *n)
{
	cleanup_close int s = bld_runner_net_socket_in(n->nsfd, SOCK_DGRAM);
	struct ifreq a = {0}, m, hw;
	snprintf(a.ifr_name, sizeof(a.ifr_name), "eth0");
	m = hw = a;
	if (s < 0 || ioctl(s, SIOCGIFADDR, &a) < 0 || ioctl(s, SIOCGIFNETMASK, &m) < 0 ||
	    ioctl(s, SIOCGIFHWADDR, &hw) < 0)
		return;
	n->addr = ((struct sockaddr_in *)&a.ifr_addr)->sin_addr;
	inet_ntop(AF_INET, &n->addr, n->ip, sizeof(n->ip));
	n->prefix = __builtin_popcount(((struct sockaddr_in *)&m.ifr_netmask)->sin_addr.s_addr);
	memcpy(n->mac, hw.ifr_hwaddr.sa_data, sizeof(n->mac));
	if (!bld_runner_nl_default_gw(n->nlfd, &n->gw))
		n->gw.s_addr = 0;
	cleanup_error struct bld_error *e = NULL;
	cleanup_json json_t *net = NULL;
	if (default_bridge(n->ctx, &net, &e) == 0)
		snprintf(n->stack_net, sizeof(n->stack_net), "%s", bld_json_get_str(net, "Id"));
	/* the container's /etc/hosts (bound from this file, not yet running) names it, as
	 * docker's does on its bridge */
	cleanup_free char *dir = bld_runner_container_dir(n->ctx, n->id);
	cleanup_free char *hosts = xasprintf("%s/hosts", dir);
	cleanup_close int fd = open(hosts, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%s\t%s\n", n->ip, n->stack_names ? n->stack_names : "") < 0)
		bld_debug("%s: %s", hosts, strerror(errno));
}

/* The sandbox's before_exec hook: the veth pair (host end up on the bridge, peer as eth0
 * in the namespace) in one request on the host; lo up, eth0's address, eth0 up and the
 * default route in one batch inside the namespace. */
static int configure(void *arg, struct bld_error **err)
{
	struct bld_runner_net *n = arg;
	struct bld_runner_nl b;
	if (n->veth[0]) {
		cleanup_close int host = bld_runner_nl_socket();
		if (host < 0)
			return bld_error_sys(err, errno, "netlink");
		bld_runner_nl_veth_clear(n->veth);
		bld_runner_nl_init(&b, host);
		bld_runner_nl_veth_create(&b, n->veth, n->brindex, "eth0", n->nsfd, bridge_mac(n));
		if (bld_runner_nl_send(&b, err) < 0)
			return bld_error_wrap(err, "veth %s", n->veth);
	}
	bld_runner_nl_init(&b, n->nlfd);
	bld_runner_nl_link_up(&b, 1); /* lo: index 1 in every namespace */
	if (n->veth[0]) {
		int i = bld_runner_nl_ifindex_on(n->nlfd, "eth0");
		if (i <= 0)
			return bld_error_set(err, BLD_E_NOTFOUND, "no eth0 in the container");
		bld_runner_nl_addr_add(&b, i, n->addr, n->prefix);
		bld_runner_nl_link_up(&b, i);
		bld_runner_nl_route_default(&b, n->gw);
	}
	int r = bld_runner_nl_send(&b, err);
	if (r == 0 && n->stack)
		n->stack_pid = bld_runner_rootless_stack_start(n->ctx, n->nsfd, n->id);
	if (n->stack_pid > 0)
		stack_settings(n);
	/* the first network out has the default route: pasta's eth0 when it runs */
	bool route = !n->veth[0] && n->stack_pid <= 0;
	for (size_t k = 0; r == 0 && k < n->n_eps; k++) {
		bool mine = route && !n->eps[k].internal;
		r = bld_runner_ep_plumb(&n->eps[k], n->nsfd, n->nlfd, mine, err);
		route = route && !mine;
	}
	if (r == 0)
		r = bld_runner_dns_listen(n->dns, n->nsfd, err);
	close(n->nlfd);
	n->nlfd = -1;
	return r;
}

/* ------------------------------------------------------------------ published ports */

static int open_listener(struct listener *l, struct bld_error **err)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->host_port)};
	const char *ip = l->host_ip[0] ? l->host_ip : "0.0.0.0";
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return bld_error_set(err, BLD_E_INVALID, "invalid host IP %s", ip);
	bool udp = strcmp(l->proto, "udp") == 0;
	int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	/* not for UDP: there it would let a second socket share the port */
	if (s >= 0 && !udp)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || (!udp && listen(s, 128) < 0)) {
		int e = errno;
		if (s >= 0)
			close(s);
		return bld_error_sys(err, e,
				     "driver failed programming external connectivity: listen %s:%d",
				     ip, l->host_port);
	}
	socklen_t len = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &len);
	l->host_port = ntohs(a.sin_port);
	l->fd = s;
	return 0;
}

static void add_port_json(json_t *ports, const struct listener *l)
{
	char key[32], hp[16];
	snprintf(key, sizeof(key), "%d/%s", l->ctr_port, l->proto);
	snprintf(hp, sizeof(hp), "%d", l->host_port);
	json_t *arr = json_object_get(ports, key);
	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(ports, key, arr);
	}
	json_array_append_new(arr, json_pack("{s:s, s:s}", "HostIp",
					     l->host_ip[0] ? l->host_ip : "0.0.0.0", "HostPort", hp));
}

static int add_binding(struct bld_runner_net *n, const char *key, const char *ip,
		       const char *hport, struct bld_error **err)
{
	struct listener *l = &n->ls[n->n_ls];
	long cp = 0, hp = 0;
	if (n->n_ls >= MAX_LISTEN)
		return bld_error_set(err, BLD_E_INVALID, "too many published ports");
	char proto[8] = "tcp";
	if (sscanf(key, "%ld/%7s", &cp, proto) < 1 || cp <= 0 || cp > 65535 ||
	    (hport && *hport && bld_parse_long(hport, 0, 65535, &hp) < 0))
		return bld_error_set(err, BLD_E_INVALID, "invalid port %s", key);
	*l = (struct listener){.fd = -1, .ctr_port = (int)cp, .host_port = (int)hp};
	snprintf(l->host_ip, sizeof(l->host_ip), "%s", ip ? ip : "");
	snprintf(l->proto, sizeof(l->proto), "%s", proto);
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) {
		bld_warn("publishing %s ports is not supported; %s not published", proto, key);
		return 0;
	}
	if (open_listener(l, err) < 0)
		return -1;
	if (strcmp(proto, "udp") == 0 && !n->udp)
		n->udp = bld_runner_udp_new();
	add_port_json(n->ports, l);
	n->n_ls++;
	return 0;
}

static int setup_ports(struct bld_runner_net *n, json_t *cfg, struct bld_error **err)
{
	json_t *hc = json_object_get(cfg, "HostConfig");
	const char *key;
	json_t *arr;
	json_object_foreach(json_object_get(hc, "PortBindings"), key, arr) {
		size_t i;
		json_t *b;
		json_array_foreach(arr, i, b)
			if (add_binding(n, key, bld_json_get_str(b, "HostIp"),
					bld_json_get_str(b, "HostPort"), err) < 0)
				return -1;
	}
	if (!json_is_true(json_object_get(hc, "PublishAllPorts")))
		return 0;
	json_t *v;
	json_object_foreach(json_object_get(cfg, "ImageExposedPorts"), key, v)
		if (!json_object_get(json_object_get(hc, "PortBindings"), key) &&
		    add_binding(n, key, "", "", err) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ life cycle */

void bld_runner_host_gateway(struct bld_ctx *ctx, char gw[INET6_ADDRSTRLEN])
{
	cleanup_json json_t *net = NULL;
	cleanup_error struct bld_error *e = NULL;
	int prefix = 0;
	gw[0] = 0;
	if (default_bridge(ctx, &net, &e) == 0)
		bld_runner_network_gateway(net, AF_INET, gw, &prefix);
}

/* /etc/hosts lines of --add-host ("IP\tNAME", host-gateway being the bridge's gateway),
 * then, with an address, the container's own ("IP\tHOST.DOMAIN HOST"), as docker orders
 * them. */
/* The names /etc/hosts gives the container's own address: "HOST.DOMAIN HOST", or "HOST". */
static char *own_names(json_t *cfg)
{
	json_t *c = json_object_get(cfg, "Config");
	const char *hn = bld_json_get_str(c, "Hostname");
	const char *dn = bld_json_get_str(c, "Domainname");
	if (!hn)
		hn = "";
	return dn && *dn ? xasprintf("%s.%s %s", hn, dn, hn) : xstrdup(hn);
}

static void hosts_lines(struct bld_ctx *ctx, struct bld_runner_spec_holder *h, json_t *cfg,
			const char *ip)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(json_object_get(cfg, "HostConfig"), "ExtraHosts"), i, v) {
		const char *hv = json_string_value(v);
		const char *colon = hv ? strchr(hv, ':') : NULL;
		char gw[INET6_ADDRSTRLEN] = "";
		if (!colon)
			continue;
		if (strcmp(colon + 1, "host-gateway") == 0)
			bld_runner_host_gateway(ctx, gw);
		cleanup_free char *line = xasprintf("%s\t%.*s", gw[0] ? gw : colon + 1,
						    (int)(colon - hv), hv);
		bld_strv_push(&h->extra_hosts, line);
	}
	if (ip && ip[0]) {
		cleanup_free char *names = own_names(cfg);
		cleanup_free char *line = xasprintf("%s\t%s", ip, names);
		bld_strv_push(&h->extra_hosts, line);
	}
	h->s.extra_hosts = h->extra_hosts;
}

/* One legacy link "/NAME:/SELF/ALIAS" on the default bridge as an /etc/hosts line
 * ("IP\tALIAS ID12 NAME"); the linked container must run there (docker's words). */
static int link_line(struct bld_ctx *ctx, struct bld_runner_spec_holder *h, const char *l,
		     struct bld_error **err)
{
	const char *colon = strchr(l, ':'), *slash = strrchr(l, '/');
	if (!colon || !slash || slash < colon)
		return bld_error_set(err, BLD_E_INVALID, "invalid link %s", l);
	cleanup_free char *name = xstrndup(l + (l[0] == '/'), (size_t)(colon - l - (l[0] == '/')));
	cleanup_free char *id = NULL;
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load_ref(ctx, name, &id, &cfg, &st, err) < 0)
		return -1;
	if (!json_is_true(json_object_get(st, "Running")))
		return bld_error_set(err, BLD_E_INVALID,
				     "Cannot link to a non running container: /%s AS %s", name,
				     colon + 1);
	const char *ip = bld_json_get_str(json_object_get(json_object_get(json_object_get(
		st, "NetworkSettings"), "Networks"), "bridge"), "IPAddress");
	if (!ip || !*ip)
		return bld_error_set(err, BLD_E_INVALID,
				     "container %s not attached to default bridge network", id);
	cleanup_free char *line = xasprintf("%s\t%s %.12s %s", ip, slash + 1, id, name);
	bld_strv_push(&h->extra_hosts, line);
	return 0;
}

static int link_lines(struct bld_ctx *ctx, struct bld_runner_spec_holder *h, json_t *cfg,
		      struct bld_error **err)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(json_object_get(cfg, "HostConfig"), "Links"), i, v)
		if (json_is_string(v) && link_line(ctx, h, json_string_value(v), err) < 0)
			return -1;
	return 0;
}

/* Legacy links on user networks ("NAME[:ALIAS]" in an endpoint's Links): the alias names the
 * linked container's address on that network in /etc/hosts when it runs there (docker
 * answers it from its resolver; a link to a container that is not there is no error). */
static void user_links(struct bld_runner_net *n, struct bld_ctx *ctx,
		       struct bld_runner_spec_holder *h)
{
	for (size_t k = 0; k < n->n_eps; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(n->eps[k].cfg, "Links"), i, v) {
			const char *l = json_string_value(v), *colon = l ? strchr(l, ':') : NULL;
			cleanup_free char *name = colon ? xstrndup(l, (size_t)(colon - l))
						      : xstrdup(l ? l : "");
			cleanup_free char *id = NULL;
			cleanup_json json_t *cfg = NULL;
			cleanup_json json_t *st = NULL;
			cleanup_error struct bld_error *e = NULL;
			if (bld_runner_container_load_ref(ctx, name, &id, &cfg, &st, &e) < 0)
				continue;
			const char *ip = bld_json_get_str(json_object_get(json_object_get(
				json_object_get(st, "NetworkSettings"), "Networks"), n->eps[k].name),
							  "IPAddress");
			cleanup_free char *line = xasprintf("%s\t%s", ip ? ip : "",
							    colon && colon[1] ? colon + 1 : name);
			if (ip && *ip && json_is_true(json_object_get(st, "Running")))
				bld_strv_push(&h->extra_hosts, line);
		}
	}
}

/* eth0 is the default network's: the bridge's veth, or rootless pasta's tap (kept for it
 * when pasta could not start). */
static bool default_eth0(const struct bld_runner_net *n)
{
	return n->veth[0] || n->stack;
}

/* The smallest N with no ethN in the container yet. */
static int free_index(const struct bld_runner_net *n)
{
	for (int i = default_eth0(n) ? 1 : 0;; i++) {
		char name[16];
		snprintf(name, sizeof(name), "eth%d", i);
		bool used = false;
		for (size_t k = 0; k < n->n_eps && !used; k++)
			used = strcmp(n->eps[k].ifname, name) == 0;
		if (!used)
			return i;
	}
}

/* The endpoint on network ref (name or id), leased; counted even when that fails, so that
 * what it got is released. Nothing when the container is on that network already. */
static int add_ep(struct bld_runner_net *n, struct bld_ctx *ctx, const char *ref,
		  json_t *epcfg, struct bld_error **err)
{
	cleanup_json json_t *net = NULL;
	if (bld_runner_network_load(ctx, ref, &net, err) < 0)
		return -1;
	const char *nid = bld_json_get_str(net, "Id");
	for (size_t k = 0; k < n->n_eps; k++)
		if (nid && strcmp(n->eps[k].net_id, nid) == 0)
			return bld_error_set(err, BLD_E_EXISTS,
					     "endpoint with name %s already exists in network %s",
					     n->name, n->eps[k].name);
	if (n->n_eps >= BLD_RUNNER_MAX_NETS)
		return bld_error_set(err, BLD_E_INVALID, "too many networks");
	int index = free_index(n); /* before the slot counts: it may hold a past run's */
	struct bld_runner_ep *ep = &n->eps[n->n_eps++];
	return bld_runner_ep_prepare(ctx, n->id, net, epcfg, index, ep, err);
}

/* The user-defined networks of the config's NetworkingConfig.EndpointsConfig: NetworkMode's
 * first (unless it was disconnected), then the others in their order, the default bridge
 * too when it was connected to a container of another network. */
static int setup_user(struct bld_runner_net *n, struct bld_ctx *ctx, json_t *cfg,
		      const char *mode, struct bld_error **err)
{
	json_t *eps = json_object_get(json_object_get(cfg, "NetworkingConfig"), "EndpointsConfig");
	json_t *first = json_object_get(eps, mode);
	if (bld_runner_network_user_defined(mode) && first && add_ep(n, ctx, mode, first, err) < 0)
		return -1;
	const char *key;
	json_t *v;
	json_object_foreach(eps, key, v)
		if (strcmp(key, mode) &&
		    (bld_runner_network_user_defined(key) || (!n->stack && strcmp(key, "bridge") == 0)) &&
		    add_ep(n, ctx, key, v, err) < 0)
			return -1;
	return 0;
}

/* The donor's hostname, /etc/hosts lines (after the standard ones) and resolv.conf, which
 * docker gives a container that shares its network. */
static void shared_etc(struct bld_ctx *ctx, const char *id, json_t *cfg,
		       struct bld_runner_spec_holder *h)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_free char *hp = xasprintf("%s/hosts", dir), *rp = xasprintf("%s/resolv.conf", dir);
	cleanup_free char *hosts = NULL, *resolv = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	const char *hn = bld_json_get_str(json_object_get(cfg, "Config"), "Hostname");
	if (hn) {
		free(h->hostname);
		h->s.hostname = h->hostname = xstrdup(hn);
	}
	if (bld_fs_read_file(rp, 1 << 16, &resolv, &len, &e) == 0) {
		free(h->resolv);
		h->s.resolv_conf = h->resolv = steal_pointer(&resolv);
	}
	if (bld_fs_read_file(hp, 1 << 16, &hosts, &len, &e) < 0)
		return;
	static const char *const std[] = {"127.0.0.1\tlocalhost", "::1\t", "fe00::0\t",
					  "ff00::0\t", "ff02::1\t", "ff02::2\t"};
	char *save = NULL;
	for (char *l = strtok_r(hosts, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		bool skip = false;
		for (size_t i = 0; i < BLD_ARRAY_SIZE(std) && !skip; i++)
			skip = bld_str_has_prefix(l, std[i]);
		if (!skip)
			bld_strv_push(&h->extra_hosts, l);
	}
	h->s.extra_hosts = h->extra_hosts;
}

/* --network container:NAME: that container's namespace, which must be running. */
static int setup_shared(struct bld_runner_net *n, struct bld_ctx *ctx, const char *ref,
			struct bld_runner_spec_holder *h, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load_ref(ctx, ref, &id, &cfg, &st, err) < 0)
		return -1;
	pid_t pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	if (!json_is_true(json_object_get(st, "Running")) || pid <= 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "cannot join network of a non running container: %s", id);
	cleanup_free char *p = xasprintf("/proc/%d/ns/net", (int)pid);
	n->nsfd = open(p, O_RDONLY | O_CLOEXEC);
	if (n->nsfd < 0)
		return bld_error_sys(err, errno, "open %s", p);
	n->shared = true;
	shared_etc(ctx, id, cfg, h);
	return 0;
}

static struct bld_runner_net *net_new(struct bld_runner_net **out, struct bld_ctx *ctx,
				      json_t *cfg, const char *id)
{
	if (!*out) {
		*out = xcalloc(1, sizeof(**out));
		(*out)->nsfd = (*out)->nlfd = -1;
	}
	struct bld_runner_net *n = *out;
	n->ctx = ctx;
	n->ports = json_object();
	snprintf(n->id, sizeof(n->id), "%s", id);
	const char *name = bld_json_get_str(cfg, "Name");
	snprintf(n->name, sizeof(n->name), "%s", name ? name + (name[0] == '/') : "");
	bld_runner_random_hex(n->sandbox, 32); /* fresh per run, as docker's */
	bld_runner_random_hex(n->bridge_ep, 32);
	return n;
}

/* Config.MacAddress, checked by the CLI ("02:42:ac:11:00:02"). */
static void mac_option(struct bld_runner_net *n, json_t *cfg)
{
	const char *mac = bld_json_get_str(json_object_get(cfg, "Config"), "MacAddress");
	unsigned v[6];
	n->has_mac = mac && sscanf(mac, "%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x",
				   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6;
	for (size_t i = 0; n->has_mac && i < 6; i++)
		n->mac[i] = (unsigned char)v[i];
}

int bld_runner_net_setup(struct bld_runner_net **out, struct bld_ctx *ctx, json_t *cfg,
			 const char *id, struct bld_runner_spec_holder *h,
			 struct bld_error **err)
{
	const char *mode = bld_json_get_str(json_object_get(cfg, "HostConfig"), "NetworkMode");
	if (!mode || !*mode || strcmp(mode, "default") == 0)
		mode = "bridge";
	bld_runner_rootless_net_mode(&mode);
	if (strcmp(mode, "host") == 0) {
		hosts_lines(ctx, h, cfg, NULL);
		h->s.net = BLD_RUNNER_NET_HOST;
		return 0;
	}
	struct bld_runner_net *n = net_new(out, ctx, cfg, id);
	if (bld_str_has_prefix(mode, "container:")) {
		if (setup_shared(n, ctx, mode + 10, h, err) < 0)
			return -1;
		h->s.net = BLD_RUNNER_NET_NSPATH;
		h->s.net_fd = n->nsfd;
		return 0;
	}
	if ((n->nsfd = new_netns(&n->nlfd, err)) < 0)
		return -1;
	if (strcmp(mode, "bridge") == 0 &&
	    (link_lines(ctx, h, cfg, err) < 0 || setup_bridge(n, ctx, id, err) < 0))
		return -1;
	n->stack = strcmp(mode, BLD_RUNNER_ROOTLESS_STACK) == 0;
	free(n->stack_names);
	n->stack_names = n->stack ? own_names(cfg) : NULL;
	/* rootless, a container of the default network with user networks connected (network
	 * connect) has them again at each start, as beside root's bridge */
	if (strcmp(mode, "none") && (!n->stack || bld_runner_netcfg_user_networks(cfg)) &&
	    (bld_runner_rootless_netns(ctx, true, err) < 0 ||
	     setup_user(n, ctx, cfg, mode, err) < 0))
		return -1;
	user_links(n, ctx, h);
	mac_option(n, cfg);
	/* --mac-address is the first network's, on a user network too (docker 20.10) */
	if (n->has_mac && !n->veth[0] && n->n_eps)
		memcpy(n->eps[0].mac, n->mac, sizeof(n->mac));
	if (setup_ports(n, cfg, err) < 0)
		return -1;
	bld_runner_dns_new(&n->dns, ctx, cfg, id);
	h->s.net = BLD_RUNNER_NET_NSPATH;
	h->s.net_fd = n->nsfd;
	/* loopback up in every namespace of our own (the port proxy connects to it), and the
	 * bridge's veth: while the sandbox assembles its root */
	h->s.before_exec = configure;
	h->s.before_exec_arg = n;
	hosts_lines(ctx, h, cfg, n->ip[0] ? n->ip : n->n_eps ? n->eps[0].ip : NULL);
	return 0;
}

/* NetworkSettings.Networks.bridge of a running container on the default bridge. */
static json_t *bridge_json(struct bld_runner_net *n)
{
	char gw[INET_ADDRSTRLEN] = "", mac[18];
	if (n->gw.s_addr)
		inet_ntop(AF_INET, &n->gw, gw, sizeof(gw));
	const unsigned char *m = n->stack ? n->mac : bridge_mac(n);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}",
			 "IPAMConfig", "Links", "Aliases", "NetworkID",
			 n->stack ? n->stack_net : n->net_id, "EndpointID",
			 n->bridge_ep, "Gateway", gw, "IPAddress", n->ip, "IPPrefixLen", n->prefix,
			 "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
			 "MacAddress", mac, "DriverOpts");
}

/* docker's NetworkSettings: the default bridge's values at the top, every network's in
 * Networks, keyed by the network's name. */
static json_t *settings_json(struct bld_runner_net *n)
{
	json_t *nets = json_object();
	if (n->veth[0] || n->stack_net[0])
		json_object_set_new(nets, "bridge", bridge_json(n));
	for (size_t k = 0; k < n->n_eps; k++)
		json_object_set_new(nets, n->eps[k].name, bld_runner_ep_json(&n->eps[k], n->id));
	json_t *top = json_object_get(nets, "bridge");
	cleanup_free char *key = n->shared || n->nsfd < 0 ? xstrdup("")
				 : xasprintf("/proc/%d/fd/%d", (int)getpid(), n->nsfd);
	json_t *ns = json_pack(
		"{s:s, s:s, s:b, s:s, s:i, s:o, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s, s:i, s:s,"
		" s:s}",
		"Bridge", "", "SandboxID", n->sandbox, "HairpinMode", false, "LinkLocalIPv6Address",
		"", "LinkLocalIPv6PrefixLen", 0, "Ports",
		n->ports ? json_incref(n->ports) : json_object(), "SandboxKey", key,
		"SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID",
		top ? bld_json_get_str(top, "EndpointID") : "", "Gateway",
		top ? bld_json_get_str(top, "Gateway") : "", "GlobalIPv6Address", "",
		"GlobalIPv6PrefixLen", 0, "IPAddress", n->ip, "IPPrefixLen", top ? n->prefix : 0,
		"IPv6Gateway", "", "MacAddress", top ? bld_json_get_str(top, "MacAddress") : "");
	json_object_set_new(ns, "Networks", nets);
	return ns;
}

void bld_runner_net_state(struct bld_runner_net *n, json_t *state)
{
	if (!n) { /* stopped: the last run's networks stay, for what docker keeps of them */
		json_t *was = json_object_get(json_object_get(state, "NetworkSettings"), "Networks");
		json_t *ns = json_pack("{s:s, s:{}}", "IPAddress", "", "Ports");
		if (was)
			json_object_set(ns, "Networks", was);
		json_object_set_new(state, "NetworkSettings", ns);
		return;
	}
	/* the interfaces are up: their endpoint files say so */
	for (size_t k = 0; k < n->n_eps; k++) {
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_ep_publish(n->ctx, n->id, n->name, &n->eps[k], &e) < 0)
			bld_warn("%s", e->msg);
	}
	json_object_set_new(state, "NetworkSettings", settings_json(n));
}

int bld_runner_net_connect(struct bld_runner_net *n, const char *net, json_t *epcfg,
			   char name[256], struct bld_error **err)
{
	if (!n || n->nsfd < 0 || n->shared)
		return bld_error_set(err, BLD_E_INVALID,
				     "container cannot be connected to a network in this mode");
	size_t k = n->n_eps;
	int r = bld_runner_rootless_netns(n->ctx, true, err);
	if (r == 0)
		r = add_ep(n, n->ctx, net, epcfg, err);
	bool route = !n->veth[0] && n->stack_pid <= 0; /* pasta's route when it runs */
	for (size_t i = 0; i < k; i++)
		route = route && n->eps[i].internal;
	cleanup_close int nl = r == 0 ? bld_runner_nl_socket_in(n->nsfd) : -1;
	if (r == 0 && nl < 0)
		r = bld_error_sys(err, errno, "netlink");
	if (r == 0)
		r = bld_runner_ep_plumb(&n->eps[k], n->nsfd, nl, route && !n->eps[k].internal, err);
	if (r < 0 && n->n_eps > k) {
		bld_runner_ep_release(n->ctx, n->id, &n->eps[k]);
		n->n_eps = k;
	}
	if (r == 0)
		snprintf(name, 256, "%s", n->eps[k].name);
	return r;
}

int bld_runner_net_disconnect(struct bld_runner_net *n, const char *net_id, char name[256],
			      struct bld_error **err)
{
	for (size_t k = 0; n && k < n->n_eps; k++) {
		if (strcmp(n->eps[k].net_id, net_id))
			continue;
		snprintf(name, 256, "%s", n->eps[k].name);
		bld_runner_ep_release(n->ctx, n->id, &n->eps[k]);
		memmove(&n->eps[k], &n->eps[k + 1], (n->n_eps - k - 1) * sizeof(n->eps[0]));
		n->n_eps--;
		return 0;
	}
	return bld_error_set(err, BLD_E_NOTFOUND, "container %s is not connected to network %s",
			     n ? n->id : "", net_id);
}

static void pair_free(struct pair *p)
{
	if (!p)
		return;
	close(p->a);
	close(p->b);
	free(p);
}

/* The pair dies with the namespace, which the kernel tears down once its last user is gone
 * (one batch, cheaper than deleting the pair first): wait for that, so that a stopped
 * container leaves no interface behind, and delete the pair when something keeps the
 * namespace alive. */
static void veth_gone(const char *veth)
{
	if (!veth[0])
		return;
	if (bld_runner_nl_wait_gone(veth, 1000) == 0)
		return;
	int vi = bld_runner_nl_ifindex(veth);
	cleanup_error struct bld_error *e = NULL;
	if (vi > 0 && bld_runner_nl_link_del(vi, &e) < 0)
		bld_debug("%s", e->msg);
}

void bld_runner_net_stop(struct bld_runner_net *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_ls; i++)
		close(n->ls[i].fd);
	n->n_ls = 0;
	for (size_t i = 0; i < BLD_RUNNER_MAX_PROXY; i++) {
		pair_free(n->pairs[i]);
		n->pairs[i] = NULL;
	}
	bld_runner_udp_free(n->udp);
	n->udp = NULL;
	bld_runner_dns_close(n->dns);
	n->dns = NULL;
	if (n->stack_pid)
		bld_runner_rootless_stack_forget(n->ctx, n->id);
	n->stack_pid = 0;
	n->stack_net[0] = 0;
	free(n->stack_names);
	n->stack_names = NULL;
	if (n->nlfd >= 0)
		close(n->nlfd);
	if (n->nsfd >= 0)
		close(n->nsfd);
	n->nsfd = n->nlfd = -1;
	veth_gone(n->veth);
	n->veth[0] = 0;
	for (size_t k = 0; k < n->n_eps; k++) {
		veth_gone(n->eps[k].veth);
		bld_runner_ep_release(n->ctx, n->id, &n->eps[k]);
	}
	n->n_eps = 0;
	n->shared = false;
	if (n->net_id[0])
		release_ip(n, n->ctx);
	n->net_id[0] = 0;
	n->ip[0] = 0;
	json_decref(n->ports);
	n->ports = NULL;
}

void bld_runner_net_free(struct bld_runner_net *n)
{
	bld_runner_net_stop(n);
	free(n);
}

/* ------------------------------------------------------------------ the proxy */

static void accept_conn(struct bld_runner_net *n, struct listener *l)
{
	int a = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (a < 0)
		return;
	size_t slot = 0;
	while (slot < BLD_RUNNER_MAX_PROXY && n->pairs[slot])
		slot++;
	int b = slot < BLD_RUNNER_MAX_PROXY ? bld_runner_net_socket_in(n->nsfd, SOCK_STREAM) : -1;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->ctr_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (b < 0 || (connect(b, (struct sockaddr *)&to, sizeof(to)) < 0 &&
		      errno != EINPROGRESS)) {
		close(a);
		if (b >= 0)
			close(b);
		return;
	}
	struct pair *p = xcalloc(1, sizeof(*p));
	p->a = a;
	p->b = b;
	p->connecting = true;
	n->pairs[slot] = p;
}

size_t bld_runner_net_pollfds(struct bld_runner_net *n, struct pollfd *pf, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; n && i < n->n_ls && k < max; i++)
		pf[k++] = (struct pollfd){.fd = n->ls[i].fd, .events = POLLIN};
	for (size_t i = 0; n && i < BLD_RUNNER_MAX_PROXY && k + 2 <= max; i++) {
		struct pair *p = n->pairs[i];
		if (!p)
			continue;
		short ea = (short)((!p->a_eof && p->nab < PROXY_BUF ? POLLIN : 0) |
				   (p->nba ? POLLOUT : 0));
		short eb = p->connecting ? POLLOUT
					 : (short)((!p->b_eof && p->nba < PROXY_BUF ? POLLIN : 0) |
						   (p->nab ? POLLOUT : 0));
		pf[k++] = (struct pollfd){.fd = p->a, .events = ea};
		pf[k++] = (struct pollfd){.fd = p->b, .events = eb};
	}
	if (n && k < max)
		k += bld_runner_udp_pollfds(n->udp, pf + k, max - k);
	if (n && k < max)
		k += bld_runner_dns_pollfds(n->dns, pf + k, max - k);
	return k;
}

int bld_runner_net_timeout(struct bld_runner_net *n)
{
	int u = n ? bld_runner_udp_timeout(n->udp) : -1, d = n ? bld_runner_dns_timeout(n->dns) : -1;
	return u < 0 || (d >= 0 && d < u) ? d : u;
}

/* Moves bytes from fd into buf; false when the peer is done (EOF or error). */
static bool fill(int fd, char *buf, size_t *n)
{
	ssize_t r = read(fd, buf + *n, PROXY_BUF - *n);
	if (r > 0)
		*n += (size_t)r;
	return r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR));
}

static bool flush(int fd, char *buf, size_t *n)
{
	if (!*n)
		return true;
	ssize_t w = send(fd, buf, *n, MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR;
	memmove(buf, buf + w, *n - (size_t)w);
	*n -= (size_t)w;
	return true;
}

/* One pair's events; false when the pair is finished. */
static bool pair_step(struct pair *p, short ra, short rb)
{
	if (p->connecting && rb) {
		int e = 0;
		socklen_t len = sizeof(e);
		getsockopt(p->b, SOL_SOCKET, SO_ERROR, &e, &len);
		if (e)
			return false;
		p->connecting = false;
		rb &= ~POLLOUT;
	}
	if ((ra & (POLLIN | POLLHUP | POLLERR)) && !p->a_eof && !fill(p->a, p->ab, &p->nab)) {
		p->a_eof = true;
	}
	if (!p->connecting && (rb & (POLLIN | POLLHUP | POLLERR)) && !p->b_eof &&
	    !fill(p->b, p->ba, &p->nba))
		p->b_eof = true;
	if ((!p->connecting && !flush(p->b, p->ab, &p->nab)) || !flush(p->a, p->ba, &p->nba))
		return false;
	if (p->a_eof && !p->nab && !p->connecting)
		shutdown(p->b, SHUT_WR);
	if (p->b_eof && !p->nba)
		shutdown(p->a, SHUT_WR);
	return !(p->a_eof && p->b_eof && !p->nab && !p->nba);
}

void bld_runner_net_handle(struct bld_runner_net *n, struct pollfd *pf, size_t count)
{
	for (size_t k = 0; n && k < count; k++) {
		if (!pf[k].revents)
			continue;
		for (size_t i = 0; i < n->n_ls; i++) {
			if (pf[k].fd != n->ls[i].fd)
				continue;
			if (strcmp(n->ls[i].proto, "udp") == 0)
				bld_runner_udp_readable(n->udp, n->ls[i].fd, n->nsfd,
							n->ls[i].ctr_port);
			else
				accept_conn(n, &n->ls[i]);
		}
		for (size_t i = 0; i < BLD_RUNNER_MAX_PROXY; i++) {
			struct pair *p = n->pairs[i];
			if (!p || (pf[k].fd != p->a && pf[k].fd != p->b))
				continue;
			short ra = pf[k].fd == p->a ? pf[k].revents : 0;
			short rb = pf[k].fd == p->b ? pf[k].revents : 0;
			if (k + 1 < count && pf[k].fd == p->a && pf[k + 1].fd == p->b) {
				rb = pf[k + 1].revents;
				k++;
			}
			if (!pair_step(p, ra, rb)) {
				pair_free(p);
				n->pairs[i] = NULL;
			}
			break;
		}
	}
	/* replies on UDP flows, and the end of idle ones (also when nothing was readable) */
	if (n)
		bld_runner_udp_handle(n->udp, pf, count);
	if (n)
		bld_runner_dns_handle(n->dns, pf, count);
}
