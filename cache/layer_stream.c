/*
 * cache/layer_stream.c — a layer's tar stream with decompression moved to a thread of its
 * own, so that inflating (the costliest step of an unpack) overlaps with parsing the tar and
 * creating files. The producer thread reads the blob through a libarchive reader that only
 * removes compression (gzip, zstd, xz, bzip2 or none) and hands the plain bytes over in a
 * ring of fixed buffers; the caller's thread parses them as tar through a second libarchive
 * reader that reads from the ring. The diff ID is hashed, in order, by whichever of the two
 * would otherwise wait: the producer when the ring is full, the consumer when it is empty.
 * Given to one of them for good, that one ended last by a third of its time while the other
 * core went idle (a pull runs the download beside them on two cores); a third thread for it
 * cost more in switches and cache traffic than it saved. Gzip, what nearly every registry layer is, is inflated with ISA-L's igzip
 * instead (about twice as fast as zlib here; the gzip CRC is checked, concatenated members
 * are read, bytes after the last member are ignored as libarchive does); other compressions
 * go through libarchive.
 *
 * Invariants: a buffer is either the producer's (being filled), or queued for, being read by
 * or kept by the consumer (the one libarchive was last given, valid until its next read)
 * and not yet hashed; the producer refills it only when it was both given back and hashed.
 * One thread at a time hashes (ls->hashing). The diff ID is known only after every slot up
 * to the end of the stream was hashed. Errors in the thread
 * travel as text and end the stream. It does not write files (unpack.c) nor judge entries.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <unistd.h>

#define NBUF 8
#define BUFCAP ((size_t)256 << 10)
#define GZ_INCAP ((size_t)256 << 10)

/* Gzip through ISA-L: the inflater's state over the compressed bytes of the source. */
struct gz {
	bool eof_in; /* the source has no more bytes */
	bool end;    /* the last member is done */
	uint8_t *in;
	struct inflate_state st;
};

struct slot {
	char *buf;
	la_ssize_t len; /* 0: end of stream; < 0: error (ls->errmsg) */
};

struct bld_cache_lstream {
	bld_cache_lstream_read_fn src; /* the compressed bytes */
	void *src_payload;
	uint8_t *in;           /* what the source gave last */
	size_t in_len;         /* bytes of in not yet handed to the outer reader */
	struct archive *outer; /* decompression only, used by the thread alone once started */
	struct gz *gz;         /* instead of outer for gzip */
	int fd;                /* the source of bld_cache_lstream_open */
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
	size_t hashed;   /* slots counted in the diff ID */
	bool hashing;    /* a thread is hashing slot `hashed` */
	bool done;       /* the consumer has seen the end (or an error) */
	struct slot slots[NBUF];
};

/*
 * Hashes the next filled slot unless there is none or another thread is at it; called and
 * returning with ls->mu held (dropped while hashing). The slot cannot be refilled meanwhile:
 * the producer waits for `hashed` to pass it. False when there was nothing to do.
 */
static bool hash_next(struct bld_cache_lstream *ls)
{
	if (ls->hashing || ls->hashed == ls->wr)
		return false;
	const struct slot *s = &ls->slots[ls->hashed % NBUF];
	ls->hashing = true;
	pthread_mutex_unlock(&ls->mu);
	if (s->len > 0) {
		bld_sha256_update(ls->diff, s->buf, (size_t)s->len);
	} else if (s->len == 0) {
		bld_sha256_final(ls->diff, ls->digest);
		ls->diff = NULL;
	}
	pthread_mutex_lock(&ls->mu);
	ls->hashing = false;
	ls->hashed++;
	pthread_cond_broadcast(&ls->cv);
	return true;
}

/* Waits for a slot the consumer gave back and that is hashed, hashing rather than waiting;
 * false when the consumer stopped. */
static bool wait_free(struct bld_cache_lstream *ls)
{
	pthread_mutex_lock(&ls->mu);
	while (!ls->stop &&
	       ls->wr - (ls->released < ls->hashed ? ls->released : ls->hashed) >= NBUF)
		if (!hash_next(ls))
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

static la_ssize_t outer_fill(struct bld_cache_lstream *ls, char *buf, size_t cap)
{
	la_ssize_t n = archive_read_data(ls->outer, buf, cap);
	if (n < 0)
		ls->errmsg = xstrdup(archive_error_string(ls->outer) ? archive_error_string(ls->outer)
								     : "read error");
	return n;
}

/* The next bytes of the source into ls->in; 0 at its end. */
static ssize_t src_read(struct bld_cache_lstream *ls)
{
	ssize_t n = ls->src(ls->src_payload, ls->in, GZ_INCAP);
	if (n < 0)
		ls->errmsg = xasprintf("read layer blob: %s", strerror(errno));
	return n;
}

static int gz_read(struct bld_cache_lstream *ls)
{
	struct gz *g = ls->gz;
	ssize_t n = src_read(ls);
	if (n < 0)
		return -1;
	g->eof_in = n == 0;
	g->st.next_in = ls->in;
	g->st.avail_in = (uint32_t)n;
	return 0;
}

/* After a member ended: another one follows (gzip allows concatenation) or the stream ends. */
static int gz_next_member(struct bld_cache_lstream *ls)
{
	struct gz *g = ls->gz;
	if (g->st.avail_in == 0 && !g->eof_in && gz_read(ls) < 0)
		return -1;
	if (g->st.avail_in == 0 || g->st.next_in[0] != 0x1f ||
	    (g->st.avail_in > 1 && g->st.next_in[1] != 0x8b)) {
		g->end = true; /* what follows the last member is ignored, as libarchive does */
		return 0;
	}
	uint8_t *next = g->st.next_in;
	uint32_t avail = g->st.avail_in;
	isal_inflate_reset(&g->st);
	g->st.next_in = next;
	g->st.avail_in = avail;
	g->st.crc_flag = ISAL_GZIP;
	return 0;
}

/* Fills buf with inflated bytes; short only at the end of the stream. */
static la_ssize_t gz_fill(struct bld_cache_lstream *ls, char *buf, size_t cap)
{
	struct gz *g = ls->gz;
	size_t got = 0;
	while (got < cap && !g->end) {
		if (g->st.block_state == ISAL_BLOCK_FINISH) {
			if (gz_next_member(ls) < 0)
				return -1;
			continue;
		}
		if (g->st.avail_in == 0 && !g->eof_in && gz_read(ls) < 0)
			return -1;
		g->st.next_out = (uint8_t *)buf + got;
		g->st.avail_out = (uint32_t)(cap - got);
		int r = isal_inflate(&g->st);
		size_t now = cap - g->st.avail_out;
		if (r < 0 || (g->eof_in && now == got && g->st.block_state != ISAL_BLOCK_FINISH)) {
			ls->errmsg = r < 0 ? xasprintf("gzip: invalid compressed data (isa-l error %d)", r)
					   : xstrdup("gzip: unexpected end of compressed data");
			return -1;
		}
		got = now;
	}
	return (la_ssize_t)got;
}

static void *produce(void *p)
{
	struct bld_cache_lstream *ls = p;
	for (;;) {
		if (!wait_free(ls))
			return NULL;
		struct slot *s = &ls->slots[ls->wr % NBUF];
		s->len = ls->gz ? gz_fill(ls, s->buf, BUFCAP) : outer_fill(ls, s->buf, BUFCAP);
		if (s->len < 0)
			s->len = -1;
		bool last = s->len <= 0;
		publish(ls);
		if (last)
			return NULL;
	}
}

/* The next filled slot (giving back the previous one), hashing rather than waiting; NULL
 * after the end was seen. */
static struct slot *take(struct bld_cache_lstream *ls)
{
	pthread_mutex_lock(&ls->mu);
	ls->released = ls->rd;
	pthread_cond_broadcast(&ls->cv);
	struct slot *s = NULL;
	if (!ls->done) {
		while (ls->rd == ls->wr)
			if (!hash_next(ls))
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

/* The outer reader's input: first what open() peeked at, then the source. */
static la_ssize_t outer_read(struct archive *a, void *p, const void **buf)
{
	struct bld_cache_lstream *ls = p;
	*buf = ls->in;
	if (ls->in_len) {
		la_ssize_t n = (la_ssize_t)ls->in_len;
		ls->in_len = 0;
		return n;
	}
	ssize_t n = src_read(ls);
	if (n < 0)
		archive_set_error(a, EIO, "%s", ls->errmsg);
	return n;
}

static int open_outer(struct bld_cache_lstream *ls, struct bld_error **err)
{
	struct archive_entry *e = NULL;
	ls->outer = archive_read_new();
	int r = archive_read_support_filter_all(ls->outer);
	if (r == ARCHIVE_OK)
		r = archive_read_support_format_raw(ls->outer);
	if (r == ARCHIVE_OK)
		r = archive_read_open(ls->outer, ls, NULL, outer_read, NULL);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(ls->outer, &e);
	if (r != ARCHIVE_OK)
		return bld_error_set(err, BLD_E_INVALID, "read layer stream: %s",
				     archive_error_string(ls->outer));
	return 0;
}

/* Gzip from the bytes already in ls->in onwards. */
static void gz_open(struct bld_cache_lstream *ls)
{
	struct gz *g = xcalloc(1, sizeof(*g));
	isal_inflate_init(&g->st);
	g->st.crc_flag = ISAL_GZIP;
	g->st.next_in = ls->in;
	g->st.avail_in = (uint32_t)ls->in_len;
	ls->in_len = 0;
	ls->gz = g;
}

/* Reads the first bytes and chooses the inflater by them. */
static int open_input(struct bld_cache_lstream *ls, struct bld_error **err)
{
	ssize_t n;
	do
		n = ls->src(ls->src_payload, ls->in + ls->in_len, GZ_INCAP - ls->in_len);
	while (n > 0 && (ls->in_len += (size_t)n) < 2);
	if (n < 0)
		return bld_error_sys(err, errno, "read layer blob");
	if (ls->in_len >= 2 && ls->in[0] == 0x1f && ls->in[1] == 0x8b) {
		gz_open(ls);
		return 0;
	}
	return open_outer(ls, err);
}

static ssize_t fd_read(void *payload, void *buf, size_t cap)
{
	ssize_t n;
	do
		n = read(*(int *)payload, buf, cap);
	while (n < 0 && errno == EINTR);
	return n;
}

static struct bld_cache_lstream *lstream_new(bld_cache_lstream_read_fn src, void *payload)
{
	struct bld_cache_lstream *ls = xcalloc(1, sizeof(*ls));
	ls->src = src;
	ls->src_payload = payload;
	ls->in = xmalloc(GZ_INCAP);
	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->cv, NULL);
	for (size_t i = 0; i < NBUF; i++)
		ls->slots[i].buf = xmalloc(BUFCAP);
	ls->diff = bld_sha256_new();
	return ls;
}

/* Chooses the inflater, starts the thread and opens the tar reader over it. */
static int lstream_start(struct bld_cache_lstream *ls, struct bld_error **err)
{
	if (open_input(ls, err) < 0)
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

int bld_cache_lstream_open(struct bld_cache_lstream **out, int fd, struct bld_error **err)
{
	struct bld_cache_lstream *ls = lstream_new(fd_read, NULL);
	ls->fd = fd;
	ls->src_payload = &ls->fd;
	*out = ls;
	return lstream_start(ls, err);
}

int bld_cache_lstream_open_src(struct bld_cache_lstream **out, bld_cache_lstream_read_fn src,
			       void *payload, struct bld_error **err)
{
	*out = lstream_new(src, payload);
	return lstream_start(*out, err);
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
	/* every byte the producer made, in order, whether the tar reader wanted it or not */
	pthread_mutex_lock(&ls->mu);
	while (ls->hashed < ls->wr)
		if (!hash_next(ls))
			pthread_cond_wait(&ls->cv, &ls->mu);
	pthread_mutex_unlock(&ls->mu);
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
	free(ls->gz);
	free(ls->in);
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
