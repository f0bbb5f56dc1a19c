/*
 * runner/sandbox.c — the one code path that runs a process inside an image, for RUN steps and
 * containers alike: the parent prepares files and cgroups and clones a child into new
 * namespaces; the child walks bubblewrap's order (each step says why) and execs. A child that
 * fails before exec reports over a close-on-exec SOCK_SEQPACKET socket, so the parent returns
 * a real bld_error (and the status Docker would use: 125, 126 or 127).
 *
 * It does not manage container state, logs, restarts or networks: container.c, monitor.c and
 * net.c do. The child never raises an rlimit: whatever the caller has is inherited.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ETC_FILE_MAX (1 << 20)

struct child {
	const struct bld_runner_spec *s;
	int sock;        /* error channel to the parent */
	char **cgroups;  /* to join */
	uint64_t caps;   /* capability set the process keeps */
	int netfd;       /* namespace to join (BLD_RUNNER_NET_NSPATH), or -1 */
	int ipcfd;       /* --ipc container:NAME: its IPC namespace, or -1 */
	int shm_mntns;   /* ... and its mount namespace, where its /dev/shm is, or -1 */
	bool placed;     /* cloned into its cgroup already (clone3 CLONE_INTO_CGROUP) */
	char *merged;    /* where the root is assembled */
	bool premounted; /* by the parent: fuse-overlayfs (overlay.c) */
	struct bld_runner_bpf *bpf; /* the seccomp filter, or NULL for none */
};

/* ------------------------------------------------------------------ error channel */

static _Noreturn void child_fail(int sock, int status, int code, int errnum, const char *fmt,
				 ...) __attribute__((format(printf, 5, 6)));
static _Noreturn void child_fail(int sock, int status, int code, int errnum, const char *fmt,
				 ...)
{
	struct bld_runner_child_msg m = {.kind = 0, .status = status, .code = code,
					 .errnum = errnum};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m.msg, sizeof(m.msg), fmt, ap);
	va_end(ap);
	size_t len = strlen(m.msg);
	if (errnum && len + 3 < sizeof(m.msg))
		snprintf(m.msg + len, sizeof(m.msg) - len, ": %s", strerror(errnum));
	if (send(sock, &m, sizeof(m), MSG_NOSIGNAL) < 0)
		_exit(status);
	_exit(status);
}

#define FAIL_SYS(c, e, ...) child_fail((c)->sock, 125, BLD_E_SYSTEM, (e), __VA_ARGS__)

/*
 * The root mount, to the parent (kind 2, the descriptor attached). While the parent holds it,
 * the overlay outlives the container's mount namespace: overlayfs syncs its whole upper
 * filesystem when its superblock goes (writeback and a disk flush, milliseconds), and that
 * then happens when the caller frees the process, no longer in the exit of the container that
 * the caller waits for. Best effort: unsent, the overlay goes with the namespace as before.
 */
static void send_root(int sock, int rootfd)
{
	struct bld_runner_child_msg m = {.kind = 2};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &rootfd, sizeof(int));
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		return; /* the parent is gone or failed: it finds out by itself */
}

/* One message from the child, and the descriptor it carries (-1 when none). */
static ssize_t recv_report(int sock, struct bld_runner_child_msg *m, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	*fd = -1;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

/* Reads the child's reports until EOF (exec happened); returns 0 or the error it sent. The
 * root mount's descriptor goes to *root_ref when the caller wants it (else it is closed). */
static int read_reports(int sock, pid_t *pid_report, int *root_ref, struct bld_error **err)
{
	struct bld_runner_child_msg m;
	for (;;) {
		int fd;
		ssize_t n = recv_report(sock, &m, &fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (fd >= 0 && m.kind == 2 && n == sizeof(m) && root_ref && *root_ref < 0)
			*root_ref = fd;
		else if (fd >= 0)
			close(fd);
		if (n <= 0)
			return 0;
		if (n != sizeof(m))
			return bld_error_set(err, BLD_E_INTERNAL, "short message from sandbox");
		m.msg[sizeof(m.msg) - 1] = 0;
		if (m.kind == 1) {
			*pid_report = m.pid;
			continue;
		}
		if (m.kind == 2)
			continue;
		int r = m.errnum ? bld_error_sys(err, m.errnum, "%s", "") : 0;
		if (*err) {
			free((*err)->msg);
			(*err)->msg = xstrdup(m.msg);
			(*err)->code = (enum bld_error_code)m.code;
		} else {
			r = bld_error_set(err, (enum bld_error_code)m.code, "%s", m.msg);
		}
		(*err)->status = m.status;
		return r < 0 ? r : -1;
	}
}

/* ------------------------------------------------------------------ the process */

static void setup_stdio(struct child *c)
{
	const struct bld_runner_spec *s = c->s;
	int want[3] = {s->stdin_fd, s->stdout_fd, s->stderr_fd};
	int tmp[3];
	/* move out of the way first: the caller's fds may themselves be 0..2 */
	for (int i = 0; i < 3; i++) {
		tmp[i] = want[i] >= 0 ? fcntl(want[i], F_DUPFD_CLOEXEC, 10)
				      : open("/dev/null", O_RDWR | O_CLOEXEC);
		if (tmp[i] < 0)
			FAIL_SYS(c, errno, "stdio");
	}
	for (int i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)
			FAIL_SYS(c, errno, "stdio");
	if (s->tty) {
		/* a new session whose controlling terminal is the pty (job control, ^C) */
		setsid();
		if (ioctl(0, TIOCSCTTY, 0) < 0)
			FAIL_SYS(c, errno, "set controlling terminal");
	}
}

static char *read_etc(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_fs_read_file(path, ETC_FILE_MAX, &data, &len, &e) < 0)
		return NULL;
	return data;
}

static bool env_has(char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
			return true;
	return false;
}

static const char *env_get(char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

/*
 * The environment Docker gives: the caller's, plus PATH, HOSTNAME, HOME and TERM if missing.
 * A build step (build_step) gets what BuildKit's executor gives: PATH (containerd's default
 * spec) and HOME (runc adds it), but no HOSTNAME.
 */
static char **make_env(const struct bld_runner_spec *s, const struct bld_runner_user *u)
{
	char **env = bld_strv_dup(s->env);
	if (!env_has(env, "PATH"))
		bld_strv_push(&env, DEFAULT_PATH);
	char host[256] = "";
	bool want_host = !s->build_step && !env_has(env, "HOSTNAME");
	if (want_host && gethostname(host, sizeof(host) - 1) == 0) {
		cleanup_free char *h = xasprintf("HOSTNAME=%s", host);
		bld_strv_push(&env, h);
	}
	if (!env_has(env, "HOME")) {
		cleanup_free char *h = xasprintf("HOME=%s", u->home);
		bld_strv_push(&env, h);
	}
	if (s->tty && !env_has(env, "TERM"))
		bld_strv_push(&env, "TERM=xterm");
	return env;
}

/* exec.LookPath in the container: the first executable regular file on PATH. */
static char *lookup(struct child *c, const char *name, char *const *env)
{
	if (strchr(name, '/'))
		return xstrdup(name);
	const char *path = env_get(env, "PATH");
	cleanup_free char *copy = xstrdup(path ? path : "");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		cleanup_free char *p = xasprintf("%s/%s", *d ? d : ".", name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return steal_pointer(&p);
	}
	child_fail(c->sock, 127, BLD_E_NOTFOUND, 0,
		   "exec: \"%s\": executable file not found in $PATH", name);
}

static void switch_user(struct child *c, const struct bld_runner_user *u)
{
	/* the bounding set first: while we still hold CAP_SETPCAP */
	int r = bld_runner_caps_drop_bounding(c->caps);
	if (r < 0)
		FAIL_SYS(c, -r, "drop capabilities");
	/* rootless with the user alone mapped, setgroups is denied (the kernel's rule for a
	 * map written without newgidmap): the caller's groups stay, unmapped */
	if (setgroups(u->n_groups, u->groups) < 0 && !(errno == EPERM && bld_rootless_single_id()))
		FAIL_SYS(c, errno, "setgroups");
	/* rootless without ranges: ids other than 0 do not exist here (EINVAL says no more) */
	if ((u->uid || u->gid) && bld_rootless_single_id())
		FAIL_SYS(c, 0, "user %u:%u: " BLD_ROOTLESS_SINGLE_ID_WHY, (unsigned)u->uid,
			 (unsigned)u->gid);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		FAIL_SYS(c, errno, "setgid %u", (unsigned)u->gid);
	/* for uid != 0 the kernel clears permitted and effective: Docker's behaviour */
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		FAIL_SYS(c, errno, "setuid %u", (unsigned)u->uid);
	uint64_t set = u->uid == 0 ? c->caps : 0;
	r = bld_runner_caps_set(set, set, 0);
	if (r < 0)
		FAIL_SYS(c, -r, "capset");
}

/* pid 1 of --init: reaps every orphan and forwards signals to the command. */
static pid_t init_child;
static void forward(int sig) { kill(init_child, sig); }

static _Noreturn void init_loop(pid_t child)
{
	init_child = child;
	struct sigaction sa = {.sa_handler = forward};
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			_exit(125);
		if (p == child)
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}

/* No descriptor of bld's but the report socket stays open in the container's process, and
 * none is open while the working directory is made and entered: "-w /proc/self/fd/N" would
 * reach a host directory through it (CVE-2024-21626). */
static void close_fds(struct child *c)
{
	int s = c->sock;
	if (s < 3 || syscall(SYS_close_range, 3, s - 1, 0) < 0 ||
	    syscall(SYS_close_range, s + 1, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			if (fd != s)
				close(fd);
}

static void install_seccomp(struct child *c)
{
	int r = c->bpf ? bld_runner_seccomp_install(c->bpf) : 0;
	if (r < 0)
		FAIL_SYS(c, -r, "install seccomp filter");
}

/* What exec keeps of the caller's signals, set back to a new process's: the monitor blocks
 * SIGTERM, SIGINT, SIGHUP (it reads them from a signalfd) and ignores SIGPIPE, and a
 * container must neither have them blocked (a trapped SIGTERM would never arrive) nor
 * ignored. */
static void reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
}

/* Common tail of spawn and exec: signals, stdio, user, workdir, caps, fds, seccomp, exec. */
static _Noreturn void finish(struct child *c)
{
	const struct bld_runner_spec *s = c->s;
	/* --ulimit (for exec'd processes too, as runc gives them the container's), raised or
	 * lowered while we still hold CAP_SYS_RESOURCE */
	for (size_t i = 0; i < s->n_rlimits; i++) {
		const struct bld_runner_rlimit *l = &s->rlimits[i];
		struct rlimit rl = {.rlim_cur = l->soft, .rlim_max = l->hard};
		if (setrlimit(l->resource, &rl) < 0)
			FAIL_SYS(c, errno, "setrlimit %d", l->resource);
	}
	setup_stdio(c);
	cleanup_free char *passwd = read_etc("/etc/passwd");
	cleanup_free char *group = read_etc("/etc/group");
	struct bld_runner_user u;
	cleanup_error struct bld_error *e = NULL;
	if ((s->build_step ? bld_runner_user_resolve_step : bld_runner_user_resolve)(
		    &u, s->user, passwd, group, &e) < 0)
		child_fail(c->sock, 125, e->code, 0, "%s", e->msg);
	if (bld_runner_user_add_groups(&u, s->group_add, group, &e) < 0)
		child_fail(c->sock, 125, e->code, 0, "%s", e->msg);
	const char *cwd = s->cwd && *s->cwd ? s->cwd : "/";
	close_fds(c);
	/* Docker creates a missing working directory (as root, before the user switch) */
	if (bld_fs_mkdir_p(cwd, 0755, &e) < 0)
		child_fail(c->sock, 125, e->code, 0, "working directory %s: %s", cwd, e->msg);
	char **env = make_env(s, &u);
	char *exe = lookup(c, s->argv[0], env);
	/* without no_new_privs loading a filter takes CAP_SYS_ADMIN: before the user switch then
	 * (the profile allows what follows, as docker's does); else as late as possible */
	if (!s->no_new_privs)
		install_seccomp(c);
	switch_user(c, &u);
	if (chdir(cwd) < 0)
		FAIL_SYS(c, errno, "chdir to cwd (\"%s\")", cwd);
	/* getcwd fails (ENOENT) for a directory outside the root: make sure it is inside */
	char here[PATH_MAX];
	if (!getcwd(here, sizeof(here)))
		FAIL_SYS(c, errno, "working directory %s is outside the container", cwd);
	/* the report socket is closed by the exec */
	fcntl(c->sock, F_SETFD, FD_CLOEXEC);
	if (s->no_new_privs)
		install_seccomp(c);
	reset_signals();
	if (s->init) {
		pid_t p = fork();
		if (p < 0)
			FAIL_SYS(c, errno, "fork init");
		if (p > 0) {
			close(c->sock);
			init_loop(p);
		}
	}
	execve(exe, s->argv, env);
	int en = errno;
	child_fail(c->sock, en == ENOENT ? 127 : 126, en == ENOENT ? BLD_E_NOTFOUND : BLD_E_SYSTEM,
		   en, "exec: \"%s\"", s->argv[0]);
}

/* ------------------------------------------------------------------ spawn */

/* The parent's go-ahead (one byte); anything else means the parent failed: exit quietly. */
static void wait_go(struct child *c)
{
	char go = 0;
	ssize_t n;
	while ((n = recv(c->sock, &go, 1, 0)) < 0 && errno == EINTR)
		;
	if (n != 1 || go != 'g')
		_exit(125);
}

/* The parent's part while the child assembles its root: the caller's before_exec hook (the
 * network), then the go-ahead. */
static int start_child(const struct bld_runner_spec *s, int sock, struct bld_error **err)
{
	if (s->before_exec && s->before_exec(s->before_exec_arg, err) < 0)
		return -1;
	if (send(sock, "g", 1, MSG_NOSIGNAL) != 1)
		return bld_error_sys(err, errno, "start sandbox");
	return 0;
}

/* --sysctl "key=value": /proc/sys/key/with/slashes of the container's own namespaces. */
static void write_sysctls(struct child *c)
{
	for (size_t i = 0; c->s->sysctls && c->s->sysctls[i]; i++) {
		const char *kv = c->s->sysctls[i];
		const char *eq = strchr(kv, '=');
		cleanup_free char *path = xasprintf("/proc/sys/%.*s", (int)(eq - kv), kv);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, eq + 1, strlen(eq + 1)) < 0)
			FAIL_SYS(c, errno, "write sysctl %.*s", (int)(eq - kv), kv);
	}
}

/*
 * --isolation=chroot, where no namespace or mount can be made (an unprivileged container):
 * the root changes and nothing else. The process keeps bld's capabilities, network,
 * hostname and seccomp filter; finish() switches the user as always.
 */
static _Noreturn void chroot_main(struct child *c)
{
	/* into the root first: finish() reads the image's /etc/passwd and PATH from there */
	if (chroot(c->s->rootfs) < 0)
		FAIL_SYS(c, errno, "chroot %s", c->s->rootfs);
	if (chdir("/") < 0)
		FAIL_SYS(c, errno, "chdir /");
	wait_go(c);
	finish(c);
}

static _Noreturn void child_main(struct child *c)
{
	const struct bld_runner_spec *s = c->s;
	int r;
	if (s->chroot)
		chroot_main(c);
	/* join the cgroups first (unless cloned into them), then a cgroup namespace rooted there */
	if (!c->placed && (r = bld_runner_cgroup_join(c->cgroups)) < 0)
		FAIL_SYS(c, -r, "join cgroup");
	if (!s->cgroupns_host && unshare(CLONE_NEWCGROUP) < 0)
		FAIL_SYS(c, errno, "cgroup namespace");
	/* a prepared network namespace (bridge) is joined before anything else looks at it */
	if (c->netfd >= 0 && setns(c->netfd, CLONE_NEWNET) < 0)
		FAIL_SYS(c, errno, "join network namespace");
	/* another container's IPC namespace, before /dev/mqueue is mounted for it */
	if (c->ipcfd >= 0 && setns(c->ipcfd, CLONE_NEWIPC) < 0)
		FAIL_SYS(c, errno, "join IPC namespace");
	/* no_new_privs when asked for: nothing exec'd can gain privileges (setuid, file caps) */
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		FAIL_SYS(c, errno, "no_new_privs");
	/* propagation private: our mounts never reach the host and the host's never reach us;
	 * a slave when a bind asks to receive the host's mounts (--mount bind-propagation) */
	unsigned long prop = MS_PRIVATE;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].propagation)
			prop = MS_SLAVE;
	if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0)
		FAIL_SYS(c, errno, "make mounts private");
	/* the new root: overlay over the layers (or the given rootfs), unless fuse-overlayfs
	 * serves it already */
	if (!c->premounted && (r = bld_runner_mount_root(s, c->merged)) < 0)
		FAIL_SYS(c, -r, "mount root filesystem");
	cleanup_close int rootfd = open(c->merged, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (rootfd < 0)
		FAIL_SYS(c, errno, "open root");
	send_root(c->sock, rootfd);
	/* the kernel's views: /proc of the new pid namespace, a minimal /dev, /sys read-only */
	if ((r = bld_runner_mount_proc(rootfd)) < 0)
		FAIL_SYS(c, -r, "mount /proc");
	bool own_shm = !s->ipc_none && !s->ipc_host && c->shm_mntns < 0;
	if ((r = bld_runner_mount_dev(rootfd, s->tty ? s->stdin_fd : -1,
				      own_shm ? s->shm_size : -1)) < 0)
		FAIL_SYS(c, -r, "mount /dev");
	/* --ipc host or container:NAME: the /dev/shm of whom the IPC namespace is shared with */
	if ((s->ipc_host || c->shm_mntns >= 0) &&
	    (r = bld_runner_mount_shm_from(rootfd, c->shm_mntns)) < 0)
		FAIL_SYS(c, -r, "mount /dev/shm");
	if ((r = bld_runner_make_devices(rootfd, s->devices, s->n_devices)) < 0)
		FAIL_SYS(c, -r, "add devices");
	if ((r = bld_runner_mount_sys(rootfd, s->privileged)) < 0)
		FAIL_SYS(c, -r, "mount /sys");
	/* name resolution and identity files that the image does not own */
	if ((r = bld_runner_mount_etc(rootfd, s->state_dir, s->hostname && !s->build_step,
				      s->build_step)) < 0)
		FAIL_SYS(c, -r, "mount /etc files");
	/* the caller's binds, volumes and tmpfs, confined to the root */
	for (size_t i = 0; i < s->n_mounts; i++) {
		const char *what = NULL;
		if ((r = bld_runner_mount_user(rootfd, &s->mounts[i], &what)) < 0)
			FAIL_SYS(c, -r, "mount %s", what);
	}
	/* the root switch: the host's tree is detached and unreachable afterwards */
	if ((r = bld_runner_pivot(c->merged)) < 0)
		FAIL_SYS(c, -r, "pivot_root");
	/* the caller's kernel settings, while /proc/sys is still writable */
	write_sysctls(c);
	if (s->oom_score_adj) {
		char v[16];
		snprintf(v, sizeof(v), "%d", s->oom_score_adj);
		cleanup_close int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, v, strlen(v)) < 0)
			FAIL_SYS(c, errno, "oom_score_adj");
	}
	/* hide what leaks host information or allows host changes, as Docker does */
	if (!s->privileged && (r = bld_runner_mask_paths()) < 0)
		FAIL_SYS(c, -r, "mask paths");
	if (s->readonly_rootfs && (r = bld_runner_root_readonly()) < 0)
		FAIL_SYS(c, -r, "read-only root");
	/* (in the host's UTS namespace, --uts host, its names stay as they are) */
	if (!s->uts_host && s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		FAIL_SYS(c, errno, "sethostname");
	if (!s->uts_host && s->domainname &&
	    setdomainname(s->domainname, strlen(s->domainname)) < 0)
		FAIL_SYS(c, errno, "setdomainname");

	/* the parent has set up the network meanwhile */
	wait_go(c);
	finish(c);
}

static int write_file(const char *dir, const char *name, const char *data,
		      struct bld_error **err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) < 0)
		return bld_error_sys(err, errno, "write %s", p);
	return 0;
}

/* state_dir/{hosts,hostname,resolv.conf} (where Docker keeps them too, and no directory more
 * to make), bound into the container by the child. */
static int write_etc(const struct bld_runner_spec *s, struct bld_error **err)
{
	const char *dir = s->state_dir;
	struct bld_buf h = BLD_BUF_INIT;
	if (s->build_step) /* BuildKit's executor names its sandbox on the loopback line */
		bld_buf_printf(&h, "127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost "
				   "ip6-loopback\n", s->hostname ? s->hostname : "buildkitsandbox");
	else
		bld_buf_adds(&h, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
				 "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
				 "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
	for (size_t i = 0; s->extra_hosts && s->extra_hosts[i]; i++)
		bld_buf_printf(&h, "%s\n", s->extra_hosts[i]);
	int r = write_file(dir, "hosts", bld_buf_str(&h), err);
	bld_buf_dispose(&h);
	cleanup_free char *resolv = NULL;
	if (!s->resolv_conf) {
		resolv = read_etc("/etc/resolv.conf");
		if (!resolv)
			resolv = xstrdup("");
	}
	if (r == 0)
		r = write_file(dir, "resolv.conf", s->resolv_conf ? s->resolv_conf : resolv, err);
	if (r == 0 && s->hostname) {
		cleanup_free char *hn = xasprintf("%s\n", s->hostname);
		r = write_file(dir, "hostname", hn, err);
	}
	return r;
}

/* --device nodes that are not there, in docker's words (and its exit status, 127). */
static int check_devices(const struct bld_runner_spec *s, struct bld_error **err)
{
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct bld_runner_device *d = &s->devices[i];
		if (!d->errnum)
			continue;
		bld_error_set(err, BLD_E_NOTFOUND,
			      "error gathering device information while adding custom device "
			      "\"%s\": %s",
			      d->host_path,
			      d->errnum == ENOENT ? "no such file or directory" : "not a device node");
		(*err)->status = 127;
		return -1;
	}
	return 0;
}

static int prepare_dirs(const struct bld_runner_spec *s, char **merged, struct bld_error **err)
{
	if (!s->argv || !s->argv[0] || !s->state_dir || (!s->rootfs && !bld_strv_len(s->lowers)))
		return bld_error_set(err, BLD_E_INVALID, "sandbox: argv, state_dir and a root needed");
	static const char *const sub[] = {"upper", "work", "merged"};
	for (size_t i = s->rootfs ? 2 : 0; i < BLD_ARRAY_SIZE(sub); i++) {
		cleanup_free char *d = xasprintf("%s/%s", s->state_dir, sub[i]);
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			return bld_error_sys(err, errno, "mkdir %s", d);
	}
	for (size_t i = 0; i < s->n_mounts; i++)
		if (bld_runner_mount_check_propagation(&s->mounts[i], err) < 0)
			return -1;
	if (check_devices(s, err) < 0)
		return -1;
	*merged = xasprintf("%s/merged", s->state_dir);
	return write_etc(s, err);
}

/* clone3's arguments (linux/sched.h's struct clone_args, without its header's clashes). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL

/* The child, on cgroup v2 cloned right into its cgroup (*placed): no migration afterwards,
 * whose whole-process move waits for an RCU grace period. Elsewhere, or where clone3 or
 * CLONE_INTO_CGROUP is missing, a plain clone; the child then joins by itself. */
static pid_t clone_child(unsigned long flags, const struct bld_runner_proc *p, bool *placed)
{
	*placed = false;
	cleanup_close int cg = -1;
	if (bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2 && p->cgroups && p->cgroups[0] &&
	    !p->cgroups[1])
		cg = open(p->cgroups[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg >= 0) {
		struct clone3_args a = {.flags = flags | CLONE_INTO_CGROUP_FLAG,
					.exit_signal = SIGCHLD, .cgroup = (uint64_t)cg};
		pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pid >= 0) {
			*placed = true;
			return pid;
		}
	}
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* More than one thread in this process (/proc/self/task has two links plus one per thread). */
static bool multithreaded(void)
{
	struct stat st;
	return stat("/proc/self/task", &st) < 0 || st.st_nlink > 3;
}

/*
 * Clones the child, which runs child_main (closing other_end, the parent's socket end).
 * Other threads of the caller (a build's parallel stages, its progress view, a pull's
 * inflater) may hold malloc's or stdio's locks at any moment: a raw clone copies them held,
 * and the child, which allocates, would wait forever. glibc's fork() takes those locks
 * across the fork, so a threaded caller clones from a forked, single-threaded go-between;
 * CLONE_PARENT keeps the child ours. The go-between hands back the pid (or errno) and exits.
 */
static pid_t spawn_child(struct child *c, unsigned long flags, const struct bld_runner_proc *p,
			 int other_end)
{
	pid_t pid;
	if (!multithreaded()) {
		if ((pid = clone_child(flags, p, &c->placed)) == 0) {
			close(other_end);
			child_main(c);
		}
		return pid;
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return -1;
	pid_t mid = fork();
	if (mid == 0) {
		close(pp[0]);
		if ((pid = clone_child(flags | CLONE_PARENT, p, &c->placed)) == 0) {
			close(pp[1]);
			close(other_end);
			child_main(c);
		}
		int v[2] = {pid, pid < 0 ? errno : 0};
		_exit(write(pp[1], v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : 1);
	}
	int v[2] = {-1, errno};
	close(pp[1]);
	if (mid > 0) {
		if (read(pp[0], v, sizeof(v)) != (ssize_t)sizeof(v))
			v[0] = -1, v[1] = EIO;
		while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(pp[0]);
	errno = v[1];
	return v[0];
}

static unsigned long clone_flags(const struct bld_runner_spec *s)
{
	unsigned long f = CLONE_NEWNS;
	if (!s->pid_host && s->pid_join <= 0)
		f |= CLONE_NEWPID;
	if (!s->uts_host)
		f |= CLONE_NEWUTS;
	if (!s->ipc_host && s->ipc_join <= 0)
		f |= CLONE_NEWIPC;
	if (s->net == BLD_RUNNER_NET_NONE)
		f |= CLONE_NEWNET;
	return f;
}

/* /proc/PID/ns/NAME, or -1. */
static int open_ns(pid_t pid, const char *name)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, name);
	return open(p, O_RDONLY | O_CLOEXEC);
}

/* --pid container:NAME: the children we make from now on are born in its PID namespace;
 * *own is ours, to go back to once the child is cloned. */
static int enter_pid_ns(pid_t pid, int *own, struct bld_error **err)
{
	if (multithreaded())
		return bld_error_set(err, BLD_E_INTERNAL, "a shared PID namespace needs a "
				     "single-threaded caller");
	cleanup_close int ns = open_ns(pid, "pid");
	*own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || *own < 0 || setns(ns, CLONE_NEWPID) < 0)
		return bld_error_sys(err, errno, "join PID namespace");
	return 0;
}


/* The filter the child installs, compiled here where the profile file is reachable. */
static int seccomp_for(const struct bld_runner_spec *s, uint64_t caps, struct bld_runner_bpf *b,
		       struct bld_error **err)
{
	memset(b, 0, sizeof(*b));
	if (s->privileged || (s->seccomp && strcmp(s->seccomp, "unconfined") == 0))
		return 0;
	return bld_runner_seccomp_compile(b, s->seccomp, caps, s->cache_dir, err);
}

static int spawned(struct bld_runner_proc **out, struct bld_runner_proc *p,
		   const struct bld_runner_spec *s, pid_t pid, int e, int sv[2],
		   struct bld_error **err);

/* --isolation=chroot: a plain child (no namespace flags) that chroots; no cgroup, no filter
 * of its own, every capability bld holds kept (dropping any would take CAP_SETPCAP). */
static int chroot_spawn(struct bld_runner_proc **out, const struct bld_runner_spec *s,
			struct bld_error **err)
{
	if (!s->argv || !s->argv[0] || !s->rootfs)
		return bld_error_set(err, BLD_E_INVALID, "sandbox: argv and a root needed");
	struct bld_runner_proc *p = xcalloc(1, sizeof(*p));
	p->pid = -1;
	p->root_ref = p->fuse_root = -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		bld_runner_proc_free(p);
		return bld_error_sys(err, errno, "socketpair");
	}
	struct child c = {.s = s, .sock = sv[1], .caps = ~0ULL, .netfd = -1, .ipcfd = -1,
			  .shm_mntns = -1};
	pid_t pid = spawn_child(&c, 0, p, sv[0]);
	return spawned(out, p, s, pid, errno, sv, err);
}

int bld_runner_sandbox_spawn(struct bld_runner_proc **out, const struct bld_runner_spec *s,
			     struct bld_error **err)
{
	if (s->chroot)
		return chroot_spawn(out, s, err);
	cleanup_free char *merged = NULL;
	uint64_t caps;
	struct bld_runner_bpf bpf;
	if (prepare_dirs(s, &merged, err) < 0 ||
	    bld_runner_caps_compute(&caps, s->cap_add, s->cap_drop, s->privileged, err) < 0 ||
	    seccomp_for(s, caps, &bpf, err) < 0)
		return -1;
	cleanup_free void *bpf_data = bpf.data;
	struct bld_runner_proc *p = xcalloc(1, sizeof(*p));
	p->pid = -1;
	p->root_ref = p->fuse_root = -1;
	cleanup_close int netfd = -1;
	if (s->net == BLD_RUNNER_NET_NSPATH &&
	    (netfd = s->net_path ? open(s->net_path, O_RDONLY | O_CLOEXEC)
				 : fcntl(s->net_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		bld_runner_proc_free(p);
		return bld_error_sys(err, errno, "network namespace");
	}
	if (bld_runner_overlay_fuse_mount(s, merged, &p->fuse_root, err) < 0 ||
	    bld_runner_cgroup_create(p, s, err) < 0) {
		bld_runner_proc_free(p);
		return -1;
	}
	p->oom_before = bld_runner_cgroup_oom_count(p->oom_file);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		bld_runner_proc_free(p);
		return bld_error_sys(err, errno, "socketpair");
	}
	cleanup_close int ipcfd = s->ipc_join > 0 ? open_ns(s->ipc_join, "ipc") : -1;
	cleanup_close int shmns = s->ipc_join > 0 ? open_ns(s->ipc_join, "mnt") : -1;
	cleanup_close int own_pid = -1;
	if ((s->ipc_join > 0 && (ipcfd < 0 || shmns < 0)) ||
	    (s->pid_join > 0 && enter_pid_ns(s->pid_join, &own_pid, err) < 0)) {
		if (!*err)
			bld_error_sys(err, errno, "join IPC namespace");
		close(sv[0]);
		close(sv[1]);
		bld_runner_proc_free(p);
		return -1;
	}
	struct child c = {.s = s, .sock = sv[1], .cgroups = p->cgroups, .caps = caps,
			  .netfd = netfd, .ipcfd = ipcfd, .shm_mntns = shmns, .merged = merged,
			  .premounted = p->fuse_root >= 0, .bpf = bpf.data ? &bpf : NULL};
	pid_t pid = spawn_child(&c, clone_flags(s), p, sv[0]);
	int e = errno;
	if (own_pid >= 0 && setns(own_pid, CLONE_NEWPID) < 0)
		abort(); /* our later children would be born in the other container */
	return spawned(out, p, s, pid, e, sv, err);
}

/* The parent's side once the child is cloned (pid, or -1 with errno e): its go-ahead, then
 * its reports until it execs; *out on success, p freed on failure. */
static int spawned(struct bld_runner_proc **out, struct bld_runner_proc *p,
		   const struct bld_runner_spec *s, pid_t pid, int e, int sv[2],
		   struct bld_error **err)
{
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		bld_runner_proc_free(p);
		return bld_error_sys(err, e, "clone");
	}
	p->pid = pid;
	cleanup_error struct bld_error *mine = NULL;
	int started = start_child(s, sv[0], &mine);
	if (started < 0)
		shutdown(sv[0], SHUT_WR); /* the child exits without a word */
	pid_t unused = 0;
	/* an error the child reported (it failed first) wins over ours */
	int r = read_reports(sv[0], &unused, &p->root_ref, err);
	if (r == 0 && started < 0) {
		*err = steal_pointer(&mine);
		r = -1;
	}
	close(sv[0]);
	if (r < 0) {
		waitpid(pid, NULL, 0);
		p->pid = -1;
		bld_runner_proc_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int bld_runner_proc_status(struct bld_runner_proc *p, int wstatus, bool *oom)
{
	if (oom)
		*oom = bld_runner_cgroup_oom_count(p->oom_file) > p->oom_before;
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return 128 + WTERMSIG(wstatus);
}

int bld_runner_proc_wait(struct bld_runner_proc *p, int *exit_code, bool *oom,
			 struct bld_error **err)
{
	int st;
	while (waitpid(p->pid, &st, 0) < 0)
		if (errno != EINTR)
			return bld_error_sys(err, errno, "wait for container");
	p->pid = -1;
	*exit_code = bld_runner_proc_status(p, st, oom);
	return 0;
}

void bld_runner_proc_free(struct bld_runner_proc *p)
{
	if (!p)
		return;
	bld_runner_cgroup_destroy(p->cgroups);
	bld_strv_free(p->cgroups);
	if (p->root_ref >= 0)
		close(p->root_ref); /* the overlay goes now (see send_root) */
	if (p->fuse_root >= 0) { /* by descriptor: --rm renames the directory first */
		char fdp[32];
		snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", p->fuse_root);
		bld_runner_overlay_fuse_unmount(fdp);
		close(p->fuse_root);
	}
	free(p->oom_file);
	free(p);
}

int bld_runner_sandbox_run(const struct bld_runner_spec *spec, int *exit_code, bool *oom,
			   struct bld_error **err)
{
	struct bld_runner_proc *p = NULL;
	if (bld_runner_sandbox_spawn(&p, spec, err) < 0)
		return -1;
	int r = bld_runner_proc_wait(p, exit_code, oom, err);
	bld_runner_proc_free(p);
	return r;
}

int bld_runner_sandbox_cleanup(const char *state_dir, struct bld_error **err)
{
	static const char *const sub[] = {"upper",       "work",   "merged",   "hosts",
					  "resolv.conf", "hostname", "etc", "rootfs",
					  "rootfs.complete"};
	/* a fuse-overlayfs whose process never freed it (a monitor killed): never remove
	 * through it */
	cleanup_free char *merged = xasprintf("%s/merged", state_dir);
	bld_runner_overlay_fuse_unmount(merged);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(sub); i++) {
		cleanup_free char *d = xasprintf("%s/%s", state_dir, sub[i]);
		if (bld_fs_rm_rf(d, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ exec */

static _Noreturn void exec_child(struct child *c, pid_t target)
{
	static const char *const ns[] = {"cgroup", "ipc", "uts", "net", "pid", "mnt"};
	int fds[BLD_ARRAY_SIZE(ns)];
	/* open them all first: after joining the mount namespace /proc is the container's */
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ns); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)target, ns[i]);
		if ((fds[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			FAIL_SYS(c, errno, "open %s", p);
	}
	int r = bld_runner_cgroup_join(c->cgroups);
	if (r < 0)
		FAIL_SYS(c, -r, "join cgroup");
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ns); i++)
		if (setns(fds[i], 0) < 0)
			FAIL_SYS(c, errno, "join %s namespace", ns[i]);
	if (c->s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		FAIL_SYS(c, errno, "no_new_privs");
	/* joining a pid namespace takes effect for children: clone one beside us */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		FAIL_SYS(c, errno, "clone");
	if (pid == 0) {
		if (chdir("/") < 0)
			FAIL_SYS(c, errno, "chdir /");
		finish(c);
	}
	struct bld_runner_child_msg m = {.kind = 1, .pid = pid};
	send(c->sock, &m, sizeof(m), MSG_NOSIGNAL);
	_exit(0);
}

int bld_runner_sandbox_exec(pid_t *child, pid_t target, const struct bld_runner_spec *s,
			    struct bld_error **err)
{
	uint64_t caps;
	struct bld_runner_bpf bpf;
	if (!s->argv || !s->argv[0])
		return bld_error_set(err, BLD_E_INVALID, "exec: no command");
	if (bld_runner_caps_compute(&caps, s->cap_add, s->cap_drop, s->privileged, err) < 0 ||
	    seccomp_for(s, caps, &bpf, err) < 0)
		return -1;
	cleanup_free void *bpf_data = bpf.data;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return bld_error_sys(err, errno, "socketpair");
	char **cgroups = bld_runner_cgroup_of(target);
	struct child c = {.s = s, .sock = sv[1], .cgroups = cgroups, .caps = caps, .netfd = -1,
			  .ipcfd = -1, .shm_mntns = -1, .bpf = bpf.data ? &bpf : NULL};
	pid_t mid = fork();
	if (mid == 0) {
		close(sv[0]);
		exec_child(&c, target);
	}
	int e = errno;
	close(sv[1]);
	bld_strv_free(cgroups);
	if (mid < 0) {
		close(sv[0]);
		return bld_error_sys(err, e, "fork");
	}
	pid_t pid = -1;
	int r = read_reports(sv[0], &pid, NULL, err);
	close(sv[0]);
	waitpid(mid, NULL, 0);
	if (r < 0) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return r;
	}
	if (pid <= 0)
		return bld_error_set(err, BLD_E_INTERNAL, "exec: no process started");
	*child = pid;
	return 0;
}
