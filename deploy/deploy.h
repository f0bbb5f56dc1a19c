/*
 * deploy/deploy.h — the declarative layer: the Compose Specification model (load, validate,
 * normalise) and what is done with it.
 */
#ifndef BLD_DEPLOY_H
#define BLD_DEPLOY_H

#include "common/common.h"

struct json_t;

/* The config hash of one service of a normalised model (docker compose v2's ServiceHash:
 * sha256 of the service's JSON without build, pull_policy, scale, deploy.replicas,
 * depends_on and profiles), as 64 hex digits in out. */
int bld_deploy_service_hash(char out[65], const struct json_t *service, struct bld_error **err);

#endif
