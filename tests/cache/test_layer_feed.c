/*
 * tests/cache/test_layer_feed.c — layers unpacked while their blob is written
 * (cache/layer_feed.c): a published feed gives the same layer as unpacking the stored blob,
 * a wrong diff ID still fails and leaves nothing, and a feed freed before publication (a
 * failed download) takes its extraction with it.
 */
#include <sys/stat.h>
#include <sys/xattr.h>

#include "tests/cache/helpers.h"
#include "tests/cache/tarmaker.h"

/* A gzip layer of a few files, its bytes and diff ID. */
static char *layer(size_t *n, char diff[BLD_DIGEST_STR_LEN])
{
	struct tm_entry v[] = {{"etc", 'd', NULL, NULL}, {"etc/hostname", 'f', "feed\n", NULL},
			       {"bin/sh", 'f', "#!/bin/true\n", NULL}, {"sh", 'l', "bin/sh", NULL}};
	int fd = tm_make(v, 4, false);
	char *tar = NULL, *gz = NULL;
	size_t tn;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_fs_read_fd(fd, 1 << 20, &tar, &tn, &err), 0);
	close(fd);
	bld_sha256_digest(tar, tn, diff);
	free(tar);
	fd = tm_make(v, 4, true);
	cr_assert_eq(bld_fs_read_fd(fd, 1 << 20, &gz, n, &err), 0);
	close(fd);
	return gz;
}

/* Writes the blob through a writer with a feed, in small pieces; returns the feed. */
static struct bld_cache_layer_feed *write_fed(struct bld_store *s, const char *gz, size_t n,
					      char digest[BLD_DIGEST_STR_LEN], bool commit)
{
	struct bld_error *err = NULL;
	bld_sha256_digest(gz, n, digest);
	struct bld_cache_blob_writer *w = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, digest, &err), 0);
	struct bld_cache_layer_feed *f = NULL;
	cr_assert_eq(bld_cache_layer_feed_new(&f, s, digest, &err), 0, "%s", err ? err->msg : "");
	for (size_t off = 0; off < n; off += 100) {
		size_t k = n - off < 100 ? n - off : 100;
		cr_assert_eq(bld_cache_blob_writer_write(w, gz + off, k, &err), 0);
		bld_cache_layer_feed_offer(f, (int64_t)(off + k), false);
	}
	char got[BLD_DIGEST_STR_LEN];
	if (commit)
		cr_assert_eq(bld_cache_blob_writer_commit(w, got, &err), 0);
	bld_cache_blob_writer_free(w);
	return f;
}

static char *layers_dir(const char *root)
{
	return xasprintf("%s/layers", root);
}

Test(cache_layer_feed, published_feed_gives_the_layer)
{
	char *root, diff[BLD_DIGEST_STR_LEN], digest[BLD_DIGEST_STR_LEN];
	struct bld_store *s = test_store(&root);
	size_t n;
	char *gz = layer(&n, diff);
	struct bld_cache_layer_feed *f = write_fed(s, gz, n, digest, true);
	bld_cache_layer_feed_publish(s, f);
	/* without the stored blob only the feed can make the layer (no fallback) */
	char *blob = xasprintf("%s/oci/blobs/sha256/%s", root, digest + 7);
	cr_assert_eq(unlink(blob), 0);
	free(blob);
	char *dir = NULL, *data = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_unpack(s, digest, diff, diff, &dir, &err), 0, "%s",
		     err ? err->msg : "");
	char *p = xasprintf("%s/etc/hostname", dir);
	cr_assert_eq(bld_fs_read_file(p, 100, &data, NULL, &err), 0);
	cr_assert_str_eq(data, "feed\n");
	char v[32] = "";
	cr_assert_gt(getxattr(dir, "user.bld.size", v, sizeof(v) - 1), 0, "size counted on the way");
	cr_assert_str_eq(v, "23"); /* hostname 5, sh 12, the symlink's target 6 */
	char *layers = layers_dir(root);
	cr_assert_eq(test_count_dir(layers), 1, "only the layer, no .tmp-* left");
	free(layers);
	free(data);
	free(p);
	free(dir);
	free(gz);
	test_store_done(s, root);
}

Test(cache_layer_feed, wrong_diff_id_leaves_nothing)
{
	char *root, diff[BLD_DIGEST_STR_LEN], digest[BLD_DIGEST_STR_LEN], wrong[BLD_DIGEST_STR_LEN];
	struct bld_store *s = test_store(&root);
	size_t n;
	char *gz = layer(&n, diff);
	bld_cache_layer_feed_publish(s, write_fed(s, gz, n, digest, true));
	bld_sha256_digest("not the tar", 11, wrong);
	char *dir = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_unpack(s, digest, wrong, wrong, &dir, &err), -BLD_E_DIGEST);
	bld_error_free(err);
	char *layers = layers_dir(root);
	cr_assert_eq(test_count_dir(layers), 0);
	free(layers);
	free(gz);
	test_store_done(s, root);
}

Test(cache_layer_feed, unpublished_feed_leaves_nothing)
{
	char *root, diff[BLD_DIGEST_STR_LEN], digest[BLD_DIGEST_STR_LEN];
	struct bld_store *s = test_store(&root);
	size_t n;
	char *gz = layer(&n, diff);
	/* as a download whose blob failed verification: never committed nor published */
	struct bld_cache_layer_feed *f = write_fed(s, gz, n, digest, false);
	bld_cache_layer_feed_free(f);
	char *layers = layers_dir(root);
	cr_assert_eq(test_count_dir(layers), 0);
	free(layers);
	free(gz);
	test_store_done(s, root);
}
