/*
 * tests/cache/test_blob.c — blobs: put and read back, verification on commit (a mismatch
 * leaves nothing behind), resumable partial files, damaged blobs detected on read, direct
 * (O_DIRECT) writers.
 */
#include <fcntl.h>

#include "cache/cache_int.h"
#include "tests/cache/helpers.h"

Test(cache_blob, put_then_read_round_trips)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char d[BLD_DIGEST_STR_LEN];
	cr_assert_eq(bld_cache_blob_put(s, "hello", 5, d, &err), 0);
	cr_assert_str_eq(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	cr_assert(bld_cache_blob_exists(s, d));
	char *data = NULL;
	size_t n = 0;
	cr_assert_eq(bld_cache_blob_read(s, d, 100, &data, &n, &err), 0);
	cr_assert_eq(n, 5);
	cr_assert_str_eq(data, "hello");
	free(data);
	cr_assert_lt(bld_cache_blob_read(s, d, 3, &data, &n, &err), 0, "cap must hold");
	bld_error_free(err);
	test_store_done(s, root);
}

Test(cache_blob, digest_mismatch_leaves_nothing)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char want[BLD_DIGEST_STR_LEN], got[BLD_DIGEST_STR_LEN];
	bld_sha256_digest("good", 4, want);
	struct bld_cache_blob_writer *w = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, want, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_write(w, "evil", 4, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_commit(w, got, &err), -BLD_E_DIGEST);
	cr_assert_eq(err->code, BLD_E_DIGEST);
	bld_cache_blob_writer_free(w);
	cr_assert_not(bld_cache_blob_exists(s, want));
	char *blobs = xasprintf("%s/oci/blobs/sha256", root), *ing = xasprintf("%s/oci/ingest", root);
	cr_assert_eq(test_count_dir(blobs), 0);
	cr_assert_eq(test_count_dir(ing), 0);
	free(blobs);
	free(ing);
	bld_error_free(err);
	test_store_done(s, root);
}

Test(cache_blob, interrupted_writer_resumes)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char want[BLD_DIGEST_STR_LEN], got[BLD_DIGEST_STR_LEN];
	bld_sha256_digest("0123456789", 10, want);
	struct bld_cache_blob_writer *w = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, want, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_offset(w), 0);
	cr_assert_eq(bld_cache_blob_writer_write(w, "01234", 5, &err), 0);
	bld_cache_blob_writer_free(w); /* interrupted: partial kept */
	cr_assert_not(bld_cache_blob_exists(s, want));
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, want, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_offset(w), 5);
	cr_assert_eq(bld_cache_blob_writer_write(w, "56789", 5, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_commit(w, got, &err), 0);
	bld_cache_blob_writer_free(w);
	cr_assert_str_eq(got, want);
	cr_assert(bld_cache_blob_exists(s, want));
	/* restart drops what was there */
	bld_sha256_digest("abc", 3, want);
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, want, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_write(w, "xx", 2, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_restart(w, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_offset(w), 0);
	cr_assert_eq(bld_cache_blob_writer_write(w, "abc", 3, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_commit(w, got, &err), 0);
	bld_cache_blob_writer_free(w);
	cr_assert_str_eq(got, want);
	test_store_done(s, root);
}

Test(cache_blob, anonymous_writer_leaves_nothing_when_abandoned)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	struct bld_cache_blob_writer *w = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, NULL, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_write(w, "abc", 3, &err), 0);
	bld_cache_blob_writer_free(w);
	char *ing = xasprintf("%s/oci/ingest", root);
	cr_assert_eq(test_count_dir(ing), 0);
	free(ing);
	test_store_done(s, root);
}

Test(cache_blob, damaged_blob_is_reported_on_read)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char d[BLD_DIGEST_STR_LEN];
	cr_assert_eq(bld_cache_blob_put(s, "hello", 5, d, &err), 0);
	char *p = bld_cache_blob_path(s, d);
	int fd = open(p, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "j", 1), 1);
	close(fd);
	free(p);
	char *data = NULL;
	cr_assert_eq(bld_cache_blob_read(s, d, 100, &data, NULL, &err), -BLD_E_DIGEST);
	bld_error_free(err);
	err = NULL;
	cr_assert_eq(bld_cache_blob_read(s, "sha256:0000000000000000000000000000000000000000000000000000000000000000", 100, &data, NULL, &err), -BLD_E_NOTFOUND);
	bld_error_free(err);
	test_store_done(s, root);
}

/* A direct writer (O_DIRECT, whole aligned buffers, the tail at commit) stores the same bytes. */
Test(cache_blob, direct_writer_stores_every_byte)
{
	char *root;
	struct bld_store *s = test_store(&root);
	size_t n = ((size_t)9 << 20) + 3;
	uint8_t *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 12));
	struct bld_cache_blob_writer *w = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, NULL, &err), 0);
	bld_cache_blob_writer_direct(w); /* -1 on a filesystem without direct I/O: still correct */
	for (size_t o = 0, k = 1; o < n; o += k, k = k * 3 + 1) {
		k = k < n - o ? k : n - o;
		cr_assert_eq(bld_cache_blob_writer_write(w, data + o, k, &err), 0, "%s",
			     err ? err->msg : "");
	}
	char got[BLD_DIGEST_STR_LEN], want[BLD_DIGEST_STR_LEN];
	cr_assert_eq(bld_cache_blob_writer_commit(w, got, &err), 0, "%s", err ? err->msg : "");
	bld_cache_blob_writer_free(w);
	bld_sha256_digest(data, n, want);
	cr_assert_str_eq(got, want);
	char *back = NULL;
	size_t len = 0;
	cr_assert_eq(bld_cache_blob_read(s, got, n + 1, &back, &len, &err), 0);
	cr_assert_eq(len, n);
	cr_assert(memcmp(back, data, n) == 0);
	free(back);
	free(data);
	test_store_done(s, root);
}
