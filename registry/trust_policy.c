/*
 * registry/trust_policy.c — containers' policy.json for the docker transport: strict parsing
 * (unknown fields and requirement types are errors, as containers/image treats them), the
 * scope lookup (most specific wins), signedIdentity matching, and the decision whether an
 * image with the signatures found for it is accepted.
 *
 * Only the docker transport is consulted; other transports are parsed and validated but
 * never applied. signedBy (GPG) and keyless sigstore (fulcio, rekor, pki) requirements parse
 * but refuse the image when they apply, since bld cannot check them.
 */
#include "registry/trust_int.h"

#include <jansson.h>
#include <sys/stat.h>

#define KEYS_MAX 64

struct bld_registry_trust_policy {
	json_t *root;
};

/* Every member of obj must be named in allowed (NULL-terminated). */
static int only_fields(json_t *obj, const char *const *allowed, const char *what,
		       struct bld_error **err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok)
			return bld_error_set(err, BLD_E_INVALID, "unknown field \"%s\" in %s", key,
					     what);
	}
	return 0;
}

/* A string member that must be present and non-empty. */
static const char *need_str(json_t *obj, const char *key)
{
	const char *s = bld_json_get_str(obj, key);
	return s && *s ? s : NULL;
}

static int validate_identity(json_t *rule, struct bld_error **err)
{
	static const char *const plain[] = {"type", NULL};
	static const char *const exref[] = {"type", "dockerReference", NULL};
	static const char *const exrepo[] = {"type", "dockerRepository", NULL};
	static const char *const remap[] = {"type", "prefix", "signedPrefix", NULL};
	const char *type = bld_json_get_str(rule, "type");
	if (!json_is_object(rule) || !type)
		return bld_error_set(err, BLD_E_INVALID, "signedIdentity needs a type");
	if (!strcmp(type, "matchExact") || !strcmp(type, "matchRepoDigestOrExact") ||
	    !strcmp(type, "matchRepository"))
		return only_fields(rule, plain, type, err);
	if (!strcmp(type, "exactReference"))
		return need_str(rule, "dockerReference")
			   ? only_fields(rule, exref, type, err)
			   : bld_error_set(err, BLD_E_INVALID, "%s needs dockerReference", type);
	if (!strcmp(type, "exactRepository"))
		return need_str(rule, "dockerRepository")
			   ? only_fields(rule, exrepo, type, err)
			   : bld_error_set(err, BLD_E_INVALID, "%s needs dockerRepository", type);
	if (!strcmp(type, "remapIdentity"))
		return need_str(rule, "prefix") && need_str(rule, "signedPrefix")
			   ? only_fields(rule, remap, type, err)
			   : bld_error_set(err, BLD_E_INVALID,
					   "remapIdentity needs prefix and signedPrefix");
	return bld_error_set(err, BLD_E_INVALID, "unknown signedIdentity type \"%s\"", type);
}

/* How many of the key sources a sigstoreSigned requirement names. */
static int key_sources(json_t *req)
{
	static const char *const src[] = {"keyPath",  "keyPaths", "keyData",
					  "keyDatas", "fulcio",	  "pki"};
	int n = 0;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(src); i++)
		n += json_object_get(req, src[i]) != NULL;
	return n;
}

static int validate_sigstore(json_t *req, struct bld_error **err)
{
	static const char *const fields[] = {"type",
					     "keyPath",
					     "keyPaths",
					     "keyData",
					     "keyDatas",
					     "fulcio",
					     "pki",
					     "rekorPublicKeyPath",
					     "rekorPublicKeyPaths",
					     "rekorPublicKeyData",
					     "rekorPublicKeyDatas",
					     "signedIdentity",
					     NULL};
	if (only_fields(req, fields, "sigstoreSigned", err) < 0)
		return -BLD_E_INVALID;
	if (key_sources(req) != 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "sigstoreSigned needs exactly one of keyPath, keyPaths, "
				     "keyData, keyDatas, fulcio, pki");
	json_t *id = json_object_get(req, "signedIdentity");
	return id ? validate_identity(id, err) : 0;
}

/* bld's own requirement: a signed SLSA provenance from a named builder (attest.c checks it). */
static int validate_provenance(json_t *req, struct bld_error **err)
{
	static const char *const fields[] = {"type",	 "keyPath",  "keyPaths", "keyData",
					     "keyDatas", "builderId", NULL};
	if (only_fields(req, fields, "signedProvenance", err) < 0)
		return -BLD_E_INVALID;
	if (key_sources(req) != 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "signedProvenance needs exactly one of keyPath, keyPaths, "
				     "keyData, keyDatas");
	if (!need_str(req, "builderId"))
		return bld_error_set(err, BLD_E_INVALID, "signedProvenance needs a builderId");
	return 0;
}

static int validate_req(json_t *req, struct bld_error **err)
{
	static const char *const plain[] = {"type", NULL};
	static const char *const signed_by[] = {"type",	   "keyType",	     "keyPath", "keyPaths",
						"keyData", "signedIdentity", NULL};
	const char *type = bld_json_get_str(req, "type");
	if (!json_is_object(req) || !type)
		return bld_error_set(err, BLD_E_INVALID, "policy requirement needs a type");
	if (!strcmp(type, "insecureAcceptAnything") || !strcmp(type, "reject"))
		return only_fields(req, plain, type, err);
	if (!strcmp(type, "sigstoreSigned"))
		return validate_sigstore(req, err);
	if (!strcmp(type, "signedBy"))
		return only_fields(req, signed_by, type, err);
	if (!strcmp(type, "signedProvenance"))
		return validate_provenance(req, err);
	return bld_error_set(err, BLD_E_INVALID, "unknown policy requirement type \"%s\"", type);
}

static int validate_reqs(json_t *reqs, const char *where, struct bld_error **err)
{
	if (!json_is_array(reqs) || json_array_size(reqs) == 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "%s: needs a non-empty list of requirements", where);
	for (size_t i = 0; i < json_array_size(reqs); i++)
		if (validate_req(json_array_get(reqs, i), err) < 0)
			return bld_error_wrap(err, "%s", where);
	return 0;
}

static int validate_transports(json_t *tr, struct bld_error **err)
{
	if (!json_is_object(tr))
		return bld_error_set(err, BLD_E_INVALID, "transports must be an object");
	const char *name, *scope;
	json_t *scopes, *reqs;
	json_object_foreach(tr, name, scopes)
	{
		if (!json_is_object(scopes))
			return bld_error_set(err, BLD_E_INVALID, "transport %s must be an object",
					     name);
		json_object_foreach(scopes, scope, reqs)
		{
			cleanup_free char *where = xasprintf("%s scope \"%s\"", name, scope);
			if (validate_reqs(reqs, where, err) < 0)
				return -BLD_E_INVALID;
		}
	}
	return 0;
}

int bld_registry_trust_policy_parse(struct bld_registry_trust_policy **out, const void *data,
				    size_t n, struct bld_error **err)
{
	static const char *const top[] = {"default", "transports", NULL};
	json_t *root = NULL;
	if (n > BLD_TRUST_POLICY_MAX)
		return bld_error_set(err, BLD_E_INVALID, "policy larger than %zu bytes",
				     BLD_TRUST_POLICY_MAX);
	if (bld_json_load_buf(&root, data, n, err) < 0)
		return -BLD_E_INVALID;
	int r = json_is_object(root)
		    ? 0
		    : bld_error_set(err, BLD_E_INVALID, "policy must be an object");
	if (r == 0)
		r = only_fields(root, top, "policy", err);
	if (r == 0)
		r = validate_reqs(json_object_get(root, "default"), "default", err);
	if (r == 0 && json_object_get(root, "transports"))
		r = validate_transports(json_object_get(root, "transports"), err);
	if (r < 0) {
		json_decref(root);
		return r;
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->root = root;
	return 0;
}

int bld_registry_trust_policy_load(struct bld_registry_trust_policy **out, const char *path,
				   struct bld_error **err)
{
	cleanup_free char *user = NULL;
	const char *home = getenv("HOME");
	struct stat st;
	if (!path && home && *home) {
		user = xasprintf("%s/.config/containers/policy.json", home);
		if (stat(user, &st) == 0)
			path = user;
	}
	if (!path)
		path = "/etc/containers/policy.json";
	if (stat(path, &st) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND,
				     "no trust policy: %s does not exist (give --signature-policy)",
				     path);
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (bld_fs_read_file(path, BLD_TRUST_POLICY_MAX, &data, &len, err) < 0 ||
	    bld_registry_trust_policy_parse(out, data, len, err) < 0)
		return bld_error_wrap(err, "policy %s", path);
	return 0;
}

void bld_registry_trust_policy_free(struct bld_registry_trust_policy *p)
{
	if (!p)
		return;
	json_decref(p->root);
	free(p);
}

/* The image as a reference string: name@digest, name:tag or name; caller frees. */
static char *image_string(const struct bld_registry_trust_image *img)
{
	if (img->by_digest)
		return xasprintf("%s@%s", img->name, img->digest);
	if (img->tag)
		return xasprintf("%s:%s", img->name, img->tag);
	return xstrdup(img->name);
}

/* The requirements under key in obj with the key borrowed from obj, or NULL. */
static json_t *scope_get(json_t *obj, const char *key, const char **scope)
{
	void *it = json_object_iter_at(obj, key);
	if (!it)
		return NULL;
	*scope = json_object_iter_key(it);
	return json_object_iter_value(it);
}

/*
 * Requirements of the most specific docker scope present, or NULL: the image itself, its
 * repository, each enclosing namespace, the host, then *.domain wildcards (ports ignored).
 */
static json_t *docker_scope(json_t *docker, const struct bld_registry_trust_image *img,
			    const char **scope)
{
	cleanup_free char *s = image_string(img);
	json_t *v = scope_get(docker, s, scope);
	cleanup_free char *name = xstrdup(img->name);
	while (!v) {
		v = scope_get(docker, name, scope);
		char *slash = strrchr(name, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	name[strcspn(name, ":")] = '\0';
	for (char *dot = strchr(name, '.'); !v && dot; dot = strchr(dot + 1, '.')) {
		cleanup_free char *wild = xasprintf("*%s", dot);
		v = scope_get(docker, wild, scope);
	}
	return v ? v : scope_get(docker, "", scope);
}

static json_t *lookup(const struct bld_registry_trust_policy *p,
		      const struct bld_registry_trust_image *img, const char **scope)
{
	json_t *docker = json_object_get(json_object_get(p->root, "transports"), "docker");
	json_t *reqs = docker ? docker_scope(docker, img, scope) : NULL;
	if (reqs)
		return reqs;
	*scope = "default";
	return json_object_get(p->root, "default");
}

const char *bld_registry_trust_policy_scope(const struct bld_registry_trust_policy *p,
					    const struct bld_registry_trust_image *img)
{
	const char *scope = NULL;
	lookup(p, img, &scope);
	return scope;
}

/*
 * A signature's identity or a policy's reference, expanded as distribution/reference does
 * ("busybox" is docker.io/library/busybox) by the shared parser, but without the default
 * tag: tag and digest stay NULL unless written, so that references compare as written.
 */
static int trust_ref_parse(struct bld_registry_ref *out, const char *s, struct bld_error **err)
{
	if (bld_registry_ref_parse_flags(out, s, BLD_REGISTRY_REF_NO_DEFAULT_TAG, err) < 0)
		return bld_error_wrap(err, "%s", s);
	return 0;
}

/* Whether two parsed references name the same repository. */
static bool same_repo(const struct bld_registry_ref *a, const struct bld_registry_ref *b)
{
	return strcmp(a->domain, b->domain) == 0 && strcmp(a->path, b->path) == 0;
}

/* Whether img's repository is the one sig names. */
static bool img_repo_is(const char *name, const struct bld_registry_ref *sig)
{
	cleanup_free char *n = bld_registry_ref_name(sig);
	return strcmp(name, n) == 0;
}

/* matchRepoDigestOrExact: same repository for digest references, else the same reference. */
static bool repo_digest_or_exact(const struct bld_registry_trust_image *img,
				 const struct bld_registry_ref *sig)
{
	if (img->by_digest)
		return img_repo_is(img->name, sig);
	cleanup_free char *a = image_string(img);
	cleanup_free char *b = bld_registry_ref_string(sig);
	return strcmp(a, b) == 0;
}

/* Whether name starts with prefix at a component boundary (containers' refMatchesPrefix). */
static bool matches_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(name, prefix, n) == 0 && strchr("/:@", name[n]) != NULL;
}

static int match_remap(json_t *rule, const struct bld_registry_trust_image *img,
		       const struct bld_registry_ref *sig, bool *match, struct bld_error **err)
{
	const char *prefix = bld_json_get_str(rule, "prefix");
	const char *signed_prefix = bld_json_get_str(rule, "signedPrefix");
	if (!prefix || !signed_prefix)
		return bld_error_set(err, BLD_E_INVALID,
				     "remapIdentity needs prefix and signedPrefix");
	if (!matches_prefix(img->name, prefix)) {
		*match = repo_digest_or_exact(img, sig);
		return 0;
	}
	cleanup_free char *name = xasprintf("%s%s", signed_prefix, img->name + strlen(prefix));
	struct bld_registry_trust_image remapped = *img;
	remapped.name = name;
	*match = repo_digest_or_exact(&remapped, sig);
	return 0;
}

/* exactReference / exactRepository: compare with a reference the rule names. */
static int match_exact_named(json_t *rule, bool repo_only, const struct bld_registry_ref *sig, bool *match,
			     struct bld_error **err)
{
	const char *want =
	    bld_json_get_str(rule, repo_only ? "dockerRepository" : "dockerReference");
	struct bld_registry_ref w;
	if (!want || trust_ref_parse(&w, want, err) < 0)
		return bld_error_set(err, BLD_E_INVALID, "signedIdentity names no valid reference");
	int r = 0;
	if (!repo_only && !w.tag && !w.digest)
		r = bld_error_set(err, BLD_E_INVALID, "exactReference %s needs a tag or digest",
				  want);
	cleanup_free char *a = bld_registry_ref_string(&w);
	cleanup_free char *b = bld_registry_ref_string(sig);
	*match = repo_only ? same_repo(&w, sig) : strcmp(a, b) == 0;
	bld_registry_ref_dispose(&w);
	return r;
}

int bld_registry_trust_identity_match(const struct json_t *rule_c,
				      const struct bld_registry_trust_image *img,
				      const char *identity, bool *match, struct bld_error **err)
{
	json_t *rule = (json_t *)rule_c;
	const char *type = rule ? bld_json_get_str(rule, "type") : "matchRepoDigestOrExact";
	struct bld_registry_ref sig;
	cleanup_error struct bld_error *perr = NULL;
	*match = false;
	if (!type)
		return bld_error_set(err, BLD_E_INVALID, "signedIdentity needs a type");
	if (trust_ref_parse(&sig, identity, &perr) < 0)
		return 0; /* an identity that is no reference matches nothing */
	int r = 0;
	if (!strcmp(type, "matchExact")) {
		cleanup_free char *a = image_string(img);
		cleanup_free char *b = bld_registry_ref_string(&sig);
		*match = strcmp(a, b) == 0;
	} else if (!strcmp(type, "matchRepoDigestOrExact"))
		*match = repo_digest_or_exact(img, &sig);
	else if (!strcmp(type, "matchRepository"))
		*match = img_repo_is(img->name, &sig);
	else if (!strcmp(type, "exactReference") || !strcmp(type, "exactRepository"))
		r = match_exact_named(rule, !strcmp(type, "exactRepository"), &sig, match, err);
	else if (!strcmp(type, "remapIdentity"))
		r = match_remap(rule, img, &sig, match, err);
	else
		r = bld_error_set(err, BLD_E_INVALID, "unknown signedIdentity type \"%s\"", type);
	bld_registry_ref_dispose(&sig);
	return r;
}

/* --------------------------------------------------------------- deciding */

struct keyset {
	struct bld_registry_trust_key *v[KEYS_MAX];
	size_t n;
};

static void keyset_dispose(struct keyset *k)
{
	for (size_t i = 0; i < k->n; i++)
		bld_registry_trust_key_free(k->v[i]);
	k->n = 0;
}

static int keyset_add(struct keyset *ks, json_t *src, bool data, struct bld_error **err)
{
	const char *s = json_string_value(src);
	if (!s)
		return bld_error_set(err, BLD_E_INVALID, "policy key entries must be strings");
	if (ks->n >= KEYS_MAX)
		return bld_error_set(err, BLD_E_INVALID, "more than %d keys", KEYS_MAX);
	if (!data) {
		if (bld_registry_trust_key_load_public(&ks->v[ks->n], s, err) < 0)
			return -BLD_E_INVALID;
		ks->n++;
		return 0;
	}
	cleanup_free unsigned char *pem = NULL;
	size_t len = 0;
	trust_sodium_init();
	if (trust_b64_decode(s, &pem, &len) < 0)
		return bld_error_set(err, BLD_E_INVALID, "keyData is not base64");
	if (bld_registry_trust_key_parse_public(&ks->v[ks->n], pem, len, err) < 0)
		return bld_error_wrap(err, "keyData");
	ks->n++;
	return 0;
}

/* The public keys a sigstoreSigned requirement names. */
static int keyset_load(struct keyset *ks, json_t *req, struct bld_error **err)
{
	static const char *const src[] = {"keyPath", "keyPaths", "keyData", "keyDatas"};
	ks->n = 0;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(src); i++) {
		json_t *v = json_object_get(req, src[i]);
		bool data = i >= 2;
		int r = 0;
		if (json_is_array(v))
			for (size_t j = 0; r == 0 && j < json_array_size(v); j++)
				r = keyset_add(ks, json_array_get(v, j), data, err);
		else if (v)
			r = keyset_add(ks, v, data, err);
		if (r < 0) {
			keyset_dispose(ks);
			return r;
		}
	}
	if (ks->n == 0)
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "sigstoreSigned without public keys (fulcio, pki, rekor) is "
				     "not supported");
	return 0;
}

json_t *trust_policy_reqs(const struct bld_registry_trust_policy *p,
			  const struct bld_registry_trust_image *img, const char **scope)
{
	return lookup(p, img, scope);
}

int trust_policy_keys(json_t *req, struct bld_registry_trust_key ***keys, size_t *n,
		      struct bld_error **err)
{
	struct keyset ks;
	if (keyset_load(&ks, req, err) < 0)
		return -1;
	*keys = xcalloc(ks.n + 1, sizeof(**keys));
	memcpy(*keys, ks.v, ks.n * sizeof(**keys));
	*n = ks.n;
	return 0;
}

/* The most telling failure so far: the one that got furthest through the checks. */
struct verdict {
	enum bld_registry_trust_state state;
	char *detail;
};

static void verdict_note(struct verdict *v, enum bld_registry_trust_state s, char *detail)
{
	if (s > v->state) {
		free(v->detail);
		v->state = s;
		v->detail = detail;
	} else {
		free(detail);
	}
}

static char *detail_of(enum bld_registry_trust_state s,
		       const struct bld_registry_trust_candidate *c,
		       const struct bld_registry_trust_payload *pl,
		       const struct bld_registry_trust_image *img, json_t *rule)
{
	char dg[BLD_DIGEST_STR_LEN];
	switch (s) {
	case BLD_TRUST_SIG_TAMPERED:
		bld_sha256_digest(c->payload, c->payload_len, dg);
		return xasprintf(" (payload is %s, the signature manifest says %s)", dg,
				 c->layer_digest ? c->layer_digest : "nothing");
	case BLD_TRUST_SIG_OTHER_DIGEST:
		return xasprintf(" (it signs %s, the image is %s)", pl->digest, img->digest);
	case BLD_TRUST_SIG_IDENTITY: {
		const char *t = rule ? bld_json_get_str(rule, "type") : NULL;
		cleanup_free char *want = image_string(img);
		return xasprintf(" (signed as %s, %s for %s)", pl->identity,
				 t ? t : "matchRepoDigestOrExact", want);
	}
	default:
		return xstrdup("");
	}
}

/* One sigstoreSigned requirement: 0 when some signature satisfies it. */
static int check_sigstore(json_t *req, const struct bld_registry_trust_image *img,
			  const struct bld_registry_trust_candidate *c, size_t n,
			  struct bld_error **err)
{
	if (n == 0)
		return bld_error_set(err, BLD_E_AUTH, "not signed: no signature for %s",
				     img->digest);
	struct keyset ks;
	if (keyset_load(&ks, req, err) < 0)
		return bld_error_wrap(err, "trust policy");
	json_t *rule = json_object_get(req, "signedIdentity");
	struct verdict v = {0, NULL};
	int r = 0;
	for (size_t i = 0; i < n && v.state != BLD_TRUST_SIG_OK && r == 0; i++) {
		struct bld_registry_trust_payload pl;
		int ki = -1;
		bool match = false;
		enum bld_registry_trust_state s =
		    bld_registry_trust_check_sig(&c[i], ks.v, ks.n, img->digest, &ki, &pl);
		if (s == BLD_TRUST_SIG_OK)
			r = bld_registry_trust_identity_match(rule, img, pl.identity, &match, err);
		if (s == BLD_TRUST_SIG_OK && !match)
			s = BLD_TRUST_SIG_IDENTITY;
		verdict_note(&v, s, detail_of(s, &c[i], &pl, img, rule));
		bld_registry_trust_payload_dispose(&pl);
	}
	keyset_dispose(&ks);
	if (r == 0 && v.state != BLD_TRUST_SIG_OK)
		r = bld_error_set(err,
				  v.state == BLD_TRUST_SIG_TAMPERED ? BLD_E_DIGEST : BLD_E_AUTH,
				  "%s%s", bld_registry_trust_state_str(v.state), v.detail);
	free(v.detail);
	return r;
}

int bld_registry_trust_policy_check(const struct bld_registry_trust_policy *p,
				    const struct bld_registry_trust_image *img,
				    const struct bld_registry_trust_candidate *c, size_t n,
				    bool require_signature, struct bld_error **err)
{
	const char *scope = NULL;
	json_t *reqs = lookup(p, img, &scope);
	bool verified = false;
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		json_t *req = json_array_get(reqs, i);
		const char *type = bld_json_get_str(req, "type");
		if (!strcmp(type, "insecureAcceptAnything"))
			continue;
		if (!strcmp(type, "reject"))
			return bld_error_set(err, BLD_E_AUTH,
					     "rejected by the trust policy (scope "
					     "\"%s\")",
					     scope);
		if (!strcmp(type, "signedProvenance")) {
			verified = true; /* checked against the registry: trust_provenance_check */
			continue;
		}
		if (!strcmp(type, "signedBy"))
			return bld_error_set(err, BLD_E_UNSUPPORTED,
					     "trust policy scope \"%s\" needs a GPG signature "
					     "(signedBy), which bld does not check",
					     scope);
		int r = check_sigstore(req, img, c, n, err);
		if (r < 0)
			return r;
		verified = true;
	}
	if (require_signature && !verified)
		return bld_error_set(
		    err, BLD_E_AUTH,
		    "content trust is on but the trust policy (scope \"%s\") names "
		    "no key for %s",
		    scope, img->name);
	return 0;
}

/* docker's reading of DOCKER_CONTENT_TRUST: set and not a false boolean. */
static bool env_on(const char *name)
{
	const char *v = getenv(name);
	static const char *const off[] = {"0", "f", "F", "false", "FALSE", "False"};
	if (!v || !*v)
		return false;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(off); i++)
		if (strcmp(v, off[i]) == 0)
			return false;
	return true;
}

bool bld_registry_trust_enabled(bool flag)
{
	return flag || env_on("BLD_CONTENT_TRUST") || env_on("DOCKER_CONTENT_TRUST");
}

bool bld_registry_trust_wanted(bool verify, int disable)
{
	if (verify)
		return true;
	/* docker: --disable-content-trust defaults to !DOCKER_CONTENT_TRUST; given, it decides */
	if (disable >= 0)
		return disable == 0;
	return bld_registry_trust_enabled(false);
}

const char *bld_registry_trust_default_key(void)
{
	const char *k = getenv("BLD_TRUST_KEY");
	return k && *k ? k : NULL;
}
