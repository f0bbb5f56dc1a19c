/*
 * runner/dnsserve.c — the embedded resolver of one container, served by its monitor from
 * the monitor's poll loop: UDP and TCP on 127.0.0.11:53, sockets made inside the container's
 * network namespace (where nothing else listens: no firewall rule is needed), so that it
 * exists exactly while the container's monitor does and costs nothing when none runs.
 *
 * A query the container's networks answer (dns.c, over the view dnsview.c reads) is answered
 * at once. Any other is forwarded, from the monitor's own (the host's) namespace, to the
 * upstreams: HostConfig.Dns when given, else the nameservers of the host's /etc/resolv.conf
 * with the loopback ones left out (docker's rule; docker then falls back to public resolvers,
 * bld never sends anything where nobody asked it to), at most three of them, tried in order:
 * UDP for a UDP query (FWD_TIMEOUT_MS each), TCP for a TCP one. The first reply that parses
 * with the query's id is relayed as it is; when none comes, the client gets SERVFAIL.
 *
 * Caps: DNS_MAX_JOBS forwards and DNS_MAX_CONNS TCP clients at once (more are dropped, the
 * client retries); a TCP client's queries are answered in order, one forward at a time.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define DNS_PORT 53
#define DNS_ADDR BLD_RUNNER_DNS_ADDR
#define DNS_MAX_UPSTREAMS 3
#define DNS_MAX_CONNS 14
#define DNS_MAX_JOBS (BLD_RUNNER_MAX_DNS - DNS_MAX_CONNS - 2)
#define DNS_MSG_MAX 65535
#define FWD_TIMEOUT_MS 4000 /* docker's extIOTimeout */
#define CONN_IDLE_MS 10000
#define UDP_BURST 32
#define CONN_BUF (2 * (DNS_MSG_MAX + 2)) /* a TCP client's unread queries */
#define ALIVE_MEMO 16
#define ALIVE_MS 500 /* how long a peer's liveness is taken as known */

struct conn {
	int fd;
	uint8_t *in; /* a length-prefixed query being read */
	size_t have;
	bool busy;   /* its query is being forwarded */
	int64_t idle_at;
};

struct job {
	int up;            /* socket to the upstream, -1: the slot is free */
	bool tcp, connecting;
	size_t server;     /* index of the upstream tried */
	int64_t deadline;
	struct sockaddr_storage from; /* UDP: the client */
	socklen_t fromlen;
	struct conn *conn; /* TCP: the client */
	uint8_t *q;        /* the query, with a 2-byte length before it */
	size_t qlen, sent;
	uint8_t *r;        /* TCP: the reply being read, with its length */
	size_t have;
};

struct bld_runner_dns {
	struct bld_ctx *ctx;
	char id[65];
	int udp, tcp;
	struct sockaddr_storage ups[DNS_MAX_UPSTREAMS];
	socklen_t ups_len[DNS_MAX_UPSTREAMS];
	size_t n_ups;
	bool ndots;
	struct conn conns[DNS_MAX_CONNS];
	struct job jobs[DNS_MAX_JOBS];
	struct bld_runner_dns_view view; /* kept across queries while the store is unchanged */
	struct {
		char id[65];
		bool alive;
		int64_t until;
	} memo[ALIVE_MEMO]; /* liveness of the peers that answered lately */
	size_t memo_next;
};

/* ------------------------------------------------------------------ setup */

static int listen_in(int nsfd, int type, struct bld_error **err)
{
	cleanup_close int s = bld_runner_net_socket_in(nsfd, type);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT)};
	inet_pton(AF_INET, DNS_ADDR, &a.sin_addr);
	int one = 1;
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(s, 64) < 0))
		return bld_error_sys(err, errno, "embedded DNS %s:%d", DNS_ADDR, DNS_PORT);
	return steal_fd(&s);
}

static void add_upstream(struct bld_runner_dns *d, const char *ip)
{
	if (d->n_ups >= DNS_MAX_UPSTREAMS)
		return;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&d->ups[d->n_ups];
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&d->ups[d->n_ups];
	memset(&d->ups[d->n_ups], 0, sizeof(d->ups[0]));
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(DNS_PORT);
		d->ups_len[d->n_ups++] = sizeof(*a4);
	} else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(DNS_PORT);
		d->ups_len[d->n_ups++] = sizeof(*a6);
	}
}

/* HostConfig.Dns, else the host's nameservers off the loopback; and whether the container's
 * options (DnsOptions, else the host's) set ndots: then docker answers a single-label name it
 * does not know with an empty reply (ndotsSet in its resolver). */
static void upstreams(struct bld_runner_dns *d, json_t *hc)
{
	cleanup_strv char **dns = bld_json_to_strv(json_object_get(hc, "Dns"));
	if (!dns)
		bld_runner_resolv_host_values("nameserver", &dns);
	for (size_t i = 0; dns && dns[i]; i++)
		add_upstream(d, dns[i]);
	cleanup_strv char **opts = bld_json_to_strv(json_object_get(hc, "DnsOptions"));
	if (!opts)
		bld_runner_resolv_host_values("options", &opts);
	for (size_t i = 0; opts && opts[i]; i++)
		d->ndots |= bld_str_has_prefix(opts[i], "ndots:");
}

void bld_runner_dns_new(struct bld_runner_dns **out, struct bld_ctx *ctx, json_t *cfg,
			const char *id)
{
	*out = NULL;
	json_t *hc = json_object_get(cfg, "HostConfig");
	if (!bld_runner_netcfg_user_networks(cfg))
		return;
	struct bld_runner_dns *d = xcalloc(1, sizeof(*d));
	d->ctx = ctx;
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->udp = d->tcp = -1;
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		d->conns[i].fd = -1;
	for (size_t i = 0; i < DNS_MAX_JOBS; i++)
		d->jobs[i].up = -1;
	upstreams(d, hc);
	*out = d;
}

int bld_runner_dns_listen(struct bld_runner_dns *d, int nsfd, struct bld_error **err)
{
	if (!d)
		return 0;
	d->udp = listen_in(nsfd, SOCK_DGRAM, err);
	if (d->udp >= 0)
		d->tcp = listen_in(nsfd, SOCK_STREAM, err);
	return d->tcp < 0 ? -1 : 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	*c = (struct conn){.fd = -1};
}

static void job_end(struct job *j)
{
	if (j->up >= 0)
		close(j->up);
	if (j->conn)
		j->conn->busy = false;
	free(j->q);
	free(j->r);
	*j = (struct job){.up = -1};
}

void bld_runner_dns_close(struct bld_runner_dns *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < DNS_MAX_JOBS; i++)
		job_end(&d->jobs[i]);
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		conn_close(&d->conns[i]);
	if (d->udp >= 0)
		close(d->udp);
	if (d->tcp >= 0)
		close(d->tcp);
	bld_runner_dns_view_dispose(&d->view);
	free(d);
}

/* ------------------------------------------------------------------ replies */

/* A length-prefixed message to a TCP client; a client that does not read within a second
 * loses its connection. */
static void tcp_reply(struct conn *c, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	struct iovec iov[2] = {{hdr, 2}, {(void *)msg, len}};
	size_t left = len + 2;
	while (left) {
		ssize_t w = writev(c->fd, iov, 2);
		struct pollfd out = {c->fd, POLLOUT, 0};
		if (w < 0 && errno == EAGAIN && poll(&out, 1, 1000) > 0)
			continue;
		if (w <= 0) {
			conn_close(c);
			return;
		}
		left -= (size_t)w;
		for (size_t i = 0; i < 2; i++) {
			size_t k = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			w -= (ssize_t)k;
		}
	}
}

static void reply_to(struct bld_runner_dns *d, struct job *j, const uint8_t *msg, size_t len)
{
	if (j->conn)
		tcp_reply(j->conn, msg, len);
	else
		sendto(d->udp, msg, len, MSG_DONTWAIT, (struct sockaddr *)&j->from, j->fromlen);
}

/* Whether peer id's monitor answers (asked at most every ALIVE_MS: asking wakes it). */
static bool alive(const char *id, void *payload)
{
	struct bld_runner_dns *d = payload;
	int64_t now = bld_mono_ms();
	if (strcmp(id, d->id) == 0)
		return true;
	for (size_t i = 0; i < ALIVE_MEMO; i++)
		if (now < d->memo[i].until && strcmp(d->memo[i].id, id) == 0)
			return d->memo[i].alive;
	size_t k = d->memo_next++ % ALIVE_MEMO;
	snprintf(d->memo[k].id, sizeof(d->memo[k].id), "%s", id);
	d->memo[k].alive = bld_runner_client_wait_fd_alive(d->ctx, id);
	d->memo[k].until = now + ALIVE_MS;
	return d->memo[k].alive;
}

/* ------------------------------------------------------------------ forwarding */

/* Starts (or goes on with) a forward at upstream j->server; false when none is left. */
static bool job_try(struct job *j, struct bld_runner_dns *d)
{
	for (; j->server < d->n_ups; j->server++) {
		if (j->up >= 0)
			close(j->up);
		j->have = 0;
		j->sent = 0;
		const struct sockaddr *a = (const struct sockaddr *)&d->ups[j->server];
		int type = (j->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
		j->up = socket(a->sa_family, type, 0);
		if (j->up < 0)
			continue;
		int r = connect(j->up, a, d->ups_len[j->server]);
		j->connecting = r < 0 && errno == EINPROGRESS;
		if (r < 0 && !j->connecting)
			continue;
		if (!j->tcp && send(j->up, j->q + 2, j->qlen, 0) < 0)
			continue;
		j->deadline = bld_mono_ms() + FWD_TIMEOUT_MS;
		return true;
	}
	return false;
}

/* No upstream left: SERVFAIL to the client. */
static void job_fail(struct bld_runner_dns *d, struct job *j)
{
	cleanup_free uint8_t *out = NULL;
	size_t len = 0;
	if (bld_runner_dns_servfail(j->q + 2, j->qlen, &out, &len) > 0)
		reply_to(d, j, out, len);
	job_end(j);
}

static void job_next(struct bld_runner_dns *d, struct job *j)
{
	j->server++;
	if (!job_try(j, d))
		job_fail(d, j);
}

static void forward(struct bld_runner_dns *d, const uint8_t *q, size_t len,
		    const struct sockaddr_storage *from, socklen_t fromlen, struct conn *c)
{
	struct job *j = NULL;
	for (size_t i = 0; i < DNS_MAX_JOBS && !j; i++)
		if (d->jobs[i].up < 0 && !d->jobs[i].q)
			j = &d->jobs[i];
	if (!j) {
		if (c)
			conn_close(c);
		return; /* too many at once: the client asks again */
	}
	j->q = xmalloc(len + 2);
	j->q[0] = (uint8_t)(len >> 8);
	j->q[1] = (uint8_t)len;
	memcpy(j->q + 2, q, len);
	j->qlen = len;
	j->tcp = c != NULL;
	j->conn = c;
	if (c)
		c->busy = true;
	else
		memcpy(&j->from, from, fromlen), j->fromlen = fromlen;
	if (!job_try(j, d))
		job_fail(d, j);
}

/* A reply from the upstream is ours when it parses as the answer to our query. */
static bool reply_ok(const struct job *j, const uint8_t *r, size_t len)
{
	return bld_runner_dns_is_reply(j->q + 2, j->qlen, r, len);
}

static void udp_job_readable(struct bld_runner_dns *d, struct job *j)
{
	uint8_t buf[DNS_MSG_MAX];
	ssize_t n = recv(j->up, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) { /* refused: the next upstream */
		job_next(d, j);
		return;
	}
	if (!reply_ok(j, buf, (size_t)n))
		return; /* not our answer: wait for it until the deadline */
	reply_to(d, j, buf, (size_t)n);
	job_end(j);
}

static void tcp_job_step(struct bld_runner_dns *d, struct job *j, short ev)
{
	if (j->connecting) {
		int e = 0;
		socklen_t el = sizeof(e);
		getsockopt(j->up, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e) {
			job_next(d, j);
			return;
		}
		j->connecting = false;
	}
	if (j->sent < j->qlen + 2) {
		ssize_t w = send(j->up, j->q + j->sent, j->qlen + 2 - j->sent, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN)
			job_next(d, j);
		else if (w > 0)
			j->sent += (size_t)w;
		return;
	}
	if (!(ev & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (!j->r)
		j->r = xmalloc(DNS_MSG_MAX + 2);
	ssize_t n = recv(j->up, j->r + j->have, DNS_MSG_MAX + 2 - j->have, 0);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			job_next(d, j);
		return;
	}
	j->have += (size_t)n;
	size_t want = j->have >= 2 ? ((size_t)j->r[0] << 8 | j->r[1]) + 2 : SIZE_MAX;
	if (j->have < want)
		return;
	if (!reply_ok(j, j->r + 2, want - 2)) {
		job_next(d, j);
		return;
	}
	reply_to(d, j, j->r + 2, want - 2);
	job_end(j);
}

/* ------------------------------------------------------------------ queries */

/* One query from a client: answered here, forwarded, or dropped when unreadable. */
static void serve(struct bld_runner_dns *d, const uint8_t *q, size_t len,
		  const struct sockaddr_storage *from, socklen_t fromlen, struct conn *c)
{
	bld_runner_dns_view_refresh(&d->view, d->ctx, d->id);
	cleanup_free uint8_t *out = NULL;
	size_t olen = 0;
	int r = bld_runner_dns_answer(&d->view, q, len, d->ndots, alive, d, &out, &olen);
	if (r > 0 && c)
		tcp_reply(c, out, olen);
	else if (r > 0)
		sendto(d->udp, out, olen, MSG_DONTWAIT, (const struct sockaddr *)from, fromlen);
	else if (r == 0)
		forward(d, q, len, from, fromlen, c);
	else if (c)
		conn_close(c);
}

static void udp_readable(struct bld_runner_dns *d)
{
	uint8_t buf[DNS_MSG_MAX];
	for (int i = 0; i < UDP_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(d->udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		serve(d, buf, (size_t)n, &from, fl, NULL);
	}
}

static void tcp_accept(struct bld_runner_dns *d)
{
	int fd = accept4(d->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		if (d->conns[i].fd < 0) {
			d->conns[i] = (struct conn){.fd = fd};
			d->conns[i].idle_at = bld_mono_ms() + CONN_IDLE_MS;
			return;
		}
	close(fd);
}

/* Serves the whole queries read from c, in order, while none is being forwarded (glibc
 * sends its A and AAAA queries at once on one connection). */
static void conn_serve(struct bld_runner_dns *d, struct conn *c)
{
	while (c->fd >= 0 && !c->busy && c->have >= 2) {
		size_t want = ((size_t)c->in[0] << 8 | c->in[1]) + 2;
		if (c->have < want)
			return;
		cleanup_free uint8_t *q = xmalloc(want); /* serve may close c */
		memcpy(q, c->in, want);
		memmove(c->in, c->in + want, c->have - want);
		c->have -= want;
		serve(d, q + 2, want - 2, NULL, 0, c);
	}
}

static void conn_readable(struct bld_runner_dns *d, struct conn *c)
{
	if (!c->in)
		c->in = xmalloc(CONN_BUF);
	ssize_t n = c->have < CONN_BUF ? recv(c->fd, c->in + c->have, CONN_BUF - c->have, 0) : 0;
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			conn_close(c);
		return;
	}
	c->have += (size_t)n;
	c->idle_at = bld_mono_ms() + CONN_IDLE_MS;
	conn_serve(d, c);
}

/* ------------------------------------------------------------------ the poll loop */

size_t bld_runner_dns_pollfds(struct bld_runner_dns *d, struct pollfd *pf, size_t max)
{
	size_t k = 0;
	if (!d || d->tcp < 0 || max < 2)
		return 0;
	pf[k++] = (struct pollfd){.fd = d->udp, .events = POLLIN};
	pf[k++] = (struct pollfd){.fd = d->tcp, .events = POLLIN};
	for (size_t i = 0; i < DNS_MAX_CONNS && k < max; i++)
		if (d->conns[i].fd >= 0 && !d->conns[i].busy)
			pf[k++] = (struct pollfd){.fd = d->conns[i].fd, .events = POLLIN};
	for (size_t i = 0; i < DNS_MAX_JOBS && k < max; i++) {
		struct job *j = &d->jobs[i];
		bool out = j->connecting || (j->tcp && j->sent < j->qlen + 2);
		if (j->up >= 0)
			pf[k++] = (struct pollfd){.fd = j->up, .events = out ? POLLOUT : POLLIN};
	}
	return k;
}

static void dispatch(struct bld_runner_dns *d, int fd, short ev)
{
	if (fd == d->udp)
		udp_readable(d);
	else if (fd == d->tcp)
		tcp_accept(d);
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		if (d->conns[i].fd == fd && !d->conns[i].busy)
			conn_readable(d, &d->conns[i]);
	for (size_t i = 0; i < DNS_MAX_JOBS; i++) {
		struct job *j = &d->jobs[i];
		if (j->up != fd)
			continue;
		if (j->tcp)
			tcp_job_step(d, j, ev);
		else if (ev & (POLLIN | POLLERR))
			udp_job_readable(d, j);
	}
}

void bld_runner_dns_handle(struct bld_runner_dns *d, const struct pollfd *pf, size_t count)
{
	if (!d)
		return;
	for (size_t k = 0; k < count; k++)
		if (pf[k].revents && pf[k].fd >= 0)
			dispatch(d, pf[k].fd, pf[k].revents);
	int64_t now = bld_mono_ms();
	for (size_t i = 0; i < DNS_MAX_JOBS; i++)
		if (d->jobs[i].up >= 0 && now >= d->jobs[i].deadline)
			job_next(d, &d->jobs[i]);
	for (size_t i = 0; i < DNS_MAX_CONNS; i++) {
		conn_serve(d, &d->conns[i]); /* what waited for a forward to end */
		if (d->conns[i].fd >= 0 && !d->conns[i].busy && now >= d->conns[i].idle_at)
			conn_close(&d->conns[i]);
	}
}

int bld_runner_dns_timeout(struct bld_runner_dns *d)
{
	if (!d)
		return -1;
	int64_t next = INT64_MAX, now = bld_mono_ms();
	for (size_t i = 0; i < DNS_MAX_JOBS; i++)
		if (d->jobs[i].up >= 0 && d->jobs[i].deadline < next)
			next = d->jobs[i].deadline;
	for (size_t i = 0; i < DNS_MAX_CONNS; i++)
		if (d->conns[i].fd >= 0 && !d->conns[i].busy && d->conns[i].idle_at < next)
			next = d->conns[i].idle_at;
	if (next == INT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}
