/*
 * tests/runner/test_ipam.c — addresses and leases of a network: CIDR parsing and overlap,
 * pools with --ip-range and --gateway, docker's default pools past used subnets and host
 * routes, lowest-free leasing that skips the gateway and live holders, takes over the leases
 * of dead containers, honours a requested address, and release.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "runner/runner_int.h"

static struct bld_runner_ipam_cidr cidr(const char *s)
{
	struct bld_runner_ipam_cidr c;
	cr_assert_eq(bld_runner_ipam_cidr_parse(s, &c), 0, "%s", s);
	bld_runner_ipam_cidr_mask(&c);
	return c;
}

Test(runner_ipam, cidr_parse_and_overlap)
{
	struct bld_runner_ipam_cidr c;
	cr_expect_lt(bld_runner_ipam_cidr_parse("10.0.0.0/33", &c), 0);
	cr_expect_lt(bld_runner_ipam_cidr_parse("foo", &c), 0);
	cr_expect_lt(bld_runner_ipam_cidr_parse("10.0.0.0/", &c), 0);
	cr_expect_eq(bld_runner_ipam_cidr_parse("fd00::/64", &c), 0);
	cr_expect_eq(c.family, AF_INET6);
	struct bld_runner_ipam_cidr a = cidr("10.1.0.0/16"), b = cidr("10.1.5.0/24");
	struct bld_runner_ipam_cidr d = cidr("10.2.0.0/16"), e = cidr("fd00::/64");
	cr_expect(bld_runner_ipam_overlaps(&a, &b) && bld_runner_ipam_overlaps(&b, &a));
	cr_expect(!bld_runner_ipam_overlaps(&a, &d));
	cr_expect(!bld_runner_ipam_overlaps(&a, &e), "families never overlap");
	struct bld_runner_ipam_cidr m = cidr("10.2.3.4/16");
	char out[INET6_ADDRSTRLEN];
	bld_runner_ipam_addr_at(&m, 0, out);
	cr_expect_str_eq(out, "10.2.0.0", "masked");
	bld_runner_ipam_addr_at(&m, 258, out);
	cr_expect_str_eq(out, "10.2.1.2");
	bld_runner_ipam_addr_at(&e, 2, out);
	cr_expect_str_eq(out, "fd00::2");
}

static struct bld_runner_ipam_pool pool(const char *json)
{
	json_t *c = json_loads(json, 0, NULL);
	struct bld_runner_ipam_pool p;
	struct bld_error *e = NULL;
	cr_assert_eq(bld_runner_ipam_pool_init(&p, c, &e), 0, "%s", json);
	json_decref(c);
	return p;
}

Test(runner_ipam, pool_range_and_gateway)
{
	struct bld_runner_ipam_pool p = pool("{\"Subnet\":\"10.1.0.0/16\"}");
	cr_expect_eq(p.first, 1);
	cr_expect_eq(p.last, 65534, "the broadcast address is never leased");
	cr_expect_eq(p.gateway, 1, "docker's default gateway: the first address");
	p = pool("{\"Subnet\":\"10.1.0.0/16\",\"IPRange\":\"10.1.1.0/24\",\"Gateway\":\"10.1.0.254\"}");
	cr_expect_eq(p.first, 256);
	cr_expect_eq(p.last, 511);
	cr_expect_eq(p.gateway, 254);
	p = pool("{\"Subnet\":\"10.10.0.0/30\"}");
	cr_expect_eq(p.last, 2, "a /30: hosts 1 and 2");
}

Test(runner_ipam, default_pools)
{
	struct bld_runner_ipam_cidr used[] = {cidr("172.17.0.0/16"), cidr("172.18.0.0/24")};
	struct bld_runner_ipam_cidr taken[] = {cidr("172.19.5.0/24"), cidr("172.20.0.1/32")};
	char out[64];
	struct bld_error *e = NULL;
	cr_assert_eq(bld_runner_ipam_pool_pick(NULL, 0, NULL, 0, out, &e), 0);
	cr_expect_str_eq(out, "172.17.0.0/16");
	cr_assert_eq(bld_runner_ipam_pool_pick(used, 2, taken, 2, out, &e), 0);
	cr_expect_str_eq(out, "172.21.0.0/16", "past other networks, a route and a nameserver");
	/* everything of 172.16.0.0/12 and the first /20 of 192.168 taken */
	struct bld_runner_ipam_cidr big[] = {cidr("172.16.0.0/12"), cidr("192.168.0.0/20")};
	cr_assert_eq(bld_runner_ipam_pool_pick(big, 2, NULL, 0, out, &e), 0);
	cr_expect_str_eq(out, "192.168.16.0/20");
	struct bld_runner_ipam_cidr all[] = {cidr("172.16.0.0/12"), cidr("192.168.0.0/16")};
	cr_expect_lt(bld_runner_ipam_pool_pick(all, 2, NULL, 0, out, &e), 0);
	cr_expect_str_eq(e->msg, "could not find an available, non-overlapping IPv4 address pool "
				 "among the defaults to assign to the network");
	bld_error_free(e);
}

/* ------------------------------------------------------------------ leases */

static char root[] = "/tmp/bld-ipam-XXXXXX";
static struct bld_ctx ctx;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(root));
	ctx.root = root;
}

static void teardown(void)
{
	struct bld_error *e = NULL;
	bld_fs_rm_rf(root, &e);
	bld_error_free(e);
}

static const char *id_a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *id_b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/* A container whose monitor answers: its directory with a listening monitor.sock. */
static int live_container(const char *id)
{
	char *dir = xasprintf("%s/containers/%s", root, id);
	struct bld_error *e = NULL;
	cr_assert_eq(bld_fs_mkdir_p(dir, 0700, &e), 0);
	/* through /proc/self/fd, as the monitor binds it: the path is longer than sun_path */
	int dfd = open(dir, O_PATH | O_DIRECTORY);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/monitor.sock", dfd);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 128) == 0);
	close(dfd);
	free(dir);
	return s;
}

static char *lease(const struct bld_runner_ipam_pool *p, const char *id, const char *want)
{
	static char out[256];
	struct bld_error *e = NULL;
	if (bld_runner_ipam_lease(&ctx, root, "leases", p, id, want, out, &e) < 0) { /* 46 used */
		snprintf(out, sizeof(out), "error: %s", e->msg);
		bld_error_free(e);
	}
	return out;
}

Test(runner_ipam, lease_lowest_free, .init = setup, .fini = teardown)
{
	struct bld_runner_ipam_pool p = pool("{\"Subnet\":\"10.5.0.0/16\"}");
	int s = live_container(id_a);
	cr_expect_str_eq(lease(&p, id_a, NULL), "10.5.0.2", "the gateway .1 is skipped");
	cr_expect_str_eq(lease(&p, id_b, NULL), "10.5.0.3", "a live holder keeps its address");
	cr_expect_str_eq(lease(&p, id_b, "10.5.0.2"), "error: Address already in use");
	cr_expect_str_eq(lease(&p, id_b, "10.5.0.1"), "error: Address already in use");
	cr_expect_str_eq(lease(&p, id_b, "10.6.0.9"),
			 "error: no available IPv4 addresses on this network's address pools: "
			 "requested address is out of range");
	cr_expect_str_eq(lease(&p, id_b, "10.5.7.7"), "10.5.7.7", "a given address");
	close(s);
	cr_expect_str_eq(lease(&p, id_b, NULL), "10.5.0.2",
			 "a dead monitor's lease is taken over");
	struct bld_error *e = NULL;
	cr_assert_eq(bld_runner_ipam_release(root, "leases", id_b, &e), 0);
	cr_expect_str_eq(lease(&p, id_a, NULL), "10.5.0.2", "released: free again");
	struct stat st;
	char *path = xasprintf("%s/leases", root);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_size % BLD_RUNNER_LEASE_LEN, 0, "whole records only");
	free(path);
}

Test(runner_ipam, lease_in_range_and_full, .init = setup, .fini = teardown)
{
	struct bld_runner_ipam_pool r =
		pool("{\"Subnet\":\"10.1.0.0/16\",\"IPRange\":\"10.1.1.0/30\",\"Gateway\":\"10.1.1.1\"}");
	int s = live_container(id_a);
	cr_expect_str_eq(lease(&r, id_a, NULL), "10.1.1.0", "the range's first, as docker's");
	cr_expect_str_eq(lease(&r, id_a, NULL), "10.1.1.2", "the gateway in the range skipped");
	cr_expect_str_eq(lease(&r, id_a, NULL), "10.1.1.3");
	cr_expect_str_eq(lease(&r, id_a, NULL),
			 "error: no available IPv4 addresses on this network's address pools");
	cr_expect_str_eq(lease(&r, id_a, "10.1.2.0"),
			 "error: no available IPv4 addresses on this network's address pools: "
			 "requested address is out of range");
	close(s);
}

Test(runner_ipam, lease_ipv6, .init = setup, .fini = teardown)
{
	struct bld_runner_ipam_pool p = pool("{\"Subnet\":\"fd00::/64\"}");
	int s = live_container(id_a);
	cr_expect_eq(p.gateway, 1, "fd00::1, as docker's bridge takes it");
	cr_expect_str_eq(lease(&p, id_a, NULL), "fd00::2");
	cr_expect_str_eq(lease(&p, id_a, NULL), "fd00::3");
	cr_expect_str_eq(lease(&p, id_b, "fd00::2"), "error: Address already in use");
	cr_expect_str_eq(lease(&p, id_b, "fd00::1:0"), "fd00::1:0", "a given address, sparse");
	struct bld_error *e = NULL;
	cr_assert_eq(bld_runner_ipam_release(root, "leases", id_b, &e), 0, "over the hole");
	cr_expect_str_eq(lease(&p, id_b, "fd00::1:0"), "fd00::1:0", "free again");
	close(s);
}
