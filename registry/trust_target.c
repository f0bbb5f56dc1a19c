/*
 * registry/trust_target.c — what the trust files share to reach a registry: a reference
 * parsed and resolved to the digest it names, and the layers of the manifest tagged beside
 * that digest (sha256-<hex>.sig, .att). It calls none of the trust files above it (trust.c,
 * attest.c, trust_inspect.c).
 */
#include "registry/trust_int.h"

void trust_target_dispose(struct trust_target *t)
{
	bld_registry_ref_dispose(&t->ref);
	bld_registry_client_free(t->c);
	memset(t, 0, sizeof(*t));
}

/* Parses ref and resolves it: its digest, or the digest its tag points at now. */
int trust_target_open(struct trust_target *t, const char *ref, const char *digest,
		      const struct bld_registry_opts *o, struct bld_error **err)
{
	static const struct bld_registry_opts defaults = {0};
	memset(t, 0, sizeof(*t));
	if (bld_registry_ref_parse(&t->ref, ref, err) < 0)
		return -BLD_E_INVALID;
	int r = bld_registry_client_new(&t->c, t->ref.domain, o ? o : &defaults, err);
	const char *want = digest ? digest : t->ref.digest;
	if (r == 0 && want)
		snprintf(t->digest, sizeof(t->digest), "%s", want);
	else if (r == 0) {
		struct bld_registry_manifest m = {0};
		r = bld_registry_manifest_get(t->c, t->ref.path, t->ref.tag, &m, err);
		if (r == 0)
			memcpy(t->digest, m.digest, sizeof(t->digest));
		bld_registry_manifest_dispose(&m);
	}
	if (r < 0)
		trust_target_dispose(t);
	return r;
}

/* The signature manifest of digest, parsed; an absent one is an empty list. */
int trust_sigs_fetch(struct trust_target *t, struct bld_registry_trust_sigs *out,
		     char sig_digest[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	cleanup_free char *tag = bld_registry_trust_sig_tag(t->digest);
	return trust_layers_fetch(t, tag, out, sig_digest, err);
}

int trust_layers_fetch(struct trust_target *t, const char *tag,
		       struct bld_registry_trust_sigs *out, char sig_digest[BLD_DIGEST_STR_LEN],
		       struct bld_error **err)
{
	struct bld_registry_manifest m = {0};
	cleanup_error struct bld_error *e = NULL;
	memset(out, 0, sizeof(*out));
	int r = bld_registry_manifest_get(t->c, t->ref.path, tag, &m, &e);
	/* the error's code, not r: a bare -1 from a failure below equals -BLD_E_NOTFOUND, and a
	 * registry that could not be asked must not read as an image without signatures */
	if (r < 0 && e && e->code == BLD_E_NOTFOUND) {
		out->v = xcalloc(1, sizeof(*out->v));
		return 0;
	}
	if (r < 0) {
		bld_error_move(err, &e);
		return bld_error_wrap(err, "signatures of %s", t->digest);
	}
	if (sig_digest)
		memcpy(sig_digest, m.digest, BLD_DIGEST_STR_LEN);
	r = bld_registry_trust_sigs_parse(out, m.data, m.len, err);
	bld_registry_manifest_dispose(&m);
	return r;
}
