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
 *   cache/build/<key>            build-cache records (the builder's JSON)
 *   locks/index.lock, gc.lock    flock files
 * A store holds locks/gc.lock shared while it is open, so that GC knows whether it is alone
 * (then it removes all garbage at once, and a store opened meanwhile waits for it; else only
 * garbage older than the grace period goes): keep a store open only while working with it,
 * not for a container's lifetime.
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
/* Free removes the partial even when it could be resumed (the disk is full: give it back). */
void bld_cache_blob_writer_drop(struct bld_cache_blob_writer *w);

/* === names: index.json of the OCI layout (refs.c) === */

/* What a name points at. */
struct bld_cache_desc {
	char *name;       /* fully qualified reference: "127.0.0.1:5000/library/busybox:latest" */
	char digest[BLD_DIGEST_STR_LEN];
	char *media_type; /* of the manifest or index */
	int64_t size;
	/* The manifest as its registry serves it when that differs from the stored one (a
	 * Docker v2s2 manifest kept beside its OCI form): "" and NULL when there is none.
	 * Recorded on the index entry (BLD_ANN_ORIG_*), kept alive by GC with the name. */
	char orig_digest[BLD_DIGEST_STR_LEN];
	char *orig_media_type;
	/* The digest the registry of this name's repository has for it (docker's RepoDigests):
	 * what a pull by tag resolved to (the index, for a multi-platform image) or what a push
	 * of the name put there; "" when unknown (built, tagged, loaded). Named entries only
	 * (BLD_ANN_REPO_DIGEST); it moves with the name, never to another one. */
	char repo_digest[BLD_DIGEST_STR_LEN];
};
void bld_cache_desc_dispose(struct bld_cache_desc *d);

#define BLD_ANN_ORIG_DIGEST "dev.bld.original-manifest"
#define BLD_ANN_ORIG_MEDIA_TYPE "dev.bld.original-manifest.media-type"
#define BLD_ANN_REPO_DIGEST "dev.bld.repo-digest"

/*
 * Points name at a manifest (or index) blob that is already stored, atomically
 * (BLD_E_NOTFOUND when the blob is missing; size < 0: taken from the blob). An image that
 * loses its last name this way stays in the index unnamed ("dangling", <none> in
 * `bld images`) until rmi or prune. name NULL adds such an unnamed entry (bld load of an
 * untagged image) unless an entry already holds the digest.
 */
int bld_cache_ref_set(struct bld_store *s, const char *name, const char *digest,
		      const char *media_type, int64_t size, struct bld_error **err);
/*
 * Like bld_cache_ref_set with every field of d (d->name is ignored), the record of the
 * original manifest too when d->orig_digest is set (BLD_E_NOTFOUND when that blob is
 * missing). Moving a name with bld_cache_ref_set drops the record.
 */
int bld_cache_ref_set_desc(struct bld_store *s, const char *name,
			   const struct bld_cache_desc *d, struct bld_error **err);
int bld_cache_ref_get(struct bld_store *s, const char *name, struct bld_cache_desc *out,
		      struct bld_error **err);
/*
 * Records repo_digest on the entry named name (push: the digest the registry now has),
 * atomically and only while name still points at digest: 1 when recorded, 0 when the name
 * moved or is gone meanwhile.
 */
int bld_cache_ref_set_repo_digest(struct bld_store *s, const char *name, const char *digest,
				  const char *repo_digest, struct bld_error **err);
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

/* === layers (layer.c: making them; unpack.c: unpacking them) === */

/* A layer blob as a manifest lists it. */
struct bld_cache_layer {
	char digest[BLD_DIGEST_STR_LEN];  /* of the stored (compressed) blob */
	char diff_id[BLD_DIGEST_STR_LEN]; /* of the uncompressed tar (config rootfs.diff_ids) */
	int64_t size;                     /* bytes of the blob */
	char media_type[80];              /* e.g. application/vnd.oci.image.layer.v1.tar+gzip */
};

struct bld_cache_layer_opts {
	/* dir is an overlay upper directory: 0/0 character devices are whiteouts (written as
	 * .wh.NAME), directories with trusted.overlay.opaque=y (or user.overlay.opaque) get a
	 * .wh..wh..opq marker; metacopy and redirect_dir uppers are refused. */
	bool overlay;
	/* >= 0: every timestamp later than this is clamped to it (SOURCE_DATE_EPOCH) */
	int64_t source_date_epoch;
	/* paths relative to dir ("etc/hosts"), NULL-terminated, left out with what is below
	 * them (a container's mount points that docker keeps in its init layer); may be NULL */
	char *const *exclude;
};

/*
 * Writes the tree under dir as a layer: a PAX tar (entries sorted, parents first, hardlinks
 * and xattrs kept, no atime/ctime or user names), gzip-compressed without a timestamp, and
 * stores it as a blob. The same tree and options always give the same digests. o may be
 * NULL (plain directory, no clamping). Fills *out.
 */
int bld_cache_layer_from_dir(struct bld_store *s, const char *dir,
			     const struct bld_cache_layer_opts *o, struct bld_cache_layer *out,
			     struct bld_error **err);
/*
 * Stores the tar read from fd (gzip, zstd, xz, bzip2 or uncompressed) as a gzip layer
 * blob, unchanged entry for entry (bld import). BLD_E_INVALID when it is not a tar.
 */
int bld_cache_layer_from_tar(struct bld_store *s, int fd, struct bld_cache_layer *out,
			     struct bld_error **err);

/*
 * Writes the tree under dir as one uncompressed PAX tar stream to fd, with the same walk as
 * a layer (sorted entries, parents first, hardlinks and xattrs kept, no atime/ctime;
 * timestamps clamped to source_date_epoch when it is >= 0), but no whiteouts: dir is a
 * plain (or merged) tree. For `bld build --output type=tar`.
 */
int bld_cache_dir_tar_write(const char *dir, int fd, int64_t source_date_epoch,
			    struct bld_error **err);

/* The chain ID of a layer: parent_chain NULL for the lowest layer (then it is diff_id). */
void bld_cache_layer_chain_id(const char *parent_chain, const char *diff_id,
			      char out[BLD_DIGEST_STR_LEN]);

/*
 * Unpacks the layer blob into $BLD_ROOT/layers/<chain_id hex> unless that directory
 * already exists, and returns its path in *dir (caller frees). The tar is extracted into a
 * temporary directory that is renamed into place, so the directory exists only complete.
 * Nothing lands outside it: paths are cleaned as if rooted, every parent is resolved
 * inside the target (symlinks included), hardlinks can only point inside, device nodes are
 * skipped unless running as root, overlay xattrs in the tar are ignored. Whiteouts become
 * what overlayfs reads in a lower directory: .wh.NAME a 0/0 character device,
 * .wh..wh..opq the trusted.overlay.opaque=y xattr on its directory (user.overlay.opaque
 * when not root). The uncompressed stream must match diff_id (BLD_E_DIGEST otherwise,
 * and nothing is left). Safe to call from several threads and processes at once.
 */
int bld_cache_layer_unpack(struct bld_store *s, const char *blob_digest, const char *diff_id,
			   const char *chain_id, char **dir, struct bld_error **err);
/* Overlay marks as overlayfs reads them (unpack.c; the builder's and the runner's upper
 * directories too): a whiteout for name in directory dirfd (a 0/0 character device, else,
 * where none may be made, an empty file marked user.overlay.whiteout), and directory dirfd
 * marked opaque (trusted.overlay.opaque, else user.overlay.opaque). 0 or -errno. */
int bld_cache_whiteout_make(int dirfd, const char *name);
int bld_cache_opaque_mark(int dirfd);
/* Extracts the tar stream read from fd into the existing empty directory target with the
 * same rules (no rename, no digest check when diff_id is NULL); for tests and tools. */
int bld_cache_layer_extract_fd(int fd, const char *target, const char *diff_id,
			       struct bld_error **err);

/*
 * A layer unpacked while its blob downloads (layer_feed.c). Start one right after creating
 * the blob's writer, when the writer starts at offset 0: the feed reads the partial file
 * behind the writer. After each write, _offer how many bytes the partial holds (eof when
 * the download is complete). When the blob was committed (its digest verified), _publish
 * hands the feed to the store, where bld_cache_layer_unpack finds it, checks the diff ID
 * and moves the directory into place; never publish a feed for an unverified blob. _free
 * (or _feeds_drop for the published ones) stops the thread and removes what it extracted.
 * A feed that fails or is freed costs nothing but time: the layer is then unpacked from
 * the stored blob. One feed is used by one thread (the downloader) until published.
 */
struct bld_cache_layer_feed;
/* The feed starts on this many bytes and then waits for larger pieces: offer the first of
 * them as soon as they are written (the inflater is idle until then). */
#define BLD_CACHE_FEED_FIRST ((int64_t)32 << 10)
int bld_cache_layer_feed_new(struct bld_cache_layer_feed **out, struct bld_store *s,
			     const char *blob_digest, struct bld_error **err);
void bld_cache_layer_feed_offer(struct bld_cache_layer_feed *f, int64_t avail, bool eof);
void bld_cache_layer_feed_free(struct bld_cache_layer_feed *f);
void bld_cache_layer_feed_publish(struct bld_store *s, struct bld_cache_layer_feed *f);
/* Frees the published feeds nobody took (also done by bld_cache_store_free). */
void bld_cache_layer_feeds_drop(struct bld_store *s);

/* === attestations kept beside an image (attest.c) === */

#define BLD_CACHE_ATTEST_MAX ((size_t)64 << 20) /* one attestation document */
/*
 * Stores a document of kind ("provenance", "sbom": lower-case letters) for the image whose
 * manifest digest is given, replacing an earlier one, atomically.
 */
int bld_cache_attest_put(struct bld_store *s, const char *manifest_digest, const char *kind,
			 const void *data, size_t n, struct bld_error **err);
/* Reads it back (caller frees *out); BLD_E_NOTFOUND when there is none. */
int bld_cache_attest_get(struct bld_store *s, const char *manifest_digest, const char *kind,
			 char **out, size_t *len, struct bld_error **err);

/* === images (image.c) === */

/*
 * An image as stored: its manifest (OCI or Docker v2 schema 2) and config. An index or
 * manifest list resolves to its linux/amd64 manifest.
 */
struct bld_cache_image {
	char manifest_digest[BLD_DIGEST_STR_LEN];
	char id[BLD_DIGEST_STR_LEN]; /* config digest = image ID */
	struct json_t *manifest;
	struct json_t *config;
	char *name; /* the name it was found by, else its first name; NULL when it has none */
	/* additions */
	char *manifest_media_type;
	int64_t manifest_size;
	char index_digest[BLD_DIGEST_STR_LEN]; /* the index it was resolved through, or "" */
};

/*
 * Finds an image by full name ("docker.io/library/busybox:latest"), image ID
 * ("sha256:<hex>"), unique ID prefix ("3f57d9401f8d", with or without "sha256:") or
 * manifest/index digest. A name that exists wins over an ID prefix. BLD_E_NOTFOUND
 * ("no such image: X"), BLD_E_INVALID for an ambiguous prefix.
 */
int bld_cache_image_load(struct bld_store *s, const char *name_or_id,
			 struct bld_cache_image **out, struct bld_error **err);
/* Loads the image whose manifest (or index) digest is given, as stored. */
int bld_cache_image_load_digest(struct bld_store *s, const char *digest,
				struct bld_cache_image **out, struct bld_error **err);
void bld_cache_image_free(struct bld_cache_image *img);

/*
 * The image's layers unpacked (bld_cache_layer_unpack for each, once), as a NULL-terminated
 * vector of directories, lowest first (caller frees with bld_strv_free). An image without
 * layers gives an empty vector.
 */
int bld_cache_image_layers(struct bld_store *s, const struct bld_cache_image *img,
			   char ***dirs, struct bld_error **err);
/* The image's layers as its manifest lists them, with diff IDs from the config
 * (*out is the caller's to free). */
int bld_cache_image_layer_list(const struct bld_cache_image *img,
			       struct bld_cache_layer **out, size_t *n, struct bld_error **err);

/*
 * Writes an image: sets config's rootfs to {"type":"layers","diff_ids":[...]} from layers,
 * stores config (canonical JSON) and an OCI manifest listing the layers, and points name
 * at it (name NULL: an unnamed image). config is not modified (a copy is written).
 * Writes the manifest digest into manifest_digest and the image ID into id (either may be
 * NULL).
 */
int bld_cache_image_write(struct bld_store *s, const struct json_t *config,
			  const struct bld_cache_layer *layers, size_t n, const char *name,
			  char manifest_digest[BLD_DIGEST_STR_LEN], char id[BLD_DIGEST_STR_LEN],
			  struct bld_error **err);

/*
 * docker's size of an unpacked layer: every entry of layers/<chain_id hex> but directories,
 * hardlinked files once (overlay2's directory.Size). Computed once and recorded on the
 * directory (xattr user.bld.size); -1 when the layer is not unpacked (imgsize.c).
 */
int64_t bld_cache_layer_dir_size(struct bld_store *s, const char *chain_id);
/*
 * docker's image Size (images, inspect): the uncompressed sizes of its layers added up; a
 * layer not unpacked counts its compressed size. Reads no blob but the image's own.
 */
int64_t bld_cache_image_size(struct bld_store *s, const struct bld_cache_image *img);
/*
 * Like bld_cache_image_write; with docker the image also gets a Docker v2 schema 2 manifest
 * (docker media types for manifest, config and layers; same blobs), stored as the original
 * manifest of the name's entry the way registry/ keeps a pulled v2s2 image: the entry
 * itself stays the OCI form (runner and skopeo's oci: read it), bld push sends the v2s2
 * manifest. manifest_digest then receives the v2s2 manifest's digest. A layer with no v2s2
 * media type (zstd) is BLD_E_UNSUPPORTED. An unnamed image (name NULL) keeps only the OCI
 * form, as an unnamed entry records no original manifest.
 */
int bld_cache_image_write_fmt(struct bld_store *s, const struct json_t *config,
			      const struct bld_cache_layer *layers, size_t n, const char *name,
			      bool docker, char manifest_digest[BLD_DIGEST_STR_LEN],
			      char id[BLD_DIGEST_STR_LEN], struct bld_error **err);

/* Every name pointing at this image's manifest (or the index it came through); strv. */
int bld_cache_image_names(struct bld_store *s, const struct bld_cache_image *img,
			  char ***names, struct bld_error **err);
/*
 * docker's RepoDigests: "repository@digest" for every digest name of the image and every
 * name with a recorded repo_digest, fully qualified, each once, in index order; strv. The
 * image is its config: names of another manifest of the same config count too.
 */
int bld_cache_image_repo_digests(struct bld_store *s, const struct bld_cache_image *img,
				 char ***out, struct bld_error **err);
/* docker's RepoTags: every tag name of the image, by config as above, each once; strv. */
int bld_cache_image_tags(struct bld_store *s, const struct bld_cache_image *img, char ***out,
			 struct bld_error **err);

/*
 * bld rmi: an exact name is untagged (when it was the image's last tag, its digest
 * references and the image go too); an ID, prefix or digest removes the image with every
 * name, refused with BLD_E_EXISTS ("conflict: ...") when it has several tags unless force.
 * *untagged lists the names removed (strv, caller frees), *deleted is the image ID when
 * the image itself went, else NULL. Blobs are freed by a following bld_cache_gc.
 */
int bld_cache_image_remove(struct bld_store *s, const char *name_or_id, bool force,
			   char ***untagged, char **deleted, struct bld_error **err);

/* === image archives: bld save / bld load (archive.c) === */

struct bld_cache_save_item {
	const struct bld_cache_image *img;
	char *const *repo_tags; /* written into manifest.json as given ("busybox:latest"); NULL ok */
};
/*
 * Writes the images as a docker archive (docker save's format: manifest.json,
 * repositories, <config hex>.json, <diff id hex>/layer.tar uncompressed) to fd. Layers
 * shared by several images are written once; every layer is checked against its diff ID.
 */
int bld_cache_save(struct bld_store *s, const struct bld_cache_save_item *items, size_t n,
		   int fd, struct bld_error **err);

/*
 * Writes one image as an OCI image layout tarball (ociarchive.c: oci-layout, index.json,
 * blobs/sha256/...) to fd, as BuildKit's oci exporter does; name (full reference, or NULL)
 * becomes index.json's io.containerd.image.name and org.opencontainers.image.ref.name
 * annotations. The same image and name always give the same bytes.
 */
int bld_cache_oci_archive_write(struct bld_store *s, const struct bld_cache_image *img,
				const char *name, int fd, struct bld_error **err);

/* An image that bld_cache_load stored. */
struct bld_cache_loaded {
	char digest[BLD_DIGEST_STR_LEN]; /* manifest (or index) now in the store */
	char *media_type;
	int64_t size;
	char **names; /* as the archive names it (familiar "busybox:latest" or full); may be NULL */
};
/*
 * Reads a docker archive (docker save, skopeo docker-archive:) or an OCI archive
 * (index.json + blobs/, any compression) from fd and stores its images, verified (layers
 * against the config's diff IDs, OCI blobs against their names). Each image enters the
 * index unnamed; the caller names it. *out is freed with bld_cache_loaded_free.
 */
int bld_cache_load(struct bld_store *s, int fd, struct bld_cache_loaded **out, size_t *n,
		   struct bld_error **err);
void bld_cache_loaded_free(struct bld_cache_loaded *v, size_t n);

/* === reference counting, garbage collection, usage, integrity (gc.c, check.c) === */

struct bld_cache_gc_opts {
	/* extra roots, NULL-terminated: manifest/index/config/layer digests and layer chain IDs
	 * ("sha256:...") that must survive — images of containers, build-cache records */
	char *const *keep;
	/* when other bld processes have the store open, only garbage older than this many
	 * seconds goes (0: one hour); when bld is alone, all garbage goes at once */
	int64_t grace_seconds;
};

struct bld_cache_gc_stats {
	int64_t blobs, blob_bytes;       /* blobs removed */
	int64_t layers, layer_bytes;     /* unpacked layer directories removed */
	int64_t partials, partial_bytes; /* abandoned partial downloads removed */
	int64_t tmpdirs;                 /* abandoned extraction dirs and temporary files removed */
};

/*
 * Removes every blob and unpacked layer that no index entry (named or dangling), no
 * build-cache record (the blobs in the top-level "blobs" array of each JSON file under
 * $BLD_ROOT/cache/build/) and no extra root needs, abandoned partial files (anonymous ones at once, resumable ones when
 * their blob exists or after a day) and extraction directories of dead processes.
 * o and st may be NULL. Removing names first (rmi, prune) and then calling this is how
 * images are deleted.
 */
int bld_cache_gc(struct bld_store *s, const struct bld_cache_gc_opts *o,
		 struct bld_cache_gc_stats *st, struct bld_error **err);

struct bld_cache_usage {
	int64_t images, dangling;         /* index entries, of which unnamed */
	int64_t blobs, blob_bytes;
	int64_t reclaimable_bytes;        /* blobs no named image needs */
	int64_t layer_dirs, layer_bytes;  /* unpacked layers */
	int64_t layer_reclaimable_bytes;
	int64_t partial_bytes;            /* partial downloads */
};
int bld_cache_usage(struct bld_store *s, struct bld_cache_usage *u, struct bld_error **err);
/* Apparent size of the regular files under at/name, not following links (0 when it is
 * unreadable); at may be AT_FDCWD. Also used for bld system df's non-store directories. */
int64_t bld_cache_du(int at, const char *name);

/* One image as docker system df counts it. */
struct bld_cache_image_df {
	char id[BLD_DIGEST_STR_LEN];
	int64_t size;   /* its layers, uncompressed (docker's Size and VirtualSize) */
	int64_t shared; /* of which layers other images have too (docker's SharedSize) */
	bool active;    /* a container uses it: its ID is in used */
};
/* Every image of s once (by ID; *out: caller frees, *n entries) and *layers_size, every
 * layer once (docker's LayersSize); used: the image IDs containers use. Images whose
 * documents cannot be read are left out. */
int bld_cache_images_df(struct bld_store *s, char *const *used, struct bld_cache_image_df **out,
			size_t *n, int64_t *layers_size);
/* What docker system df calls reclaimable of them: the layers no active image has alone. */
int64_t bld_cache_images_df_reclaimable(const struct bld_cache_image_df *v, size_t n,
					int64_t layers_size);

struct bld_cache_check_stats {
	int64_t blobs, bytes;  /* checked */
	int64_t damaged;       /* content does not match the name */
	int64_t missing;       /* needed by an image but absent */
	int64_t problems;      /* every problem reported */
};
typedef void (*bld_cache_check_fn)(const char *problem, void *payload);
/*
 * Re-hashes every blob and checks that every image has its manifest, config and layers;
 * each problem is passed to fn as one line. Returns 0 when the check ran (look at
 * st->problems), < 0 when it could not.
 */
int bld_cache_check(struct bld_store *s, bld_cache_check_fn fn, void *payload,
		    struct bld_cache_check_stats *st, struct bld_error **err);

struct bld_cache_layer_check_stats {
	int64_t layers;   /* unpacked layer directories of images, compared with their blobs */
	int64_t damaged;  /* differ from their blob */
	int64_t repaired; /* of them, replaced by a fresh extraction */
	int64_t problems; /* every problem reported (also layers that could not be checked) */
};
/*
 * Compares every unpacked layer directory of every image with a fresh extraction of its blob
 * (file list, types, modes, owners, sizes, link targets, contents; layer_verify.c); each
 * damaged layer is reported to fn as one line and, with repair, replaced by the fresh
 * extraction. An equal directory is synced and recorded as durable. Returns 0 when the check
 * ran (look at st->problems).
 */
int bld_cache_layers_check(struct bld_store *s, bool repair, bld_cache_check_fn fn,
			   void *payload, struct bld_cache_layer_check_stats *st,
			   struct bld_error **err);

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
/*
 * The builder's notes for explaining a cache miss: INPUTS under a cache key (what the key
 * was made of), LAST under a name of the builder's (the keys of the last build of one
 * Dockerfile and target). Names as keys (BLD_E_INVALID otherwise); _get: BLD_E_NOTFOUND
 * when absent, *json the caller's; _put replaces atomically. _forget removes a key's
 * inputs, quietly (the record's _delete and prune call it).
 */
enum bld_cache_note { BLD_CACHE_NOTE_INPUTS, BLD_CACHE_NOTE_LAST };
int bld_cache_build_note_get(struct bld_store *s, enum bld_cache_note kind, const char *name,
			     char **json, struct bld_error **err);
int bld_cache_build_note_put(struct bld_store *s, enum bld_cache_note kind, const char *name,
			     const char *json, struct bld_error **err);
void bld_cache_build_inputs_forget(struct bld_store *s, const char *key);
/*
 * `builder prune`: removes every record (all), or the dangling ones: those naming a blob
 * that no image and none of keep (NULL-terminated digests, as bld_cache_gc_opts.keep)
 * holds. *removed lists the keys removed (caller frees); bld_cache_gc then reclaims.
 */
int bld_cache_build_records_prune(struct bld_store *s, bool all, char *const *keep,
				  char ***removed, struct bld_error **err);

/* === builder needs: a step's upper directory as the unpacked layer (layer_adopt.c) === */

/*
 * Renames dir (an overlay upper directory whose layer blob is stored; on the store's
 * filesystem) to $BLD_ROOT/layers/<chain_id hex>, so that the layer need not be extracted
 * again; when that directory exists already, dir is left where it is. *out is the layer
 * directory (caller frees).
 */
int bld_cache_layer_adopt(struct bld_store *s, const char *dir, const char *chain_id,
			  char **out, struct bld_error **err);

/* === runner needs: tar streams entry by entry, for bld cp (tarstream.c) === */

/* One entry of a tar stream. Strings are borrowed. */
struct bld_cache_tar_entry {
	const char *path;     /* as written in the archive: relative, '/'-separated */
	mode_t mode;          /* file type and permission bits (S_IFREG | 0644) */
	uid_t uid;
	gid_t gid;
	int64_t size;         /* regular files: bytes of data */
	int64_t mtime_sec;
	long mtime_nsec;
	const char *symlink;  /* S_IFLNK: the link's target */
	const char *hardlink; /* non-NULL: a hard link to this earlier path (mode is S_IFREG) */
	dev_t rdev;           /* character and block devices */
	const void *caps;     /* regular files: the security.capability xattr, or NULL */
	size_t caps_len;
};

/*
 * A PAX tar written to fd (not closed by the writer): _add each entry, then exactly e->size
 * bytes of a regular file's data with _data (fewer are padded with zeros, more are cut), and
 * _close for the end of the archive (*written: bytes of the stream; may be NULL). Only
 * numeric owners are written. _free(NULL) is harmless.
 */
struct bld_cache_tar_writer;
int bld_cache_tar_writer_new(struct bld_cache_tar_writer **out, int fd, struct bld_error **err);
int bld_cache_tar_writer_add(struct bld_cache_tar_writer *w, const struct bld_cache_tar_entry *e,
			     struct bld_error **err);
int bld_cache_tar_writer_data(struct bld_cache_tar_writer *w, const void *buf, size_t n,
			      struct bld_error **err);
int bld_cache_tar_writer_close(struct bld_cache_tar_writer *w, int64_t *written,
			       struct bld_error **err);
void bld_cache_tar_writer_free(struct bld_cache_tar_writer *w);

/*
 * A tar (plain, gzip, bzip2, xz or zstd) read from fd entry by entry. _next returns 1 with
 * *e filled (its strings borrowed until the next call), 0 at the end, < 0 on a broken
 * archive (BLD_E_INVALID). Names are passed as the archive has them: confining them is the
 * caller's job. _read gives the current entry's data: bytes, 0 at its end, < 0 on error.
 */
struct bld_cache_tar_reader;
int bld_cache_tar_reader_new(struct bld_cache_tar_reader **out, int fd, struct bld_error **err);
int bld_cache_tar_reader_next(struct bld_cache_tar_reader *r, struct bld_cache_tar_entry *e,
			      struct bld_error **err);
ssize_t bld_cache_tar_reader_read(struct bld_cache_tar_reader *r, void *buf, size_t n,
				  struct bld_error **err);
void bld_cache_tar_reader_free(struct bld_cache_tar_reader *r);

/* === the events journal (event.c) === */

/*
 * What `bld events` shows, written by every bld process that changes something (there is no
 * daemon to collect it): $BLD_ROOT/events/journal.jsonl, one JSON line per event in the
 * shape of docker's events API (status, id, from, Type, Action, Actor{ID, Attributes},
 * scope, time, timeNano). Appends are serialised by a lock, so records never interleave and
 * the file is in time order; a journal that passes BLD_CACHE_EVENTS_MAX is renamed to
 * journal.1.jsonl (the one older generation kept) and a new one begins. The store need not
 * be open: these functions take its root, so a container's monitor appends without holding
 * the store for the container's lifetime.
 */
#define BLD_CACHE_EVENTS_MAX ((int64_t)4 << 20) /* bytes of one journal generation */
#define BLD_CACHE_EVENT_MAX ((size_t)16 << 10)  /* bytes of one record */

/*
 * Appends one event: type "container", "image", "volume", "network"; action as docker's
 * ("start", "die", "health_status: healthy"); id the actor's (a container ID, an image
 * name or ID, a volume name); attrs "K=V" strings (NULL: none), sorted as docker prints
 * them. Attribute values are shortened when the record would pass BLD_CACHE_EVENT_MAX.
 * Callers that must not fail because of the journal pass err NULL and ignore the result.
 */
/* Records an image event as docker's daemon does: actor id, attributes the image's labels
 * (when the store still has an image by that name or ID) and name. */
void bld_cache_image_event(struct bld_store *s, const char *action, const char *id,
			   const char *name);
int bld_cache_event_append(const char *root, const char *type, const char *action,
			   const char *id, char *const *attrs, struct bld_error **err);

/* Called for every event read; the object is borrowed. Returning non-zero stops the read. */
typedef int (*bld_cache_event_fn)(const struct json_t *event, void *payload);
/*
 * Calls fn for the events with since_ns <= timeNano <= until_ns (0: no bound) in the order
 * they were written; with follow_fd >= 0, then waits for new ones (inotify on the journal's
 * directory, no polling) until until_ns passes (0: until fn returns non-zero), or until
 * follow_fd, where fn writes them, has lost its reader (a pipe or socket whose other end is
 * closed: a quiet follower ends when its client goes, not at the next event); -1: no follow.
 * Without since_ns and until_ns, follow starts at the journal's end (docker's `events`
 * without --since shows nothing of the past).
 */
int bld_cache_event_read(const char *root, int64_t since_ns, int64_t until_ns, int follow_fd,
			 bld_cache_event_fn fn, void *payload, struct bld_error **err);

/* Whether an event passes every filter ("key=value": container, event, image, label, type,
 * volume, network, scope... as docker's daemon matches them; keys it does not know match
 * everything, as docker's daemon ignores them). */
bool bld_cache_event_match(const struct json_t *event, char *const *filters);

/* The entry (named or not) pointing at digest, for its media type and size; *out is the
 * caller's (bld_cache_desc_dispose). BLD_E_NOTFOUND when none. */
int bld_cache_ref_find_digest(struct bld_store *s, const char *digest, struct bld_cache_desc *out,
			      struct bld_error **err);

#endif
