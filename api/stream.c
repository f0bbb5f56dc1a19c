/*
 * api/stream.c — a response streamed from a function that pushes its output (the log reader,
 * the events journal): the function runs in a thread of its own and writes to a pipe, and
 * libmicrohttpd's content-reader callback reads that pipe into a chunked response. While it
 * waits for the function, it watches the client's socket too: a client that goes (hangs up)
 * ends the response at once, which closes the pipe's reading end; the function, which watches
 * its writing end (the followers of runner/ and cache/ do), stops then, not at the next thing
 * it would write, so that a quiet stream leaves no thread or descriptor behind.
 *
 * An upgraded connection's work (attach, exec) runs in a thread of its own too: on TLS,
 * libmicrohttpd forwards between the connection and the socket it hands over in the thread
 * that called the upgrade handler, once that returns.
 */
#include "api/api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

struct stream {
	bld_api_stream_fn fn;
	void *arg;
	void (*free_arg)(void *arg);
	int wfd, rfd;
	int client; /* the connection's socket (-1: not known) */
	int refs;   /* the thread's and the response's */
};

static void unref(struct stream *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (s->free_arg)
		s->free_arg(s->arg);
	free(s);
}

static void *run(void *cls)
{
	struct stream *s = cls;
	s->fn(s->wfd, s->arg);
	close(s->wfd);
	unref(s);
	return NULL;
}

/* Whether the client hung up while the pipe had nothing (its requests pipelined meanwhile
 * are data, not a hang-up). */
static bool client_gone(struct stream *s)
{
	struct pollfd p[2] = {{.fd = s->rfd, .events = POLLIN},
			      {.fd = s->client, .events = POLLRDHUP}};
	int r;
	while ((r = poll(p, s->client >= 0 ? 2 : 1, -1)) < 0 && errno == EINTR)
		;
	return r > 0 && !(p[0].revents & (POLLIN | POLLHUP)) &&
	       (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static ssize_t content(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	if (client_gone(s))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	ssize_t n;
	while ((n = read(s->rfd, buf, max)) < 0 && errno == EINTR)
		;
	return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void content_free(void *cls)
{
	struct stream *s = cls;
	close(s->rfd);
	unref(s);
}

int bld_api_stream(struct bld_api_resp *resp, bld_api_stream_fn fn, void *arg,
		   void (*free_arg)(void *arg), struct bld_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		if (free_arg)
			free_arg(arg);
		return bld_error_sys(err, errno, "pipe");
	}
	struct stream *s = xcalloc(1, sizeof(*s));
	*s = (struct stream){.fn = fn, .arg = arg, .free_arg = free_arg, .rfd = p[0],
			     .wfd = p[1], .client = resp->client, .refs = 2};
	pthread_t t;
	if (pthread_create(&t, NULL, run, s) != 0) {
		close(p[0]);
		close(p[1]);
		s->refs = 1;
		unref(s);
		return bld_error_set(err, BLD_E_SYSTEM, "cannot start a streaming thread");
	}
	pthread_detach(t);
	resp->raw = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, content, s,
						      content_free);
	return 0;
}

struct upgrade_job {
	bld_api_upgrade_fn fn;
	void *cls;
	int sock;
	struct MHD_UpgradeResponseHandle *urh;
};

static void *upgrade_run(void *arg)
{
	struct upgrade_job *j = arg;
	j->fn(j->cls, j->sock);
	shutdown(j->sock, SHUT_WR);
	MHD_upgrade_action(j->urh, MHD_UPGRADE_ACTION_CLOSE);
	free(j);
	return NULL;
}

void bld_api_upgraded(bld_api_upgrade_fn fn, void *cls, int sock,
		      struct MHD_UpgradeResponseHandle *urh)
{
	struct upgrade_job *j = xcalloc(1, sizeof(*j));
	*j = (struct upgrade_job){.fn = fn, .cls = cls, .sock = sock, .urh = urh};
	pthread_t t;
	if (pthread_create(&t, NULL, upgrade_run, j) == 0)
		pthread_detach(t);
	else
		upgrade_run(j); /* no thread: served here, as without TLS */
}
