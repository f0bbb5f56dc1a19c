/*
 * deploy/digests.c — `compose config --resolve-image-digests`: each service's image pinned to
 * the digest its registry serves for the tag, written as compose-go writes it (the full
 * reference with tag and digest, "docker.io/library/busybox:latest@sha256:..."). An image
 * already given by digest is only written in full. Each image is asked for once.
 */
#include "deploy/deploy_int.h"
#include "registry/registry.h"

#include <string.h>

/* The pinned reference for image; caller frees. */
static int resolve_one(struct bld_ctx *ctx, const char *image, char **out,
		       struct bld_error **err)
{
	struct bld_registry_ref ref;
	if (bld_registry_ref_parse(&ref, image, err) < 0)
		return -BLD_E_INVALID;
	cleanup_free char *full = bld_registry_ref_string(&ref);
	if (ref.digest) {
		bld_registry_ref_dispose(&ref);
		*out = steal_pointer(&full);
		return 0;
	}
	struct bld_registry_opts ro = {.config_dir = ctx->config_dir};
	struct bld_registry_client *c = NULL;
	struct bld_registry_manifest m = {0};
	int r = bld_registry_client_new(&c, ref.domain, &ro, err);
	if (r == 0)
		r = bld_registry_manifest_get(c, ref.path, ref.tag, &m, err);
	if (r == 0)
		*out = xasprintf("%s@%s", full, m.digest);
	bld_registry_manifest_dispose(&m);
	bld_registry_client_free(c);
	bld_registry_ref_dispose(&ref);
	return r < 0 ? bld_error_wrap(err, "resolve %s", image) : 0;
}

int bld_deploy_resolve_image_digests(struct bld_ctx *ctx, json_t *project,
				     struct bld_error **err)
{
	cleanup_json json_t *done = json_object();
	const char *name;
	json_t *svc;
	json_object_foreach(json_object_get(project, "services"), name, svc) {
		const char *image = bld_json_get_str(svc, "image");
		if (!image)
			continue;
		const char *known = bld_json_get_str(done, image);
		cleanup_free char *pinned = known ? xstrdup(known) : NULL;
		if (!pinned && resolve_one(ctx, image, &pinned, err) < 0)
			return -(*err)->code;
		json_object_set_new(done, image, json_string(pinned));
		json_object_set_new(svc, "image", json_string(pinned));
	}
	return 0;
}
