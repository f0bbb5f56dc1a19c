/*
 * cache/layer_feed.c — a layer unpacked while its blob is still downloading, so that a pull
 * does not download first and unpack after. The downloader writes the blob into the store's
 * partial file as usual (blob.c) and tells the feed how far it got; the feed's thread reads
 * the same partial file behind it and extracts into layers/.tmp-*, exactly as unpack.c does
 * from a stored blob (same confinement rules, same code).
 *
 * Nothing extracted this way counts until the blob was verified: the feed is handed to the
 * store only after the blob's digest checked out (bld_cache_layer_feed_publish), and
 * bld_cache_layer_unpack then checks the diff ID and renames the directory into place. A
 * feed that is freed instead (failed or interrupted download, a tampered blob) removes its
 * directory. A feed that cannot follow the download (the download restarted or resumed from
 * an earlier partial) is abandoned: the layer is then unpacked from the stored blob.
 *
 * It does not download (registry/) nor decide which layers a pull needs.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define FEED_MIN ((int64_t)256 << 10)

/* Guards the stores' lists of published feeds (unpacks may run in several threads). */
static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;

struct bld_cache_layer_feed {
	struct bld_store *s;
	char digest[BLD_DIGEST_STR_LEN];
	char *tmp;  /* the directory under layers/ it extracts into */
	int fd;     /* the partial blob, read-only */
	int64_t pos; /* read position (the thread's) */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int64_t avail;  /* bytes of the partial the downloader has written */
	bool eof;       /* avail is the whole blob */
	bool abandoned; /* the result is not wanted: the thread stops reading */
	bool done;      /* the thread finished: result, diff_id and err are set */
	int result;
	char diff_id[BLD_DIGEST_STR_LEN];
	int64_t size; /* as extract_src counted it, or -1 */
	struct bld_error *err;
	struct bld_cache_layer_feed *next; /* in the store's list once published */
};

/* The source of the layer stream: the partial file, as far as it was written. It waits for
 * a good piece (FEED_MIN) rather than waking for every network read, but starts on a small
 * one (BLD_CACHE_FEED_FIRST): the inflater is idle until the first piece arrives. */
static ssize_t feed_read(void *payload, void *buf, size_t cap)
{
	struct bld_cache_layer_feed *f = payload;
	int64_t min = f->pos == 0 ? BLD_CACHE_FEED_FIRST : FEED_MIN;
	int64_t want = cap < (size_t)min ? (int64_t)cap : min;
	pthread_mutex_lock(&f->mu);
	while (f->avail - f->pos < want && !f->eof && !f->abandoned)
		pthread_cond_wait(&f->cv, &f->mu);
	bool stop = f->abandoned;
	int64_t left = f->avail - f->pos;
	pthread_mutex_unlock(&f->mu);
	if (stop) {
		errno = ECANCELED;
		return -1;
	}
	size_t n = left < (int64_t)cap ? (size_t)left : cap;
	if (n == 0)
		return 0;
	ssize_t r;
	do
		r = pread(f->fd, buf, n, f->pos);
	while (r < 0 && errno == EINTR);
	if (r == 0) { /* the partial is shorter than the downloader said: it was truncated */
		errno = EIO;
		return -1;
	}
	if (r > 0)
		f->pos += r;
	return r;
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
	cleanup_free char *partial = xasprintf("%s.partial", bld_cache_hex(blob_digest));
	int fd = openat(s->ingest_fd, partial, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return bld_error_sys(err, errno, "open partial %s", partial);
	struct bld_cache_layer_feed *f = xcalloc(1, sizeof(*f));
	f->s = s;
	f->fd = fd;
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

void bld_cache_layer_feed_offer(struct bld_cache_layer_feed *f, int64_t avail, bool eof)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->avail = avail;
	f->eof = eof;
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
	if (f->fd >= 0)
		close(f->fd);
	bld_error_free(f->err);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

void bld_cache_layer_feed_publish(struct bld_store *s, struct bld_cache_layer_feed *f)
{
	if (!f)
		return;
	struct stat st; /* fd still names the file, now under blobs/: all of it is there */
	if (fstat(f->fd, &st) == 0)
		bld_cache_layer_feed_offer(f, st.st_size, true);
	else
		stop(f); /* cannot happen; then the wait reports the thread's error */
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
