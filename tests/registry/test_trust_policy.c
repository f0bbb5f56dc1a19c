/*
 * tests/registry/test_trust_policy.c — containers' policy.json: strict parsing, the scope
 * that applies (most specific wins), every signedIdentity rule, and the decision with real
 * signatures: accepted, unsigned, other key, other digest, tampered, wrong identity, two
 * keys, reject, insecureAcceptAnything with and without content trust.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "registry/registry.h"

#define DIGEST_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static struct bld_registry_trust_policy *parse_ok(const char *json)
{
	struct bld_registry_trust_policy *p = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_policy_parse(&p, json, strlen(json), &err), 0, "%s: %s",
		     json, err ? err->msg : "");
	return p;
}

struct bad_case {
	char json[256];
	char why[48];
};

ParameterizedTestParameters(registry_trust_policy, rejects_malformed)
{
	static struct bad_case cases[] = {
	    {"[]", "must be an object"},
	    {"{}", "default"},
	    {"{\"default\":[]}", "non-empty"},
	    {"{\"default\":[{\"type\":\"reject\"}],\"extra\":1}", "unknown field"},
	    {"{\"default\":[{\"type\":\"acceptAll\"}]}", "unknown policy requirement"},
	    {"{\"default\":[{\"type\":\"reject\",\"keyPath\":\"x\"}]}", "unknown field"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\"}]}", "exactly one"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"a\",\"keyData\":\"b\"}]}",
	     "exactly one"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"a\",\"signedIdentity\":"
	     "{\"type\":\"matchSomething\"}}]}",
	     "unknown signedIdentity"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"a\",\"signedIdentity\":"
	     "{\"type\":\"exactReference\"}}]}",
	     "dockerReference"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"a\",\"signedIdentity\":"
	     "{\"type\":\"remapIdentity\",\"prefix\":\"a\"}}]}",
	     "signedPrefix"},
	    {"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"x\":[]}}}",
	     "non-empty"},
	    {"{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":[]}}",
	     "must be an object"},
	    {"{\"default\":[{\"type\":\"reject\"}],\"default\":[]}", "duplicate"},
	    {"{\"default\":[{\"type\":\"signedProvenance\",\"keyPath\":\"a\"}]}", "builderId"},
	    {"{\"default\":[{\"type\":\"signedProvenance\",\"builderId\":\"b\"}]}",
	     "exactly one"},
	    {"{\"default\":[{\"type\":\"signedProvenance\",\"keyPath\":\"a\",\"builderId\":"
	     "\"b\",\"signedIdentity\":{}}]}",
	     "unknown field"},
	};
	return cr_make_param_array(struct bad_case, cases, BLD_ARRAY_SIZE(cases));
}

ParameterizedTest(struct bad_case *c, registry_trust_policy, rejects_malformed)
{
	struct bld_registry_trust_policy *p = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_policy_parse(&p, c->json, strlen(c->json), &err),
		     -BLD_E_INVALID, "%s", c->json);
	cr_assert(strstr(err->msg, c->why), "%s: %s", c->json, err->msg);
	bld_error_free(err);
}

Test(registry_trust_policy, signed_provenance_parses)
{
	bld_registry_trust_policy_free(
	    parse_ok("{\"default\":[{\"type\":\"signedProvenance\",\"keyPaths\":[\"a\"],"
		     "\"builderId\":\"https://ci.example/runs\"}]}"));
}

static const char scoped[] =
    "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
    "\"127.0.0.1:5000/ns/repo:v1\":[{\"type\":\"insecureAcceptAnything\"}],"
    "\"127.0.0.1:5000/ns/repo\":[{\"type\":\"insecureAcceptAnything\"}],"
    "\"127.0.0.1:5000/ns\":[{\"type\":\"insecureAcceptAnything\"}],"
    "\"127.0.0.1:5000\":[{\"type\":\"insecureAcceptAnything\"}],"
    "\"registry.example.com/app@" DIGEST_A "\":[{\"type\":\"insecureAcceptAnything\"}],"
    "\"*.example.com\":[{\"type\":\"insecureAcceptAnything\"}],"
    "\"docker.io/library/busybox\":[{\"type\":\"insecureAcceptAnything\"}]"
    "},\"atomic\":{\"\":[{\"type\":\"insecureAcceptAnything\"}]}}}";

struct scope_case {
	char name[64], tag[16];
	bool by_digest;
	char want[112];
};

ParameterizedTestParameters(registry_trust_policy, most_specific_scope_wins)
{
	static struct scope_case cases[] = {
	    {"127.0.0.1:5000/ns/repo", "v1", false, "127.0.0.1:5000/ns/repo:v1"},
	    {"127.0.0.1:5000/ns/repo", "v2", false, "127.0.0.1:5000/ns/repo"},
	    {"127.0.0.1:5000/ns/repo", "", true, "127.0.0.1:5000/ns/repo"},
	    {"127.0.0.1:5000/ns/other", "latest", false, "127.0.0.1:5000/ns"},
	    {"127.0.0.1:5000/ns/deep/er", "latest", false, "127.0.0.1:5000/ns"},
	    {"127.0.0.1:5000/nsx/repo", "latest", false, "127.0.0.1:5000"},
	    {"127.0.0.1:5001/ns/repo", "latest", false, "default"},
	    {"registry.example.com/app", "", true, "registry.example.com/app@" DIGEST_A},
	    {"registry.example.com/app", "1", false, "*.example.com"},
	    {"a.b.example.com:443/app", "1", false, "*.example.com"},
	    {"example.com/app", "1", false, "default"},
	    {"docker.io/library/busybox", "latest", false, "docker.io/library/busybox"},
	    {"docker.io/library/alpine", "latest", false, "default"},
	};
	return cr_make_param_array(struct scope_case, cases, BLD_ARRAY_SIZE(cases));
}

ParameterizedTest(struct scope_case *c, registry_trust_policy, most_specific_scope_wins)
{
	struct bld_registry_trust_policy *p = parse_ok(scoped);
	struct bld_registry_trust_image img = {c->name, c->tag[0] ? c->tag : NULL, DIGEST_A,
					       c->by_digest};
	cr_assert_str_eq(bld_registry_trust_policy_scope(p, &img), c->want, "%s:%s", c->name,
			 c->tag);
	bld_registry_trust_policy_free(p);
}

Test(registry_trust_policy, transport_default_scope)
{
	struct bld_registry_trust_policy *p = parse_ok(
	    "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"\":[{\"type\":"
	    "\"insecureAcceptAnything\"}]}}}");
	struct bld_registry_trust_image img = {"quay.io/a/b", "1", DIGEST_A, false};
	cr_assert_str_eq(bld_registry_trust_policy_scope(p, &img), "");
	bld_registry_trust_policy_free(p);
}

struct id_case {
	char rule[200]; /* "" = no signedIdentity */
	char name[48], tag[12];
	bool by_digest;
	char identity[80];
	bool want;
};

#define REPO "127.0.0.1:5000/ns/app"
ParameterizedTestParameters(registry_trust_policy, identity_rules)
{
	static struct id_case cases[] = {
	    /* cosign signs the repository: the default rule wants an exact tag match */
	    {"", REPO, "v1", false, REPO, false},
	    {"", REPO, "v1", false, REPO ":v1", true},
	    {"", REPO, "", true, REPO, true},
	    {"", REPO, "", true, "127.0.0.1:5000/ns/other", false},
	    {"{\"type\":\"matchRepoDigestOrExact\"}", REPO, "v1", false, REPO ":v2", false},
	    {"{\"type\":\"matchExact\"}", REPO, "v1", false, REPO ":v1", true},
	    {"{\"type\":\"matchExact\"}", REPO, "", true, REPO ":v1", false},
	    {"{\"type\":\"matchRepository\"}", REPO, "v1", false, REPO, true},
	    {"{\"type\":\"matchRepository\"}", REPO, "v1", false, REPO ":v9", true},
	    {"{\"type\":\"matchRepository\"}", REPO, "v1", false, "127.0.0.1:5000/ns/app2", false},
	    {"{\"type\":\"matchRepository\"}", "docker.io/library/busybox", "1", false,
	     "index.docker.io/library/busybox", true},
	    {"{\"type\":\"matchRepository\"}", "docker.io/library/busybox", "1", false, "busybox",
	     true},
	    {"{\"type\":\"matchRepository\"}", REPO, "v1", false, "Not A Reference", false},
	    {"{\"type\":\"exactReference\",\"dockerReference\":\"vendor.io/app:1\"}", REPO, "v1",
	     false, "vendor.io/app:1", true},
	    {"{\"type\":\"exactReference\",\"dockerReference\":\"vendor.io/app:1\"}", REPO, "v1",
	     false, "vendor.io/app:2", false},
	    {"{\"type\":\"exactRepository\",\"dockerRepository\":\"vendor.io/app\"}", REPO, "v1",
	     false, "vendor.io/app", true},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"127.0.0.1:5000/ns\",\"signedPrefix\":"
	     "\"vendor.io/prod\"}",
	     REPO, "v1", false, "vendor.io/prod/app:v1", true},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"127.0.0.1:5000/ns\",\"signedPrefix\":"
	     "\"vendor.io/prod\"}",
	     REPO, "", true, "vendor.io/prod/app", true},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"127.0.0.1:5000/ns\",\"signedPrefix\":"
	     "\"vendor.io/prod\"}",
	     REPO, "v1", false, REPO ":v1", false},
	    /* a prefix that is not at a component boundary does not remap */
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"127.0.0.1:5000/n\",\"signedPrefix\":"
	     "\"vendor.io/prod\"}",
	     REPO, "v1", false, REPO ":v1", true},
	};
	return cr_make_param_array(struct id_case, cases, BLD_ARRAY_SIZE(cases));
}

ParameterizedTest(struct id_case *c, registry_trust_policy, identity_rules)
{
	json_t *rule = c->rule[0] ? json_loads(c->rule, 0, NULL) : NULL;
	struct bld_registry_trust_image img = {c->name, c->tag[0] ? c->tag : NULL, DIGEST_A,
					       c->by_digest};
	bool match = !c->want;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_identity_match(rule, &img, c->identity, &match, &err), 0,
		     "%s", err ? err->msg : "");
	cr_assert_eq(match, c->want, "%s on %s:%s (digest %d) signed as %s", c->rule, c->name,
		     c->tag, c->by_digest, c->identity);
	json_decref(rule);
}

/* ------------------------------------------------------------ decisions */

struct world {
	char *dir, *key_a, *key_b;
	struct bld_registry_trust_key *a, *b;
	char *payload, *sig, *sig_b;
	char layer[BLD_DIGEST_STR_LEN];
};

static void world_init(struct world *w, const char *identity, const char *digest)
{
	struct bld_error *err = NULL;
	w->dir = bld_fs_mkdtemp("bld-trust-policy", &err);
	cr_assert_not_null(w->dir);
	cr_assert_eq(bld_registry_trust_key_generate(&w->a, &err), 0);
	cr_assert_eq(bld_registry_trust_key_generate(&w->b, &err), 0);
	char *pa = bld_path_join(w->dir, "a"), *pb = bld_path_join(w->dir, "b");
	cr_assert_eq(bld_registry_trust_key_write_pair(w->a, pa, "", &err), 0);
	cr_assert_eq(bld_registry_trust_key_write_pair(w->b, pb, "", &err), 0);
	w->key_a = xasprintf("%s.pub", pa);
	w->key_b = xasprintf("%s.pub", pb);
	free(pa);
	free(pb);
	w->payload = bld_registry_trust_payload_new(identity, digest, NULL);
	bld_sha256_digest(w->payload, strlen(w->payload), w->layer);
	size_t n = strlen(w->payload);
	cr_assert_eq(bld_registry_trust_key_sign(w->a, w->payload, n, &w->sig, &err), 0);
	cr_assert_eq(bld_registry_trust_key_sign(w->b, w->payload, n, &w->sig_b, &err), 0);
}

static void world_dispose(struct world *w)
{
	bld_fs_rm_rf(w->dir, NULL);
	free(w->dir);
	free(w->key_a);
	free(w->key_b);
	free(w->payload);
	free(w->sig);
	free(w->sig_b);
	bld_registry_trust_key_free(w->a);
	bld_registry_trust_key_free(w->b);
}

/* A policy whose default is one sigstoreSigned requirement with keys and identity. */
static struct bld_registry_trust_policy *sig_policy(const char *keys, const char *identity)
{
	char *json = xasprintf("{\"default\":[{\"type\":\"sigstoreSigned\",%s%s%s}]}", keys,
			       identity ? ",\"signedIdentity\":" : "", identity ? identity : "");
	struct bld_registry_trust_policy *p = parse_ok(json);
	free(json);
	return p;
}

static int decide(struct bld_registry_trust_policy *p, const struct world *w, const char *digest,
		  const char *sig, struct bld_error **err)
{
	struct bld_registry_trust_image img = {REPO, "v1", digest, false};
	struct bld_registry_trust_candidate c = {w->payload, strlen(w->payload), w->layer, sig};
	return bld_registry_trust_policy_check(p, &img, &c, sig ? 1 : 0, true, err);
}

/* Checks the refusal and frees the error (taken by address: argument order is unspecified). */
static void expect_refusal(int r, struct bld_error **errp, int code, const char *what)
{
	struct bld_error *err = *errp;
	cr_assert_eq(r, -code, "want code %d for %s, got %d", code, what, r);
	cr_assert(strstr(err->msg, what), "want \"%s\" in: %s", what, err->msg);
	cr_assert_null(strchr(err->msg, '\n'));
	bld_error_free(err);
	*errp = NULL;
}

#define MATCH_REPO "{\"type\":\"matchRepository\"}"

Test(registry_trust_policy, accepts_a_good_signature_and_refuses_each_bad_one)
{
	struct world w = {0};
	world_init(&w, REPO, DIGEST_A);
	char *keys = xasprintf("\"keyPath\":\"%s\"", w.key_a);
	struct bld_registry_trust_policy *p = sig_policy(keys, MATCH_REPO);
	struct bld_error *err = NULL;
	cr_assert_eq(decide(p, &w, DIGEST_A, w.sig, &err), 0, "%s", err ? err->msg : "");
	expect_refusal(decide(p, &w, DIGEST_A, NULL, &err), &err, BLD_E_AUTH, "not signed");
	expect_refusal(decide(p, &w, DIGEST_A, w.sig_b, &err), &err, BLD_E_AUTH, "does not verify");
	expect_refusal(decide(p, &w, DIGEST_B, w.sig, &err), &err, BLD_E_AUTH, "another image");
	err = NULL;
	/* the default rule wants repo:v1 exactly; cosign-style payloads name only the repo */
	struct bld_registry_trust_policy *strict = sig_policy(keys, NULL);
	expect_refusal(decide(strict, &w, DIGEST_A, w.sig, &err), &err, BLD_E_AUTH,
		       "signed identity not accepted");
	err = NULL;
	/* a payload that does not hash to the digest its layer claims */
	w.payload[strlen(w.payload) - 3] = ' ';
	expect_refusal(decide(p, &w, DIGEST_A, w.sig, &err), &err, BLD_E_DIGEST, "tampered");
	bld_registry_trust_policy_free(strict);
	bld_registry_trust_policy_free(p);
	free(keys);
	world_dispose(&w);
}

Test(registry_trust_policy, wrong_identity_names_it)
{
	struct world w = {0};
	world_init(&w, "127.0.0.1:5000/ns/impostor", DIGEST_A);
	char *keys = xasprintf("\"keyPath\":\"%s\"", w.key_a);
	struct bld_registry_trust_policy *p = sig_policy(keys, MATCH_REPO);
	struct bld_error *err = NULL;
	int r = decide(p, &w, DIGEST_A, w.sig, &err);
	cr_assert(err && strstr(err->msg, "127.0.0.1:5000/ns/impostor"), "%s", err ? err->msg : "");
	expect_refusal(r, &err, BLD_E_AUTH, "signed identity not accepted");
	bld_registry_trust_policy_free(p);
	free(keys);
	world_dispose(&w);
}

Test(registry_trust_policy, either_of_two_keys_and_keydata)
{
	struct world w = {0};
	world_init(&w, REPO, DIGEST_A);
	struct bld_error *err = NULL;
	char *both = xasprintf("\"keyPaths\":[\"%s\",\"%s\"]", w.key_a, w.key_b);
	struct bld_registry_trust_policy *p = sig_policy(both, MATCH_REPO);
	cr_assert_eq(decide(p, &w, DIGEST_A, w.sig, &err), 0);
	cr_assert_eq(decide(p, &w, DIGEST_A, w.sig_b, &err), 0);
	bld_registry_trust_policy_free(p);
	/* keyData: base64 of the PEM */
	char *pem = bld_registry_trust_key_public_pem(w.b);
	char b64[1024];
	sodium_bin2base64(b64, sizeof(b64), (unsigned char *)pem, strlen(pem),
			  sodium_base64_VARIANT_ORIGINAL);
	char *data = xasprintf("\"keyData\":\"%s\"", b64);
	p = sig_policy(data, MATCH_REPO);
	cr_assert_eq(decide(p, &w, DIGEST_A, w.sig_b, &err), 0, "%s", err ? err->msg : "");
	expect_refusal(decide(p, &w, DIGEST_A, w.sig, &err), &err, BLD_E_AUTH, "does not verify");
	bld_registry_trust_policy_free(p);
	free(pem);
	free(data);
	free(both);
	world_dispose(&w);
}

Test(registry_trust_policy, two_signatures_one_good_is_enough)
{
	struct world w = {0};
	world_init(&w, REPO, DIGEST_A);
	char *keys = xasprintf("\"keyPath\":\"%s\"", w.key_b);
	struct bld_registry_trust_policy *p = sig_policy(keys, MATCH_REPO);
	struct bld_registry_trust_image img = {REPO, "v1", DIGEST_A, false};
	struct bld_registry_trust_candidate c[2] = {
	    {w.payload, strlen(w.payload), w.layer, w.sig},
	    {w.payload, strlen(w.payload), w.layer, w.sig_b},
	};
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_policy_check(p, &img, c, 2, true, &err), 0);
	bld_registry_trust_policy_free(p);
	free(keys);
	world_dispose(&w);
}

Test(registry_trust_policy, reject_accept_anything_and_content_trust)
{
	struct bld_registry_trust_image img = {REPO, "v1", DIGEST_A, false};
	struct bld_error *err = NULL;
	struct bld_registry_trust_policy *p =
	    parse_ok("{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"transports\":{"
		     "\"docker\":{\"127.0.0.1:5000/ns\":[{\"type\":\"reject\"}]}}}");
	expect_refusal(bld_registry_trust_policy_check(p, &img, NULL, 0, false, &err), &err,
		       BLD_E_AUTH, "rejected by the trust policy");
	err = NULL;
	struct bld_registry_trust_image other = {"quay.io/x/y", "1", DIGEST_A, false};
	cr_assert_eq(bld_registry_trust_policy_check(p, &other, NULL, 0, false, &err), 0);
	expect_refusal(bld_registry_trust_policy_check(p, &other, NULL, 0, true, &err), &err,
		       BLD_E_AUTH, "names no key");
	bld_registry_trust_policy_free(p);
}

Test(registry_trust_policy, unsupported_requirements_refuse)
{
	struct bld_registry_trust_image img = {REPO, "v1", DIGEST_A, false};
	struct bld_error *err = NULL;
	struct bld_registry_trust_policy *p = parse_ok(
	    "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\"}],"
	    "\"transports\":{\"docker\":{\"127.0.0.1:5000\":[{\"type\":\"sigstoreSigned\","
	    "\"fulcio\":{}}]}}}");
	expect_refusal(bld_registry_trust_policy_check(p, &img, NULL, 0, true, &err), &err,
		       BLD_E_AUTH, "not signed");
	err = NULL;
	const char *d = "x",
		   *l = "sha256:5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
	struct bld_registry_trust_candidate c = {d, 1, l, "eA=="};
	int r = bld_registry_trust_policy_check(p, &img, &c, 1, true, &err);
	cr_assert_lt(r, 0);
	cr_assert(strstr(err->msg, "not supported"), "%s", err->msg);
	bld_error_free(err);
	err = NULL;
	struct bld_registry_trust_image other = {"quay.io/x/y", "1", DIGEST_A, false};
	cr_assert_eq(bld_registry_trust_policy_check(p, &other, NULL, 0, true, &err),
		     -BLD_E_UNSUPPORTED);
	cr_assert(strstr(err->msg, "signedBy"), "%s", err->msg);
	bld_error_free(err);
	bld_registry_trust_policy_free(p);
}

Test(registry_trust_policy, load_from_file_and_missing_file)
{
	struct bld_error *err = NULL;
	char *dir = bld_fs_mkdtemp("bld-trust-pol", &err);
	char *path = bld_path_join(dir, "policy.json");
	FILE *f = fopen(path, "w");
	fputs("{\"default\":[{\"type\":\"reject\"}]}", f);
	fclose(f);
	struct bld_registry_trust_policy *p = NULL;
	cr_assert_eq(bld_registry_trust_policy_load(&p, path, &err), 0);
	bld_registry_trust_policy_free(p);
	p = NULL;
	char *missing = bld_path_join(dir, "nope.json");
	cr_assert_eq(bld_registry_trust_policy_load(&p, missing, &err), -BLD_E_NOTFOUND);
	bld_error_free(err);
	err = NULL;
	/* HOME's policy wins over /etc's */
	char *cfg = bld_path_join(dir, ".config/containers");
	cr_assert_eq(bld_fs_mkdir_p(cfg, 0755, &err), 0);
	char *user = bld_path_join(cfg, "policy.json");
	f = fopen(user, "w");
	fputs("{\"default\":[{\"type\":\"reject\"}],\"bad\":1}", f);
	fclose(f);
	setenv("HOME", dir, 1);
	cr_assert_eq(bld_registry_trust_policy_load(&p, NULL, &err), -BLD_E_INVALID);
	cr_assert(strstr(err->msg, user), "%s", err->msg);
	bld_error_free(err);
	bld_fs_rm_rf(dir, NULL);
	free(user);
	free(cfg);
	free(missing);
	free(path);
	free(dir);
}

Test(registry_trust_policy, content_trust_switches)
{
	unsetenv("BLD_CONTENT_TRUST");
	unsetenv("DOCKER_CONTENT_TRUST");
	cr_assert_not(bld_registry_trust_enabled(false));
	cr_assert(bld_registry_trust_enabled(true));
	setenv("DOCKER_CONTENT_TRUST", "1", 1);
	cr_assert(bld_registry_trust_enabled(false));
	setenv("DOCKER_CONTENT_TRUST", "0", 1);
	cr_assert_not(bld_registry_trust_enabled(false));
	setenv("BLD_CONTENT_TRUST", "true", 1);
	cr_assert(bld_registry_trust_enabled(false));
}

Test(registry_trust_policy, accepts_what_cosign_signed)
{
	struct bld_error *err = NULL;
	char *payload = NULL, *manifest = NULL;
	size_t plen = 0, mlen = 0;
	cr_assert_eq(bld_fs_read_file("tests/fixtures/trust/cosign-v3/payload.json", 4096, &payload,
				      &plen, &err),
		     0);
	cr_assert_eq(bld_fs_read_file("tests/fixtures/trust/cosign-v3/sig-manifest.json", 4096,
				      &manifest, &mlen, &err),
		     0);
	struct bld_registry_trust_sigs s;
	cr_assert_eq(bld_registry_trust_sigs_parse(&s, manifest, mlen, &err), 0);
	struct bld_registry_trust_candidate c = {payload, plen, s.v[0].digest, s.v[0].signature};
	const char *subject =
	    "sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268";
	const char *key = "\"keyPath\":\"tests/fixtures/trust/cosign-v3/cosign.pub\"";
	struct bld_registry_trust_policy *repo = sig_policy(key, MATCH_REPO);
	struct bld_registry_trust_policy *dflt = sig_policy(key, NULL);
	struct bld_registry_trust_image tagged = {"localhost:15381/tobby/fixture", "v1", subject,
						  false};
	struct bld_registry_trust_image pinned = {"localhost:15381/tobby/fixture", NULL, subject,
						  true};
	cr_assert_eq(bld_registry_trust_policy_check(repo, &tagged, &c, 1, true, &err), 0, "%s",
		     err ? err->msg : "");
	cr_assert_eq(bld_registry_trust_policy_check(dflt, &pinned, &c, 1, true, &err), 0, "%s",
		     err ? err->msg : "");
	expect_refusal(bld_registry_trust_policy_check(dflt, &tagged, &c, 1, true, &err), &err,
		       BLD_E_AUTH, "signed identity not accepted");
	bld_registry_trust_policy_free(repo);
	bld_registry_trust_policy_free(dflt);
	bld_registry_trust_sigs_dispose(&s);
	free(payload);
	free(manifest);
}
