/*
 * runner/attach.c — `bld attach`: a bld joins a running container's stdio through its
 * monitor. The bld hands the monitor its own descriptors (stdin unless --no-stdin or the
 * container was created without -i, stdout, stderr) over monitor.sock with SCM_RIGHTS and
 * a line "attach IN OUT ERR KEYS"; from then on the monitor copies the container's output
 * to them as well and its input into the container, watching it for the detach sequence
 * when the container has a tty, as docker does (ctrl-p,ctrl-q unless --detach-keys says
 * otherwise; a partial match is passed on when the next byte breaks it). The monitor answers "ok", later "detached" or "exited N".
 * Meanwhile this bld forwards the signals it gets as "kill N" (docker's --sig-proxy, not for
 * a tty, whose ctrl-c is a byte) and asks for "resize" on SIGWINCH.
 *
 * Both halves live here: the monitor's (struct bld_runner_attached) and the attaching bld's.
 * It does not put the terminal into raw mode (cli/ does).
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ the monitor's half */

void bld_runner_attached_init(struct bld_runner_attached *a)
{
	memset(a, 0, sizeof(*a));
	a->in = a->out = a->err = a->client = -1;
}

void bld_runner_attached_close(struct bld_runner_attached *a)
{
	int *fds[] = {&a->in, &a->out, &a->err};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	bld_runner_attached_init(a);
}

bool bld_runner_detach_scan(const char *keys, size_t nkeys, size_t *pos, const char *in,
			    size_t n, char *out, size_t *on)
{
	*on = 0;
	for (size_t i = 0; i < n; i++) {
		if (*pos && in[i] == keys[*pos]) {
			if (++*pos == nkeys)
				return true;
			continue;
		}
		memcpy(out + *on, keys, *pos);
		*on += *pos;
		*pos = 0;
		if (nkeys && in[i] == keys[0]) {
			if (++*pos == nkeys)
				return true;
			continue;
		}
		out[(*on)++] = in[i];
	}
	return false;
}

bool bld_runner_attached_input(struct bld_runner_attached *a, const char *buf, size_t n, int fd)
{
	char pass[BLD_RUNNER_ATTACH_CHUNK + BLD_RUNNER_DETACH_KEYS_MAX];
	size_t on = 0;
	if (n > BLD_RUNNER_ATTACH_CHUNK)
		n = BLD_RUNNER_ATTACH_CHUNK;
	bool detach = bld_runner_detach_scan(a->keys, strlen(a->keys), &a->matched, buf, n, pass,
					     &on);
	if (fd >= 0 && on && bld_fs_write_all(fd, pass, on) < 0)
		bld_debug("attach: write to the container: %s", strerror(errno));
	return detach;
}

/* ------------------------------------------------------------------ the attaching bld's half */

static volatile sig_atomic_t pending[65];
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int e = errno;
	pending[sig] = 1;
	char b = 0;
	if (write(sig_pipe[1], &b, 1) < 0)
		(void)0;
	errno = e;
}

static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* Catches SIGWINCH, and with proxy the signals that go on to the container. */
static void signals_set(bool on, bool proxy)
{
	struct sigaction sa = {.sa_handler = on ? on_signal : SIG_DFL, .sa_flags = SA_RESTART};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(proxied); i++)
		if (proxy || proxied[i] == SIGWINCH)
			sigaction(proxied[i], &sa, NULL);
}

/* Sends "attach ..." with the descriptors; 0 once the monitor said "ok". */
static int send_attach(int s, const int *fds, size_t nfds, const char *line,
		       struct bld_error **err)
{
	char ctl[CMSG_SPACE(3 * sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)line, .iov_len = strlen(line)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		return bld_error_sys(err, errno, "attach");
	char buf[64] = "";
	if (bld_runner_client_readline(s, buf, sizeof(buf)) < 0 || strcmp(buf, "ok") != 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"You cannot attach to a stopped container, start it first");
	return 0;
}

/* A signal this bld got, for the container: "resize" or "kill N" on a connection of its own. */
static void forward(struct bld_ctx *ctx, const char *id, int sig, bool proxy)
{
	char line[32];
	if (sig == SIGWINCH)
		snprintf(line, sizeof(line), "resize\n");
	else if (proxy)
		snprintf(line, sizeof(line), "kill %d\n", sig);
	else
		return;
	int s = bld_runner_client_send(ctx, id, line);
	char buf[32];
	if (s >= 0 && sig != SIGWINCH)
		bld_runner_client_readline(s, buf, sizeof(buf));
	if (s >= 0)
		close(s);
}

/* Until the monitor says how the attachment ended: *exit_code, or *detached. */
static int wait_end(struct bld_ctx *ctx, const char *id, int s, bool proxy, int *exit_code,
		    bool *detached)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = s, .events = POLLIN},
				      {.fd = sig_pipe[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -errno;
		char drain[16];
		if (p[1].revents && read(sig_pipe[0], drain, sizeof(drain)) < 0)
			(void)0;
		for (int sig = 1; sig < 65; sig++)
			if (pending[sig]) {
				pending[sig] = 0;
				forward(ctx, id, sig, proxy);
			}
		if (!p[0].revents)
			continue;
		char buf[64] = "";
		int code = 0;
		if (bld_runner_client_readline(s, buf, sizeof(buf)) < 0)
			return -EPIPE;
		*detached = strcmp(buf, "detached") == 0;
		*exit_code = sscanf(buf, "exited %d", &code) == 1 ? code : 0;
		return 0;
	}
}

/* Whether the container runs (and is not paused), with docker's refusals. */
static int check_running(struct bld_ctx *ctx, const char *id, bool *tty, bool *open_stdin,
			 struct bld_error **err)
{
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load_live(ctx, id, &cfg, &st, err) < 0)
		return -1;
	json_t *c = json_object_get(cfg, "Config");
	*tty = json_is_true(json_object_get(c, "Tty"));
	*open_stdin = json_is_true(json_object_get(c, "OpenStdin"));
	bool running = json_is_true(json_object_get(st, "Running"));
	bool paused = json_is_true(json_object_get(st, "Paused"));
	if (!running)
		return bld_error_refuse(err, BLD_E_INVALID,
					"You cannot attach to a stopped container, start it first");
	if (paused)
		return bld_error_refuse(err, BLD_E_INVALID,
					"You cannot attach to a paused container, unpause it first");
	return 0;
}

int bld_runner_container_attach(struct bld_ctx *ctx, const char *id,
				const struct bld_runner_attach_opts *o, int *exit_code,
				bool *detached, struct bld_error **err)
{
	char keys[BLD_RUNNER_DETACH_KEYS_MAX];
	bool tty = false, open_stdin = false;
	if (bld_runner_detach_keys(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", keys,
				   err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	if (check_running(ctx, id, &tty, &open_stdin, err) < 0)
		return -1;
	size_t nkeys = strlen(keys);
	bool in = open_stdin && !o->no_stdin;
	if (!tty)
		nkeys = 0; /* docker watches for them on a tty only */
	int fds[3] = {0, 1, 2};
	char line[128];
	int k = snprintf(line, sizeof(line), "attach %d 1 %d ", in, !tty);
	for (size_t i = 0; i < nkeys; i++)
		k += snprintf(line + k, sizeof(line) - (size_t)k, "%02x", (unsigned char)keys[i]);
	snprintf(line + k, sizeof(line) - (size_t)k, "%s\n", nkeys ? "" : "-");
	cleanup_close int s = bld_runner_client_connect(ctx, id);
	if (s < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"You cannot attach to a stopped container, start it first");
	if (send_attach(s, in ? fds : fds + 1, in ? (tty ? 2 : 3) : (tty ? 1 : 2), line, err) < 0)
		return -1;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return bld_error_sys(err, errno, "pipe");
	bool proxy = o->sig_proxy && !tty;
	signals_set(true, proxy);
	forward(ctx, id, SIGWINCH, false);
	*detached = false;
	int r = wait_end(ctx, id, s, proxy, exit_code, detached);
	signals_set(false, proxy);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	return r < 0 ? bld_error_sys(err, -r, "attach") : 0;
}
