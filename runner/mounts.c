/*
 * runner/mounts.c — the sandbox child's filesystem steps, each one a function called in
 * bubblewrap's order by sandbox.c: the root (overlay or bind), /proc, a minimal /dev, /sys
 * read-only, the /etc files, the caller's mounts, pivot_root, Docker's masked and read-only
 * paths. They run in the child's private mount namespace, so everything they mount vanishes
 * with it: nothing to unmount on the host.
 *
 * And, for the parent before it clones the child, whether a shared or slave bind's source
 * is on a mount that passes mounts on (docker's check).
 *
 * Paths inside the new root are resolved with bld_fs_open_in_root and mounted through
 * /proc/self/fd, so a symlink in an image can never point a mount outside the root. Every
 * function returns 0 or -errno and leaves the message to the caller.
 */
#include "runner/runner_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define FDPATH_LEN 32

/* Docker's masked paths (moby oci/defaults.go): hidden behind /dev/null or an empty tmpfs. */
static const char *const masked[] = {
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};
/* Docker's read-only paths. */
static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static void fdpath(char out[FDPATH_LEN], int fd)
{
	snprintf(out, FDPATH_LEN, "/proc/self/fd/%d", fd);
}

/*
 * Opens path (absolute, in the root rootfd) as O_PATH, creating what is missing: directories
 * for the parents, and the last component as a directory or (want_file) an empty file.
 */
int bld_runner_mkpath_in_root(int rootfd, const char *path, bool want_file)
{
	cleanup_free char *clean = bld_path_clean(path);
	int fd = bld_fs_open_in_root(rootfd, clean, O_PATH | O_CLOEXEC, 0);
	if (fd >= 0 || fd != -ENOENT)
		return fd;
	char *slash = strrchr(clean, '/');
	if (!slash || slash[1] == 0)
		return -ENOENT;
	*slash = 0;
	int parent = bld_runner_mkpath_in_root(rootfd, clean[0] ? clean : "/", false);
	if (parent < 0)
		return parent;
	const char *base = slash + 1;
	int r = want_file ? openat(parent, base, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644)
			  : mkdirat(parent, base, 0755);
	if (r < 0 && errno != EEXIST) {
		r = -errno;
		close(parent);
		return r;
	}
	if (want_file && r >= 0)
		close(r);
	close(parent);
	*slash = '/';
	return bld_fs_open_in_root(rootfd, clean, O_PATH | O_CLOEXEC, 0);
}

/* mount(2) onto a path inside the root; target created as dir or file. */
static int mount_in(int rootfd, const char *target, bool file, const char *src, const char *type,
		    unsigned long flags, const char *data)
{
	int fd = bld_runner_mkpath_in_root(rootfd, target, file);
	if (fd < 0)
		return fd;
	char p[FDPATH_LEN];
	fdpath(p, fd);
	int r = mount(src, p, type, flags, data) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Re-mounts a bind mount read-only, keeping the flags the kernel locks (nosuid, nodev...). */
static int remount_ro(const char *path)
{
	struct statvfs sv;
	unsigned long keep = 0;
	if (statvfs(path, &sv) == 0)
		keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_RELATIME);
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
		return -errno;
	return 0;
}

int bld_runner_mount_root(const struct bld_runner_spec *s, const char *merged)
{
	if (s->rootfs)
		return mount(s->rootfs, merged, NULL, MS_BIND | MS_REC, NULL) < 0 ? -errno : 0;
	struct bld_buf opt = BLD_BUF_INIT;
	int r = bld_runner_overlay_opts(s, &opt);
	if (r < 0) {
		bld_buf_dispose(&opt);
		return r;
	}
	bool no_overlay = bld_runner_overlay_forced(BLD_RUNNER_OVERLAY_COPY);
	/* volatile (Linux 5.10) when the changes are thrown away anyway: overlayfs then never
	 * syncs the upper filesystem, which it otherwise does, whole, when it is unmounted;
	 * without it (an older kernel refuses the option) as before */
	size_t plain = opt.len;
	/* in a user namespace overlayfs keeps its own attributes in user.overlay.* */
	if (bld_rootless() && bld_buf_adds(&opt, ",userxattr") < 0)
		return -E2BIG;
	plain = opt.len;
	if ((s->ephemeral || s->build_step) && bld_buf_adds(&opt, ",volatile") < 0) {
		opt.len = plain;
		opt.data[plain] = 0;
	}
	r = no_overlay ? -ENODEV
		       : (mount("overlay", merged, "overlay", 0, bld_buf_str(&opt)) < 0 ? -errno : 0);
	if (r == -EINVAL && opt.len != plain) {
		opt.len = plain;
		opt.data[plain] = 0;
		r = mount("overlay", merged, "overlay", 0, bld_buf_str(&opt)) < 0 ? -errno : 0;
	}
	bld_buf_dispose(&opt);
	if (r != -ENODEV && r != -EINVAL && r != -EPERM && r != -ENOTSUP)
		return r;
	/* no overlayfs here (or BLD_OVERLAY=copy): a private copy of the layers */
	cleanup_free char *copy = NULL;
	if ((r = bld_runner_copy_root(s, &copy)) < 0)
		return r;
	return mount(copy, merged, NULL, MS_BIND | MS_REC, NULL) < 0 ? -errno : 0;
}

int bld_runner_mount_proc(int rootfd)
{
	return mount_in(rootfd, "/proc", false, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			NULL);
}

/* The host's /dev/name bound on an empty file: what a user namespace may do instead of mknod. */
static int bind_host_dev(int devfd, const char *name)
{
	cleanup_close int fd = openat(devfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return -errno;
	char p[FDPATH_LEN];
	fdpath(p, fd);
	cleanup_free char *src = xasprintf("/dev/%s", name);
	return mount(src, p, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int mknod_dev(int devfd, const char *name, unsigned maj, unsigned min)
{
	int r = mknodat(devfd, name, S_IFCHR | 0666, makedev(maj, min)) < 0 ? errno : 0;
	if (r == EPERM && bld_rootless())
		return bind_host_dev(devfd, name);
	if (r && r != EEXIST)
		return -r;
	/* mknod obeys the umask: set the mode as Docker has it */
	return fchmodat(devfd, name, 0666, 0) < 0 ? -errno : 0;
}

static int dev_nodes(int devfd)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
		{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
		{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
	};
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		{"pts/ptmx", "ptmx"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(nodes); i++) {
		int r = mknod_dev(devfd, nodes[i].name, nodes[i].maj, nodes[i].min);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < BLD_ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
			return -errno;
	return 0;
}

/* A tmpfs /dev with the nodes Docker gives, devpts, shm (shm_size bytes, 0: 64 MiB, < 0:
 * none), mqueue and (tty_fd >= 0) console. */
int bld_runner_mount_dev(int rootfd, int tty_fd, int64_t shm_size)
{
	char shm[64] = "mode=1777,size=65536k";
	if (shm_size > 0)
		snprintf(shm, sizeof(shm), "mode=1777,size=%lld", (long long)shm_size);
	int r = mount_in(rootfd, "/dev", false, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			 "mode=755,size=65536k");
	if (r < 0)
		return r;
	cleanup_close int devfd = bld_fs_open_in_root(rootfd, "/dev", O_DIRECTORY | O_CLOEXEC, 0);
	if (devfd < 0)
		return devfd;
	if ((r = dev_nodes(devfd)) < 0)
		return r;
	r = mount_in(rootfd, "/dev/pts", false, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620,gid=5");
	if (r == -EINVAL && bld_rootless_single_id()) /* no group 5 in the user namespace */
		r = mount_in(rootfd, "/dev/pts", false, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
			     "newinstance,ptmxmode=0666,mode=0620");
	if (r == 0 && shm_size >= 0)
		r = mount_in(rootfd, "/dev/shm", false, "shm", "tmpfs",
			     MS_NOSUID | MS_NODEV | MS_NOEXEC, shm);
	if (r == 0)
		r = mount_in(rootfd, "/dev/mqueue", false, "mqueue", "mqueue",
			     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r == 0 && tty_fd >= 0) {
		/* the console is the container's terminal, as Docker does with -t */
		/* by path: a descriptor names a mount of the parent's namespace (EINVAL) */
		char fdp[FDPATH_LEN], src[256];
		fdpath(fdp, tty_fd);
		ssize_t n = readlink(fdp, src, sizeof(src) - 1);
		if (n <= 0)
			return -errno;
		src[n] = 0;
		r = mount_in(rootfd, "/dev/console", true, src, NULL, MS_BIND, NULL);
	}
	return r;
}

/*
 * /dev/shm shared: the host's (mntns < 0), bound; or the one in mount namespace mntns (another
 * container's), cloned there as a detached tree (a bind cannot reach into another namespace)
 * and moved here.
 */
int bld_runner_mount_shm_from(int rootfd, int mntns)
{
	if (mntns < 0)
		return mount_in(rootfd, "/dev/shm", false, "/dev/shm", NULL, MS_BIND | MS_REC, NULL);
	cleanup_close int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (own < 0 || setns(mntns, CLONE_NEWNS) < 0)
		return -errno;
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/dev/shm",
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	int e = errno;
	if (setns(own, CLONE_NEWNS) < 0)
		abort(); /* we would assemble the root in the other container */
	if (tree < 0)
		return -e;
	int dst = bld_runner_mkpath_in_root(rootfd, "/dev/shm", false);
	int r = dst < 0 ? dst
			: (syscall(SYS_move_mount, tree, "", dst, "",
				   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0
				   ? -errno
				   : 0);
	if (dst >= 0)
		close(dst);
	close(tree);
	return r;
}

/* --device: nodes like the host's, with its owner and mode, at their paths in /dev. */
int bld_runner_make_devices(int rootfd, const struct bld_runner_device *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *dir = xstrdup(d[i].path);
		char *slash = strrchr(dir, '/');
		*slash = 0;
		int dfd = bld_runner_mkpath_in_root(rootfd, dir[0] ? dir : "/", false);
		if (dfd < 0)
			return dfd;
		char p[FDPATH_LEN];
		fdpath(p, dfd);
		cleanup_free char *node = xasprintf("%s/%s", p, slash + 1);
		mode_t type = d[i].type == 'b' ? S_IFBLK : S_IFCHR;
		int r = mknod(node, type | (d[i].mode & 07777), makedev(d[i].major, d[i].minor));
		if (r == 0 || errno == EEXIST)
			r = chown(node, d[i].uid, d[i].gid);
		/* mknod obeys the umask: the host's mode whole, as docker's (a 0666 node stays so) */
		if (r == 0)
			r = chmod(node, d[i].mode & 07777);
		r = r < 0 ? -errno : 0;
		close(dfd);
		if (r < 0)
			return r;
	}
	return 0;
}

int bld_runner_mount_sys(int rootfd, bool writable)
{
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC | (writable ? 0 : MS_RDONLY);
	int r = mount_in(rootfd, "/sys", false, "sysfs", "sysfs", fl, NULL);
	if (r != -EPERM && r != -EBUSY)
		return r;
	/* a sysfs of a network namespace we do not own cannot be mounted: bind the host's */
	r = mount_in(rootfd, "/sys", false, "/sys", NULL, MS_BIND | MS_REC, NULL);
	if (r < 0 || writable)
		return r;
	cleanup_close int fd = bld_fs_open_in_root(rootfd, "/sys", O_PATH | O_CLOEXEC, 0);
	char p[FDPATH_LEN];
	fdpath(p, fd);
	return fd < 0 ? fd : remount_ro(p);
}

/* Binds the files the parent wrote (state_dir/etc/{hosts,hostname,resolv.conf}), read-only
 * when asked (BuildKit's RUN steps). */
int bld_runner_mount_etc(int rootfd, const char *state_dir, bool with_hostname, bool ro)
{
	static const char *const files[] = {"hosts", "resolv.conf", "hostname"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(files); i++) {
		if (i == 2 && !with_hostname)
			continue;
		cleanup_free char *src = xasprintf("%s/%s", state_dir, files[i]);
		cleanup_free char *dst = xasprintf("/etc/%s", files[i]);
		int r = mount_in(rootfd, dst, true, src, NULL, MS_BIND, NULL);
		if (r < 0)
			return r;
		if (!ro)
			continue;
		/* opened again: now the path names the bind, not the file under it */
		cleanup_close int fd = bld_fs_open_in_root(rootfd, dst, O_PATH | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		char p[FDPATH_LEN];
		fdpath(p, fd);
		if ((r = remount_ro(p)) < 0)
			return r;
	}
	return 0;
}

/* The caller's mounts: binds (volumes too), read-only when asked, and tmpfs. */
static bool dir_empty(int fd)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* Docker's copy-up: an empty volume mounted over a directory of the image gets that
 * directory's content, and its owner and mode; a volume with anything in it is left alone. */
static int copy_up(int rootfd, const struct bld_runner_mount *m)
{
	cleanup_close int src = bld_fs_open_in_root(rootfd, m->target,
						    O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (src < 0)
		return 0; /* nothing (or no directory) there in the image */
	cleanup_close int dst = open(m->source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (dst < 0 || fstat(src, &st) < 0)
		return -errno;
	if (!dir_empty(dst))
		return 0;
	int r = bld_runner_copy_tree(src, dst);
	if (r == 0 && (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0))
		r = -errno;
	return r;
}

int bld_runner_mount_user(int rootfd, const struct bld_runner_mount *m, const char **failed)
{
	int r;
	*failed = m->target;
	if (strcmp(m->type, "tmpfs") == 0)
		return mount_in(rootfd, m->target, false, "tmpfs", "tmpfs",
				MS_NOSUID | MS_NODEV | MS_NOEXEC | (m->readonly ? MS_RDONLY : 0),
				m->options ? m->options : "mode=1777");
	struct stat st;
	if (stat(m->source, &st) < 0)
		return -errno;
	if (m->copy_up && (r = copy_up(rootfd, m)) < 0)
		return r;
	int fd = bld_runner_mkpath_in_root(rootfd, m->target, !S_ISDIR(st.st_mode));
	if (fd < 0)
		return fd;
	char p[FDPATH_LEN];
	fdpath(p, fd);
	r = mount(m->source, p, NULL, MS_BIND | (m->nonrecursive ? 0 : MS_REC), NULL) < 0 ? -errno
											: 0;
	close(fd);
	if (r < 0 || (!m->readonly && !m->propagation))
		return r;
	/* the mount is now on top: open the path again to reach it, not what lay below */
	fd = bld_fs_open_in_root(rootfd, m->target, O_PATH | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	fdpath(p, fd);
	r = m->readonly ? remount_ro(p) : 0;
	if (r == 0 && m->propagation && mount(NULL, p, NULL, m->propagation, NULL) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Makes merged the root and detaches the old one (pivot_root(".", ".") as runc does). */
int bld_runner_pivot(const char *merged)
{
	if (chdir(merged) < 0)
		return -errno;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	return chdir("/") < 0 ? -errno : 0;
}

/* After pivot_root: Docker's masked and read-only paths; missing ones are skipped. */
int bld_runner_mask_paths(void)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(masked); i++) {
		struct stat st;
		if (lstat(masked[i], &st) < 0)
			continue;
		int r = S_ISDIR(st.st_mode)
				? mount("tmpfs", masked[i], "tmpfs", MS_RDONLY, "size=0")
				: mount("/dev/null", masked[i], NULL, MS_BIND, NULL);
		if (r < 0)
			return -errno;
	}
	for (size_t i = 0; i < BLD_ARRAY_SIZE(readonly); i++) {
		if (access(readonly[i], F_OK) < 0)
			continue;
		if (mount(readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		int r = remount_ro(readonly[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int bld_runner_root_readonly(void)
{
	return remount_ro("/");
}

/* The mount of this process's namespace that holds path (the longest mount point above it):
 * its mount point and whether it is shared or a slave. */
static void mount_of(const char *path, char **point, bool *shared, bool *slave)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	size_t best = 0;
	while (f && fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mount-point options [optional fields...] - ... */
		char *fld[5], *save = NULL;
		size_t nf = 0;
		for (char *t = strtok_r(line, " ", &save); t && nf < 5;
		     t = nf < 5 ? strtok_r(NULL, " ", &save) : NULL)
			fld[nf++] = t;
		const char *mp = nf == 5 ? fld[4] : NULL;
		size_t n = mp ? strlen(mp) : 0;
		bool under = mp && strncmp(path, mp, n) == 0 &&
			     (n == 1 || path[n] == '/' || path[n] == 0);
		if (!under || n < best)
			continue;
		best = n;
		free(*point);
		*point = xstrdup(mp);
		*shared = *slave = false;
		for (char *o = strtok_r(NULL, " ", &save); o && strcmp(o, "-");
		     o = strtok_r(NULL, " ", &save)) {
			*shared = *shared || bld_str_has_prefix(o, "shared:");
			*slave = *slave || bld_str_has_prefix(o, "master:");
		}
	}
}

int bld_runner_mount_check_propagation(const struct bld_runner_mount *m, struct bld_error **err)
{
	bool want_shared = m->propagation & MS_SHARED;
	if (!(m->propagation & (MS_SHARED | MS_SLAVE)))
		return 0;
	const char *src = m->source;
	cleanup_free char *real = realpath(src, NULL);
	cleanup_free char *point = NULL;
	bool shared = false, slave = false;
	mount_of(real ? real : src, &point, &shared, &slave);
	if (want_shared && !shared)
		return bld_error_set(err, BLD_E_INVALID,
				     "path %s is mounted on %s but it is not a shared mount", src,
				     point ? point : "/");
	if (!shared && !slave)
		return bld_error_set(err, BLD_E_INVALID,
				     "path %s is mounted on %s but it is not a shared or slave mount",
				     src, point ? point : "/");
	return 0;
}

