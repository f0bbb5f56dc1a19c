/*
 * cache/buildcache.c — build-cache records for the builder: one small JSON file per cache
 * key under $BLD_ROOT/cache/build/<key>, written atomically. What a record says (the layer
 * and the config change of a step) is the builder's business; this file only stores and
 * returns the bytes, and refuses keys that are not 32 lower-case hex digits.
 *
 * A record names blobs in a top-level "blobs" array so that garbage collection can keep
 * them; a record whose blobs are gone is treated as a miss by the builder.
 *
 * Beside the records, two kinds of notes the builder keeps to explain a cache miss, in the
 * same form (one small file per 32-hex-digit name, written atomically): cache/inputs/<key>,
 * the inputs a key was made of (paths and fingerprints, never contents), and
 * cache/last/<name>, the step keys of the last build of one Dockerfile and target.
 */
#include "cache/cache_int.h"

#include <errno.h>
#include <fcntl.h>

#define RECORD_MAX ((size_t)4 << 20)

static bool key_valid(const char *key)
{
	size_t n = 0;
	for (; key[n]; n++)
		if (!((key[n] >= '0' && key[n] <= '9') || (key[n] >= 'a' && key[n] <= 'f')))
			return false;
	return n == BLD_XXH_HEX_LEN;
}

static int open_dir(struct bld_store *s, const char *sub, bool create, struct bld_error **err)
{
	cleanup_free char *dir = xasprintf("%s/cache/%s", s->root, sub);
	if (create && bld_fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return bld_error_set(err, BLD_E_NOTFOUND, "no build cache");
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	return fd;
}

static int open_records(struct bld_store *s, bool create, struct bld_error **err)
{
	return open_dir(s, "build", create, err);
}

static const char *note_dir(enum bld_cache_note kind)
{
	return kind == BLD_CACHE_NOTE_INPUTS ? "inputs" : "last";
}

int bld_cache_build_note_get(struct bld_store *s, enum bld_cache_note kind, const char *name,
			     char **json, struct bld_error **err)
{
	if (!key_valid(name))
		return bld_error_set(err, BLD_E_INVALID, "invalid build-cache key %s", name);
	cleanup_close int dfd = open_dir(s, note_dir(kind), false, err);
	if (dfd < 0)
		return dfd;
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return bld_error_set(err, BLD_E_NOTFOUND, "no build-cache %s %s", note_dir(kind),
				     name);
	if (fd < 0)
		return bld_error_sys(err, errno, "open build-cache %s %s", note_dir(kind), name);
	return bld_fs_read_fd(fd, RECORD_MAX, json, NULL, err);
}

int bld_cache_build_note_put(struct bld_store *s, enum bld_cache_note kind, const char *name,
			     const char *json, struct bld_error **err)
{
	if (!key_valid(name))
		return bld_error_set(err, BLD_E_INVALID, "invalid build-cache key %s", name);
	cleanup_close int dfd = open_dir(s, note_dir(kind), true, err);
	if (dfd < 0)
		return dfd;
	return bld_fs_write_atomic(dfd, name, json, strlen(json), 0600, err);
}

int bld_cache_build_record_get(struct bld_store *s, const char *key, char **json,
			       struct bld_error **err)
{
	if (!key_valid(key))
		return bld_error_set(err, BLD_E_INVALID, "invalid build-cache key %s", key);
	cleanup_close int dfd = open_records(s, false, err);
	if (dfd < 0)
		return dfd;
	cleanup_close int fd = openat(dfd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return bld_error_set(err, BLD_E_NOTFOUND, "no build-cache record %s", key);
	if (fd < 0)
		return bld_error_sys(err, errno, "open build-cache record %s", key);
	return bld_fs_read_fd(fd, RECORD_MAX, json, NULL, err);
}

int bld_cache_build_record_put(struct bld_store *s, const char *key, const char *json,
			       struct bld_error **err)
{
	if (!key_valid(key))
		return bld_error_set(err, BLD_E_INVALID, "invalid build-cache key %s", key);
	cleanup_close int dfd = open_records(s, true, err);
	if (dfd < 0)
		return dfd;
	return bld_fs_write_atomic(dfd, key, json, strlen(json), 0600, err);
}

int bld_cache_build_record_delete(struct bld_store *s, const char *key, struct bld_error **err)
{
	if (!key_valid(key))
		return bld_error_set(err, BLD_E_INVALID, "invalid build-cache key %s", key);
	cleanup_close int dfd = open_records(s, false, err);
	if (dfd < 0)
		return (*err && (*err)->code == BLD_E_NOTFOUND) ? 0 : dfd;
	if (unlinkat(dfd, key, 0) < 0 && errno != ENOENT)
		return bld_error_sys(err, errno, "remove build-cache record %s", key);
	bld_cache_build_inputs_forget(s, key);
	return 0;
}

void bld_cache_build_inputs_forget(struct bld_store *s, const char *key)
{
	cleanup_free char *p = xasprintf("%s/cache/inputs/%s", s->root, key);
	if (key_valid(key))
		unlink(p);
}
