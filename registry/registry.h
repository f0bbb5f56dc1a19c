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

#endif
