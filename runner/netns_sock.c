/*
 * runner/netns_sock.c — a socket in another network namespace, for rootless bld, which may
 * enter a network namespace it made but never come back to the host's: a short-lived child
 * enters (or makes) the namespace, opens the socket there and sends it back over SCM_RIGHTS.
 * Also the namespace that stands for the host's once rootless_net.c opened it, so that
 * netlink.c and firewall.c act there. Below both netlink.c and rootless_net.c (which uses
 * netlink.c), so that neither calls the other in a circle.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int host_ns = -1; /* the rootless network namespace, once this process opened it */

int bld_runner_host_netns(void)
{
	return host_ns;
}

void bld_runner_host_netns_set(int ns)
{
	host_ns = ns;
}

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
