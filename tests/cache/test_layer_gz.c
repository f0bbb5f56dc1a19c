/*
 * tests/cache/test_layer_gz.c — a layer's gzip stream (cache/layer_gz.c): gzip reads back
 * exactly the bytes handed in, at sizes around the compressor's chunk size (empty, one byte,
 * whole chunks, a chunk and a byte, several chunks); the compressed bytes do not depend on
 * how the caller split the input; incompressible data fits too.
 */
#include <fcntl.h>

#include "cache/cache_int.h"
#include "tests/cache/helpers.h"

#define CHUNK ((size_t)1 << 20)

/* Deterministic bytes: text-like runs with some noise, so that both matches and literals occur. */
static uint8_t *make_data(size_t n, bool noise_only)
{
	uint8_t *d = xmalloc(n ? n : 1);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		d[i] = noise_only || (x >> 28) == 0 ? (uint8_t)(x >> 16) : (uint8_t)("layer "[i % 6]);
	}
	return d;
}

/* Compresses data handed in pieces of `piece` bytes (0: all at once) into a blob. */
static void compress(struct bld_store *s, const uint8_t *data, size_t n, size_t piece,
		     char digest[BLD_DIGEST_STR_LEN], int64_t *size)
{
	struct bld_error *err = NULL;
	struct bld_cache_blob_writer *w = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, NULL, &err), 0);
	struct bld_cache_gzw *g = NULL;
	cr_assert_eq(bld_cache_gzw_new(&g, w, &err), 0, "%s", err ? err->msg : "");
	for (size_t o = 0; o < n;) {
		size_t k = piece && n - o > piece ? piece : n - o;
		cr_assert_eq(bld_cache_gzw_write(g, data + o, k, &err), 0);
		o += k;
	}
	cr_assert_eq(bld_cache_gzw_finish(g, size, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(bld_cache_blob_writer_commit(w, digest, &err), 0);
	bld_cache_gzw_free(g);
	bld_cache_blob_writer_free(w);
	cr_assert_eq(bld_cache_blob_size(s, digest), *size);
}

/* gzip -dc of the blob equals data. */
static void assert_gunzips_to(struct bld_store *s, const char *digest, const uint8_t *data,
			      size_t n)
{
	char *bp = bld_cache_blob_path(s, digest);
	char *cmd = xasprintf("gzip -dc '%s'", bp);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	uint8_t *got = xmalloc(n + 2);
	size_t k = fread(got, 1, n + 1, p);
	cr_assert_eq(pclose(p), 0, "gzip -dc failed for %zu bytes", n);
	cr_assert_eq(k, n, "gunzipped %zu bytes, expected %zu", k, n);
	cr_assert(memcmp(got, data, n) == 0, "gunzipped bytes differ (%zu bytes)", n);
	free(got);
	free(cmd);
	free(bp);
}

Test(cache_layer_gz, gunzips_to_the_input_at_chunk_boundaries)
{
	char *root;
	struct bld_store *s = test_store(&root);
	size_t sizes[] = {0, 1, 4096, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 12345};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *d = make_data(sizes[i], false);
		char digest[BLD_DIGEST_STR_LEN];
		int64_t size;
		compress(s, d, sizes[i], 0, digest, &size);
		assert_gunzips_to(s, digest, d, sizes[i]);
		if (sizes[i] > 4096)
			cr_assert_lt(size, (int64_t)sizes[i] / 2, "text-like data should compress");
		free(d);
	}
	test_store_done(s, root);
}

Test(cache_layer_gz, bytes_do_not_depend_on_the_callers_pieces)
{
	char *root;
	struct bld_store *s = test_store(&root);
	size_t n = 2 * CHUNK + 777;
	uint8_t *d = make_data(n, false);
	char a[BLD_DIGEST_STR_LEN], b[BLD_DIGEST_STR_LEN], c[BLD_DIGEST_STR_LEN];
	int64_t sa, sb, sc;
	compress(s, d, n, 0, a, &sa);
	compress(s, d, n, 4097, b, &sb);
	compress(s, d, n, 512, c, &sc);
	cr_assert_str_eq(a, b);
	cr_assert_str_eq(a, c);
	cr_assert_eq(sa, sb);
	free(d);
	test_store_done(s, root);
}

Test(cache_layer_gz, incompressible_data_fits)
{
	char *root;
	struct bld_store *s = test_store(&root);
	size_t n = 3 * CHUNK + 5;
	uint8_t *d = make_data(n, true);
	char digest[BLD_DIGEST_STR_LEN];
	int64_t size;
	compress(s, d, n, 65536, digest, &size);
	assert_gunzips_to(s, digest, d, n);
	cr_assert_lt(size, (int64_t)(n + n / 64), "stored blocks cost little");
	free(d);
	test_store_done(s, root);
}
