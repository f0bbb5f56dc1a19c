/*
 * runner/rootless_net.c — networking for rootless bld, all in one place: which network modes
 * work without root, how a rootless process reaches into a network namespace of its own, and
 * the user-mode network stack that gives such a namespace its way out.
 *
 * Rootless bld is root of a user namespace while the host's network namespace belongs to the
 * host's: it may make network namespaces and configure them, but never make the host's bridge,
 * veths or NAT rules, and never setns back into the host's namespace once it left it. So a
 * socket or a new namespace is made in a short-lived child that leaves, and the descriptors
 * come back over SCM_RIGHTS (bld_runner_netns_socket, netns_sock.c).
 *
 * The default network ("bridge") is a namespace of its own whose eth0 is pasta's (Debian's
 * passt, podman's default): a tap device on which pasta, a process of the user in the host's
 * namespace, translates the container's packets into ordinary sockets of the user. eth0 takes
 * the address, gateway and routes of the host's interface; the gateway's address reaches the
 * host's loopback; no port is forwarded by pasta (-t/-u/-T/-U none): published ports are the
 * monitor's proxy, as for root (net.c). pasta runs as a daemon of its own, its pid in
 * $RUN_DIR/pasta-ID.pid, and is stopped with the container (or by `rm` when its monitor was
 * killed). When pasta cannot start (not installed, no /dev/net/tun, no host interface), the
 * container has the loopback alone, said on stderr. --network none, host and container:NAME
 * work as for root.
 *
 * User-defined networks live in one more namespace, $RUN_DIR/netns (bound in the mount
 * namespace every bld process of the user shares), that stands for the host's: their bridges,
 * the host ends of veths and the iptables rules are made there, because netlink.c and
 * firewall.c act in bld_runner_host_netns once it is open; a pasta of its own (pid in
 * $RUN_DIR/netns-pasta.pid) is its uplink, and it forwards and masquerades for the bridges as
 * the host does for root.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>

void bld_runner_rootless_net_mode(const char **mode)
{
	if (bld_rootless() && strcmp(*mode, "bridge") == 0)
		*mode = BLD_RUNNER_ROOTLESS_STACK;
}

/* ------------------------------------------------------------------ pasta */

/* The pasta process: exec'd with nsfd open, it configures the namespace, forks its daemon
 * (whose pid goes to pidfile) and exits; what it says on failure goes to the pipe errfd. */
static _Noreturn void pasta_exec(int nsfd, int errfd, const char *pidfile)
{
	int fd = dup(nsfd); /* without O_CLOEXEC: pasta opens it by its /proc/self/fd path */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* the namespace as 3, and no other descriptor of the caller's: pasta's daemon would keep
	 * them open for as long as it runs (a container's pty slave, and its reader never sees
	 * the end of it) */
	if (fd < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(errfd, 1) < 0 ||
	    dup2(errfd, 2) < 0 || dup2(fd, 3) < 0 || close_range(4, ~0U, 0) < 0)
		_exit(127);
	const char *ns = "/proc/self/fd/3";
	/* the monitor's blocked and ignored signals are not pasta's: it would not stop on
	 * SIGTERM, and it takes an ignored SIGPIPE for a failure to set its handlers */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* --runas 0:0: root of the user namespace is the user (pasta would become nobody, who
	 * may not exist there); the namespace by descriptor: pasta drops the capabilities that
	 * opening another process's /proc/PID/ns/net needs */
	execlp("pasta", "pasta", "--config-net", "--runas", "0:0", "--quiet", "--ns-ifname",
	       "eth0", "--tcp-ports", "none", "--udp-ports", "none", "--tcp-ns", "none",
	       "--udp-ns", "none", "--pid", pidfile, "--netns", ns, (char *)NULL);
	dprintf(2, "%s\n", errno == ENOENT ? "not installed (Debian's passt)" : strerror(errno));
	_exit(127);
}

/* What the failed pasta said, its last line, into buf. */
static void pasta_said(int fd, char *buf, size_t size)
{
	bld_runner_last_line(fd, buf, size);
	size_t stamp = strspn(buf, "0123456789."); /* "1796666935.0324: " */
	if (stamp && buf[stamp] == ':' && buf[stamp + 1] == ' ' && buf[stamp + 2])
		memmove(buf, buf + stamp + 2, strlen(buf + stamp + 2) + 1);
}

bool bld_runner_proc_live(pid_t pid, const char *comm)
{
	char p[64], line[128] = "";
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	cleanup_fclose FILE *f = pid > 0 ? fopen(p, "re") : NULL;
	if (!f || !fgets(line, sizeof(line), f))
		return false;
	char *c = strchr(line, '('), *end = strrchr(line, ')');
	if (!c || !end || end[1] != ' ' || end[2] == 'Z' || end[2] == 'X')
		return false;
	return bld_str_has_prefix(c + 1, comm);
}

/* Whether pid is still a live pasta (not a process that took its number since, nor a zombie
 * waiting for init): "pasta", or the "passt.avx2" Debian's pasta execs on CPUs with AVX2. */
static bool is_pasta(pid_t pid)
{
	return bld_runner_proc_live(pid, "pasta") || bld_runner_proc_live(pid, "passt");
}

pid_t bld_runner_pidfile_read(const char *path)
{
	cleanup_free char *txt = NULL;
	size_t len = 0;
	long pid = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_fs_read_file(path, 64, &txt, &len, &e) < 0)
		return 0;
	txt[strcspn(txt, "\n")] = 0;
	return bld_parse_long(txt, 1, INT32_MAX, &pid) < 0 ? 0 : (pid_t)pid;
}

/* Starts pasta for the namespace nsfd, its pid in pidfile (removed unless keep): the pid, or 0
 * with pasta's reason in why. */
static pid_t pasta_start(int nsfd, const char *pidfile, bool keep, char why[256])
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, 256, "pipe: %s", strerror(errno));
		return 0;
	}
	unlink(pidfile);
	pid_t child = fork();
	if (child == 0)
		pasta_exec(nsfd, p[1], pidfile);
	close(p[1]);
	int st = 0;
	bool ok = child > 0 && waitpid(child, &st, 0) == child && WIFEXITED(st) &&
		  WEXITSTATUS(st) == 0;
	if (!ok)
		pasta_said(p[0], why, 256);
	close(p[0]);
	pid_t pid = ok ? bld_runner_pidfile_read(pidfile) : 0;
	if (ok && !pid)
		snprintf(why, 256, "no pid in %s", pidfile);
	if (!pid || !keep)
		unlink(pidfile);
	return pid;
}

/* The pid file of container id's pasta: kept while it runs, so that a `bld rm` after its
 * monitor was killed stops it too. */
static char *stack_pidfile(const struct bld_ctx *ctx, const char *id)
{
	return xasprintf("%s/pasta-%.12s.pid", ctx->run_dir, id);
}

pid_t bld_runner_rootless_stack_start(const struct bld_ctx *ctx, int nsfd, const char *id)
{
	cleanup_free char *pidfile = stack_pidfile(ctx, id);
	char why[256] = "";
	pid_t pid = pasta_start(nsfd, pidfile, true, why);
	static bool said;
	if (!pid && !said)
		bld_warn("rootless: no network stack (pasta: %s): the container has the loopback "
			 "alone",
			 why);
	said = said || !pid;
	return pid;
}

void bld_runner_rootless_stack_stop(pid_t pid)
{
	if (pid <= 0 || !is_pasta(pid) || kill(pid, SIGTERM) < 0)
		return;
	/* not our child (pasta daemonized): gone once /proc no longer shows it */
	for (int i = 0; i < 200 && is_pasta(pid); i++)
		nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
	if (is_pasta(pid))
		kill(pid, SIGKILL);
}

void bld_runner_rootless_stack_forget(const struct bld_ctx *ctx, const char *id)
{
	if (!bld_rootless())
		return;
	cleanup_free char *pidfile = stack_pidfile(ctx, id);
	bld_runner_rootless_stack_stop(bld_runner_pidfile_read(pidfile));
	unlink(pidfile);
}

/* ------------------------------------------------------------------ the rootless namespace */

/* Child: a new network namespace, forwarding on, bound on path (in the mount namespace all
 * of the user's bld processes share). */
static _Noreturn void rns_child(const char *path)
{
	if (unshare(CLONE_NEWNET) < 0)
		_exit(1);
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		_exit(2);
	_exit(mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0 ? 3 : 0);
}

static bool is_netns(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

/* Makes the namespace on path, its loopback up and pasta its uplink. */
static int rns_make(const struct bld_ctx *ctx, const char *path, struct bld_error **err)
{
	cleanup_close int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return bld_error_sys(err, errno, "%s", path);
	pid_t c = fork();
	if (c == 0)
		rns_child(path);
	int st = 0;
	if (c < 0 || waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return bld_error_set(err, BLD_E_SYSTEM,
				     "make the rootless network namespace %s (step %d failed)", path,
				     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	cleanup_close int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || !is_netns(ns))
		return bld_error_sys(err, ns < 0 ? errno : EINVAL, "open %s", path);
	struct bld_runner_nl b;
	cleanup_close int nl =
	    bld_runner_netns_socket(ns, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, NULL);
	if (nl < 0)
		return bld_error_sys(err, errno, "netlink in %s", path);
	bld_runner_nl_init(&b, nl);
	bld_runner_nl_link_up(&b, 1);
	if (bld_runner_nl_send(&b, err) < 0)
		return -1;
	cleanup_free char *pidfile = xasprintf("%s/netns-pasta.pid", ctx->run_dir);
	char why[256] = "";
	/* the pasta of a namespace gone with an earlier bld-pause, if it still runs */
	bld_runner_rootless_stack_stop(bld_runner_pidfile_read(pidfile));
	if (!pasta_start(ns, pidfile, true, why))
		bld_warn("rootless: user-defined networks have no way out (pasta: %s): their "
			 "containers reach each other alone",
			 why);
	return steal_fd(&ns);
}

int bld_runner_rootless_netns(const struct bld_ctx *ctx, bool create, struct bld_error **err)
{
	if (!bld_rootless() || bld_runner_host_netns() >= 0)
		return 0;
	cleanup_free char *path = xasprintf("%s/netns", ctx->run_dir);
	cleanup_free char *lockp = xasprintf("%s/netns.lock", ctx->run_dir);
	cleanup_close int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return bld_error_sys(err, errno, "%s", lockp);
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns >= 0 && !is_netns(ns)) { /* the file of a namespace gone with its holder */
		close(ns);
		ns = -1;
	}
	if (ns < 0 && create && (ns = rns_make(ctx, path, err)) < 0)
		return bld_error_wrap(err, "rootless network namespace");
	bld_runner_host_netns_set(ns);
	return 0;
}
