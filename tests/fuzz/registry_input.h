/*
 * tests/fuzz/registry_input.h — one input of tests/fuzz/fuzz_registry.c, shared with its
 * regression test (tests/registry/test_fuzz_regressions.c): byte 0 picks the parser, the
 * rest is its input (multi-part inputs split at NUL bytes); the round-trip checks abort.
 */
#ifndef BLD_TEST_FUZZ_REGISTRY_INPUT_H
#define BLD_TEST_FUZZ_REGISTRY_INPUT_H

#include <assert.h>
#include <jansson.h>

#include "registry/registry_int.h"
#include "tests/fuzz/fuzz_common.h"

static void drop(struct bld_error **err)
{
	if (*err)
		assert((*err)->msg);
	bld_error_free(*err);
	*err = NULL;
}

/* A registry's error body for a failed request (reg_error_code, reg_status_error). */
static void fuzz_error_body(const char *data, size_t len)
{
	static const long statuses[] = {400, 401, 404, 500};
	struct reg_resp resp = {.status = statuses[len % 4]};
	bld_buf_add(&resp.body, data, len);
	free(reg_error_code(&resp));
	struct bld_error *err = NULL;
	assert(reg_status_error(&resp, BLD_E_NETWORK, &err, "GET %s", "/v2/x") < 0);
	fuzz_drop_remote(&err);
	bld_buf_dispose(&resp.body);
}

static void fuzz_manifest(const char *data, size_t len)
{
	static const char *const types[] = {BLD_MT_OCI_MANIFEST, BLD_MT_OCI_INDEX,
					    BLD_MT_DOCKER_MANIFEST, BLD_MT_DOCKER_LIST, NULL};
	static const char *const platforms[] = {"linux/amd64", "linux/arm64", "linux/arm",
						"windows/amd64/v2", "x"};
	if (len < 1)
		return;
	struct bld_error *err = NULL;
	struct reg_manifest m;
	if (reg_manifest_parse(&m, types[(unsigned char)data[0] % 5], data + 1, len - 1, &err) == 0) {
		assert(m.is_index || bld_digest_valid(m.config.digest));
		for (size_t i = 0; i < m.n; i++)
			assert(bld_digest_valid(m.items[i].digest) && m.items[i].size >= 0);
		for (size_t i = 0; m.is_index && i < BLD_ARRAY_SIZE(platforms); i++) {
			const struct reg_desc *d = NULL;
			if (reg_platform_select(&m, platforms[i], &d, &err) == 0)
				assert(d && bld_digest_valid(d->digest));
			fuzz_drop_remote(&err);
		}
		reg_manifest_dispose(&m);
	}
	fuzz_drop_remote(&err);
	char *oci = NULL;
	size_t olen = 0;
	if (reg_manifest_to_oci(data + 1, len - 1, &oci, &olen, &err) == 0)
		assert(oci && strlen(oci) == olen);
	free(oci);
	fuzz_drop_remote(&err);
}

static void fuzz_payload(const char *data, size_t len)
{
	struct bld_registry_trust_payload p;
	struct bld_error *err = NULL;
	if (bld_registry_trust_payload_parse(&p, data, len, &err) == 0) {
		assert(p.identity && p.digest && p.type);
		bld_registry_trust_payload_dispose(&p);
	}
	fuzz_drop_remote(&err);
}

static void fuzz_sigs(const char *data, size_t len)
{
	struct bld_registry_trust_sigs s = {0}, again = {0};
	struct bld_error *err = NULL;
	if (bld_registry_trust_sigs_parse(&s, data, len, &err) < 0) {
		fuzz_drop_remote(&err);
		return;
	}
	char *cfg = NULL, *man = NULL;
	if (bld_registry_trust_sigs_add(&s, "payload", 7, "c2ln", &err) < 0)
		fuzz_drop_remote(&err);
	bld_registry_trust_sigs_build(&s, &cfg, &man);
	if (bld_registry_trust_sigs_parse(&again, man, strlen(man), &err) < 0) {
		fprintf(stderr, "rebuilt signature manifest does not parse: %s\n%s\n", err->msg, man);
		abort();
	}
	assert(again.n == s.n);
	for (size_t i = 0; i < s.n; i++)
		assert(strcmp(again.v[i].digest, s.v[i].digest) == 0);
	free(cfg);
	free(man);
	bld_registry_trust_sigs_dispose(&again);
	bld_registry_trust_sigs_dispose(&s);
}

/* Data: payload \0 signature (base64). */
static void fuzz_check_sig(struct bld_registry_trust_key *key, const char *data, size_t len)
{
	const char *payload = fuzz_part(data, len, 0), *sig = fuzz_part(data, len, 1);
	char dg[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(payload, strlen(payload), dg);
	struct bld_registry_trust_candidate c = {payload, strlen(payload), dg, *sig ? sig : NULL};
	struct bld_registry_trust_payload pl = {0};
	int ki = -1;
	enum bld_registry_trust_state s = bld_registry_trust_check_sig(&c, &key, 1, dg, &ki, &pl);
	assert(s >= BLD_TRUST_SIG_TAMPERED && s <= BLD_TRUST_SIG_OK);
	assert(bld_registry_trust_state_str(s));
	bld_registry_trust_payload_dispose(&pl);
}

static void fuzz_policy(const char *data, size_t len)
{
	struct bld_registry_trust_policy *p = NULL;
	struct bld_error *err = NULL;
	if (bld_registry_trust_policy_parse(&p, data, len, &err) < 0) {
		drop(&err);
		return;
	}
	static const char dg[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct bld_registry_trust_image imgs[] = {
		{"docker.io/library/busybox", "latest", dg, false},
		{"127.0.0.1:5000/a/b", NULL, dg, true},
		{"registry.example.com:443/x", "v1", dg, false},
	};
	const char payload[] = "{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},"
			       "\"image\":{\"docker-manifest-digest\":\"sha256:00\"},"
			       "\"type\":\"cosign container image signature\"}}";
	struct bld_registry_trust_candidate c = {payload, sizeof(payload) - 1, dg, "c2ln"};
	bool files = memmem(data, len, "keyPath", 7) != NULL; /* would read files: not here */
	for (size_t i = 0; i < BLD_ARRAY_SIZE(imgs); i++) {
		assert(bld_registry_trust_policy_scope(p, &imgs[i]));
		for (int req = 0; !files && req < 2; req++) {
			bld_registry_trust_policy_check(p, &imgs[i], NULL, 0, req, &err);
			drop(&err);
			bld_registry_trust_policy_check(p, &imgs[i], &c, 1, req, &err);
			drop(&err);
		}
	}
	bld_registry_trust_policy_free(p);
}

/* Data: rule (JSON) \0 identity \0 image name \0 tag. */
static void fuzz_identity(const char *data, size_t len)
{
	const char *rule = fuzz_part(data, len, 0);
	json_t *j = NULL;
	struct bld_error *err = NULL;
	if (bld_json_load_buf(&j, rule, strlen(rule), &err) < 0) {
		drop(&err);
		return;
	}
	const char *tag = fuzz_part(data, len, 3);
	struct bld_registry_trust_image img = {
		fuzz_part(data, len, 2), *tag ? tag : NULL,
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", !*tag};
	bool match = false;
	bld_registry_trust_identity_match(j, &img, fuzz_part(data, len, 1), &match, &err);
	drop(&err);
	json_decref(j);
}

static void fuzz_ref(const char *s)
{
	for (unsigned flags = 0; flags < 2; flags++) {
		struct bld_registry_ref r, again;
		struct bld_error *err = NULL;
		if (bld_registry_ref_parse_flags(&r, s, flags, &err) < 0) {
			drop(&err);
			continue;
		}
		char *full = bld_registry_ref_string(&r);
		char *fam = bld_registry_ref_familiar(&r);
		char *name = bld_registry_ref_name(&r);
		char *fname = bld_registry_ref_familiar_name(&r);
		assert(bld_registry_api_host(r.domain) && bld_registry_auth_key(r.domain));
		(void)bld_registry_domain_is_local(r.domain);
		if (bld_registry_ref_parse_flags(&again, full, flags, &err) < 0) {
			fprintf(stderr, "%s prints as %s, which does not parse: %s\n", s, full, err->msg);
			abort();
		}
		char *full2 = bld_registry_ref_string(&again);
		if (strcmp(full, full2) != 0) {
			fprintf(stderr, "%s prints as %s, which reads back as %s\n", s, full, full2);
			abort();
		}
		free(full2);
		bld_registry_ref_dispose(&again);
		free(full);
		free(fam);
		free(name);
		free(fname);
		bld_registry_ref_dispose(&r);
	}
	free(bld_registry_server_domain(s));
}

static void fuzz_challenge(const char *s)
{
	struct reg_challenge c;
	struct bld_error *err = NULL;
	if (reg_challenge_parse(&c, s, &err) == 0) {
		assert(c.scheme);
		reg_challenge_dispose(&c);
	}
	fuzz_drop_remote(&err);
}

static void fuzz_auth(const char *s)
{
	struct reg_creds c = {0};
	struct bld_error *err = NULL;
	if (reg_auth_decode(s, &c, &err) == 0) {
		assert(c.user && c.secret);
		char *again = reg_auth_encode(c.user, c.secret);
		free(again);
		reg_creds_dispose(&c);
	}
	drop(&err);
}

static void fuzz_pubkey(const char *data, size_t len)
{
	struct bld_registry_trust_key *k = NULL;
	struct bld_error *err = NULL;
	if (bld_registry_trust_key_parse_public(&k, data, len, &err) == 0) {
		assert(bld_registry_trust_key_fingerprint(k));
		free(bld_registry_trust_key_public_pem(k));
		bld_registry_trust_key_free(k);
	}
	drop(&err);
}

/* Runs one input (byte 0 picks the parser); key verifies signatures. Aborts on a finding. */
static inline void registry_run(struct bld_registry_trust_key *key, const uint8_t *bytes,
				size_t size)
{
	if (size < 1)
		return;
	/* a NUL-terminated copy: several parsers take C strings */
	char *s = xmalloc(size);
	memcpy(s, bytes + 1, size - 1);
	s[size - 1] = '\0';
	size_t len = size - 1;
	switch (bytes[0] % 11) {
	case 0: fuzz_manifest(s, len); break;
	case 1: fuzz_payload(s, len); break;
	case 2: fuzz_sigs(s, len); break;
	case 3: fuzz_check_sig(key, s, len); break;
	case 4: fuzz_policy(s, len); break;
	case 5: fuzz_identity(s, len); break;
	case 6: fuzz_ref(s); break;
	case 7: fuzz_challenge(s); break;
	case 8: fuzz_auth(s); break;
	case 9: fuzz_pubkey(s, len); break;
	default: fuzz_error_body(s, len); break;
	}
	free(s);
}

#endif
