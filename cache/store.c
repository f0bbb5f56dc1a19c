/*
 * cache/store.c — opening the store under $BLD_ROOT: creates the OCI image layout
 * (oci-layout, index.json, blobs/sha256), the ingest directory for partial blobs, the
 * layers directory and the lock files; holds the descriptors every other file of cache/
 * works relative to. Owns the index lock and index.json reading and writing.
 *
 * Locks: locks/index.lock (flock, exclusive) serialises every read-modify-write of
 * index.json; locks/gc.lock is held shared by every open store, so that a GC that manages
 * to take it exclusively knows no other bld process is in the middle of adding content.
 * It does not decide what is garbage (gc.c) nor parse images (image.c).
 */
#include "cache/cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char empty_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" BLD_MT_OCI_INDEX "\",\"manifests\":[]}";

static int open_dir(const char *path, int *fd, struct bld_error **err)
{
	int r = bld_fs_mkdir_p(path, 0755, err);
	if (r < 0)
		return r;
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return bld_error_sys(err, errno, "open %s", path);
	return 0;
}

/* Creates a file with fixed content when it is missing (atomically, so never half there). */
static int ensure_file(int dirfd, const char *name, const char *content, struct bld_error **err)
{
	if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	return bld_fs_write_atomic(dirfd, name, content, strlen(content), 0644, err);
}

static int open_gc_lock(struct bld_store *s, struct bld_error **err)
{
	s->gc_fd = openat(s->locks_fd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->gc_fd < 0)
		return bld_error_sys(err, errno, "open %s/locks/gc.lock", s->root);
	while (flock(s->gc_fd, LOCK_SH) < 0)
		if (errno != EINTR)
			return bld_error_sys(err, errno, "lock %s/locks/gc.lock", s->root);
	return 0;
}

static int open_layout(struct bld_store *s, struct bld_error **err)
{
	cleanup_free char *locks = bld_path_join(s->root, "locks");
	int r = open_dir(s->oci, &s->oci_fd, err);
	if (r == 0)
		r = open_dir(s->blobs, &s->blobs_fd, err);
	if (r == 0)
		r = open_dir(s->ingest, &s->ingest_fd, err);
	if (r == 0)
		r = open_dir(s->layers, &s->layers_fd, err);
	if (r == 0)
		r = open_dir(locks, &s->locks_fd, err);
	if (r == 0)
		r = ensure_file(s->oci_fd, "oci-layout", oci_layout, err);
	if (r == 0) {
		int lk = bld_cache_index_lock(s, err);
		if (lk < 0)
			return lk;
		r = ensure_file(s->oci_fd, "index.json", empty_index, err);
		bld_cache_index_unlock(lk);
	}
	if (r == 0)
		r = open_gc_lock(s, err);
	return r;
}

int bld_cache_store_open(struct bld_store **out, const char *root, struct bld_error **err)
{
	struct bld_store *s = xcalloc(1, sizeof(*s));
	s->oci_fd = s->blobs_fd = s->ingest_fd = s->layers_fd = s->locks_fd = s->gc_fd = -1;
	s->root = xstrdup(root);
	s->oci = bld_path_join(root, "oci");
	s->blobs = bld_path_join(s->oci, "blobs/sha256");
	s->ingest = bld_path_join(s->oci, "ingest");
	s->layers = bld_path_join(root, "layers");
	int r = bld_fs_mkdir_p(root, 0700, err);
	if (r == 0)
		r = open_layout(s, err);
	if (r < 0) {
		bld_cache_store_free(s);
		return bld_error_wrap(err, "open store %s", root);
	}
	*out = s;
	return 0;
}

void bld_cache_store_free(struct bld_store *s)
{
	if (!s)
		return;
	bld_cache_layer_feeds_drop(s);
	int fds[] = {s->oci_fd, s->blobs_fd, s->ingest_fd, s->layers_fd, s->locks_fd, s->gc_fd};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(s->root);
	free(s->oci);
	free(s->blobs);
	free(s->ingest);
	free(s->layers);
	free(s);
}

const char *bld_cache_store_root(const struct bld_store *s) { return s->root; }

int bld_cache_index_lock(struct bld_store *s, struct bld_error **err)
{
	int fd = openat(s->locks_fd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s/locks/index.lock", s->root);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		return bld_error_sys(err, e, "lock %s/locks/index.lock", s->root);
	}
	return fd;
}

void bld_cache_index_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the only descriptor of the open file drops the flock */
}

int bld_cache_index_load(struct bld_store *s, json_t **out, struct bld_error **err)
{
	cleanup_free char *path = bld_path_join(s->oci, "index.json");
	json_t *idx = NULL;
	int r = bld_json_load_file(&idx, path, BLD_CACHE_INDEX_MAX, err);
	if (r < 0)
		return r;
	json_t *m = json_object_get(idx, "manifests");
	if (!json_is_object(idx) || (m && !json_is_array(m))) {
		json_decref(idx);
		return bld_error_set(err, BLD_E_INVALID, "%s: not an OCI index", path);
	}
	if (!m)
		json_object_set_new(idx, "manifests", json_array());
	*out = idx;
	return 0;
}

int bld_cache_index_save(struct bld_store *s, const json_t *index, struct bld_error **err)
{
	char *data = json_dumps(index, JSON_INDENT(0) | JSON_COMPACT);
	if (!data)
		abort();
	int r = bld_fs_write_atomic(s->oci_fd, "index.json", data, strlen(data), 0644, err);
	free(data);
	return r;
}

bool bld_cache_gc_exclusive_begin(struct bld_store *s)
{
	/* converting our own shared hold: Linux drops it first, so a failed attempt leaves us
	 * holding nothing until _end takes the shared lock again (call _end either way) */
	return flock(s->gc_fd, LOCK_EX | LOCK_NB) == 0;
}

void bld_cache_gc_exclusive_end(struct bld_store *s)
{
	while (flock(s->gc_fd, LOCK_SH) < 0 && errno == EINTR)
		;
}
