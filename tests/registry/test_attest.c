/*
 * tests/registry/test_attest.c — DSSE envelopes of in-toto statements: one made with a key
 * verifies with its public half and gives the statement back; a payload changed after
 * signing, another key, a statement for another digest and another predicate type are
 * refused with the codes callers branch on.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "registry/registry.h"

#define DIGEST_A "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define DIGEST_B "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define STATEMENT                                                                           \
	"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\",\"digest\":" \
	"{\"sha256\":\"1111111111111111111111111111111111111111111111111111111111111111\"}}],"   \
	"\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":{\"a\":1}}"

static struct bld_registry_trust_key *key(void)
{
	struct bld_registry_trust_key *k = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_key_generate(&k, &err), 0);
	return k;
}

/* bld_registry_attest_check's return for env checked with k against digest and type. */
static int check(const char *env, struct bld_registry_trust_key *k, const char *digest,
		 const char *type)
{
	json_t *st = NULL;
	struct bld_error *err = NULL;
	int r = bld_registry_attest_check(env, strlen(env), &k, 1, digest, type, &st, &err);
	if (r == 0)
		cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "predicate"), "a")), 1);
	json_decref(st);
	bld_error_free(err);
	return r;
}

Test(registry_attest, envelope_round_trip_and_refusals)
{
	struct bld_registry_trust_key *k = key(), *other = key();
	struct bld_error *err = NULL;
	char *env = NULL;
	cr_assert_eq(bld_registry_attest_envelope(k, STATEMENT, strlen(STATEMENT), &env, &err), 0);
	cr_assert(strstr(env, "\"payloadType\":\"application/vnd.in-toto+json\""), "%s", env);
	cr_assert_eq(check(env, k, DIGEST_A, BLD_ATTEST_SLSA_V1), 0);
	cr_assert_eq(check(env, k, DIGEST_A, NULL), 0, "any type");
	cr_assert_eq(check(env, other, DIGEST_A, NULL), -BLD_E_AUTH, "another key");
	cr_assert_eq(check(env, k, DIGEST_B, NULL), -BLD_E_DIGEST, "another digest");
	cr_assert_eq(check(env, k, DIGEST_A, BLD_ATTEST_SPDX), -BLD_E_INVALID, "another type");
	/* the payload changed after signing: a character of the base64 payload flipped */
	json_t *j = json_loads(env, 0, NULL);
	char *p = strdup(json_string_value(json_object_get(j, "payload")));
	p[10] = p[10] == 'A' ? 'B' : 'A';
	json_object_set_new(j, "payload", json_string(p));
	char *tampered = json_dumps(j, JSON_COMPACT);
	cr_assert_eq(check(tampered, k, DIGEST_A, NULL), -BLD_E_AUTH, "tampered payload");
	free(tampered);
	free(p);
	json_decref(j);
	free(env);
	bld_registry_trust_key_free(k);
	bld_registry_trust_key_free(other);
}

Test(registry_attest, att_tag)
{
	char *t = bld_registry_attest_tag(DIGEST_A);
	cr_assert_str_eq(t, "sha256-1111111111111111111111111111111111111111111111111111111111111111"
			    ".att");
	free(t);
}
