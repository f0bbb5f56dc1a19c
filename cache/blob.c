/*
 * cache/blob.c — content-addressed blobs under oci/blobs/sha256/<hex>. A blob enters only
 * through a writer: bytes go to a partial file in oci/ingest/ (never visible as a blob),
 * the digest is computed on the way, and commit verifies it, fsyncs and renames the file
 * into blobs/ — so a blob that exists is complete and verified.
 *
 * A writer with an expected digest uses ingest/<hex>.partial, locked with flock so that two
 * processes fetching the same blob take turns, and kept after an interrupted run so that
 * the next one resumes where it stopped. Anonymous writers use a unique name and never
 * leave anything behind. A writer may go direct (O_DIRECT, for layers bld makes itself): whole
 * aligned buffers then reach the disk without filling the page cache, which on a VM that
 * hands freed memory back to its host costs more than the write, and leave nothing for the
 * final fsync to wait for. This file does not decide when blobs are garbage (gc.c).
 */
#include "cache/cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#define DIRECT_ALIGN 4096
#define DIRECT_BUF ((size_t)4 << 20)

struct bld_cache_blob_writer {
	struct bld_store *s;
	char expected[BLD_DIGEST_STR_LEN]; /* "" when none */
	char *name;                        /* file name in ingest/ */
	int fd;
	struct bld_sha256 *h;
	int64_t offset;
	uint8_t *dbuf; /* direct: bytes not yet written, aligned; NULL when buffered */
	size_t dlen;
	int64_t kicked; /* buffered: writeback started for the bytes before this offset */
	bool full;      /* the disk filled up: the partial is not kept for a resume */
};

/* Write-behind: every few MiB the kernel is asked to start writing back what came before
 * (without waiting), so that commit's fsync finds little left to wait for. */
#define WRITE_BEHIND ((int64_t)4 << 20)

bool bld_cache_blob_exists(struct bld_store *s, const char *digest)
{
	struct stat st;
	if (!bld_digest_valid(digest))
		return false;
	return fstatat(s->blobs_fd, bld_cache_hex(digest), &st, 0) == 0 && S_ISREG(st.st_mode);
}

char *bld_cache_blob_path(struct bld_store *s, const char *digest)
{
	if (!bld_digest_valid(digest))
		return NULL;
	return bld_path_join(s->blobs, bld_cache_hex(digest));
}

int bld_cache_blob_open(struct bld_store *s, const char *digest, struct bld_error **err)
{
	if (!bld_digest_valid(digest))
		return bld_error_set(err, BLD_E_INVALID, "invalid digest \"%s\"", digest);
	int fd = openat(s->blobs_fd, bld_cache_hex(digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return bld_error_set(err, BLD_E_NOTFOUND, "blob %s not found", digest);
	if (fd < 0)
		return bld_error_sys(err, errno, "open blob %s", digest);
	return fd;
}

int64_t bld_cache_blob_size(struct bld_store *s, const char *digest)
{
	struct stat st;
	if (!bld_digest_valid(digest) || fstatat(s->blobs_fd, bld_cache_hex(digest), &st, 0) < 0)
		return -1;
	return st.st_size;
}

int bld_cache_blob_put(struct bld_store *s, const void *data, size_t n,
		       char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	char d[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(data, n, d);
	if (bld_cache_blob_exists(s, d)) {
		/* touched so that a concurrent GC's grace period sees it as fresh */
		(void)utimensat(s->blobs_fd, bld_cache_hex(d), NULL, 0);
		memcpy(out, d, sizeof(d));
		return 0;
	}
	struct bld_cache_blob_writer *w = NULL;
	int r = bld_cache_blob_writer_new(&w, s, NULL, err);
	if (r == 0)
		r = bld_cache_blob_writer_write(w, data, n, err);
	if (r == 0)
		r = bld_cache_blob_writer_commit(w, out, err);
	bld_cache_blob_writer_free(w);
	return r;
}

int bld_cache_blob_read(struct bld_store *s, const char *digest, size_t max, char **out,
			size_t *len, struct bld_error **err)
{
	cleanup_close int fd = bld_cache_blob_open(s, digest, err);
	if (fd < 0)
		return fd;
	cleanup_free char *data = NULL;
	size_t n = 0;
	if (bld_fs_read_fd(fd, max, &data, &n, err) < 0)
		return bld_error_wrap(err, "blob %s", digest);
	char got[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(data, n, got);
	if (strcmp(got, digest) != 0)
		return bld_error_set(err, BLD_E_DIGEST, "blob %s is damaged: its content has digest %s",
				     digest, got);
	*out = steal_pointer(&data);
	if (len)
		*len = n;
	return 0;
}

/* ------------------------------------------------------------------ writer */

static int rehash_existing(struct bld_cache_blob_writer *w, struct bld_error **err)
{
	char buf[65536];
	for (;;) {
		ssize_t r = read(w->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return bld_error_sys(err, errno, "read partial %s", w->name);
		if (r == 0)
			return 0;
		bld_sha256_update(w->h, buf, (size_t)r);
		w->offset += r;
	}
}

/* Opens and locks ingest/<name>; retries when the file was committed while we waited. */
static int open_partial(struct bld_cache_blob_writer *w, struct bld_error **err)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd = openat(w->s->ingest_fd, w->name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				0644);
		if (fd < 0)
			return bld_error_sys(err, errno, "open partial %s", w->name);
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
		struct stat a, b;
		if (fstat(fd, &a) == 0 && fstatat(w->s->ingest_fd, w->name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			w->fd = fd;
			return 0;
		}
		close(fd); /* another writer committed (renamed) it while we waited */
	}
	return bld_error_set(err, BLD_E_INTERNAL, "partial %s keeps changing", w->name);
}

/* A fresh uniquely named partial for a writer without an expected digest. */
static int create_anon(struct bld_cache_blob_writer *w, struct bld_error **err)
{
	static unsigned counter; /* only makes names unique within a process */
	for (int tries = 0; tries < 100; tries++) {
		free(w->name);
		w->name = xasprintf("anon-%d-%u-%08lx.partial", (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED),
				    (unsigned long)random());
		w->fd = openat(w->s->ingest_fd, w->name,
			       O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (w->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	return bld_error_sys(err, errno, "create partial blob in %s", w->s->ingest);
}

int bld_cache_blob_writer_new(struct bld_cache_blob_writer **out, struct bld_store *s,
			      const char *expected_digest, struct bld_error **err)
{
	if (expected_digest && !bld_digest_valid(expected_digest))
		return bld_error_set(err, BLD_E_INVALID, "invalid digest \"%s\"", expected_digest);
	struct bld_cache_blob_writer *w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->fd = -1;
	w->h = bld_sha256_new();
	int r;
	if (expected_digest) {
		memcpy(w->expected, expected_digest, BLD_DIGEST_STR_LEN);
		w->name = xasprintf("%s.partial", bld_cache_hex(expected_digest));
		r = open_partial(w, err);
		if (r == 0)
			r = rehash_existing(w, err);
	} else {
		r = create_anon(w, err);
		if (r == 0)
			while (flock(w->fd, LOCK_EX) < 0 && errno == EINTR)
				;
	}
	if (r < 0) {
		bld_cache_blob_writer_free(w);
		return r;
	}
	*out = w;
	return 0;
}

int64_t bld_cache_blob_writer_offset(const struct bld_cache_blob_writer *w) { return w->offset; }

int bld_cache_blob_writer_restart(struct bld_cache_blob_writer *w, struct bld_error **err)
{
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return bld_error_sys(err, errno, "truncate partial %s", w->name);
	char dummy[BLD_DIGEST_STR_LEN];
	bld_sha256_final(w->h, dummy);
	w->h = bld_sha256_new();
	w->offset = w->kicked = 0;
	w->dlen = 0;
	return 0;
}

/* A write that failed with errno E; a full disk also gives the partial's space back at free,
 * since keeping it for a resume would keep the disk full. */
static int write_failed(struct bld_cache_blob_writer *w, int e, struct bld_error **err)
{
	w->full = e == ENOSPC || e == EDQUOT;
	return bld_error_sys(err, e, "write partial %s", w->name);
}

static int write_all(struct bld_cache_blob_writer *w, const void *data, size_t n,
		     struct bld_error **err)
{
	int r = bld_fs_write_all(w->fd, data, n);
	return r < 0 ? write_failed(w, -r, err) : 0;
}

/* Back to buffered writes: what the direct buffer holds is written the ordinary way. */
static int end_direct(struct bld_cache_blob_writer *w, struct bld_error **err)
{
	if (!w->dbuf)
		return 0;
	int fl = fcntl(w->fd, F_GETFL);
	if (fl < 0 || fcntl(w->fd, F_SETFL, fl & ~O_DIRECT) < 0)
		return bld_error_sys(err, errno, "write partial %s", w->name);
	int r = write_all(w, w->dbuf, w->dlen, err);
	free(w->dbuf);
	w->dbuf = NULL;
	w->dlen = 0;
	return r;
}

int bld_cache_blob_writer_direct(struct bld_cache_blob_writer *w)
{
	if (w->offset != 0 || w->dbuf || w->expected[0])
		return -1;
	void *buf = NULL;
	if (posix_memalign(&buf, DIRECT_ALIGN, DIRECT_BUF) != 0)
		return -1;
	int fl = fcntl(w->fd, F_GETFL);
	if (fl < 0 || fcntl(w->fd, F_SETFL, fl | O_DIRECT) < 0) {
		free(buf);
		return -1; /* the filesystem has no direct I/O: stay buffered */
	}
	w->dbuf = buf;
	return 0;
}

/* Fills the direct buffer; a full one goes to the disk (buffered if the file refuses). */
static int write_direct(struct bld_cache_blob_writer *w, const uint8_t *p, size_t n,
			struct bld_error **err)
{
	while (n && w->dbuf) {
		size_t k = DIRECT_BUF - w->dlen < n ? DIRECT_BUF - w->dlen : n;
		memcpy(w->dbuf + w->dlen, p, k);
		w->dlen += k;
		p += k;
		n -= k;
		if (w->dlen < DIRECT_BUF)
			continue;
		ssize_t r;
		do
			r = write(w->fd, w->dbuf, DIRECT_BUF);
		while (r < 0 && errno == EINTR);
		if (r == (ssize_t)DIRECT_BUF)
			w->dlen = 0;
		else if (r >= 0 || errno != EINVAL) /* short: only a full disk stops a file short */
			return write_failed(w, r < 0 ? errno : ENOSPC, err);
		else if (end_direct(w, err) < 0) /* EINVAL: this file takes no direct writes */
			return -1;
	}
	return n ? write_all(w, p, n, err) : 0;
}

int bld_cache_blob_writer_write(struct bld_cache_blob_writer *w, const void *data, size_t n,
				struct bld_error **err)
{
	bld_sha256_update(w->h, data, n);
	int r = w->dbuf ? write_direct(w, data, n, err) : write_all(w, data, n, err);
	if (r == 0)
		w->offset += (int64_t)n;
	if (r == 0 && !w->dbuf && w->offset - w->kicked >= WRITE_BEHIND) {
		/* a hint only: where it fails, the fsync at commit does all the work */
		(void)sync_file_range(w->fd, w->kicked, w->offset - w->kicked,
				      SYNC_FILE_RANGE_WRITE);
		w->kicked = w->offset;
	}
	return r;
}

static void discard(struct bld_cache_blob_writer *w)
{
	unlinkat(w->s->ingest_fd, w->name, 0);
	close(w->fd);
	w->fd = -1;
}

int bld_cache_blob_writer_commit(struct bld_cache_blob_writer *w,
				 char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	char got[BLD_DIGEST_STR_LEN];
	bld_sha256_final(w->h, got);
	w->h = NULL;
	if (w->expected[0] && strcmp(got, w->expected) != 0) {
		discard(w);
		return bld_error_set(err, BLD_E_DIGEST, "digest mismatch: expected %s, got %s",
				     w->expected, got);
	}
	if (end_direct(w, err) < 0) {
		discard(w);
		return -1;
	}
	if (fsync(w->fd) < 0) {
		int e = errno;
		discard(w);
		return bld_error_sys(err, e, "fsync blob %s", got);
	}
	if (renameat(w->s->ingest_fd, w->name, w->s->blobs_fd, bld_cache_hex(got)) < 0) {
		int e = errno;
		discard(w);
		return bld_error_sys(err, e, "store blob %s", got);
	}
	(void)bld_fs_fsync_dir(w->s->blobs_fd);
	close(w->fd);
	w->fd = -1;
	if (out)
		memcpy(out, got, sizeof(got));
	return 0;
}

void bld_cache_blob_writer_drop(struct bld_cache_blob_writer *w)
{
	if (w)
		w->full = true;
}

void bld_cache_blob_writer_free(struct bld_cache_blob_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		if (!w->expected[0] || w->full)
			unlinkat(w->s->ingest_fd, w->name, 0);
		close(w->fd);
	}
	if (w->h) {
		char dummy[BLD_DIGEST_STR_LEN];
		bld_sha256_final(w->h, dummy);
	}
	free(w->dbuf);
	free(w->name);
	free(w);
}
