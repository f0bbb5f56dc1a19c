/*
 * registry/trust_key.c — signing keys for content trust: ECDSA P-256 keys (OpenSSL), their
 * PKIX public PEM and fingerprint, and the private key in cosign's encrypted format: a PEM
 * block "ENCRYPTED SIGSTORE PRIVATE KEY" (or the older "ENCRYPTED COSIGN PRIVATE KEY") whose
 * bytes are JSON naming an scrypt KDF (salt, N, r, p) and a NaCl secretbox (nonce) with the
 * ciphertext of the PKCS#8 DER key. libsodium does scrypt and secretbox.
 *
 * Plaintext key material is wiped after use. Only P-256 keys are accepted; cosign's other
 * key types (RSA, Ed25519 imports) are refused as unsupported.
 */
#include "registry/trust_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <sys/stat.h>

#define PEM_TYPE "ENCRYPTED SIGSTORE PRIVATE KEY"
#define PEM_TYPE_OLD "ENCRYPTED COSIGN PRIVATE KEY"
#define SALT_LEN 32
#define KEY_LEN 32
#define DER_MAX 4096

/* The scrypt parameter sets cosign (go-securesystemslib) writes and accepts. */
static const struct {
	uint64_t n;
	uint32_t r, p;
} kdf_sets[] = {{32768, 8, 1}, {65536, 8, 1}, {131072, 8, 1}};

struct bld_registry_trust_key {
	EVP_PKEY *pkey;
	bool priv;
	char fp[BLD_DIGEST_STR_LEN];
};

void trust_sodium_init(void)
{
	if (sodium_init() < 0)
		abort();
}

char *trust_b64_encode(const void *data, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = xmalloc(len);
	sodium_bin2base64(s, len, data, n, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

int trust_b64_decode(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s);
	unsigned char *buf = xmalloc(n / 4 * 3 + 3);
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(buf, n / 4 * 3 + 3, s, n, " \t\r\n", &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    (end && *end)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = got;
	return 0;
}

static struct bld_registry_trust_key *key_wrap(EVP_PKEY *pkey, bool priv)
{
	struct bld_registry_trust_key *k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	k->priv = priv;
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(pkey, &der);
	if (len <= 0)
		abort();
	bld_sha256_digest(der, (size_t)len, k->fp);
	OPENSSL_free(der);
	return k;
}

/* Refuses anything but an EC key on P-256. */
static int check_p256(EVP_PKEY *pkey, struct bld_error **err)
{
	char group[64] = "";
	size_t glen = 0;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof(group), &glen) ||
	    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "unsupported key type: only ECDSA P-256 keys are supported");
	return 0;
}

int bld_registry_trust_key_generate(struct bld_registry_trust_key **out, struct bld_error **err)
{
	/* the context route rather than EVP_PKEY_Q_keygen(): that one is variadic, and libcrypto
	 * is loaded lazily through common/crypto_dl.c, which forwards fixed arguments only */
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 ||
	    EVP_PKEY_CTX_set_group_name(kctx, "P-256") <= 0 || EVP_PKEY_generate(kctx, &pkey) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(kctx);
	if (!pkey)
		return bld_error_set(err, BLD_E_INTERNAL, "generate ecdsa p-256 key failed");
	*out = key_wrap(pkey, true);
	return 0;
}

void bld_registry_trust_key_free(struct bld_registry_trust_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

bool bld_registry_trust_key_is_private(const struct bld_registry_trust_key *k) { return k->priv; }

const char *bld_registry_trust_key_fingerprint(const struct bld_registry_trust_key *k)
{
	return k->fp;
}

static char *bio_detach(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	char *s = xstrndup(p, (size_t)n);
	BIO_free(b);
	return s;
}

char *bld_registry_trust_key_public_pem(const struct bld_registry_trust_key *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PUBKEY(b, k->pkey))
		abort();
	return bio_detach(b);
}

/* scrypt(passphrase, salt) into key; -1 when libsodium refuses the parameters. */
static int derive(const char *passphrase, const unsigned char *salt, size_t salt_len, uint64_t n,
		  uint32_t r, uint32_t p, unsigned char key[KEY_LEN])
{
	return crypto_pwhash_scryptsalsa208sha256_ll(
	    (const uint8_t *)passphrase, strlen(passphrase), salt, salt_len, n, r, p, key, KEY_LEN);
}

/* The JSON envelope for a sealed box. */
static char *envelope(const unsigned char *salt, const unsigned char *nonce,
		      const unsigned char *ct, size_t ct_len)
{
	cleanup_free char *s64 = trust_b64_encode(salt, SALT_LEN);
	cleanup_free char *n64 = trust_b64_encode(nonce, crypto_secretbox_NONCEBYTES);
	cleanup_free char *c64 = trust_b64_encode(ct, ct_len);
	json_t *j = json_pack("{s:{s:s,s:{s:I,s:i,s:i},s:s},s:{s:s,s:s},s:s}", "kdf", "name",
			      "scrypt", "params", "N", (json_int_t)kdf_sets[0].n, "r",
			      (int)kdf_sets[0].r, "p", (int)kdf_sets[0].p, "salt", s64, "cipher",
			      "name", "nacl/secretbox", "nonce", n64, "ciphertext", c64);
	if (!j)
		abort();
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		abort();
	return s;
}

static char *pem_encode(const char *type, const void *data, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio(b, type, "", data, (long)n) <= 0)
		abort();
	return bio_detach(b);
}

/* The PKCS#8 DER of a private key; caller frees with OPENSSL_clear_free. */
static int pkcs8_der(const struct bld_registry_trust_key *k, unsigned char **der, int *len,
		     struct bld_error **err)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k->pkey);
	*der = NULL;
	*len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, der) : -1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (*len <= 0)
		return bld_error_set(err, BLD_E_INTERNAL, "encode pkcs#8 private key failed");
	return 0;
}

int bld_registry_trust_key_encrypt(const struct bld_registry_trust_key *k, const char *passphrase,
				   char **pem, struct bld_error **err)
{
	if (!k->priv)
		return bld_error_set(err, BLD_E_INVALID, "not a private key");
	trust_sodium_init();
	unsigned char *der = NULL;
	int der_len = 0;
	if (pkcs8_der(k, &der, &der_len, err) < 0)
		return -BLD_E_INTERNAL;
	unsigned char salt[SALT_LEN], nonce[crypto_secretbox_NONCEBYTES], key[KEY_LEN];
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	size_t ct_len = (size_t)der_len + crypto_secretbox_MACBYTES;
	cleanup_free unsigned char *ct = xmalloc(ct_len);
	int r =
	    derive(passphrase, salt, SALT_LEN, kdf_sets[0].n, kdf_sets[0].r, kdf_sets[0].p, key);
	if (r == 0)
		r = crypto_secretbox_easy(ct, der, (size_t)der_len, nonce, key);
	sodium_memzero(key, sizeof(key));
	OPENSSL_clear_free(der, (size_t)der_len);
	if (r != 0)
		return bld_error_set(err, BLD_E_INTERNAL, "encrypt private key failed");
	cleanup_free char *json = envelope(salt, nonce, ct, ct_len);
	*pem = pem_encode(PEM_TYPE, json, strlen(json));
	return 0;
}

/* The first PEM block in data: its type and bytes (caller frees both with OPENSSL_free). */
static int pem_decode(const void *data, size_t n, char **type, unsigned char **bytes, long *len,
		      struct bld_error **err)
{
	if (n > BLD_TRUST_KEY_MAX)
		return bld_error_set(err, BLD_E_INVALID, "key larger than %zu bytes",
				     BLD_TRUST_KEY_MAX);
	BIO *b = BIO_new_mem_buf(data, (int)n);
	char *header = NULL;
	int ok = b && PEM_read_bio(b, type, &header, bytes, len) == 1;
	BIO_free(b);
	OPENSSL_free(header);
	if (!ok)
		return bld_error_set(err, BLD_E_INVALID, "not a PEM key");
	return 0;
}

/* Decoded base64 member of a JSON object; -1 when missing or not base64. */
static int json_b64(json_t *obj, const char *key, unsigned char **out, size_t *len)
{
	const char *s = bld_json_get_str(obj, key);
	return s ? trust_b64_decode(s, out, len) : -1;
}

/* Checks the kdf object and derives the secretbox key from it. */
static int kdf_derive(json_t *kdf, const char *passphrase, unsigned char key[KEY_LEN],
		      struct bld_error **err)
{
	json_t *params = json_object_get(kdf, "params");
	const char *name = bld_json_get_str(kdf, "name");
	json_int_t n = json_integer_value(json_object_get(params, "N"));
	json_int_t r = json_integer_value(json_object_get(params, "r"));
	json_int_t p = json_integer_value(json_object_get(params, "p"));
	if (!name || strcmp(name, "scrypt") != 0)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "unsupported key derivation %s",
				     name ? name : "(none)");
	bool known = false;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(kdf_sets); i++)
		if ((uint64_t)n == kdf_sets[i].n && r == kdf_sets[i].r && p == kdf_sets[i].p)
			known = true;
	if (!known)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "unsupported scrypt parameters");
	cleanup_free unsigned char *salt = NULL;
	size_t salt_len = 0;
	if (json_b64(kdf, "salt", &salt, &salt_len) < 0)
		return bld_error_set(err, BLD_E_INVALID, "bad scrypt salt");
	if (derive(passphrase, salt, salt_len, (uint64_t)n, (uint32_t)r, (uint32_t)p, key) != 0)
		return bld_error_set(err, BLD_E_SYSTEM, "scrypt failed");
	return 0;
}

/* Opens the secretbox of an envelope; *der is the PKCS#8 plaintext (caller wipes, frees). */
static int envelope_open(const unsigned char *json, size_t n, const char *passphrase,
			 unsigned char **der, size_t *der_len, struct bld_error **err)
{
	json_t *j = NULL;
	if (bld_json_load_buf(&j, json, n, err) < 0)
		return bld_error_wrap(err, "encrypted key");
	json_t *cipher = json_object_get(j, "cipher");
	const char *cname = bld_json_get_str(cipher, "name");
	cleanup_free unsigned char *nonce = NULL, *ct = NULL;
	size_t nonce_len = 0, ct_len = 0;
	unsigned char key[KEY_LEN];
	int r = 0;
	if (!cname || strcmp(cname, "nacl/secretbox") != 0)
		r = bld_error_set(err, BLD_E_UNSUPPORTED, "unsupported cipher %s",
				  cname ? cname : "(none)");
	else if (json_b64(cipher, "nonce", &nonce, &nonce_len) < 0 ||
		 nonce_len != crypto_secretbox_NONCEBYTES ||
		 json_b64(j, "ciphertext", &ct, &ct_len) < 0 ||
		 ct_len < crypto_secretbox_MACBYTES || ct_len > DER_MAX)
		r = bld_error_set(err, BLD_E_INVALID, "malformed encrypted key");
	else
		r = kdf_derive(json_object_get(j, "kdf"), passphrase, key, err);
	json_decref(j);
	if (r < 0)
		return r;
	*der_len = ct_len - crypto_secretbox_MACBYTES;
	*der = xmalloc(*der_len + 1);
	r = crypto_secretbox_open_easy(*der, ct, ct_len, nonce, key);
	sodium_memzero(key, sizeof(key));
	if (r != 0) {
		free(*der);
		*der = NULL;
		return bld_error_set(err, BLD_E_AUTH, "wrong passphrase: the key does not decrypt");
	}
	return 0;
}

static int parse_pkcs8(struct bld_registry_trust_key **out, const unsigned char *der, size_t n,
		       struct bld_error **err)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
	EVP_PKEY *pkey = p8 ? EVP_PKCS82PKEY(p8) : NULL;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (!pkey)
		return bld_error_set(err, BLD_E_INVALID, "decrypted key is not a pkcs#8 key");
	if (check_p256(pkey, err) < 0) {
		EVP_PKEY_free(pkey);
		return -BLD_E_UNSUPPORTED;
	}
	*out = key_wrap(pkey, true);
	return 0;
}

int bld_registry_trust_key_decrypt(struct bld_registry_trust_key **out, const void *pem, size_t n,
				   const char *passphrase, struct bld_error **err)
{
	trust_sodium_init();
	char *type = NULL;
	unsigned char *bytes = NULL;
	long len = 0;
	if (pem_decode(pem, n, &type, &bytes, &len, err) < 0)
		return -BLD_E_INVALID;
	int r = 0;
	if (strcmp(type, PEM_TYPE) != 0 && strcmp(type, PEM_TYPE_OLD) != 0)
		r = bld_error_set(err, BLD_E_INVALID,
				  "not an encrypted cosign private key (PEM type %s)", type);
	unsigned char *der = NULL;
	size_t der_len = 0;
	if (r == 0)
		r = envelope_open(bytes, (size_t)len, passphrase, &der, &der_len, err);
	if (r == 0) {
		r = parse_pkcs8(out, der, der_len, err);
		sodium_memzero(der, der_len);
		free(der);
	}
	OPENSSL_free(type);
	OPENSSL_free(bytes);
	return r;
}

int bld_registry_trust_key_parse_public(struct bld_registry_trust_key **out, const void *pem,
					size_t n, struct bld_error **err)
{
	char *type = NULL;
	unsigned char *bytes = NULL;
	long len = 0;
	if (pem_decode(pem, n, &type, &bytes, &len, err) < 0)
		return -BLD_E_INVALID;
	const unsigned char *p = bytes;
	EVP_PKEY *pkey = strcmp(type, "PUBLIC KEY") == 0 ? d2i_PUBKEY(NULL, &p, len) : NULL;
	int r = 0;
	if (!pkey)
		r = bld_error_set(err, BLD_E_INVALID, "not a PKIX public key (PEM type %s)", type);
	else if (check_p256(pkey, err) < 0)
		r = -BLD_E_UNSUPPORTED;
	OPENSSL_free(type);
	OPENSSL_free(bytes);
	if (r < 0) {
		EVP_PKEY_free(pkey);
		return r;
	}
	*out = key_wrap(pkey, false);
	return 0;
}

int bld_registry_trust_key_load_private(struct bld_registry_trust_key **out, const char *path,
					const char *passphrase, struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (bld_fs_read_file(path, BLD_TRUST_KEY_MAX, &data, &len, err) < 0 ||
	    bld_registry_trust_key_decrypt(out, data, len, passphrase, err) < 0)
		return bld_error_wrap(err, "load key %s", path);
	return 0;
}

int bld_registry_trust_key_load_public(struct bld_registry_trust_key **out, const char *path,
				       struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (bld_fs_read_file(path, BLD_TRUST_KEY_MAX, &data, &len, err) < 0 ||
	    bld_registry_trust_key_parse_public(out, data, len, err) < 0)
		return bld_error_wrap(err, "load public key %s", path);
	return 0;
}

/* Creates path exclusively with mode and writes data; removes it again on failure. */
static int write_new(const char *path, const char *data, mode_t mode, struct bld_error **err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST)
		return bld_error_set(err, BLD_E_EXISTS, "%s already exists", path);
	if (fd < 0)
		return bld_error_sys(err, errno, "create %s", path);
	size_t n = strlen(data);
	const char *p = data;
	int r = fchmod(fd, mode) < 0 ? -errno : 0;
	while (r == 0 && n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno != EINTR)
			r = -errno;
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		unlink(path);
		return bld_error_sys(err, -r, "write %s", path);
	}
	return 0;
}

int bld_registry_trust_key_write_pair(const struct bld_registry_trust_key *k, const char *prefix,
				      const char *passphrase, struct bld_error **err)
{
	cleanup_free char *kpath = xasprintf("%s.key", prefix);
	cleanup_free char *ppath = xasprintf("%s.pub", prefix);
	struct stat st;
	if (lstat(kpath, &st) == 0 || lstat(ppath, &st) == 0)
		return bld_error_set(err, BLD_E_EXISTS, "%s already exists",
				     lstat(kpath, &st) == 0 ? kpath : ppath);
	cleanup_free char *priv = NULL;
	cleanup_free char *pub = bld_registry_trust_key_public_pem(k);
	if (bld_registry_trust_key_encrypt(k, passphrase, &priv, err) < 0)
		return -BLD_E_INTERNAL;
	int r = write_new(kpath, priv, 0600, err);
	if (r == 0 && (r = write_new(ppath, pub, 0644, err)) < 0)
		unlink(kpath);
	return r;
}

int bld_registry_trust_key_sign(const struct bld_registry_trust_key *k, const void *data, size_t n,
				char **sig_b64, struct bld_error **err)
{
	if (!k->priv)
		return bld_error_set(err, BLD_E_INVALID, "signing needs a private key");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[256];
	size_t sig_len = sizeof(sig);
	int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
		 EVP_DigestSign(md, sig, &sig_len, data, n) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return bld_error_set(err, BLD_E_INTERNAL, "ecdsa signing failed");
	*sig_b64 = trust_b64_encode(sig, sig_len);
	return 0;
}

int bld_registry_trust_key_verify(const struct bld_registry_trust_key *k, const void *data,
				  size_t n, const char *sig_b64, struct bld_error **err)
{
	trust_sodium_init();
	cleanup_free unsigned char *sig = NULL;
	size_t sig_len = 0;
	if (!sig_b64 || trust_b64_decode(sig_b64, &sig, &sig_len) < 0 || sig_len > 1024)
		return bld_error_set(err, BLD_E_AUTH, "signature is not valid base64");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
		 EVP_DigestVerify(md, sig, sig_len, data, n) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return bld_error_set(err, BLD_E_AUTH, "signature does not verify with key %s",
				     k->fp);
	return 0;
}
