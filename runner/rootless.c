/*
 * runner/rootless.c — bld for a user who is not root, as podman does it: every bld process of
 * the user joins one user namespace and one mount namespace, held open by a small "bld-pause"
 * process, in which bld is root. The namespace maps uid and gid 0 to the user and 1... to the
 * user's ranges in /etc/subuid and /etc/subgid (set by the setuid newuidmap/newgidmap); with no
 * ranges, the user alone is mapped (as 0), and what needs other ids fails with a message
 * saying so (bld_error_chown). Sharing one namespace is what lets a later `bld exec`,
 * `bld stop` or `bld cp` reach containers an earlier `bld run` started.
 *
 * State: $RUN_DIR/pause.pid (the holder) and $RUN_DIR/pause.lock (taken while one process
 * makes or joins it). A pid file whose process is gone or is not the user's bld-pause is
 * replaced. It does not set up networking (containers get what bld_runner_rootless_net says)
 * nor cgroups (cgroup.c refuses limits without a delegated subtree).
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PAUSE_NAME "bld-pause"
#define SUBID_MAX_RANGES 8
#define MAP_ARGS_MAX (3 + 3 * (SUBID_MAX_RANGES + 1))

/* ------------------------------------------------------------------ subordinate ids */

struct idmap {
	unsigned long start[SUBID_MAX_RANGES], count[SUBID_MAX_RANGES];
	size_t n;
};

/* The ranges /etc/subuid (or subgid) gives the user, by name or by number ("name:start:n"). */
static void subid_ranges(const char *file, const char *name, unsigned long id, struct idmap *m)
{
	cleanup_fclose FILE *f = fopen(file, "re");
	char line[512];
	m->n = 0;
	while (f && m->n < SUBID_MAX_RANGES && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = 0;
		long start = 0, count = 0, who = -1;
		bool mine = (name && strcmp(line, name) == 0) ||
			    (bld_parse_long(line, 0, LONG_MAX, &who) == 0 && (unsigned long)who == id);
		c2[1 + strcspn(c2 + 1, "\n")] = 0;
		if (!mine || bld_parse_long(c1 + 1, 1, LONG_MAX, &start) < 0 ||
		    bld_parse_long(c2 + 1, 1, LONG_MAX, &count) < 0)
			continue;
		m->start[m->n] = (unsigned long)start;
		m->count[m->n++] = (unsigned long)count;
	}
}

/* Runs newuidmap or newgidmap for pid: 0 -> id, then the ranges from 1 on. */
static int run_map_tool(const char *tool, pid_t pid, unsigned long id, const struct idmap *m,
			struct bld_error **err)
{
	char buf[MAP_ARGS_MAX][24];
	char *argv[MAP_ARGS_MAX + 1];
	size_t n = 0;
	unsigned long inner = 1;
	snprintf(buf[n++], sizeof(buf[0]), "%d", (int)pid);
	snprintf(buf[n++], sizeof(buf[0]), "0");
	snprintf(buf[n++], sizeof(buf[0]), "%lu", id);
	snprintf(buf[n++], sizeof(buf[0]), "1");
	for (size_t i = 0; i < m->n; inner += m->count[i], i++) {
		snprintf(buf[n++], sizeof(buf[0]), "%lu", inner);
		snprintf(buf[n++], sizeof(buf[0]), "%lu", m->start[i]);
		snprintf(buf[n++], sizeof(buf[0]), "%lu", m->count[i]);
	}
	argv[0] = (char *)tool;
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = buf[i];
	argv[n + 1] = NULL;
	pid_t child = fork();
	if (child == 0) {
		execvp(tool, argv);
		_exit(127);
	}
	int st = 0;
	if (child < 0 || waitpid(child, &st, 0) < 0)
		return bld_error_sys(err, errno, "%s", tool);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return bld_error_set(err, BLD_E_SYSTEM, "%s %s failed (exit %d)%s", tool, buf[0],
				     WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				     WIFEXITED(st) && WEXITSTATUS(st) == 127
					     ? ": not installed (Debian's uidmap)"
					     : "");
	return 0;
}

/* Without newuidmap: the user alone, written by ourselves (allowed for one's own ids). */
static int write_own_map(pid_t pid, unsigned long uid, unsigned long gid, struct bld_error **err)
{
	static const char *const files[] = {"setgroups", "uid_map", "gid_map"};
	char vals[3][64];
	snprintf(vals[0], sizeof(vals[0]), "deny");
	snprintf(vals[1], sizeof(vals[1]), "0 %lu 1\n", uid);
	snprintf(vals[2], sizeof(vals[2]), "0 %lu 1\n", gid);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(files); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, files[i]);
		cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || bld_fs_write_all(fd, vals[i], strlen(vals[i])) < 0)
			return bld_error_sys(err, errno, "write %s", p);
	}
	return 0;
}

/* Maps the namespace of pid: the user's ranges through the setuid tools, else the user alone. */
static int map_ids(pid_t pid, struct bld_error **err)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct passwd *pw = getpwuid(uid);
	struct idmap u, g;
	subid_ranges("/etc/subuid", pw ? pw->pw_name : NULL, uid, &u);
	subid_ranges("/etc/subgid", pw ? pw->pw_name : NULL, uid, &g);
	if (u.n == 0 || g.n == 0) {
		bld_debug("rootless: no ranges in /etc/subuid or /etc/subgid: the user alone is mapped");
		return write_own_map(pid, uid, gid, err);
	}
	if (run_map_tool("newuidmap", pid, uid, &u, err) < 0 ||
	    run_map_tool("newgidmap", pid, gid, &g, err) < 0)
		return bld_error_wrap(err, "map the ranges of /etc/subuid and /etc/subgid");
	return 0;
}

/* ------------------------------------------------------------------ the holder */

/* The holder, once mapped: bld again with no environment and a name of its own, so that
 * nothing of the command that made it (its arguments, BLD_ROOT) shows in /proc. */
static _Noreturn void pause_exec(int sock)
{
	char go;
	if (read(sock, &go, 1) != 1)
		_exit(1);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && devnull >= 0; fd++)
		dup2(devnull, fd);
	close_range(3, ~0U, 0); /* a pipe of the caller's kept open would hang its reader */
	char *argv[] = {PAUSE_NAME, "__pause", NULL}, *envp[] = {NULL};
	execve("/proc/self/exe", argv, envp);
	_exit(127);
}

void bld_runner_rootless_pause(void)
{
	prctl(PR_SET_NAME, PAUSE_NAME, 0, 0, 0);
	if (chdir("/") < 0)
		_exit(1);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGTERM && sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_IGN);
	for (;;)
		pause();
}

/* Forks the holder (detached: its parent exits at once) and returns its pid once it has its
 * own user and mount namespaces; sock stays the line to it. */
static pid_t fork_holder(int sv[2], struct bld_error **err)
{
	pid_t mid = fork();
	if (mid < 0)
		return bld_error_sys(err, errno, "fork");
	if (mid == 0) {
		close(sv[0]);
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		pid_t me = getpid();
		int e = unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ? errno : 0;
		int msg[2] = {me, e};
		if (send(sv[1], msg, sizeof(msg), MSG_NOSIGNAL) != sizeof(msg) || e)
			_exit(1);
		pause_exec(sv[1]);
	}
	close(sv[1]);
	waitpid(mid, NULL, 0);
	int msg[2] = {0, 0};
	if (recv(sv[0], msg, sizeof(msg), 0) != sizeof(msg))
		return bld_error_set(err, BLD_E_SYSTEM, "user namespace holder died");
	if (msg[1])
		return bld_error_sys(err, msg[1], "create a user namespace (unprivileged user "
						  "namespaces disabled?)");
	return msg[0];
}

/* The pid recorded in the pid file when it is still the user's bld-pause, else 0. */
static pid_t holder_alive(const char *pidfile)
{
	pid_t pid = bld_runner_pidfile_read(pidfile);
	char p[64];
	struct stat st;
	snprintf(p, sizeof(p), "/proc/%d", (int)pid);
	/* a zombie holder (killed, its reaper slow) has no namespaces left to join */
	if (!pid || stat(p, &st) < 0 || st.st_uid != getuid() ||
	    !bld_runner_proc_live(pid, PAUSE_NAME))
		return 0;
	return pid;
}

/* Makes a new holder, maps it and records it in pidfile. */
static pid_t make_holder(const char *run_dir, struct bld_error **err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return bld_error_sys(err, errno, "socketpair");
	pid_t pid = fork_holder(sv, err);
	cleanup_close int sock = sv[0];
	if (pid < 0)
		return -1;
	cleanup_close int dfd = open(run_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	char txt[32];
	snprintf(txt, sizeof(txt), "%d\n", (int)pid);
	if (map_ids(pid, err) < 0 || dfd < 0 ||
	    bld_fs_write_atomic(dfd, "pause.pid", txt, strlen(txt), 0600, err) < 0 ||
	    write(sock, "g", 1) != 1) {
		kill(pid, SIGKILL);
		if (!*err)
			bld_error_sys(err, errno, "start the user namespace holder");
		return -1;
	}
	return pid;
}

/* ------------------------------------------------------------------ entering */

/* The runtime directory, the user's alone (0700, not a symlink). */
static int own_run_dir(const char *dir, struct bld_error **err)
{
	struct stat st;
	if (bld_fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	if (lstat(dir, &st) < 0)
		return bld_error_sys(err, errno, "%s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return bld_error_set(err, BLD_E_INVALID,
				     "%s: not a directory of this user's alone (mode 0700)", dir);
	return 0;
}

/* setns into the holder's user, then mount namespace; the working directory comes along. */
static int join_holder(pid_t pid, struct bld_error **err)
{
	cleanup_free char *cwd = getcwd(NULL, 0);
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	cleanup_close int userfd = open(p, O_RDONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)pid);
	cleanup_close int mntfd = open(p, O_RDONLY | O_CLOEXEC);
	if (userfd < 0 || mntfd < 0)
		return bld_error_sys(err, errno, "open the namespaces of %s %d", PAUSE_NAME, (int)pid);
	if (setns(userfd, CLONE_NEWUSER) < 0)
		return bld_error_sys(err, errno, "join the user namespace of %s", PAUSE_NAME);
	if (setns(mntfd, CLONE_NEWNS) < 0)
		return bld_error_sys(err, errno, "join the mount namespace of %s", PAUSE_NAME);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return bld_error_sys(err, errno, "become root of the user namespace");
	if (cwd && chdir(cwd) < 0)
		return bld_error_sys(err, errno, "chdir %s", cwd);
	return 0;
}

int bld_runner_rootless_enter(const struct bld_ctx *ctx, struct bld_error **err)
{
	if (geteuid() == 0)
		return 0; /* root, or already inside (a re-executed bld) */
	if (own_run_dir(ctx->run_dir, err) < 0)
		return bld_error_wrap(err, "rootless runtime directory");
	/* the store's place is fixed now: inside, geteuid() is 0 */
	setenv("BLD_ROOT", ctx->root, 1);
	cleanup_free char *lockp = xasprintf("%s/pause.lock", ctx->run_dir);
	cleanup_free char *pidp = xasprintf("%s/pause.pid", ctx->run_dir);
	cleanup_close int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return bld_error_sys(err, errno, "%s", lockp);
	pid_t pid = holder_alive(pidp);
	if (pid == 0 && (pid = make_holder(ctx->run_dir, err)) < 0)
		return bld_error_wrap(err, "rootless user namespace");
	return join_holder(pid, err) < 0 ? bld_error_wrap(err, "rootless") : 0;
}
