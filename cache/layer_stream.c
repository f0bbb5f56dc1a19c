/*
 * cache/layer_stream.c — a layer's tar stream with decompression and the diff-ID hash moved
 * to a thread of their own, so that inflating (the costliest step of an unpack) overlaps
 * with parsing the tar and creating files. The producer thread reads the blob through a
 * libarchive reader that only removes compression (gzip, zstd, xz, bzip2 or none), hashes
 * the plain bytes and hands them over in a ring of fixed buffers; the caller's thread parses
 * them as tar through a second libarchive reader that reads from the ring.
 *
 * Invariants: a buffer is either the producer's (being filled), queued, or the consumer's
 * (the one libarchive was last given, valid until its next read), never two at once; the
 * diff ID is known only after the consumer saw the end of the stream. Errors in the thread
 * travel as text and end the stream. It does not write files (unpack.c) nor judge entries.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>

#define NBUF 8
#define BUFCAP ((size_t)256 << 10)

struct slot {
	char *buf;
	la_ssize_t len; /* 0: end of stream; < 0: error (ls->errmsg) */
};

struct bld_cache_lstream {
	struct archive *outer; /* decompression only, used by the thread alone once started */
	struct archive *inner; /* tar parser, the caller's */
	struct bld_sha256 *diff;
	char digest[BLD_DIGEST_STR_LEN];
	char *errmsg;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;       /* the consumer is gone: the producer ends */
	size_t wr, rd;   /* slots filled / taken, counting from the start */
	size_t released; /* slots the consumer gave back: all taken ones but the current */
	bool done;       /* the consumer has seen the end (or an error) */
	struct slot slots[NBUF];
};

/* Waits for a free slot; false when the consumer stopped. */
static bool wait_free(struct bld_cache_lstream *ls)
{
	pthread_mutex_lock(&ls->mu);
	while (!ls->stop && ls->wr - ls->released >= NBUF)
		pthread_cond_wait(&ls->cv, &ls->mu);
	bool go = !ls->stop;
	pthread_mutex_unlock(&ls->mu);
	return go;
}

static void publish(struct bld_cache_lstream *ls)
{
	pthread_mutex_lock(&ls->mu);
	ls->wr++;
	pthread_cond_broadcast(&ls->cv);
	pthread_mutex_unlock(&ls->mu);
}

static void *produce(void *p)
{
	struct bld_cache_lstream *ls = p;
	for (;;) {
		if (!wait_free(ls))
			return NULL;
		struct slot *s = &ls->slots[ls->wr % NBUF];
		s->len = archive_read_data(ls->outer, s->buf, BUFCAP);
		if (s->len < 0) {
			ls->errmsg = xstrdup(archive_error_string(ls->outer) ? archive_error_string(ls->outer)
									     : "read error");
			s->len = -1;
		} else if (s->len > 0) {
			bld_sha256_update(ls->diff, s->buf, (size_t)s->len);
		} else {
			bld_sha256_final(ls->diff, ls->digest);
			ls->diff = NULL;
		}
		bool last = s->len <= 0;
		publish(ls);
		if (last)
			return NULL;
	}
}

/* The next filled slot (giving back the previous one); NULL after the end was seen. */
static struct slot *take(struct bld_cache_lstream *ls)
{
	pthread_mutex_lock(&ls->mu);
	ls->released = ls->rd;
	pthread_cond_broadcast(&ls->cv);
	struct slot *s = NULL;
	if (!ls->done) {
		while (ls->rd == ls->wr)
			pthread_cond_wait(&ls->cv, &ls->mu);
		s = &ls->slots[ls->rd++ % NBUF];
		ls->done = s->len <= 0;
	}
	pthread_mutex_unlock(&ls->mu);
	return s;
}

static la_ssize_t inner_read(struct archive *a, void *p, const void **buf)
{
	struct slot *s = take(p);
	if (!s) {
		*buf = NULL;
		return 0;
	}
	if (s->len < 0) {
		archive_set_error(a, EIO, "%s", ((struct bld_cache_lstream *)p)->errmsg);
		return -1;
	}
	*buf = s->buf;
	return s->len;
}

static int open_outer(struct bld_cache_lstream *ls, int fd, struct bld_error **err)
{
	struct archive_entry *e = NULL;
	ls->outer = archive_read_new();
	int r = archive_read_support_filter_all(ls->outer);
	if (r == ARCHIVE_OK)
		r = archive_read_support_format_raw(ls->outer);
	if (r == ARCHIVE_OK)
		r = archive_read_open_fd(ls->outer, fd, BUFCAP);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(ls->outer, &e);
	if (r != ARCHIVE_OK)
		return bld_error_set(err, BLD_E_INVALID, "read layer stream: %s",
				     archive_error_string(ls->outer));
	return 0;
}

int bld_cache_lstream_open(struct bld_cache_lstream **out, int fd, struct bld_error **err)
{
	struct bld_cache_lstream *ls = xcalloc(1, sizeof(*ls));
	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->cv, NULL);
	for (size_t i = 0; i < NBUF; i++)
		ls->slots[i].buf = xmalloc(BUFCAP);
	ls->diff = bld_sha256_new();
	*out = ls;
	if (open_outer(ls, fd, err) < 0)
		return -1;
	int e = pthread_create(&ls->thread, NULL, produce, ls);
	if (e != 0)
		return bld_error_sys(err, e, "start layer decompression");
	pthread_setname_np(ls->thread, "bld-inflate");
	ls->started = true;
	ls->inner = archive_read_new();
	int r = archive_read_support_format_tar(ls->inner);
	if (r == ARCHIVE_OK)
		r = archive_read_open(ls->inner, ls, NULL, inner_read, NULL);
	if (r != ARCHIVE_OK)
		return bld_error_set(err, BLD_E_INVALID, "read tar: %s",
				     archive_error_string(ls->inner));
	return 0;
}

struct archive *bld_cache_lstream_tar(struct bld_cache_lstream *ls)
{
	return ls->inner;
}

int bld_cache_lstream_finish(struct bld_cache_lstream *ls, char diff_id[BLD_DIGEST_STR_LEN],
			     struct bld_error **err)
{
	struct slot *s;
	while ((s = take(ls)) && s->len > 0)
		; /* what the tar reader left: end-of-archive padding, counted in the diff ID */
	if (s && s->len < 0)
		return bld_error_set(err, BLD_E_INVALID, "read layer stream: %s", ls->errmsg);
	pthread_join(ls->thread, NULL);
	ls->started = false;
	memcpy(diff_id, ls->digest, BLD_DIGEST_STR_LEN);
	return 0;
}

void bld_cache_lstream_free(struct bld_cache_lstream *ls)
{
	if (!ls)
		return;
	if (ls->started) {
		pthread_mutex_lock(&ls->mu);
		ls->stop = true;
		pthread_cond_broadcast(&ls->cv);
		pthread_mutex_unlock(&ls->mu);
		pthread_join(ls->thread, NULL);
	}
	if (ls->inner)
		archive_read_free(ls->inner);
	if (ls->outer)
		archive_read_free(ls->outer);
	if (ls->diff) {
		char d[BLD_DIGEST_STR_LEN];
		bld_sha256_final(ls->diff, d);
	}
	for (size_t i = 0; i < NBUF; i++)
		free(ls->slots[i].buf);
	free(ls->errmsg);
	pthread_cond_destroy(&ls->cv);
	pthread_mutex_destroy(&ls->mu);
	free(ls);
}
