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
