/*
 * cache/gc.c — reference counting by reachability, garbage collection, disk usage and
 * integrity checks. What is alive: every entry of index.json (named or dangling) and the
 * original manifest a named entry records, what an index lists, what a manifest lists
 * (config and layers), the chain IDs of those layers
 * (their unpacked directories), and the extra roots a caller passes (images used by
 * containers, build-cache records). Everything else in blobs/ and layers/ is garbage, and so
 * are the attestations (attest/<hex>) of a manifest that is not alive.
 *
 * Concurrency: marking and sweeping happen under the index lock. Blobs a concurrent pull or
 * build has written but not yet named are protected by the gc lock: when another bld
 * process has the store open, only things older than the grace period are removed.
 * Partial files are removed only when no writer holds their lock.
 */
#include "cache/cache_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#define GRACE_DEFAULT 3600
#define PARTIAL_MAX_AGE (24 * 3600)

/* A sorted set of 64-hex strings. */
struct hexset {
	char **v;
	size_t n, cap;
	bool sorted;
};

static void hs_add(struct hexset *h, const char *digest)
{
	if (!bld_digest_valid(digest))
		return;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(char *));
	}
	h->v[h->n++] = xstrdup(bld_cache_hex(digest));
	h->sorted = false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool hs_has(struct hexset *h, const char *hex)
{
	if (!h->sorted && h->n) {
		qsort(h->v, h->n, sizeof(char *), cmp_str);
		h->sorted = true;
	}
	return h->n && bsearch(&hex, h->v, h->n, sizeof(char *), cmp_str) != NULL;
}

static void hs_dispose(struct hexset *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i]);
	free(h->v);
}

struct marks {
	struct hexset blobs, chains;
};

/* The chain IDs of a config's layers: their unpacked directories stay. */
static void mark_chains(struct marks *m, const json_t *config)
{
	json_t *diffs = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	char chain[BLD_DIGEST_STR_LEN];
	size_t i;
	json_t *c;
	json_array_foreach(diffs, i, c) {
		const char *d = json_string_value(c);
		if (!bld_digest_valid(d))
			break;
		bld_cache_layer_chain_id(i ? chain : NULL, d, chain);
		hs_add(&m->chains, chain);
	}
}

static bool looks_like_json(struct bld_store *s, const char *digest)
{
	char c = 0;
	cleanup_close int fd = bld_digest_valid(digest) ? bld_cache_blob_open(s, digest, NULL) : -1;
	return fd >= 0 && pread(fd, &c, 1, 0) == 1 && c == '{';
}

/*
 * Marks a blob and what it references: an index's manifests, a manifest's config and
 * layers, a config's unpacked layer directories (so that keeping an image ID keeps the
 * directories a container runs on even when the image itself is gone).
 */
static void mark_tree(struct bld_store *s, struct marks *m, const char *digest, int depth)
{
	hs_add(&m->blobs, digest);
	cleanup_free char *data = NULL;
	size_t n = 0;
	struct bld_error *e = NULL;
	json_t *j = NULL;
	if (!looks_like_json(s, digest))
		return; /* a layer: nothing to follow, and too big to read for nothing */
	if (depth > 4 ||
	    bld_cache_blob_read(s, digest, BLD_CACHE_CONFIG_MAX, &data, &n, &e) < 0 ||
	    bld_json_load_buf(&j, data, n, &e) < 0) {
		bld_error_free(e);
		return;
	}
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(j, "manifests"), i, c)
		mark_tree(s, m, bld_json_get_str(c, "digest"), depth + 1);
	json_array_foreach(json_object_get(j, "layers"), i, c)
		hs_add(&m->blobs, bld_json_get_str(c, "digest"));
	const char *cfg = bld_json_get_str(json_object_get(j, "config"), "digest");
	if (cfg && json_object_get(j, "layers"))
		mark_tree(s, m, cfg, depth + 1);
	mark_chains(m, j);
	json_decref(j);
}

/*
 * Build-cache records ($BLD_ROOT/cache/build/<key>, the builder's JSON) name what they
 * need in a top-level "blobs" array: those blobs, and what they reference, stay.
 */
static void mark_build_records(struct bld_store *s, struct marks *m)
{
	cleanup_free char *dir = bld_path_join(s->root, "cache/build");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *p = bld_path_join(dir, de->d_name);
		json_t *rec = NULL, *b;
		size_t i;
		if (bld_json_load_file(&rec, p, BLD_CACHE_MANIFEST_MAX, NULL) < 0)
			continue;
		json_array_foreach(json_object_get(rec, "blobs"), i, b)
			mark_tree(s, m, json_string_value(b), 0);
		json_decref(rec);
	}
	closedir(d);
}

/* What images (index entries) and the extra roots keep. */
static int mark_images(struct bld_store *s, char *const *keep, struct marks *m,
		       struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		mark_tree(s, m, v[i].digest, 0);
		if (v[i].orig_digest[0]) /* the registry's form of the manifest (refs.c) */
			mark_tree(s, m, v[i].orig_digest, 0);
	}
	bld_cache_desc_list_free(v, n);
	for (size_t i = 0; keep && keep[i]; i++) {
		mark_tree(s, m, keep[i], 0);
		hs_add(&m->chains, keep[i]);
	}
	return 0;
}

static int mark(struct bld_store *s, const struct bld_cache_gc_opts *o, struct marks *m,
		struct bld_error **err)
{
	mark_build_records(s, m);
	return mark_images(s, o ? o->keep : NULL, m, err);
}

/* Whether a record names a blob that the marks do not hold (or cannot be read). */
static bool record_dangles(int dfd, const char *key, struct marks *m)
{
	cleanup_free char *p = xasprintf("/proc/self/fd/%d/%s", dfd, key);
	json_t *rec = NULL, *b;
	size_t i;
	if (bld_json_load_file(&rec, p, BLD_CACHE_MANIFEST_MAX, NULL) < 0)
		return true;
	bool dangles = false;
	json_array_foreach(json_object_get(rec, "blobs"), i, b) {
		const char *d = json_string_value(b);
		if (!d || !bld_digest_valid(d) || !hs_has(&m->blobs, bld_cache_hex(d)))
			dangles = true;
	}
	json_decref(rec);
	return dangles;
}

int bld_cache_build_records_prune(struct bld_store *s, bool all, char *const *keep,
				  char ***removed, struct bld_error **err)
{
	*removed = NULL;
	cleanup_free char *dir = bld_path_join(s->root, "cache/build");
	int lk = bld_cache_index_lock(s, err);
	if (lk < 0)
		return lk;
	struct marks m = {0};
	int r = all ? 0 : mark_images(s, keep, &m, err);
	int fd = r == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (!all && !record_dangles(dirfd(d), de->d_name, &m)))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0)
			continue;
		bld_strv_push(removed, de->d_name);
		bld_cache_build_inputs_forget(s, de->d_name);
	}
	if (d)
		closedir(d);
	hs_dispose(&m.blobs);
	hs_dispose(&m.chains);
	bld_cache_index_unlock(lk);
	return r;
}

/* Apparent size of the regular files under at/name; recursion stops 512 levels down. */
static int64_t du_at(int at, const char *name, int depth)
{
	struct stat st;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? st.st_size : 0;
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 && depth < 512 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	int64_t sum = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sum += du_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return sum;
}

int64_t bld_cache_du(int at, const char *name)
{
	return du_at(at, name, 0);
}

struct sweep {
	struct bld_store *s;
	bool exclusive;
	time_t now;
	int64_t grace;
	struct bld_cache_gc_stats *st;
	struct bld_cache_usage *u; /* for bld_cache_usage's walkers */
	struct marks *m;
};

static bool old_enough(const struct sweep *w, int dirfd, const char *name, int64_t age)
{
	struct stat st;
	if (w->exclusive)
		return true;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && w->now - st.st_mtime > age;
}

static bool is_hex64(const char *s)
{
	char d[BLD_DIGEST_STR_LEN];
	snprintf(d, sizeof(d), "sha256:%.*s", BLD_SHA256_HEX_LEN, s);
	return strlen(s) == BLD_SHA256_HEX_LEN && bld_digest_valid(d);
}

/* Calls fn for every entry of dirfd except . and .. (cache_int.h). */
void bld_cache_each_entry(int dirfd, void (*fn)(const char *name, void *payload), void *payload)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fn(de->d_name, payload);
	closedir(d);
}

static void sweep_blob(const char *name, void *payload)
{
	struct sweep *w = payload;
	struct marks *m = w->m;
	if (!is_hex64(name) || hs_has(&m->blobs, name) || !old_enough(w, w->s->blobs_fd, name, w->grace))
		return;
	int64_t size = bld_cache_du(w->s->blobs_fd, name);
	if (unlinkat(w->s->blobs_fd, name, 0) == 0) {
		w->st->blobs++;
		w->st->blob_bytes += size;
	}
}

/* ".tmp-<12 hex>-<pid>-<rand>": whether the extracting process is gone. */
static bool tmp_abandoned(const char *name)
{
	const char *p = strchr(name + 5, '-');
	long pid = 0;
	if (!p)
		return true;
	cleanup_free char *num = xstrndup(p + 1, strcspn(p + 1, "-"));
	if (bld_parse_long(num, 1, INT32_MAX, &pid) < 0)
		return true;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void sweep_layer(const char *name, void *payload)
{
	struct sweep *w = payload;
	struct marks *m = w->m;
	bool tmp = bld_str_has_prefix(name, ".tmp-");
	if (tmp ? !(w->exclusive || tmp_abandoned(name))
		: (!is_hex64(name) || hs_has(&m->chains, name) ||
		   !old_enough(w, w->s->layers_fd, name, w->grace)))
		return;
	int64_t size = bld_cache_du(w->s->layers_fd, name);
	cleanup_free char *p = bld_path_join(w->s->layers, name);
	if (bld_fs_rm_rf(p, NULL) < 0)
		return;
	if (tmp) {
		w->st->tmpdirs++;
		return;
	}
	w->st->layers++;
	w->st->layer_bytes += size;
}

static void sweep_partial(const char *name, void *payload)
{
	struct sweep *w = payload;
	if (!bld_str_has_suffix(name, ".partial"))
		return;
	cleanup_close int fd = openat(w->s->ingest_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return; /* a writer is at work on it */
	bool anon = bld_str_has_prefix(name, "anon-");
	char d[BLD_DIGEST_STR_LEN];
	snprintf(d, sizeof(d), "sha256:%.*s", BLD_SHA256_HEX_LEN, name);
	struct stat st;
	bool young = fstat(fd, &st) == 0 && time(NULL) - st.st_mtime <= PARTIAL_MAX_AGE;
	if (!anon && !bld_cache_blob_exists(w->s, d) && young)
		return; /* kept for a resumed download, even when GC runs alone */
	int64_t size = bld_cache_du(w->s->ingest_fd, name);
	if (unlinkat(w->s->ingest_fd, name, 0) == 0) {
		w->st->partials++;
		w->st->partial_bytes += size;
	}
}

/* index.json.tmp-* left by a writer that died: stale, since we hold the index lock. */
static void sweep_oci_tmp(const char *name, void *payload)
{
	struct sweep *w = payload;
	struct stat st;
	bool old = fstatat(w->s->oci_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		   time(NULL) - st.st_mtime > 60; /* oci-layout is written before any lock */
	if (bld_str_has_prefix(name, "index.json.tmp-") ||
	    (bld_str_has_prefix(name, "oci-layout.tmp-") && old))
		if (unlinkat(w->s->oci_fd, name, 0) == 0)
			w->st->tmpdirs++;
}

/* attest/<hex>: the attestations of a manifest that is no longer kept (attest.c). */
static void sweep_attest(const char *name, void *payload)
{
	struct sweep *w = payload;
	if (!is_hex64(name) || hs_has(&w->m->blobs, name))
		return;
	cleanup_free char *p = xasprintf("%s/attest/%s", w->s->root, name);
	bld_fs_rm_rf(p, NULL);
}

static void sweep_attests(struct sweep *w)
{
	cleanup_free char *dir = xasprintf("%s/attest", w->s->root);
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		bld_cache_each_entry(fd, sweep_attest, w);
}

int bld_cache_gc(struct bld_store *s, const struct bld_cache_gc_opts *o,
		 struct bld_cache_gc_stats *st, struct bld_error **err)
{
	struct bld_cache_gc_stats dummy = {0};
	st = st ? st : &dummy;
	memset(st, 0, sizeof(*st));
	int lk = bld_cache_index_lock(s, err);
	if (lk < 0)
		return lk;
	struct marks m = {0};
	int r = mark(s, o, &m, err);
	if (r == 0) {
		struct sweep w = {.s = s, .m = &m, .now = time(NULL), .st = st,
				  .grace = o && o->grace_seconds > 0 ? o->grace_seconds : GRACE_DEFAULT};
		w.exclusive = bld_cache_gc_exclusive_begin(s);
		bld_cache_each_entry(s->blobs_fd, sweep_blob, &w);
		bld_cache_each_entry(s->layers_fd, sweep_layer, &w);
		bld_cache_each_entry(s->ingest_fd, sweep_partial, &w);
		bld_cache_each_entry(s->oci_fd, sweep_oci_tmp, &w);
		sweep_attests(&w);
		bld_cache_gc_exclusive_end(s);
	}
	hs_dispose(&m.blobs);
	hs_dispose(&m.chains);
	bld_cache_index_unlock(lk);
	return r;
}

/* Counts one blob or unpacked layer; what the marks do not hold is reclaimable. */
static void usage_count(const char *name, int dirfd, struct hexset *live, int64_t *count,
			int64_t *bytes, int64_t *reclaimable)
{
	if (!is_hex64(name))
		return;
	int64_t size = bld_cache_du(dirfd, name);
	(*count)++;
	*bytes += size;
	if (!hs_has(live, name))
		*reclaimable += size;
}

static void usage_blob(const char *name, void *payload)
{
	struct sweep *w = payload;
	usage_count(name, w->s->blobs_fd, &w->m->blobs, &w->u->blobs, &w->u->blob_bytes,
		    &w->u->reclaimable_bytes);
}

static void usage_layer(const char *name, void *payload)
{
	struct sweep *w = payload;
	usage_count(name, w->s->layers_fd, &w->m->chains, &w->u->layer_dirs,
		    &w->u->layer_bytes, &w->u->layer_reclaimable_bytes);
}

static void usage_partial(const char *name, void *payload)
{
	struct sweep *w = payload;
	w->u->partial_bytes += bld_cache_du(w->s->ingest_fd, name);
}

int bld_cache_usage(struct bld_store *s, struct bld_cache_usage *u, struct bld_error **err)
{
	memset(u, 0, sizeof(*u));
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	if (r < 0)
		return r;
	struct marks m = {0};
	for (size_t i = 0; i < n; i++) {
		u->images++;
		if (!v[i].name)
			u->dangling++;
		else
			mark_tree(s, &m, v[i].digest, 0);
		if (v[i].name && v[i].orig_digest[0])
			mark_tree(s, &m, v[i].orig_digest, 0);
	}
	bld_cache_desc_list_free(v, n);
	struct sweep w = {.s = s, .u = u, .m = &m};
	bld_cache_each_entry(s->blobs_fd, usage_blob, &w);
	bld_cache_each_entry(s->layers_fd, usage_layer, &w);
	bld_cache_each_entry(s->ingest_fd, usage_partial, &w);
	hs_dispose(&m.blobs);
	hs_dispose(&m.chains);
	return 0;
}
