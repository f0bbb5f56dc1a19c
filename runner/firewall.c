/*
 * runner/firewall.c — the iptables rules of bld's bridges, through the iptables program
 * (nothing else here needs a firewall library): docker's isolation between bridge networks
 * (chains BLD-ISOLATION-STAGE-1/2, in the style of docker's DOCKER-ISOLATION-STAGE-1/2), an
 * internal network's drops, and outbound NAT. A rule is added once (checked first) and
 * removed wholly; the chains and the FORWARD jump stay, as docker leaves its own.
 *
 * It knows no network objects: callers pass the bridge device and subnet.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

int bld_runner_run_quiet(char *const argv[])
{
	/* rootless: the rules are the namespace's that stands for the host's. The child makes
	 * system calls alone until its exec: the Engine API service calls this from a thread */
	int ns = bld_runner_host_netns();
	pid_t p = fork();
	if (p == 0) {
		if (ns >= 0 && setns(ns, CLONE_NEWNET) < 0)
			_exit(127);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int iptables(const char *const *args)
{
	char *argv[24] = {"iptables", "-w"};
	size_t n = 2;
	for (; args[n - 2] && n < BLD_ARRAY_SIZE(argv) - 1; n++)
		argv[n] = (char *)args[n - 2];
	argv[n] = NULL;
	return bld_runner_run_quiet(argv);
}

/* A rule added once (checked with -C first) or removed (-D until none is left). */
static void rule(bool add, const char *table, const char *chain, const char *const *spec)
{
	const char *argv[20] = {"-t", table, "-C", chain};
	size_t n = 4;
	for (size_t i = 0; spec[i] && n < BLD_ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = spec[i];
	argv[n] = NULL;
	bool present = iptables(argv) == 0;
	if (add && !present) {
		argv[2] = strcmp(chain, "FORWARD") == 0 ? "-I" : "-A";
		if (iptables(argv) != 0)
			bld_warn("could not add an iptables rule to %s", chain);
		return;
	}
	for (int i = 0; !add && present && i < 8; i++) {
		argv[2] = "-D";
		iptables(argv);
		argv[2] = "-C";
		present = iptables(argv) == 0;
	}
}

/* docker's isolation: STAGE-1 sends what leaves one bld bridge for another interface to
 * STAGE-2, which drops it when that interface is another bld bridge; an internal network
 * instead drops all that leaves or enters it from elsewhere. NAT for the others. Adding
 * turns forwarding on. */
void bld_runner_net_rules(bool add, const char *br, const char *cidr, bool internal)
{
	if (add) {
		int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "1", 1) < 0)
			bld_debug("ip_forward: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		const char *mk1[] = {"-N", "BLD-ISOLATION-STAGE-1", NULL};
		const char *mk2[] = {"-N", "BLD-ISOLATION-STAGE-2", NULL};
		iptables(mk1);
		iptables(mk2);
		const char *jump[] = {"-j", "BLD-ISOLATION-STAGE-1", NULL};
		rule(true, "filter", "FORWARD", jump);
	}
	if (internal) {
		const char *out[] = {"-i", br, "!", "-o", br, "-j", "DROP", NULL};
		const char *in[] = {"!", "-i", br, "-o", br, "-j", "DROP", NULL};
		rule(add, "filter", "BLD-ISOLATION-STAGE-1", out);
		rule(add, "filter", "BLD-ISOLATION-STAGE-1", in);
		return;
	}
	const char *s1[] = {"-i", br, "!", "-o", br, "-j", "BLD-ISOLATION-STAGE-2", NULL};
	const char *s2[] = {"-o", br, "-j", "DROP", NULL};
	const char *nat[] = {"-s", cidr, "!", "-o", br, "-j", "MASQUERADE", NULL};
	rule(add, "filter", "BLD-ISOLATION-STAGE-1", s1);
	rule(add, "filter", "BLD-ISOLATION-STAGE-2", s2);
	rule(add, "nat", "POSTROUTING", nat);
}

