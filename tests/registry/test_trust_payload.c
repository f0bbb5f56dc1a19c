/*
 * tests/registry/test_trust_payload.c — the bytes of content trust: the simple-signing
 * payload, the signature manifest and its config as cosign writes them, appending a second
 * signature, and the check of one signature (tampered, unsigned, bad key, other digest).
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "registry/registry.h"

#define DIGEST_A "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define DIGEST_B "sha256:2222222222222222222222222222222222222222222222222222222222222222"

Test(registry_trust_payload, payload_bytes_are_cosigns)
{
	size_t n = 0;
	char *p = bld_registry_trust_payload_new("127.0.0.1:5000/library/busybox", DIGEST_A, &n);
	cr_assert_str_eq(p,
			 "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/"
			 "library/busybox\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST_A
			 "\"},\"type\":\"cosign container image signature\"},\"optional\":null}");
	cr_assert_eq(n, strlen(p));
	struct bld_registry_trust_payload pl;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_payload_parse(&pl, p, n, &err), 0);
	cr_assert_str_eq(pl.identity, "127.0.0.1:5000/library/busybox");
	cr_assert_str_eq(pl.digest, DIGEST_A);
	cr_assert_str_eq(pl.type, BLD_TRUST_PAYLOAD_TYPE);
	bld_registry_trust_payload_dispose(&pl);
	free(p);
	const char *bad = "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"x\"}}}";
	cr_assert_eq(bld_registry_trust_payload_parse(&pl, bad, strlen(bad), &err), -BLD_E_INVALID);
	bld_error_free(err);
}

Test(registry_trust_payload, sig_tag)
{
	char *t = bld_registry_trust_sig_tag(DIGEST_A);
	cr_assert_str_eq(t,
			 "sha256-1111111111111111111111111111111111111111111111111111111111111111"
			 ".sig");
	free(t);
}

Test(registry_trust_payload, manifest_and_config_with_two_signatures)
{
	struct bld_registry_trust_sigs s = {0};
	struct bld_error *err = NULL;
	char *p1 = bld_registry_trust_payload_new("r/a", DIGEST_A, NULL);
	char *p2 = bld_registry_trust_payload_new("r/b", DIGEST_A, NULL);
	cr_assert_eq(bld_registry_trust_sigs_add(&s, p1, strlen(p1), "c2lnMQ==", &err), 1);
	cr_assert_eq(bld_registry_trust_sigs_add(&s, p2, strlen(p2), "c2lnMg==", &err), 1);
	cr_assert_eq(bld_registry_trust_sigs_add(&s, p1, strlen(p1), "c2lnMQ==", &err), 0,
		     "the same signature twice is kept once");
	char *config = NULL, *manifest = NULL;
	bld_registry_trust_sigs_build(&s, &config, &manifest);
	char d1[BLD_DIGEST_STR_LEN], d2[BLD_DIGEST_STR_LEN], dc[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(p1, strlen(p1), d1);
	bld_sha256_digest(p2, strlen(p2), d2);
	bld_sha256_digest(config, strlen(config), dc);
	char *want_cfg = xasprintf(
	    "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":"
	    "\"0001-01-01T00:00:00Z\"},{\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":\"\","
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]},\"config\":{}}",
	    d1, d2);
	cr_assert_str_eq(config, want_cfg);
	json_t *m = json_loads(manifest, 0, NULL);
	cr_assert_eq(json_integer_value(json_object_get(m, "schemaVersion")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(m, "mediaType")),
			 "application/vnd.oci.image.manifest.v1+json");
	json_t *cfg = json_object_get(m, "config");
	cr_assert_str_eq(json_string_value(json_object_get(cfg, "digest")), dc);
	cr_assert_eq(json_integer_value(json_object_get(cfg, "size")), (json_int_t)strlen(config));
	json_t *l1 = json_array_get(json_object_get(m, "layers"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(l1, "mediaType")),
			 BLD_TRUST_SIG_MEDIA_TYPE);
	cr_assert_str_eq(json_string_value(json_object_get(l1, "digest")), d2);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(l1, "annotations"),
							   BLD_TRUST_SIG_ANNOTATION)),
			 "c2lnMg==");
	json_decref(m);
	struct bld_registry_trust_sigs back;
	cr_assert_eq(bld_registry_trust_sigs_parse(&back, manifest, strlen(manifest), &err), 0);
	cr_assert_eq(back.n, 2);
	cr_assert_str_eq(back.v[0].digest, d1);
	cr_assert_str_eq(back.v[0].signature, "c2lnMQ==");
	cr_assert_eq(back.v[1].size, (int64_t)strlen(p2));
	bld_registry_trust_sigs_dispose(&back);
	bld_registry_trust_sigs_dispose(&s);
	free(want_cfg);
	free(config);
	free(manifest);
	free(p1);
	free(p2);
}

Test(registry_trust_payload, foreign_annotations_survive_an_append)
{
	const char *m =
	    "{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"" BLD_TRUST_SIG_MEDIA_TYPE
	    "\",\"size\":3,\"digest\":\"" DIGEST_B "\",\"annotations\":{\"" BLD_TRUST_SIG_ANNOTATION
	    "\":\"eA==\",\"dev.sigstore.cosign/bundle\":\"{}\"}}]}";
	struct bld_registry_trust_sigs s;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_sigs_parse(&s, m, strlen(m), &err), 0);
	cr_assert_eq(bld_registry_trust_sigs_add(&s, "abc", 3, "eQ==", &err), 1);
	char *config = NULL, *manifest = NULL;
	bld_registry_trust_sigs_build(&s, &config, &manifest);
	cr_assert(strstr(manifest, "\"dev.sigstore.cosign/bundle\":\"{}\""), "%s", manifest);
	cr_assert_eq(s.n, 2);
	bld_registry_trust_sigs_dispose(&s);
	free(config);
	free(manifest);
	const char *bad =
	    "{\"layers\":[{\"mediaType\":\"x\",\"digest\":\"sha256:12\",\"size\":1}]}";
	cr_assert_eq(bld_registry_trust_sigs_parse(&s, bad, strlen(bad), &err), -BLD_E_INVALID);
	bld_error_free(err);
}

struct fixture {
	struct bld_registry_trust_key *key, *other;
	char *payload, *sig;
	char layer[BLD_DIGEST_STR_LEN];
};

static void fixture_init(struct fixture *f, const char *digest)
{
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_key_generate(&f->key, &err), 0);
	cr_assert_eq(bld_registry_trust_key_generate(&f->other, &err), 0);
	f->payload = bld_registry_trust_payload_new("127.0.0.1:5000/x/y", digest, NULL);
	bld_sha256_digest(f->payload, strlen(f->payload), f->layer);
	cr_assert_eq(
	    bld_registry_trust_key_sign(f->key, f->payload, strlen(f->payload), &f->sig, &err), 0);
}

static void fixture_dispose(struct fixture *f)
{
	bld_registry_trust_key_free(f->key);
	bld_registry_trust_key_free(f->other);
	free(f->payload);
	free(f->sig);
}

static enum bld_registry_trust_state check(const struct bld_registry_trust_candidate *c,
					   struct bld_registry_trust_key *key, const char *digest,
					   int *ki)
{
	struct bld_registry_trust_payload pl;
	enum bld_registry_trust_state s = bld_registry_trust_check_sig(c, &key, 1, digest, ki, &pl);
	bld_registry_trust_payload_dispose(&pl);
	return s;
}

Test(registry_trust_payload, check_sig_states)
{
	struct fixture f = {0};
	fixture_init(&f, DIGEST_A);
	struct bld_registry_trust_candidate c = {f.payload, strlen(f.payload), f.layer, f.sig};
	int ki = 7;
	cr_assert_eq(check(&c, f.key, DIGEST_A, &ki), BLD_TRUST_SIG_OK);
	cr_assert_eq(ki, 0);
	cr_assert_eq(check(&c, f.other, DIGEST_A, &ki), BLD_TRUST_SIG_BAD);
	cr_assert_eq(ki, -1);
	cr_assert_eq(check(&c, f.key, DIGEST_B, &ki), BLD_TRUST_SIG_OTHER_DIGEST);
	struct bld_registry_trust_candidate unsigned_c = {f.payload, strlen(f.payload), f.layer,
							  NULL};
	cr_assert_eq(check(&unsigned_c, f.key, DIGEST_A, &ki), BLD_TRUST_SIG_UNSIGNED);
	/* the payload changed after signing but the manifest still names the old digest */
	char *tampered = xstrdup(f.payload);
	tampered[strlen(tampered) - 8] = 'X';
	struct bld_registry_trust_candidate t = {tampered, strlen(tampered), f.layer, f.sig};
	cr_assert_eq(check(&t, f.key, DIGEST_A, &ki), BLD_TRUST_SIG_TAMPERED);
	/* the same change with the layer digest updated: the signature no longer verifies */
	char layer2[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(tampered, strlen(tampered), layer2);
	t.layer_digest = layer2;
	cr_assert_eq(check(&t, f.key, DIGEST_A, &ki), BLD_TRUST_SIG_BAD);
	free(tampered);
	fixture_dispose(&f);
}

Test(registry_trust_payload, check_sig_malformed_payload)
{
	struct fixture f = {0};
	struct bld_error *err = NULL;
	fixture_init(&f, DIGEST_A);
	const char *p =
	    "{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-"
	    "manifest-digest\":\"" DIGEST_A "\"},\"type\":\"something else\"}}";
	char *sig = NULL, layer[BLD_DIGEST_STR_LEN];
	cr_assert_eq(bld_registry_trust_key_sign(f.key, p, strlen(p), &sig, &err), 0);
	bld_sha256_digest(p, strlen(p), layer);
	struct bld_registry_trust_candidate c = {p, strlen(p), layer, sig};
	int ki;
	cr_assert_eq(check(&c, f.key, DIGEST_A, &ki), BLD_TRUST_SIG_MALFORMED);
	free(sig);
	fixture_dispose(&f);
}

/* ------------------------------------------- a signature cosign v3.0.4 itself made */

#define CV3 "tests/fixtures/trust/cosign-v3/"
#define CV3_SUBJECT "sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268"

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_fs_read_file(path, 1 << 20, &data, len, &err), 0, "%s", path);
	return data;
}

Test(registry_trust_payload, cosign_made_signature_verifies_and_rebuilds_byte_for_byte)
{
	size_t plen = 0, mlen = 0, n = 0;
	char *payload = slurp(CV3 "payload.json", &plen);
	char *manifest = slurp(CV3 "sig-manifest.json", &mlen);
	char *ours =
	    bld_registry_trust_payload_new("localhost:15381/tobby/fixture", CV3_SUBJECT, &n);
	cr_assert_str_eq(ours, payload, "bld's payload differs from cosign's");
	struct bld_registry_trust_key *pub = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_key_load_public(&pub, CV3 "cosign.pub", &err), 0);
	cr_assert_str_eq(bld_registry_trust_key_fingerprint(pub),
			 "sha256:dc2bcfdb0402cd0845f59232655c3ab2a53d55849d4665579efe45c6cc753478");
	struct bld_registry_trust_sigs s;
	cr_assert_eq(bld_registry_trust_sigs_parse(&s, manifest, mlen, &err), 0);
	cr_assert_eq(s.n, 1);
	struct bld_registry_trust_candidate c = {payload, plen, s.v[0].digest, s.v[0].signature};
	cr_assert_eq(check(&c, pub, CV3_SUBJECT, &(int){0}), BLD_TRUST_SIG_OK);
	cr_assert_eq(check(&c, pub, DIGEST_A, &(int){0}), BLD_TRUST_SIG_OTHER_DIGEST);
	/* the manifest and config bld writes for the same layer are cosign's bytes */
	char *config = NULL, *rebuilt = NULL;
	bld_registry_trust_sigs_build(&s, &config, &rebuilt);
	cr_assert_str_eq(rebuilt, manifest);
	char dg[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(config, strlen(config), dg);
	cr_assert_str_eq(dg,
			 "sha256:2122b6ad0794d3fdae43a4b477cf1d95d4a38d3c5f10631e199676039b876e37");
	bld_registry_trust_sigs_dispose(&s);
	bld_registry_trust_key_free(pub);
	free(config);
	free(rebuilt);
	free(ours);
	free(payload);
	free(manifest);
}
