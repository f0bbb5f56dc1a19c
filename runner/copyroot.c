/*
 * runner/copyroot.c — the root filesystem where overlayfs is unavailable: the layer
 * directories copied, lowest first, into <state_dir>/rootfs (once per container; a marker
 * file says the copy is complete), and the root of --isolation=chroot. Overlay whiteouts in
 * upper layers (0:0 character devices, or empty files marked overlay.whiteout) delete what lies below; opaque directories
 * (trusted.overlay.opaque=y, or user.overlay.opaque=y) are emptied first.
 * Regular files, directories, symlinks, device nodes, fifos, owners, modes and times are
 * kept; hard links become copies. The same copy fills a new volume with the image's content
 * (bld_runner_copy_tree). Nothing outside the target is written: the walk is
 * relative to directory descriptors and never follows symlinks.
 */
#include "runner/runner_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define COPY_DEPTH_MAX 256

static int copy_dir(int src, int dst, int depth);

static int copy_file(int src, const char *name, int dst, const struct stat *st)
{
	int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			 st->st_mode & 07777);
	int r = out < 0 ? -errno : 0;
	char buf[65536];
	ssize_t n;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			r = -EIO;
	close(in);
	if (out >= 0)
		close(out);
	return r;
}

/* Removes dst/name whatever it is (a whiteout in a higher layer). */
static void remove_entry(int dst, const char *name)
{
	cleanup_error struct bld_error *e = NULL;
	if (unlinkat(dst, name, 0) == 0 || errno == ENOENT)
		return;
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", dst);
	char real[4096];
	ssize_t n = readlink(p, real, sizeof(real) - 1);
	if (n <= 0)
		return;
	real[n] = 0;
	cleanup_free char *full = bld_path_join(real, name);
	bld_fs_rm_rf(full, &e);
}

/* Marked opaque: trusted.overlay.opaque, or user.overlay.opaque where the layer was
 * unpacked without CAP_SYS_ADMIN (an unprivileged container, a user namespace). */
static bool opaque(int dirfd)
{
	char o[2] = {0};
	return (fgetxattr(dirfd, "trusted.overlay.opaque", o, 1) == 1 && o[0] == 'y') ||
	       (fgetxattr(dirfd, "user.overlay.opaque", o, 1) == 1 && o[0] == 'y');
}

/* An empty file marked overlay.whiteout: a whiteout where no 0/0 device could be made. */
static bool xwhiteout(int dirfd, const char *name, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return false;
	cleanup_free char *p = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
	char v[2];
	return lgetxattr(p, "trusted.overlay.whiteout", v, sizeof(v)) >= 0 ||
	       lgetxattr(p, "user.overlay.whiteout", v, sizeof(v)) >= 0;
}

static int copy_entry(int src, int dst, const char *name, int depth)
{
	struct stat st;
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	int r = 0;
	if ((S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) || xwhiteout(src, name, &st)) {
		remove_entry(dst, name);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		struct stat dt;
		int sub = openat(src, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && opaque(sub))
			remove_entry(dst, name);
		if (fstatat(dst, name, &dt, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(dt.st_mode))
			remove_entry(dst, name);
		if (mkdirat(dst, name, st.st_mode & 07777) < 0 && errno != EEXIST)
			r = -errno;
		int dsub = r == 0 ? openat(dst, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (sub >= 0 && dsub >= 0)
			r = copy_dir(sub, dsub, depth + 1);
		else if (r == 0)
			r = -errno;
		if (sub >= 0)
			close(sub);
		if (dsub >= 0)
			close(dsub);
	} else if (S_ISREG(st.st_mode)) {
		remove_entry(dst, name); /* a file, or a directory of a lower layer it replaces */
		r = copy_file(src, name, dst, &st);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = 0;
		remove_entry(dst, name);
		r = symlinkat(target, dst, name) < 0 ? -errno : 0;
	} else {
		remove_entry(dst, name);
		r = mknodat(dst, name, st.st_mode, st.st_rdev) < 0 ? -errno : 0;
	}
	if (r < 0)
		return r;
	/* owner and mode as far as this process may set them: a copy by a user keeps its own */
	if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		bld_debug("copy %s: owner not kept: %s", name, strerror(errno));
	if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
		bld_debug("copy %s: mode not kept: %s", name, strerror(errno));
	struct timespec ts[2] = {st.st_atim, st.st_mtim};
	utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_dir(int src, int dst, int depth)
{
	if (depth > COPY_DEPTH_MAX)
		return -ELOOP;
	int fd = dup(src);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = copy_entry(src, dst, e->d_name, depth);
	closedir(d);
	return r;
}

int bld_runner_copy_tree(int src, int dst) { return copy_dir(src, dst, 0); }

int bld_runner_copy_root(const struct bld_runner_spec *s, char **out)
{
	cleanup_free char *root = xasprintf("%s/rootfs", s->state_dir);
	cleanup_free char *done = xasprintf("%s/rootfs.complete", s->state_dir);
	if (access(done, F_OK) == 0) {
		*out = steal_pointer(&root);
		return 0;
	}
	cleanup_error struct bld_error *e = NULL;
	bld_fs_rm_rf(root, &e);
	if (mkdir(root, 0755) < 0)
		return -errno;
	cleanup_close int dst = open(root, O_DIRECTORY | O_CLOEXEC);
	if (dst < 0)
		return -errno;
	int r = 0;
	for (size_t i = 0; s->lowers && s->lowers[i] && r == 0; i++) {
		int src = open(s->lowers[i], O_DIRECTORY | O_CLOEXEC);
		r = src < 0 ? -errno : copy_dir(src, dst, 0);
		if (src >= 0)
			close(src);
	}
	int m = r == 0 ? open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (m >= 0)
		close(m);
	if (r == 0)
		*out = steal_pointer(&root);
	return r;
}

int bld_runner_root_copy(char *const *lowers, const char *dst, struct bld_error **err)
{
	cleanup_close int d = open(dst, O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return bld_error_sys(err, errno, "open %s", dst);
	for (size_t i = 0; lowers && lowers[i]; i++) {
		cleanup_close int src = open(lowers[i], O_DIRECTORY | O_CLOEXEC);
		int r = src < 0 ? -errno : copy_dir(src, d, 0);
		if (r < 0)
			return bld_error_sys(err, -r, "copy layer %s into %s", lowers[i], dst);
	}
	return 0;
}
