/*
 * registry/trust_inspect.c — looking at and removing an image's signatures: the list with
 * each signature's claims and whether one of the given keys verifies it, and the deletion
 * of the whole signature manifest (cosign keeps no per-signature revocation either).
 */
#include "registry/trust_int.h"

#include <jansson.h>

/* One signature as JSON. */
static json_t *sig_json(const struct bld_registry_trust_candidate *c,
			struct bld_registry_trust_key *const *keys, size_t nkeys,
			const char *digest)
{
	struct bld_registry_trust_payload pl;
	int ki = -1;
	enum bld_registry_trust_state st =
	    bld_registry_trust_check_sig(c, keys, nkeys, digest, &ki, &pl);
	const char *state = nkeys == 0 && st == BLD_TRUST_SIG_BAD
				? "not checked: no key given"
				: bld_registry_trust_state_str(st);
	json_t *j = json_pack("{s:s,s:s?,s:s?,s:s?,s:b,s:s}", "Digest", c->layer_digest, "Identity",
			      pl.identity, "SignedDigest", pl.digest, "Key",
			      ki >= 0 ? bld_registry_trust_key_fingerprint(keys[ki]) : NULL,
			      "Verified", st == BLD_TRUST_SIG_OK, "State", state);
	bld_registry_trust_payload_dispose(&pl);
	if (!j)
		abort();
	return j;
}

int bld_registry_trust_inspect(const char *ref, struct bld_registry_trust_key *const *keys,
			       size_t nkeys, const struct bld_registry_opts *o, struct json_t **out,
			       struct bld_error **err)
{
	struct trust_target t;
	struct trust_fetched f;
	if (trust_target_open(&t, ref, NULL, o, err) < 0)
		return bld_error_wrap(err, "inspect %s", ref);
	if (trust_fetched_load(&f, &t, err) < 0) {
		trust_target_dispose(&t);
		return bld_error_wrap(err, "inspect %s", ref);
	}
	json_t *list = json_array();
	for (size_t i = 0; i < f.n; i++)
		json_array_append_new(list, sig_json(&f.c[i], keys, nkeys, t.digest));
	cleanup_free char *name = bld_registry_ref_string(&t.ref);
	cleanup_free char *tag = bld_registry_trust_sig_tag(t.digest);
	*out = json_pack("{s:s,s:s,s:s,s:o}", "Name", name, "Digest", t.digest, "SignatureTag", tag,
			 "Signatures", list);
	if (!*out)
		abort();
	trust_fetched_dispose(&f);
	trust_target_dispose(&t);
	return 0;
}

int bld_registry_trust_revoke(const char *ref, const struct bld_registry_opts *o,
			      char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	struct trust_target t;
	struct bld_registry_trust_sigs sigs;
	char dg[BLD_DIGEST_STR_LEN] = "";
	if (trust_target_open(&t, ref, NULL, o, err) < 0)
		return bld_error_wrap(err, "revoke %s", ref);
	int r = trust_sigs_fetch(&t, &sigs, dg, err);
	if (r == 0 && !dg[0])
		r = bld_error_set(err, BLD_E_NOTFOUND, "no signatures for %s", t.digest);
	if (r == 0)
		r = bld_registry_manifest_delete(t.c, t.ref.path, dg, err);
	if (r == 0)
		memcpy(out, dg, BLD_DIGEST_STR_LEN);
	bld_registry_trust_sigs_dispose(&sigs);
	trust_target_dispose(&t);
	if (r < 0)
		return bld_error_wrap(err, "revoke %s", ref);
	return 0;
}
