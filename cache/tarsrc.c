/*
 * cache/tarsrc.c — a tar stream read through two libarchive readers: the outer one only
 * removes compression (gzip, zstd, xz, bzip2 or none, as libarchive detects it) and hands
 * out the plain bytes, which are hashed (the diff ID) and optionally teed to a callback
 * before the inner reader parses them as tar. After the last entry, drain reads what the
 * tar reader left (end-of-archive padding) so that the diff ID covers the whole stream.
 *
 * It does not write files (unpack.c) nor decide what entries mean.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>

static la_ssize_t inner_read(struct archive *a, void *p, const void **buf)
{
	struct bld_cache_tarsrc *t = p;
	la_ssize_t n = archive_read_data(t->outer, t->buf, sizeof(t->buf));
	if (n < 0) {
		archive_set_error(a, EIO, "%s", archive_error_string(t->outer));
		return -1;
	}
	if (n > 0) {
		bld_sha256_update(t->diff, t->buf, (size_t)n);
		if (t->tee && t->tee(t->payload, t->buf, (size_t)n) < 0) {
			archive_set_error(a, EIO, "output failed");
			return -1;
		}
	}
	*buf = t->buf;
	return n;
}

int bld_cache_tarsrc_open(struct bld_cache_tarsrc *t, int fd, struct bld_error **err)
{
	t->diff = bld_sha256_new();
	t->outer = archive_read_new();
	t->inner = archive_read_new();
	struct archive_entry *e = NULL;
	int r = archive_read_support_filter_all(t->outer);
	if (r == ARCHIVE_OK)
		r = archive_read_support_format_raw(t->outer);
	if (r == ARCHIVE_OK)
		r = archive_read_open_fd(t->outer, fd, 65536);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(t->outer, &e);
	if (r != ARCHIVE_OK)
		return bld_error_set(err, BLD_E_INVALID, "read layer stream: %s",
				     archive_error_string(t->outer));
	r = archive_read_support_format_tar(t->inner);
	if (r == ARCHIVE_OK)
		r = archive_read_open(t->inner, t, NULL, inner_read, NULL);
	if (r != ARCHIVE_OK)
		return bld_error_set(err, BLD_E_INVALID, "read tar: %s",
				     archive_error_string(t->inner));
	return 0;
}

int bld_cache_tarsrc_drain(struct bld_cache_tarsrc *t, char diff_id[BLD_DIGEST_STR_LEN],
			   struct bld_error **err)
{
	for (;;) {
		la_ssize_t n = archive_read_data(t->outer, t->buf, sizeof(t->buf));
		if (n < 0)
			return bld_error_set(err, BLD_E_INVALID, "read layer stream: %s",
					     archive_error_string(t->outer));
		if (n == 0)
			break;
		bld_sha256_update(t->diff, t->buf, (size_t)n);
		if (t->tee && t->tee(t->payload, t->buf, (size_t)n) < 0)
			return bld_error_set(err, BLD_E_SYSTEM, "write layer stream");
	}
	bld_sha256_final(t->diff, diff_id);
	t->diff = NULL;
	return 0;
}

void bld_cache_tarsrc_dispose(struct bld_cache_tarsrc *t)
{
	if (t->inner)
		archive_read_free(t->inner);
	if (t->outer)
		archive_read_free(t->outer);
	if (t->diff) {
		char d[BLD_DIGEST_STR_LEN];
		bld_sha256_final(t->diff, d);
	}
	memset(t, 0, sizeof(*t));
}
