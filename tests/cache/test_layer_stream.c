/*
 * tests/cache/test_layer_stream.c — the threaded layer stream (cache/layer_stream.c) behind
 * unpacking: gzip read through ISA-L gives the same tree and diff ID as the plain tar, also
 * when the gzip has several members; a truncated or damaged gzip fails and reports it.
 */
#include <sys/stat.h>

#include "tests/cache/helpers.h"
#include "tests/cache/tarmaker.h"

#define BIG 400000

/* Content that deflate shrinks but not to nothing, so that damage lands in real data. */
static char *big_text(void)
{
	char *s = xmalloc(BIG + 1);
	uint32_t x = 12345;
	for (size_t i = 0; i < BIG; i++) {
		x = x * 1103515245u + 12345u;
		s[i] = (char)('a' + (x >> 16) % 20);
	}
	s[BIG] = 0;
	return s;
}

static void read_all(int fd, char **data, size_t *n)
{
	struct bld_error *err = NULL;
	lseek(fd, 0, SEEK_SET);
	cr_assert_eq(bld_fs_read_fd(fd, (size_t)64 << 20, data, n, &err), 0);
}

/* bytes gzipped by libarchive (raw format + gzip filter) appended to fd */
static void append_gz(int fd, const char *data, size_t n)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	cr_assert_eq(archive_write_open_fd(a, fd), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_filetype(e, AE_IFREG);
	cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK, "%s", archive_error_string(a));
	cr_assert_eq(archive_write_data(a, data, n), (la_ssize_t)n);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

static int tmpfd(void)
{
	char path[] = "/tmp/bld-ls-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	return fd;
}

/* The plain tar of one big file and one small one, and its diff ID. */
static char *plain_tar(char **text, size_t *n, char diff[BLD_DIGEST_STR_LEN])
{
	*text = big_text();
	struct tm_entry v[] = {{"d/big", 'f', *text, NULL}, {"small", 'f', "hello", NULL}};
	int fd = tm_make(v, 2, false);
	char *tar = NULL;
	read_all(fd, &tar, n);
	close(fd);
	bld_sha256_digest(tar, *n, diff);
	return tar;
}

static int extract(int fd, char **box, struct bld_error **err, const char *diff)
{
	*box = bld_fs_mkdtemp("bld-ls", err);
	cr_assert(*box);
	lseek(fd, 0, SEEK_SET);
	return bld_cache_layer_extract_fd(fd, *box, diff, err);
}

Test(cache_layer_stream, gzip_members_give_the_plain_tree_and_diff_id)
{
	char *text, diff[BLD_DIGEST_STR_LEN];
	size_t n;
	char *tar = plain_tar(&text, &n, diff);
	int fd = tmpfd();
	append_gz(fd, tar, n / 3); /* three members: gzip allows concatenation */
	append_gz(fd, tar + n / 3, n / 3);
	append_gz(fd, tar + 2 * (n / 3), n - 2 * (n / 3));
	char *box = NULL, *got = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(extract(fd, &box, &err, diff), 0, "%s", err ? err->msg : "");
	char *p = xasprintf("%s/d/big", box);
	cr_assert_eq(bld_fs_read_file(p, BIG + 1, &got, NULL, &err), 0);
	cr_assert_str_eq(got, text);
	free(got);
	free(p);
	p = xasprintf("%s/small", box);
	cr_assert_eq(bld_fs_read_file(p, 100, &got, NULL, &err), 0);
	cr_assert_str_eq(got, "hello");
	free(got);
	free(p);
	bld_fs_rm_rf(box, NULL);
	free(box);
	close(fd);
	free(tar);
	free(text);
}

/* Gzip of the plain tar, then cut (keep > 0) or with one byte changed at `flip`. */
static int damaged_gz(size_t keep, size_t flip, char diff[BLD_DIGEST_STR_LEN])
{
	char *text, *gz = NULL;
	size_t n, gn;
	char *tar = plain_tar(&text, &n, diff);
	int fd = tmpfd();
	append_gz(fd, tar, n);
	read_all(fd, &gz, &gn);
	cr_assert_gt(gn, 2000);
	if (flip)
		gz[gn * flip / 100] ^= 0x55;
	int out = tmpfd();
	cr_assert_eq(write(out, gz, keep ? gn * keep / 100 : gn), (ssize_t)(keep ? gn * keep / 100 : gn));
	close(fd);
	free(gz);
	free(tar);
	free(text);
	return out;
}

static void assert_fails(int fd, const char *diff, const char *why)
{
	char *box = NULL;
	struct bld_error *err = NULL;
	cr_assert_lt(extract(fd, &box, &err, diff), 0, "%s: extraction succeeded", why);
	cr_assert(err && (strstr(err->msg, "gzip") || strstr(err->msg, "diff id")), "%s: %s", why,
		  err->msg);
	bld_error_free(err);
	bld_fs_rm_rf(box, NULL);
	free(box);
	close(fd);
}

Test(cache_layer_stream, truncated_gzip_fails)
{
	char diff[BLD_DIGEST_STR_LEN];
	assert_fails(damaged_gz(60, 0, diff), diff, "cut at 60%");
	assert_fails(damaged_gz(99, 0, diff), diff, "cut at 99%");
}

Test(cache_layer_stream, damaged_gzip_fails)
{
	char diff[BLD_DIGEST_STR_LEN];
	assert_fails(damaged_gz(0, 50, diff), diff, "byte changed in the middle");
	assert_fails(damaged_gz(0, 99, diff), diff, "byte changed near the end");
}
