/*
 * cache/layer_feed.c — a layer unpacked while its blob is still downloading, so that a pull
 * does not download first and unpack after. The downloader writes the blob into the store's
 * partial file as usual (blob.c) and gives the feed the same bytes, in order; the feed's
 * thread extracts them into layers/.tmp-*, exactly as unpack.c does from a stored blob (same
 * confinement rules, same code). The bytes travel in memory, not through the partial file,
 * so that the blob need not pass through the page cache: the downloader writes it with
 * O_DIRECT. On a VM whose host takes back free memory, filling the page cache with a 50 MB
 * blob that nobody reads again cost more than unpacking it.
 *
 * The feed holds at most FEED_PIECES pieces that its thread has not read: a give beyond that
 * waits for the thread to read one (a few hundred microseconds of inflating), so that the
 * memory stays bounded and the download keeps the unpacking's pace.
 *
 * Nothing extracted this way counts until the blob was verified: the feed is handed to the
 * store only after the blob's digest checked out (bld_cache_layer_feed_publish), and
 * bld_cache_layer_unpack then checks the diff ID and renames the directory into place. A
 * feed that is freed instead (failed or interrupted download, a tampered blob) removes its
 * directory. A feed that cannot follow the download (the download restarted) is abandoned:
 * the layer is then unpacked from the stored blob.
 *
 * It does not download (registry/) nor decide which layers a pull needs.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <errno.h>
#include <pthread.h>

#define FEED_PIECES 16

/* Guards the stores' lists of published feeds (unpacks may run in several threads). */
static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;

/* Bytes given and not yet read by the thread. */
struct piece {
	struct piece *next;
	size_t len, cap;
	uint8_t data[];
};

struct bld_cache_layer_feed {
	struct bld_store *s;
	char digest[BLD_DIGEST_STR_LEN];
	char *tmp; /* the directory under layers/ it extracts into */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct piece *head, *tail; /* given, not yet read; head is read at head_off */
	size_t head_off;           /* the thread's */
	struct piece *spare;       /* read pieces, for the next gives */
	int held;                  /* pieces given and not yet read to their end */
	bool eof;       /* every byte of the blob was given */
	bool abandoned; /* the result is not wanted: the thread stops reading */
	bool done;      /* the thread finished: result, diff_id and err are set */
	int result;
	char diff_id[BLD_DIGEST_STR_LEN];
	int64_t size; /* as extract_src counted it, or -1 */
	struct bld_error *err;
	struct bld_cache_layer_feed *next; /* in the store's list once published */
};

/* The source of the layer stream: the pieces given, in order. */
static ssize_t feed_read(void *payload, void *buf, size_t cap)
{
	struct bld_cache_layer_feed *f = payload;
	pthread_mutex_lock(&f->mu);
	while (!f->head && !f->eof && !f->abandoned)
		pthread_cond_wait(&f->cv, &f->mu);
	bool stop = f->abandoned;
	struct piece *p = f->head; /* only this thread takes pieces off the queue */
	pthread_mutex_unlock(&f->mu);
	if (stop) {
		errno = ECANCELED;
		return -1;
	}
	if (!p)
		return 0;
	size_t n = p->len - f->head_off < cap ? p->len - f->head_off : cap;
	memcpy(buf, p->data + f->head_off, n);
	f->head_off += n;
	if (f->head_off < p->len)
		return (ssize_t)n;
	pthread_mutex_lock(&f->mu);
	f->head = p->next;
	if (!f->head)
		f->tail = NULL;
	p->next = f->spare;
	f->spare = p;
	f->head_off = 0;
	f->held--;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return (ssize_t)n;
}

static void *feed_main(void *p)
{
	struct bld_cache_layer_feed *f = p;
	cleanup_free char *path = bld_path_join(f->s->layers, f->tmp);
	struct bld_error *e = NULL;
	char got[BLD_DIGEST_STR_LEN] = "";
	int64_t size = -1;
	int r = bld_cache_layer_extract_src(feed_read, f, path, got, &size, &e);
	if (r == 0)
		bld_debug("layer %.19s: extracted from its download", f->digest);
	pthread_mutex_lock(&f->mu);
	f->result = r;
	f->err = e;
	memcpy(f->diff_id, got, BLD_DIGEST_STR_LEN);
	f->size = size;
	f->done = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int bld_cache_layer_feed_new(struct bld_cache_layer_feed **out, struct bld_store *s,
			     const char *blob_digest, struct bld_error **err)
{
	*out = NULL;
	if (!bld_digest_valid(blob_digest))
		return bld_error_set(err, BLD_E_INVALID, "invalid digest \"%s\"", blob_digest);
	struct bld_cache_layer_feed *f = xcalloc(1, sizeof(*f));
	f->s = s;
	memcpy(f->digest, blob_digest, BLD_DIGEST_STR_LEN);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	*out = f;
	f->tmp = bld_cache_layer_tmpdir(s, blob_digest, err);
	if (!f->tmp)
		return -1;
	int e = pthread_create(&f->thread, NULL, feed_main, f);
	if (e != 0)
		return bld_error_sys(err, e, "start layer unpacking");
	pthread_setname_np(f->thread, "bld-unpack");
	f->started = true;
	return 0;
}

void bld_cache_layer_feed_give(struct bld_cache_layer_feed *f, const void *data, size_t n)
{
	if (!f || n == 0)
		return;
	pthread_mutex_lock(&f->mu);
	while (f->held >= FEED_PIECES && !f->abandoned && !f->done)
		pthread_cond_wait(&f->cv, &f->mu);
	bool gone = f->abandoned || f->done; /* ended early (a bad layer): nothing more to read */
	struct piece *p = gone ? NULL : f->spare;
	if (p)
		f->spare = p->next;
	if (!gone)
		f->held++;
	pthread_mutex_unlock(&f->mu);
	if (gone)
		return;
	if (!p || p->cap < n) {
		free(p);
		p = xmalloc(sizeof(*p) + n);
		p->cap = n;
	}
	memcpy(p->data, data, n);
	p->len = n;
	p->next = NULL;
	pthread_mutex_lock(&f->mu);
	if (f->tail)
		f->tail->next = p;
	else
		f->head = p;
	f->tail = p;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void bld_cache_layer_feed_end(struct bld_cache_layer_feed *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->eof = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* Stops the thread (unless it already ended) and waits for it. */
static void stop(struct bld_cache_layer_feed *f)
{
	if (!f->started)
		return;
	pthread_mutex_lock(&f->mu);
	f->abandoned = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	f->started = false;
}

void bld_cache_layer_feed_free(struct bld_cache_layer_feed *f)
{
	if (!f)
		return;
	stop(f);
	if (f->tmp) {
		cleanup_free char *path = bld_path_join(f->s->layers, f->tmp);
		bld_fs_rm_rf(path, NULL);
		free(f->tmp);
	}
	for (struct piece *q = f->head, *next; q; q = next) {
		next = q->next;
		free(q);
	}
	for (struct piece *q = f->spare, *next; q; q = next) {
		next = q->next;
		free(q);
	}
	bld_error_free(f->err);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

void bld_cache_layer_feed_publish(struct bld_store *s, struct bld_cache_layer_feed *f)
{
	if (!f)
		return;
	bld_cache_layer_feed_end(f); /* the blob was committed: every byte was given */
	pthread_mutex_lock(&list_mu);
	f->next = s->feeds;
	s->feeds = f;
	pthread_mutex_unlock(&list_mu);
}

void bld_cache_layer_feeds_drop(struct bld_store *s)
{
	pthread_mutex_lock(&list_mu);
	struct bld_cache_layer_feed *f = s->feeds;
	s->feeds = NULL;
	pthread_mutex_unlock(&list_mu);
	while (f) {
		struct bld_cache_layer_feed *next = f->next;
		bld_cache_layer_feed_free(f);
		f = next;
	}
}

struct bld_cache_layer_feed *bld_cache_layer_feed_take(struct bld_store *s,
							const char *blob_digest)
{
	struct bld_cache_layer_feed *f = NULL;
	pthread_mutex_lock(&list_mu);
	for (struct bld_cache_layer_feed **p = &s->feeds; *p; p = &(*p)->next) {
		if (strcmp((*p)->digest, blob_digest) != 0)
			continue;
		f = *p;
		*p = f->next;
		f->next = NULL;
		break;
	}
	pthread_mutex_unlock(&list_mu);
	return f;
}

int bld_cache_layer_feed_wait(struct bld_cache_layer_feed *f, char diff_id[BLD_DIGEST_STR_LEN],
			      int64_t *size, const char **tmp, struct bld_error **err)
{
	pthread_mutex_lock(&f->mu);
	while (!f->done)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	f->started = false;
	if (f->result < 0) {
		bld_error_move(err, &f->err);
		return -1;
	}
	memcpy(diff_id, f->diff_id, BLD_DIGEST_STR_LEN);
	*size = f->size;
	*tmp = f->tmp;
	return 0;
}
