/*
 * api/attach.c — POST /containers/{id}/attach: the connection hijacked (HTTP upgrade) and the
 * container's stdio relayed over it, multiplexed in docker's 8-byte frames without a TTY, raw
 * with one. docker run attaches before it starts the container, so an attach waits here
 * (in a table of the connections waiting, the only thing this process keeps, and only while
 * they are open) for the start of its container; that start (POST .../start) then starts
 * the container as `bld run` does attached: its monitor's stdout and stderr are pipes read
 * by the attach's thread, and its stdin is the connection itself, so that the monitor relays
 * straight to and from them.
 *
 * An attach to a container that already runs (docker attach) is the runner's (`bld attach`'s)
 * in a child of its own (spawn.c), with the connection as its stdin and pipes relayed to the
 * connection as its stdout and stderr; it ends with the container, on the detach keys, or
 * when the client goes (the child is killed then, which detaches it from the monitor).
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#define WAIT_START_MS (60 * 1000) /* an attach whose container is not started by then ends */

struct attach {
	struct bld_ctx *ctx;
	char id[65];
	bool in, out, err, tty;
	int sock;            /* the hijacked connection (libmicrohttpd's) */
	int out_r, err_r;    /* what the container writes, once started (-1 before) */
	bool started, failed;
	char keys[64];       /* detachKeys, docker's syntax ("" for the default) */
	struct attach *next;
};

/* The attaches waiting for their container's start. */
static pthread_mutex_t waiting_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t waiting_cond = PTHREAD_COND_INITIALIZER;
static struct attach *waiting;

/* Waits on waiting_cond (waiting_lock held) for at most ms milliseconds. */
static void timed_wait(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&waiting_cond, &waiting_lock, &ts);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

static void unlink_waiting(struct attach *a)
{
	for (struct attach **p = &waiting; *p; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			return;
		}
}

/* Starts a's container with its stdio on the attach (see the file's comment): its monitor,
 * spawned, relays to a's pipes and reads the connection; a's pipes are then set. */
static int start_attached(struct attach *a, struct bld_error **err)
{
	int o[2] = {-1, -1}, e[2] = {-1, -1};
	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
		int en = errno;
		close_pair(o);
		return bld_error_sys(err, en, "pipe");
	}
	int io[3] = {a->in ? a->sock : -1, o[1], a->tty ? o[1] : e[1]};
	struct bld_runner_attach at = {.out = true, .in = a->in, .drop_stdout = !a->out,
				       .drop_stderr = !a->err, .no_sig_proxy = true, .stdio = io};
	int rfd = -1;
	int r = bld_runner_container_start(a->ctx, a->id, &at, &rfd, err);
	close(o[1]);
	close(e[1]);
	/* the exit code is the wait's to tell: the monitor's report of it is not read */
	if (rfd >= 0)
		close(rfd);
	if (r < 0) {
		close(o[0]);
		close(e[0]);
		return -1;
	}
	a->out_r = o[0];
	a->err_r = e[0];
	return 0;
}

int bld_api_attach_start(struct bld_ctx *ctx, const char *id, bool *handled,
			 struct bld_error **err)
{
	pthread_mutex_lock(&waiting_lock);
	struct attach *a = waiting;
	while (a && (a->started || strcmp(a->id, id) != 0))
		a = a->next;
	*handled = a != NULL;
	/* stdin is the connection itself: wait (briefly) for its upgrade to be done */
	int64_t end = bld_mono_ms() + 5000;
	while (a && a->in && a->sock < 0 && bld_mono_ms() < end)
		timed_wait(100);
	int r = a ? start_attached(a, err) : 0;
	if (a) {
		a->started = true;
		a->failed = r < 0;
		unlink_waiting(a);
		pthread_cond_broadcast(&waiting_cond);
	}
	pthread_mutex_unlock(&waiting_lock);
	return r;
}

/* Whether the client is gone (nothing is read: the data is the container's stdin; a client
 * without stdin closes its writing half at once, which is no hang-up). */
static bool hung_up(int sock)
{
	struct pollfd p = {.fd = sock, .events = 0};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* Waits until a start picked a up (registered by its request); false when it did not come
 * or failed. */
static bool wait_for_start(struct attach *a, int sock)
{
	pthread_mutex_lock(&waiting_lock);
	a->sock = sock;
	pthread_cond_broadcast(&waiting_cond);
	int64_t end = bld_mono_ms() + WAIT_START_MS;
	while (!a->started && bld_mono_ms() < end && !hung_up(a->sock))
		timed_wait(100);
	if (!a->started)
		unlink_waiting(a);
	bool ok = a->started && !a->failed;
	pthread_mutex_unlock(&waiting_lock);
	return ok;
}

static bool send_all(int sock, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(sock, p, n); /* a socket or a pipe; SIGPIPE is ignored */
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

bool bld_api_frame_send(int sock, bool raw, int stream, const char *data, size_t n)
{
	if (raw)
		return send_all(sock, data, n);
	unsigned char h[8] = {(unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24),
			      (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
	return send_all(sock, h, sizeof(h)) && send_all(sock, data, n);
}

/* Whether the client ended its stdin (a half close) and what it sent before was all read
 * (by the container's monitor, which reads the connection itself). */
static bool stdin_done(int sock, short revents)
{
	int queued = 0;
	if (!(revents & POLLRDHUP))
		return false;
	if (ioctl(sock, FIONREAD, &queued) == 0 && queued == 0)
		return true;
	usleep(10 * 1000); /* the monitor is reading it: look again shortly */
	return false;
}

void bld_api_relay(int out_r, int err_r, int sock, bool raw, bool stdin_ends)
{
	/* p[2]: the client hanging up (a half close is none, unless stdin_ends) */
	struct pollfd p[3] = {{.fd = out_r, .events = POLLIN}, {.fd = err_r, .events = POLLIN},
			      {.fd = sock, .events = stdin_ends ? POLLRDHUP : 0}};
	int open_n = 2;
	char buf[32768];
	while (open_n > 0 && poll(p, 3, -1) >= 0 && !(p[2].revents & (POLLHUP | POLLERR)) &&
	       !stdin_done(sock, p[2].revents)) {
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n > 0 && bld_api_frame_send(sock, raw, i + 1, buf, (size_t)n))
				continue;
			if (n < 0 && errno == EINTR)
				continue;
			close(p[i].fd);
			p[i].fd = -1;
			open_n--;
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
}

static void attach_work(void *cls, int sock)
{
	struct attach *a = cls;
	if (wait_for_start(a, sock))
		bld_api_relay(a->out_r, a->err_r, sock, a->tty, false);
	free(a);
}

static void upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		     size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	bld_api_upgraded(attach_work, cls, sock, urh);
}

int bld_api_attach_child(struct bld_ctx *ctx, const json_t *job)
{
	/* `bld attach`'s call, without signals proxied (a client sends them as kill requests) */
	const char *id = bld_json_get_str(job, "container"), *keys = bld_json_get_str(job, "keys");
	struct bld_runner_attach_opts o = {.no_stdin = !json_is_true(json_object_get(job, "in")),
					   .detach_keys = keys && *keys ? keys : NULL};
	int code = 0;
	bool detached = false;
	cleanup_error struct bld_error *e = NULL;
	return id && bld_runner_container_attach(ctx, id, &o, &code, &detached, &e) == 0 ? 0 : 1;
}

/* Relays a running container's stdio on sock until its attachment ends (see the file's
 * comment). */
static void attach_live(struct attach *a, int sock)
{
	int o[2] = {-1, -1}, e[2] = {-1, -1};
	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
		close_pair(o);
		return;
	}
	a->sock = sock;
	int io[3] = {a->in ? sock : -1, a->out ? o[1] : -1,
		     a->err ? (a->tty ? o[1] : e[1]) : -1};
	cleanup_json json_t *job = json_pack("{s:s, s:b, s:s}", "container", a->id, "in", a->in,
					     "keys", a->keys);
	pid_t pid = -1;
	cleanup_error struct bld_error *err = NULL;
	if (bld_api_spawn(&pid, "attach", job, io, 3, &err) < 0)
		pid = -1;
	/* it waits on the monitor until the end: pid cannot be reused before it is killed */
	cleanup_close int pfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	close(o[1]);
	close(e[1]);
	/* as docker's: the end of the client's stdin ends the attachment */
	bld_api_relay(o[0], e[0], sock, a->tty, a->in);
	if (pfd >= 0)
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
}

static void attach_live_work(void *cls, int sock)
{
	attach_live(cls, sock);
	free(cls);
}

static void upgraded_live(void *cls, struct MHD_Connection *conn, void *con_cls,
			  const char *extra_in, size_t extra_in_size, MHD_socket sock,
			  struct MHD_UpgradeResponseHandle *urh)
{
	bld_api_upgraded(attach_live_work, cls, sock, urh);
}

/* Docker's refusals of an attach to a running container, before the upgrade. */
static int check_live(const json_t *st, struct bld_error **err)
{
	if (json_is_true(json_object_get(st, "Paused")))
		return bld_error_set(err, BLD_E_EXISTS,
				     "You cannot attach to a paused container, unpause it first");
	if (json_is_true(json_object_get(st, "Restarting")))
		return bld_error_set(err, BLD_E_EXISTS,
				     "You cannot attach to a restarting container, wait until it "
				     "is running");
	return 0;
}

int bld_api_containers_attach(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err)
{
	cleanup_free char *id = NULL;
	cleanup_json json_t *info = NULL;
	if (bld_api_container_find(req, &id, &info, err) < 0)
		return -1;
	json_t *st = json_object_get(info, "State");
	bool live = json_is_true(json_object_get(st, "Running"));
	if (live && check_live(st, err) < 0)
		return -1;
	struct attach *a = xcalloc(1, sizeof(*a));
	a->ctx = req->ctx;
	snprintf(a->id, sizeof(a->id), "%s", id);
	a->in = bld_api_query_bool(req, "stdin");
	a->out = bld_api_query_bool(req, "stdout");
	a->err = bld_api_query_bool(req, "stderr");
	a->tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	a->out_r = a->err_r = a->sock = -1;
	const char *keys = bld_api_query(req, "detachKeys");
	snprintf(a->keys, sizeof(a->keys), "%s", keys ? keys : "");
	resp->raw = MHD_create_response_for_upgrade(live ? upgraded_live : upgraded, a);
	if (!resp->raw) {
		free(a);
		return bld_error_set(err, BLD_E_INTERNAL, "cannot make an upgrade response");
	}
	/* waiting from now: the client starts the container as soon as it reads the 101, which
	 * may be before the upgraded connection is handed over */
	if (!live) {
		pthread_mutex_lock(&waiting_lock);
		a->next = waiting;
		waiting = a;
		pthread_mutex_unlock(&waiting_lock);
	}
	MHD_add_response_header(resp->raw, "Upgrade", "tcp");
	MHD_add_response_header(resp->raw, "Connection", "Upgrade");
	MHD_add_response_header(resp->raw, "Content-Type",
				a->tty || req->version_minor < 42
					? "application/vnd.docker.raw-stream"
					: "application/vnd.docker.multiplexed-stream");
	resp->status = MHD_HTTP_SWITCHING_PROTOCOLS;
	return 0;
}

int bld_api_containers_resize(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err)
{
	cleanup_free char *id = NULL;
	long h = 0, w = 0;
	if (bld_api_container_find(req, &id, NULL, err) < 0 ||
	    bld_api_query_int(req, "h", 0, &h, err) < 0 || bld_api_query_int(req, "w", 0, &w, err) < 0)
		return -1;
	if (h < 0 || w < 0 || h > 65535 || w > 65535)
		return bld_error_set(err, BLD_E_INVALID, "invalid terminal size %ldx%ld", h, w);
	resp->status = MHD_HTTP_OK;
	return bld_runner_container_resize(req->ctx, id, (unsigned)h, (unsigned)w, err);
}
