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

/* === transport, auth, pull, push (client.c, auth.c, pull.c, push.c) === */

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
