/*
 * deploy/deploy.h — the declarative layer: the Compose Specification model of a project
 * (loaded with libyaml, interpolated, merged, validated and normalised), and its
 * application to the store through builder, registry and runner.
 *
 * The loaded project is one json_t in exactly the shape `docker compose config --format
 * json` (compose v2) prints: top-level "name", "services", "networks", "volumes",
 * "configs", "secrets"; every service attribute in its long form; paths absolute. Everything
 * that consumes a project reads only that value.
 *
 * Includes builder, registry, runner, parser, cache and common. libyaml lives here and
 * nowhere else. deploy keeps no state of its own: the truth is the store.
 */
#ifndef BLD_DEPLOY_H
#define BLD_DEPLOY_H

#include <jansson.h>

#include "common/common.h"

/* A compose file larger than this is refused (docker compose has no cap; 16 MiB is far
 * beyond any real project). */
#define BLD_DEPLOY_MAX_FILE ((size_t)16 << 20)

/* What selects and shapes a project, as docker compose's global flags and variables do.
 * Every member may be NULL/false: then the environment and the working directory decide. */
struct bld_deploy_options {
	char *const *files;       /* -f, in order ("-" reads stdin); NULL: COMPOSE_FILE, then
				     compose.yaml ... found in the working directory or a parent */
	const char *project_directory; /* --project-directory; NULL: the first file's directory */
	const char *project_name; /* -p; NULL: COMPOSE_PROJECT_NAME, then name:, then the
				     project directory's base name */
	char *const *env_files;   /* --env-file, in order; NULL: <project directory>/.env */
	char *const *profiles;    /* --profile; NULL: COMPOSE_PROFILES */
	char *const *services;    /* services named on the command line: enabled with their
				     profiles (NULL: all the active ones) */
	bool no_interpolate;      /* --no-interpolate: ${...} left as written */
	char *const *environ;     /* the environment variables ("K=V"); NULL: the process's */
	const char *workdir;      /* where relative -f paths and discovery start; NULL: "." */
};

/*
 * Loads the project o selects: finds and reads its files, interpolates, merges, applies
 * include, extends and profiles, validates and normalises. *project is the caller's
 * (json_decref). Errors: BLD_E_NOTFOUND when no compose file is found, BLD_E_INVALID with
 * "FILE:LINE: what" for bad input, BLD_E_SYSTEM when a file cannot be read.
 */
int bld_deploy_project_load(struct bld_ctx *ctx, const struct bld_deploy_options *o,
			    json_t **project, struct bld_error **err);

/*
 * docker compose v2's normalisation of a project name: lower case, only [a-z0-9_-] kept.
 * Caller frees; BLD_E_INVALID when nothing valid is left or the result does not start
 * with a letter or digit.
 */
int bld_deploy_project_name_normalize(const char *name, char **out, struct bld_error **err);

/* The config hash of one service of a loaded project (docker compose v2's ServiceHash: the
 * sha256 of the service's JSON as Go marshals it, without build, pull_policy, scale,
 * deploy.replicas, depends_on and profiles), 64 hex digits in out. It is what
 * com.docker.compose.config-hash holds. */
int bld_deploy_service_hash(char out[65], const json_t *service, struct bld_error **err);

/* A loaded project as `docker compose config` (v2) prints it, YAML (libyaml's emitter) or
 * JSON; interpolated doubles every "$" as compose does so that the output loads again.
 * Caller frees *out. */
int bld_deploy_config_yaml(char **out, const json_t *model, bool interpolated,
			   struct bld_error **err);
char *bld_deploy_config_json(const json_t *model, bool interpolated);

/* --resolve-image-digests: every service's image pinned to its registry's digest for the
 * tag ("docker.io/library/busybox:latest@sha256:..."), as compose-go writes it. */
int bld_deploy_resolve_image_digests(struct bld_ctx *ctx, json_t *project,
				     struct bld_error **err);

#endif
