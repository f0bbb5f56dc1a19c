/*
 * cache/cache_int.h — what the files of cache/ share: the store's open descriptors, the
 * index lock, and index.json loading and saving. No other module includes this header.
 */
#ifndef BLD_CACHE_INT_H
#define BLD_CACHE_INT_H

#include "cache/cache.h"

#include <jansson.h>

#define BLD_OCI_REF_NAME "org.opencontainers.image.ref.name"
#define BLD_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BLD_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BLD_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define BLD_MT_OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define BLD_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define BLD_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define BLD_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BLD_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define BLD_MT_DOCKER_LAYER_GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Caps on what the store reads back from its own files (which others may have edited). */
#define BLD_CACHE_INDEX_MAX ((size_t)64 << 20)
#define BLD_CACHE_MANIFEST_MAX ((size_t)4 << 20)
#define BLD_CACHE_CONFIG_MAX ((size_t)64 << 20)

struct bld_store {
	char *root;      /* $BLD_ROOT */
	char *oci;       /* $BLD_ROOT/oci */
	char *blobs;     /* $BLD_ROOT/oci/blobs/sha256 */
	char *ingest;    /* $BLD_ROOT/oci/ingest: partial blobs, never read as blobs */
	char *layers;    /* $BLD_ROOT/layers */
	int oci_fd;
	int blobs_fd;
	int ingest_fd;
	int layers_fd;
	int locks_fd;    /* $BLD_ROOT/locks */
	int gc_fd;       /* locks/gc.lock, held shared while the store is open */
	struct bld_cache_layer_feed *feeds; /* layers unpacked during download (layer_feed.c) */
};

/* Takes the exclusive lock on index.json updates; returns the fd to pass to _unlock. */
int bld_cache_index_lock(struct bld_store *s, struct bld_error **err);
void bld_cache_index_unlock(int fd);
/* Reads index.json (a fresh object the caller owns, json_decref). */
int bld_cache_index_load(struct bld_store *s, json_t **out, struct bld_error **err);
/* Writes index.json atomically; the caller holds the index lock. */
int bld_cache_index_save(struct bld_store *s, const json_t *index, struct bld_error **err);

/* The 64-hex part of a valid digest. */
static inline const char *bld_cache_hex(const char *digest) { return digest + 7; }

/* Whether the GC may remove everything unreferenced (no other bld process has the store). */
bool bld_cache_gc_exclusive_begin(struct bld_store *s);
void bld_cache_gc_exclusive_end(struct bld_store *s);

/* Calls fn for every entry of dirfd except . and .. (gc.c; also check.c's blob walk). */
void bld_cache_each_entry(int dirfd, void (*fn)(const char *name, void *payload), void *payload);

/* A tar stream with compression removed and its diff ID computed (tarsrc.c). */
struct bld_cache_tarsrc {
	struct archive *outer; /* decompression only (raw format) */
	struct archive *inner; /* tar parser reading the outer's bytes */
	struct bld_sha256 *diff;
	int (*tee)(void *payload, const void *buf, size_t n); /* optional copy of plain bytes */
	void *payload;
	char buf[65536];
};
/* Starts reading fd; t->tee and t->payload are set by the caller before, or left NULL. */
int bld_cache_tarsrc_open(struct bld_cache_tarsrc *t, int fd, struct bld_error **err);
/* After the inner reader reached its end: consumes the rest and yields the diff ID. */
int bld_cache_tarsrc_drain(struct bld_cache_tarsrc *t, char diff_id[BLD_DIGEST_STR_LEN],
			   struct bld_error **err);
void bld_cache_tarsrc_dispose(struct bld_cache_tarsrc *t);

/* layer_stream.c: the same stream with decompression and hashing in a thread of their own. */
struct bld_cache_lstream;
/* Starts reading fd (which must stay open until _free); *out is set even on failure. */
int bld_cache_lstream_open(struct bld_cache_lstream **out, int fd, struct bld_error **err);
/* Reads up to cap bytes of the compressed stream: > 0 bytes, 0 at its end, < 0 with errno.
 * Called at open, then from the stream's own thread. */
typedef ssize_t (*bld_cache_lstream_read_fn)(void *payload, void *buf, size_t cap);
/* The same over any source; payload must stay valid until _free. */
int bld_cache_lstream_open_src(struct bld_cache_lstream **out, bld_cache_lstream_read_fn src,
			       void *payload, struct bld_error **err);
/* The tar reader (borrowed): read entries from it with the usual libarchive calls. */
struct archive *bld_cache_lstream_tar(struct bld_cache_lstream *ls);
/* After the tar reader reached its end: consumes the rest and yields the diff ID. */
int bld_cache_lstream_finish(struct bld_cache_lstream *ls, char diff_id[BLD_DIGEST_STR_LEN],
			     struct bld_error **err);
/* Stops the thread if it still runs; NULL is harmless. */
void bld_cache_lstream_free(struct bld_cache_lstream *ls);

/* unpack.c: extraction from any source into target; diff_id gets the stream's diff ID (not
 * checked here), *size (unless NULL) the size imgsize.c's walk of target would find, counted
 * on the way, or -1 when only a walk can tell (an entry replaced an earlier one, or lies
 * deeper than the walk goes). A fresh layers/.tmp-* directory for an extraction (the name,
 * to free). */
int bld_cache_layer_extract_src(bld_cache_lstream_read_fn src, void *payload, const char *target,
				char diff_id[BLD_DIGEST_STR_LEN], int64_t *size,
				struct bld_error **err);
char *bld_cache_layer_tmpdir(struct bld_store *s, const char *blob_digest, struct bld_error **err);
/* Records on a complete layer directory that it was written in this boot, unsynced
 * (layer_verify.c); done before it is renamed into place. */
void bld_cache_layer_mark(int dirfd);
/* Makes sure layers/<hex>, which exists, may be used: one written before this boot and never
 * synced (or with no record) is compared with its blob and extracted again when damaged. */
int bld_cache_layer_ensure(struct bld_store *s, const char *hex, const char *blob,
			   const char *diff_id, struct bld_error **err);

/* layer_feed.c, store side: a published feed for blob_digest taken out of the store's list
 * (the caller frees it), or NULL; waiting for its extraction, which yields the diff ID and
 * the directory under layers/ (borrowed from f). */
struct bld_cache_layer_feed *bld_cache_layer_feed_take(struct bld_store *s,
							const char *blob_digest);
int bld_cache_layer_feed_wait(struct bld_cache_layer_feed *f, char diff_id[BLD_DIGEST_STR_LEN],
			      int64_t *size, const char **tmp, struct bld_error **err);

/* imgsize.c: the walk goes this many directories deep and no further. A layer's size as
 * counted during its extraction, recorded on its directory before that is renamed into
 * place, so that no walk is needed (best effort: without user xattrs the walk is made). */
#define BLD_CACHE_SIZE_DEPTH_MAX 512
void bld_cache_layer_size_record(int dirfd, int64_t size);

/* blob.c: makes a fresh anonymous writer write with O_DIRECT (whole aligned buffers, the rest
 * at commit); -1 when it cannot (then it stays buffered, which is just as correct). */
int bld_cache_blob_writer_direct(struct bld_cache_blob_writer *w);

/* layer_gz.c: a layer's gzip stream, compressed by worker threads into a blob writer. The
 * compressed bytes depend on the plain bytes alone (fixed chunks, fixed header). */
struct bld_cache_gzw;
/* Starts the workers and writes the gzip header; blob (borrowed) must outlive the
 * compressor. *out is set even on failure (free it). */
int bld_cache_gzw_new(struct bld_cache_gzw **out, struct bld_cache_blob_writer *blob,
		      struct bld_error **err);
/* Adds plain bytes (copied). */
int bld_cache_gzw_write(struct bld_cache_gzw *g, const void *buf, size_t n,
			struct bld_error **err);
/* Ends the stream: everything and the trailer are in the blob; size is its compressed size. */
int bld_cache_gzw_finish(struct bld_cache_gzw *g, int64_t *size, struct bld_error **err);
/* Stops the workers; NULL is harmless. */
void bld_cache_gzw_free(struct bld_cache_gzw *g);

/* layer.c: all of buf to fd, for libarchive writers (archive_set_error when it fails). */
struct archive;
ssize_t bld_cache_archive_fd_write(struct archive *a, int fd, const void *buf, size_t n);

#endif
