/*
 * runner/ipam.c — addresses leased on a network, in $BLD_ROOT/networks/<id>/leases (IPv4)
 * and leases6 (IPv6): a record of BLD_RUNNER_LEASE_LEN bytes per host number h at offset
 * (h - 1) * BLD_RUNNER_LEASE_LEN, the container's id and a newline, or zeros when free; read
 * and written in place under the networks lock (networks/.lock). Not a file per address: on
 * ext4 without a journal an inode allocation scans past every recently deleted inode of its
 * group, and freeing one is a discard, for each container.
 *
 * A lease whose container is gone, or whose monitor is dead (kill -9), is stale: the next
 * lease takes it over, as a free one. Free addresses are taken lowest first, as docker's
 * default IPAM does; the gateway, the network and broadcast addresses are never leased.
 * Only the first BLD_RUNNER_LEASE_SCAN host numbers of a pool are ever scanned (a /16 holds
 * 65534); a requested address may lie anywhere in the pool (the file is sparse there).
 *
 * This file knows addresses and lease files only; what a network is (network.json) is
 * network.c's, and it takes no lock itself: its callers hold the networks lock.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>

/* The largest host number a lease file records (a sparse file up to 65 GiB). */
#define LEASE_HOST_MAX (1ULL << 30)

int bld_runner_ipam_cidr_parse(const char *s, struct bld_runner_ipam_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = s ? strchr(s, '/') : NULL;
	long p = 0;
	if (!slash || (size_t)(slash - s) >= INET6_ADDRSTRLEN)
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - s), s);
	*out = (struct bld_runner_ipam_cidr){0};
	out->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	int max = out->family == AF_INET ? 32 : 128;
	if (inet_pton(out->family, buf, out->addr) != 1 || !slash[1] ||
	    bld_parse_long(slash + 1, 0, max, &p) < 0)
		return -1;
	out->prefix = (int)p;
	return 0;
}

int bld_runner_ipam_addr_parse(const char *s, int family, unsigned char out[16])
{
	memset(out, 0, 16);
	if (!s || !*s)
		return -1;
	if (family == 0)
		family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(family, s, out) == 1 ? family : -1;
}

/* Bytes of an address of the family. */
static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

void bld_runner_ipam_cidr_mask(struct bld_runner_ipam_cidr *c)
{
	size_t n = addr_len(c->family);
	for (size_t i = 0; i < n; i++) {
		int bits = c->prefix - (int)i * 8;
		unsigned m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
		c->addr[i] &= (unsigned char)m;
	}
}

bool bld_runner_ipam_contains(const struct bld_runner_ipam_cidr *c, const unsigned char *a)
{
	struct bld_runner_ipam_cidr x = *c;
	memcpy(x.addr, a, addr_len(c->family));
	bld_runner_ipam_cidr_mask(&x);
	struct bld_runner_ipam_cidr y = *c;
	bld_runner_ipam_cidr_mask(&y);
	return memcmp(x.addr, y.addr, addr_len(c->family)) == 0;
}

bool bld_runner_ipam_overlaps(const struct bld_runner_ipam_cidr *a,
			      const struct bld_runner_ipam_cidr *b)
{
	if (a->family != b->family)
		return false;
	return a->prefix <= b->prefix ? bld_runner_ipam_contains(a, b->addr)
				      : bld_runner_ipam_contains(b, a->addr);
}

uint64_t bld_runner_ipam_host_of(const struct bld_runner_ipam_cidr *c, const unsigned char *a)
{
	size_t n = addr_len(c->family);
	int host_bits = (int)n * 8 - c->prefix;
	uint64_t h = 0;
	for (size_t i = n > 8 ? n - 8 : 0; i < n; i++)
		h = h << 8 | a[i];
	return host_bits >= 64 ? h : h & ((1ULL << host_bits) - 1);
}

void bld_runner_ipam_addr_at(const struct bld_runner_ipam_cidr *c, uint64_t host,
			     char out[INET6_ADDRSTRLEN])
{
	struct bld_runner_ipam_cidr x = *c;
	bld_runner_ipam_cidr_mask(&x);
	size_t n = addr_len(c->family);
	for (size_t i = n; i > 0 && host; i--) {
		unsigned sum = x.addr[i - 1] + (unsigned)(host & 0xff);
		x.addr[i - 1] = (unsigned char)sum;
		host = (host >> 8) + (sum >> 8);
	}
	inet_ntop(c->family, x.addr, out, INET6_ADDRSTRLEN);
}

/* The largest host number of c (all host bits set; up to 64 of them). */
static uint64_t host_all(const struct bld_runner_ipam_cidr *c)
{
	int host_bits = (int)addr_len(c->family) * 8 - c->prefix;
	return host_bits >= 64 ? UINT64_MAX : (1ULL << host_bits) - 1;
}

uint64_t bld_runner_ipam_host_last(const struct bld_runner_ipam_cidr *c)
{
	uint64_t all = host_all(c);
	return c->family == AF_INET ? (all ? all - 1 : 0) : all;
}

int bld_runner_ipam_pool_init(struct bld_runner_ipam_pool *p, const json_t *config,
			      struct bld_error **err)
{
	const char *sub = bld_json_get_str(config, "Subnet");
	const char *gw = bld_json_get_str(config, "Gateway");
	const char *range = bld_json_get_str(config, "IPRange");
	*p = (struct bld_runner_ipam_pool){0};
	if (bld_runner_ipam_cidr_parse(sub, &p->subnet) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid subnet %s", sub ? sub : "");
	bld_runner_ipam_cidr_mask(&p->subnet);
	p->first = 1;
	p->last = bld_runner_ipam_host_last(&p->subnet);
	struct bld_runner_ipam_cidr r;
	if (range && bld_runner_ipam_cidr_parse(range, &r) == 0) {
		bld_runner_ipam_cidr_mask(&r);
		uint64_t lo = bld_runner_ipam_host_of(&p->subnet, r.addr);
		uint64_t hi = lo + host_all(&r);
		p->first = lo > p->first ? lo : p->first;
		p->last = hi < p->last ? hi : p->last;
	}
	unsigned char g[16];
	if (gw && bld_runner_ipam_addr_parse(gw, p->subnet.family, g) > 0)
		p->gateway = bld_runner_ipam_host_of(&p->subnet, g);
	else
		p->gateway = 1; /* docker's default: the first address */
	if (p->last > LEASE_HOST_MAX)
		p->last = LEASE_HOST_MAX;
	return 0;
}

/* ------------------------------------------------------------------ default pools */

static bool overlaps_any(const struct bld_runner_ipam_cidr *c,
			 const struct bld_runner_ipam_cidr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bld_runner_ipam_overlaps(c, &v[i]))
			return true;
	return false;
}

/* The i-th of docker's default IPv4 pools; false past the last. */
static bool default_pool(size_t i, struct bld_runner_ipam_cidr *c)
{
	*c = (struct bld_runner_ipam_cidr){.family = AF_INET};
	if (i < 15) {
		unsigned char a[4] = {172, (unsigned char)(17 + i), 0, 0};
		memcpy(c->addr, a, 4);
		c->prefix = 16;
		return true;
	}
	if (i < 15 + 16) {
		unsigned char a[4] = {192, 168, (unsigned char)((i - 15) * 16), 0};
		memcpy(c->addr, a, 4);
		c->prefix = 20;
		return true;
	}
	return false;
}

int bld_runner_ipam_pool_pick(const struct bld_runner_ipam_cidr *used, size_t n_used,
			      const struct bld_runner_ipam_cidr *taken, size_t n_taken, char out[64],
			      struct bld_error **err)
{
	struct bld_runner_ipam_cidr c;
	for (size_t i = 0; default_pool(i, &c); i++) {
		if (overlaps_any(&c, used, n_used) || overlaps_any(&c, taken, n_taken))
			continue;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET, c.addr, a, sizeof(a));
		snprintf(out, 64, "%s/%d", a, c.prefix);
		return 0;
	}
	return bld_error_set(err, BLD_E_EXISTS,
			     "could not find an available, non-overlapping IPv4 address pool among "
			     "the defaults to assign to the network");
}

/* ------------------------------------------------------------------ leases */

/* Whether the record holds a lease that still counts (its container's monitor is alive). */
static bool record_live(struct bld_ctx *ctx, const char *rec, size_t len)
{
	if (len < BLD_RUNNER_LEASE_LEN || !rec[0])
		return false;
	char id[65];
	memcpy(id, rec, 64);
	id[64] = 0;
	return bld_runner_lease_owner_alive(ctx, id);
}

bool bld_runner_lease_owner_alive(struct bld_ctx *ctx, const char *id)
{
	/* the monitor answers: a container whose monitor is gone reads as dead everywhere */
	return bld_runner_client_wait_fd_alive(ctx, id);
}

/* Writes ctr_id's record for host number h. */
static int put_record(int fd, const char *path, uint64_t h, const char *ctr_id,
		      struct bld_error **err)
{
	char rec[BLD_RUNNER_LEASE_LEN] = {0};
	if (ctr_id) {
		memcpy(rec, ctr_id, 64);
		rec[64] = '\n';
	}
	off_t off = (off_t)((h - 1) * BLD_RUNNER_LEASE_LEN);
	if (pwrite(fd, rec, BLD_RUNNER_LEASE_LEN, off) != BLD_RUNNER_LEASE_LEN)
		return bld_error_sys(err, errno, "write %s", path);
	return 0;
}

/* The requested address: in the pool, not the gateway, not held by a live container. */
static int lease_wanted(struct bld_ctx *ctx, const struct bld_runner_ipam_pool *p, int fd,
			const char *path, const char *ctr_id, const char *want,
			uint64_t *host, struct bld_error **err)
{
	unsigned char a[16];
	if (bld_runner_ipam_addr_parse(want, p->subnet.family, a) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid IP address: %s", want);
	uint64_t h = bld_runner_ipam_host_of(&p->subnet, a);
	if (!bld_runner_ipam_contains(&p->subnet, a) || h < p->first || h > p->last)
		return bld_error_set(err, BLD_E_INVALID,
				     "no available IPv%d addresses on this network's address pools: "
				     "requested address is out of range",
				     p->subnet.family == AF_INET ? 4 : 6);
	char rec[BLD_RUNNER_LEASE_LEN] = {0};
	ssize_t r = pread(fd, rec, sizeof(rec), (off_t)((h - 1) * BLD_RUNNER_LEASE_LEN));
	bool mine = r == BLD_RUNNER_LEASE_LEN && memcmp(rec, ctr_id, 64) == 0;
	if (h == p->gateway || (!mine && record_live(ctx, rec, r > 0 ? (size_t)r : 0)))
		return bld_error_set(err, BLD_E_EXISTS, "Address already in use");
	*host = h;
	return put_record(fd, path, h, ctr_id, err);
}

/* The lowest free (or stale) address of the pool. */
static int lease_free(struct bld_ctx *ctx, const struct bld_runner_ipam_pool *p, int fd,
		      const char *path, const char *ctr_id, uint64_t *host,
		      struct bld_error **err)
{
	uint64_t last = p->last;
	if (last - p->first >= BLD_RUNNER_LEASE_SCAN)
		last = p->first + BLD_RUNNER_LEASE_SCAN - 1;
	size_t cap = (size_t)last * BLD_RUNNER_LEASE_LEN;
	cleanup_free char *all = NULL;
	size_t len = 0;
	if (bld_fs_read_fd(fd, cap, &all, &len, err) < 0)
		return -1;
	for (uint64_t h = p->first; h <= last; h++) {
		size_t off = (size_t)(h - 1) * BLD_RUNNER_LEASE_LEN;
		const char *cur = off < len ? all + off : "";
		size_t have = off < len ? len - off : 0;
		if (h == p->gateway || record_live(ctx, cur, have))
			continue;
		*host = h;
		return put_record(fd, path, h, ctr_id, err);
	}
	return bld_error_set(err, BLD_E_EXISTS, "no available IPv%d addresses on this network's "
			     "address pools", p->subnet.family == AF_INET ? 4 : 6);
}

int bld_runner_ipam_lease(struct bld_ctx *ctx, const char *dir, const char *file,
			  const struct bld_runner_ipam_pool *p, const char *ctr_id,
			  const char *want, char out[INET6_ADDRSTRLEN], struct bld_error **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", path);
	uint64_t h = 0;
	int r = want && *want ? lease_wanted(ctx, p, fd, path, ctr_id, want, &h, err)
			      : lease_free(ctx, p, fd, path, ctr_id, &h, err);
	if (r < 0)
		return -1;
	bld_runner_ipam_addr_at(&p->subnet, h, out);
	return 0;
}

/* Calls fn for each record with data (holes of the sparse file skipped) until it returns
 * non-zero; that value, or 0. */
static int walk(int fd, int (*fn)(int fd, off_t off, const char *rec, void *payload),
		void *payload)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	char rec[BLD_RUNNER_LEASE_LEN];
	for (off_t off = 0; off + BLD_RUNNER_LEASE_LEN <= st.st_size;
	     off += BLD_RUNNER_LEASE_LEN) {
		off_t data = lseek(fd, off, SEEK_DATA);
		if (data < 0)
			break;
		if (data >= off + BLD_RUNNER_LEASE_LEN) { /* a hole: on to data's record */
			off = data - data % BLD_RUNNER_LEASE_LEN - BLD_RUNNER_LEASE_LEN;
			continue;
		}
		if (pread(fd, rec, sizeof(rec), off) != BLD_RUNNER_LEASE_LEN || !rec[0])
			continue;
		int r = fn(fd, off, rec, payload);
		if (r != 0)
			return r;
	}
	return 0;
}

static int zero_if_mine(int fd, off_t off, const char *rec, void *payload)
{
	static const char zero[BLD_RUNNER_LEASE_LEN];
	if (memcmp(rec, payload, 64) != 0)
		return 0;
	return pwrite(fd, zero, sizeof(zero), off) == BLD_RUNNER_LEASE_LEN ? 0 : -errno;
}

int bld_runner_ipam_release(const char *dir, const char *file, const char *ctr_id,
			    struct bld_error **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : bld_error_sys(err, errno, "open %s", path);
	int r = walk(fd, zero_if_mine, (void *)ctr_id);
	return r < 0 ? bld_error_sys(err, -r, "release in %s", path) : 0;
}

struct each {
	const struct bld_runner_ipam_pool *p;
	bld_runner_ipam_fn fn;
	void *payload;
};

static int each_record(int fd, off_t off, const char *rec, void *payload)
{
	(void)fd;
	struct each *e = payload;
	char id[65], ip[INET6_ADDRSTRLEN];
	memcpy(id, rec, 64);
	id[64] = 0;
	bld_runner_ipam_addr_at(&e->p->subnet, (uint64_t)off / BLD_RUNNER_LEASE_LEN + 1, ip);
	return e->fn(id, ip, rec[64] == '\n', e->payload);
}

int bld_runner_ipam_each(const char *dir, const char *file, const struct bld_runner_ipam_pool *p,
			 bld_runner_ipam_fn fn, void *payload)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct each e = {p, fn, payload};
	return walk(fd, each_record, &e);
}
