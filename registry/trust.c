/*
 * registry/trust.c — content trust against a registry: signing a manifest digest (append a
 * layer to the repository's sha256-<hex>.sig manifest), fetching an image's signatures,
 * resolving a reference to a digest the policy accepts (what `bld pull` with trust on,
 * `bld run` and FROM use), a verified pull, listing signatures, and deleting them.
 *
 * Verification always finishes before anything is fetched into the store: a refused image
 * leaves the store as it was. The bytes and the decisions live in trust_payload.c and
 * trust_policy.c; this file only moves them.
 */
#include "registry/trust_int.h"

#include <jansson.h>

char *bld_registry_trust_identity(const struct bld_registry_ref *r)
{
	/* cosign (go-containerregistry) names Docker Hub "index.docker.io" in payloads */
	if (strcmp(r->domain, "docker.io") == 0)
		return xasprintf("index.docker.io/%s", r->path);
	return bld_registry_ref_name(r);
}

int bld_registry_trust_sign(const char *ref, const char *digest,
			    const struct bld_registry_trust_key *key,
			    const struct bld_registry_opts *o, char out[BLD_DIGEST_STR_LEN],
			    struct bld_error **err)
{
	struct trust_target t;
	if (trust_target_open(&t, ref, digest, o, err) < 0)
		return bld_error_wrap(err, "sign %s", ref);
	cleanup_free char *identity = bld_registry_trust_identity(&t.ref);
	size_t n = 0;
	cleanup_free char *payload = bld_registry_trust_payload_new(identity, t.digest, &n);
	cleanup_free char *sig = NULL, *config = NULL, *manifest = NULL;
	cleanup_free char *tag = bld_registry_trust_sig_tag(t.digest);
	struct bld_registry_trust_sigs sigs = {0};
	char dg[BLD_DIGEST_STR_LEN];
	int r = bld_registry_trust_key_sign(key, payload, n, &sig, err);
	if (r == 0)
		r = trust_sigs_fetch(&t, &sigs, NULL, err);
	if (r == 0)
		r = bld_registry_trust_sigs_add(&sigs, payload, n, sig, err);
	if (r >= 0)
		bld_registry_trust_sigs_build(&sigs, &config, &manifest);
	if (r >= 0)
		r = bld_registry_blob_upload_bytes(t.c, t.ref.path, payload, n, dg, err);
	if (r >= 0)
		r = bld_registry_blob_upload_bytes(t.c, t.ref.path, config, strlen(config), dg,
						   err);
	if (r >= 0)
		r = bld_registry_manifest_put(t.c, t.ref.path, tag, manifest, strlen(manifest),
					      BLD_MT_OCI_MANIFEST, out, err);
	bld_registry_trust_sigs_dispose(&sigs);
	trust_target_dispose(&t);
	if (r < 0)
		return bld_error_wrap(err, "sign %s", ref);
	return 0;
}

void trust_fetched_dispose(struct trust_fetched *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->payloads[i]);
	free(f->payloads);
	free(f->c);
	bld_registry_trust_sigs_dispose(&f->sigs);
	memset(f, 0, sizeof(*f));
}

/*
 * Downloads one payload. A blob that does not match its digest is kept as an empty
 * payload, which the check reports as tampered; other failures are errors.
 */
static int payload_get(struct trust_target *t, const struct bld_registry_trust_sig *s, char **out,
		       size_t *len, struct bld_error **err)
{
	cleanup_error struct bld_error *e = NULL;
	if (s->size < 0 || (size_t)s->size > BLD_TRUST_PAYLOAD_MAX)
		return bld_error_set(err, BLD_E_INVALID, "signature payload %s too large",
				     s->digest);
	int r = bld_registry_blob_get(t->c, t->ref.path, s->digest, BLD_TRUST_PAYLOAD_MAX, out, len,
				      &e);
	if (r < 0 && e && e->code == BLD_E_DIGEST) {
		*out = xstrdup("");
		*len = 0;
		return 0;
	}
	if (r < 0)
		bld_error_move(err, &e);
	return r;
}

int trust_fetched_load(struct trust_fetched *f, struct trust_target *t, struct bld_error **err)
{
	memset(f, 0, sizeof(*f));
	if (trust_sigs_fetch(t, &f->sigs, NULL, err) < 0)
		return -1;
	f->c = xcalloc(f->sigs.n + 1, sizeof(*f->c));
	f->payloads = xcalloc(f->sigs.n + 1, sizeof(*f->payloads));
	for (size_t i = 0; i < f->sigs.n; i++) {
		const struct bld_registry_trust_sig *s = &f->sigs.v[i];
		size_t len = 0;
		if (payload_get(t, s, &f->payloads[f->n], &len, err) < 0) {
			trust_fetched_dispose(f);
			return bld_error_wrap(err, "signature %s", s->digest);
		}
		f->c[f->n] = (struct bld_registry_trust_candidate){f->payloads[f->n], len,
								   s->digest, s->signature};
		f->n++;
	}
	return 0;
}

/* Resolves and verifies; t stays open for the caller on success. */
static int resolve(struct trust_target *t, const char *ref, const char *policy_path,
		   const struct bld_registry_opts *o, struct bld_error **err)
{
	struct bld_registry_trust_policy *p = NULL;
	if (bld_registry_trust_policy_load(&p, policy_path, err) < 0)
		return -1;
	int r = trust_target_open(t, ref, NULL, o, err);
	struct trust_fetched f = {0};
	if (r == 0)
		r = trust_fetched_load(&f, t, err);
	if (r == 0) {
		cleanup_free char *name = bld_registry_ref_name(&t->ref);
		struct bld_registry_trust_image img = {name, t->ref.tag, t->digest,
						       t->ref.digest != NULL};
		r = bld_registry_trust_policy_check(p, &img, f.c, f.n, true, err);
		if (r == 0)
			r = trust_provenance_check(p, &img, t, err);
	}
	trust_fetched_dispose(&f);
	bld_registry_trust_policy_free(p);
	if (r < 0 && t->c)
		trust_target_dispose(t);
	return r;
}

int bld_registry_trust_resolve(const char *ref, const char *policy_path,
			       const struct bld_registry_opts *o, char out[BLD_DIGEST_STR_LEN],
			       struct bld_error **err)
{
	struct trust_target t;
	if (resolve(&t, ref, policy_path, o, err) < 0)
		return bld_error_wrap(err, "content trust for %s", ref);
	memcpy(out, t.digest, BLD_DIGEST_STR_LEN);
	trust_target_dispose(&t);
	return 0;
}

/* Points name:tag at what the digest pull stored under name@digest, recording the digest. */
static int tag_pulled(struct bld_store *s, const char *by_digest, const char *tagged,
		      const char *digest, struct bld_error **err)
{
	struct bld_cache_desc d = {0};
	if (bld_cache_ref_get(s, by_digest, &d, err) < 0)
		return -1;
	memcpy(d.repo_digest, digest, BLD_DIGEST_STR_LEN);
	int r = bld_cache_ref_set_desc(s, tagged, &d, err);
	bld_cache_desc_dispose(&d);
	return r;
}

/* Pulls t's verified digest, and points t's tag at it when the reference named one. */
static int pull_verified(struct bld_store *s, struct trust_target *t,
			 const struct bld_registry_opts *o, struct bld_registry_pull_result *out,
			 struct bld_error **err)
{
	struct bld_registry_ref pin;
	bld_registry_ref_copy(&pin, &t->ref);
	free(pin.tag);
	pin.tag = NULL;
	free(pin.digest);
	pin.digest = xstrdup(t->digest);
	cleanup_free char *pinned = bld_registry_ref_string(&pin);
	cleanup_free char *tagged =
	    t->ref.tag && !t->ref.digest ? bld_registry_ref_string(&t->ref) : NULL;
	bld_registry_ref_dispose(&pin);
	int r = bld_registry_pull(s, pinned, o, out, err);
	if (r == 0 && tagged)
		r = tag_pulled(s, out->name, tagged, out->digest, err);
	/* the by-digest name is this pull's scaffolding unless it was there before */
	if (r == 0 && tagged && out->updated)
		r = bld_cache_ref_delete(s, out->name, err);
	if (r == 0 && tagged) {
		if (!o || !o->quiet)
			printf("Tagging %s as %s\n", pinned, tagged);
		free(out->name);
		out->name = steal_pointer(&tagged);
	}
	return r;
}

int bld_registry_trust_pull(struct bld_store *s, const char *ref, const char *policy_path,
			    const struct bld_registry_opts *o, struct bld_registry_pull_result *out,
			    struct bld_error **err)
{
	struct trust_target t;
	memset(out, 0, sizeof(*out));
	if (resolve(&t, ref, policy_path, o, err) < 0)
		return bld_error_wrap(err, "content trust for %s", ref);
	int r = pull_verified(s, &t, o, out, err);
	trust_target_dispose(&t);
	return r;
}

int bld_registry_trust_use(struct bld_store *s, const char *ref, const char *policy_path,
			   const struct bld_registry_opts *o, int pull,
			   struct bld_cache_image **out, struct bld_error **err)
{
	struct trust_target t;
	*out = NULL;
	if (resolve(&t, ref, policy_path, o, err) < 0)
		return bld_error_wrap(err, "content trust for %s", ref);
	cleanup_error struct bld_error *e = NULL;
	int r = pull == BLD_REGISTRY_PULL_ALWAYS ? -BLD_E_NOTFOUND
						 : bld_cache_image_load(s, t.digest, out, &e);
	bool missing = r < 0 && (!e || e->code == BLD_E_NOTFOUND);
	if (missing && pull == BLD_REGISTRY_PULL_NEVER) {
		r = bld_error_set(err, BLD_E_NOTFOUND, "No such image: %s@%s", ref, t.digest);
	} else if (missing) {
		struct bld_registry_pull_result res;
		memset(&res, 0, sizeof(res));
		r = pull_verified(s, &t, o, &res, err);
		if (r == 0)
			r = bld_cache_image_load(s, res.name, out, err);
		bld_registry_pull_result_dispose(&res);
	} else if (r < 0) {
		bld_error_move(err, &e);
	}
	trust_target_dispose(&t);
	return r;
}
