/*
 * cache/cache.h — the store under $BLD_ROOT: an OCI image layout (blobs by sha256, names in
 * index.json), unpacked layers for the runner, build-cache records, reference counting and
 * garbage collection. Every write is atomic and every shared file is guarded by a lock.
 *
 * Includes nothing but common/. libarchive lives here (layers) and nowhere else.
 */
#ifndef BLD_CACHE_H
#define BLD_CACHE_H

#include "common/common.h"

struct bld_store;

/* Opens (creating when missing) the store at root. */
int bld_cache_store_open(struct bld_store **out, const char *root, struct bld_error **err);
void bld_cache_store_free(struct bld_store *s);
/* The store's root directory ($BLD_ROOT); borrowed. */
const char *bld_cache_store_root(const struct bld_store *s);

/*
 * Layout on disk (for tools and tests; other modules go through the functions below):
 *   oci/oci-layout, oci/index.json, oci/blobs/sha256/<hex>   the OCI image layout
 *   oci/ingest/                  partial blobs (resumable downloads), never read as blobs
 *   layers/<chain-id hex>/       unpacked layers (overlay lower directories)
 *   locks/index.lock, gc.lock    flock files
 * A store holds locks/gc.lock shared while it is open, so that GC knows whether it is alone:
 * keep a store open only while working with it, not for a container's lifetime.
 */

/* === blobs (blob.c) === */

/* Whether the store holds a verified blob with this digest. */
bool bld_cache_blob_exists(struct bld_store *s, const char *digest);
/* Path of the blob file (caller frees); the blob may not exist. NULL for an invalid digest. */
char *bld_cache_blob_path(struct bld_store *s, const char *digest);
/* Opens a blob read-only (BLD_E_NOTFOUND when absent); returns the fd. Not re-verified. */
int bld_cache_blob_open(struct bld_store *s, const char *digest, struct bld_error **err);
/* Size of a stored blob, or -1 when it is not there. */
int64_t bld_cache_blob_size(struct bld_store *s, const char *digest);
/* Stores bytes; writes the digest into out. */
int bld_cache_blob_put(struct bld_store *s, const void *data, size_t n,
		       char out[BLD_DIGEST_STR_LEN], struct bld_error **err);
/* Reads a whole blob (at most max bytes), verifying its digest (BLD_E_DIGEST). */
int bld_cache_blob_read(struct bld_store *s, const char *digest, size_t max, char **out,
			size_t *len, struct bld_error **err);

/*
 * A streaming blob writer. With an expected digest, a partial download left by an earlier
 * run is resumed: bld_cache_blob_writer_offset tells how many bytes are already there.
 * Commit verifies the digest (BLD_E_DIGEST, and the partial data is discarded) and moves
 * the blob into place atomically; _free without commit keeps a resumable partial file only
 * when an expected digest was given, and removes it otherwise.
 */
struct bld_cache_blob_writer;
int bld_cache_blob_writer_new(struct bld_cache_blob_writer **out, struct bld_store *s,
			      const char *expected_digest, struct bld_error **err);
int64_t bld_cache_blob_writer_offset(const struct bld_cache_blob_writer *w);
/* Drops what a partial file held (a server that ignores Range starts over). */
int bld_cache_blob_writer_restart(struct bld_cache_blob_writer *w, struct bld_error **err);
int bld_cache_blob_writer_write(struct bld_cache_blob_writer *w, const void *data, size_t n,
				struct bld_error **err);
int bld_cache_blob_writer_commit(struct bld_cache_blob_writer *w,
				 char out[BLD_DIGEST_STR_LEN], struct bld_error **err);
void bld_cache_blob_writer_free(struct bld_cache_blob_writer *w);

/* === names: index.json of the OCI layout (refs.c) === */

/* What a name points at. */
struct bld_cache_desc {
	char *name;       /* fully qualified reference: "127.0.0.1:5000/library/busybox:latest" */
	char digest[BLD_DIGEST_STR_LEN];
	char *media_type; /* of the manifest or index */
	int64_t size;
};
void bld_cache_desc_dispose(struct bld_cache_desc *d);

/*
 * Points name at a manifest (or index) blob that is already stored, atomically
 * (BLD_E_NOTFOUND when the blob is missing; size < 0: taken from the blob). An image that
 * loses its last name this way stays in the index unnamed ("dangling", <none> in
 * `bld images`) until rmi or prune. name NULL adds such an unnamed entry (bld load of an
 * untagged image) unless an entry already holds the digest.
 */
int bld_cache_ref_set(struct bld_store *s, const char *name, const char *digest,
		      const char *media_type, int64_t size, struct bld_error **err);
int bld_cache_ref_get(struct bld_store *s, const char *name, struct bld_cache_desc *out,
		      struct bld_error **err);
int bld_cache_ref_delete(struct bld_store *s, const char *name, struct bld_error **err);
/* Every name in the store, in index order; *out is freed with bld_cache_desc_list_free. */
int bld_cache_ref_list(struct bld_store *s, struct bld_cache_desc **out, size_t *n,
		       struct bld_error **err);
void bld_cache_desc_list_free(struct bld_cache_desc *d, size_t n);
/* Like bld_cache_ref_list, with unnamed (dangling) entries too: their name is NULL. */
int bld_cache_ref_list_all(struct bld_store *s, struct bld_cache_desc **out, size_t *n,
			   struct bld_error **err);
/* Removes every entry, named or not, that points at digest (rmi of the whole image). */
int bld_cache_ref_delete_digest(struct bld_store *s, const char *digest, struct bld_error **err);

/* === builder needs: archives that are not layers (archive_extract.c) === */

/*
 * Unpacks a tar (plain, gzip, bzip2, xz or zstd) read from fd into the existing directory
 * dir, confined to it: leading "/" dropped, "..", writes through symlinks and hardlinks out
 * refused (BLD_E_INVALID). Owners are restored when running as root.
 */
int bld_cache_archive_extract_fd(int fd, const char *dir, struct bld_error **err);
/* Whether fd (a regular file, rewound afterwards) holds a tar, possibly compressed. */
bool bld_cache_archive_is_tar_fd(int fd);

/* === builder needs: build-cache records (buildcache.c) === */

/*
 * One record per build-cache key (32 lower-case hex digits, BLD_E_INVALID otherwise) under
 * $BLD_ROOT/cache/build/. The JSON is the builder's; a top-level "blobs" array names the
 * blobs the record needs, for garbage collection. _get: BLD_E_NOTFOUND when absent; *json
 * is the caller's. _put replaces atomically. _delete of a missing record succeeds.
 */
int bld_cache_build_record_get(struct bld_store *s, const char *key, char **json,
			       struct bld_error **err);
int bld_cache_build_record_put(struct bld_store *s, const char *key, const char *json,
			       struct bld_error **err);
int bld_cache_build_record_delete(struct bld_store *s, const char *key, struct bld_error **err);

#endif
