/*
 * runner/dnsview.c — what the embedded resolver of one container knows, read from the store
 * for each query (so that a container started, stopped, connected or disconnected a moment
 * ago is seen at once, without a daemon to tell anyone):
 *
 *   $BLD_ROOT/networks/<id>/network.json               the network's Name
 *   $BLD_ROOT/networks/<id>/endpoints/<ctr-id>.json    one per attached container
 *
 * The container's networks are those that hold an endpoint of its own; the default bridge
 * ("bridge") is left out, as docker gives it no names. Peers come in network name order
 * (docker answers from the first of the container's networks that knows the name), and in
 * endpoint file order within one. An endpoint file that cannot be read is skipped: it may be
 * being replaced. Liveness of an endpoint's container is not judged here (dns.c asks for it,
 * for the few endpoints that match a query).
 *
 * A view is read again only when the store changed (bld_runner_dns_view_refresh): every
 * write there is a rename or an unlink, which changes its directory's change time, so the
 * times of networks/ and of each endpoints/ stand for the whole. Those times come from the
 * kernel's coarse clock: two changes within one tick may leave the same time, so a view read
 * within RACY_MS of the newest change is read again at the next query (git's "racy" rule).
 */
#include "runner/runner_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VIEW_MAX_NETWORKS 1024
#define VIEW_MAX_ENDPOINTS 4096
#define VIEW_DOC_MAX (64 * 1024)
#define RACY_MS 50

struct mynet {
	char *id, *name;
};

static int mynet_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mynet *)a)->name, ((const struct mynet *)b)->name);
}

/* An address without a "/prefix" that a writer may have added. */
static void copy_addr(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strcspn(src, "/") : 0;
	if (n >= cap)
		n = 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

static void add_peer(struct bld_runner_dns_view *v, json_t *ep, const char *network)
{
	const char *id = bld_json_get_str(ep, "ID");
	const char *name = bld_json_get_str(ep, "Name");
	if (!id || !name || v->n >= VIEW_MAX_ENDPOINTS)
		return;
	v->peers = xrealloc(v->peers, (v->n + 1) * sizeof(*v->peers));
	struct bld_runner_dns_peer *p = &v->peers[v->n++];
	memset(p, 0, sizeof(*p));
	p->id = xstrdup(id);
	p->name = xstrdup(name[0] == '/' ? name + 1 : name);
	p->network = xstrdup(network);
	p->aliases = bld_json_to_strv(json_object_get(ep, "Aliases"));
	copy_addr(p->v4, sizeof(p->v4), bld_json_get_str(ep, "IPv4Address"));
	copy_addr(p->v6, sizeof(p->v6), bld_json_get_str(ep, "IPv6Address"));
}

static void add_network(struct bld_runner_dns_view *v, const char *root, const struct mynet *m)
{
	cleanup_free char *dir = xasprintf("%s/networks/%s/endpoints", root, m->id);
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_strv char **names = NULL;
	if (dfd < 0 || bld_fs_sorted_names(dfd, VIEW_MAX_ENDPOINTS, &names) < 0)
		return;
	for (size_t i = 0; names && names[i]; i++) {
		if (!bld_str_has_suffix(names[i], ".json"))
			continue;
		cleanup_free char *path = xasprintf("%s/%s", dir, names[i]);
		cleanup_json json_t *ep = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_json_load_file(&ep, path, VIEW_DOC_MAX, &e) == 0)
			add_peer(v, ep, m->name);
	}
}

/* The user-defined networks holding an endpoint of container id, unsorted. */
static size_t my_networks(const char *root, const char *id, struct mynet *out, size_t cap)
{
	cleanup_free char *dir = xasprintf("%s/networks", root);
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_strv char **names = NULL;
	if (dfd < 0 || bld_fs_sorted_names(dfd, VIEW_MAX_NETWORKS, &names) < 0)
		return 0;
	size_t k = 0;
	for (size_t i = 0; names && names[i] && k < cap; i++) {
		cleanup_free char *mine = xasprintf("%s/endpoints/%s.json", names[i], id);
		if (names[i][0] == '.' || faccessat(dfd, mine, F_OK, 0) != 0)
			continue;
		cleanup_free char *path = xasprintf("%s/%s/network.json", dir, names[i]);
		cleanup_json json_t *net = NULL;
		cleanup_error struct bld_error *e = NULL;
		const char *name = NULL;
		if (bld_json_load_file(&net, path, VIEW_DOC_MAX, &e) == 0)
			name = bld_json_get_str(net, "Name");
		if (!name || strcmp(name, "bridge") == 0)
			continue;
		out[k].id = xstrdup(names[i]);
		out[k++].name = xstrdup(name);
	}
	return k;
}

void bld_runner_dns_view_load(struct bld_runner_dns_view *v, struct bld_ctx *ctx,
			      const char *id)
{
	v->peers = NULL;
	v->n = 0;
	v->stamp[0] = 0;
	struct mynet *nets = xcalloc(VIEW_MAX_NETWORKS, sizeof(*nets));
	size_t n = my_networks(ctx->root, id, nets, VIEW_MAX_NETWORKS);
	qsort(nets, n, sizeof(*nets), mynet_cmp);
	for (size_t i = 0; i < n; i++) {
		add_network(v, ctx->root, &nets[i]);
		free(nets[i].id);
		free(nets[i].name);
	}
	free(nets);
}

void bld_runner_dns_view_dispose(struct bld_runner_dns_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->peers[i].id);
		free(v->peers[i].name);
		free(v->peers[i].network);
		bld_strv_free(v->peers[i].aliases);
	}
	free(v->peers);
	v->peers = NULL;
	v->n = 0;
}

/* One directory's change time into the stamp; *young when it is within RACY_MS of now. */
static void stamp_add(struct bld_xxh *h, const char *name, const struct stat *st,
		      const struct timespec *now, bool *young)
{
	int64_t t = (int64_t)st->st_ctim.tv_sec * 1000 + st->st_ctim.tv_nsec / 1000000;
	int64_t n = (int64_t)now->tv_sec * 1000 + now->tv_nsec / 1000000;
	bld_xxh_update_str(h, name);
	bld_xxh_update(h, &st->st_ctim, sizeof(st->st_ctim));
	*young = *young || n - t < RACY_MS;
}

/* The change times of networks/ and of every network's endpoints/, hashed. */
static void store_stamp(const char *root, char out[BLD_XXH_HEX_LEN + 1], bool *young)
{
	cleanup_free char *dir = xasprintf("%s/networks", root);
	struct bld_xxh *h = bld_xxh_new();
	struct timespec now;
	struct stat st;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	*young = false;
	DIR *d = opendir(dir);
	if (d && fstat(dirfd(d), &st) == 0)
		stamp_add(h, "", &st, &now, young);
	for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
		cleanup_free char *ep = xasprintf("%s/endpoints", e->d_name);
		if (e->d_name[0] != '.' && fstatat(dirfd(d), ep, &st, 0) == 0)
			stamp_add(h, e->d_name, &st, &now, young);
	}
	if (d)
		closedir(d);
	bld_xxh_final(h, out);
}

void bld_runner_dns_view_refresh(struct bld_runner_dns_view *v, struct bld_ctx *ctx,
				 const char *id)
{
	char stamp[BLD_XXH_HEX_LEN + 1];
	bool young;
	store_stamp(ctx->root, stamp, &young);
	if (v->stamp[0] && strcmp(stamp, v->stamp) == 0)
		return;
	bld_runner_dns_view_dispose(v);
	bld_runner_dns_view_load(v, ctx, id);
	if (!young)
		memcpy(v->stamp, stamp, sizeof(stamp));
}
