/*
 * runner/netcheck.c — `system check` of the network store: every networks/<id>/network.json
 * reads, names its own Id and a name no other network has, and has subnets that parse; every
 * lease record is free or a container id and a newline, at an address its pool may lease,
 * held once per container; every endpoint file reads and names its container.
 *
 * A lease or endpoint of a container that is gone or whose monitor is dead (kill -9) is not
 * damage: it is stale, counted apart, and taken over by the next lease (ipam.c) or ignored
 * and removed by whoever finds it (network.c). Half-made or half-removed networks
 * (.new-<id>, .gone-<id>, left by a kill -9) are never seen by anyone and are stale too.
 * This file only reads; it repairs nothing.
 */
#include "runner/runner_int.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

struct check {
	struct bld_ctx *ctx;
	bld_cache_check_fn fn;
	void *payload;
	struct bld_runner_network_check_stats *st;
	const char *net;        /* the network's name, for messages */
	const struct bld_runner_ipam_pool *pool;
	char **holders;         /* container ids seen in this lease file */
};

static void problem(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	c->st->problems++;
	c->fn(msg, c->payload);
}

static bool is_id(const char *s)
{
	size_t n = 0;
	while (s[n] && isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return n == 64 && !s[n];
}

static int check_lease(const char *ctr, const char *ip, bool well_formed, void *payload)
{
	struct check *c = payload;
	c->st->leases++;
	if (!well_formed || !is_id(ctr)) {
		problem(c, "network %s: lease of %s: a damaged record", c->net, ip);
		return 0;
	}
	unsigned char a[16];
	bld_runner_ipam_addr_parse(ip, c->pool->subnet.family, a);
	uint64_t h = bld_runner_ipam_host_of(&c->pool->subnet, a);
	bool live = bld_runner_lease_owner_alive(c->ctx, ctr);
	if (!live) {
		c->st->stale_leases++;
		return 0;
	}
	if (h == c->pool->gateway || h < c->pool->first || h > c->pool->last)
		problem(c, "network %s: %s is leased to %.12s but is not in the pool", c->net, ip,
			ctr);
	for (size_t i = 0; c->holders && c->holders[i]; i++)
		if (!strcmp(c->holders[i], ctr))
			problem(c, "network %s: container %.12s holds more than one address (%s)",
				c->net, ctr, ip);
	bld_strv_push(&c->holders, ctr);
	return 0;
}

/* The lease files of one network, against its pools. */
static void check_leases(struct check *c, const char *dir, const json_t *net)
{
	size_t i;
	json_t *cfg;
	bool seen[2] = {false, false};
	json_array_foreach(json_object_get(json_object_get(net, "IPAM"), "Config"), i, cfg) {
		struct bld_runner_ipam_pool p;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_ipam_pool_init(&p, cfg, &e) < 0) {
			problem(c, "network %s: %s", c->net, e->msg);
			continue;
		}
		int v6 = p.subnet.family == AF_INET6;
		if (seen[v6])
			continue; /* leases are taken from the first subnet of a family */
		seen[v6] = true;
		c->pool = &p; /* cppcheck-suppress autoVariables ; reset below, before p goes */
		const char *file = v6 ? "leases6" : "leases";
		cleanup_free char *path = xasprintf("%s/%s", dir, file);
		struct stat sb;
		if (stat(path, &sb) == 0 && sb.st_size % BLD_RUNNER_LEASE_LEN)
			problem(c, "network %s: %s ends in a partial record", c->net, file);
		bld_runner_ipam_each(dir, file, &p, check_lease, c);
		bld_strv_free(c->holders);
		c->holders = NULL;
		c->pool = NULL;
	}
}

static void check_endpoints(struct check *c, const char *dir)
{
	cleanup_free char *eps = xasprintf("%s/endpoints", dir);
	DIR *d = opendir(eps);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char id[65];
		snprintf(id, sizeof(id), "%.64s", de->d_name);
		cleanup_json json_t *ep = NULL;
		cleanup_error struct bld_error *e = NULL;
		cleanup_free char *p = xasprintf("%s/%s", eps, de->d_name);
		c->st->endpoints++;
		if (!is_id(id) || strcmp(de->d_name + 64, ".json") != 0) {
			problem(c, "network %s: endpoints/%s: not a container's endpoint", c->net,
				de->d_name);
			continue;
		}
		if (!bld_runner_lease_owner_alive(c->ctx, id)) {
			c->st->stale_endpoints++;
			continue;
		}
		if (bld_json_load_file(&ep, p, 1 << 20, &e) < 0)
			problem(c, "network %s: endpoint of %.12s: %s", c->net, id, e->msg);
		else if (strcmp(bld_json_get_str(ep, "ID") ? bld_json_get_str(ep, "ID") : "", id))
			problem(c, "network %s: endpoint of %.12s names another container", c->net,
				id);
	}
	if (d)
		closedir(d);
}

/* One network directory; its name goes into *names. */
static void check_network(struct check *c, const char *id, char ***names)
{
	cleanup_free char *dir = bld_runner_network_dir(c->ctx, id);
	cleanup_json json_t *net = NULL;
	cleanup_error struct bld_error *e = NULL;
	c->st->networks++;
	c->net = id;
	if (bld_runner_network_read(c->ctx, id, &net, &e) < 0) {
		problem(c, "network %.12s: %s", id, e->msg);
		return;
	}
	const char *name = bld_json_get_str(net, "Name");
	const char *nid = bld_json_get_str(net, "Id");
	if (!name || !*name || !nid || strcmp(nid, id) != 0) {
		problem(c, "network %.12s: network.json has no name or another Id", id);
		return;
	}
	c->net = name;
	for (size_t i = 0; *names && (*names)[i]; i++)
		if (!strcmp((*names)[i], name))
			problem(c, "network %s: the name of two networks", name);
	bld_strv_push(names, name);
	check_leases(c, dir, net);
	check_endpoints(c, dir);
}

int bld_runner_network_check(struct bld_ctx *ctx, bld_cache_check_fn fn, void *payload,
			     struct bld_runner_network_check_stats *st, struct bld_error **err)
{
	(void)err;
	*st = (struct bld_runner_network_check_stats){0};
	struct check c = {.ctx = ctx, .fn = fn, .payload = payload, .st = st};
	cleanup_strv char **names = NULL;
	cleanup_free char *top = xasprintf("%s/networks", ctx->root);
	DIR *d = opendir(top);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (bld_str_has_prefix(de->d_name, ".new-") || bld_str_has_prefix(de->d_name, ".gone-"))
			st->stale_dirs++;
		else if (is_id(de->d_name))
			check_network(&c, de->d_name, &names);
		else if (de->d_name[0] != '.')
			problem(&c, "networks/%s: not a network", de->d_name);
	}
	if (d)
		closedir(d);
	return 0;
}
