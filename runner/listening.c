/*
 * runner/listening.c — which monitors answer, for many containers at once: one sock_diag
 * dump (NETLINK_SOCK_DIAG, UNIX_DIAG) of the unix sockets listening in this network
 * namespace, with the device and inode of the file each is bound to. A container whose
 * monitor.sock is among them has a live monitor, known without connecting to it (a connect
 * wakes the monitor: a hundred of them cost a listing more than its files do).
 *
 * Only a positive answer is trusted: a socket not in the dump (another namespace, a kernel
 * without unix_diag, a dump that failed) is asked by connecting, as before.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define TCP_LISTEN_STATE 10 /* the kernel's TCP_LISTEN, the state of a listening socket */

struct bld_runner_listening {
	uint64_t *keys; /* device << 32 | inode (low 32 bits, as unix_diag gives them) */
	size_t n;
};

static uint64_t key_of(unsigned int major_, unsigned int minor_, uint32_t ino)
{
	return (uint64_t)((major_ & 0xfffu) << 20 | (minor_ & 0xfffffu)) << 32 | ino;
}

static int ask(int s)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = {.nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		      .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.r = {.sdiag_family = AF_UNIX, .udiag_states = 1u << TCP_LISTEN_STATE,
		      .udiag_show = UDIAG_SHOW_VFS},
	};
	return send(s, &req, sizeof(req), 0) == (ssize_t)sizeof(req) ? 0 : -1;
}

/* Adds the bound file of one unix_diag_msg to l. */
static void add(struct bld_runner_listening *l, size_t *cap, struct nlmsghdr *h)
{
	struct unix_diag_msg *m = NLMSG_DATA(h);
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof(struct unix_diag_vfs))
			continue;
		struct unix_diag_vfs *v = RTA_DATA(a);
		if (l->n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			l->keys = xrealloc(l->keys, *cap * sizeof(*l->keys));
		}
		/* the kernel's dev_t: major << 20 | minor */
		l->keys[l->n++] = key_of(v->udiag_vfs_dev >> 20, v->udiag_vfs_dev & 0xfffff,
					 v->udiag_vfs_ino);
	}
}

/* Reads the dump into l; -1 when it did not end well. */
static int collect(int s, struct bld_runner_listening *l)
{
	static char buf[32768] __attribute__((aligned(8)));
	size_t cap = 0;
	for (;;) {
		ssize_t r = recv(s, buf, sizeof(buf), 0);
		if (r <= 0)
			return -1;
		int len = (int)r;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
				add(l, &cap, h);
		}
	}
}

static int by_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct bld_runner_listening *bld_runner_listening_load(void)
{
	struct bld_runner_listening *l = xcalloc(1, sizeof(*l));
	cleanup_close int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (s < 0 || ask(s) < 0 || collect(s, l) < 0) {
		free(l->keys);
		l->keys = NULL;
		l->n = 0; /* nothing known: every monitor is asked */
	}
	if (l->n)
		qsort(l->keys, l->n, sizeof(*l->keys), by_key);
	return l;
}

bool bld_runner_listening_has(const struct bld_runner_listening *l, const char *dir)
{
	if (!l || !l->n)
		return false;
	struct stat st;
	cleanup_free char *path = xasprintf("%s/monitor.sock", dir);
	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	uint64_t k = key_of(major(st.st_dev), minor(st.st_dev), (uint32_t)st.st_ino);
	return bsearch(&k, l->keys, l->n, sizeof(k), by_key) != NULL;
}

void bld_runner_listening_free(struct bld_runner_listening *l)
{
	if (l)
		free(l->keys);
	free(l);
}
