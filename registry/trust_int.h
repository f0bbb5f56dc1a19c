/*
 * registry/trust_int.h — what the trust*.c files share and nothing else includes: base64
 * through libsodium and one-time library setup.
 */
#ifndef BLD_REGISTRY_TRUST_INT_H
#define BLD_REGISTRY_TRUST_INT_H

#include "registry/registry.h"

/* sodium_init once; aborts when libsodium cannot start (no entropy source). */
void trust_sodium_init(void);
/* Standard base64 with padding; caller frees. */
char *trust_b64_encode(const void *data, size_t n);
/* Decodes standard base64 (whitespace ignored); -1 on bad input. Caller frees *out. */
int trust_b64_decode(const char *s, unsigned char **out, size_t *len);

/* A parsed reference, a client for its registry and the digest it resolves to (trust_target.c). */
struct trust_target {
	struct bld_registry_ref ref;
	struct bld_registry_client *c;
	char digest[BLD_DIGEST_STR_LEN];
};
/* Parses ref and resolves it: digest when given, else its own digest, else its tag's. */
int trust_target_open(struct trust_target *t, const char *ref, const char *digest,
		      const struct bld_registry_opts *o, struct bld_error **err);
void trust_target_dispose(struct trust_target *t);
/* The .sig manifest of t->digest (absent: an empty list); *sig_digest when not NULL. */
int trust_sigs_fetch(struct trust_target *t, struct bld_registry_trust_sigs *out,
		     char sig_digest[BLD_DIGEST_STR_LEN], struct bld_error **err);

/* The layers of the manifest tagged tag (.sig, .att) in t's repository (absent: empty). */
int trust_layers_fetch(struct trust_target *t, const char *tag,
		       struct bld_registry_trust_sigs *out, char sig_digest[BLD_DIGEST_STR_LEN],
		       struct bld_error **err);
/* Appends a layer descriptor (a reference is taken); < 0 when the manifest is full. */
int trust_layers_add(struct bld_registry_trust_sigs *s, struct json_t *desc,
		     struct bld_error **err);

/*
 * The statements of t's attestations (attest.c) of predicate type type (NULL: any) whose
 * envelope verifies with one of keys and whose subject is t->digest: a JSON array, never
 * empty (caller json_decref's); the most telling refusal when none qualifies.
 */
int trust_attested(struct trust_target *t, struct bld_registry_trust_key *const *keys,
		   size_t nkeys, const char *type, struct json_t **out, struct bld_error **err);

/* The requirements of img's scope in the policy (borrowed) and the scope's name. */
struct json_t *trust_policy_reqs(const struct bld_registry_trust_policy *p,
				 const struct bld_registry_trust_image *img, const char **scope);
/* The public keys a requirement names; caller frees each and the vector. */
int trust_policy_keys(struct json_t *req, struct bld_registry_trust_key ***keys, size_t *n,
		      struct bld_error **err);
/*
 * The policy's signedProvenance requirements for img (attest.c): each needs an SLSA v1
 * attestation of t's digest signed by one of its keys whose builder.id is its builderId.
 */
int trust_provenance_check(const struct bld_registry_trust_policy *p,
			   const struct bld_registry_trust_image *img, struct trust_target *t,
			   struct bld_error **err);

/* The signatures of a target with their payloads, ready for checking. */
struct trust_fetched {
	struct bld_registry_trust_sigs sigs;
	struct bld_registry_trust_candidate *c; /* c[i] is sigs.v[i] */
	char **payloads;
	size_t n;
};
int trust_fetched_load(struct trust_fetched *f, struct trust_target *t, struct bld_error **err);
void trust_fetched_dispose(struct trust_fetched *f);

#endif
