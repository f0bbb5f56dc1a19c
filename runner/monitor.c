/*
 * runner/monitor.c — the process that owns one running container (bld has no daemon). It is
 * forked by `bld start`/`bld run` (one fork, setsid), starts the sandbox, relays output to
 * the json-file log and to the terminal of the bld that started it, records state.json,
 * applies the restart policy, serves published ports, and answers commands on
 * <container dir>/monitor.sock:
 *
 *     "stop <seconds> <signal>"  signal now, SIGKILL after <seconds>; replies "exited N"
 *     "kill <signal>"            replies "ok"
 *     "wait"                     replies "exited N" at the container's next exit
 *     "pause", "unpause"         freezes or thaws its cgroup; replies "ok" or "error WHY"
 *     "hold"                     "pause" for as long as this connection lasts (commit): an
 *                                "unpause" on it, or its end (the bld killed), thaws
 *     "attach IN OUT ERR KEYS"   with the attaching bld's descriptors (attach.c); replies
 *                                "ok", then "detached" or "exited N" (up to MAX_ATTACHED
 *                                at once, each given the output)
 *     "resize"                   the pty takes the attached terminal's size
 *     "resize ROWS COLS"         the pty takes that size (an API client's); replies "ok"
 *     "connect JSON"             {"Network": ID, "EndpointConfig": {...}}: a new interface
 *                                on that network, live; replies "ok" or "error WHY"
 *     "disconnect ID"            that network's interface goes; replies "ok" or "error WHY"
 *
 * A paused container that is stopped, or killed with SIGKILL or its stop signal, is thawed
 * once the signal is sent, as docker does, so that it can act on it.
 *
 * It exits when the container has stopped for good (after --rm removal). Messages to the
 * starting bld go over report_fd as struct bld_runner_child_msg: kind 2 "started" (pid,
 * status = monitor pid), kind 0 an error, kind 3 the exit code, kind 4 that the caller
 * detached (--detach-keys): its terminal is let go, the container runs on.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_CLIENTS 32
#define MAX_ATTACHED 8 /* blds attached at once (docker attach twice: each gets the stream) */
#define MAX_POLL \
	(MAX_CLIENTS + MAX_ATTACHED + 16 + 2 * BLD_RUNNER_MAX_PROXY + BLD_RUNNER_MAX_UDP + BLD_RUNNER_MAX_DNS)

struct client {
	int fd;
	bool waiting; /* wants "exited N" */
	bool holds;   /* paused the container with "hold": its end thaws it */
	int fds[3];   /* descriptors it sent (SCM_RIGHTS) and no command took yet */
	size_t nfds;
	size_t len;
	char buf[1024]; /* a command line: "connect" carries an endpoint's config */
};

struct mon {
	struct bld_ctx *ctx;
	const char *id;
	char *dir;
	json_t *cfg, *state;
	int report_fd;
	int att_in, att_out, att_err; /* the starting bld's terminal, or -1 */
	struct bld_runner_attached att[MAX_ATTACHED]; /* blds attached later (bld attach) */
	int lsock, sigfd;
	int caller_fd; /* a pidfd of the attached bld: when it is gone, so is its terminal */
	struct bld_runner_logfile log;
	struct client clients[MAX_CLIENTS];
	int out_rd, err_rd, in_wr, pty; /* container side */
	struct bld_runner_proc *proc;
	struct bld_runner_net *net;
	struct bld_runner_health_mon *health; /* NULL: the container has no health check */
	bool running;
	int exit_code;
	bool oom, manual_stop, tty, paused;
	int64_t kill_at;   /* ms, 0 = none */
	int restart_count;
	struct bld_runner_logbuf lb_out, lb_err;
	char dk[16];   /* the detach keys (a terminal attached with -it) */
	size_t dk_len, dk_pos; /* their length; how many were typed so far (held back) */
	int replaced[4]; /* state files replaced and still open (see save_state), or -1 */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(struct mon *m, int kind, int status, pid_t pid, const struct bld_error *e)
{
	if (m->report_fd < 0)
		return;
	struct bld_runner_child_msg msg = {.kind = kind, .status = status, .pid = pid};
	if (e) {
		msg.code = e->code;
		msg.errnum = e->sys_errno;
		snprintf(msg.msg, sizeof(msg.msg), "%s", e->msg);
	}
	if (write(m->report_fd, &msg, sizeof(msg)) < 0)
		m->report_fd = -1;
}

/* Closes the state files that save_state kept open: now their blocks are freed. */
static void drop_replaced(struct mon *m)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(m->replaced); i++)
		if (m->replaced[i] >= 0) {
			close(m->replaced[i]);
			m->replaced[i] = -1;
		}
}

/*
 * state.json is replaced by a rename, which frees the old file's blocks; on a filesystem
 * mounted with -o discard that is a synchronous discard, a disk round trip, and the state is
 * saved right before the starting bld hears "started" and before it hears the exit. The old
 * file is held open across the rename instead, so that its blocks are freed when
 * drop_replaced closes it (after the exit is reported, or here when the slots are full).
 */
static void save_state(struct mon *m)
{
	cleanup_error struct bld_error *e = NULL;
	cleanup_free char *path = xasprintf("%s/state.json", m->dir);
	int old = open(path, O_RDONLY | O_CLOEXEC);
	if (bld_runner_json_write(m->dir, "state.json", m->state, &e) < 0)
		bld_warn("%s", e->msg);
	size_t n = BLD_ARRAY_SIZE(m->replaced);
	if (old < 0)
		return;
	if (m->replaced[n - 1] >= 0)
		drop_replaced(m);
	for (size_t i = 0; i < n; i++)
		if (m->replaced[i] < 0) {
			m->replaced[i] = old;
			break;
		}
}

static void set_str(json_t *o, const char *k, const char *v) { json_object_set_new(o, k, json_string(v)); }

/* ------------------------------------------------------------------ output */

static void out_write(struct mon *m, int *fd, const char *data, size_t n)
{
	while (*fd >= 0 && n > 0) {
		ssize_t w = write(*fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*fd = -1; /* the attached bld went away: keep logging */
			return;
		}
		data += w;
		n -= (size_t)w;
	}
}

static void detach(struct mon *m, size_t i, const char *why);

/* Output to each bld attached later: stderr to its stderr only without a tty. */
static void attach_output(struct mon *m, bool is_err, const char *buf, size_t n)
{
	for (size_t i = 0; i < MAX_ATTACHED; i++) {
		struct bld_runner_attached *a = &m->att[i];
		int fd = is_err && a->err >= 0 ? a->err : a->out;
		if (fd >= 0 && bld_fs_write_all(fd, buf, n) < 0)
			detach(m, i, NULL); /* it went away */
	}
}

/* Reads one chunk of container output; false on EOF. */
static bool pump_output(struct mon *m, int *fd, bool is_err)
{
	char buf[16384];
	ssize_t n = read(*fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return false;
	}
	bld_runner_log_add(is_err ? &m->lb_err : &m->lb_out, &m->log, buf, (size_t)n);
	out_write(m, is_err ? &m->att_err : &m->att_out, buf, (size_t)n);
	attach_output(m, is_err, buf, (size_t)n);
	return true;
}

/* The detach keys on the caller's input (bld_runner_detach_scan). */
static bool detach_scan(struct mon *m, const char *in, size_t n, char *out, size_t *on)
{
	return bld_runner_detach_scan(m->dk, m->dk_len, &m->dk_pos, in, n, out, on);
}

static void detach_terminal(struct mon *m);

static void pump_input(struct mon *m)
{
	char buf[16384], pass[16384 + 16];
	ssize_t n = read(m->att_in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		m->att_in = -1;
		/* the client's stdin ended: so does the container's (not for a tty) */
		if (!m->tty && m->in_wr >= 0) {
			close(m->in_wr);
			m->in_wr = -1;
		}
		return;
	}
	int fd = m->tty ? m->pty : m->in_wr;
	size_t on = (size_t)n;
	bool detach = m->dk_len && detach_scan(m, buf, (size_t)n, pass, &on);
	out_write(m, &fd, m->dk_len ? pass : buf, on);
	if (!detach)
		return;
	/* the caller goes, told so; its terminal is not ours anymore */
	report(m, 4, 0, 0, NULL);
	if (m->report_fd >= 0)
		close(m->report_fd);
	m->report_fd = -1;
	detach_terminal(m);
}

static void copy_winsize(struct mon *m)
{
	struct winsize ws;
	/* the caller's terminal, whichever of its descriptors we hold */
	int src = m->att_in >= 0 && isatty(m->att_in) ? m->att_in : m->att_out;
	for (size_t i = MAX_ATTACHED; i-- > 0;)
		if (m->att[i].out >= 0 && isatty(m->att[i].out))
			src = m->att[i].out;
	if (m->tty && m->pty >= 0 && src >= 0 && ioctl(src, TIOCGWINSZ, &ws) == 0)
		ioctl(m->pty, TIOCSWINSZ, &ws);
}

/* ------------------------------------------------------------------ clients */

static void client_close(struct client *c)
{
	close(c->fd);
	for (size_t i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	c->nfds = 0;
	c->fd = -1;
	c->waiting = false;
	c->holds = false;
	c->len = 0;
}

static void reply(struct client *c, const char *text)
{
	if (send(c->fd, text, strlen(text), MSG_NOSIGNAL) < 0)
		client_close(c);
}

static void accept_client(struct mon *m)
{
	int fd = accept4(m->lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i].fd < 0) {
			m->clients[i] = (struct client){.fd = fd};
			return;
		}
	close(fd);
}

/* Freezes or thaws the container and records it; the reply to the client. */
static const char *set_paused(struct mon *m, bool pause)
{
	if (!m->running)
		return "error not running\n";
	if (m->paused == pause)
		return pause ? "error already paused\n" : "error not paused\n";
	int r = bld_runner_cgroup_freeze(m->proc->cgroups, pause);
	if (r < 0) {
		bld_warn("%s the container: %s", pause ? "freeze" : "thaw", strerror(-r));
		return r == -ENOTSUP ? "error no freezer cgroup\n" : "error freezer failed\n";
	}
	m->paused = pause;
	/* docker probes no paused container: the probe in flight goes, the next comes an
	 * interval after the thaw */
	if (pause)
		bld_runner_health_stop(m->health);
	else
		bld_runner_health_resume(m->health);
	bld_runner_event(m->ctx, m->cfg, pause ? "pause" : "unpause", NULL);
	set_str(m->state, "Status", pause ? "paused" : "running");
	json_object_set_new(m->state, "Paused", json_boolean(pause));
	save_state(m);
	return "ok\n";
}

/* After a signal that should end a paused container: let it run to receive it. */
static void thaw_for(struct mon *m, int sig)
{
	const char *ss = bld_json_get_str(m->cfg, "ImageStopSignal");
	int stop = ss && *ss ? bld_runner_signal_parse(ss) : SIGTERM;
	if (m->paused && (sig == SIGKILL || sig == stop))
		set_paused(m, false);
}

/* Signals the container, recorded as docker's "kill" event. */
static void signal_container(struct mon *m, int sig)
{
	char attr[32];
	snprintf(attr, sizeof(attr), "signal=%d", sig);
	bld_runner_event(m->ctx, m->cfg, "kill", attr, NULL);
	kill(m->proc->pid, sig);
}

/* Ends the attachment i of a later bld: why is its last reply (NULL: it went away). */
static void detach(struct mon *m, size_t i, const char *why)
{
	int k = m->att[i].client;
	if (k >= 0 && why)
		reply(&m->clients[k], why);
	if (k >= 0)
		m->clients[k].waiting = false;
	bld_runner_attached_close(&m->att[i]);
}

/* A free attachment slot; when all are taken, the first is ended for the new one. */
static size_t attach_slot(struct mon *m)
{
	for (size_t i = 0; i < MAX_ATTACHED; i++)
		if (m->att[i].client < 0)
			return i;
	detach(m, 0, "detached\n");
	return 0;
}

/* "attach IN OUT ERR KEYS": the descriptors it sent, in that order, and the detach
 * sequence in hex ("-" for none). Several blds may be attached at once, as to docker's
 * containers: each gets the output, each one's input goes to the container. */
static void attach_client(struct mon *m, struct client *c, const char *args)
{
	int want[3];
	char keys[2 * BLD_RUNNER_DETACH_KEYS_MAX + 2];
	if (sscanf(args, "%d %d %d %33s", &want[0], &want[1], &want[2], keys) != 4 || !m->running ||
	    c->nfds != (size_t)(!!want[0] + !!want[1] + !!want[2])) {
		reply(c, "error cannot attach\n");
		return;
	}
	struct bld_runner_attached *a = &m->att[attach_slot(m)];
	int *dst[] = {&a->in, &a->out, &a->err};
	size_t k = 0;
	for (size_t i = 0; i < 3; i++)
		*dst[i] = want[i] ? c->fds[k++] : -1;
	c->nfds = 0;
	for (size_t i = 0, n = 0; keys[0] != '-' && 2 * i + 1 < strlen(keys) &&
				  n + 1 < BLD_RUNNER_DETACH_KEYS_MAX; i++) {
		unsigned v = 0;
		if (sscanf(keys + 2 * i, "%2x", &v) == 1 && v)
			a->keys[n++] = (char)v;
	}
	a->client = (int)(c - m->clients);
	c->waiting = true;
	copy_winsize(m);
	reply(c, "ok\n");
}

/* Input of the later attached bld i: to the container, but for the detach sequence. */
static void pump_attach_input(struct mon *m, size_t i)
{
	char buf[BLD_RUNNER_ATTACH_CHUNK];
	struct bld_runner_attached *a = &m->att[i];
	ssize_t n = read(a->in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* its stdin ended; the container's stays open for others */
		close(a->in);
		a->in = -1;
		return;
	}
	if (bld_runner_attached_input(a, buf, (size_t)n, m->tty ? m->pty : m->in_wr))
		detach(m, i, "detached\n");
}

/* "connect JSON" / "disconnect ID": the running container's networks change, and so do its
 * state and config (for the next start). */
static void net_command(struct mon *m, struct client *c, const char *arg, bool connect)
{
	cleanup_error struct bld_error *e = NULL;
	cleanup_json json_t *req = connect ? json_loads(arg, 0, NULL) : NULL;
	const char *net = connect ? bld_json_get_str(req, "Network") : arg;
	json_t *epcfg = json_object_get(req, "EndpointConfig");
	char name[256] = "";
	int r = !m->running || !net ? bld_error_set(&e, BLD_E_INVALID, "container is not running")
		: connect ? bld_runner_net_connect(m->net, net, epcfg, name, &e)
			  : bld_runner_net_disconnect(m->net, net, name, &e);
	if (r == 0)
		r = bld_runner_netcfg_update(m->ctx, m->id, name, connect ? epcfg : NULL, m->cfg,
					     &e);
	if (r < 0) {
		cleanup_free char *msg = xasprintf("error %s\n", e->msg);
		reply(c, msg);
		return;
	}
	bld_runner_net_state(m->net, m->state);
	save_state(m);
	reply(c, "ok\n");
}

static void command(struct mon *m, struct client *c, const char *line)
{
	int a = 0, b = 0;
	if (strcmp(line, "pause") == 0 || strcmp(line, "unpause") == 0) {
		c->holds = false;
		reply(c, set_paused(m, line[0] == 'p'));
	} else if (strcmp(line, "hold") == 0) {
		const char *r = set_paused(m, true);
		c->holds = strcmp(r, "ok\n") == 0;
		reply(c, r);
	} else if (strncmp(line, "attach ", 7) == 0) {
		attach_client(m, c, line + 7);
	} else if (strcmp(line, "resize") == 0) {
		copy_winsize(m);
		reply(c, "ok\n");
	} else if (sscanf(line, "resize %d %d", &a, &b) == 2) {
		struct winsize ws = {.ws_row = (unsigned short)a, .ws_col = (unsigned short)b};
		if (m->tty && m->pty >= 0 && a > 0 && b > 0 && a <= 65535 && b <= 65535)
			ioctl(m->pty, TIOCSWINSZ, &ws);
		reply(c, "ok\n");
	} else if (sscanf(line, "stop %d %d", &a, &b) == 2) {
		m->manual_stop = true;
		json_object_set_new(m->state, "ManualStop", json_true());
		if (!m->running) {
			char r[32];
			snprintf(r, sizeof(r), "exited %d\n", m->exit_code);
			reply(c, r);
			return;
		}
		signal_container(m, b > 0 ? b : SIGTERM);
		if (m->paused)
			set_paused(m, false);
		int64_t at = now_ms() + (int64_t)(a < 0 ? 0 : a) * 1000;
		if (!m->kill_at || at < m->kill_at)
			m->kill_at = at;
		c->waiting = true;
	} else if (sscanf(line, "kill %d", &a) == 1) {
		m->manual_stop = true;
		json_object_set_new(m->state, "ManualStop", json_true());
		if (m->running) {
			signal_container(m, a);
			thaw_for(m, a);
		}
		reply(c, "ok\n");
	} else if (strcmp(line, "wait") == 0) {
		c->waiting = true;
	} else if (strncmp(line, "connect ", 8) == 0 || strncmp(line, "disconnect ", 11) == 0) {
		net_command(m, c, strchr(line, ' ') + 1, line[0] == 'c');
	} else {
		reply(c, "error unknown command\n");
	}
}

/* Keeps the descriptors a message carried (at most three; more are closed). */
static void take_fds(struct client *c, struct msghdr *mh)
{
	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *v = (int *)CMSG_DATA(h);
		for (size_t i = 0; i < k; i++) {
			if (c->nfds < BLD_ARRAY_SIZE(c->fds))
				c->fds[c->nfds++] = v[i];
			else
				close(v[i]);
		}
	}
}

static void client_read(struct mon *m, struct client *c)
{
	char ctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = sizeof(c->buf) - 1 - c->len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	if (n > 0)
		take_fds(c, &mh);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			for (size_t i = 0; i < MAX_ATTACHED; i++)
				if (m->att[i].client == (int)(c - m->clients))
					detach(m, i, NULL);
			if (c->holds && m->paused)
				set_paused(m, false); /* a commit killed while it held the pause */
			client_close(c);
		}
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	char *nl = strchr(c->buf, '\n');
	if (!nl) {
		if (c->len >= sizeof(c->buf) - 1)
			client_close(c);
		return;
	}
	*nl = 0;
	command(m, c, c->buf);
	c->len = 0;
}

static void notify_waiters(struct mon *m)
{
	char r[32];
	snprintf(r, sizeof(r), "exited %d\n", m->exit_code);
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i].fd >= 0 && m->clients[i].waiting) {
			reply(&m->clients[i], r);
			m->clients[i].waiting = false;
		}
}

/* ------------------------------------------------------------------ one run */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Pipes (or a pty) between the container and us; fills the spec's stdio. */
static int make_stdio(struct mon *m, struct bld_runner_spec *s, int child[3],
		      struct bld_error **err)
{
	child[0] = child[1] = child[2] = -1;
	bool open_stdin = json_is_true(json_object_get(json_object_get(m->cfg, "Config"),
						       "OpenStdin"));
	if (m->tty) {
		int slave = -1;
		if (openpty(&m->pty, &slave, NULL, NULL, NULL) < 0)
			return bld_error_sys(err, errno, "openpty");
		fcntl(m->pty, F_SETFD, FD_CLOEXEC);
		child[0] = slave;
		child[1] = dup(slave);
		child[2] = dup(slave);
		copy_winsize(m);
	} else {
		int o[2], e[2], i[2] = {-1, -1};
		if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
		    (open_stdin && pipe2(i, O_CLOEXEC) < 0))
			return bld_error_sys(err, errno, "pipe");
		m->out_rd = o[0], child[1] = o[1];
		m->err_rd = e[0], child[2] = e[1];
		child[0] = i[0], m->in_wr = i[1];
	}
	s->stdin_fd = child[0];
	s->stdout_fd = child[1];
	s->stderr_fd = child[2];
	return 0;
}

/* The volumes with driver options, mounted on their _data before the sandbox binds them. */
static int mount_volumes(struct mon *m, struct bld_error **err)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(m->cfg, "Mounts"), i, v) {
		const char *name = bld_json_get_str(v, "Name");
		if (name && bld_runner_volume_mount(m->ctx, name, m->id, err) < 0)
			return -1;
	}
	return 0;
}

/* ... unmounted when no other live container uses them (best effort: a run is over). */
static void unmount_volumes(struct mon *m)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(m->cfg, "Mounts"), i, v) {
		const char *name = bld_json_get_str(v, "Name");
		cleanup_error struct bld_error *e = NULL;
		if (name && bld_runner_volume_unmount(m->ctx, name, m->id, &e) < 0)
			bld_warn("%s", e->msg);
	}
}

static int start_once(struct mon *m, struct bld_error **err)
{
	struct bld_runner_spec_holder h;
	bld_runner_spec_from_config(&h, m->cfg, m->dir);
	int child[3] = {-1, -1, -1}; /* closed below also when a step before make_stdio fails */
	int r = mount_volumes(m, err);
	if (r == 0)
		r = bld_runner_ns_join(m->ctx, m->cfg, &h.s, err);
	if (r == 0)
		r = make_stdio(m, &h.s, child, err);
	if (r == 0)
		r = bld_runner_net_setup(&m->net, m->ctx, m->cfg, m->id, &h, err);
	if (r == 0)
		r = bld_runner_sandbox_spawn(&m->proc, &h.s, err);
	for (int i = 0; i < 3; i++)
		close_fd(&child[i]);
	bld_runner_spec_holder_dispose(&h);
	if (r < 0)
		return r;
	char now[40];
	bld_runner_now_str(now);
	m->running = true;
	m->kill_at = 0;
	set_str(m->state, "Status", "running");
	set_str(m->state, "StartedAt", now);
	set_str(m->state, "Error", "");
	json_object_set_new(m->state, "Running", json_true());
	json_object_set_new(m->state, "Restarting", json_false());
	json_object_set_new(m->state, "OOMKilled", json_false());
	if (!m->restart_count) /* a start clears a stop's mark (docker's HasBeenManuallyStopped) */
		json_object_set_new(m->state, "ManualStop", json_false());
	json_object_set_new(m->state, "Pid", json_integer(m->proc->pid));
	json_object_set_new(m->state, "MonitorPid", json_integer(getpid()));
	json_object_set_new(m->state, "Cgroups", json_array());
	for (size_t i = 0; m->proc->cgroups && m->proc->cgroups[i]; i++)
		json_array_append_new(json_object_get(m->state, "Cgroups"),
				      json_string(m->proc->cgroups[i]));
	bld_runner_net_state(m->net, m->state);
	bld_runner_health_start(m->health);
	save_state(m);
	if (m->att_out >= 0 && !m->restart_count)
		bld_runner_event(m->ctx, m->cfg, "attach", NULL);
	bld_runner_event_volumes(m->ctx, m->cfg, true);
	bld_runner_event(m->ctx, m->cfg, "start", NULL);
	return 0;
}

static void reap(struct mon *m)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (m->running && p == m->proc->pid) {
			m->exit_code = bld_runner_proc_status(m->proc, st, &m->oom);
			m->running = false;
			bld_runner_health_stop(m->health);
		} else if (bld_runner_health_reaped(m->health, p, st)) {
			save_state(m);
		}
}

static void handle_signal(struct mon *m)
{
	struct signalfd_siginfo si;
	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(m);
		else if (si.ssi_signo == SIGWINCH)
			copy_winsize(m);
		else if (m->running) /* SIGTERM/SIGINT/SIGHUP to the monitor: pass them on */
			kill(m->proc->pid, (int)si.ssi_signo);
	}
}

static size_t add_poll(struct pollfd *p, size_t n, int fd, short ev)
{
	if (fd >= 0)
		p[n++] = (struct pollfd){.fd = fd, .events = ev};
	return n;
}

/* The attached bld ended (killed, --sig-proxy=false): output goes to the log only, as
 * docker's stops with its CLI. */
static void caller_gone(struct mon *m)
{
	close_fd(&m->caller_fd);
	close_fd(&m->report_fd);
	detach_terminal(m);
}

/* Input on fd when it is an attached bld's (passed on): whether it was. */
static bool attached_input(struct mon *m, int fd)
{
	for (size_t i = 0; i < MAX_ATTACHED; i++)
		if (fd == m->att[i].in) {
			pump_attach_input(m, i);
			return true;
		}
	return false;
}

/* One round of poll and dispatch; timeout in ms (-1: none). */
static void poll_once(struct mon *m, int timeout)
{
	struct pollfd p[MAX_POLL];
	size_t n = 0;
	n = add_poll(p, n, m->sigfd, POLLIN);
	n = add_poll(p, n, m->caller_fd, POLLIN);
	n = add_poll(p, n, m->lsock, POLLIN);
	n = add_poll(p, n, m->out_rd, POLLIN);
	n = add_poll(p, n, m->err_rd, POLLIN);
	n = add_poll(p, n, m->pty, POLLIN);
	bool want_in = m->att_in >= 0 && (m->in_wr >= 0 || m->pty >= 0);
	n = add_poll(p, n, want_in ? m->att_in : -1, POLLIN);
	for (size_t i = 0; i < MAX_ATTACHED; i++) {
		bool want_att = m->att[i].in >= 0 && (m->in_wr >= 0 || m->pty >= 0);
		n = add_poll(p, n, want_att ? m->att[i].in : -1, POLLIN);
	}
	n = add_poll(p, n, bld_runner_health_pollfd(m->health), POLLIN);
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		n = add_poll(p, n, m->clients[i].fd, POLLIN);
	size_t net_first = n;
	n += bld_runner_net_pollfds(m->net, p + n, MAX_POLL - n);
	if (m->kill_at) {
		int64_t left = m->kill_at - now_ms();
		timeout = left < 0 ? 0 : (timeout < 0 || left < timeout ? (int)left : timeout);
	}
	int waits[] = {bld_runner_net_timeout(m->net), bld_runner_health_timeout(m->health)};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(waits); i++)
		if (waits[i] >= 0 && (timeout < 0 || waits[i] < timeout))
			timeout = waits[i];
	int r = poll(p, n, timeout);
	if (m->running && bld_runner_health_due(m->health, m->proc->pid))
		save_state(m);
	if (m->kill_at && now_ms() >= m->kill_at && m->running) {
		signal_container(m, SIGKILL);
		thaw_for(m, SIGKILL);
		m->kill_at = 0;
	}
	if (r <= 0) {
		bld_runner_net_handle(m->net, p + net_first, 0); /* idle UDP flows end */
		return;
	}
	for (size_t i = 0; i < net_first; i++) {
		if (!p[i].revents)
			continue;
		int fd = p[i].fd;
		if (fd == m->caller_fd)
			caller_gone(m);
		else if (fd == m->sigfd)
			handle_signal(m);
		else if (fd == m->lsock)
			accept_client(m);
		else if (fd == m->out_rd)
			pump_output(m, &m->out_rd, false);
		else if (fd == m->err_rd)
			pump_output(m, &m->err_rd, true);
		else if (fd == m->pty)
			pump_output(m, &m->pty, false);
		else if (fd == m->att_in)
			pump_input(m);
		else if (attached_input(m, fd))
			;
		else if (fd == bld_runner_health_pollfd(m->health))
			bld_runner_health_readable(m->health);
		else
			for (size_t k = 0; k < MAX_CLIENTS; k++)
				if (m->clients[k].fd == fd)
					client_read(m, &m->clients[k]);
	}
	bld_runner_net_handle(m->net, p + net_first, n - net_first);
}

/* Runs until the container exited and its output is drained. */
static void run_until_exit(struct mon *m)
{
	while (m->running || m->out_rd >= 0 || m->err_rd >= 0 || m->pty >= 0)
		poll_once(m, -1);
	bld_runner_log_flush(&m->lb_out, &m->log);
	bld_runner_log_flush(&m->lb_err, &m->log);
	close_fd(&m->in_wr);
}

/* The exit, on disk and to whoever waits; the cleanup (release) may follow later. */
static void record_exit(struct mon *m)
{
	char now[40];
	bld_runner_now_str(now);
	bld_runner_net_state(NULL, m->state); /* no address, no ports while stopped */
	set_str(m->state, "Status", "exited");
	set_str(m->state, "FinishedAt", now);
	m->paused = false;
	json_object_set_new(m->state, "Paused", json_false());
	json_object_set_new(m->state, "Running", json_false());
	json_object_set_new(m->state, "Pid", json_integer(0));
	json_object_set_new(m->state, "ExitCode", json_integer(m->exit_code));
	json_object_set_new(m->state, "OOMKilled", json_boolean(m->oom));
	/* "Cgroups" stays listed until they are gone: rm -f cleans up after a dead monitor */
	save_state(m);
	char code[32];
	snprintf(code, sizeof(code), "exitCode=%d", m->exit_code);
	if (m->oom)
		bld_runner_event(m->ctx, m->cfg, "oom", NULL);
	bld_runner_event(m->ctx, m->cfg, "die", code, NULL);
	bld_runner_event_volumes(m->ctx, m->cfg, false);
	notify_waiters(m);
	for (size_t i = 0; i < MAX_ATTACHED; i++)
		bld_runner_attached_close(&m->att[i]); /* it heard "exited N" */
}

/* What one run holds: its cgroups, its network (veth, address, proxies) and the mounts of
 * its volumes with driver options. */
static void release(struct mon *m)
{
	bld_runner_proc_free(m->proc);
	m->proc = NULL;
	bld_runner_net_stop(m->net);
	unmount_volumes(m);
}

static bool should_restart(struct mon *m)
{
	/* the policy config.json has now: docker update may have changed it */
	cleanup_json json_t *cfg = NULL;
	struct bld_error *e = NULL;
	if (bld_runner_json_read(m->dir, "config.json", &cfg, &e) < 0)
		bld_error_free(e);
	json_t *hc = json_object_get(cfg ? cfg : m->cfg, "HostConfig");
	json_t *rp = json_object_get(hc, "RestartPolicy");
	const char *name = bld_json_get_str(rp, "Name");
	long max = (long)json_integer_value(json_object_get(rp, "MaximumRetryCount"));
	if (m->manual_stop || !name)
		return false;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return true;
	if (strcmp(name, "on-failure") == 0)
		return m->exit_code != 0 && (max == 0 || m->restart_count < max);
	return false;
}

/* Docker's back-off: 100 ms, doubling, at most a minute; clients are served meanwhile. */
static void restart_delay(struct mon *m)
{
	int64_t delay = 100;
	for (int i = 0; i < m->restart_count && delay < 60000; i++)
		delay *= 2;
	int64_t until = now_ms() + delay;
	set_str(m->state, "Status", "restarting");
	json_object_set_new(m->state, "Restarting", json_true());
	save_state(m);
	while (!m->manual_stop && now_ms() < until)
		poll_once(m, (int)(until - now_ms()));
}

/* ------------------------------------------------------------------ set-up and main */

static int listen_socket(const char *dir, struct bld_error **err)
{
	/* through /proc/self/fd: a store path can be longer than sun_path */
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/monitor.sock", dfd);
	unlink(a.sun_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0) {
		int e = errno;
		close(dfd);
		if (s >= 0)
			close(s);
		return bld_error_sys(err, e, "monitor socket");
	}
	close(dfd);
	return s;
}

static int setup(struct mon *m, struct bld_error **err)
{
	if (bld_runner_container_load(m->ctx, m->id, &m->cfg, &m->state, err) < 0)
		return -1;
	m->tty = json_is_true(json_object_get(json_object_get(m->cfg, "Config"), "Tty"));
	/* detach keys work on a terminal only, as docker's */
	m->dk_len = m->tty && m->att_in >= 0 ? strlen(m->dk) : 0;
	m->health = bld_runner_health_new(m->ctx, m->cfg, m->state, m->dir);
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = {SIGCHLD, SIGWINCH, SIGTERM, SIGINT, SIGHUP};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sigfd < 0)
		return bld_error_sys(err, errno, "signalfd");
	if ((m->lsock = listen_socket(m->dir, err)) < 0)
		return -1;
	return bld_runner_logfile_open(&m->log, m->dir, m->id, m->cfg, err);
}

static void detach_terminal(struct mon *m)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	m->att_in = m->att_out = m->att_err = -1;
}

/*
 * --rm, first half: the container disappears at once (a rename to a name that lookups and
 * listings skip), so that the bld waiting for us can return before the slow part.
 */
static char *retire_container(struct mon *m)
{
	cleanup_free char *cdir = bld_runner_containers_dir(m->ctx);
	char *trash = xasprintf("%s/.rm-%s", cdir, m->id);
	if (rename(m->dir, trash) == 0)
		return trash;
	free(trash);
	return NULL;
}

/* --rm, second half: its anonymous volumes, endpoints and the "destroy" event (what others
 * see of it); with the container's directory still in place (it could not be retired), that
 * too. */
static void remove_container(struct mon *m)
{
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_container_remove_files(m->ctx, m->id, m->cfg, true, &e) < 0)
		bld_warn("%s", e->msg);
}

/* --rm, the visible teardown done: said by the retired directory's config going, which a
 * client waiting for the removal (wait?condition=removed) looks for. */
static void torn_down(const char *trash)
{
	cleanup_free char *cfg = xasprintf("%s/config.json", trash);
	if (unlink(cfg) < 0)
		bld_debug("remove %s: %s", cfg, strerror(errno));
}

/* --rm, last: the retired directory, which no lookup or listing sees. */
static void delete_retired(const char *trash)
{
	cleanup_error struct bld_error *e = NULL;
	if (bld_fs_rm_rf(trash, &e) < 0)
		bld_warn("%s", e->msg);
}

static void failed_start(struct mon *m, const struct bld_error *e)
{
	set_str(m->state, "Status", m->restart_count ? "exited" : "created");
	set_str(m->state, "Error", e->msg);
	json_object_set_new(m->state, "ExitCode", json_integer(e->status ? e->status : 125));
	json_object_set_new(m->state, "Running", json_false());
	save_state(m);
	m->exit_code = e->status ? e->status : 125;
	notify_waiters(m);
}

_Noreturn void bld_runner_monitor_main(struct bld_ctx *ctx, const char *id, int report_fd,
				       const struct bld_runner_attach *attach)
{
	struct mon m = {.ctx = ctx, .id = id, .report_fd = report_fd, .out_rd = -1, .err_rd = -1,
			.in_wr = -1, .pty = -1, .lsock = -1, .sigfd = -1, .log = {.fd = -1}};
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		m.clients[i].fd = -1;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(m.replaced); i++)
		m.replaced[i] = -1;
	for (size_t i = 0; i < MAX_ATTACHED; i++)
		bld_runner_attached_init(&m.att[i]);
	m.lb_out.stream = "stdout";
	m.lb_err.stream = "stderr";
	m.dir = bld_runner_container_dir(ctx, id);
	m.att_out = attach->out && !attach->drop_stdout ? 1 : -1;
	m.att_err = attach->out && !attach->drop_stderr ? 2 : -1;
	m.att_in = attach->in ? 0 : -1;
	m.caller_fd = attach->out ? (int)syscall(SYS_pidfd_open, getppid(), 0) : -1;
	if (attach->in)
		snprintf(m.dk, sizeof(m.dk), "%s", attach->detach_keys ? attach->detach_keys
									: "\x10\x11");
	if (chdir("/") < 0)
		_exit(125);
	cleanup_error struct bld_error *e = NULL;
	if (setup(&m, &e) < 0) {
		report(&m, 0, 125, 0, e);
		_exit(125);
	}
	bool rm = json_is_true(json_object_get(json_object_get(m.cfg, "HostConfig"), "AutoRemove"));
	struct bld_error *first_err = NULL;
	cleanup_free char *sock = xasprintf("%s/monitor.sock", m.dir);
	for (bool first = true;; first = false) {
		if (start_once(&m, &e) < 0) {
			failed_start(&m, e);
			if (first)
				bld_error_move(&first_err, &e);
			break;
		}
		if (first)
			report(&m, 2, getpid(), m.proc->pid, NULL);
		run_until_exit(&m);
		bool again = should_restart(&m);
		/* the last exit: no new client from here on, before anyone hears of it, so that a
		 * start that follows a wait begins a new run rather than find this one "running" */
		if (!again)
			unlink(sock);
		record_exit(&m);
		if (!again)
			break;
		release(&m);
		/* the bld that started us reports the first exit and goes */
		report(&m, 3, m.exit_code, 0, NULL);
		close_fd(&m.report_fd);
		detach_terminal(&m);
		m.restart_count++;
		json_object_set_new(m.state, "RestartCount", json_integer(m.restart_count));
		restart_delay(&m);
		if (m.manual_stop) {
			json_object_set_new(m.state, "Restarting", json_false());
			set_str(m.state, "Status", "exited");
			save_state(&m);
			notify_waiters(&m);
			break;
		}
	}
	unlink(sock);
	cleanup_free char *trash = rm ? retire_container(&m) : NULL;
	bld_test_point("container-retired");
	if (rm && !trash)
		remove_container(&m);
	if (first_err)
		report(&m, 0, first_err->status ? first_err->status : 125, 0, first_err);
	else
		report(&m, 3, m.exit_code, 0, NULL);
	/* the slow parts after the bld that waits for us has its answer; with --rm it waits on
	 * until no one can see the container any more, as docker run --rm returns then */
	if (!rm)
		close_fd(&m.report_fd);
	release(&m);
	bld_runner_net_free(m.net);
	bld_runner_health_free(m.health);
	if (trash) {
		remove_container(&m);
		torn_down(trash);
	}
	close_fd(&m.report_fd);
	/* what no one sees: the old states and the retired directory, whose frees are each a
	 * disk round trip on a filesystem mounted with -o discard (tens of ms in all) */
	drop_replaced(&m);
	if (trash)
		delete_retired(trash);
	_exit(0);
}
