/*
 * runner/netlink.c — the few rtnetlink requests the bridge network needs (create a bridge or
 * a veth pair with its peer already in another namespace, up and on the bridge; add an
 * address; set a link up; add a default route; delete a link), spoken directly so that
 * starting a container does not fork ip(8).
 *
 * Requests are collected in a batch and sent in one sendto(2) on one socket; the kernel
 * handles them in order and acknowledges each, and the acknowledgements are read afterwards
 * (the first error is reported). A socket made inside a namespace acts on that namespace,
 * so the caller picks the namespace by the socket it passes.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

static void *msg_begin(struct bld_runner_nl *b, int type, int flags, size_t body, const char *what)
{
	size_t off = NLMSG_ALIGN(b->len);
	if (off + NLMSG_SPACE(body) > sizeof(b->buf) || b->n >= BLD_ARRAY_SIZE(b->what))
		abort(); /* batches here are small and fixed */
	struct nlmsghdr *h = (struct nlmsghdr *)(b->buf + off);
	memset(h, 0, NLMSG_SPACE(body));
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	h->nlmsg_type = (uint16_t)type;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	h->nlmsg_seq = (uint32_t)++b->n;
	b->what[b->n - 1] = what;
	b->cur = off;
	b->len = off + h->nlmsg_len;
	return NLMSG_DATA(h);
}

static struct nlmsghdr *cur(struct bld_runner_nl *b)
{
	return (struct nlmsghdr *)(b->buf + b->cur);
}

/* Appends raw bytes (aligned) to the current message. */
static void *put(struct bld_runner_nl *b, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(b->len);
	if (off + NLMSG_ALIGN(len) > sizeof(b->buf))
		abort();
	memset(b->buf + off, 0, NLMSG_ALIGN(len));
	if (data)
		memcpy(b->buf + off, data, len);
	b->len = off + NLMSG_ALIGN(len);
	cur(b)->nlmsg_len = (uint32_t)(b->len - b->cur);
	return b->buf + off;
}

static struct rtattr *attr(struct bld_runner_nl *b, int type, const void *data, size_t len)
{
	struct rtattr *a = put(b, NULL, RTA_LENGTH(len));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	return a;
}

static struct rtattr *nest(struct bld_runner_nl *b, int type) { return attr(b, type, NULL, 0); }
static void nest_end(struct bld_runner_nl *b, struct rtattr *a)
{
	a->rta_len = (unsigned short)(b->buf + b->len - (char *)a);
}

void bld_runner_nl_init(struct bld_runner_nl *b, int fd)
{
	b->fd = fd;
	b->len = b->cur = 0;
	b->n = 0;
}

int bld_runner_nl_socket(void)
{
	int ns = bld_runner_host_netns(); /* rootless: the namespace standing for the host's */
	if (ns >= 0)
		return bld_runner_netns_socket(ns, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
					       NETLINK_ROUTE, NULL);
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

/* Reads acknowledgements until every request of the batch is answered. */
static int read_acks(struct bld_runner_nl *b, struct bld_error **err)
{
	unsigned acked = 0;
	int first_err = 0;
	const char *what = "netlink";
	char buf[8192] __attribute__((aligned(4)));
	while (acked < b->n) {
		ssize_t n = recv(b->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return bld_error_sys(err, n < 0 ? errno : EPROTO, "netlink");
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < 1 || h->nlmsg_seq > b->n)
				continue;
			acked++;
			int e = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (e && !first_err) {
				first_err = e;
				what = b->what[h->nlmsg_seq - 1];
			}
		}
	}
	return first_err ? bld_error_sys(err, first_err, "%s", what) : 0;
}

int bld_runner_nl_send(struct bld_runner_nl *b, struct bld_error **err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (!b->n)
		return 0;
	if (sendto(b->fd, b->buf, b->len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return bld_error_sys(err, errno, "%s", b->what[0]);
	int r = read_acks(b, err);
	bld_runner_nl_init(b, b->fd);
	return r;
}

/* A batch of one request on a socket of its own, in the caller's namespace. */
static int send_alone(struct bld_runner_nl *b, struct bld_error **err)
{
	cleanup_close int s = bld_runner_nl_socket();
	if (s < 0)
		return bld_error_sys(err, errno, "netlink");
	b->fd = s;
	return bld_runner_nl_send(b, err);
}

int bld_runner_nl_ifindex(const char *name)
{
	int ns = bld_runner_host_netns();
	if (ns < 0)
		return (int)if_nametoindex(name);
	cleanup_close int s = bld_runner_netns_socket(ns, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, NULL);
	return s < 0 ? 0 : bld_runner_nl_ifindex_on(s, name);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bld_runner_nl_wait_gone(const char *name, int timeout_ms)
{
	/* subscribed first, checked after: a removal in between is not missed */
	cleanup_close int s = bld_runner_nl_socket();
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	bool subscribed = s >= 0 && fcntl(s, F_SETFL, O_NONBLOCK) == 0 &&
			  bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	int64_t until = mono_ms() + timeout_ms;
	for (;;) {
		if (bld_runner_nl_ifindex(name) == 0)
			return 0;
		int64_t left = until - mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (!subscribed) {
			poll(NULL, 0, 2); /* no notifications: look again shortly */
			continue;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		char buf[8192] __attribute__((aligned(4)));
		while (recv(s, buf, sizeof(buf), 0) > 0)
			; /* any link change (or an overrun): look again */
	}
}

int bld_runner_nl_ifindex_on(int fd, const char *name)
{
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return ioctl(fd, SIOCGIFINDEX, &ifr) < 0 ? 0 : ifr.ifr_ifindex;
}

int bld_runner_nl_bridge_create(const char *name, struct bld_error **err)
{
	struct bld_runner_nl b;
	bld_runner_nl_init(&b, -1);
	msg_begin(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg),
		  "create bridge");
	attr(&b, IFLA_IFNAME, name, strlen(name) + 1);
	struct rtattr *li = nest(&b, IFLA_LINKINFO);
	attr(&b, IFLA_INFO_KIND, "bridge", 7);
	nest_end(&b, li);
	int rc = send_alone(&b, err);
	if (rc < 0 && (*err)->sys_errno == EEXIST) {
		bld_error_free(*err);
		*err = NULL;
		return 0;
	}
	return rc;
}

/*
 * One transmit and one receive queue, asked for explicitly: without them a veth gets one per
 * possible CPU and is then cut down to one after registration, and that cut waits for an
 * (expedited) RCU grace period while holding the rtnl lock — milliseconds on a busy machine,
 * for each end of the pair.
 */
static void one_queue(struct bld_runner_nl *b)
{
	uint32_t one = 1;
	attr(b, IFLA_NUM_TX_QUEUES, &one, sizeof(one));
	attr(b, IFLA_NUM_RX_QUEUES, &one, sizeof(one));
}

void bld_runner_nl_veth_create(struct bld_runner_nl *b, const char *name, int master,
			       const char *peer, int peer_ns, const unsigned char *peer_mac)
{
	struct ifinfomsg *ifi = msg_begin(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
					  sizeof(struct ifinfomsg), "create veth");
	/* the host's end up and on the bridge at once: no further request for it */
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	attr(b, IFLA_IFNAME, name, strlen(name) + 1);
	one_queue(b);
	if (master > 0) {
		uint32_t m = (uint32_t)master;
		attr(b, IFLA_MASTER, &m, sizeof(m));
	}
	struct rtattr *li = nest(b, IFLA_LINKINFO);
	attr(b, IFLA_INFO_KIND, "veth", 5);
	struct rtattr *data = nest(b, IFLA_INFO_DATA);
	struct rtattr *pe = nest(b, VETH_INFO_PEER);
	/* the peer's ifinfomsg sits right in the attribute, before its own attributes; it
	 * cannot be up at once (veth_open refuses while the pair is being linked) */
	struct ifinfomsg pifi = {.ifi_family = AF_UNSPEC};
	put(b, &pifi, sizeof(pifi));
	attr(b, IFLA_IFNAME, peer, strlen(peer) + 1);
	one_queue(b);
	uint32_t fd = (uint32_t)peer_ns;
	attr(b, IFLA_NET_NS_FD, &fd, sizeof(fd));
	if (peer_mac)
		attr(b, IFLA_ADDRESS, peer_mac, 6);
	nest_end(b, pe);
	nest_end(b, data);
	nest_end(b, li);
}

void bld_runner_nl_link_up(struct bld_runner_nl *b, int ifindex)
{
	struct ifinfomsg *ifi =
	    msg_begin(b, RTM_NEWLINK, 0, sizeof(struct ifinfomsg), "set link up");
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
}

void bld_runner_nl_veth_clear(const char *name)
{
	int vi = bld_runner_nl_ifindex(name);
	if (vi <= 0)
		return;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_nl_link_del(vi, &e) < 0)
		bld_debug("%s", e->msg);
	bld_runner_nl_wait_gone(name, 2000);
}

int bld_runner_nl_link_del(int ifindex, struct bld_error **err)
{
	struct bld_runner_nl b;
	bld_runner_nl_init(&b, -1);
	struct ifinfomsg *ifi =
	    msg_begin(&b, RTM_DELLINK, 0, sizeof(struct ifinfomsg), "delete link");
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return send_alone(&b, err);
}

void bld_runner_nl_addr_add(struct bld_runner_nl *b, int ifindex, struct in_addr a, int prefix)
{
	struct ifaddrmsg *ifa = msg_begin(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
					  sizeof(struct ifaddrmsg), "add address");
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	attr(b, IFA_LOCAL, &a, sizeof(a));
	attr(b, IFA_ADDRESS, &a, sizeof(a));
}

void bld_runner_nl_link_mtu(struct bld_runner_nl *b, int ifindex, int mtu)
{
	struct ifinfomsg *ifi = msg_begin(b, RTM_NEWLINK, 0, sizeof(struct ifinfomsg), "set mtu");
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	uint32_t m = (uint32_t)mtu;
	attr(b, IFLA_MTU, &m, sizeof(m));
}

int bld_runner_nl_mtu(int ifindex, int mtu, struct bld_error **err)
{
	struct bld_runner_nl b;
	bld_runner_nl_init(&b, -1);
	bld_runner_nl_link_mtu(&b, ifindex, mtu);
	return send_alone(&b, err);
}

/* An IPv6 address without duplicate address detection: usable at once, as docker's. */
void bld_runner_nl_addr6_add(struct bld_runner_nl *b, int ifindex, const struct in6_addr *a,
			     int prefix)
{
	struct ifaddrmsg *ifa = msg_begin(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
					  sizeof(struct ifaddrmsg), "add IPv6 address");
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_index = (unsigned)ifindex;
	attr(b, IFA_LOCAL, a, sizeof(*a));
	attr(b, IFA_ADDRESS, a, sizeof(*a));
}

/* A default route of the family through gateway gw (len bytes). */
static void route_default(struct bld_runner_nl *b, int family, const void *gw, size_t len,
			  const char *what)
{
	struct rtmsg *rt = msg_begin(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
				     sizeof(struct rtmsg), what);
	rt->rtm_family = (unsigned char)family;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	attr(b, RTA_GATEWAY, gw, len);
}

void bld_runner_nl_route_default(struct bld_runner_nl *b, struct in_addr gw)
{
	route_default(b, AF_INET, &gw, sizeof(gw), "add default route");
}

void bld_runner_nl_route6_default(struct bld_runner_nl *b, const struct in6_addr *gw)
{
	route_default(b, AF_INET6, gw, sizeof(*gw), "add IPv6 default route");
}

/* The gateway of the main table's IPv4 default route, from a dump on fd. */
static bool default_gw_in(const char *buf, ssize_t n, struct in_addr *gw, bool *done)
{
	bool found = false;
	for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
			*done = true;
		const struct rtmsg *rt = NLMSG_DATA(h);
		if (h->nlmsg_type != RTM_NEWROUTE || rt->rtm_dst_len || rt->rtm_table != RT_TABLE_MAIN)
			continue;
		int len = (int)RTM_PAYLOAD(h);
		for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == sizeof(*gw) && !found) {
				memcpy(gw, RTA_DATA(a), sizeof(*gw));
				found = true;
			}
	}
	return found;
}

bool bld_runner_nl_default_gw(int fd, struct in_addr *gw)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg rt;
	} req = {.h = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETROUTE,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1},
		 .rt = {.rtm_family = AF_INET}};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return false;
	bool found = false, done = false;
	char buf[8192] __attribute__((aligned(4)));
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		found = default_gw_in(buf, n, gw, &done) || found;
	}
	return found;
}

int bld_runner_nl_bridge_setup(const char *name, struct in_addr gw, int prefix, int *ifindex,
			       struct bld_error **err)
{
	if (bld_runner_nl_bridge_create(name, err) < 0)
		return -1;
	*ifindex = bld_runner_nl_ifindex(name);
	if (*ifindex <= 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "no interface %s", name);
	struct bld_runner_nl b;
	bld_runner_nl_init(&b, -1);
	bld_runner_nl_addr_add(&b, *ifindex, gw, prefix);
	bld_runner_nl_link_up(&b, *ifindex);
	return send_alone(&b, err);
}
/* A socket created inside namespace ns (sockets stay in the namespace they were made in). */
static int socket_in(int ns, int domain, int type, int proto)
{
	if (bld_rootless()) /* no way back into the host's namespace: a child makes it */
		return bld_runner_netns_socket(ns, domain, type, proto, NULL);
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(ns, CLONE_NEWNET) < 0)
		return -1;
	int s = socket(domain, type, proto);
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	return s;
}

int bld_runner_net_socket_in(int ns, int type)
{
	return socket_in(ns, AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

int bld_runner_nl_socket_in(int ns)
{
	return socket_in(ns, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}
