/*
 * runner/prune.c — `container prune` and `volume prune`: what docker removes and how much
 * space that gives back. Stopped containers (created, exited, dead) go with their files;
 * volumes go when no container mounts them — anonymous ones only, unless all. Sizes are the
 * apparent sizes of the directories removed, as `bld system df` counts them.
 */
#include "runner/runner_int.h"

#include <fcntl.h>
#include <jansson.h>

#include "cache/cache.h"

int bld_runner_container_prune(struct bld_ctx *ctx, char ***removed, int64_t *bytes,
			       struct bld_error **err)
{
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	*removed = NULL;
	*bytes = 0;
	if (bld_runner_container_list(ctx, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *st = v[i].state;
		if (!strcmp(st, "running") || !strcmp(st, "restarting") || !strcmp(st, "paused") ||
		    !strcmp(st, "removing"))
			continue;
		cleanup_free char *dir = bld_runner_container_dir(ctx, v[i].id);
		int64_t size = bld_cache_du(AT_FDCWD, dir);
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_remove(ctx, v[i].id, false, false, &e) < 0)
			continue; /* started or removed meanwhile */
		bld_strv_push(removed, v[i].id);
		*bytes += size;
	}
	bld_runner_container_info_free(v, n);
	return 0;
}

static bool anonymous(struct bld_ctx *ctx, const char *name)
{
	cleanup_json json_t *v = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_volume_inspect(ctx, name, &v, &e) < 0)
		return false;
	return json_object_get(json_object_get(v, "Labels"), BLD_RUNNER_ANON_LABEL) != NULL;
}

int bld_runner_volume_prune(struct bld_ctx *ctx, bool all, char ***removed, int64_t *bytes,
			    struct bld_error **err)
{
	cleanup_strv char **names = NULL;
	*removed = NULL;
	*bytes = 0;
	if (bld_runner_volume_list(ctx, &names, err) < 0)
		return -1;
	for (size_t i = 0; names && names[i]; i++) {
		if (!all && !anonymous(ctx, names[i]))
			continue;
		cleanup_free char *data = xasprintf("%s/volumes/%s/_data", ctx->root, names[i]);
		int64_t size = bld_cache_du(AT_FDCWD, data);
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_volume_remove(ctx, names[i], false, &e) < 0)
			continue; /* in use */
		bld_strv_push(removed, names[i]);
		*bytes += size;
	}
	return 0;
}
