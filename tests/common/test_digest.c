/*
 * tests/common/test_digest.c — sha256 has two implementations behind one API: libsodium for
 * small one-shot documents and OpenSSL for streams and big buffers (common/digest.c says why).
 * Both must give the standard digest, at every length and on both sides of the switch.
 */
#include <criterion/criterion.h>

#include "common/common.h"

static void streamed(const unsigned char *p, size_t n, char out[BLD_DIGEST_STR_LEN])
{
	struct bld_sha256 *h = bld_sha256_new();
	/* uneven pieces, so that partial blocks are carried between updates */
	for (size_t off = 0, step = 1; off < n; off += step, step = step * 3 % 1000 + 1)
		bld_sha256_update(h, p + off, step < n - off ? step : n - off);
	bld_sha256_final(h, out);
}

Test(common_digest, one_shot_equals_streamed_at_every_size)
{
	size_t max = 600 * 1024;
	unsigned char *buf = xmalloc(max);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < max; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	size_t sizes[] = {0,	       1,	   55,	       56,	   63,	       64,
			  65,	       119,	   128,	       1000,	   4096,       65535,
			  256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 300 * 1024, 512 * 1024 + 7, max};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(sizes); i++) {
		char a[BLD_DIGEST_STR_LEN], b[BLD_DIGEST_STR_LEN];
		bld_sha256_digest(buf, sizes[i], a);
		streamed(buf, sizes[i], b);
		cr_assert_str_eq(a, b, "size %zu", sizes[i]);
	}
	free(buf);
}

Test(common_digest, known_digests_on_both_sides)
{
	char d[BLD_DIGEST_STR_LEN];
	bld_sha256_digest("", 0, d);
	cr_assert_str_eq(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* FIPS 180-2's long vector: a million 'a', above the switch to OpenSSL */
	size_t n = 1000000;
	char *a = xmalloc(n);
	memset(a, 'a', n);
	bld_sha256_digest(a, n, d);
	cr_assert_str_eq(d, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* and its first 200,000 bytes, below it (the digest is sha256sum's) */
	bld_sha256_digest(a, 200000, d);
	cr_assert_str_eq(d, "sha256:2287d207f24a941ff3b56c04c8a25ad56b63e3023207b3bb5b4ac0c9869d74be");
	free(a);
}
