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
	int tls_verify;         /* 0: default (verify), 1: verify, -1: --tls-verify=false */
	const char *certs_dir;  /* NULL: $BLD_CERTS_DIR, else /etc/docker/certs.d */
	const char *platform;   /* pull: "os/arch[/variant]"; NULL: linux/amd64 */
	bool quiet;             /* -q: print only the final line */
	bool tty;               /* progress bars instead of plain lines */
};

/*
 * A connection to one registry (one domain): the scheme it speaks (HTTPS, or plain HTTP
 * where docker allows it: localhost, 127.0.0.0/8, ::1, the insecure-registries of the bld
 * config file, --tls-verify=false), its auth (anonymous, basic, Bearer tokens reused per
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
/* docker logout: removes the credentials for server; 1 when there were none. */
int bld_registry_logout(const char *server, const struct bld_registry_opts *o,
			struct bld_error **err);

/* === content trust (trust*.c) === */

/* === builder needs: plain downloads (fetch.c) === */

/*
 * GETs an http(s) URL (redirects followed, TLS verified) and writes the body to fd, at most
 * max bytes (BLD_E_INVALID beyond). *mtime, when not NULL, gets the Last-Modified time in
 * seconds, or -1. BLD_E_NETWORK when unreachable or on an HTTP error, BLD_E_NOTFOUND on 404.
 */
int bld_registry_fetch_url(const char *url, int fd, size_t max, int64_t *mtime,
			   struct bld_error **err);

#endif
