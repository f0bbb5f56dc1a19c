/*
 * builder/context.c — build contexts: what `bld build` is given as PATH | URL | -, turned
 * into a directory on disk, its Dockerfile and .dockerignore, and an index of the files the
 * ignore rules let through, each with a fingerprint (type, mode, owner, content or link
 * target) that the stat cache keeps so that an unchanged file is read once ever.
 *
 * Invariants: the index is built at most once per context and sorted component-wise;
 * excluded files never enter it, so they can neither be copied nor change a cache key;
 * every file is opened inside the context root (bld_fs_open_in_root), never through a
 * symlink that leads out. It does not copy anything: COPY/ADD live in copy.c. Git checkouts
 * are git.c's.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>

int bld_builder_ctx_path_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x == y) {
			if (!x)
				return 0;
			continue;
		}
		x = x == '/' ? 1 : x;
		y = y == '/' ? 1 : y;
		return x < y ? -1 : 1;
	}
}

/* ------------------------------------------------------------------ walking */

struct walker {
	struct bld_builder_context *c;
	size_t cap;
	struct bld_error **err;
};

static int64_t ts_ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in a directory (without "." and ".."). */
static int read_names(int dfd, char ***out, size_t *n, struct bld_error **err)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return bld_error_sys(err, errno, "read directory");
	}
	char **v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[len++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (len)
		qsort(v, len, sizeof(*v), name_cmp);
	*out = v;
	*n = len;
	return 0;
}

static struct bld_builder_ctx_entry *push_entry(struct walker *w, const char *path,
						const struct stat *st)
{
	struct bld_builder_context *c = w->c;
	if (c->n_ents >= w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		c->ents = xrealloc(c->ents, w->cap * sizeof(*c->ents));
	}
	struct bld_builder_ctx_entry *e = &c->ents[c->n_ents++];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(path);
	e->mode = st->st_mode;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->size = st->st_size;
	e->ino = st->st_ino;
	e->mtime_ns = ts_ns(&st->st_mtim);
	e->ctime_ns = ts_ns(&st->st_ctim);
	return e;
}

static void drop_last(struct bld_builder_context *c)
{
	struct bld_builder_ctx_entry *e = &c->ents[--c->n_ents];
	free(e->path);
	free(e->link);
}

static int is_excluded(struct bld_builder_context *c, const char *path, bool dir, bool *out,
		       struct bld_error **err)
{
	*out = false;
	if (!c->ign.excluded)
		return 0;
	return c->ign.excluded(c->ign.matcher, path, dir, out, err);
}

static int walk_dir(struct walker *w, int dfd, const char *prefix, int depth);

/* One directory entry: its index record, and its subtree for a directory. */
static int walk_one(struct walker *w, int dfd, const char *prefix, const char *name, int depth)
{
	struct bld_builder_context *c = w->c;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : bld_error_sys(w->err, errno, "stat %s/%s", prefix, name);
	cleanup_free char *path = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
	bool dir = S_ISDIR(st.st_mode);
	bool excl = false;
	if (is_excluded(c, path, dir, &excl, w->err) < 0)
		return -1;
	if (excl && (!dir || (c->ign.skip_dir && c->ign.skip_dir(c->ign.matcher, path))))
		return 0;
	if (c->n_ents >= BLD_CTX_MAX_FILES)
		return bld_error_set(w->err, BLD_E_INVALID, "context holds more than %d files",
				     BLD_CTX_MAX_FILES);
	struct bld_builder_ctx_entry *e = push_entry(w, path, &st);
	if (S_ISLNK(st.st_mode)) {
		char buf[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
		if (n < 0)
			return bld_error_sys(w->err, errno, "readlink %s", path);
		buf[n] = '\0';
		e->link = xstrdup(buf);
	}
	if (!dir)
		return 0;
	size_t before = c->n_ents;
	cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return bld_error_sys(w->err, errno, "open %s", path);
	int r = walk_dir(w, sub, path, depth + 1);
	/* An excluded directory stays only as the parent of something an exception let in. */
	if (r == 0 && excl && c->n_ents == before)
		drop_last(c);
	return r;
}

static int walk_dir(struct walker *w, int dfd, const char *prefix, int depth)
{
	if (depth > BLD_CTX_MAX_DEPTH)
		return bld_error_set(w->err, BLD_E_INVALID, "%s: nested too deeply", prefix);
	char **names = NULL;
	size_t n = 0;
	int r = read_names(dfd, &names, &n, w->err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = walk_one(w, dfd, prefix, names[i], depth);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int bld_builder_ctx_walk(struct bld_builder_context *c, struct bld_error **err)
{
	if (c->walked)
		return 0;
	struct walker w = {.c = c, .cap = 0, .err = err};
	int r = walk_dir(&w, c->rootfd, "", 0);
	if (r < 0)
		return bld_error_wrap(err, "walk build context");
	c->walked = true;
	return 0;
}

/* ------------------------------------------------------------------ lookups */

static size_t lower_bound(struct bld_builder_context *c, const char *path)
{
	size_t lo = 0, hi = c->n_ents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bld_builder_ctx_path_cmp(c->ents[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct bld_builder_ctx_entry *bld_builder_ctx_lookup(struct bld_builder_context *c,
						     const char *path)
{
	size_t i = lower_bound(c, path);
	if (i < c->n_ents && strcmp(c->ents[i].path, path) == 0)
		return &c->ents[i];
	return NULL;
}

void bld_builder_ctx_subtree(struct bld_builder_context *c, const char *path, size_t *first,
			     size_t *end)
{
	if (!*path) {
		*first = 0;
		*end = c->n_ents;
		return;
	}
	size_t i = lower_bound(c, path);
	if (i < c->n_ents && strcmp(c->ents[i].path, path) == 0)
		i++;
	size_t plen = strlen(path), j = i;
	while (j < c->n_ents && strncmp(c->ents[j].path, path, plen) == 0 &&
	       c->ents[j].path[plen] == '/')
		j++;
	*first = i;
	*end = j;
}

/* ------------------------------------------------------------------ fingerprints */

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return ts_ns(&t);
}

/* XXH3-128 of a regular file's bytes, read inside the context root. */
static int hash_content(struct bld_builder_context *c, const struct bld_builder_ctx_entry *e,
			char out[BLD_XXH_HEX_LEN + 1], struct bld_error **err)
{
	cleanup_close int fd = bld_fs_open_in_root(c->rootfd, e->path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return bld_error_sys(err, -fd, "open %s", e->path);
	struct bld_xxh *h = bld_xxh_new();
	static __thread char buf[1 << 17];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e2 = errno;
			bld_xxh_final(h, out);
			return bld_error_sys(err, e2, "read %s", e->path);
		}
		if (n == 0)
			break;
		bld_xxh_update(h, buf, (size_t)n);
	}
	bld_xxh_final(h, out);
	c->files_hashed++;
	return 0;
}

int bld_builder_ctx_fingerprint(struct bld_builder_context *c, struct bld_builder_ctx_entry *e,
				struct bld_error **err)
{
	if (e->fp[0])
		return 0;
	char content[BLD_XXH_HEX_LEN + 1] = "";
	if (S_ISREG(e->mode)) {
		const char *known = c->sc ? bld_builder_statcache_get(c->sc, e) : NULL;
		if (known) {
			memcpy(content, known, sizeof(content));
		} else {
			int64_t t = now_ns();
			int r = hash_content(c, e, content, err);
			if (r < 0)
				return r;
			if (c->sc)
				bld_builder_statcache_put(c->sc, e, content, t);
		}
	}
	struct bld_xxh *h = bld_xxh_new();
	uint32_t meta[3] = {(uint32_t)e->mode, (uint32_t)e->uid, (uint32_t)e->gid};
	bld_xxh_update(h, meta, sizeof(meta));
	bld_xxh_update_str(h, S_ISLNK(e->mode) ? e->link : content);
	bld_xxh_final(h, e->fp);
	return 0;
}
