/*
 * registry/trust_payload.c — the bytes of content trust: the simple-signing payload cosign
 * signs, the OCI manifest and config that carry signatures as layers (one layer per
 * signature, tagged sha256-<hex>.sig), and the check of one signature against keys and a
 * manifest digest. Pure functions over bytes: no files, no network, no policy.
 *
 * Layer descriptors are kept whole, so that annotations written by other tools (cosign's
 * certificates, bundles) survive when a signature is appended.
 */
#include "registry/trust_int.h"

#include <jansson.h>

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define ZERO_TIME "0001-01-01T00:00:00Z"

static char *dump_compact(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	if (!s)
		abort();
	return s;
}

char *bld_registry_trust_payload_new(const char *identity, const char *digest, size_t *len)
{
	/* jansson keeps insertion order: this is the field order cosign's Go structs give */
	json_t *j = json_pack("{s:{s:{s:s},s:{s:s},s:s},s:n}", "critical", "identity",
			      "docker-reference", identity, "image", "docker-manifest-digest",
			      digest, "type", BLD_TRUST_PAYLOAD_TYPE, "optional");
	if (!j)
		abort();
	char *s = dump_compact(j);
	json_decref(j);
	if (len)
		*len = strlen(s);
	return s;
}

static const char *path_str(json_t *j, const char *a, const char *b)
{
	json_t *o = json_object_get(j, a);
	return b ? bld_json_get_str(o, b) : (json_is_string(o) ? json_string_value(o) : NULL);
}

int bld_registry_trust_payload_parse(struct bld_registry_trust_payload *out, const void *data,
				     size_t n, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	if (n > BLD_TRUST_PAYLOAD_MAX)
		return bld_error_set(err, BLD_E_INVALID, "signature payload too large");
	json_t *j = NULL;
	if (bld_json_load_buf(&j, data, n, err) < 0)
		return bld_error_wrap(err, "signature payload");
	json_t *crit = json_object_get(j, "critical");
	const char *id = path_str(crit, "identity", "docker-reference");
	const char *dg = path_str(crit, "image", "docker-manifest-digest");
	const char *ty = path_str(crit, "type", NULL);
	int r = 0;
	if (!id || !dg || !ty)
		r = bld_error_set(err, BLD_E_INVALID,
				  "signature payload lacks critical identity, image or type");
	else {
		out->identity = xstrdup(id);
		out->digest = xstrdup(dg);
		out->type = xstrdup(ty);
	}
	json_decref(j);
	return r;
}

void bld_registry_trust_payload_dispose(struct bld_registry_trust_payload *p)
{
	free(p->identity);
	free(p->digest);
	free(p->type);
	memset(p, 0, sizeof(*p));
}

char *bld_registry_trust_sig_tag(const char *manifest_digest)
{
	const char *colon = strchr(manifest_digest, ':');
	if (!colon)
		return xasprintf("%s.sig", manifest_digest);
	return xasprintf("%.*s-%s.sig", (int)(colon - manifest_digest), manifest_digest, colon + 1);
}

/* Fills one sig from a layer descriptor (which it takes a reference to). */
static int sig_from_desc(struct bld_registry_trust_sig *s, json_t *desc, struct bld_error **err)
{
	const char *mt = bld_json_get_str(desc, "mediaType");
	const char *dg = bld_json_get_str(desc, "digest");
	json_t *size = json_object_get(desc, "size");
	if (!mt || !dg || !bld_digest_valid(dg) || !json_is_integer(size) ||
	    json_integer_value(size) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "signature manifest has a malformed layer");
	memset(s, 0, sizeof(*s));
	snprintf(s->digest, sizeof(s->digest), "%s", dg);
	s->size = json_integer_value(size);
	s->media_type = xstrdup(mt);
	const char *sig =
	    bld_json_get_str(json_object_get(desc, "annotations"), BLD_TRUST_SIG_ANNOTATION);
	s->signature = sig ? xstrdup(sig) : NULL;
	s->desc = json_incref(desc);
	return 0;
}

int bld_registry_trust_sigs_parse(struct bld_registry_trust_sigs *out, const void *manifest,
				  size_t n, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	if (n > BLD_TRUST_SIG_MANIFEST_MAX)
		return bld_error_set(err, BLD_E_INVALID, "signature manifest too large");
	json_t *j = NULL;
	if (bld_json_load_buf(&j, manifest, n, err) < 0)
		return bld_error_wrap(err, "signature manifest");
	json_t *layers = json_object_get(j, "layers");
	int r = 0;
	if (!json_is_array(layers))
		r = bld_error_set(err, BLD_E_INVALID, "signature manifest has no layers");
	else if (json_array_size(layers) > BLD_TRUST_SIGS_MAX)
		r = bld_error_set(err, BLD_E_INVALID, "more than %d signatures",
				  BLD_TRUST_SIGS_MAX);
	size_t cnt = r == 0 ? json_array_size(layers) : 0;
	out->v = xcalloc(cnt + 1, sizeof(*out->v));
	for (size_t i = 0; r == 0 && i < cnt; i++) {
		r = sig_from_desc(&out->v[i], json_array_get(layers, i), err);
		if (r == 0)
			out->n++;
	}
	json_decref(j);
	if (r < 0)
		bld_registry_trust_sigs_dispose(out);
	return r;
}

void bld_registry_trust_sigs_dispose(struct bld_registry_trust_sigs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].media_type);
		free(s->v[i].signature);
		json_decref(s->v[i].desc);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int bld_registry_trust_sigs_add(struct bld_registry_trust_sigs *s, const void *payload, size_t n,
				const char *sig_b64, struct bld_error **err)
{
	char dg[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(payload, n, dg);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].digest, dg) == 0 && s->v[i].signature &&
		    strcmp(s->v[i].signature, sig_b64) == 0)
			return 0;
	json_t *desc = json_pack("{s:s,s:I,s:s,s:{s:s}}", "mediaType", BLD_TRUST_SIG_MEDIA_TYPE,
				 "size", (json_int_t)n, "digest", dg, "annotations",
				 BLD_TRUST_SIG_ANNOTATION, sig_b64);
	if (!desc)
		abort();
	int r = trust_layers_add(s, desc, err);
	json_decref(desc);
	return r < 0 ? r : 1;
}

int trust_layers_add(struct bld_registry_trust_sigs *s, json_t *desc, struct bld_error **err)
{
	if (s->n >= BLD_TRUST_SIGS_MAX)
		return bld_error_set(err, BLD_E_INVALID, "image already has %d signatures",
				     BLD_TRUST_SIGS_MAX);
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	int r = sig_from_desc(&s->v[s->n], desc, err);
	if (r == 0)
		s->n++;
	return r;
}

/* The image config go-containerregistry writes for an image of only these layers. */
static char *sig_config(const struct bld_registry_trust_sigs *s)
{
	json_t *history = json_array(), *diff_ids = json_array();
	for (size_t i = 0; i < s->n; i++) {
		json_array_append_new(history, json_pack("{s:s}", "created", ZERO_TIME));
		json_array_append_new(diff_ids, json_string(s->v[i].digest));
	}
	json_t *j = json_pack("{s:s,s:s,s:o,s:s,s:{s:s,s:o},s:{}}", "architecture", "", "created",
			      ZERO_TIME, "history", history, "os", "", "rootfs", "type", "layers",
			      "diff_ids", diff_ids, "config");
	if (!j)
		abort();
	char *out = dump_compact(j);
	json_decref(j);
	return out;
}

void bld_registry_trust_sigs_build(const struct bld_registry_trust_sigs *s, char **config,
				   char **manifest)
{
	char *cfg = sig_config(s);
	char dg[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(cfg, strlen(cfg), dg);
	json_t *layers = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append(layers, s->v[i].desc);
	json_t *j = json_pack("{s:i,s:s,s:{s:s,s:I,s:s},s:o}", "schemaVersion", 2, "mediaType",
			      OCI_MANIFEST, "config", "mediaType", OCI_CONFIG, "size",
			      (json_int_t)strlen(cfg), "digest", dg, "layers", layers);
	if (!j)
		abort();
	*manifest = dump_compact(j);
	json_decref(j);
	*config = cfg;
}

const char *bld_registry_trust_state_str(enum bld_registry_trust_state s)
{
	switch (s) {
	case BLD_TRUST_SIG_TAMPERED:
		return "tampered signature: the payload does not match its layer digest";
	case BLD_TRUST_SIG_UNSIGNED:
		return "bad signature: the layer carries no signature";
	case BLD_TRUST_SIG_BAD:
		return "bad signature: it does not verify with the trusted keys";
	case BLD_TRUST_SIG_MALFORMED:
		return "bad signature: the payload is not a cosign image signature";
	case BLD_TRUST_SIG_OTHER_DIGEST:
		return "signature for another image: it signs a different manifest digest";
	case BLD_TRUST_SIG_IDENTITY:
		return "signed identity not accepted by the policy";
	case BLD_TRUST_SIG_OK:
		return "verified";
	}
	return "unknown";
}

/* The first key (index) that verifies the candidate's signature, or -1. */
static int first_key(const struct bld_registry_trust_candidate *c,
		     struct bld_registry_trust_key *const *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++) {
		cleanup_error struct bld_error *e = NULL;
		if (bld_registry_trust_key_verify(keys[i], c->payload, c->payload_len, c->signature,
						  &e) == 0)
			return (int)i;
	}
	return -1;
}

enum bld_registry_trust_state bld_registry_trust_check_sig(
    const struct bld_registry_trust_candidate *c, struct bld_registry_trust_key *const *keys,
    size_t nkeys, const char *digest, int *key_index, struct bld_registry_trust_payload *payload)
{
	char dg[BLD_DIGEST_STR_LEN];
	*key_index = -1;
	memset(payload, 0, sizeof(*payload));
	bld_sha256_digest(c->payload, c->payload_len, dg);
	if (!c->layer_digest || strcmp(dg, c->layer_digest) != 0)
		return BLD_TRUST_SIG_TAMPERED;
	cleanup_error struct bld_error *e = NULL;
	bool parsed =
	    bld_registry_trust_payload_parse(payload, c->payload, c->payload_len, &e) == 0;
	if (!c->signature)
		return BLD_TRUST_SIG_UNSIGNED;
	*key_index = first_key(c, keys, nkeys);
	if (*key_index < 0)
		return BLD_TRUST_SIG_BAD;
	if (!parsed || strcmp(payload->type, BLD_TRUST_PAYLOAD_TYPE) != 0)
		return BLD_TRUST_SIG_MALFORMED;
	if (strcmp(payload->digest, digest) != 0)
		return BLD_TRUST_SIG_OTHER_DIGEST;
	return BLD_TRUST_SIG_OK;
}
