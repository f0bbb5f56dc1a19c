/*
 * cache/attest.c — the attestations of an image kept beside it in the store: the documents a
 * build records for an image (SLSA provenance, SPDX SBOM), one file per kind under
 * $BLD_ROOT/attest/<hex of the manifest digest>/<kind>.json, written atomically. They are
 * keyed by the manifest digest because they describe that manifest: a name that moves does
 * not carry them along, and a rebuild that gives the same manifest finds them again.
 *
 * It stores bytes and knows nothing of what they say (builder/ writes them, registry/ signs
 * and pushes them). A kind is a plain lower-case word.
 */
#include "cache/cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

static int check_args(const char *digest, const char *kind, struct bld_error **err)
{
	if (!bld_digest_valid(digest))
		return bld_error_set(err, BLD_E_INVALID, "attestation: invalid digest %s", digest);
	for (const char *p = kind; *p; p++)
		if (*p < 'a' || *p > 'z')
			return bld_error_set(err, BLD_E_INVALID, "attestation: invalid kind %s",
					     kind);
	return 0;
}

int bld_cache_attest_put(struct bld_store *s, const char *manifest_digest, const char *kind,
			 const void *data, size_t n, struct bld_error **err)
{
	if (check_args(manifest_digest, kind, err) < 0)
		return -BLD_E_INVALID;
	if (n > BLD_CACHE_ATTEST_MAX)
		return bld_error_set(err, BLD_E_INVALID, "attestation %s larger than %zu bytes",
				     kind, BLD_CACHE_ATTEST_MAX);
	cleanup_free char *dir =
	    xasprintf("%s/attest/%s", s->root, bld_cache_hex(manifest_digest));
	if (bld_fs_mkdir_p(dir, 0755, err) < 0)
		return -1;
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	cleanup_free char *name = xasprintf("%s.json", kind);
	return bld_fs_write_atomic(fd, name, data, n, 0644, err);
}

int bld_cache_attest_get(struct bld_store *s, const char *manifest_digest, const char *kind,
			 char **out, size_t *len, struct bld_error **err)
{
	if (check_args(manifest_digest, kind, err) < 0)
		return -BLD_E_INVALID;
	cleanup_free char *path = xasprintf("%s/attest/%s/%s.json", s->root,
					    bld_cache_hex(manifest_digest), kind);
	struct stat st;
	if (stat(path, &st) < 0 && errno == ENOENT)
		return bld_error_set(err, BLD_E_NOTFOUND, "no %s attestation for %s", kind,
				     manifest_digest);
	return bld_fs_read_file(path, BLD_CACHE_ATTEST_MAX, out, len, err);
}
