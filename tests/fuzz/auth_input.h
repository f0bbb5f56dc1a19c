/*
 * tests/fuzz/auth_input.h — one input of tests/fuzz/fuzz_auth.c, shared with its regression
 * test (tests/registry/test_fuzz_regressions.c): byte 0 picks the parser, the rest is its
 * input; a finding aborts.
 */
#ifndef BLD_TEST_FUZZ_AUTH_INPUT_H
#define BLD_TEST_FUZZ_AUTH_INPUT_H

#include <assert.h>

#include "registry/registry_int.h"
#include "tests/fuzz/fuzz_common.h"

static void auth_challenge(const char *value)
{
	struct reg_challenge c;
	struct bld_error *err = NULL;
	if (reg_challenge_parse(&c, value, &err) == 0) {
		assert(c.scheme);
		reg_challenge_dispose(&c);
	}
	fuzz_drop_remote(&err);
}

/* Data: header lines (each with its line end) as curl's header callback receives them. */
static void auth_headers(const char *data, size_t len)
{
	struct reg_resp r = {.content_length = -1, .retry_after = -1};
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(data + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - data - at) + 1 : len - at;
		reg_resp_header(&r, data + at, n);
		at += n;
	}
	const char *kept[] = {r.www_auth, r.location, r.content_type, r.docker_digest, r.range,
			      r.link};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(kept); i++)
		assert(!kept[i] || strlen(kept[i]) <= REG_HEADER_MAX);
	assert(r.retry_after >= -1 && r.retry_after <= 3600);
	if (r.www_auth)
		auth_challenge(r.www_auth);
	reg_resp_dispose(&r);
}

static void auth_token(const char *data, size_t len)
{
	char *tok = NULL;
	struct bld_error *err = NULL;
	if (reg_token_parse(data, len, &tok, &err) == 0)
		assert(tok && *tok);
	free(tok);
	fuzz_drop_remote(&err);
}

static void auth_helper(const char *data)
{
	struct reg_creds c = {0};
	struct bld_error *err = NULL;
	int r = reg_cred_helper_parse("fuzz", data, &c, &err);
	assert(r < 0 || r == (c.user || c.identity_token ? 1 : 0));
	assert(!c.user == !c.secret);
	reg_creds_dispose(&c);
	fuzz_drop_remote(&err);
}

/* Data: an encrypted key, tried with the empty passphrase (tests/fixtures/trust's
 * cosign-empty-pass.key decrypts with it). */
static void auth_private_key(const char *data, size_t len)
{
	struct bld_registry_trust_key *k = NULL;
	struct bld_error *err = NULL;
	if (bld_registry_trust_key_decrypt(&k, data, len, "", &err) == 0) {
		assert(bld_registry_trust_key_is_private(k) && bld_registry_trust_key_fingerprint(k));
		char *pem = NULL;
		assert(bld_registry_trust_key_encrypt(k, "x", &pem, &err) == 0 && pem);
		free(pem);
		bld_registry_trust_key_free(k);
	}
	bld_error_free(err);
}

/* Runs one input (byte 0 picks the parser). */
static inline void auth_run(const uint8_t *bytes, size_t size)
{
	if (size < 1)
		return;
	char *s = xmalloc(size); /* a NUL-terminated copy: several parsers take C strings */
	memcpy(s, bytes + 1, size - 1);
	s[size - 1] = '\0';
	size_t len = size - 1;
	switch (bytes[0] % 5) {
	case 0: auth_headers(s, len); break;
	case 1: auth_token(s, len); break;
	case 2: auth_helper(s); break;
	case 3: auth_private_key(s, len); break;
	default: auth_challenge(s); break;
	}
	free(s);
}

#endif
