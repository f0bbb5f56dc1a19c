/*
 * api/stream.c — a response streamed from a function that pushes its output (the log reader,
 * the events journal): the function runs in a thread of its own and writes to a pipe, and
 * libmicrohttpd's content-reader callback reads that pipe into a chunked response. A client
 * that goes closes the pipe's reading end: the function's next write fails, and it stops.
 */
#include "api/api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>

struct stream {
	bld_api_stream_fn fn;
	void *arg;
	void (*free_arg)(void *arg);
	int wfd, rfd;
	int refs; /* the thread's and the response's */
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

static ssize_t content(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
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
			     .wfd = p[1], .refs = 2};
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
