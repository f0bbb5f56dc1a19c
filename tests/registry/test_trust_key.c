/*
 * tests/registry/test_trust_key.c — content-trust keys: cosign's encrypted key format both
 * ways (keys and vectors made by cosign's own code under tests/fixtures/trust), wrong
 * passphrases, files and their modes, ECDSA signatures, and where the passphrase comes from.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <sys/stat.h>

#include "registry/registry.h"

#define FIX "tests/fixtures/trust/"

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	struct bld_error *err = NULL;
	size_t n = 0;
	cr_assert_eq(bld_fs_read_file(path, 1 << 20, &data, &n, &err), 0, "%s",
		     err ? err->msg : "");
	if (len)
		*len = n;
	return data;
}

/* The JSON inside an encrypted PEM. */
static json_t *pem_json(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	cr_assert_eq(PEM_read_bio(b, &name, &header, &data, &len), 1);
	cr_assert_str_eq(name, "ENCRYPTED SIGSTORE PRIVATE KEY");
	json_t *j = json_loadb((char *)data, (size_t)len, 0, NULL);
	cr_assert_not_null(j);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return j;
}

static size_t b64_len(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	cr_assert_not_null(s, "%s missing", key);
	unsigned char buf[256];
	size_t n = 0;
	cr_assert_eq(sodium_base642bin(buf, sizeof(buf), s, strlen(s), NULL, &n, NULL,
				       sodium_base64_VARIANT_ORIGINAL),
		     0, "%s is not base64", key);
	return n;
}

Test(registry_trust_key, encrypted_format_is_cosigns)
{
	struct bld_registry_trust_key *k = NULL;
	struct bld_error *err = NULL;
	char *pem = NULL;
	cr_assert_eq(bld_registry_trust_key_generate(&k, &err), 0);
	cr_assert_eq(bld_registry_trust_key_encrypt(k, "pw", &pem, &err), 0);
	cr_assert(bld_str_has_prefix(pem, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
	json_t *j = pem_json(pem);
	json_t *kdf = json_object_get(j, "kdf"), *cipher = json_object_get(j, "cipher");
	cr_assert_str_eq(json_string_value(json_object_get(kdf, "name")), "scrypt");
	json_t *params = json_object_get(kdf, "params");
	cr_assert_eq(json_integer_value(json_object_get(params, "N")), 32768);
	cr_assert_eq(json_integer_value(json_object_get(params, "r")), 8);
	cr_assert_eq(json_integer_value(json_object_get(params, "p")), 1);
	cr_assert_eq(b64_len(kdf, "salt"), 32);
	cr_assert_str_eq(json_string_value(json_object_get(cipher, "name")), "nacl/secretbox");
	cr_assert_eq(b64_len(cipher, "nonce"), 24);
	/* a P-256 PKCS#8 DER is 138 bytes; the secretbox adds a 16-byte tag */
	cr_assert_eq(b64_len(j, "ciphertext"), 138 + 16);
	json_decref(j);
	free(pem);
	bld_registry_trust_key_free(k);
}

Test(registry_trust_key, roundtrip_and_wrong_passphrase)
{
	struct bld_registry_trust_key *k = NULL, *back = NULL;
	struct bld_error *err = NULL;
	char *pem = NULL;
	cr_assert_eq(bld_registry_trust_key_generate(&k, &err), 0);
	cr_assert_eq(bld_registry_trust_key_encrypt(k, "correct horse", &pem, &err), 0);
	cr_assert_eq(bld_registry_trust_key_decrypt(&back, pem, strlen(pem), "correct horse", &err),
		     0, "%s", err ? err->msg : "");
	cr_assert(bld_registry_trust_key_is_private(back));
	cr_assert_str_eq(bld_registry_trust_key_fingerprint(k),
			 bld_registry_trust_key_fingerprint(back));
	bld_registry_trust_key_free(back);
	back = NULL;
	cr_assert_eq(bld_registry_trust_key_decrypt(&back, pem, strlen(pem), "wrong", &err),
		     -BLD_E_AUTH);
	cr_assert_null(back);
	cr_assert(strstr(err->msg, "wrong passphrase"), "%s", err->msg);
	bld_error_free(err);
	free(pem);
	bld_registry_trust_key_free(k);
}

Test(registry_trust_key, loads_a_legacy_cosign_key_and_matches_its_pub)
{
	struct bld_registry_trust_key *priv = NULL, *pub = NULL;
	struct bld_error *err = NULL;
	char *pass = slurp(FIX "cosign-legacy.pass", NULL);
	cr_assert_eq(
	    bld_registry_trust_key_load_private(&priv, FIX "cosign-legacy.key", pass, &err), 0,
	    "%s", err ? err->msg : "");
	cr_assert_eq(bld_registry_trust_key_load_public(&pub, FIX "cosign-legacy.pub", &err), 0);
	cr_assert_not(bld_registry_trust_key_is_private(pub));
	cr_assert_str_eq(bld_registry_trust_key_fingerprint(priv),
			 bld_registry_trust_key_fingerprint(pub));
	/* what the loaded key signs, the published public key verifies */
	char *sig = NULL;
	cr_assert_eq(bld_registry_trust_key_sign(priv, "hello", 5, &sig, &err), 0);
	cr_assert_eq(bld_registry_trust_key_verify(pub, "hello", 5, sig, &err), 0);
	free(sig);
	free(pass);
	bld_registry_trust_key_free(priv);
	bld_registry_trust_key_free(pub);
}

Test(registry_trust_key, loads_a_current_cosign_key_with_empty_passphrase)
{
	struct bld_registry_trust_key *k = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_key_load_private(&k, FIX "cosign-empty-pass.key", "", &err),
		     0, "%s", err ? err->msg : "");
	bld_registry_trust_key_free(k);
	k = NULL;
	cr_assert_lt(
	    bld_registry_trust_key_load_private(&k, FIX "cosign-empty-pass.key", "x", &err), 0);
	cr_assert(strstr(err->msg, "wrong passphrase"), "%s", err->msg);
	cr_assert(strstr(err->msg, "cosign-empty-pass.key"), "%s", err->msg);
	bld_error_free(err);
}

/* Wraps one envelope line in a PEM block. */
static char *pem_of(const char *json)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio(b, "ENCRYPTED SIGSTORE PRIVATE KEY", "", (const unsigned char *)json,
		      (long)strlen(json));
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	char *s = strndup(p, (size_t)n);
	BIO_free(b);
	return s;
}

Test(registry_trust_key, opens_go_securesystemslib_vectors)
{
	char *all = slurp(FIX "sslib-vectors.txt", NULL);
	int lines = 0;
	for (char *line = all, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		cr_assert_not_null(nl);
		*nl = '\0';
		struct bld_registry_trust_key *k = NULL;
		struct bld_error *err = NULL;
		char *pem = pem_of(line);
		int r = bld_registry_trust_key_decrypt(&k, pem, strlen(pem), "supersecret", &err);
		if (strstr(line, "\"N\":99,")) {
			cr_assert_eq(r, -BLD_E_UNSUPPORTED, "%s", err ? err->msg : "");
		} else {
			/* the box opens: what fails is that "reallyimportant" is no key */
			cr_assert_eq(r, -BLD_E_INVALID, "%s", err ? err->msg : "");
			cr_assert(strstr(err->msg, "pkcs#8"), "%s", err->msg);
			bld_error_free(err);
			err = NULL;
			r = bld_registry_trust_key_decrypt(&k, pem, strlen(pem), "supersecreT",
							   &err);
			cr_assert_eq(r, -BLD_E_AUTH);
		}
		bld_error_free(err);
		free(pem);
		lines++;
	}
	cr_assert_eq(lines, 4);
	free(all);
}

Test(registry_trust_key, refuses_other_pem_types_and_curves)
{
	struct bld_registry_trust_key *k = NULL;
	struct bld_error *err = NULL;
	const char *plain = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	cr_assert_eq(bld_registry_trust_key_decrypt(&k, plain, strlen(plain), "", &err),
		     -BLD_E_INVALID);
	bld_error_free(err);
	err = NULL;
	cr_assert_lt(bld_registry_trust_key_decrypt(&k, "junk", 4, "", &err), 0);
	bld_error_free(err);
	err = NULL;
	EVP_PKEY *p384 = NULL;
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	cr_assert(kctx && EVP_PKEY_keygen_init(kctx) > 0 &&
		  EVP_PKEY_CTX_set_group_name(kctx, "P-384") > 0 &&
		  EVP_PKEY_generate(kctx, &p384) > 0);
	EVP_PKEY_CTX_free(kctx);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(b, p384);
	char *pem = NULL;
	long n = BIO_get_mem_data(b, &pem);
	cr_assert_eq(bld_registry_trust_key_parse_public(&k, pem, (size_t)n, &err),
		     -BLD_E_UNSUPPORTED);
	bld_error_free(err);
	BIO_free(b);
	EVP_PKEY_free(p384);
}

Test(registry_trust_key, write_pair_modes_and_no_overwrite)
{
	struct bld_registry_trust_key *k = NULL, *pub = NULL, *priv = NULL;
	struct bld_error *err = NULL;
	char *dir = bld_fs_mkdtemp("bld-trust-test", &err);
	char *prefix = bld_path_join(dir, "signer");
	cr_assert_eq(bld_registry_trust_key_generate(&k, &err), 0);
	cr_assert_eq(bld_registry_trust_key_write_pair(k, prefix, "pw", &err), 0);
	char *kp = bld_path_join(dir, "signer.key"), *pp = bld_path_join(dir, "signer.pub");
	struct stat st;
	cr_assert_eq(stat(kp, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(stat(pp, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	char *text = slurp(kp, NULL);
	cr_assert(bld_str_has_prefix(text, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
	free(text);
	cr_assert_eq(bld_registry_trust_key_load_public(&pub, pp, &err), 0);
	cr_assert_eq(bld_registry_trust_key_load_private(&priv, kp, "pw", &err), 0);
	cr_assert_str_eq(bld_registry_trust_key_fingerprint(pub),
			 bld_registry_trust_key_fingerprint(k));
	cr_assert_eq(bld_registry_trust_key_write_pair(k, prefix, "pw", &err), -BLD_E_EXISTS);
	bld_error_free(err);
	bld_fs_rm_rf(dir, NULL);
	free(kp);
	free(pp);
	free(prefix);
	free(dir);
	bld_registry_trust_key_free(k);
	bld_registry_trust_key_free(pub);
	bld_registry_trust_key_free(priv);
}

Test(registry_trust_key, signatures_verify_only_with_their_key_and_data)
{
	struct bld_registry_trust_key *a = NULL, *b = NULL;
	struct bld_error *err = NULL;
	char *sig = NULL;
	cr_assert_eq(bld_registry_trust_key_generate(&a, &err), 0);
	cr_assert_eq(bld_registry_trust_key_generate(&b, &err), 0);
	cr_assert_str_neq(bld_registry_trust_key_fingerprint(a),
			  bld_registry_trust_key_fingerprint(b));
	cr_assert(bld_digest_valid(bld_registry_trust_key_fingerprint(a)));
	cr_assert_eq(bld_registry_trust_key_sign(a, "payload", 7, &sig, &err), 0);
	cr_assert_eq(bld_registry_trust_key_verify(a, "payload", 7, sig, &err), 0);
	cr_assert_eq(bld_registry_trust_key_verify(a, "pAyload", 7, sig, &err), -BLD_E_AUTH);
	bld_error_free(err);
	err = NULL;
	cr_assert_eq(bld_registry_trust_key_verify(b, "payload", 7, sig, &err), -BLD_E_AUTH);
	bld_error_free(err);
	err = NULL;
	cr_assert_eq(bld_registry_trust_key_verify(a, "payload", 7, "%%%not base64", &err),
		     -BLD_E_AUTH);
	bld_error_free(err);
	free(sig);
	bld_registry_trust_key_free(a);
	bld_registry_trust_key_free(b);
}

Test(registry_trust_key, passphrase_from_environment)
{
	char *p = NULL;
	struct bld_error *err = NULL;
	setenv("COSIGN_PASSWORD", "from-cosign", 1);
	setenv("BLD_TRUST_PASSPHRASE", "from-bld", 1);
	cr_assert_eq(bld_registry_trust_passphrase(&p, true, &err), 0);
	cr_assert_str_eq(p, "from-bld");
	free(p);
	unsetenv("BLD_TRUST_PASSPHRASE");
	cr_assert_eq(bld_registry_trust_passphrase(&p, false, &err), 0);
	cr_assert_str_eq(p, "from-cosign");
	free(p);
	setenv("COSIGN_PASSWORD", "", 1);
	cr_assert_eq(bld_registry_trust_passphrase(&p, false, &err), 0);
	cr_assert_str_eq(p, "");
	free(p);
}
