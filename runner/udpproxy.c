/*
 * runner/udpproxy.c — published UDP ports (-p HOST:CTR/udp), served as docker-proxy serves
 * them: a datagram from a client address without a flow opens one, a UDP socket inside the
 * container's namespace connected to 127.0.0.1:<container port>; that client's datagrams go
 * out on it and whatever comes back on it goes to the client from the published socket. A
 * flow idle for the timeout (90 s, docker-proxy's; BLD_UDP_PROXY_TIMEOUT seconds to change
 * it) is closed; when all BLD_RUNNER_MAX_UDP flows are taken the longest idle one makes room.
 *
 * It does not open the published sockets (net.c does, with the TCP listeners) and does not
 * poll: the monitor's loop asks for the descriptors and the next timeout, and hands back
 * what is readable.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#define UDP_BUF 65536
#define UDP_BURST 64 /* datagrams read per wake-up and socket, so one cannot starve others */

struct flow {
	int fd;	 /* in the container's namespace, connected to the container port */
	int lfd; /* the published socket the client sends to */
	struct sockaddr_storage peer;
	socklen_t plen;
	int64_t last; /* ms, monotonic */
};

struct bld_runner_udp {
	struct flow *flows[BLD_RUNNER_MAX_UDP];
	int64_t timeout; /* ms */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct bld_runner_udp *bld_runner_udp_new(void)
{
	struct bld_runner_udp *u = xcalloc(1, sizeof(*u));
	long secs = 90;
	const char *t = getenv("BLD_UDP_PROXY_TIMEOUT");
	if (t && *t && bld_parse_long(t, 1, 86400, &secs) < 0)
		secs = 90;
	u->timeout = (int64_t)secs * 1000;
	return u;
}

static void flow_close(struct bld_runner_udp *u, size_t i)
{
	close(u->flows[i]->fd);
	free(u->flows[i]);
	u->flows[i] = NULL;
}

void bld_runner_udp_free(struct bld_runner_udp *u)
{
	for (size_t i = 0; u && i < BLD_RUNNER_MAX_UDP; i++)
		if (u->flows[i])
			flow_close(u, i);
	free(u);
}

static bool same_peer(const struct flow *f, int lfd, const struct sockaddr_storage *a,
		      socklen_t len)
{
	return f->lfd == lfd && f->plen == len && memcmp(&f->peer, a, len) == 0;
}

/* A free slot, made by closing the longest idle flow when every slot is taken. */
static size_t free_slot(struct bld_runner_udp *u)
{
	size_t oldest = 0;
	for (size_t i = 0; i < BLD_RUNNER_MAX_UDP; i++) {
		if (!u->flows[i])
			return i;
		if (u->flows[i]->last < u->flows[oldest]->last)
			oldest = i;
	}
	flow_close(u, oldest);
	return oldest;
}

static struct flow *flow_for(struct bld_runner_udp *u, int lfd, int nsfd, int ctr_port,
			     const struct sockaddr_storage *a, socklen_t len)
{
	for (size_t i = 0; i < BLD_RUNNER_MAX_UDP; i++)
		if (u->flows[i] && same_peer(u->flows[i], lfd, a, len))
			return u->flows[i];
	int fd = bld_runner_net_socket_in(nsfd, SOCK_DGRAM);
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)ctr_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t slot = free_slot(u);
	struct flow *f = xcalloc(1, sizeof(*f));
	*f = (struct flow){.fd = fd, .lfd = lfd, .plen = len};
	memcpy(&f->peer, a, len);
	u->flows[slot] = f;
	return f;
}

void bld_runner_udp_readable(struct bld_runner_udp *u, int lfd, int nsfd, int ctr_port)
{
	static char buf[UDP_BUF];
	for (int k = 0; k < UDP_BURST; k++) {
		struct sockaddr_storage a;
		socklen_t len = sizeof(a);
		ssize_t n =
		    recvfrom(lfd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&a, &len);
		if (n < 0)
			return;
		struct flow *f = flow_for(u, lfd, nsfd, ctr_port, &a, len);
		if (!f)
			continue;
		f->last = now_ms();
		/* a refused earlier datagram (nothing listening yet) is not the flow's end */
		if (send(f->fd, buf, (size_t)n, MSG_DONTWAIT) < 0 && errno != ECONNREFUSED)
			bld_debug("udp proxy: %s", strerror(errno));
	}
}

/* Replies from the container to the flow's client. */
static void flow_readable(struct flow *f)
{
	static char buf[UDP_BUF];
	for (int k = 0; k < UDP_BURST; k++) {
		ssize_t n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		f->last = now_ms();
		sendto(f->lfd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&f->peer, f->plen);
	}
}

size_t bld_runner_udp_pollfds(struct bld_runner_udp *u, struct pollfd *pf, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; u && i < BLD_RUNNER_MAX_UDP && k < max; i++)
		if (u->flows[i])
			pf[k++] = (struct pollfd){.fd = u->flows[i]->fd, .events = POLLIN};
	return k;
}

void bld_runner_udp_handle(struct bld_runner_udp *u, const struct pollfd *pf, size_t count)
{
	for (size_t k = 0; u && k < count; k++) {
		if (!pf[k].revents)
			continue;
		for (size_t i = 0; i < BLD_RUNNER_MAX_UDP; i++)
			if (u->flows[i] && u->flows[i]->fd == pf[k].fd)
				flow_readable(u->flows[i]);
	}
	int64_t now = now_ms();
	for (size_t i = 0; u && i < BLD_RUNNER_MAX_UDP; i++)
		if (u->flows[i] && now - u->flows[i]->last >= u->timeout)
			flow_close(u, i);
}

int bld_runner_udp_timeout(struct bld_runner_udp *u)
{
	int64_t next = -1, now = now_ms();
	for (size_t i = 0; u && i < BLD_RUNNER_MAX_UDP; i++) {
		if (!u->flows[i])
			continue;
		int64_t left = u->flows[i]->last + u->timeout - now;
		if (left < 0)
			left = 0;
		if (next < 0 || left < next)
			next = left;
	}
	return next > INT32_MAX ? INT32_MAX : (int)next;
}
