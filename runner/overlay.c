/*
 * runner/overlay.c — which overlay a sandbox's root is made with, and the one made by a
 * program rather than the kernel: overlayfs mounted by the kernel (in the user namespace when
 * rootless, Linux 5.11 and later), else, rootless, fuse-overlayfs (Debian's package) where the
 * user may open /dev/fuse, else a copy of the layers (copyroot.c). BLD_OVERLAY=kernel|fuse|copy
 * forces the choice (BLD_NO_OVERLAY=1 is copy); `bld info` shows it.
 *
 * The kernel's overlay is mounted by the sandbox child in its own mount namespace
 * (mounts.c). fuse-overlayfs is a daemon serving the mount, so it is mounted here, by the
 * parent before it clones the child, on <state_dir>/merged: the child's namespace gets a copy
 * of the mount, while the daemon stays a process of the user outside the container (not in its
 * PID namespace, nor under its pivot_root). The parent unmounts it when it frees the process
 * (bld_runner_proc_free), or bld_runner_sandbox_cleanup does; the daemon then exits. Its
 * upper directory has the kernel's whiteouts (0/0 devices) but its own opaque markers, which
 * cache/layer.c reads as well.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define FUSE_PROGRAM "fuse-overlayfs"

/* The kind BLD_OVERLAY (or BLD_NO_OVERLAY=1) forces, or -1. */
static int forced_kind(void)
{
	static const char *const names[] = {[BLD_RUNNER_OVERLAY_KERNEL] = "kernel",
					    [BLD_RUNNER_OVERLAY_FUSE] = "fuse",
					    [BLD_RUNNER_OVERLAY_COPY] = "copy"};
	const char *k = getenv("BLD_OVERLAY");
	for (size_t i = 0; k && i < BLD_ARRAY_SIZE(names); i++)
		if (strcmp(k, names[i]) == 0)
			return (int)i;
	const char *no = getenv("BLD_NO_OVERLAY");
	return no && strcmp(no, "1") == 0 ? BLD_RUNNER_OVERLAY_COPY : -1;
}

bool bld_runner_overlay_forced(enum bld_runner_overlay kind)
{
	return forced_kind() == (int)kind;
}

/* fuse-overlayfs is in PATH and /dev/fuse opens for us. */
static bool fuse_usable(void)
{
	if (access("/dev/fuse", R_OK | W_OK) < 0)
		return false;
	const char *path = getenv("PATH");
	cleanup_free char *copy = xstrdup(path && *path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		cleanup_free char *p = xasprintf("%s/%s", d, FUSE_PROGRAM);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* Child of kernel_works: the mount, in a mount namespace of its own; system calls alone (the
 * caller may have threads: the Engine API service's GET /info). */
static _Noreturn void overlay_probe(const char *m, const char *opt)
{
	_exit(unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	      mount("overlay", m, "overlay", 0, opt) < 0);
}

/* Whether the kernel mounts an overlay over a scratch directory under dir (cached). */
static bool kernel_works(const char *dir)
{
	static int works = -1;
	if (works >= 0)
		return works;
	cleanup_free char *tmp = xasprintf("%s/tmp-overlay-XXXXXX", dir);
	if (!mkdtemp(tmp))
		return false;
	static const char *const sub[] = {"l", "u", "w", "m"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(sub); i++) {
		cleanup_free char *d = xasprintf("%s/%s", tmp, sub[i]);
		mkdir(d, 0700);
	}
	cleanup_free char *opt = xasprintf("lowerdir=%s/l,upperdir=%s/u,workdir=%s/w%s", tmp, tmp,
					   tmp, bld_rootless() ? ",userxattr" : "");
	cleanup_free char *m = xasprintf("%s/m", tmp);
	pid_t pid = fork();
	if (pid == 0)
		overlay_probe(m, opt);
	int st = 0;
	works = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	cleanup_error struct bld_error *e = NULL;
	bld_fs_rm_rf(tmp, &e);
	return works;
}

enum bld_runner_overlay bld_runner_overlay_kind(const char *dir)
{
	int k = forced_kind();
	if (k >= 0)
		return (enum bld_runner_overlay)k;
	if (kernel_works(dir))
		return BLD_RUNNER_OVERLAY_KERNEL;
	return bld_rootless() && fuse_usable() ? BLD_RUNNER_OVERLAY_FUSE : BLD_RUNNER_OVERLAY_COPY;
}

/* Whether a sandbox over layers in state_dir gets fuse-overlayfs: the probes only rootless,
 * where fuse-overlayfs may serve (root never uses it unless forced). */
static bool use_fuse(const char *state_dir)
{
	int k = forced_kind();
	if (k >= 0)
		return k == BLD_RUNNER_OVERLAY_FUSE;
	return bld_rootless() && fuse_usable() && !kernel_works(state_dir);
}

int bld_runner_overlay_opts(const struct bld_runner_spec *s, struct bld_buf *opt)
{
	opt->max = 3500; /* mount data is one page; long chains need short paths */
	int r = bld_buf_adds(opt, "lowerdir=");
	size_t n = bld_strv_len(s->lowers);
	for (size_t i = n; i-- > 0 && r == 0;) /* the upper-most lower first */
		r = bld_buf_printf(opt, "%s%s", s->lowers[i], i ? ":" : "");
	if (r == 0)
		r = bld_buf_printf(opt, ",upperdir=%s/upper,workdir=%s/work", s->state_dir,
				   s->state_dir);
	return r < 0 ? -E2BIG : 0;
}

/* The mounting process: stdio to /dev/null but stderr to errfd, nothing else of ours open
 * (the daemon it leaves would hold a pipe of the caller's open), a session of its own. */
static _Noreturn void fuse_exec(const char *opts, const char *merged, int errfd)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	syscall(SYS_close_range, 3, ~0U, 0);
	setsid();
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execlp(FUSE_PROGRAM, FUSE_PROGRAM, "-o", opts, merged, (char *)NULL);
	dprintf(2, "%s\n", strerror(errno));
	_exit(127);
}

void bld_runner_last_line(int fd, char *buf, size_t size)
{
	char all[4096];
	ssize_t n = read(fd, all, sizeof(all) - 1);
	all[n > 0 ? n : 0] = 0;
	char *end = all + strlen(all);
	while (end > all && (end[-1] == '\n' || end[-1] == ' '))
		*--end = 0;
	char *last = strrchr(all, '\n');
	snprintf(buf, size, "%s", last ? last + 1 : *all ? all : "no reason given");
}

int bld_runner_overlay_fuse_mount(const struct bld_runner_spec *s, const char *merged, int *root,
				  struct bld_error **err)
{
	*root = -1;
	if (s->rootfs || !use_fuse(s->state_dir))
		return 0;
	struct bld_buf opt = BLD_BUF_INIT;
	if (bld_runner_overlay_opts(s, &opt) < 0) {
		bld_buf_dispose(&opt);
		return bld_error_set(err, BLD_E_INVALID, "overlay: too many layers");
	}
	cleanup_free char *opts = bld_buf_detach(&opt);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe");
	pid_t pid = fork();
	if (pid == 0)
		fuse_exec(opts, merged, p[1]);
	close(p[1]);
	int st = 0;
	bool ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	char why[256] = "";
	if (!ok)
		bld_runner_last_line(p[0], why, sizeof(why));
	close(p[0]);
	if (!ok)
		return bld_error_set(err, BLD_E_SYSTEM, "%s: %s", FUSE_PROGRAM,
				     pid < 0 ? strerror(errno) : why);
	*root = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*root < 0) {
		int e = errno;
		bld_runner_overlay_fuse_unmount(merged);
		return bld_error_sys(err, e, "open %s", merged);
	}
	return 0;
}

void bld_runner_overlay_fuse_unmount(const char *merged)
{
	/* lazily: the daemon exits once the container's copy of the mount is gone too */
	if (umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		bld_debug("unmount %s: %s", merged, strerror(errno));
}
