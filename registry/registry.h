/*
 * registry/registry.h — the OCI distribution client: reference normalisation as docker does
 * it, token and basic auth with docker's credential files and helpers, pulls and pushes with
 * parallel, resumable, digest-verified blob transfers, and content trust (sigstore
 * signatures in cosign's format under a containers policy.json).
 *
 * Includes cache/ and common/. libcurl lives here and nowhere else.
 */
#ifndef BLD_REGISTRY_H
#define BLD_REGISTRY_H

#include "cache/cache.h"
#include "common/common.h"

/* === references (reference.c) === */

/*
 * An image reference normalised exactly as docker (distribution/reference) does it:
 * "busybox" is docker.io / library/busybox / latest. domain and path are always set; tag is
 * "latest" when the input named neither tag nor digest, NULL when only a digest was given;
 * digest is "sha256:<hex>" or NULL. A reference may carry both a tag and a digest (then the
 * digest decides what is pulled).
 */
struct bld_registry_ref {
	char *domain; /* "docker.io", "localhost", "127.0.0.1:5000", "[fc00::1]:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* "latest" or NULL */
	char *digest; /* "sha256:..." or NULL */
};

#define BLD_REGISTRY_REF_MAX 4096 /* longest reference string accepted */

/* Parses and normalises s into *out (caller disposes); BLD_E_INVALID with docker's wording. */
int bld_registry_ref_parse(struct bld_registry_ref *out, const char *s, struct bld_error **err);
/* The same with flags: BLD_REGISTRY_REF_NO_DEFAULT_TAG leaves tag NULL when s names neither
 * tag nor digest (trust identities and policy scopes compare references as written). */
#define BLD_REGISTRY_REF_NO_DEFAULT_TAG 1u
int bld_registry_ref_parse_flags(struct bld_registry_ref *out, const char *s, unsigned flags,
				 struct bld_error **err);
void bld_registry_ref_dispose(struct bld_registry_ref *r);
/* Deep copy into *out (caller disposes). */
void bld_registry_ref_copy(struct bld_registry_ref *out, const struct bld_registry_ref *r);
/* Fully qualified: "docker.io/library/busybox:latest", "...@sha256:..."; caller frees. */
char *bld_registry_ref_string(const struct bld_registry_ref *r);
/* As docker shows it: "busybox:latest", "127.0.0.1:5000/x/y:1"; caller frees. */
char *bld_registry_ref_familiar(const struct bld_registry_ref *r);
/* The repository without tag or digest: "docker.io/library/busybox"; caller frees. */
char *bld_registry_ref_name(const struct bld_registry_ref *r);
/* The familiar repository without tag or digest: "busybox"; caller frees. */
char *bld_registry_ref_familiar_name(const struct bld_registry_ref *r);
/*
 * The host:port that serves the registry API for a domain: "registry-1.docker.io" for
 * docker.io, the domain itself otherwise. Borrowed (points into domain or a constant).
 */
const char *bld_registry_api_host(const char *domain);
/*
 * The key under which docker's config.json keeps credentials for a domain:
 * "https://index.docker.io/v1/" for docker.io, the domain otherwise. Borrowed.
 */
const char *bld_registry_auth_key(const char *domain);
/* Normalises a server name as given to login/logout ("index.docker.io", "https://x/v1/",
 * "docker.io" -> "docker.io"); caller frees. */
char *bld_registry_server_domain(const char *server);
/* Whether docker allows plain HTTP to this domain without configuration: localhost and
 * 127.0.0.0/8, ::1, with any port. */
bool bld_registry_domain_is_local(const char *domain);

/* === transport, auth, pull, push (client.c, auth.c, manifest.c, blobfetch.c, upload.c, pull.c, push.c, login.c) === */

/* Media types bld reads and writes. */
#define BLD_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BLD_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BLD_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BLD_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* How to reach registries; zero-initialised means docker's defaults. */
struct bld_registry_opts {
	const char *config_dir; /* docker config dir with config.json (ctx->config_dir) */
	int tls_verify;         /* 0: docker's default (verify all but local and insecure-registries),
				 * 1: --tls-verify=true (HTTPS, verified), -1: --tls-verify=false */
	const char *certs_dir;  /* NULL: $BLD_CERTS_DIR, else /etc/docker/certs.d */
	const char *platform;   /* pull: "os/arch[/variant]"; NULL: linux/amd64 */
	bool quiet;             /* -q: print only the final line */
	bool tty;               /* progress bars instead of plain lines */
	/* credentials for this call instead of config.json's (the Engine API's
	 * X-Registry-Auth); NULL: config.json's */
	const char *user, *secret;
	/* the transfer's lines to fn instead of stdout, one call a plain line: id (a layer's
	 * short ID) or NULL, and its status (tty and quiet do not apply); NULL: stdout */
	void (*progress_fn)(const char *id, const char *status, void *payload);
	void *progress_payload;
};

/*
 * A connection to one registry (one domain): the scheme it speaks (HTTPS, or plain HTTP
 * where docker allows it: localhost, 127.0.0.0/8, ::1, the insecure-registries of the bld
 * config file, --tls-verify=false; certificates of those are not checked either, as docker
 * does not, unless --tls-verify=true asks for it), its auth (anonymous, basic, Bearer tokens reused per
 * scope) and credentials from docker's config.json. Nothing is sent until first use.
 */
struct bld_registry_client;
int bld_registry_client_new(struct bld_registry_client **out, const char *domain,
			    const struct bld_registry_opts *o, struct bld_error **err);
void bld_registry_client_free(struct bld_registry_client *c);
/* Uses these credentials instead of config.json's (login; tests). */
void bld_registry_client_set_creds(struct bld_registry_client *c, const char *user,
				   const char *secret);
/* Checks that the registry answers and accepts the credentials (GET /v2/, and a token
 * without scope for Bearer registries): BLD_E_AUTH when they are refused. */
int bld_registry_client_check(struct bld_registry_client *c, struct bld_error **err);
/* How many tokens the client fetched so far (token reuse is observable in tests). */
int bld_registry_client_token_requests(const struct bld_registry_client *c);

/* A manifest or index exactly as the registry sent it. */
struct bld_registry_manifest {
	char *data; /* raw bytes (NUL-terminated for convenience) */
	size_t len;
	char *media_type;
	char digest[BLD_DIGEST_STR_LEN]; /* sha256 of data */
};
void bld_registry_manifest_dispose(struct bld_registry_manifest *m);

/*
 * GET /v2/<repo>/manifests/<tag-or-digest>, accepting OCI and Docker v2s2 manifests and
 * indexes. When ref is a digest the bytes are verified against it (BLD_E_DIGEST).
 * BLD_E_NOTFOUND for an unknown repository or tag, BLD_E_AUTH when access is refused.
 */
int bld_registry_manifest_get(struct bld_registry_client *c, const char *repo,
			      const char *ref, struct bld_registry_manifest *out,
			      struct bld_error **err);
/* PUT a manifest under a tag or its digest; writes the digest the registry reports. */
int bld_registry_manifest_put(struct bld_registry_client *c, const char *repo,
			      const char *ref, const void *data, size_t n,
			      const char *media_type, char out[BLD_DIGEST_STR_LEN],
			      struct bld_error **err);
/* DELETE /v2/<repo>/manifests/<digest>. */
int bld_registry_manifest_delete(struct bld_registry_client *c, const char *repo,
				 const char *digest, struct bld_error **err);

/* Every tag of a repository (GET /v2/<repo>/tags/list, following pages); *tags is a
 * NULL-terminated vector the caller frees with bld_strv_free. */
int bld_registry_tags_list(struct bld_registry_client *c, const char *repo, char ***tags,
			   struct bld_error **err);

/* HEAD a blob: 1 when the repository has it (size in *size if not NULL), 0 when not. */
int bld_registry_blob_exists(struct bld_registry_client *c, const char *repo,
			     const char *digest, int64_t *size, struct bld_error **err);
/* GETs a small blob whole (at most max bytes) and verifies its digest. */
int bld_registry_blob_get(struct bld_registry_client *c, const char *repo, const char *digest,
			  size_t max, char **out, size_t *len, struct bld_error **err);
/*
 * Uploads a blob of size bytes read from fd (from offset 0) unless the repository has it:
 * tries a cross-repository mount from mount_from (a repository on the same registry, or
 * NULL), then a monolithic PUT (small blobs) or chunked PATCHes. *how is set to "exists",
 * "mounted" or "pushed".
 */
int bld_registry_blob_upload(struct bld_registry_client *c, const char *repo,
			     const char *digest, int fd, int64_t size, const char *mount_from,
			     const char **how, struct bld_error **err);
/* Uploads bytes from memory as a blob (signatures, configs); writes its digest. */
int bld_registry_blob_upload_bytes(struct bld_registry_client *c, const char *repo,
				   const void *data, size_t n, char out[BLD_DIGEST_STR_LEN],
				   struct bld_error **err);

/* One blob to fetch into the store. */
struct bld_registry_fetch {
	const char *digest;
	int64_t size; /* from the manifest; -1 unknown */
	int status;   /* out: 0 ok, < 0 failed */
	bool unpack;  /* a layer: unpack it while it downloads (bld_cache_layer_feed_new) */
};
/*
 * Downloads blobs into the store in parallel (curl multi), each resumed from a partial
 * left by an earlier run (Range), retried with backoff on 5xx and broken connections, and
 * verified by the store's blob writer before it becomes visible. Blobs already in the
 * store are skipped. progress may be NULL.
 */
int bld_registry_blobs_fetch(struct bld_registry_client *c, struct bld_store *s,
			     const char *repo, struct bld_registry_fetch *blobs, size_t n,
			     struct bld_error **err);

/* What a pull did. */
struct bld_registry_pull_result {
	char *name;   /* fully qualified reference stored: "docker.io/library/busybox:latest" */
	char digest[BLD_DIGEST_STR_LEN];          /* what the reference resolved to (index or
						     manifest): docker's "Digest:" line */
	char manifest_digest[BLD_DIGEST_STR_LEN]; /* the platform manifest the name points at */
	bool updated; /* false: the name already pointed at this manifest */
};
void bld_registry_pull_result_dispose(struct bld_registry_pull_result *r);

/*
 * docker pull: resolves ref, picks the platform from an index, fetches config and layers
 * into the store, stores the manifest and sets the name last, so that a failure leaves
 * the names as they were and no blob of this pull behind. Layers are unpacked for the
 * runner before the name is set. A Docker v2s2 manifest is stored as its OCI equivalent
 * (same blobs; skopeo finds only OCI manifests by name in an OCI layout). Prints docker's
 * lines to stdout (progress bars on a terminal) unless o->quiet.
 */
int bld_registry_pull(struct bld_store *s, const char *ref, const struct bld_registry_opts *o,
		      struct bld_registry_pull_result *out, struct bld_error **err);

/*
 * docker push: uploads the image that ref names in the store (its blobs, skipping those
 * the registry has or can mount, then the manifest with its own media type). Writes the
 * manifest digest; prints docker's lines unless o->quiet.
 */
int bld_registry_push(struct bld_store *s, const char *ref, const struct bld_registry_opts *o,
		      char out[BLD_DIGEST_STR_LEN], struct bld_error **err);

/*
 * docker login: checks user/secret against the registry of server (NULL: Docker Hub),
 * then stores them in config_dir/config.json (mode 0600) or through its credsStore /
 * credHelpers program.
 */
int bld_registry_login(const char *server, const char *user, const char *secret,
		       const struct bld_registry_opts *o, struct bld_error **err);
/* Its check alone, nothing stored (the Engine API's /auth: the client keeps them). */
int bld_registry_login_check(const char *server, const char *user, const char *secret,
			     const struct bld_registry_opts *o, struct bld_error **err);
/* docker logout: removes the credentials for server; 1 when there were none. */
int bld_registry_logout(const char *server, const struct bld_registry_opts *o,
			struct bld_error **err);

/* === content trust (trust*.c) === */

/*
 * Sigstore signatures in cosign's format: a "simple signing" payload signed with ECDSA P-256
 * / SHA-256, kept as a layer of an OCI manifest tagged sha256-<hex>.sig next to the image;
 * keys in cosign's encrypted PEM format (scrypt + NaCl secretbox over PKCS#8); acceptance
 * decided by a containers policy.json. Keys, payloads and the policy are pure functions over
 * bytes (trust_key.c, trust_payload.c, trust_policy.c); trust.c talks to the registry.
 */
#define BLD_TRUST_KEY_MAX ((size_t)64 << 10)      /* a key file, keyData, a PEM */
#define BLD_TRUST_PAYLOAD_MAX ((size_t)64 << 10)  /* one simple-signing payload */
#define BLD_TRUST_SIG_MANIFEST_MAX ((size_t)4 << 20)
#define BLD_TRUST_SIGS_MAX 256                    /* signatures considered for one image */
#define BLD_TRUST_POLICY_MAX ((size_t)4 << 20)
#define BLD_TRUST_PASSPHRASE_MAX 4096
#define BLD_TRUST_PAYLOAD_TYPE "cosign container image signature"
#define BLD_TRUST_SIG_MEDIA_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define BLD_TRUST_SIG_ANNOTATION "dev.cosignproject.cosign/signature"

/* --- keys (trust_key.c, trust_pass.c) --- */

/* An ECDSA P-256 key: a private key (with its public half) or a public key alone. */
struct bld_registry_trust_key;

/* A fresh P-256 key pair (caller frees). */
int bld_registry_trust_key_generate(struct bld_registry_trust_key **out, struct bld_error **err);
void bld_registry_trust_key_free(struct bld_registry_trust_key *k);
bool bld_registry_trust_key_is_private(const struct bld_registry_trust_key *k);
/* "sha256:<hex>" of the PKIX DER public key; borrowed. */
const char *bld_registry_trust_key_fingerprint(const struct bld_registry_trust_key *k);
/* The public key as PKIX PEM ("PUBLIC KEY"); caller frees. */
char *bld_registry_trust_key_public_pem(const struct bld_registry_trust_key *k);
/*
 * The private key in cosign's encrypted format: PEM "ENCRYPTED SIGSTORE PRIVATE KEY" around
 * JSON {kdf: scrypt N=32768 r=8 p=1 with a random salt, cipher: nacl/secretbox with a random
 * nonce, ciphertext of the PKCS#8 DER}. Caller frees *pem.
 */
int bld_registry_trust_key_encrypt(const struct bld_registry_trust_key *k, const char *passphrase,
				   char **pem, struct bld_error **err);
/*
 * Reads a private key in cosign's encrypted format (also the older "ENCRYPTED COSIGN PRIVATE
 * KEY" header). BLD_E_AUTH "wrong passphrase" when the secretbox does not open;
 * BLD_E_INVALID for anything malformed; BLD_E_UNSUPPORTED for non-P-256 keys.
 */
int bld_registry_trust_key_decrypt(struct bld_registry_trust_key **out, const void *pem, size_t n,
				   const char *passphrase, struct bld_error **err);
/* Reads a public key: PKIX PEM ("PUBLIC KEY"). */
int bld_registry_trust_key_parse_public(struct bld_registry_trust_key **out, const void *pem,
					size_t n, struct bld_error **err);
/* The same from files (capped at BLD_TRUST_KEY_MAX). */
int bld_registry_trust_key_load_private(struct bld_registry_trust_key **out, const char *path,
					const char *passphrase, struct bld_error **err);
int bld_registry_trust_key_load_public(struct bld_registry_trust_key **out, const char *path,
				       struct bld_error **err);
/*
 * Writes <prefix>.key (encrypted, mode 0600) and <prefix>.pub (0644). Refuses with
 * BLD_E_EXISTS when either file exists.
 */
int bld_registry_trust_key_write_pair(const struct bld_registry_trust_key *k, const char *prefix,
				      const char *passphrase, struct bld_error **err);
/* ECDSA-SHA256 over data; *sig_b64 is the ASN.1 signature in standard base64 (caller frees). */
int bld_registry_trust_key_sign(const struct bld_registry_trust_key *k, const void *data, size_t n,
				char **sig_b64, struct bld_error **err);
/* 0 when sig_b64 is a valid signature of data by k, BLD_E_AUTH otherwise. */
int bld_registry_trust_key_verify(const struct bld_registry_trust_key *k, const void *data,
				  size_t n, const char *sig_b64, struct bld_error **err);
/*
 * The passphrase: $BLD_TRUST_PASSPHRASE, else $COSIGN_PASSWORD (either may be empty), else
 * asked on the terminal (twice when confirm). Caller frees.
 */
int bld_registry_trust_passphrase(char **out, bool confirm, struct bld_error **err);
/* Loads a private key file with the passphrase bld_registry_trust_passphrase gives. */
int bld_registry_trust_key_load_signer(struct bld_registry_trust_key **out, const char *path,
				       struct bld_error **err);

/* --- payloads and signature manifests (trust_payload.c) --- */

/* What a simple-signing payload claims. */
struct bld_registry_trust_payload {
	char *identity; /* critical.identity.docker-reference */
	char *digest;   /* critical.image.docker-manifest-digest */
	char *type;     /* critical.type */
};
/* The payload bytes cosign signs for identity (a repository) and digest; caller frees. */
char *bld_registry_trust_payload_new(const char *identity, const char *digest, size_t *len);
/* Parses a payload; BLD_E_INVALID unless it has the critical fields as strings. */
int bld_registry_trust_payload_parse(struct bld_registry_trust_payload *out, const void *data,
				     size_t n, struct bld_error **err);
void bld_registry_trust_payload_dispose(struct bld_registry_trust_payload *p);

/* One signature: a layer of the signature manifest. */
struct bld_registry_trust_sig {
	char digest[BLD_DIGEST_STR_LEN]; /* of the payload blob */
	int64_t size;
	char *media_type;
	char *signature;     /* base64 from the annotation, or NULL */
	struct json_t *desc; /* the whole layer descriptor: other annotations survive a rewrite */
};
struct bld_registry_trust_sigs {
	struct bld_registry_trust_sig *v;
	size_t n;
};
/* The tag of the signature manifest: "sha256-<hex>.sig"; caller frees. */
char *bld_registry_trust_sig_tag(const char *manifest_digest);
/* Reads the layers of a signature manifest (at most BLD_TRUST_SIGS_MAX). */
int bld_registry_trust_sigs_parse(struct bld_registry_trust_sigs *out, const void *manifest,
				  size_t n, struct bld_error **err);
void bld_registry_trust_sigs_dispose(struct bld_registry_trust_sigs *s);
/*
 * Appends a layer for payload signed by sig_b64; returns 1 when added, 0 when the same
 * payload with the same signature is already there, < 0 when full.
 */
int bld_registry_trust_sigs_add(struct bld_registry_trust_sigs *s, const void *payload, size_t n,
				const char *sig_b64, struct bld_error **err);
/* The config blob and the OCI manifest that hold s, as cosign writes them; caller frees. */
void bld_registry_trust_sigs_build(const struct bld_registry_trust_sigs *s, char **config,
				   char **manifest);

/* One signature as fetched, for checking. */
struct bld_registry_trust_candidate {
	const void *payload;
	size_t payload_len;
	const char *layer_digest; /* the digest the manifest gives for the payload */
	const char *signature;    /* base64, may be NULL */
};
/* The outcome for one signature, in the order checks are made. */
enum bld_registry_trust_state {
	BLD_TRUST_SIG_TAMPERED = 1, /* the payload does not hash to its layer digest */
	BLD_TRUST_SIG_UNSIGNED,     /* the layer carries no signature annotation */
	BLD_TRUST_SIG_BAD,          /* the signature verifies with none of the keys */
	BLD_TRUST_SIG_MALFORMED,    /* not a cosign simple-signing payload */
	BLD_TRUST_SIG_OTHER_DIGEST, /* signs another manifest */
	BLD_TRUST_SIG_IDENTITY,     /* the claimed identity is not accepted */
	BLD_TRUST_SIG_OK,
};
/* A one-line reason for a state ("the signature does not verify with the trusted keys"). */
const char *bld_registry_trust_state_str(enum bld_registry_trust_state s);
/*
 * Checks a signature against keys and the manifest digest (not the identity): returns the
 * state; *key_index is the key that verified (-1 none); *payload is filled when the payload
 * parsed (caller disposes).
 */
enum bld_registry_trust_state
bld_registry_trust_check_sig(const struct bld_registry_trust_candidate *c,
			     struct bld_registry_trust_key *const *keys, size_t nkeys,
			     const char *digest, int *key_index,
			     struct bld_registry_trust_payload *payload);

/* --- policy (trust_policy.c) --- */

struct bld_registry_trust_policy;

/* The image a policy decides on. */
struct bld_registry_trust_image {
	const char *name;   /* fully qualified repository: "127.0.0.1:5000/library/busybox" */
	const char *tag;    /* as the user named it, or NULL */
	const char *digest; /* the manifest digest, always set */
	bool by_digest;     /* the user named the image by digest */
};

/*
 * Parses containers' policy.json (strictly: unknown fields and types are errors). keyPath
 * files are read when the policy is checked, not here.
 */
int bld_registry_trust_policy_parse(struct bld_registry_trust_policy **out, const void *data,
				    size_t n, struct bld_error **err);
/* path, else ~/.config/containers/policy.json when it exists, else /etc/containers/policy.json. */
int bld_registry_trust_policy_load(struct bld_registry_trust_policy **out, const char *path,
				   struct bld_error **err);
void bld_registry_trust_policy_free(struct bld_registry_trust_policy *p);
/*
 * The scope whose requirements apply to img in the docker transport (most specific first:
 * name:tag or name@digest, name, its namespaces, host, *.domain wildcards, "" and the global
 * default); "default" for the global one. Borrowed.
 */
const char *bld_registry_trust_policy_scope(const struct bld_registry_trust_policy *p,
					    const struct bld_registry_trust_image *img);
/*
 * Decides img under the policy with the signatures found for it. require_signature (content
 * trust on) also refuses scopes that accept images without verifying a signature. Returns 0
 * when accepted; otherwise BLD_E_AUTH (or BLD_E_DIGEST for a tampered payload) with a line
 * that says why.
 */
int bld_registry_trust_policy_check(const struct bld_registry_trust_policy *p,
				    const struct bld_registry_trust_image *img,
				    const struct bld_registry_trust_candidate *c, size_t n,
				    bool require_signature, struct bld_error **err);
/*
 * Whether a signature claiming identity is accepted for img under a signedIdentity rule given
 * as JSON (NULL = matchRepoDigestOrExact). BLD_E_INVALID for a malformed rule.
 */
int bld_registry_trust_identity_match(const struct json_t *rule,
				      const struct bld_registry_trust_image *img,
				      const char *identity, bool *match, struct bld_error **err);

/* Whether content trust is on: flag (--verify), BLD_CONTENT_TRUST=1 or DOCKER_CONTENT_TRUST=1. */
bool bld_registry_trust_enabled(bool flag);
/*
 * Whether one command runs with content trust: verify (--verify) forces it on; otherwise
 * --disable-content-trust=B decides when given (disable 1 or 0), and the environment when
 * not (disable -1), as docker's flag defaults to the opposite of DOCKER_CONTENT_TRUST.
 */
bool bld_registry_trust_wanted(bool verify, int disable);
/* BLD_TRUST_KEY: the private key `bld push` signs with when trust is on and --sign-by is not
 * given; NULL when unset or empty. Borrowed from the environment. */
const char *bld_registry_trust_default_key(void);

/* --- against a registry (trust.c, trust_inspect.c) --- */

/* The identity bld and cosign write into payloads: the repository, Docker Hub as
 * "index.docker.io/..."; caller frees. */
char *bld_registry_trust_identity(const struct bld_registry_ref *r);
/*
 * Signs the manifest digest (NULL: the digest ref names or its tag points at now) in ref's
 * repository with a private key: the payload and config blobs are uploaded and the layer is
 * appended to sha256-<hex>.sig (created when absent). Writes the signature manifest's digest.
 */
int bld_registry_trust_sign(const char *ref, const char *digest,
			    const struct bld_registry_trust_key *key,
			    const struct bld_registry_opts *o, char out[BLD_DIGEST_STR_LEN],
			    struct bld_error **err);
/*
 * Resolves ref to the manifest digest it names and requires a signature the trust policy
 * (policy_path, or the default policy.json) accepts for it, as content trust does before
 * pulling, running or building FROM an image. BLD_E_AUTH / BLD_E_DIGEST with the reason
 * when refused. Nothing is stored.
 */
int bld_registry_trust_resolve(const char *ref, const char *policy_path,
			       const struct bld_registry_opts *o, char out[BLD_DIGEST_STR_LEN],
			       struct bld_error **err);
/*
 * docker pull with content trust: bld_registry_trust_resolve, then a pull of the verified
 * digest, then the tag pointed at it. A refused image leaves the store untouched.
 */
int bld_registry_trust_pull(struct bld_store *s, const char *ref, const char *policy_path,
			    const struct bld_registry_opts *o, struct bld_registry_pull_result *out,
			    struct bld_error **err);
/*
 * Content trust for an image about to be used (run, create, FROM): ref resolved to a digest
 * the policy accepts, and the stored image of that very digest loaded into *out (caller
 * frees), whatever the store's name for ref points at; pulled first (and ref's tag pointed at
 * it) under the pull policy: when the store lacks it (MISSING), always (ALWAYS), never
 * (NEVER: BLD_E_NOTFOUND). A refusal stores nothing.
 */
enum { BLD_REGISTRY_PULL_MISSING, BLD_REGISTRY_PULL_ALWAYS, BLD_REGISTRY_PULL_NEVER };
int bld_registry_trust_use(struct bld_store *s, const char *ref, const char *policy_path,
			   const struct bld_registry_opts *o, int pull,
			   struct bld_cache_image **out, struct bld_error **err);
/*
 * The signatures of ref as JSON: {"Name", "Digest", "SignatureTag", "Signatures": [{"Digest"
 * (of the payload), "Identity", "SignedDigest", "Key" (fingerprint of the key in keys that
 * verifies it, or null), "Verified", "State"}]}. Caller json_decref()s *out.
 */
int bld_registry_trust_inspect(const char *ref, struct bld_registry_trust_key *const *keys,
			       size_t nkeys, const struct bld_registry_opts *o, struct json_t **out,
			       struct bld_error **err);
/*
 * Deletes the signature manifest of what ref names (every signature on it). BLD_E_NOTFOUND
 * when there is none; the registry's refusal when it does not allow deletion. Writes the
 * deleted manifest's digest.
 */
int bld_registry_trust_revoke(const char *ref, const struct bld_registry_opts *o,
			      char out[BLD_DIGEST_STR_LEN], struct bld_error **err);

/* --- attestations (attest.c) --- */

/*
 * in-toto statements as cosign attaches them: a DSSE envelope (payloadType
 * BLD_ATTEST_PAYLOAD_TYPE, the signature over DSSE's pre-authentication encoding with a trust
 * key) as a layer of the manifest tagged sha256-<hex>.att, annotated with the statement's
 * predicateType; also pushed as an OCI 1.1 referrer (subject: the image) where the registry
 * accepts it.
 */
#define BLD_ATTEST_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define BLD_ATTEST_ENVELOPE_MAX ((size_t)64 << 20)
#define BLD_ATTEST_SLSA_V1 "https://slsa.dev/provenance/v1"
#define BLD_ATTEST_SPDX "https://spdx.dev/Document"

/* "sha256-<hex>.att"; caller frees. */
char *bld_registry_attest_tag(const char *manifest_digest);
/* The envelope of a statement signed with k (compact JSON; caller frees *out). */
int bld_registry_attest_envelope(const struct bld_registry_trust_key *k, const void *statement,
				 size_t n, char **out, struct bld_error **err);
/*
 * Checks an envelope: DSSE with an in-toto payload (BLD_E_INVALID), a signature that verifies
 * with one of keys (BLD_E_AUTH), a statement of predicate type type (NULL: any;
 * BLD_E_INVALID) whose one subject is digest (BLD_E_DIGEST). *out is the statement.
 */
int bld_registry_attest_check(const void *envelope, size_t n,
			      struct bld_registry_trust_key *const *keys, size_t nkeys,
			      const char *digest, const char *type, struct json_t **out,
			      struct bld_error **err);
/*
 * Attaches the statements the store keeps for digest (bld_cache_attest_get: "provenance",
 * "sbom"), signed with k, to digest in ref's repository, each replacing an attestation of its
 * predicate type. A statement about another digest is refused. *attached lists the kinds
 * attached (NULL when the store has none; caller frees with bld_strv_free).
 */
int bld_registry_attest_push(struct bld_store *s, const char *ref, const char *digest,
			     const struct bld_registry_trust_key *k,
			     const struct bld_registry_opts *o, char ***attached,
			     struct bld_error **err);
/*
 * cosign verify-attestation: the statements attached to what ref names whose envelope
 * verifies with one of keys, of predicate type type (NULL: any), about that digest, as a JSON
 * array (caller json_decref's). The reason of the last refusal when none does
 * (BLD_E_NOTFOUND when there is none at all).
 */
int bld_registry_attest_verify(const char *ref, struct bld_registry_trust_key *const *keys,
			       size_t nkeys, const char *type, const struct bld_registry_opts *o,
			       struct json_t **out, struct bld_error **err);

/* === builder needs: plain downloads (fetch.c) === */

/*
 * GETs an http(s) URL (redirects followed, TLS verified) and writes the body to fd, at most
 * max bytes (BLD_E_INVALID beyond). *mtime, when not NULL, gets the Last-Modified time in
 * seconds, or -1. BLD_E_NETWORK when unreachable or on an HTTP error, BLD_E_NOTFOUND on 404.
 */
int bld_registry_fetch_url(const char *url, int fd, size_t max, int64_t *mtime,
			   struct bld_error **err);
/* The same into an unnamed file in directory dir (O_TMPFILE), returned rewound, or -1. */
#define BLD_REGISTRY_IMPORT_MAX ((size_t)64 << 30) /* what docker import takes from a URL */
int bld_registry_fetch_url_tmp(const char *dir, const char *url, size_t max,
			       struct bld_error **err);

/* ============================================================ images by name (names.c) */

/* Full reference for a user-given name ("busybox" -> "docker.io/library/busybox:latest");
 * caller frees. */
int bld_registry_full_name(const char *arg, char **out, struct bld_error **err);
/* As docker shows a full name ("busybox:latest"); caller frees; never NULL. */
char *bld_registry_familiar(const char *full);
/* Splits a familiar name into repository and tag/digest parts (caller frees all three). */
void bld_registry_repo_tag(const char *full, char **repo, char **tag, char **digest);
/* The image for a user argument: a name (normalised), else an ID, prefix or digest;
 * BLD_E_NOTFOUND "no such image: ARG". */
int bld_registry_image_find(struct bld_store *s, const char *arg, struct bld_cache_image **out,
			    struct bld_error **err);

/* One image of the store (a config ID) and its names, as docker images groups them. */
struct bld_registry_image_names {
	char id[BLD_DIGEST_STR_LEN];
	int64_t created, size; /* unix seconds; bytes */
	char *created_str;     /* the config's "created" */
	char **tags, **digests; /* "repo\ttag" and "repo\tdigest" (familiar repositories) */
	struct json_t *labels;  /* the config's Labels, or NULL */
};
/* Every image of s, in the index's order (*out freed with bld_registry_images_free); an
 * entry whose documents cannot be read is warned about and left out. */
int bld_registry_images_list(struct bld_store *s, struct bld_registry_image_names **out,
			     size_t *n, struct bld_error **err);
void bld_registry_images_free(struct bld_registry_image_names *v, size_t n);
/* An image as docker inspect shows it (Id, RepoTags, RepoDigests, Config, RootFS...); the
 * caller json_decrefs. */
struct json_t *bld_registry_image_json(struct bld_store *s, const struct bld_cache_image *img);
/* A container config ({"Cmd": ..., ...}, NULL for none) as docker shows one: every field in
 * its order, null or "" when unset (caller's). */
struct json_t *bld_registry_config_json(const struct json_t *c);
/* docker tag: target (a user's name) names source's entry too; a "tag" event. */
int bld_registry_image_tag(struct bld_store *s, const char *source, const char *target,
			   struct bld_error **err);
/* docker rmi of one argument: untags it, and removes the image when no name is left. An
 * image a container uses (used: image IDs, cids: their containers, as
 * bld_runner_container_images gives them) is refused unless force (BLD_E_EXISTS, docker's
 * words). *untagged: the familiar names untagged, *deleted: the ID removed or NULL (both the
 * caller's). Events as docker's. No garbage collection: the caller runs bld_cache_gc. */
int bld_registry_image_remove(struct bld_store *s, const char *arg, bool force, char **used,
			      char **cids, char ***untagged, char **deleted,
			      struct bld_error **err);
/* One step of docker history: the config's strings (borrowed from the image, may be NULL)
 * and the size of the layer it made (0 for an empty one). */
struct bld_registry_history_step {
	const char *created, *created_by, *comment;
	int64_t size;
};
/* img's history, oldest first (one step per layer when its config records none); *out:
 * caller frees; returns the number of steps. */
size_t bld_registry_image_history(const struct bld_cache_image *img,
				  struct bld_registry_history_step **out);
/* docker image prune: removes the unnamed (dangling) images, or with all every image no
 * container uses (used: image IDs, as bld_runner_container_images gives them), with
 * docker's untag and delete events; fn(arg, the familiar names untagged, the ID deleted or
 * NULL) for each image removed. filters (NULL: none): docker's "label=K[=V]" (all must
 * match) and "label!=K[=V]" (an image all of them match stays); until (NULL: none): docker's
 * until=, nanoseconds since the epoch: an image created after it stays. No garbage
 * collection: the caller runs bld_cache_gc. */
typedef void (*bld_registry_prune_fn)(void *arg, char *const *untagged, const char *deleted);
int bld_registry_image_prune(struct bld_store *s, bool all, char **used, char *const *filters,
			     const int64_t *until, bld_registry_prune_fn fn, void *arg,
			     struct bld_error **err);
/* docker image prune's filters ("key=value"), checked as dockerd checks them: dangling,
 * label, label! and until are known, another key is refused ("Invalid filter 'k'"); with
 * dangling=false or 0, *all is set; *until: until='s value (NULL: none; its time is
 * bld_parser_until's to read); two until= are refused. */
int bld_registry_image_prune_filters(char *const *filters, bool *all, const char **until,
				     struct bld_error **err);
/* docker save's RepoTags entry for the image img that the user's arg found: its familiar
 * name when arg named it (none for an ID); caller frees; NULL when none. */
char *bld_registry_save_tag(const struct bld_cache_image *img, const char *arg);
/* docker load's naming of an image bld_cache_load stored: each of the archive's names set
 * (a name that is no reference is warned about and skipped), a "load" event recorded, and
 * the lines docker load prints pushed onto *lines ("Loaded image: busybox:latest", or
 * "Loaded image ID: sha256:..." when it has no name). */
int bld_registry_load_name(struct bld_store *s, const struct bld_cache_loaded *l, char ***lines,
			   struct bld_error **err);

#endif
