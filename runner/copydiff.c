/*
 * runner/copydiff.c — what a container changed in its copied root (where no overlay could be
 * mounted, copyroot.c), as `bld diff` and `bld commit` need it: the copy compared with the
 * image it was copied from (imgview.c), as docker compares a vfs container's root with its
 * image, and the difference written as an overlayfs upper directory would hold it, so that
 * changes.c reads it as any container's: added and changed entries (hard links to the
 * copy's; directories made with its owner, mode and times), the directories above them,
 * whiteouts (0/0 character devices, else empty files marked user.overlay.whiteout) for what
 * the image has and the copy no longer does, and directories that replaced another entry
 * marked opaque: another kind of entry, or a directory removed and made again (born after
 * the copy was complete, where the file system keeps birth times).
 *
 * An entry changed when docker's statDifferent says so (mode, owner, device, size, mtime;
 * for a directory mode and owner): the copy keeps these as the layers have them; so does a
 * file with more than one name, which only the container can have made there. A file
 * rewritten with its size and mtime set back is not seen, as docker does not see it either.
 * The copy is walked through directory descriptors, never following a symlink.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define CD_ENTRIES_MAX 10000000
#define CD_DEPTH_MAX 1024

struct cdiff {
	int root; /* the copied root */
	int up;   /* the upper directory written */
	char *const *lowers;
	int64_t since_ns; /* when the copy was complete (0: unknown) */
	struct bld_error **err;
};

/* Whether directory name of dfd was made after the copy: one the container removed and made
 * again (overlayfs then marks it opaque), where the birth time is known. */
static bool made_anew(const struct cdiff *c, int dfd, const char *name)
{
	struct statx sx;
	if (!c->since_ns || statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) < 0 ||
	    !(sx.stx_mask & STATX_BTIME))
		return false;
	return (int64_t)sx.stx_btime.tv_sec * 1000000000LL + sx.stx_btime.tv_nsec > c->since_ns;
}

/* Directory rel of upper like the copy's (st); opaque when it replaced another entry. */
static int up_dir(struct cdiff *c, const char *rel, const struct stat *st, bool opaque)
{
	if (mkdirat(c->up, rel, 0700) < 0 && errno != EEXIST)
		return bld_error_sys(c->err, errno, "mkdir %s in upper", rel);
	cleanup_close int fd = openat(c->up, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
		return bld_error_sys(c->err, errno, "owner and mode of /%s in upper", rel);
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	futimens(fd, ts);
	int r = opaque ? bld_cache_opaque_mark(fd) : 0;
	return r < 0 ? bld_error_sys(c->err, -r, "mark /%s opaque", rel) : 0;
}

/* Directory p of upper, made like the copy's when it is not there yet. */
static int parent_dir(struct cdiff *c, const char *p)
{
	struct stat st;
	if (fstatat(c->up, p, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	cleanup_close int fd = bld_fs_open_in_root(c->root, p, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return bld_error_sys(c->err, -fd, "open /%s", p);
	if (fstat(fd, &st) < 0)
		return bld_error_sys(c->err, errno, "stat /%s", p);
	return up_dir(c, p, &st, false);
}

/* The directories above rel in upper. */
static int parents(struct cdiff *c, const char *rel)
{
	cleanup_free char *p = xstrdup(rel);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		int r = parent_dir(c, p);
		*s = '/';
		if (r < 0)
			return -1;
	}
	return 0;
}

/* An added, changed or replaced entry name of the copy's directory dfd (rel) into upper. */
static int take(struct cdiff *c, int dfd, const char *name, const char *rel,
		const struct stat *st, bool opaque)
{
	if (parents(c, rel) < 0)
		return -1;
	if (S_ISDIR(st->st_mode))
		return up_dir(c, rel, st, opaque);
	const char *slash = strrchr(rel, '/');
	cleanup_free char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup(".");
	cleanup_close int ufd = openat(c->up, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0 || linkat(dfd, name, ufd, name, 0) < 0)
		return bld_error_sys(c->err, errno, "link /%s into upper", rel);
	return 0;
}

/* What the image has at rel and the copy no longer does: a whiteout, as overlayfs makes. */
static int whiteout(struct cdiff *c, const char *rel)
{
	if (parents(c, rel) < 0)
		return -1;
	int r = bld_cache_whiteout_make(c->up, rel);
	return r < 0 ? bld_error_sys(c->err, -r, "whiteout /%s in upper", rel) : 0;
}

static int walk(struct cdiff *c, int fd, const char *rel, bool added, int depth);

/* Whether the copy's non-directory name in dfd differs from the image's (old, in layer li). */
static bool entry_changed(const struct cdiff *c, int li, const struct stat *old,
			  const struct stat *st, int dfd, const char *name, const char *rel)
{
	/* the copy has no hard links of the layers' (copyroot.c): the container made this one,
	 * and overlayfs would have copied up each of its names */
	if (bld_runner_img_stat_different(old, st) || st->st_nlink > 1)
		return true;
	if (!S_ISLNK(st->st_mode))
		return false;
	char t1[4096], t2[4096];
	cleanup_free char *p = bld_path_join(c->lowers[li], rel);
	ssize_t n1 = readlink(p, t1, sizeof(t1));
	ssize_t n2 = readlinkat(dfd, name, t2, sizeof(t2));
	return n1 != n2 || n1 < 0 || memcmp(t1, t2, (size_t)n1) != 0;
}

/* Entry name of the copy's directory dfd, at rel. */
static int one(struct cdiff *c, int dfd, const char *name, const char *rel, bool added,
	       int depth)
{
	struct stat st, old = {0};
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_sys(c->err, errno, "stat /%s", rel);
	int li = added ? -1 : bld_runner_img_stat(c->lowers, rel, &old);
	bool there = li >= 0;
	bool dir = S_ISDIR(st.st_mode);
	bool replaced = there && ((old.st_mode & S_IFMT) != (st.st_mode & S_IFMT) ||
				  (dir && made_anew(c, dfd, name)));
	if ((!there || replaced) && take(c, dfd, name, rel, &st, replaced && dir) < 0)
		return -1;
	if (!dir)
		return there && !replaced && entry_changed(c, li, &old, &st, dfd, name, rel)
			   ? take(c, dfd, name, rel, &st, false)
			   : 0;
	cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return bld_error_sys(c->err, errno, "open /%s", rel);
	if (walk(c, sub, rel, !there || replaced, depth + 1) < 0)
		return -1;
	struct stat us;
	bool in_up = fstatat(c->up, rel, &us, AT_SYMLINK_NOFOLLOW) == 0;
	/* a changed directory, or one that now holds changes: its own metadata (and times,
	 * which its entries moved) as the copy has them */
	if (in_up || bld_runner_img_stat_different(&old, &st))
		return parents(c, rel) < 0 ? -1 : up_dir(c, rel, &st, replaced);
	return 0;
}

/* Directory fd of the copy, at rel ("" the root): its entries, then what it lost. */
static int walk(struct cdiff *c, int fd, const char *rel, bool added, int depth)
{
	if (depth > CD_DEPTH_MAX)
		return bld_error_set(c->err, BLD_E_INVALID, "/%s: directories nested too deep", rel);
	cleanup_strv char **names = NULL;
	int r = bld_fs_sorted_names(fd, CD_ENTRIES_MAX, &names);
	if (r < 0)
		return bld_error_sys(c->err, -r, "read directory /%s", rel);
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_free char *sub = *rel ? bld_path_join(rel, names[i]) : xstrdup(names[i]);
		if (one(c, fd, names[i], sub, added, depth) < 0)
			return -1;
	}
	if (added)
		return 0;
	cleanup_strv char **old = bld_runner_img_names(c->lowers, rel);
	for (size_t i = 0; old && old[i]; i++) {
		cleanup_free char *sub = *rel ? bld_path_join(rel, old[i]) : xstrdup(old[i]);
		if (!bld_strv_has(names, old[i]) && whiteout(c, sub) < 0)
			return -1;
	}
	return 0;
}

int bld_runner_copy_diff(const char *root, char *const *lowers, const char *upper,
			 struct bld_error **err)
{
	cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || ufd < 0)
		return bld_error_sys(err, errno, "open %s", rfd < 0 ? root : upper);
	struct cdiff c = {.root = rfd, .up = ufd, .lowers = lowers, .err = err};
	cleanup_free char *done = xasprintf("%s.complete", root); /* copyroot.c's marker */
	struct stat st;
	if (stat(done, &st) == 0)
		c.since_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return walk(&c, rfd, "", false, 0);
}
