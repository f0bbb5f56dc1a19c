/*
 * runner/net.c — a container's network, set up by its monitor for each run:
 *   none   a new network namespace with only lo;
 *   host   the host's namespace (published ports are ignored, as Docker does);
 *   bridge (default) a new namespace joined to the bridge "bld0" (BLD_BRIDGE_NAME) by a veth
 *          pair, an address from 10.88.0.0/16 (BLD_BRIDGE_SUBNET) with the bridge as gateway,
 *          and outbound NAT (one iptables MASQUERADE rule, added when the bridge is made).
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
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/file.h>
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
};

/* ------------------------------------------------------------------ namespace */

/* A fresh network namespace as an fd, without a process in it, and a netlink socket in it. */
static int new_netns(int *nlfd, struct bld_error **err)
{
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

static int run_iptables(char *const argv[])
{
	pid_t p = fork();
	if (p == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Outbound NAT for the subnet, once: forwarding on, one MASQUERADE rule. */
static void enable_nat(const char *cidr, const char *br)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			bld_debug("ip_forward: %s", strerror(errno));
		close(fd);
	}
	char *check[] = {"iptables", "-t", "nat", "-C", "POSTROUTING", "-s", (char *)cidr, "!",
			 "-o", (char *)br, "-j", "MASQUERADE", NULL};
	if (run_iptables(check) == 0)
		return;
	check[3] = "-A";
	if (run_iptables(check) != 0)
		bld_warn("could not add the NAT rule for %s (iptables)", cidr);
}

/* The bridge with its gateway address, created once (under the networks lock); the NAT
 * rule and forwarding only then: a bridge that exists had them set up by whoever made it. */
static int ensure_bridge(const json_t *net, int *ifindex, struct bld_error **err)
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
	uint32_t mask = prefix ? ~0U << (32 - prefix) : 0;
	struct in_addr netaddr = {.s_addr = htonl(ntohl(gw.s_addr) & mask)};
	char netstr[INET_ADDRSTRLEN], cidr[64];
	inet_ntop(AF_INET, &netaddr, netstr, sizeof(netstr));
	snprintf(cidr, sizeof(cidr), "%s/%d", netstr, prefix);
	enable_nat(cidr, br);
	return 0;
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
	if (lock < 0 || ensure_bridge(net, &n->brindex, err) < 0 ||
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
		bld_runner_nl_init(&b, host);
		bld_runner_nl_veth_create(&b, n->veth, n->brindex, "eth0", n->nsfd,
					  n->has_mac ? n->mac : NULL);
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

/* The default bridge's gateway, "" when it cannot be read. */
static void host_gateway(struct bld_ctx *ctx, char gw[INET6_ADDRSTRLEN])
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
			host_gateway(ctx, gw);
		cleanup_free char *line = xasprintf("%s\t%.*s", gw[0] ? gw : colon + 1,
						    (int)(colon - hv), hv);
		bld_strv_push(&h->extra_hosts, line);
	}
	json_t *c = json_object_get(cfg, "Config");
	const char *hn = bld_json_get_str(c, "Hostname");
	const char *dn = bld_json_get_str(c, "Domainname");
	if (ip && ip[0]) {
		cleanup_free char *line = dn && *dn ? xasprintf("%s\t%s.%s %s", ip, hn ? hn : "", dn,
								 hn ? hn : "")
						    : xasprintf("%s\t%s", ip, hn ? hn : "");
		bld_strv_push(&h->extra_hosts, line);
	}
	h->s.extra_hosts = h->extra_hosts;
}

int bld_runner_net_setup(struct bld_runner_net **out, struct bld_ctx *ctx, json_t *cfg,
			 const char *id, struct bld_runner_spec_holder *h,
			 struct bld_error **err)
{
	const char *mode = bld_json_get_str(json_object_get(cfg, "HostConfig"), "NetworkMode");
	if (!mode || !*mode || strcmp(mode, "default") == 0)
		mode = "bridge";
	if (strcmp(mode, "host") == 0) {
		hosts_lines(ctx, h, cfg, NULL);
		h->s.net = BLD_RUNNER_NET_HOST;
		return 0;
	}
	if (strcmp(mode, "none") && strcmp(mode, "bridge"))
		return bld_error_set(err, BLD_E_NOTFOUND, "network %s not found", mode);
	if (!*out) {
		*out = xcalloc(1, sizeof(**out));
		(*out)->nsfd = (*out)->nlfd = -1;
	}
	struct bld_runner_net *n = *out;
	n->ctx = ctx;
	n->ports = json_object();
	if ((n->nsfd = new_netns(&n->nlfd, err)) < 0)
		return -1;
	if (strcmp(mode, "bridge") == 0 && setup_bridge(n, ctx, id, err) < 0)
		return -1;
	/* Config.MacAddress, checked by the CLI ("02:42:ac:11:00:02") */
	const char *mac = bld_json_get_str(json_object_get(cfg, "Config"), "MacAddress");
	unsigned v[6];
	n->has_mac = mac && sscanf(mac, "%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x",
				   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6;
	for (size_t i = 0; n->has_mac && i < 6; i++)
		n->mac[i] = (unsigned char)v[i];
	if (setup_ports(n, cfg, err) < 0)
		return -1;
	bld_runner_dns_new(&n->dns, ctx, cfg, id);
	h->s.net = BLD_RUNNER_NET_NSPATH;
	h->s.net_fd = n->nsfd;
	/* loopback up in every namespace of our own (the port proxy connects to it), and the
	 * bridge's veth: while the sandbox assembles its root */
	h->s.before_exec = configure;
	h->s.before_exec_arg = n;
	hosts_lines(ctx, h, cfg, n->ip);
	return 0;
}

void bld_runner_net_state(struct bld_runner_net *n, json_t *state)
{
	json_t *ns = json_pack("{s:s, s:o}", "IPAddress", n && n->ip[0] ? n->ip : "", "Ports",
			       n && n->ports ? json_incref(n->ports) : json_object());
	json_object_set_new(state, "NetworkSettings", ns);
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
	if (n->nlfd >= 0)
		close(n->nlfd);
	if (n->nsfd >= 0)
		close(n->nsfd);
	n->nsfd = n->nlfd = -1;
	veth_gone(n->veth);
	n->veth[0] = 0;
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
