/*
 * builder/snapshot.c — the layers of --isolation=chroot and of RUN steps on a copied root
 * (run.c), made without overlayfs: the root walked before a step (every entry's type, mode,
 * owner, size, times and inode) and after it, and the difference written as an overlay
 * upper directory would hold it: what was added or changed (hard links to the root's
 * entries; directories made with the root's metadata and xattrs), the parent directories of
 * those, 0/0 character devices for what was deleted, and directories that were replaced
 * marked opaque. That directory then becomes a layer as any RUN's upper directory does, so
 * that a step gives the same layer in both isolations, and on a copied root.
 *
 * A change is seen by the ctime, which every write, chmod, chown, link and xattr change
 * moves and no program can set back, and by the inode (and a directory's birth time), which
 * a replacement changes. A file
 * whose ctime lies within BLD_STATCACHE_RACY_NS of the snapshot might change again within
 * the same timestamp tick: its content is hashed at the snapshot and compared afterwards.
 *
 * The walk never follows a symlink (O_NOFOLLOW directory descriptors); the upper directory's
 * entries share inodes with the root, so it must become a layer before the root changes
 * again, and is never adopted as a layer directory.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define SNAP_ENTRIES_MAX 10000000
#define SNAP_DIR_MAX 1000000
#define SNAP_DEPTH_MAX 256
#define SNAP_XATTR_MAX 65536

struct snap_ent {
	char *path; /* relative to the root, no leading slash */
	struct stat st;
	int64_t btime_ns; /* a directory's birth time (0: unknown): a new one was made anew */
	bool hashed; /* racy: hash holds the content at the snapshot */
	char hash[BLD_XXH_HEX_LEN + 1];
};

struct bld_builder_snap {
	struct snap_ent *v;
	size_t n, cap;
	int64_t taken_ns; /* CLOCK_REALTIME when the walk started */
};

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int hash_file(int dirfd, const char *name, char out[BLD_XXH_HEX_LEN + 1])
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct bld_xxh *h = bld_xxh_new();
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		bld_xxh_update(h, buf, (size_t)n);
	bld_xxh_final(h, out);
	return n < 0 ? -errno : 0;
}

static void push(struct bld_builder_snap *s, char *path, const struct stat *st)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct snap_ent){.path = path, .st = *st};
}

/* Depth first over sorted names: the component-wise order bld_builder_ctx_path_cmp has. */
static int walk(struct bld_builder_snap *s, int dirfd, const char *prefix, int depth,
		bool hash_racy, struct bld_error **err)
{
	if (depth > SNAP_DEPTH_MAX)
		return bld_error_set(err, BLD_E_INVALID, "snapshot: %s: too deep", prefix);
	cleanup_strv char **names = NULL;
	int r = bld_fs_sorted_names(dirfd, SNAP_DIR_MAX, &names);
	if (r < 0)
		return bld_error_sys(err, -r, "snapshot: read /%s", prefix);
	for (size_t i = 0; names && names[i]; i++) {
		struct stat st;
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			return bld_error_sys(err, errno, "snapshot: stat /%s/%s", prefix, names[i]);
		if (s->n >= SNAP_ENTRIES_MAX)
			return bld_error_set(err, BLD_E_INVALID, "snapshot: more than %d entries",
					     SNAP_ENTRIES_MAX);
		char *path = *prefix ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
		push(s, path, &st);
		struct snap_ent *e = &s->v[s->n - 1];
		if (hash_racy && S_ISREG(st.st_mode) &&
		    ts_ns(&st.st_ctim) >= s->taken_ns - BLD_STATCACHE_RACY_NS)
			e->hashed = hash_file(dirfd, names[i], e->hash) == 0;
		if (!S_ISDIR(st.st_mode))
			continue;
		/* `rm -rf d; mkdir d` may get d's inode number again, never its birth time */
		struct statx sx;
		if (statx(dirfd, names[i], AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 &&
		    (sx.stx_mask & STATX_BTIME))
			e->btime_ns = (int64_t)sx.stx_btime.tv_sec * 1000000000LL + sx.stx_btime.tv_nsec;
		cleanup_close int sub =
		    openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return bld_error_sys(err, errno, "snapshot: open /%s", path);
		if (walk(s, sub, path, depth + 1, hash_racy, err) < 0)
			return -1;
	}
	return 0;
}

static int snap_take(struct bld_builder_snap **out, int rootfd, bool hash_racy,
		     struct bld_error **err)
{
	struct bld_builder_snap *s = xcalloc(1, sizeof(*s));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	s->taken_ns = ts_ns(&now);
	if (walk(s, rootfd, "", 0, hash_racy, err) < 0) {
		bld_builder_snap_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int bld_builder_snap_take(struct bld_builder_snap **out, int rootfd, struct bld_error **err)
{
	return snap_take(out, rootfd, true, err);
}

void bld_builder_snap_free(struct bld_builder_snap *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	free(s);
}

/* ------------------------------------------------------------------ the upper directory */

struct differ {
	int rootfd, upfd;
	const struct bld_builder_snap *after;
	char **dirs; /* directories made in upper: their times are set last */
	bool any;
	struct bld_error **err;
};

static const struct snap_ent *find(const struct bld_builder_snap *s, const char *path)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = bld_builder_ctx_path_cmp(s->v[mid].path, path);
		if (c == 0)
			return &s->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The xattrs of the root's directory path onto upper's (overlay's own never). */
static void copy_xattrs(int from, int to)
{
	cleanup_free char *list = xmalloc(SNAP_XATTR_MAX);
	cleanup_free char *val = xmalloc(SNAP_XATTR_MAX);
	ssize_t n = flistxattr(from, list, SNAP_XATTR_MAX);
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(list + i) + 1) {
		const char *k = list + i;
		if (bld_str_has_prefix(k, "trusted.overlay.") || bld_str_has_prefix(k, "user.overlay."))
			continue;
		ssize_t vn = fgetxattr(from, k, val, SNAP_XATTR_MAX);
		if (vn >= 0 && fsetxattr(to, k, val, (size_t)vn, 0) < 0)
			bld_debug("snapshot: xattr %s not kept: %s", k, strerror(errno));
	}
}

/* A directory of upper like the root's at path; opaque when it replaced what was there. */
static int make_dir(struct differ *d, const char *path, bool opaque)
{
	const struct snap_ent *e = find(d->after, path);
	if (!e)
		return bld_error_set(d->err, BLD_E_INTERNAL, "snapshot: /%s not walked", path);
	if (mkdirat(d->upfd, path, 0700) < 0 && errno != EEXIST)
		return bld_error_sys(d->err, errno, "mkdir %s in upper", path);
	cleanup_close int to = openat(d->upfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int from = bld_fs_open_in_root(d->rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (to < 0 || from < 0)
		return bld_error_sys(d->err, to < 0 ? errno : -from, "open /%s", path);
	copy_xattrs(from, to);
	if (fchown(to, e->st.st_uid, e->st.st_gid) < 0 || fchmod(to, e->st.st_mode & 07777) < 0)
		return bld_error_sys(d->err, errno, "owner and mode of /%s in upper", path);
	int r = opaque ? bld_cache_opaque_mark(to) : 0;
	if (r < 0)
		return bld_error_sys(d->err, -r, "mark /%s opaque", path);
	bld_strv_push(&d->dirs, path);
	return 0;
}

/* The parent directories of path in upper, each made once. */
static int parents(struct differ *d, const char *path)
{
	cleanup_free char *p = xstrdup(path);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		struct stat st;
		int r = fstatat(d->upfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : make_dir(d, p, false);
		*s = '/';
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The parent directory of path in the root (confined to it) and in upper. */
static int open_parents(struct differ *d, const char *path, int *rfd, int *ufd)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	*rfd = bld_fs_open_in_root(d->rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
	*ufd = openat(d->upfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*rfd >= 0 && *ufd >= 0)
		return 0;
	return bld_error_sys(d->err, *rfd < 0 ? -*rfd : errno, "open /%s", dir);
}

/* An added, changed or replaced entry into upper. */
static int take(struct differ *d, const struct snap_ent *e, bool opaque)
{
	d->any = true;
	if (parents(d, e->path) < 0)
		return -1;
	if (S_ISDIR(e->st.st_mode))
		return make_dir(d, e->path, opaque);
	int rfd = -1, ufd = -1;
	int r = open_parents(d, e->path, &rfd, &ufd);
	const char *base = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;
	if (r == 0 && linkat(rfd, base, ufd, base, 0) < 0)
		r = bld_error_sys(d->err, errno, "link /%s into upper", e->path);
	if (rfd >= 0)
		close(rfd);
	if (ufd >= 0)
		close(ufd);
	return r;
}

/* A deleted entry: a whiteout, as overlayfs makes one. */
static int whiteout(struct differ *d, const char *path)
{
	d->any = true;
	if (parents(d, path) < 0)
		return -1;
	int r = bld_cache_whiteout_make(d->upfd, path);
	return r < 0 ? bld_error_sys(d->err, -r, "whiteout /%s in upper", path) : 0;
}

static bool changed(int rootfd, const struct snap_ent *a, const struct snap_ent *b)
{
	const struct stat *x = &a->st, *y = &b->st;
	if (x->st_mode != y->st_mode || x->st_uid != y->st_uid || x->st_gid != y->st_gid ||
	    x->st_size != y->st_size || x->st_ino != y->st_ino || x->st_rdev != y->st_rdev ||
	    ts_ns(&x->st_mtim) != ts_ns(&y->st_mtim))
		return true;
	/* another name of it removed moves its ctime, but overlayfs copies nothing up then
	 * (a name added does copy it up: link() needs it in the upper directory) */
	if (ts_ns(&x->st_ctim) != ts_ns(&y->st_ctim) &&
	    (S_ISDIR(x->st_mode) || y->st_nlink >= x->st_nlink))
		return true;
	if (!a->hashed)
		return false;
	char now[BLD_XXH_HEX_LEN + 1];
	return hash_file(rootfd, b->path, now) < 0 || strcmp(now, a->hash) != 0;
}

static bool under(const char *path, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;
	return n && strncmp(path, prefix, n) == 0 && path[n] == '/';
}

/* One path present before and after: changed, replaced (another type, or a directory
 * made anew: opaque), or the same. *gone becomes the path when what was below it went. */
static int both(struct differ *d, const struct snap_ent *a, const struct snap_ent *b,
		const char **gone, const char **fresh)
{
	bool dir_a = S_ISDIR(a->st.st_mode), dir_b = S_ISDIR(b->st.st_mode);
	bool replaced = (a->st.st_mode & S_IFMT) != (b->st.st_mode & S_IFMT) ||
			(dir_a && (a->st.st_ino != b->st.st_ino || a->btime_ns != b->btime_ns));
	if (dir_a && replaced)
		*gone = a->path;
	if (dir_b && replaced)
		*fresh = b->path;
	if (replaced || changed(d->rootfd, a, b))
		return take(d, b, dir_a && dir_b && replaced);
	return 0;
}

/* Merges the two sorted walks into upper. */
static int merge(struct differ *d, const struct bld_builder_snap *before)
{
	const struct bld_builder_snap *after = d->after;
	const char *gone = NULL, *fresh = NULL; /* below gone: skip before's; fresh: take after's */
	size_t i = 0, j = 0;
	while (i < before->n || j < after->n) {
		const struct snap_ent *a = i < before->n ? &before->v[i] : NULL;
		const struct snap_ent *b = j < after->n ? &after->v[j] : NULL;
		if (!a && !b)
			break;
		int c = !a ? 1 : !b ? -1 : bld_builder_ctx_path_cmp(a->path, b->path);
		int r = 0;
		if (c < 0 && !under(a->path, gone)) {
			r = whiteout(d, a->path);
			gone = a->path;
		} else if (c > 0 || (c == 0 && under(b->path, fresh))) {
			r = take(d, b, false);
		} else if (c == 0 && !under(a->path, gone)) {
			r = both(d, a, b, &gone, &fresh);
		}
		if (r < 0)
			return -1;
		i += c <= 0;
		j += c >= 0;
	}
	return 0;
}

/* Directory times last: making their entries moved them. */
static void fix_times(struct differ *d)
{
	for (size_t i = 0; d->dirs && d->dirs[i]; i++) {
		const struct snap_ent *e = find(d->after, d->dirs[i]);
		struct timespec ts[2] = {e->st.st_atim, e->st.st_mtim};
		if (utimensat(d->upfd, d->dirs[i], ts, AT_SYMLINK_NOFOLLOW) < 0)
			bld_debug("snapshot: times of /%s: %s", d->dirs[i], strerror(errno));
	}
}

int bld_builder_snap_diff(const struct bld_builder_snap *before, int rootfd, const char *upper,
			  bool *any, struct bld_error **err)
{
	struct bld_builder_snap *after = NULL;
	if (snap_take(&after, rootfd, false, err) < 0)
		return -1;
	struct differ d = {.rootfd = rootfd, .after = after, .err = err};
	d.upfd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = d.upfd < 0 ? bld_error_sys(err, errno, "open %s", upper) : merge(&d, before);
	if (r == 0)
		fix_times(&d);
	if (d.upfd >= 0)
		close(d.upfd);
	*any = d.any;
	bld_strv_free(d.dirs);
	bld_builder_snap_free(after);
	return r;
}
