/*
 * runner/rootless_net.c — networking for rootless bld, all in one place: which network modes
 * work without root, and how a rootless process reaches into a network namespace of its own.
 *
 * Rootless bld is root of a user namespace while the host's network namespace belongs to the
 * host's: it may make network namespaces and configure them, but never make the host's bridge,
 * veths or NAT rules, and never setns back into the host's namespace once it left it. So a
 * socket or a new namespace is made in a short-lived child that leaves, and the descriptors
 * come back over SCM_RIGHTS (bld_runner_netns_socket).
 *
 * What works: --network none, host and container:NAME. The default network ("bridge") is a
 * namespace of its own with the loopback alone, said once on stderr, since there is no rootless
 * network stack (pasta, slirp4netns) yet; user-defined networks and published ports are
 * refused. A rootless stack plugs in at bld_runner_rootless_net_mode.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* Child: into ns (a new one when ns < 0), a socket there and the namespace, to the parent. */
static _Noreturn void socket_child(int sock, int ns, int domain, int type, int proto)
{
	if (ns < 0 ? unshare(CLONE_NEWNET) < 0 : setns(ns, CLONE_NEWNET) < 0)
		_exit(1);
	int fds[2] = {socket(domain, type, proto), open("/proc/self/ns/net", O_RDONLY)};
	if (fds[0] < 0 || fds[1] < 0)
		_exit(1);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} ctl;
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	_exit(sendmsg(sock, &mh, MSG_NOSIGNAL) < 0);
}

int bld_runner_netns_socket(int ns, int domain, int type, int proto, int *ns_out)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		socket_child(sv[1], ns, domain, type, proto);
	}
	close(sv[1]);
	int fds[2] = {-1, -1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} ctl;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	ssize_t n = pid < 0 ? -1 : recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
	int e = n < 0 ? errno : EPERM;
	close(sv[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(fds))) {
		errno = e;
		return -1;
	}
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	if (ns_out)
		*ns_out = fds[1];
	else
		close(fds[1]);
	return fds[0];
}

/* Whether cfg publishes any port (-p, or -P with exposed ports). */
static bool publishes(json_t *cfg)
{
	json_t *hc = json_object_get(cfg, "HostConfig");
	json_t *pb = json_object_get(hc, "PortBindings");
	if (json_object_size(pb) > 0)
		return true;
	return json_is_true(json_object_get(hc, "PublishAllPorts")) &&
	       json_object_size(json_object_get(json_object_get(cfg, "Config"), "ExposedPorts"));
}

int bld_runner_rootless_net_mode(const char **mode, json_t *cfg, struct bld_error **err)
{
	if (!bld_rootless())
		return 0;
	const char *m = *mode;
	bool dflt = strcmp(m, "bridge") == 0;
	if (strcmp(m, "host") && strcmp(m, "none") && !dflt && !bld_str_has_prefix(m, "container:"))
		return bld_error_set(err, BLD_E_INVALID,
				     "network %s: user-defined networks need root (rootless bld has "
				     "no network stack yet)",
				     m);
	if (publishes(cfg) && strcmp(m, "host"))
		return bld_error_set(err, BLD_E_INVALID,
				     "publishing ports needs root (rootless bld has no network stack "
				     "yet): use --network host");
	if (dflt) {
		static bool said;
		if (!said)
			bld_warn("rootless: the default network is the loopback alone (no pasta or "
				 "slirp4netns yet); --network host reaches the host's");
		said = true;
		*mode = "none";
	}
	return 0;
}
