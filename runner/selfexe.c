/*
 * runner/selfexe.c — bld runs from a view of its executable that no container can write
 * (CVE-2019-5736). A process bld forks into a container is bld until its execve, and a
 * command whose interpreter is /proc/self/exe ("#!/proc/self/exe") execs bld itself inside
 * the container: either way a container process can open bld's executable through
 * /proc/PID/exe and, once no bld runs it any more, overwrite the host's binary.
 *
 * As runc 1.2 does, bld re-executes itself from the same file seen through a read-only
 * overlayfs that is never attached anywhere (fsopen/fsmount): /proc/PID/exe then leads to
 * that overlay, whose superblock has no upper layer and so can never be made writable, and
 * the exec costs no copy (the pages are the binary's own, in the page cache). The overlay
 * needs a second, empty lower layer: $BLD_ROOT/runtime/empty. Where overlayfs cannot be
 * mounted (no privilege, an old kernel, layers that overlap), bld falls back to a memfd copy
 * sealed against writes. A bld that already runs from a read-only mount or a sealed memfd
 * is not re-executed.
 *
 * It also starts bld again, for a caller that has threads (`bld system service`): a child
 * forked from a threaded process may run nothing but async-signal-safe code until its exec
 * (another thread may have held malloc's or stdio's lock at the fork), so such a caller runs
 * ordinary code in a child only as a fresh bld, spawned (bld_runner_selfexe_spawn).
 */
#include "runner/runner_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* A sealed, executable copy of the file behind SELF; -1 and errno on failure. */
static int sealed_copy(int self)
{
	int fd = memfd_create("bld", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* kernels before 6.3 know no MFD_EXEC */
		fd = memfd_create("bld", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	if (fd < 0 || fstat(self, &st) < 0)
		goto fail;
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(fd, self, &off, (size_t)(st.st_size - off));
		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			goto fail;
		}
	}
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
		goto fail;
	return fd;
fail:;
	int en = errno;
	if (fd >= 0)
		close(fd);
	errno = en;
	return -1;
}

/* PATH with overlayfs's lowerdir separators (':') and escapes ('\') escaped, into BUF. */
static bool escape_lowerdir(char *buf, size_t size, const char *path)
{
	size_t n = 0;
	for (const char *p = path; *p; p++) {
		if ((*p == ':' || *p == '\\') && n + 1 < size)
			buf[n++] = '\\';
		if (n + 1 >= size)
			return false;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return true;
}

/* A detached, read-only overlayfs of DIR over EMPTY; its mount descriptor, or -1 and errno. */
static int overlay_mount(const char *dir, const char *empty)
{
	char top[PATH_MAX], bottom[PATH_MAX], lower[2 * PATH_MAX + 2];
	if (!escape_lowerdir(top, sizeof(top), dir) ||
	    !escape_lowerdir(bottom, sizeof(bottom), empty)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(lower, sizeof(lower), "%s:%s", top, bottom);
	cleanup_close int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
		return -1;
	/* xino is of no use here and, enabled by itself across filesystems, fills dmesg */
	(void)fsconfig(fs, FSCONFIG_SET_STRING, "xino", "off", 0);
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	return fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
}

/* An O_PATH descriptor of bld's executable seen through a read-only overlayfs (see the
 * opening comment); -1 and errno when that cannot be had. */
static int overlay_view(const char *root)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || exe[0] != '/') {
		errno = n < 0 ? errno : ENOENT;
		return -1;
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	*slash = '\0';
	cleanup_free char *made = xasprintf("%s/runtime/empty", root);
	cleanup_error struct bld_error *e = NULL;
	if (bld_fs_mkdir_p(made, 0700, &e) < 0) {
		errno = e->sys_errno ? e->sys_errno : EIO;
		return -1;
	}
	/* layers that overlap are refused, and that refusal costs the kernel ~20 ms: not tried */
	char empty[PATH_MAX];
	size_t dl = strlen(exe);
	if (!realpath(made, empty))
		return -1;
	if (strncmp(empty, exe, dl) == 0 && (dl == 0 || empty[dl] == '/')) {
		errno = ELOOP;
		return -1;
	}
	cleanup_close int mnt = overlay_mount(exe[0] ? exe : "/", empty);
	if (mnt < 0)
		return -1;
	return openat(mnt, slash + 1, O_PATH | O_CLOEXEC);
}

/* Whether the executable behind SELF is one no container can make writable: a sealed memfd
 * (our fallback), or a file on a read-only mount (our overlay, or a read-only install). */
static bool already_safe(int self)
{
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS)
		return true;
	struct statfs sf;
	return fstatfs(self, &sf) == 0 && (sf.f_flags & ST_RDONLY);
}

int bld_runner_selfexe_seal(const struct bld_ctx *ctx, char **argv, struct bld_error **err)
{
	cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return bld_error_sys(err, errno, "open /proc/self/exe");
	if (already_safe(self))
		return 0;
	cleanup_close int view = overlay_view(ctx->root);
	if (view >= 0)
		syscall(SYS_execveat, view, "", argv, environ, AT_EMPTY_PATH);
	bld_debug("re-execute bld through a read-only overlayfs: %s", strerror(errno));
	cleanup_close int fd = sealed_copy(self);
	if (fd < 0)
		return bld_error_sys(err, errno, "sealed copy of the bld executable");
	fexecve(fd, argv, environ);
	return bld_error_sys(err, errno, "re-execute bld from its sealed copy");
}

/* A descriptor of ours that stays open across the spawn's dup2 steps: moved above the
 * targets 0..n-1 (a source that is itself a low target would be overwritten before it is
 * read), or -1 when fd is not open. */
static int spawn_source(int fd, size_t n)
{
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -1;
	return fcntl(fd, F_DUPFD_CLOEXEC, (int)n);
}

int bld_runner_selfexe_spawn(pid_t *pid, const char *const *args, const int *fds, size_t n,
			     bool setsid, struct bld_error **err)
{
	char *argv[BLD_RUNNER_SPAWN_ARGS_MAX + 2] = {"bld"};
	size_t na = 0;
	while (args[na] && na < BLD_RUNNER_SPAWN_ARGS_MAX)
		argv[na + 1] = (char *)args[na], na++;
	assert(!args[na] && n <= BLD_RUNNER_SPAWN_FDS_MAX);
	int src[BLD_RUNNER_SPAWN_FDS_MAX];
	for (size_t i = 0; i < n; i++)
		src[i] = spawn_source(fds[i], n);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	for (size_t i = 0; i < n; i++) {
		if (src[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, src[i], (int)i);
		else
			posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", O_RDWR, 0);
	}
	/* nothing else of ours: a server's sockets would stay open as long as the child runs,
	 * and its clients never see their connections end */
	posix_spawn_file_actions_addclosefrom_np(&fa, (int)n);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGCHLD); /* a child reaps its own children */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      (setsid ? POSIX_SPAWN_SETSID : 0)));
	int r = posix_spawn(pid, "/proc/self/exe", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (size_t i = 0; i < n; i++)
		if (src[i] >= 0)
			close(src[i]);
	return r ? bld_error_sys(err, r, "start bld %s", args[0]) : 0;
}
