/*
 * deploy/deploy_int.h — what the files of deploy/ share and no other module sees.
 */
#ifndef BLD_DEPLOY_INT_H
#define BLD_DEPLOY_INT_H

#include "deploy/deploy.h"

/* ------------------------------------------------------------- the runtime's labels */
#define BLD_DEPLOY_L_PROJECT "com.docker.compose.project"
#define BLD_DEPLOY_L_SERVICE "com.docker.compose.service"
#define BLD_DEPLOY_L_NUMBER "com.docker.compose.container-number"
#define BLD_DEPLOY_L_ONEOFF "com.docker.compose.oneoff"
#define BLD_DEPLOY_L_HASH "com.docker.compose.config-hash"
#define BLD_DEPLOY_L_WORKDIR "com.docker.compose.project.working_dir"
#define BLD_DEPLOY_L_FILES "com.docker.compose.project.config_files"
#define BLD_DEPLOY_L_DEPENDS "com.docker.compose.depends_on"
#define BLD_DEPLOY_L_IMAGE "com.docker.compose.image"
#define BLD_DEPLOY_L_VERSION "com.docker.compose.version"
#define BLD_DEPLOY_L_VOLUME "com.docker.compose.volume"
#define BLD_DEPLOY_L_NETWORK "com.docker.compose.network"

/* state.c: the project label of a container */
const char *bld_deploy_project_label(const struct bld_deploy_ctr *c);

/* service.c: the container config of replica `number` of service `svc` (its image already
 * in the store as image_ref, with digest image_id), labels included. */
struct bld_deploy_replica {
	const struct bld_deploy_target *t;
	const char *svc;
	const struct json_t *service;
	int number;
	const char *name;      /* the container's name */
	const char *image_ref; /* what to load */
	const char *image_id;  /* "sha256:..." */
	const char *hash;
};
int bld_deploy_replica_config(const struct bld_deploy_replica *r,
			      struct bld_runner_container_config *c, struct bld_error **err);
void bld_deploy_config_dispose(struct bld_runner_container_config *c);
/* The image a service runs: its image, else "<project>-<service>" (built). */
char *bld_deploy_image_name(const char *project, const char *svc, const struct json_t *service);
/* A Go duration of the project ("1m30s") in nanoseconds; 0 when absent or bad. */
int64_t bld_deploy_duration(const struct json_t *v);

/* images.c: every service of svcs has its image in the store (built, or pulled); *ids
 * gets "service" -> {"ref": name to load, "id": image ID}. */
int bld_deploy_images(struct bld_ctx *ctx, const struct bld_deploy_target *t, char *const *svcs,
		      const struct bld_deploy_up_opts *o, struct json_t **ids,
		      struct bld_error **err);

/* resources.c: the project's volumes (and networks once the store has them) */
int bld_deploy_volumes_ensure(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			      struct bld_error **err);
int bld_deploy_volumes_remove(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			      struct bld_error **err);

/* wait.c: the condition ("service_started", "service_healthy",
 * "service_completed_successfully", or "running_or_healthy" for --wait) of the containers
 * of svc in the store: 1 met, 0 not yet, -1 never (err says why, in compose's words). */
int bld_deploy_condition(struct bld_ctx *ctx, const char *project, const char *svc,
			 const char *cond, struct bld_error **err);

#endif
