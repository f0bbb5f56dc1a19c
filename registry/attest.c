/*
 * registry/attest.c — attestations as cosign keeps them: an in-toto statement in a DSSE
 * envelope (payloadType application/vnd.in-toto+json, signed over DSSE's pre-authentication
 * encoding with the trust key), each envelope a layer of the manifest tagged sha256-<hex>.att
 * beside the image, annotated with its predicate type; and the same envelope as an OCI 1.1
 * referrer of the image (a manifest whose subject is the image), where the registry takes it.
 * Never as an entry of an image index: no "unknown/unknown" platform appears.
 *
 * Checking an envelope is a pure function over bytes (the signature, the payload type, the
 * statement's predicate type and subject); this file also moves them to and from registries.
 */
#include "registry/trust_int.h"

#include <jansson.h>

#define DSSE_MEDIA_TYPE "application/vnd.dsse.envelope.v1+json"
#define EMPTY_MEDIA_TYPE "application/vnd.oci.empty.v1+json"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define PREDICATE_ANNOTATION "predicateType"

/* DSSE v1 pre-authentication encoding of payload; caller frees. */
static char *pae(const void *payload, size_t n, size_t *len)
{
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_printf(&b, "DSSEv1 %zu %s %zu ", strlen(BLD_ATTEST_PAYLOAD_TYPE),
		       BLD_ATTEST_PAYLOAD_TYPE, n);
	bld_buf_add(&b, payload, n);
	*len = b.len;
	return bld_buf_detach(&b);
}

int bld_registry_attest_envelope(const struct bld_registry_trust_key *k, const void *statement,
				 size_t n, char **out, struct bld_error **err)
{
	size_t plen = 0;
	cleanup_free char *msg = pae(statement, n, &plen);
	cleanup_free char *sig = NULL;
	if (bld_registry_trust_key_sign(k, msg, plen, &sig, err) < 0)
		return -1;
	cleanup_free char *payload = trust_b64_encode(statement, n);
	json_t *env = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payloadType", BLD_ATTEST_PAYLOAD_TYPE,
				"payload", payload, "signatures", "keyid", "", "sig", sig);
	if (!env)
		abort();
	*out = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	if (!*out)
		abort();
	return 0;
}

/* Whether some signature of the envelope verifies over msg with one of keys. */
static bool signed_by(json_t *sigs, const char *msg, size_t len,
		      struct bld_registry_trust_key *const *keys, size_t nkeys)
{
	size_t i;
	json_t *s;
	json_array_foreach(sigs, i, s) {
		const char *sig = bld_json_get_str(s, "sig");
		for (size_t k = 0; sig && k < nkeys; k++) {
			cleanup_error struct bld_error *e = NULL;
			if (bld_registry_trust_key_verify(keys[k], msg, len, sig, &e) == 0)
				return true;
		}
	}
	return false;
}

/* The statement's claims: its predicate type and that its one subject is digest. */
static int check_statement(json_t *st, const char *digest, const char *type,
			   struct bld_error **err)
{
	const char *pt = bld_json_get_str(st, "predicateType");
	json_t *subj = json_object_get(st, "subject");
	const char *hex = bld_json_get_str(json_object_get(json_array_get(subj, 0), "digest"),
					   "sha256");
	if (!pt || !json_is_object(json_object_get(st, "predicate")))
		return bld_error_set(err, BLD_E_INVALID, "not an in-toto statement");
	if (type && strcmp(pt, type) != 0)
		return bld_error_set(err, BLD_E_INVALID, "predicate type %s, not %s", pt, type);
	if (json_array_size(subj) != 1 || !hex || strcmp(hex, digest + 7) != 0)
		return bld_error_set(err, BLD_E_DIGEST,
				     "statement for another image: its subject is sha256:%s, the "
				     "image is %s",
				     hex ? hex : "(none)", digest);
	return 0;
}

int bld_registry_attest_check(const void *envelope, size_t n,
			      struct bld_registry_trust_key *const *keys, size_t nkeys,
			      const char *digest, const char *type, struct json_t **out,
			      struct bld_error **err)
{
	json_t *env = NULL;
	if (bld_json_load_buf(&env, envelope, n, err) < 0)
		return bld_error_wrap(err, "attestation envelope");
	const char *pt = bld_json_get_str(env, "payloadType");
	const char *p64 = bld_json_get_str(env, "payload");
	cleanup_free unsigned char *payload = NULL;
	size_t plen = 0, mlen = 0;
	json_t *st = NULL;
	int r = 0;
	trust_sodium_init();
	if (!pt || strcmp(pt, BLD_ATTEST_PAYLOAD_TYPE) != 0 || !p64 ||
	    trust_b64_decode(p64, &payload, &plen) < 0)
		r = bld_error_set(err, BLD_E_INVALID, "not a DSSE envelope of an in-toto statement");
	cleanup_free char *msg = r == 0 ? pae(payload, plen, &mlen) : NULL;
	if (r == 0 && !signed_by(json_object_get(env, "signatures"), msg, mlen, keys, nkeys))
		r = bld_error_set(err, BLD_E_AUTH,
				  "bad signature: the envelope does not verify with the key");
	if (r == 0 && bld_json_load_buf(&st, payload, plen, err) < 0)
		r = bld_error_wrap(err, "attestation statement");
	if (r == 0)
		r = check_statement(st, digest, type, err);
	json_decref(env);
	if (r < 0) {
		json_decref(st);
		return r;
	}
	*out = st;
	return 0;
}

char *bld_registry_attest_tag(const char *manifest_digest)
{
	cleanup_free char *sig = bld_registry_trust_sig_tag(manifest_digest);
	sig[strlen(sig) - 4] = '\0';
	return xasprintf("%s.att", sig);
}

static const char *layer_type(const struct bld_registry_trust_sig *l)
{
	return bld_json_get_str(json_object_get(l->desc, "annotations"), PREDICATE_ANNOTATION);
}

/* The .att manifest's layers with those of desc's predicate type replaced by desc. */
static int att_replace(struct trust_target *t, json_t *desc, const char *type, char **config,
		       char **manifest, struct bld_error **err)
{
	struct bld_registry_trust_sigs old, keep = {0};
	cleanup_free char *tag = bld_registry_attest_tag(t->digest);
	if (trust_layers_fetch(t, tag, &old, NULL, err) < 0)
		return -1;
	keep.v = xcalloc(1, sizeof(*keep.v));
	int r = 0;
	for (size_t i = 0; r == 0 && i < old.n; i++) {
		const char *lt = layer_type(&old.v[i]);
		if (!lt || strcmp(lt, type) != 0)
			r = trust_layers_add(&keep, old.v[i].desc, err);
	}
	if (r == 0)
		r = trust_layers_add(&keep, desc, err);
	if (r == 0)
		bld_registry_trust_sigs_build(&keep, config, manifest);
	bld_registry_trust_sigs_dispose(&old);
	bld_registry_trust_sigs_dispose(&keep);
	return r;
}

/*
 * The referrers tag schema of OCI distribution 1.1 for registries without the referrers API:
 * the index tagged sha256-<hex> lists the referrers of the image; the entry of one predicate
 * type is replaced, others are kept.
 */
static int referrers_tag(struct trust_target *t, const char *mdg, size_t mlen, const char *type,
			 struct bld_error **err)
{
	cleanup_free char *sig = bld_registry_trust_sig_tag(t->digest);
	sig[strlen(sig) - 4] = '\0';
	struct bld_registry_manifest m = {0};
	cleanup_error struct bld_error *e = NULL;
	json_t *idx = NULL;
	if (bld_registry_manifest_get(t->c, t->ref.path, sig, &m, &e) == 0)
		bld_json_load_buf(&idx, m.data, m.len, &e);
	bld_registry_manifest_dispose(&m);
	json_t *list = json_object_get(idx, "manifests");
	if (!json_is_array(list)) {
		json_decref(idx);
		idx = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType",
				BLD_MT_OCI_INDEX, "manifests");
		list = json_object_get(idx, "manifests");
	}
	for (size_t i = json_array_size(list); i-- > 0;) {
		const char *lt = bld_json_get_str(
		    json_object_get(json_array_get(list, i), "annotations"), PREDICATE_ANNOTATION);
		if (lt && strcmp(lt, type) == 0)
			json_array_remove(list, i);
	}
	json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:s,s:{s:s}}", "mediaType",
					      BLD_MT_OCI_MANIFEST, "digest", mdg, "size",
					      (json_int_t)mlen, "artifactType",
					      BLD_ATTEST_PAYLOAD_TYPE, "annotations",
					      PREDICATE_ANNOTATION, type));
	cleanup_free char *body = json_dumps(idx, JSON_COMPACT);
	json_decref(idx);
	char dg[BLD_DIGEST_STR_LEN];
	return bld_registry_manifest_put(t->c, t->ref.path, sig, body, strlen(body),
					 BLD_MT_OCI_INDEX, dg, err);
}

/*
 * The envelope as an OCI 1.1 referrer of the image (subject), listed under the referrers tag
 * too: best effort, since a registry may refuse such a manifest; the .att tag holds the
 * envelope either way.
 */
static void referrer_put(struct trust_target *t, json_t *desc, const char *type,
			 const struct bld_registry_manifest *subject)
{
	char dg[BLD_DIGEST_STR_LEN];
	cleanup_error struct bld_error *e = NULL;
	json_t *m = json_pack("{s:i,s:s,s:s,s:{s:s,s:s,s:i},s:[O],s:{s:s,s:s,s:I},s:{s:s}}",
			      "schemaVersion", 2, "mediaType", BLD_MT_OCI_MANIFEST, "artifactType",
			      BLD_ATTEST_PAYLOAD_TYPE, "config", "mediaType", EMPTY_MEDIA_TYPE,
			      "digest", EMPTY_DIGEST, "size", 2, "layers", desc, "subject",
			      "mediaType", subject->media_type, "digest", subject->digest, "size",
			      (json_int_t)subject->len, "annotations", PREDICATE_ANNOTATION, type);
	if (!m)
		abort();
	cleanup_free char *body = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	char mdg[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(body, strlen(body), mdg);
	if (bld_registry_blob_upload_bytes(t->c, t->ref.path, "{}", 2, dg, &e) < 0 ||
	    bld_registry_manifest_put(t->c, t->ref.path, mdg, body, strlen(body),
				      BLD_MT_OCI_MANIFEST, dg, &e) < 0 ||
	    referrers_tag(t, mdg, strlen(body), type, &e) < 0)
		bld_debug("attestation referrer of %s not stored: %s", t->digest, e->msg);
}

/* Signs one stored statement and attaches it to t's digest. */
static int attach(struct trust_target *t, const struct bld_registry_trust_key *k,
		  const char *statement, size_t n, const struct bld_registry_manifest *subject,
		  struct bld_error **err)
{
	json_t *st = NULL;
	if (bld_json_load_buf(&st, statement, n, err) < 0)
		return -1;
	int r = check_statement(st, t->digest, NULL, err);
	cleanup_free char *type = r == 0 ? xstrdup(bld_json_get_str(st, "predicateType")) : NULL;
	json_decref(st);
	cleanup_free char *env = NULL, *config = NULL, *manifest = NULL;
	cleanup_free char *tag = bld_registry_attest_tag(t->digest);
	char dg[BLD_DIGEST_STR_LEN];
	if (r == 0)
		r = bld_registry_attest_envelope(k, statement, n, &env, err);
	if (r == 0)
		r = bld_registry_blob_upload_bytes(t->c, t->ref.path, env, strlen(env), dg, err);
	json_t *desc = r < 0 ? NULL
			     : json_pack("{s:s,s:I,s:s,s:{s:s,s:s}}", "mediaType", DSSE_MEDIA_TYPE,
					 "size", (json_int_t)strlen(env), "digest", dg,
					 "annotations", BLD_TRUST_SIG_ANNOTATION, "",
					 PREDICATE_ANNOTATION, type);
	if (r == 0)
		r = att_replace(t, desc, type, &config, &manifest, err);
	if (r == 0)
		r = bld_registry_blob_upload_bytes(t->c, t->ref.path, config, strlen(config), dg,
						   err);
	if (r == 0)
		r = bld_registry_manifest_put(t->c, t->ref.path, tag, manifest, strlen(manifest),
					      BLD_MT_OCI_MANIFEST, dg, err);
	if (r == 0)
		referrer_put(t, desc, type, subject);
	json_decref(desc);
	return r;
}

int bld_registry_attest_push(struct bld_store *s, const char *ref, const char *digest,
			     const struct bld_registry_trust_key *k,
			     const struct bld_registry_opts *o, char ***attached,
			     struct bld_error **err)
{
	static const char *const kinds[] = {"provenance", "sbom"};
	char *docs[2] = {NULL, NULL};
	size_t lens[2] = {0, 0};
	*attached = NULL;
	for (size_t i = 0; i < 2; i++) {
		cleanup_error struct bld_error *e = NULL;
		if (bld_cache_attest_get(s, digest, kinds[i], &docs[i], &lens[i], &e) < 0 &&
		    e->code != BLD_E_NOTFOUND) {
			bld_error_move(err, &e);
			return -1;
		}
	}
	struct trust_target t = {0};
	struct bld_registry_manifest m = {0};
	int r = docs[0] || docs[1] ? trust_target_open(&t, ref, digest, o, err) : 0;
	if (r == 0 && t.c)
		r = bld_registry_manifest_get(t.c, t.ref.path, digest, &m, err);
	for (size_t i = 0; i < 2; i++) {
		if (r == 0 && docs[i])
			r = attach(&t, k, docs[i], lens[i], &m, err);
		if (r == 0 && docs[i])
			bld_strv_push(attached, kinds[i]);
		free(docs[i]);
	}
	bld_registry_manifest_dispose(&m);
	if (t.c)
		trust_target_dispose(&t);
	if (r < 0)
		return bld_error_wrap(err, "attest %s", ref);
	return 0;
}

/* One layer of the .att manifest checked: its statement into *out, or why not. */
static int layer_check(struct trust_target *t, const struct bld_registry_trust_sig *l,
		       struct bld_registry_trust_key *const *keys, size_t nkeys, const char *type,
		       json_t **out, struct bld_error **err)
{
	cleanup_free char *env = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	if (l->size < 0 || (size_t)l->size > BLD_ATTEST_ENVELOPE_MAX)
		return bld_error_set(err, BLD_E_INVALID, "attestation %s too large", l->digest);
	int r = bld_registry_blob_get(t->c, t->ref.path, l->digest, BLD_ATTEST_ENVELOPE_MAX, &env,
				      &len, &e);
	if (r < 0 && e->code == BLD_E_DIGEST)
		return bld_error_set(err, BLD_E_DIGEST,
				     "tampered attestation: the envelope does not match its layer "
				     "digest %s",
				     l->digest);
	if (r < 0) {
		bld_error_move(err, &e);
		return r;
	}
	return bld_registry_attest_check(env, len, keys, nkeys, t->digest, type, out, err);
}

int trust_attested(struct trust_target *t, struct bld_registry_trust_key *const *keys,
		   size_t nkeys, const char *type, json_t **out, struct bld_error **err)
{
	struct bld_registry_trust_sigs ls;
	cleanup_free char *tag = bld_registry_attest_tag(t->digest);
	if (trust_layers_fetch(t, tag, &ls, NULL, err) < 0)
		return -1;
	*out = json_array();
	cleanup_error struct bld_error *last = NULL;
	for (size_t i = 0; i < ls.n; i++) {
		const struct bld_registry_trust_sig *l = &ls.v[i];
		const char *lt = layer_type(l);
		json_t *st = NULL;
		if (strcmp(l->media_type, DSSE_MEDIA_TYPE) != 0 || (type && lt && strcmp(lt, type)))
			continue;
		bld_error_free(last);
		last = NULL;
		if (layer_check(t, l, keys, nkeys, type, &st, &last) == 0)
			json_array_append_new(*out, st);
	}
	bld_registry_trust_sigs_dispose(&ls);
	if (json_array_size(*out) > 0)
		return 0;
	json_decref(*out);
	*out = NULL;
	if (last) {
		bld_error_move(err, &last);
		return -(*err)->code;
	}
	return bld_error_set(err, BLD_E_NOTFOUND, "no %s attestation for %s",
			     type ? type : "", t->digest);
}

int bld_registry_attest_verify(const char *ref, struct bld_registry_trust_key *const *keys,
			       size_t nkeys, const char *type, const struct bld_registry_opts *o,
			       struct json_t **out, struct bld_error **err)
{
	struct trust_target t;
	if (trust_target_open(&t, ref, NULL, o, err) < 0)
		return bld_error_wrap(err, "verify attestation of %s", ref);
	int r = trust_attested(&t, keys, nkeys, type, out, err);
	trust_target_dispose(&t);
	if (r < 0)
		return bld_error_wrap(err, "verify attestation of %s", ref);
	return 0;
}

/* Whether a statement's builder is id. */
static bool built_by(json_t *sts, const char *id, const char **seen)
{
	size_t i;
	json_t *st;
	json_array_foreach(sts, i, st) {
		json_t *b = json_object_get(json_object_get(json_object_get(st, "predicate"),
							    "runDetails"),
					    "builder");
		const char *got = bld_json_get_str(b, "id");
		if (got && strcmp(got, id) == 0)
			return true;
		*seen = got ? got : "(none)";
	}
	return false;
}

/* One signedProvenance requirement against t's attestations. */
static int provenance_req(json_t *req, struct trust_target *t, const char *scope,
			  struct bld_error **err)
{
	struct bld_registry_trust_key **keys = NULL;
	size_t n = 0;
	json_t *sts = NULL;
	const char *want = bld_json_get_str(req, "builderId"), *seen = "(none)";
	int r = trust_policy_keys(req, &keys, &n, err);
	if (r == 0)
		r = trust_attested(t, keys, n, BLD_ATTEST_SLSA_V1, &sts, err);
	if (r == 0 && !built_by(sts, want, &seen))
		r = bld_error_set(err, BLD_E_AUTH,
				  "provenance from builder %s, the trust policy wants %s", seen,
				  want);
	json_decref(sts);
	for (size_t i = 0; i < n; i++)
		bld_registry_trust_key_free(keys[i]);
	free(keys);
	if (r < 0)
		return bld_error_wrap(err, "signed provenance (scope \"%s\")", scope);
	return 0;
}

int trust_provenance_check(const struct bld_registry_trust_policy *p,
			   const struct bld_registry_trust_image *img, struct trust_target *t,
			   struct bld_error **err)
{
	const char *scope = NULL;
	json_t *reqs = trust_policy_reqs(p, img, &scope);
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		json_t *req = json_array_get(reqs, i);
		const char *type = bld_json_get_str(req, "type");
		if (type && strcmp(type, "signedProvenance") == 0 &&
		    provenance_req(req, t, scope, err) < 0)
			return -1;
	}
	return 0;
}
