/*
 * common/digest.c — the two hashes of the project: sha256 (OpenSSL, libsodium for small
 * documents) for everything that names content in OCI terms, and XXH3-128 (xxHash) for local
 * fingerprints and cache keys.
 *
 * sha256 goes through OpenSSL's SHA256_* functions, not EVP: the same (assembly) block
 * function, without EVP's first fetch, which loads openssl.cnf and builds the provider's
 * method store — a millisecond or more in every bld that verifies a blob (bld run reads a
 * manifest and a config). They are deprecated in OpenSSL 3 but kept, hence the define.
 *
 * libcrypto is loaded lazily (common/crypto_dl.c): loading it costs 1.2 ms, a tenth of a
 * `bld run`. The small documents that nearly every command verifies (index, manifest,
 * config) are therefore hashed in one call by libsodium, which bld links anyway and which
 * costs nothing to load; its portable code is five times slower than OpenSSL's on big blobs,
 * which keep to OpenSSL. tests/common/test_digest.c checks that both give the same digests.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/common.h"

#include <errno.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <xxhash.h>

struct bld_sha256 {
	SHA256_CTX c;
};

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

struct bld_sha256 *bld_sha256_new(void)
{
	struct bld_sha256 *h = xcalloc(1, sizeof(*h));
	if (SHA256_Init(&h->c) != 1)
		abort();
	return h;
}

void bld_sha256_update(struct bld_sha256 *h, const void *data, size_t n)
{
	if (n && SHA256_Update(&h->c, data, n) != 1)
		abort();
}

void bld_sha256_final(struct bld_sha256 *h, char out[BLD_DIGEST_STR_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	if (SHA256_Final(md, &h->c) != 1)
		abort();
	memcpy(out, "sha256:", 7);
	hex(md, sizeof(md), out + 7);
	free(h);
}

/* Documents up to this size are hashed by libsodium (see above). */
#define SMALL_DOCUMENT (256 * 1024)

void bld_sha256_digest(const void *data, size_t n, char out[BLD_DIGEST_STR_LEN])
{
	if (n <= SMALL_DOCUMENT) {
		unsigned char md[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(md, data, n);
		memcpy(out, "sha256:", 7);
		hex(md, sizeof(md), out + 7);
		return;
	}
	struct bld_sha256 *h = bld_sha256_new();
	bld_sha256_update(h, data, n);
	bld_sha256_final(h, out);
}

/* Reads fd to its end into the sha256 and, when sha1 is not NULL, a SHA-1 beside it. */
static int hash_fd(int fd, char out[BLD_DIGEST_STR_LEN], SHA_CTX *sha1, struct bld_error **err)
{
	struct bld_sha256 *h = bld_sha256_new();
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			bld_sha256_final(h, out);
			return bld_error_sys(err, e, "read");
		}
		if (r == 0)
			break;
		bld_sha256_update(h, buf, (size_t)r);
		if (sha1 && SHA1_Update(sha1, buf, (size_t)r) != 1)
			abort();
	}
	bld_sha256_final(h, out);
	return 0;
}

int bld_sha256_file(int fd, char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	return hash_fd(fd, out, NULL, err);
}

int bld_sha1_sha256_file(int fd, char sha1[41], char sha256[BLD_DIGEST_STR_LEN],
			 struct bld_error **err)
{
	SHA_CTX c;
	if (SHA1_Init(&c) != 1)
		abort();
	int r = hash_fd(fd, sha256, &c, err);
	unsigned char md[SHA_DIGEST_LENGTH];
	if (SHA1_Final(md, &c) != 1)
		abort();
	hex(md, sizeof(md), sha1);
	return r;
}

bool bld_digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) != 0)
		return false;
	s += 7;
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return n == BLD_SHA256_HEX_LEN;
}

struct bld_xxh {
	XXH3_state_t *st;
};

struct bld_xxh *bld_xxh_new(void)
{
	struct bld_xxh *h = xcalloc(1, sizeof(*h));
	h->st = XXH3_createState();
	if (!h->st)
		abort();
	XXH3_128bits_reset(h->st);
	return h;
}

void bld_xxh_update(struct bld_xxh *h, const void *data, size_t n)
{
	XXH3_128bits_update(h->st, data, n);
}

void bld_xxh_update_str(struct bld_xxh *h, const char *s)
{
	uint64_t n = s ? strlen(s) : UINT64_MAX;
	XXH3_128bits_update(h->st, &n, sizeof(n));
	if (s)
		XXH3_128bits_update(h->st, s, (size_t)n);
}

static void xxh_hex(XXH128_hash_t v, char out[BLD_XXH_HEX_LEN + 1])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, v);
	hex(c.digest, sizeof(c.digest), out);
}

void bld_xxh_final(struct bld_xxh *h, char out[BLD_XXH_HEX_LEN + 1])
{
	xxh_hex(XXH3_128bits_digest(h->st), out);
	XXH3_freeState(h->st);
	free(h);
}

void bld_xxh_digest(const void *data, size_t n, char out[BLD_XXH_HEX_LEN + 1])
{
	xxh_hex(XXH3_128bits(data, n), out);
}
