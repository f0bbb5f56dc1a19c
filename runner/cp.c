/*
 * runner/cp.c — `bld cp`: files and directories copied between a container (created,
 * running or exited) and the host, or streamed as a tar to stdout and from stdin, with
 * docker's path rules (bld_runner_cp_plan) and ownership (0:0 in the container and the
 * invoking user's on the host, unless -a keeps the source's).
 *
 * The container's file system is reached through one directory descriptor of its root: a
 * running container's /proc/PID/root (its own mount tree: volumes and all), or, for one that
 * is not running, the overlay of its layers and upper directory mounted (with its volumes)
 * in the private mount namespace of a helper child, which passes the descriptor back and
 * keeps the namespace alive until the copy is done. Writes into a stopped container so land
 * in its upper directory and show at its next start.
 *
 * Confinement: every path the user names inside the container is resolved with
 * bld_fs_open_in_root (symlinks and ".." cannot leave the root). Below that, the copy never
 * resolves a path: a tree is walked with openat(O_NOFOLLOW) one name at a time, entries are
 * created with *at calls that never follow a final symlink (O_CREAT|O_EXCL, mkdirat,
 * symlinkat, fchownat/fchmodat/utimensat with AT_SYMLINK_NOFOLLOW), files are read only
 * after an O_PATH open proved them regular, and a tar entry's parents are walked one
 * directory at a time, refusing symlinks. So a symlink in the container (or in a tar, or
 * swapped in by a running container while the copy runs) can never lead the copy to the
 * host's files, and nothing lands outside the destination.
 *
 * Files with several links inside the copy stay linked; a symlink at the end of DEST_PATH is
 * followed (docker overwrites its target). Files of /proc, /sys and the other kernel file
 * systems are not copied.
 *
 * Of the xattrs only security.capability travels, as in docker's copies. Not done: tmpfs
 * mounts of a stopped container are not mounted (docker cannot copy there either).
 *
 * `bld export` streams the same way the container's root file system alone, without what
 * is mounted into it: for a stopped container the helper mounts no volumes, and for a
 * running one a helper that joins its mount namespace clones its root mount without the
 * mounts beneath (open_tree, not recursive) and passes that back.
 */
#include "runner/runner_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define CP_DEPTH_MAX 1024
#define CP_DIR_ENTRIES_MAX 10000000
#define CP_DIRTIMES_MAX 1000000
#define CP_BUF_SIZE 131072
#define CP_LINKS_MAX 100000   /* hard-linked files remembered; beyond, copies */
#define CP_SYMLINKS_MAX 10    /* symlinks followed at DEST_PATH, as docker */
#define CP_CAPS_XATTR "security.capability" /* the one xattr docker's copies carry */
#define CP_CAPS_MAX 64
#define CP_MQUEUE_MAGIC 0x19800202 /* not in linux/magic.h */
#define CP_OPEN_TREE_CLONE 1       /* linux/mount.h's, which clashes with sys/mount.h */

/* ================================================================= docker's rules */

/* "." or ending in "/." (trailing slashes aside): a directory's contents, not itself. */
static bool current_dir(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return (n == 1 && p[0] == '.') || (n >= 2 && p[n - 1] == '.' && p[n - 2] == '/');
}

static bool asserts_dir(const char *p) { return bld_str_has_suffix(p, "/") || current_dir(p); }

/* The directory and last element of a path as docker splits it ("a/b/." -> "a/b", "."). */
static void split_entry(const char *path, char **dir, char **base)
{
	cleanup_free char *clean = bld_path_clean(*path ? path : ".");
	if (current_dir(path) && strcmp(clean, ".") != 0) {
		char *t = xasprintf("%s/.", strcmp(clean, "/") == 0 ? "" : clean);
		free(clean);
		clean = t;
	}
	char *slash = strrchr(clean, '/');
	if (!slash) {
		*dir = xstrdup(".");
		*base = xstrdup(clean);
	} else if (slash == clean) {
		*dir = xstrdup("/");
		*base = xstrdup(slash[1] ? slash + 1 : ".");
	} else {
		*dir = xstrndup(clean, (size_t)(slash - clean));
		*base = xstrdup(slash + 1);
	}
}

void bld_runner_cp_plan_dispose(struct bld_runner_cp_plan *p)
{
	free(p->dir);
	free(p->name);
	p->dir = p->name = NULL;
}

int bld_runner_cp_plan(struct bld_runner_cp_plan *out, const char *src, bool src_dir,
		       const char *dst, enum bld_runner_cp_dst dst_kind, struct bld_error **err)
{
	cleanup_free char *sdir = NULL, *sbase = NULL, *ddir = NULL, *dbase = NULL;
	split_entry(src, &sdir, &sbase);
	split_entry(dst, &ddir, &dbase);
	memset(out, 0, sizeof(*out));
	if (dst_kind == BLD_RUNNER_CP_DST_DIR) {
		/* into the directory: under the source's own name, or its contents ("/.") */
		out->dir = bld_path_clean(dst);
		out->name = xstrdup(src_dir && current_dir(src) ? "." : sbase);
		return 0;
	}
	if (dst_kind == BLD_RUNNER_CP_DST_FILE && src_dir)
		return bld_error_refuse(err, BLD_E_INVALID, "cannot copy directory");
	if (dst_kind == BLD_RUNNER_CP_DST_NONE && !src_dir && asserts_dir(dst))
		return bld_error_refuse(err, BLD_E_NOTFOUND, "no such directory");
	/* a file over a file, or a new file or directory: the destination's name */
	out->dir = steal_pointer(&ddir);
	out->name = steal_pointer(&dbase);
	return 0;
}

/* ================================================================= the sink */

struct cp_dirtime {
	char *rel;
	struct timespec ts[2];
};

struct cp_link {
	dev_t dev;
	ino_t ino;
	char *path;
};

/* Where entries go: beneath a directory (confined to it), or into a tar stream. */
struct cp_sink {
	int dir;           /* O_PATH; -1 for a tar sink */
	const char *shown; /* the directory as the user knows it, for messages */
	bool keep_owner;   /* -a: the entries' owners, else uid:gid */
	uid_t uid;
	gid_t gid;
	char *cache_rel; /* the parent directory opened last, and its descriptor */
	int cache_fd;
	struct cp_dirtime *dirs; /* directories whose times are set when all is written */
	size_t ndirs, capdirs;
	struct bld_cache_tar_writer *tar;
	struct cp_link *links; /* the tree's files with more than one link, by first path */
	size_t nlinks, caplinks;
	char *buf;
	int64_t data;  /* file data copied */
	int64_t bytes; /* the size of the copy as a tar (docker reports that) */
};

/* Where an entry's data comes from: a regular file of a tree, or the current tar entry. */
struct cp_data {
	int fd;
	struct bld_cache_tar_reader *tar;
};

static void sink_init(struct cp_sink *s, int dir, const char *shown)
{
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->shown = shown;
	s->cache_fd = -1;
	s->buf = xmalloc(CP_BUF_SIZE);
}

static void sink_dispose(struct cp_sink *s)
{
	free(s->cache_rel);
	if (s->cache_fd >= 0)
		close(s->cache_fd);
	for (size_t i = 0; i < s->ndirs; i++)
		free(s->dirs[i].rel);
	free(s->dirs);
	for (size_t i = 0; i < s->nlinks; i++)
		free(s->links[i].path);
	free(s->links);
	free(s->buf);
	bld_cache_tar_writer_free(s->tar);
}

static ssize_t data_read(struct cp_data *d, void *buf, size_t n, struct bld_error **err)
{
	if (d->tar)
		return bld_cache_tar_reader_read(d->tar, buf, n, err);
	for (;;) {
		ssize_t k = read(d->fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		return k < 0 ? bld_error_sys(err, errno, "read") : k;
	}
}

/* The entry's path cleaned, relative to the sink ("" for the sink's directory itself), or
 * NULL when it would leave it. */
static char *confine(const char *path)
{
	while (*path == '/')
		path++;
	char *c = bld_path_clean(*path ? path : ".");
	if (strcmp(c, "..") == 0 || bld_str_has_prefix(c, "../")) {
		free(c);
		return NULL;
	}
	if (strcmp(c, ".") == 0)
		c[0] = '\0';
	return c;
}

/* One step down from directory fd to its directory `name` (made when missing and create);
 * never through a symlink. An O_PATH descriptor or -errno. */
static int step_down(int fd, const char *name, bool create, bool *made)
{
	int next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (next < 0 && errno == ENOENT && create) {
		if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST)
			return -errno;
		*made = true;
		next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (next < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	return next;
}

/* The directory rel (cleaned, relative; "" is the sink's) below the sink, walked one name at
 * a time and made when missing (create). Borrowed: the sink keeps the last one. -errno. */
static int open_parent(struct cp_sink *s, const char *rel, bool create)
{
	if (s->cache_rel && strcmp(s->cache_rel, rel) == 0)
		return s->cache_fd;
	int fd = dup(s->dir);
	if (fd < 0)
		return -errno;
	cleanup_free char *copy = xstrdup(rel);
	for (char *p = copy; *p && fd >= 0;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		bool made = false;
		int next = step_down(fd, p, create, &made);
		if (next >= 0 && made && fchownat(fd, p, s->uid, s->gid, AT_SYMLINK_NOFOLLOW) < 0)
			bld_debug("cp: %s not chowned: %s", p, strerror(errno));
		close(fd);
		fd = next;
		p = slash ? slash + 1 : p + strlen(p);
	}
	if (fd < 0)
		return fd;
	free(s->cache_rel);
	if (s->cache_fd >= 0)
		close(s->cache_fd);
	s->cache_rel = xstrdup(rel);
	s->cache_fd = fd;
	return fd;
}

static void defer_times(struct cp_sink *s, const char *rel, const struct bld_cache_tar_entry *e)
{
	if (s->ndirs >= CP_DIRTIMES_MAX)
		return;
	if (s->ndirs == s->capdirs) {
		s->capdirs = s->capdirs ? 2 * s->capdirs : 64;
		s->dirs = xrealloc(s->dirs, s->capdirs * sizeof(*s->dirs));
	}
	struct cp_dirtime *d = &s->dirs[s->ndirs++];
	d->rel = xstrdup(rel);
	d->ts[0].tv_sec = d->ts[1].tv_sec = (time_t)e->mtime_sec;
	d->ts[0].tv_nsec = d->ts[1].tv_nsec = e->mtime_nsec;
}

/* rel's parent and last name ("a/b/c" -> "a/b", "c"; "c" -> "", "c"). */
static void split_rel(const char *rel, char **parent, const char **base)
{
	const char *slash = strrchr(rel, '/');
	*parent = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	*base = slash ? slash + 1 : rel;
}

/* A file to a file in the kernel; 1 when it cannot (then nothing was copied). */
static int send_file(struct cp_sink *s, int fd, int in, struct bld_error **err)
{
	for (bool first = true;; first = false) {
		ssize_t k = sendfile(fd, in, NULL, (size_t)1 << 30);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && first && (errno == EINVAL || errno == ENOSYS))
			return 1;
		if (k < 0)
			return bld_error_sys(err, errno, "copy");
		if (k == 0)
			return 0;
		s->data += k;
	}
}

static int copy_data(struct cp_sink *s, int fd, struct cp_data *d, struct bld_error **err)
{
	int r = d->tar ? 1 : send_file(s, fd, d->fd, err);
	if (r <= 0)
		return r;
	for (;;) {
		ssize_t k = data_read(d, s->buf, CP_BUF_SIZE, err);
		if (k <= 0)
			return (int)k;
		r = bld_fs_write_all(fd, s->buf, (size_t)k);
		if (r < 0)
			return bld_error_sys(err, -r, "write");
		s->data += k;
	}
}

static int put_file(struct cp_sink *s, int pfd, const char *base,
		    const struct bld_cache_tar_entry *e, struct cp_data *d, struct bld_error **err)
{
	cleanup_close int fd =
		openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return bld_error_sys(err, errno, "create");
	if (copy_data(s, fd, d, err) < 0)
		return -1;
	uid_t uid = s->keep_owner ? e->uid : s->uid;
	gid_t gid = s->keep_owner ? e->gid : s->gid;
	/* the owner first: chown clears setuid bits and capabilities */
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, e->mode & 07777) < 0)
		return bld_error_sys(err, errno, "set owner and mode");
	if (e->caps && fsetxattr(fd, CP_CAPS_XATTR, e->caps, e->caps_len, 0) < 0 &&
	    errno != ENOTSUP)
		return bld_error_sys(err, errno, "set capabilities");
	struct timespec ts[2] = {{(time_t)e->mtime_sec, e->mtime_nsec},
				 {(time_t)e->mtime_sec, e->mtime_nsec}};
	futimens(fd, ts);
	return 0;
}

/* A hard link in a tar: to an earlier entry, which must be inside the sink too. */
static int put_hardlink(struct cp_sink *s, int pfd, const char *base,
			const struct bld_cache_tar_entry *e, struct bld_error **err)
{
	cleanup_free char *target = confine(e->hardlink);
	if (!target || !*target)
		return bld_error_refuse(err, BLD_E_INVALID, "invalid hardlink \"%s\" -> \"%s\"",
					e->path, e->hardlink);
	cleanup_free char *tparent = NULL;
	const char *tbase;
	split_rel(target, &tparent, &tbase);
	/* pfd is the sink's cached descriptor: the target's parent needs one of its own */
	cleanup_close int own = dup(pfd);
	int tfd = open_parent(s, tparent, false);
	if (tfd < 0 || own < 0)
		return bld_error_sys(err, tfd < 0 ? -tfd : errno, "link target %s", e->hardlink);
	if (linkat(tfd, tbase, own, base, 0) < 0)
		return bld_error_sys(err, errno, "link to %s", e->hardlink);
	return 0;
}

/* The entry itself, of whatever type, at pfd/base (nothing is there now). */
static int put_new(struct cp_sink *s, int pfd, const char *base,
		   const struct bld_cache_tar_entry *e, struct cp_data *d, struct bld_error **err)
{
	mode_t type = e->mode & S_IFMT;
	if (e->hardlink)
		return put_hardlink(s, pfd, base, e, err);
	if (type == S_IFREG)
		return put_file(s, pfd, base, e, d, err);
	int r = 0;
	if (type == S_IFDIR)
		r = mkdirat(pfd, base, 0700);
	else if (type == S_IFLNK)
		r = symlinkat(e->symlink, pfd, base);
	else if (type == S_IFCHR || type == S_IFBLK || type == S_IFIFO)
		r = mknodat(pfd, base, type | 0600, e->rdev);
	else
		return 0; /* sockets do not travel */
	return r < 0 ? bld_error_sys(err, errno, "create") : 0;
}

/* Owner, mode and (for all but directories, whose times are set last) times of pfd/base. */
static int put_meta(struct cp_sink *s, int pfd, const char *base, const char *rel,
		    const struct bld_cache_tar_entry *e, struct bld_error **err)
{
	mode_t type = e->mode & S_IFMT;
	if (type == S_IFREG && !e->hardlink)
		return 0; /* done through its descriptor */
	uid_t uid = s->keep_owner ? e->uid : s->uid;
	gid_t gid = s->keep_owner ? e->gid : s->gid;
	if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_sys(err, errno, "set owner");
	if (type != S_IFLNK && !e->hardlink &&
	    fchmodat(pfd, base, e->mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_sys(err, errno, "set mode");
	if (type == S_IFDIR) {
		defer_times(s, rel, e);
		return 0;
	}
	struct timespec ts[2] = {{(time_t)e->mtime_sec, e->mtime_nsec},
				 {(time_t)e->mtime_sec, e->mtime_nsec}};
	utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* docker's rules for what is already there: a directory and a non-directory never replace
 * each other; a non-directory replaces a non-directory; directories merge. 1: exists (a
 * directory kept), 0: free now. */
static int make_room(int pfd, const char *base, const char *shown, const char *dest,
		     const struct bld_cache_tar_entry *e, struct bld_error **err)
{
	struct stat old;
	if (fstatat(pfd, base, &old, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : bld_error_sys(err, errno, "%s", shown);
	bool dir = S_ISDIR(e->mode) && !e->hardlink;
	if (S_ISDIR(old.st_mode) && !dir)
		return bld_error_refuse(err, BLD_E_EXISTS,
					"cannot overwrite directory \"%s\" with "
					"non-directory \"%s\"",
					shown, dest);
	if (!S_ISDIR(old.st_mode) && dir)
		return bld_error_refuse(err, BLD_E_EXISTS,
					"cannot overwrite non-directory \"%s\" with "
					"directory \"%s\"",
					shown, dest);
	if (dir)
		return 1;
	if (unlinkat(pfd, base, 0) < 0)
		return bld_error_sys(err, errno, "replace %s", shown);
	return 0;
}

static int dir_put(struct cp_sink *s, const struct bld_cache_tar_entry *e, struct cp_data *d,
		   struct bld_error **err)
{
	cleanup_free char *rel = confine(e->path);
	if (!rel)
		return bld_error_refuse(err, BLD_E_INVALID, "\"%s\" is outside of \"%s\"", e->path,
					s->shown);
	if (!*rel && S_ISDIR(e->mode))
		return 0; /* the destination itself keeps its metadata */
	cleanup_free char *shown = bld_path_join(s->shown, rel);
	if (!*rel)
		return bld_error_refuse(err, BLD_E_EXISTS,
					"cannot overwrite directory \"%s\" with "
					"non-directory \"%s\"",
					shown, s->shown);
	cleanup_free char *parent = NULL;
	const char *base;
	split_rel(rel, &parent, &base);
	int pfd = open_parent(s, parent, true);
	if (pfd < 0)
		return pfd == -ENOTDIR ? bld_error_refuse(err, BLD_E_INVALID,
							  "%s: a parent is not a directory", shown)
				       : bld_error_sys(err, -pfd, "%s", shown);
	int r = make_room(pfd, base, shown, s->shown, e, err);
	if (r == 0)
		r = put_new(s, pfd, base, e, d, err);
	if (r >= 0)
		r = put_meta(s, pfd, base, rel, e, err);
	return r < 0 ? bld_error_wrap(err, "%s", shown) : 0;
}

static int tar_put(struct cp_sink *s, const struct bld_cache_tar_entry *e, struct cp_data *d,
		   struct bld_error **err)
{
	if (bld_cache_tar_writer_add(s->tar, e, err) < 0)
		return -1;
	if (!S_ISREG(e->mode) || e->hardlink)
		return 0;
	for (int64_t left = e->size; left > 0;) {
		size_t want = left < CP_BUF_SIZE ? (size_t)left : CP_BUF_SIZE;
		ssize_t k = data_read(d, s->buf, want, err);
		if (k < 0)
			return -1;
		if (k == 0)
			break; /* shrank: the writer pads */
		if (bld_cache_tar_writer_data(s->tar, s->buf, (size_t)k, err) < 0)
			return -1;
		left -= k;
		s->data += k;
	}
	return 0;
}

static int sink_put(struct cp_sink *s, const struct bld_cache_tar_entry *e, struct cp_data *d,
		    struct bld_error **err)
{
	int64_t before = s->data;
	int r = s->tar ? tar_put(s, e, d, err) : dir_put(s, e, d, err);
	/* a header, and the data in whole blocks */
	s->bytes += 512 + (s->data - before + 511) / 512 * 512;
	return r;
}

/* Directory times, now that nothing more is written into them; the tar's end. */
static void sink_finish(struct cp_sink *s)
{
	s->bytes += 1024;
	for (size_t i = s->ndirs; i-- > 0;) {
		cleanup_free char *parent = NULL;
		const char *base;
		split_rel(s->dirs[i].rel, &parent, &base);
		int pfd = open_parent(s, parent, false);
		if (pfd >= 0)
			utimensat(pfd, base, s->dirs[i].ts, AT_SYMLINK_NOFOLLOW);
	}
}

/* ================================================================= the sources */

static int sorted_names(int fd, char ***out)
{
	return bld_fs_sorted_names(fd, CP_DIR_ENTRIES_MAX, out);
}

/* A regular file's O_PATH descriptor opened again for reading: the same inode, never a
 * device or fifo swapped in since it was looked at. */
static int reopen_read(int fd)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return open(p, O_RDONLY | O_NOCTTY | O_CLOEXEC);
}

static int walk(struct cp_sink *s, int fd, const char *path, int depth, struct bld_error **err);

/* The path a file with several links was first copied as (then it becomes a hard link to
 * it), or NULL (remembered now). */
static const char *seen_link(struct cp_sink *s, const struct stat *st, const char *path)
{
	for (size_t i = 0; i < s->nlinks; i++)
		if (s->links[i].dev == st->st_dev && s->links[i].ino == st->st_ino)
			return s->links[i].path;
	if (s->nlinks >= CP_LINKS_MAX)
		return NULL;
	if (s->nlinks == s->caplinks) {
		s->caplinks = s->caplinks ? 2 * s->caplinks : 16;
		s->links = xrealloc(s->links, s->caplinks * sizeof(*s->links));
	}
	s->links[s->nlinks++] = (struct cp_link){st->st_dev, st->st_ino, xstrdup(path)};
	return NULL;
}

/* The kernel's own file systems of a running container (/proc, /sys, /dev/pts ...): their
 * files are no files to copy (reading /proc/kmsg never ends), as docker does not copy them. */
static bool kernel_fs(int fd)
{
	static const long types[] = {PROC_SUPER_MAGIC, SYSFS_MAGIC,	 DEVPTS_SUPER_MAGIC,
				     CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, CP_MQUEUE_MAGIC,
				     DEBUGFS_MAGIC,	 SECURITYFS_MAGIC,	 BPF_FS_MAGIC,
				     TRACEFS_MAGIC};
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return false;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(types); i++)
		if ((long)sf.f_type == types[i])
			return true;
	return false;
}

static int walk_children(struct cp_sink *s, int fd, const char *path, int depth,
			 struct bld_error **err)
{
	cleanup_strv char **names = NULL;
	int r = sorted_names(fd, &names);
	if (r < 0)
		return bld_error_sys(err, -r, "read directory %s", path);
	for (size_t i = 0; r == 0 && names && names[i]; i++) {
		cleanup_close int c = openat(fd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (c < 0 && errno == ENOENT)
			continue; /* gone meanwhile */
		cleanup_free char *child =
			*path ? xasprintf("%s/%s", path, names[i]) : xstrdup(names[i]);
		if (c < 0)
			return bld_error_sys(err, errno, "open %s", child);
		r = walk(s, c, child, depth + 1, err);
	}
	return r;
}

/* Emits the entry fd (an O_PATH descriptor, maybe of a symlink) as path, then a directory's
 * children. */
static int walk(struct cp_sink *s, int fd, const char *path, int depth, struct bld_error **err)
{
	if (depth > CP_DEPTH_MAX)
		return bld_error_set(err, BLD_E_INVALID, "%s: directories nested too deep", path);
	struct stat st;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_sys(err, errno, "stat %s", path);
	if (S_ISSOCK(st.st_mode))
		return 0;
	struct bld_cache_tar_entry e = {
		.path = path, .mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid,
		.size = S_ISREG(st.st_mode) ? st.st_size : 0, .mtime_sec = st.st_mtim.tv_sec,
		.mtime_nsec = st.st_mtim.tv_nsec, .rdev = st.st_rdev,
	};
	char target[4096];
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return bld_error_sys(err, errno, "readlink %s", path);
		target[n] = '\0';
		e.symlink = target;
	}
	bool special = (S_ISDIR(st.st_mode) || depth == 0) && kernel_fs(fd);
	if (special && !S_ISDIR(st.st_mode))
		return bld_error_refuse(err, BLD_E_UNSUPPORTED,
					"%s: a file of the kernel (/proc, /sys) is not copied",
					path);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (e.hardlink = seen_link(s, &st, path)))
		e.size = 0;
	struct cp_data d = {.fd = -1};
	if (S_ISREG(st.st_mode) && !e.hardlink && (d.fd = reopen_read(fd)) < 0)
		return bld_error_sys(err, errno, "open %s", path);
	char caps[CP_CAPS_MAX];
	ssize_t nc = d.fd >= 0 ? fgetxattr(d.fd, CP_CAPS_XATTR, caps, sizeof(caps)) : -1;
	if (nc > 0) {
		e.caps = caps;
		e.caps_len = (size_t)nc;
	}
	int r = sink_put(s, &e, &d, err);
	if (d.fd >= 0)
		close(d.fd);
	if (r < 0 || !S_ISDIR(st.st_mode) || special)
		return r;
	return walk_children(s, fd, path, depth, err);
}

static int tar_source(struct cp_sink *s, int fd, struct bld_error **err)
{
	struct bld_cache_tar_reader *tr = NULL;
	if (bld_cache_tar_reader_new(&tr, fd, err) < 0)
		return -1;
	struct cp_data d = {.fd = -1, .tar = tr};
	struct bld_cache_tar_entry e;
	int r;
	while ((r = bld_cache_tar_reader_next(tr, &e, err)) == 1)
		if ((r = sink_put(s, &e, &d, err)) < 0)
			break;
	bld_cache_tar_reader_free(tr);
	return r;
}

/* ================================================================= the container */

/* How a container's file system is reached. */
enum ctr_view {
	VIEW_READ,   /* as it runs: its volumes and bind mounts included */
	VIEW_WRITE,  /* the same, to write into (a --read-only root stays read-only) */
	VIEW_ROOTFS, /* its root file system alone: layers and changes, nothing mounted in */
};

struct cp_ctr {
	json_t *cfg;
	const char *ref; /* as the user named it */
	int root;        /* O_PATH descriptor of its root directory */
	pid_t helper;    /* the child that mounted (and, not running, holds) the root */
	int sock;        /* to the helper: closing it ends the helper */
};

struct helper_msg {
	int errnum;
	char what[200];
};

static void helper_send(int sock, int fd, int errnum, const char *what)
{
	struct helper_msg m = {.errnum = errnum};
	snprintf(m.what, sizeof(m.what), "%s", what);
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	char ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* The container's volumes and bind mounts (not its tmpfs), as it has them when it runs. */
static int helper_mounts(int root, struct bld_runner_spec *s, const char **failed)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		struct bld_runner_mount m = s->mounts[i];
		if (strcmp(m.type, "bind") != 0)
			continue;
		m.copy_up = false; /* that is the container's start's to do */
		int r = bld_runner_mount_user(root, &m, failed);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The helper: the root mounted in a mount namespace of its own, its descriptor sent to the
 * parent, then alive until the parent closes the socket. */
static _Noreturn void helper_main(int sock, struct bld_runner_spec *s, const char *merged,
				  bool readonly, bool mounts)
{
	const char *what = "unshare the mount namespace";
	const char *failed = "";
	int r = unshare(CLONE_NEWNS) < 0 ? -errno : 0;
	/* our mounts never propagate to the host */
	if (r == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		r = -errno;
		what = "make mounts private";
	}
	if (r == 0 && (r = bld_runner_mount_root(s, merged)) < 0)
		what = "mount the container's root";
	int root = r == 0 ? open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (r == 0 && root < 0)
		r = -errno;
	if (r == 0 && mounts && (r = helper_mounts(root, s, &failed)) < 0)
		what = failed;
	/* --read-only: the kernel refuses what a symlink might steer past the path check */
	if (r == 0 && readonly &&
	    mount(NULL, merged, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
		r = -errno;
		what = "make the root read-only";
	}
	helper_send(sock, r == 0 ? root : -1, -r, what);
	char c;
	while (read(sock, &c, 1) > 0 || errno == EINTR)
		;
	_exit(0);
}

static int helper_recv(int sock, int *fd, struct bld_error **err)
{
	struct helper_msg m = {0};
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(m))
		return bld_error_set(err, BLD_E_INTERNAL, "the mount helper died");
	if (m.errnum)
		return bld_error_sys(err, m.errnum, "%s", m.what);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return bld_error_set(err, BLD_E_INTERNAL, "the mount helper sent no descriptor");
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

int bld_runner_cp_mount_exec(int argc, char **argv)
{
	/* bld __cp-mount ID FLAGS, from open_stopped: fd 3 is the socket; FLAGS "r" for a
	 * read-only root, "m" for its mounts, "-" for neither */
	if (argc != 4 || fcntl(3, F_GETFD) < 0)
		return 125;
	struct bld_ctx ctx;
	cleanup_error struct bld_error *e = NULL;
	cleanup_json json_t *cfg = NULL;
	if (bld_ctx_init(&ctx, &e) < 0 || bld_runner_container_load(&ctx, argv[2], &cfg, NULL, &e) < 0) {
		helper_send(3, -1, EINVAL, e ? e->msg : "load the container");
		return 1;
	}
	cleanup_free char *dir = bld_runner_container_dir(&ctx, argv[2]);
	struct bld_runner_spec_holder h;
	bld_runner_spec_from_config(&h, cfg, dir);
	/* what is copied in stays for the start; a volatile mount would forbid the next one */
	h.s.ephemeral = false;
	cleanup_free char *merged = xasprintf("%s/merged", dir);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	helper_main(3, &h.s, merged, strchr(argv[3], 'r'), strchr(argv[3], 'm'));
}

/* A container that is not running: its root mounted by a helper, `bld __cp-mount`, spawned
 * rather than forked (a threaded caller, the Engine API service, cannot fork one that
 * allocates), which holds it until the socket closes. */
static int open_stopped(struct bld_ctx *ctx, struct cp_ctr *c, const char *id,
			enum ctr_view view, struct bld_error **err)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	static const char *const sub[] = {"upper", "work", "merged"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(sub); i++) {
		cleanup_free char *d = xasprintf("%s/%s", dir, sub[i]);
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			return bld_error_sys(err, errno, "mkdir %s", d);
	}
	bool ro = json_is_true(json_object_get(json_object_get(c->cfg, "HostConfig"),
					       "ReadonlyRootfs"));
	char flags[4] = "-";
	size_t n = 0;
	if (view == VIEW_WRITE && ro)
		flags[n++] = 'r';
	if (view != VIEW_ROOTFS)
		flags[n++] = 'm';
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return bld_error_sys(err, errno, "socketpair");
	const char *args[] = {"__cp-mount", id, flags, NULL};
	int fds[4] = {-1, -1, 2, sv[1]};
	pid_t pid;
	int r = bld_runner_selfexe_spawn(&pid, args, fds, 4, false, err);
	close(sv[1]);
	c->sock = sv[0];
	if (r < 0)
		return -1;
	c->helper = pid;
	return helper_recv(c->sock, &c->root, err);
}

/* The helper for a running container's root file system: in the container's mount
 * namespace, its root mount cloned without the mounts beneath (not recursive), sent back. */
static _Noreturn void clone_main(int sock, int nsfd)
{
	const char *what = "join the container's mount namespace";
	int fd = -1, r = setns(nsfd, CLONE_NEWNS) < 0 ? -errno : 0;
	if (r == 0) {
		what = "clone the container's root mount";
		fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/", CP_OPEN_TREE_CLONE | O_CLOEXEC);
		r = fd < 0 ? -errno : 0;
	}
	helper_send(sock, fd, -r, what);
	_exit(0);
}

/* A running container's root mount alone (its volumes, /proc and /etc/hosts not). */
static int open_running_rootfs(struct cp_ctr *c, pid_t pid, struct bld_error **err)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)pid);
	cleanup_close int ns = open(p, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return bld_error_sys(err, errno, "open %s", p);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return bld_error_sys(err, errno, "socketpair");
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		close(sv[0]);
		clone_main(sv[1], ns);
	}
	int e = errno;
	close(sv[1]);
	c->sock = sv[0];
	if (child < 0)
		return bld_error_sys(err, e, "fork");
	c->helper = child;
	return helper_recv(c->sock, &c->root, err);
}

static void ctr_close(struct cp_ctr *c)
{
	if (c->root >= 0)
		close(c->root);
	if (c->sock >= 0)
		close(c->sock);
	while (c->helper > 0 && waitpid(c->helper, NULL, 0) < 0 && errno == EINTR)
		;
	if (c->cfg)
		json_decref(c->cfg);
	c->root = c->sock = -1;
	c->helper = 0;
	c->cfg = NULL;
}

static int ctr_open(struct bld_ctx *ctx, const char *ref, enum ctr_view view,
		    struct cp_ctr *c, struct bld_error **err)
{
	*c = (struct cp_ctr){.ref = ref, .root = -1, .sock = -1};
	cleanup_free char *id = NULL;
	if (bld_runner_container_lookup(ctx, ref, &id, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load_live(ctx, id, &c->cfg, &st, err) < 0)
		return -1;
	pid_t pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	bool running = json_is_true(json_object_get(st, "Running")) && pid > 0;
	if (!running)
		return open_stopped(ctx, c, id, view, err);
	if (view == VIEW_ROOTFS)
		return open_running_rootfs(c, pid, err);
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	c->root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->root < 0)
		return bld_error_sys(err, errno, "open %s", p);
	return 0;
}

/* docker refuses to write to a read-only root or volume; dir is the directory written to. */
static int check_writable(json_t *cfg, const char *dir, struct bld_error **err)
{
	cleanup_free char *rooted = xasprintf("/%s", dir);
	cleanup_free char *p = bld_path_clean(rooted);
	json_t *best = NULL, *m;
	size_t best_len = 0, i;
	json_array_foreach(json_object_get(cfg, "Mounts"), i, m) {
		const char *d = bld_json_get_str(m, "Destination");
		size_t n = d ? strlen(d) : 0;
		if (!n || strncmp(p, d, n) != 0 || (p[n] && p[n] != '/' && n > 1) || n <= best_len)
			continue;
		best = m;
		best_len = n;
	}
	const char *type = best ? bld_json_get_str(best, "Type") : NULL;
	if (type && strcmp(type, "tmpfs") == 0)
		return 0;
	if (best && !json_is_true(json_object_get(best, "RW")))
		return bld_error_refuse(err, BLD_E_INVALID, "mounted volume is marked read-only");
	json_t *hc = json_object_get(cfg, "HostConfig");
	if (!best && json_is_true(json_object_get(hc, "ReadonlyRootfs")))
		return bld_error_refuse(err, BLD_E_INVALID, "container rootfs is marked read-only");
	return 0;
}

/* ================================================================= bld cp */

static bool follows(const char *path, bool follow_link)
{
	return follow_link || bld_str_has_suffix(path, "/") || current_dir(path);
}

/* The source in the container, as an O_PATH descriptor. */
static int open_source(struct cp_ctr *c, const char *path, bool follow_link,
		       struct bld_error **err)
{
	int flags = O_PATH | O_CLOEXEC | (follows(path, follow_link) ? 0 : O_NOFOLLOW);
	int fd = bld_fs_open_in_root(c->root, path, flags, 0);
	if (fd == -ENOENT)
		return bld_error_refuse(err, BLD_E_NOTFOUND,
					"Could not find the file %s in container %s", path, c->ref);
	if (fd == -ENOTDIR)
		return bld_error_refuse(err, BLD_E_INVALID, "%s: not a directory", path);
	if (fd < 0)
		return bld_error_sys(err, -fd, "%s", path);
	return fd;
}

/* An O_PATH descriptor of path itself (not what a symlink there points at): in the
 * container's root, or on the host when root is AT_FDCWD. -errno. */
static int open_nofollow(int root, const char *path)
{
	if (root != AT_FDCWD)
		return bld_fs_open_in_root(root, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* DEST_PATH with the symlinks at its end followed, as docker does before it applies its
 * rules (a file copied onto a symlink overwrites the link's target); caller frees. */
static char *follow_dest(int root, const char *path)
{
	char *p = xstrdup(path);
	for (int i = 0; i < CP_SYMLINKS_MAX && !asserts_dir(p); i++) {
		cleanup_close int fd = open_nofollow(root, p);
		struct stat st;
		char target[4096];
		if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode))
			break;
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n <= 0)
			break;
		target[n] = '\0';
		cleanup_free char *dir = NULL, *base = NULL;
		split_entry(p, &dir, &base);
		char *next = target[0] == '/' ? xstrdup(target) : bld_path_join(dir, target);
		free(p);
		p = next;
	}
	return p;
}

static enum bld_runner_cp_dst kind_of(const struct stat *st)
{
	return S_ISDIR(st->st_mode) ? BLD_RUNNER_CP_DST_DIR : BLD_RUNNER_CP_DST_FILE;
}

/* The host directory to write into, after docker's rules. */
static int host_dest(const char *user_dst, const char *src, bool src_dir,
		     struct bld_runner_cp_plan *plan, int *dirfd, struct bld_error **err)
{
	cleanup_free char *dst = follow_dest(AT_FDCWD, user_dst);
	struct stat st;
	enum bld_runner_cp_dst kind = stat(dst, &st) == 0 ? kind_of(&st) : BLD_RUNNER_CP_DST_NONE;
	if (bld_runner_cp_plan(plan, src, src_dir, dst, kind, err) < 0)
		return -1;
	*dirfd = open(plan->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return bld_error_refuse(err, BLD_E_NOTFOUND, "stat %s: %s", plan->dir,
					strerror(errno));
	if (*dirfd < 0)
		return bld_error_sys(err, errno, "open %s", plan->dir);
	return 0;
}

static int run_from(struct cp_ctr *c, const struct bld_runner_cp_opts *o, int64_t *bytes,
		    struct bld_error **err)
{
	cleanup_close int src = open_source(c, o->ctr_path, o->follow_link, err);
	struct stat st;
	if (src < 0)
		return -1;
	if (fstatat(src, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_sys(err, errno, "stat %s", o->ctr_path);
	struct bld_runner_cp_plan plan = {0};
	cleanup_close int dirfd = -1;
	struct cp_sink s;
	int r = 0;
	if (o->host_path)
		r = host_dest(o->host_path, o->ctr_path, S_ISDIR(st.st_mode), &plan, &dirfd, err);
	else
		r = bld_runner_cp_plan(&plan, o->ctr_path, S_ISDIR(st.st_mode), "-",
				       BLD_RUNNER_CP_DST_DIR, err);
	if (r < 0) {
		bld_runner_cp_plan_dispose(&plan);
		return r;
	}
	sink_init(&s, dirfd, o->host_path ? plan.dir : "-");
	s.keep_owner = o->archive;
	s.uid = getuid();
	s.gid = getgid();
	if (!o->host_path && bld_cache_tar_writer_new(&s.tar, o->fd, err) < 0)
		r = -1;
	if (r == 0)
		r = walk(&s, src, plan.name, 0, err);
	if (r == 0 && s.tar)
		r = bld_cache_tar_writer_close(s.tar, NULL, err);
	sink_finish(&s);
	*bytes = s.bytes;
	sink_dispose(&s);
	bld_runner_cp_plan_dispose(&plan);
	return r;
}

int bld_runner_cp_from(struct bld_ctx *ctx, const struct bld_runner_cp_opts *o, int64_t *bytes,
		       struct bld_error **err)
{
	struct cp_ctr c;
	*bytes = 0;
	int r = ctr_open(ctx, o->container, VIEW_READ, &c, err);
	if (r == 0)
		r = run_from(&c, o, bytes, err);
	ctr_close(&c);
	return r;
}

/* The directory in the container to write into: dst itself for a tar from stdin, else after
 * docker's rules for the host source src. */
static int ctr_dest(struct cp_ctr *c, const struct bld_runner_cp_opts *o, int src,
		    struct bld_runner_cp_plan *plan, struct bld_error **err)
{
	struct stat st;
	cleanup_free char *dst = o->host_path ? follow_dest(c->root, o->ctr_path)
					      : xstrdup(o->ctr_path);
	cleanup_close int d = bld_fs_open_in_root(c->root, dst, O_PATH | O_CLOEXEC, 0);
	enum bld_runner_cp_dst kind = d >= 0 && fstat(d, &st) == 0 ? kind_of(&st)
								  : BLD_RUNNER_CP_DST_NONE;
	if (src < 0 && kind != BLD_RUNNER_CP_DST_DIR)
		return bld_error_refuse(err, BLD_E_INVALID,
					"destination \"%s:%s\" must be a directory", c->ref,
					o->ctr_path);
	bool src_dir = false;
	if (src >= 0 && fstatat(src, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		src_dir = S_ISDIR(st.st_mode);
	const char *from = o->host_path ? o->host_path : "-";
	if (bld_runner_cp_plan(plan, from, src_dir, dst, kind, err) < 0)
		return -1;
	if (check_writable(c->cfg, plan->dir, err) < 0)
		return -1;
	int fd = bld_fs_open_in_root(c->root, plan->dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return bld_error_refuse(err, BLD_E_NOTFOUND,
					"Could not find the file %s in container %s", plan->dir,
					c->ref);
	if (fd == -ENOTDIR)
		return bld_error_refuse(err, BLD_E_INVALID, "%s: not a directory", plan->dir);
	return fd < 0 ? bld_error_sys(err, -fd, "%s", plan->dir) : fd;
}

/* The host source, as an O_PATH descriptor (-1 for a tar on o->fd). */
static int host_source(const struct bld_runner_cp_opts *o, struct bld_error **err)
{
	if (!o->host_path)
		return -1;
	const char *p = o->host_path;
	int fd = open(p, O_PATH | O_CLOEXEC | (follows(p, o->follow_link) ? 0 : O_NOFOLLOW));
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return bld_error_refuse(err, BLD_E_NOTFOUND, "lstat %s: %s", p, strerror(errno));
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", p);
	return fd;
}

static int run_to(struct cp_ctr *c, const struct bld_runner_cp_opts *o, int64_t *bytes,
		  struct bld_error **err)
{
	cleanup_close int src = host_source(o, err);
	if (o->host_path && src < 0)
		return -1;
	struct bld_runner_cp_plan plan = {0};
	cleanup_close int dirfd = ctr_dest(c, o, src, &plan, err);
	if (dirfd < 0) {
		bld_runner_cp_plan_dispose(&plan);
		return -1;
	}
	struct cp_sink s;
	sink_init(&s, dirfd, plan.dir);
	s.keep_owner = o->archive;
	int r = src >= 0 ? walk(&s, src, plan.name, 0, err) : tar_source(&s, o->fd, err);
	sink_finish(&s);
	*bytes = s.bytes;
	sink_dispose(&s);
	bld_runner_cp_plan_dispose(&plan);
	return r;
}

int bld_runner_cp_to(struct bld_ctx *ctx, const struct bld_runner_cp_opts *o, int64_t *bytes,
		     struct bld_error **err)
{
	struct cp_ctr c;
	*bytes = 0;
	int r = ctr_open(ctx, o->container, VIEW_WRITE, &c, err);
	if (r == 0)
		r = run_to(&c, o, bytes, err);
	ctr_close(&c);
	return r;
}

/* ================================================================= bld export */

/* The tree below the container's root as a tar, entries named as docker's export names
 * them ("bin", "etc/passwd": relative, no entry for the root itself). */
static int export_tree(struct cp_ctr *c, int fd, struct bld_error **err)
{
	struct cp_sink s;
	sink_init(&s, -1, "-");
	s.keep_owner = true;
	int r = bld_cache_tar_writer_new(&s.tar, fd, err);
	if (r == 0)
		r = walk_children(&s, c->root, "", 0, err);
	if (r == 0)
		r = bld_cache_tar_writer_close(s.tar, NULL, err);
	sink_dispose(&s);
	return r;
}

int bld_runner_export(struct bld_ctx *ctx, const char *ref, int fd, struct bld_error **err)
{
	struct cp_ctr c;
	int r = ctr_open(ctx, ref, VIEW_ROOTFS, &c, err);
	if (r == 0)
		r = export_tree(&c, fd, err);
	ctr_close(&c);
	return r;
}

/* ================================================================= stat */

int bld_runner_cp_stat(struct bld_ctx *ctx, const char *ref, const char *path, struct stat *st,
		       char **link_target, struct bld_error **err)
{
	struct cp_ctr c;
	*link_target = NULL;
	int r = ctr_open(ctx, ref, VIEW_READ, &c, err);
	cleanup_close int fd = r == 0 ? open_nofollow(c.root, path) : -1;
	if (r == 0 && fd == -ENOENT)
		r = bld_error_refuse(err, BLD_E_NOTFOUND, "Could not find the file %s in container %s",
				     path, c.ref);
	else if (r == 0 && fd < 0)
		r = bld_error_sys(err, -fd, "%s", path);
	else if (r == 0 && fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		r = bld_error_sys(err, errno, "stat %s", path);
	if (r == 0 && S_ISLNK(st->st_mode))
		*link_target = follow_dest(c.root, path);
	ctr_close(&c);
	return r;
}
