/*
 * runner/netlink.c — the few rtnetlink requests the bridge network needs (create a bridge or
 * a veth pair with its peer in another namespace, add an address, set a link up or its
 * master, add a default route), spoken directly so that starting a container does not fork
 * ip(8). Each request waits for the kernel's acknowledgement.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>

#define NL_BUF 4096

struct nlreq {
	char buf[NL_BUF];
	struct nlmsghdr *h;
};

static void *req_init(struct nlreq *r, int type, int flags, size_t body)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->h = (struct nlmsghdr *)r->buf;
	r->h->nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	r->h->nlmsg_type = (uint16_t)type;
	r->h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->h->nlmsg_seq = 1;
	return NLMSG_DATA(r->h);
}

static struct rtattr *attr(struct nlreq *r, int type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->h->nlmsg_len);
	struct rtattr *a = (struct rtattr *)(r->buf + off);
	if (off + RTA_SPACE(len) > sizeof(r->buf))
		abort(); /* requests here are small and fixed */
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return a;
}

static struct rtattr *nest(struct nlreq *r, int type) { return attr(r, type, NULL, 0); }
static void nest_end(struct nlreq *r, struct rtattr *a)
{
	a->rta_len = (unsigned short)(r->buf + r->h->nlmsg_len - (char *)a);
}

static int talk(struct nlreq *r, const char *what, struct bld_error **err)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return bld_error_sys(err, errno, "netlink");
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int e = 0;
	if (sendto(s, r->buf, r->h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
	} else {
		char ack[NL_BUF];
		ssize_t n = recv(s, ack, sizeof(ack), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)ack;
		if (n < 0)
			e = errno;
		else if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
			 h->nlmsg_type == NLMSG_ERROR)
			e = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	close(s);
	return e ? bld_error_sys(err, e, "%s", what) : 0;
}

int bld_runner_nl_ifindex(const char *name) { return (int)if_nametoindex(name); }

int bld_runner_nl_bridge_create(const char *name, struct bld_error **err)
{
	struct nlreq r;
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	struct rtattr *li = nest(&r, IFLA_LINKINFO);
	attr(&r, IFLA_INFO_KIND, "bridge", 7);
	nest_end(&r, li);
	int rc = talk(&r, "create bridge", err);
	if (rc < 0 && (*err)->sys_errno == EEXIST) {
		bld_error_free(*err);
		*err = NULL;
		return 0;
	}
	return rc;
}

int bld_runner_nl_veth_create(const char *name, const char *peer, int peer_ns,
			      struct bld_error **err)
{
	struct nlreq r;
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	struct rtattr *li = nest(&r, IFLA_LINKINFO);
	attr(&r, IFLA_INFO_KIND, "veth", 5);
	struct rtattr *data = nest(&r, IFLA_INFO_DATA);
	struct rtattr *pe = nest(&r, VETH_INFO_PEER);
	struct ifinfomsg pifi = {.ifi_family = AF_UNSPEC};
	/* the peer's ifinfomsg sits right in the attribute, before its own attributes */
	size_t off = NLMSG_ALIGN(r.h->nlmsg_len);
	memcpy(r.buf + off, &pifi, sizeof(pifi));
	r.h->nlmsg_len = (uint32_t)(off + NLMSG_ALIGN(sizeof(pifi)));
	attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	uint32_t fd = (uint32_t)peer_ns;
	attr(&r, IFLA_NET_NS_FD, &fd, sizeof(fd));
	nest_end(&r, pe);
	nest_end(&r, data);
	nest_end(&r, li);
	return talk(&r, "create veth", err);
}

static int link_change(int ifindex, unsigned flags, int master, const char *what,
		       struct bld_error **err)
{
	struct nlreq r;
	struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	ifi->ifi_change = flags;
	if (master > 0) {
		uint32_t m = (uint32_t)master;
		attr(&r, IFLA_MASTER, &m, sizeof(m));
	}
	return talk(&r, what, err);
}

int bld_runner_nl_link_up(int ifindex, struct bld_error **err)
{
	return link_change(ifindex, IFF_UP, 0, "set link up", err);
}

int bld_runner_nl_set_master(int ifindex, int master, struct bld_error **err)
{
	return link_change(ifindex, 0, master, "attach to bridge", err);
}

int bld_runner_nl_link_del(int ifindex, struct bld_error **err)
{
	struct nlreq r;
	struct ifinfomsg *ifi = req_init(&r, RTM_DELLINK, 0, sizeof(struct ifinfomsg));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return talk(&r, "delete link", err);
}

int bld_runner_nl_addr_add(int ifindex, const char *ip, int prefix, struct bld_error **err)
{
	struct nlreq r;
	struct ifaddrmsg *ifa = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
					 sizeof(struct ifaddrmsg));
	struct in_addr a;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return bld_error_set(err, BLD_E_INVALID, "bad address %s", ip);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	attr(&r, IFA_LOCAL, &a, sizeof(a));
	attr(&r, IFA_ADDRESS, &a, sizeof(a));
	return talk(&r, "add address", err);
}

static int route_default(const char *gw, struct bld_error **err)
{
	struct nlreq r;
	struct rtmsg *rt = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
				    sizeof(struct rtmsg));
	struct in_addr a;
	if (inet_pton(AF_INET, gw, &a) != 1)
		return bld_error_set(err, BLD_E_INVALID, "bad gateway %s", gw);
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	attr(&r, RTA_GATEWAY, &a, sizeof(a));
	return talk(&r, "add default route", err);
}

static int configure_here(const char *ifname, const char *ip, int prefix, const char *gw,
			  struct bld_error **err)
{
	int lo = bld_runner_nl_ifindex("lo");
	if (lo <= 0 || bld_runner_nl_link_up(lo, err) < 0)
		return bld_error_wrap(err, "loopback");
	if (!ifname)
		return 0;
	int i = bld_runner_nl_ifindex(ifname);
	if (i <= 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "no interface %s", ifname);
	if (bld_runner_nl_addr_add(i, ip, prefix, err) < 0 || bld_runner_nl_link_up(i, err) < 0)
		return -1;
	return route_default(gw, err);
}

int bld_runner_nl_configure_ns(int nsfd, const char *ifname, const char *ip, int prefix,
			       const char *gw, struct bld_error **err)
{
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		return bld_error_sys(err, errno, "enter network namespace");
	int r = configure_here(ifname, ip, prefix, gw, err);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* stuck in the container's network: nothing sane is left to do */
	return r;
}
