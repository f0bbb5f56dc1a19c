/*
 * builder/statcache.c — the build context's stat cache: for each path, the (size, mtime,
 * ctime, inode) it had when its content was hashed, and that XXH3-128. A file whose stat is
 * unchanged is never read again; the cache persists in one file per context directory
 * under $BLD_ROOT/cache/context/, written atomically and only when something changed.
 *
 * Racy entries: a file modified within BLD_STATCACHE_RACY_NS before it was read could be
 * written again in the same timestamp tick without its stat changing, so such a record
 * serves the current run only and is never saved. The cache is an accelerator: a damaged
 * file is ignored (and rewritten), never trusted half-way.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>

#define SC_MAGIC "bld-statcache 1\n"

struct sc_rec {
	char *path;
	int64_t size, mtime, ctime;
	uint64_t ino;
	char content[BLD_XXH_HEX_LEN + 1];
	bool persist; /* false for a racy record */
};

struct bld_builder_statcache {
	char *file; /* NULL: in memory only */
	struct sc_rec *recs;
	size_t n, cap;
	size_t *slots; /* open addressing; index + 1, 0 = empty */
	size_t nslots;
	bool dirty;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a: only for bucket choice */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t *find_slot(struct bld_builder_statcache *sc, const char *path)
{
	size_t mask = sc->nslots - 1;
	for (size_t i = str_hash(path) & mask;; i = (i + 1) & mask) {
		size_t v = sc->slots[i];
		if (!v || strcmp(sc->recs[v - 1].path, path) == 0)
			return &sc->slots[i];
	}
}

static void rehash(struct bld_builder_statcache *sc)
{
	free(sc->slots);
	sc->nslots = sc->nslots ? sc->nslots * 2 : 1024;
	sc->slots = xcalloc(sc->nslots, sizeof(*sc->slots));
	for (size_t i = 0; i < sc->n; i++)
		*find_slot(sc, sc->recs[i].path) = i + 1;
}

/* The record for path, created empty when missing. */
static struct sc_rec *upsert(struct bld_builder_statcache *sc, const char *path)
{
	if ((sc->n + 1) * 2 > sc->nslots)
		rehash(sc);
	size_t *slot = find_slot(sc, path);
	if (*slot)
		return &sc->recs[*slot - 1];
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 256;
		sc->recs = xrealloc(sc->recs, sc->cap * sizeof(*sc->recs));
	}
	struct sc_rec *r = &sc->recs[sc->n++];
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	*slot = sc->n;
	return r;
}

static bool is_hex32(const char *s)
{
	for (int i = 0; i < BLD_XXH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* One "HEX SIZE MTIME CTIME INO PATH\0" record; false when malformed. */
static bool parse_rec(struct bld_builder_statcache *sc, const char *p, const char *end)
{
	if (end - p < BLD_XXH_HEX_LEN + 2 || !is_hex32(p) || p[BLD_XXH_HEX_LEN] != ' ')
		return false;
	const char *q = p + BLD_XXH_HEX_LEN + 1;
	int64_t v[4];
	for (int i = 0; i < 4; i++) {
		char *e = NULL;
		errno = 0;
		long long x = strtoll(q, &e, 10);
		if (errno || e == q || *e != ' ' || x < 0)
			return false;
		v[i] = x;
		q = e + 1;
	}
	if (q >= end || !*q)
		return false;
	struct sc_rec *r = upsert(sc, q);
	memcpy(r->content, p, BLD_XXH_HEX_LEN);
	r->content[BLD_XXH_HEX_LEN] = '\0';
	r->size = v[0];
	r->mtime = v[1];
	r->ctime = v[2];
	r->ino = (uint64_t)v[3];
	r->persist = true;
	return true;
}

static void parse_file(struct bld_builder_statcache *sc, const char *data, size_t len)
{
	size_t ml = strlen(SC_MAGIC);
	if (len < ml || memcmp(data, SC_MAGIC, ml) != 0)
		return;
	const char *p = data + ml, *end = data + len;
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z || !parse_rec(sc, p, z)) {
			bld_debug("stat cache: ignoring damaged records");
			return;
		}
		p = z + 1;
	}
}

int bld_builder_statcache_load(struct bld_builder_statcache **out, const char *file,
			       struct bld_error **err)
{
	struct bld_builder_statcache *sc = xcalloc(1, sizeof(*sc));
	rehash(sc);
	if (file) {
		sc->file = xstrdup(file);
		char *data = NULL;
		size_t len = 0;
		struct bld_error *e = NULL;
		if (bld_fs_read_file(file, BLD_STATCACHE_MAX, &data, &len, &e) == 0)
			parse_file(sc, data, len);
		else if (e->code != BLD_E_NOTFOUND)
			bld_debug("stat cache: %s", e->msg);
		bld_error_free(e);
		free(data);
	}
	*out = sc;
	return 0;
}

void bld_builder_statcache_free(struct bld_builder_statcache *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n; i++)
		free(sc->recs[i].path);
	free(sc->recs);
	free(sc->slots);
	free(sc->file);
	free(sc);
}

const char *bld_builder_statcache_get(struct bld_builder_statcache *sc,
				      const struct bld_builder_ctx_entry *e)
{
	size_t v = *find_slot(sc, e->path);
	if (!v)
		return NULL;
	const struct sc_rec *r = &sc->recs[v - 1];
	if (!r->content[0] || r->size != e->size || r->mtime != e->mtime_ns ||
	    r->ctime != e->ctime_ns || r->ino != (uint64_t)e->ino)
		return NULL;
	return r->content;
}

void bld_builder_statcache_put(struct bld_builder_statcache *sc,
			       const struct bld_builder_ctx_entry *e, const char *content,
			       int64_t read_ns)
{
	struct sc_rec *r = upsert(sc, e->path);
	memcpy(r->content, content, BLD_XXH_HEX_LEN + 1);
	r->size = e->size;
	r->mtime = e->mtime_ns;
	r->ctime = e->ctime_ns;
	r->ino = (uint64_t)e->ino;
	int64_t changed = e->mtime_ns > e->ctime_ns ? e->mtime_ns : e->ctime_ns;
	r->persist = changed < read_ns - BLD_STATCACHE_RACY_NS;
	sc->dirty = true;
}

size_t bld_builder_statcache_size(const struct bld_builder_statcache *sc) { return sc->n; }

int bld_builder_statcache_save(struct bld_builder_statcache *sc, bld_builder_statcache_keep_fn keep,
			       void *payload, struct bld_error **err)
{
	if (!sc->file || !sc->dirty)
		return 0;
	struct bld_buf b = BLD_BUF_INIT;
	b.max = BLD_STATCACHE_MAX;
	int r = bld_buf_adds(&b, SC_MAGIC);
	for (size_t i = 0; r == 0 && i < sc->n; i++) {
		const struct sc_rec *x = &sc->recs[i];
		if (!x->persist || (keep && !keep(x->path, payload)))
			continue;
		r = bld_buf_printf(&b, "%s %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64 " %s",
				   x->content, x->size, x->mtime, x->ctime, x->ino, x->path);
		if (r == 0)
			r = bld_buf_addc(&b, '\0');
	}
	if (r < 0) {
		bld_buf_dispose(&b);
		return bld_error_set(err, BLD_E_INVALID, "stat cache larger than %zu bytes",
				     (size_t)BLD_STATCACHE_MAX);
	}
	cleanup_free char *dir = xstrdup(sc->file);
	const char *base = strrchr(sc->file, '/');
	cleanup_close int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		r = bld_error_sys(err, errno, "open %s", dir);
	else
		r = bld_fs_write_atomic(dfd, base ? base + 1 : sc->file, b.data, b.len, 0600, err);
	bld_buf_dispose(&b);
	if (r == 0)
		sc->dirty = false;
	return r;
}
