/*
 * cache/unpack.c — layer tars extracted into directories the runner stacks as overlay
 * lower directories. Safety: every entry path is cleaned as if rooted ("../x" and "/x" both
 * mean <target>/x), every parent directory is opened through bld_fs_open_in_root so that
 * symlinks — including ones the same tar just made — resolve inside the target, files are
 * created with *at calls relative to that parent and O_NOFOLLOW, hardlink targets resolve
 * inside the target too, device nodes are made only by root, and xattrs that overlayfs
 * interprets (trusted.overlay.*, user.overlay.*: redirects, metacopy, opaque) are never
 * taken from a tar, so an image cannot steer the overlay mount.
 *
 * Whiteouts become what overlayfs reads in a lower directory: a 0/0 character device for
 * .wh.NAME and the opaque xattr on the directory for .wh..wh..opq. Where neither
 * trusted.* nor a device can be made (no CAP_SYS_ADMIN, a store on overlayfs), the user.*
 * forms: user.overlay.opaque, and an empty file marked user.overlay.whiteout.
 * A layer directory appears only complete: extraction goes to layers/.tmp-*, renamed into
 * place. Layer directories are caches of their blobs and are not fsynced file by file: a
 * record on each says whether it may have lost data in a crash (layer_verify.c).
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define PATH_CAP 4096

struct dirmeta {
	char *path;
	mode_t mode;
	struct timespec mtime;
};

/* A create call found the name taken: the caller removes what is there and tries once more. */
#define UX_EXISTS 1

struct ux {
	int rootfd;
	bool root; /* running as root: owners, devices, trusted.* xattrs */
	uid_t uid; /* owner and group that new files get; chown only when the entry differs */
	gid_t gid;
	bool chown_all; /* a setgid target: new files may get another group, always chown */
	mode_t umask;   /* the process umask, or 07777 when unknown (then always chmod) */
	struct archive *ar;
	struct bld_error **err;
	char *pdir; /* cached parent directory path (cleaned, rooted) and its fd */
	int pfd;
	struct dirmeta *dirs;
	size_t ndirs, capdirs;
	int64_t size;   /* imgsize.c's size of what was made: non-directories, hardlinks once */
	bool size_lost; /* something was replaced or lies too deep: only a walk can tell */
};

static void drop_parent(struct ux *x)
{
	if (x->pfd >= 0)
		close(x->pfd);
	x->pfd = -1;
	free(x->pdir);
	x->pdir = NULL;
}

/* Opens (creating as needed) a directory inside the root; returns an fd or < 0. */
static int mkdir_in_root(struct ux *x, const char *path, int depth)
{
	int fd = bld_fs_open_in_root(x->rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT || depth > 256)
		return bld_error_sys(x->err, -fd, "open %s", path);
	const char *slash = strrchr(path, '/');
	cleanup_free char *parent = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	cleanup_close int pfd = mkdir_in_root(x, parent, depth + 1);
	if (pfd < 0)
		return pfd;
	if (mkdirat(pfd, slash + 1, 0755) < 0 && errno != EEXIST)
		return bld_error_sys(x->err, errno, "mkdir %s", path);
	fd = openat(pfd, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(x->err, errno, "open %s", path);
	return fd;
}

static int open_parent(struct ux *x, const char *parent)
{
	if (x->pdir && strcmp(x->pdir, parent) == 0)
		return x->pfd;
	drop_parent(x);
	int fd = mkdir_in_root(x, parent, 0);
	if (fd < 0)
		return fd;
	x->pfd = fd;
	x->pdir = xstrdup(parent);
	return fd;
}

/* Cleans an archive path as if rooted; splits it into parent and base. */
static int split_path(struct ux *x, const char *name, char **parent, char **base)
{
	if (!name || strlen(name) > PATH_CAP)
		return bld_error_set(x->err, BLD_E_INVALID, "bad path in layer");
	cleanup_free char *rooted = xasprintf("/%s", name);
	cleanup_free char *clean = bld_path_clean(rooted);
	if (strcmp(clean, "/") == 0) {
		*parent = xstrdup("/");
		*base = NULL;
		return 0;
	}
	char *slash = strrchr(clean, '/');
	*base = xstrdup(slash + 1);
	*parent = slash == clean ? xstrdup("/") : xstrndup(clean, (size_t)(slash - clean));
	return 0;
}

static int remove_at(struct ux *x, int pfd, const char *base)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	x->size_lost = true; /* what goes may have been counted, or linked from what stays */
	int r = 0;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(pfd, base, 0) < 0)
			r = bld_error_sys(x->err, errno, "remove %s", base);
	} else {
		cleanup_free char *p = xasprintf("/proc/self/fd/%d/%s", pfd, base);
		r = bld_fs_rm_rf(p, x->err);
	}
	/* a cached parent may live below what went away; pfd (often that cached parent) is
	 * closed only now, after its last use */
	drop_parent(x);
	return r;
}

static bool overlay_xattr(const char *name)
{
	return bld_str_has_prefix(name, "trusted.overlay.") ||
	       bld_str_has_prefix(name, "user.overlay.");
}

/* Applies the entry's xattrs to fd (or, for a symlink, nothing): failures are not fatal. */
static void set_xattrs(struct ux *x, int fd, struct archive_entry *e)
{
	const char *k;
	const void *v;
	size_t n;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &k, &v, &n) == ARCHIVE_OK) {
		if (overlay_xattr(k) || (!x->root && !bld_str_has_prefix(k, "user.")))
			continue;
		if (fsetxattr(fd, k, v, n, 0) < 0)
			bld_debug("layer: xattr %s not set: %s", k, strerror(errno));
	}
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

/* The mode a regular file is created with: its final one when nothing can alter that. */
static mode_t create_mode(struct ux *x, struct archive_entry *e)
{
	mode_t perm = archive_entry_perm(e) & 07777;
	return (perm & 07000) || (perm & x->umask) ? 0600 : perm;
}

/* Owner, mode, xattrs and times of a freshly made non-directory, non-symlink file that was
 * created with mode `made` by us (so owned by x->uid:x->gid unless x->chown_all). */
static int finish_fd(struct ux *x, int fd, struct archive_entry *e, const char *base, mode_t made)
{
	uid_t uid = (uid_t)archive_entry_uid(e);
	gid_t gid = (gid_t)archive_entry_gid(e);
	bool owner = x->root && (x->chown_all || uid != x->uid || gid != x->gid);
	if (owner && fchown(fd, uid, gid) < 0)
		return bld_error_chown(x->err, errno, base, uid, gid);
	mode_t perm = archive_entry_perm(e) & 07777;
	if ((owner || perm != made) && fchmod(fd, perm) < 0) /* chown clears setuid bits */
		return bld_error_sys(x->err, errno, "chmod %s", base);
	set_xattrs(x, fd, e);
	struct timespec ts[2];
	entry_times(e, ts);
	(void)futimens(fd, ts);
	return 0;
}

static int write_data(struct ux *x, int fd, struct archive_entry *e, const char *base)
{
	const void *buf;
	size_t n;
	la_int64_t off, end = 0;
	int r;
	while ((r = archive_read_data_block(x->ar, &buf, &n, &off)) == ARCHIVE_OK) {
		if (off + (la_int64_t)n > end)
			end = off + (la_int64_t)n;
		const char *p = buf;
		while (n) {
			ssize_t w = pwrite(fd, p, n, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return bld_error_sys(x->err, errno, "write %s", base);
			p += w;
			n -= (size_t)w;
			off += w;
		}
	}
	if (r != ARCHIVE_EOF)
		return bld_error_set(x->err, BLD_E_INVALID, "read %s: %s", base,
				     archive_error_string(x->ar));
	/* sparse files may end in a hole */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > end) {
		end = archive_entry_size(e);
		if (ftruncate(fd, end) < 0)
			return bld_error_sys(x->err, errno, "truncate %s", base);
	}
	x->size += end;
	return 0;
}

static int do_reg(struct ux *x, int pfd, const char *base, struct archive_entry *e)
{
	mode_t made = create_mode(x, e);
	cleanup_close int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				      made);
	if (fd < 0 && errno == EEXIST)
		return UX_EXISTS;
	if (fd < 0)
		return bld_error_sys(x->err, errno, "create %s", base);
	int r = write_data(x, fd, e, base);
	return r < 0 ? r : finish_fd(x, fd, e, base, made);
}

static int do_symlink(struct ux *x, int pfd, const char *base, struct archive_entry *e)
{
	const char *target = archive_entry_symlink(e);
	if (!target || strlen(target) > PATH_CAP)
		return bld_error_set(x->err, BLD_E_INVALID, "symlink %s: bad target", base);
	if (symlinkat(target, pfd, base) < 0)
		return errno == EEXIST ? UX_EXISTS : bld_error_sys(x->err, errno, "symlink %s", base);
	x->size += (int64_t)strlen(target); /* a symlink's lstat size */
	if (x->root && (x->chown_all || (uid_t)archive_entry_uid(e) != x->uid ||
			(gid_t)archive_entry_gid(e) != x->gid))
		if (fchownat(pfd, base, archive_entry_uid(e), archive_entry_gid(e),
			     AT_SYMLINK_NOFOLLOW) < 0)
			bld_debug("layer: symlink %s not chowned: %s", base, strerror(errno));
	struct timespec ts[2];
	entry_times(e, ts);
	(void)utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int do_hardlink(struct ux *x, int pfd, const char *base, const char *target)
{
	cleanup_free char *tparent = NULL, *tbase = NULL;
	int r = split_path(x, target, &tparent, &tbase);
	if (r < 0 || !tbase)
		return bld_error_set(x->err, BLD_E_INVALID, "hardlink %s: bad target", base);
	cleanup_close int tfd = bld_fs_open_in_root(x->rootfd, tparent, O_PATH | O_DIRECTORY, 0);
	struct stat st;
	if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_set(x->err, BLD_E_INVALID,
				     "hardlink %s: target %s is not in the layer", base, target);
	if (S_ISDIR(st.st_mode))
		return bld_error_set(x->err, BLD_E_INVALID, "hardlink %s: target is a directory",
				     base);
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return errno == EEXIST ? UX_EXISTS : bld_error_sys(x->err, errno, "link %s", base);
	return 0;
}

static int do_node(struct ux *x, int pfd, const char *base, struct archive_entry *e)
{
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFSOCK)
		return remove_at(x, pfd, base); /* skipped, but still replaces what was there */
	if (type != AE_IFIFO && !x->root) {
		bld_debug("layer: device %s skipped (not root)", base);
		return remove_at(x, pfd, base);
	}
	if (mknodat(pfd, base, type | (archive_entry_perm(e) & 07777), archive_entry_rdev(e)) < 0)
		return errno == EEXIST ? UX_EXISTS : bld_error_sys(x->err, errno, "mknod %s", base);
	cleanup_close int fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	cleanup_free char *p = xasprintf("/proc/self/fd/%d", fd);
	if (x->root && chown(p, archive_entry_uid(e), archive_entry_gid(e)) < 0)
		bld_debug("layer: %s not chowned: %s", base, strerror(errno));
	(void)chmod(p, archive_entry_perm(e) & 07777);
	return 0;
}

static void remember_dir(struct ux *x, const char *path, struct archive_entry *e)
{
	if (x->ndirs == x->capdirs) {
		x->capdirs = x->capdirs ? 2 * x->capdirs : 64;
		x->dirs = xrealloc(x->dirs, x->capdirs * sizeof(*x->dirs));
	}
	struct dirmeta *d = &x->dirs[x->ndirs++];
	d->path = xstrdup(path);
	d->mode = archive_entry_perm(e) & 07777;
	d->mtime.tv_sec = archive_entry_mtime(e);
	d->mtime.tv_nsec = archive_entry_mtime_nsec(e);
}

static int do_dir(struct ux *x, int pfd, const char *parent, const char *base,
		  struct archive_entry *e)
{
	cleanup_free char *path = base ? (strcmp(parent, "/") == 0 ? xasprintf("/%s", base)
								    : xasprintf("%s/%s", parent, base))
				       : xstrdup("/");
	cleanup_close int fd = -1;
	if (base) {
		if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
			return bld_error_sys(x->err, errno, "mkdir %s", path);
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
			return UX_EXISTS; /* a file or symlink is there: replaced, never followed */
	} else {
		fd = openat(x->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return bld_error_sys(x->err, errno, "open %s", path);
	if (x->root && (x->chown_all || (uid_t)archive_entry_uid(e) != x->uid ||
			(gid_t)archive_entry_gid(e) != x->gid || !base) &&
	    fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0)
		return bld_error_chown(x->err, errno, path, (unsigned long)archive_entry_uid(e),
				       (unsigned long)archive_entry_gid(e));
	set_xattrs(x, fd, e);
	remember_dir(x, path, e); /* mode and times last: children change mtime */
	if (base) { /* the next entries are most likely its own: it is their cached parent */
		drop_parent(x);
		x->pfd = fd;
		x->pdir = path;
		fd = -1;
		path = NULL;
	}
	return 0;
}

int bld_cache_whiteout_make(int dirfd, const char *name)
{
	if (mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	/* overlayfs refuses 0/0 devices (a store inside a container's root), as does a process
	 * without CAP_MKNOD: an xwhiteout then, which layer.c and the runner's root copy read */
	cleanup_close int fd =
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 || fsetxattr(fd, "user.overlay.whiteout", "y", 1, 0) < 0)
		return -errno;
	return 0;
}

int bld_cache_opaque_mark(int dirfd)
{
	/* without CAP_SYS_ADMIN (rootless, an unprivileged container) trusted.* cannot be set:
	 * the user.* mark then, which layer.c and the runner's root copy read as well */
	if (fsetxattr(dirfd, "trusted.overlay.opaque", "y", 1, 0) == 0 ||
	    fsetxattr(dirfd, "user.overlay.opaque", "y", 1, 0) == 0)
		return 0;
	return -errno;
}

static int do_whiteout(struct ux *x, int pfd, const char *base)
{
	if (strcmp(base, ".wh..wh..opq") == 0) {
		int r = bld_cache_opaque_mark(pfd);
		return r < 0 ? bld_error_sys(x->err, -r, "mark opaque directory") : 0;
	}
	const char *name = base + 4;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return bld_error_set(x->err, BLD_E_INVALID, "bad whiteout %s", base);
	int r = remove_at(x, pfd, name);
	if (r < 0)
		return r;
	r = bld_cache_whiteout_make(pfd, name);
	return r < 0 ? bld_error_sys(x->err, -r, "whiteout %s", name) : 0;
}

static int make_entry(struct ux *x, int pfd, const char *parent, const char *base,
		      struct archive_entry *e);

static int extract_entry(struct ux *x, struct archive_entry *e)
{
	cleanup_free char *parent = NULL, *base = NULL;
	int r = split_path(x, archive_entry_pathname(e), &parent, &base);
	if (r < 0)
		return r;
	int pfd = open_parent(x, parent);
	if (pfd < 0)
		return pfd;
	size_t depth = 0;
	for (const char *c = parent; (c = strchr(c, '/')); c++)
		depth++;
	x->size_lost |= depth >= BLD_CACHE_SIZE_DEPTH_MAX; /* below where the walk stops */
	mode_t type = archive_entry_filetype(e);
	if (!base)
		return type == AE_IFDIR ? do_dir(x, pfd, parent, NULL, e) : 0;
	if (bld_str_has_prefix(base, ".wh."))
		return do_whiteout(x, pfd, base);
	/* Creating first and removing only when the name is taken saves two lookups per entry in
	 * the usual case; a directory over a directory is kept (do_dir reuses it). */
	r = make_entry(x, pfd, parent, base, e);
	if (r != UX_EXISTS)
		return r;
	pfd = open_parent(x, parent); /* make_entry and remove_at may drop the cached parent */
	if (pfd < 0 || (r = remove_at(x, pfd, base)) < 0)
		return pfd < 0 ? pfd : r;
	pfd = open_parent(x, parent);
	if (pfd < 0)
		return pfd;
	r = make_entry(x, pfd, parent, base, e);
	return r == UX_EXISTS ? bld_error_set(x->err, BLD_E_INVALID, "%s: cannot replace", base) : r;
}

/* Makes one non-whiteout entry; UX_EXISTS when its name is taken by something to replace. */
static int make_entry(struct ux *x, int pfd, const char *parent, const char *base,
		      struct archive_entry *e)
{
	mode_t type = archive_entry_filetype(e);
	const char *link = archive_entry_hardlink(e);
	if (link)
		return do_hardlink(x, pfd, base, link);
	switch (type) {
	case AE_IFREG:
		return do_reg(x, pfd, base, e);
	case AE_IFDIR:
		return do_dir(x, pfd, parent, base, e);
	case AE_IFLNK:
		/* the cached parent stays valid: a later path through the new link has another
		 * parent, which open_parent resolves inside the root */
		return do_symlink(x, pfd, base, e);
	default:
		return do_node(x, pfd, base, e);
	}
}

/* Directory modes and times, after every child is in place. */
static void finish_dirs(struct ux *x)
{
	for (size_t i = x->ndirs; i-- > 0;) {
		struct dirmeta *d = &x->dirs[i];
		int fd = bld_fs_open_in_root(x->rootfd, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd >= 0) {
			(void)fchmod(fd, d->mode);
			struct timespec ts[2] = {d->mtime, d->mtime};
			(void)futimens(fd, ts);
			close(fd);
		}
	}
}

/* The process umask without changing it (umask(2) would race with other threads); 07777,
 * meaning "always chmod", when /proc does not say. */
static mode_t current_umask(void)
{
	cleanup_free char *s = NULL;
	if (bld_fs_read_file("/proc/self/status", 1 << 16, &s, NULL, NULL) < 0)
		return 07777;
	const char *p = strstr(s, "\nUmask:");
	if (!p)
		return 07777;
	char *end;
	unsigned long m = strtoul(p + 7, &end, 8);
	return end == p + 7 || m > 0777 ? 07777 : (mode_t)m;
}

static void ux_init(struct ux *x, int rootfd, struct bld_error **err)
{
	struct stat st;
	*x = (struct ux){.rootfd = rootfd, .root = geteuid() == 0, .err = err, .pfd = -1,
			 .uid = geteuid(), .gid = getegid(), .umask = current_umask()};
	x->chown_all = fstat(rootfd, &st) < 0 || (st.st_mode & S_ISGID);
}

static void ux_dispose(struct ux *x)
{
	drop_parent(x);
	for (size_t i = 0; i < x->ndirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
}

static int extract_all(struct ux *x)
{
	struct archive_entry *e;
	for (;;) {
		int ar = archive_read_next_header(x->ar, &e);
		if (ar == ARCHIVE_EOF)
			return 0;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
			return bld_error_set(x->err, BLD_E_INVALID, "read layer: %s",
					     archive_error_string(x->ar));
		int r = extract_entry(x, e);
		if (r < 0)
			return bld_error_wrap(x->err, "%s", archive_entry_pathname(e));
	}
}

/* Extracts what ls yields into rootfd's directory; *got is the diff ID, *size (unless NULL)
 * the size imgsize.c's walk would find, or -1 when only the walk can tell. */
static int extract_stream(struct bld_cache_lstream *ls, int r, int rootfd,
			  char got[BLD_DIGEST_STR_LEN], int64_t *size, struct bld_error **err)
{
	struct ux x;
	ux_init(&x, rootfd, err);
	if (r == 0) {
		x.ar = bld_cache_lstream_tar(ls);
		r = extract_all(&x);
	}
	if (r == 0)
		r = bld_cache_lstream_finish(ls, got, err);
	if (r == 0)
		finish_dirs(&x);
	if (size)
		*size = x.size_lost ? -1 : x.size;
	ux_dispose(&x);
	bld_cache_lstream_free(ls);
	return r;
}

static int extract_fd(int fd, const char *target, const char *diff_id, int64_t *size,
		      struct bld_error **err)
{
	cleanup_close int rootfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bld_error_sys(err, errno, "open %s", target);
	struct bld_cache_lstream *ls = NULL;
	char got[BLD_DIGEST_STR_LEN];
	int r = bld_cache_lstream_open(&ls, fd, err);
	r = extract_stream(ls, r, rootfd, got, size, err);
	if (r == 0 && diff_id && strcmp(got, diff_id) != 0)
		r = bld_error_set(err, BLD_E_DIGEST, "layer diff id mismatch: expected %s, got %s",
				  diff_id, got);
	return r;
}

int bld_cache_layer_extract_fd(int fd, const char *target, const char *diff_id,
			       struct bld_error **err)
{
	return extract_fd(fd, target, diff_id, NULL, err);
}

int bld_cache_layer_extract_src(bld_cache_lstream_read_fn src, void *payload, const char *target,
				char diff_id[BLD_DIGEST_STR_LEN], int64_t *size,
				struct bld_error **err)
{
	cleanup_close int rootfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bld_error_sys(err, errno, "open %s", target);
	struct bld_cache_lstream *ls = NULL;
	int r = bld_cache_lstream_open_src(&ls, src, payload, err);
	return extract_stream(ls, r, rootfd, diff_id, size, err);
}

void bld_cache_layer_chain_id(const char *parent_chain, const char *diff_id,
			      char out[BLD_DIGEST_STR_LEN])
{
	if (!parent_chain) {
		memcpy(out, diff_id, BLD_DIGEST_STR_LEN);
		return;
	}
	cleanup_free char *s = xasprintf("%s %s", parent_chain, diff_id);
	bld_sha256_digest(s, strlen(s), out);
}

static int unpack_into(struct bld_store *s, const char *tmp, const char *blob_digest,
		       const char *diff_id, int64_t *size, struct bld_error **err)
{
	cleanup_close int fd = bld_cache_blob_open(s, blob_digest, err);
	if (fd < 0)
		return fd;
	cleanup_free char *path = bld_path_join(s->layers, tmp);
	return extract_fd(fd, path, diff_id, size, err);
}

/* Each layer directory in a block group of its own (common/topdir.c says why). */
static void spread_layers(int layers_fd)
{
	int r = bld_fs_mark_topdir(layers_fd);
	if (r < 0)
		bld_debug("layer: layers directory not marked top-level: %s", strerror(-r));
}

char *bld_cache_layer_tmpdir(struct bld_store *s, const char *blob_digest, struct bld_error **err)
{
	spread_layers(s->layers_fd);
	char *tmp = xasprintf(".tmp-%.12s-%d-%08lx", bld_cache_hex(blob_digest), (int)getpid(),
			      (unsigned long)random());
	if (mkdirat(s->layers_fd, tmp, 0755) == 0)
		return tmp;
	bld_error_sys(err, errno, "mkdir %s/%s", s->layers, tmp);
	free(tmp);
	return NULL;
}

/* Moves a complete extraction into place, recorded as unsynced (layer_verify.c says why)
 * and with its size as counted while extracting (unless -1: then imgsize.c walks it once);
 * losing a race to another process is fine. */
static int publish(struct bld_store *s, const char *tmp, const char *hex, int64_t size,
		   struct bld_error **err)
{
	cleanup_close int fd = openat(s->layers_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s/%s", s->layers, tmp);
	if (size >= 0)
		bld_cache_layer_size_record(fd, size);
	bld_cache_layer_mark(fd);
	if (renameat(s->layers_fd, tmp, s->layers_fd, hex) < 0 && errno != EEXIST &&
	    errno != ENOTEMPTY)
		return bld_error_sys(err, errno, "rename layer %s", hex);
	return 0;
}

/* The layer from a feed that extracted it while the blob downloaded; 1 when the feed
 * failed (the caller unpacks from the stored blob instead). */
static int from_feed(struct bld_store *s, struct bld_cache_layer_feed *f, const char *diff_id,
		     const char *hex, struct bld_error **err)
{
	char got[BLD_DIGEST_STR_LEN];
	const char *tmp = NULL;
	int64_t size = -1;
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_layer_feed_wait(f, got, &size, &tmp, &e) < 0) {
		bld_debug("layer %s: unpacking during download failed (%s), again from the blob",
			  hex, e ? e->msg : "?");
		return 1;
	}
	if (strcmp(got, diff_id) != 0)
		return bld_error_set(err, BLD_E_DIGEST, "layer diff id mismatch: expected %s, got %s",
				     diff_id, got);
	bld_debug("layer %.12s: unpacked while it downloaded", hex);
	return publish(s, tmp, hex, size, err);
}

int bld_cache_layer_unpack(struct bld_store *s, const char *blob_digest, const char *diff_id,
			   const char *chain_id, char **dir, struct bld_error **err)
{
	if (!bld_digest_valid(chain_id) || !bld_digest_valid(diff_id))
		return bld_error_set(err, BLD_E_INVALID, "invalid layer id");
	const char *hex = bld_cache_hex(chain_id);
	struct stat st;
	if (fstatat(s->layers_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		if (bld_cache_layer_ensure(s, hex, blob_digest, diff_id, err) < 0)
			return bld_error_wrap(err, "layer %s", blob_digest);
		*dir = bld_path_join(s->layers, hex);
		return 0;
	}
	struct bld_cache_layer_feed *f = bld_cache_layer_feed_take(s, blob_digest);
	int r = f ? from_feed(s, f, diff_id, hex, err) : 1;
	bld_cache_layer_feed_free(f); /* removes what was not renamed */
	if (r == 1) {
		cleanup_free char *tmp = bld_cache_layer_tmpdir(s, blob_digest, err);
		int64_t size = -1;
		r = tmp ? unpack_into(s, tmp, blob_digest, diff_id, &size, err) : -1;
		if (r == 0)
			r = publish(s, tmp, hex, size, err);
		cleanup_free char *tpath = tmp ? bld_path_join(s->layers, tmp) : NULL;
		if (tpath)
			bld_fs_rm_rf(tpath, NULL); /* gone after a rename; else failed or lost the race */
	}
	if (r < 0)
		return bld_error_wrap(err, "unpack layer %s", blob_digest);
	*dir = bld_path_join(s->layers, hex);
	return 0;
}
