/*
 * cache/layer_gz.c — the gzip stream of a layer being made, compressed by worker threads with
 * ISA-L's igzip (level 1: about ten times zlib's speed here, for a few percent more bytes) and
 * written into a blob writer in order as it comes.
 *
 * Reproducibility: the plain bytes are cut into chunks of exactly GZ_CHUNK bytes (the last
 * one shorter), whatever pieces the caller hands in; each chunk is deflated on its own
 * (stateless, no history from the chunk before, byte-aligned by a full flush, the last one
 * ends the stream) and the chunks follow one another in one gzip member with a fixed header
 * (no name, no time). The compressed bytes are thus a function of the plain bytes alone —
 * not of the number of workers, the caller's buffer sizes or the scheduling — for a given
 * libisal (igzip level 1 gives the same bytes on every x86-64 with SSE4.2).
 *
 * Invariants: a slot is the caller's (being filled or written out), queued, or one worker's,
 * never two at once; slots are written to the blob in the order they were filled. The
 * caller's thread alone touches the blob writer and the CRC. It does not hash the plain
 * bytes (the diff ID is layer.c's) nor commit the blob.
 */
#include "cache/cache_int.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <unistd.h>

#define GZ_CHUNK ((size_t)1 << 20)
/* room for a chunk that does not compress: stored blocks cost 5 bytes per 64 KiB */
#define GZ_OUTCAP (GZ_CHUNK + GZ_CHUNK / 8 + 65536)
#define GZ_WORKERS_MAX 4
#define GZ_SLOTS (2 * GZ_WORKERS_MAX + 2)
#define GZ_LEVEL 1
#define GZ_LEVEL_BUF ISAL_DEF_LVL1_DEFAULT /* fixed: the hash table size follows it */

enum slot_state { SLOT_FILLING, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct gz_slot {
	uint8_t *in;
	size_t len;
	uint8_t *out;
	size_t out_len;
	bool last;
	int isal_err;
	enum slot_state state;
};

struct bld_cache_gzw {
	struct bld_cache_blob_writer *blob; /* borrowed */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[GZ_WORKERS_MAX];
	int nth;
	bool stop;
	size_t filled;  /* slots handed to the workers, counting from the start */
	size_t taken;   /* slots a worker took */
	size_t written; /* slots written to the blob */
	uint32_t crc;
	uint64_t isize;
	int64_t size; /* compressed bytes written */
	struct gz_slot slots[GZ_SLOTS];
};

/* Deflates one chunk on its own into s->out. */
static void deflate_slot(struct gz_slot *s, uint8_t *level_buf)
{
	struct isal_zstream z;
	isal_deflate_stateless_init(&z);
	z.level = GZ_LEVEL;
	z.level_buf = level_buf;
	z.level_buf_size = GZ_LEVEL_BUF;
	z.next_in = s->in;
	z.avail_in = (uint32_t)s->len;
	z.end_of_stream = s->last;
	z.flush = s->last ? NO_FLUSH : FULL_FLUSH;
	z.next_out = s->out;
	z.avail_out = (uint32_t)GZ_OUTCAP;
	s->isal_err = isal_deflate_stateless(&z);
	if (s->isal_err == COMP_OK && z.avail_in != 0)
		s->isal_err = STATELESS_OVERFLOW;
	s->out_len = z.total_out;
}

static void *worker(void *p)
{
	struct bld_cache_gzw *g = p;
	uint8_t *level_buf = xmalloc(GZ_LEVEL_BUF);
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->stop && g->taken == g->filled)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stop)
			break;
		struct gz_slot *s = &g->slots[g->taken++ % GZ_SLOTS];
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&g->mu);
		deflate_slot(s, level_buf);
		pthread_mutex_lock(&g->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	free(level_buf);
	return NULL;
}

static int blob_put(struct bld_cache_gzw *g, const void *buf, size_t n, struct bld_error **err)
{
	g->size += (int64_t)n;
	return bld_cache_blob_writer_write(g->blob, buf, n, err);
}

/* Waits for the oldest queued slot, writes its bytes to the blob and gives it back. */
static int write_oldest(struct bld_cache_gzw *g, struct bld_error **err)
{
	struct gz_slot *s = &g->slots[g->written % GZ_SLOTS];
	pthread_mutex_lock(&g->mu);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	g->written++;
	s->state = SLOT_FILLING;
	s->len = 0;
	if (s->isal_err != COMP_OK)
		return bld_error_set(err, BLD_E_INTERNAL, "gzip: isa-l error %d", s->isal_err);
	return blob_put(g, s->out, s->out_len, err);
}

/* Hands the slot being filled to the workers and makes the next one free to fill. */
static int submit(struct bld_cache_gzw *g, bool last, struct bld_error **err)
{
	struct gz_slot *s = &g->slots[g->filled % GZ_SLOTS];
	g->crc = crc32_gzip_refl(g->crc, s->in, s->len);
	g->isize += s->len;
	s->last = last;
	pthread_mutex_lock(&g->mu);
	s->state = SLOT_QUEUED;
	g->filled++;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->filled - g->written == GZ_SLOTS)
		return write_oldest(g, err);
	return 0;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > GZ_WORKERS_MAX ? GZ_WORKERS_MAX : (int)n;
}

int bld_cache_gzw_new(struct bld_cache_gzw **out, struct bld_cache_blob_writer *blob,
		      struct bld_error **err)
{
	/* gzip, deflate, no flags, no time, no extra flags, OS unknown */
	static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	struct bld_cache_gzw *g = xcalloc(1, sizeof(*g));
	*out = g;
	g->blob = blob;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	for (size_t i = 0; i < GZ_SLOTS; i++) {
		g->slots[i].in = xmalloc(GZ_CHUNK);
		g->slots[i].out = xmalloc(GZ_OUTCAP);
	}
	int want = online_cpus();
	for (; g->nth < want; g->nth++) {
		int e = pthread_create(&g->th[g->nth], NULL, worker, g);
		if (e != 0)
			return bld_error_sys(err, e, "start gzip worker");
		pthread_setname_np(g->th[g->nth], "bld-deflate");
	}
	return blob_put(g, header, sizeof(header), err);
}

int bld_cache_gzw_write(struct bld_cache_gzw *g, const void *buf, size_t n,
			struct bld_error **err)
{
	const uint8_t *p = buf;
	while (n) {
		struct gz_slot *s = &g->slots[g->filled % GZ_SLOTS];
		size_t k = GZ_CHUNK - s->len < n ? GZ_CHUNK - s->len : n;
		memcpy(s->in + s->len, p, k);
		s->len += k;
		p += k;
		n -= k;
		if (s->len == GZ_CHUNK && submit(g, false, err) < 0)
			return -1;
	}
	return 0;
}

int bld_cache_gzw_finish(struct bld_cache_gzw *g, int64_t *size, struct bld_error **err)
{
	if (submit(g, true, err) < 0)
		return -1;
	while (g->written < g->filled)
		if (write_oldest(g, err) < 0)
			return -1;
	uint8_t trailer[8];
	for (int i = 0; i < 4; i++) {
		trailer[i] = (uint8_t)(g->crc >> (8 * i));
		trailer[4 + i] = (uint8_t)(g->isize >> (8 * i)); /* ISIZE is the size mod 2^32 */
	}
	if (blob_put(g, trailer, sizeof(trailer), err) < 0)
		return -1;
	*size = g->size;
	return 0;
}

void bld_cache_gzw_free(struct bld_cache_gzw *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	for (int i = 0; i < g->nth; i++)
		pthread_join(g->th[i], NULL);
	for (size_t i = 0; i < GZ_SLOTS; i++) {
		free(g->slots[i].in);
		free(g->slots[i].out);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
