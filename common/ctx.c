/*
 * common/ctx.c — the per-invocation context: where the store is and how to talk to the
 * user. Filled once from the environment by the CLI and passed down explicitly.
 */
#include "common/common.h"

int bld_ctx_init(struct bld_ctx *ctx, struct bld_error **err)
{
	memset(ctx, 0, sizeof(*ctx));
	const char *root = getenv("BLD_ROOT");
	const char *home = getenv("HOME");
	if (root && *root) {
		ctx->root = xstrdup(root);
	} else if (geteuid() == 0) {
		ctx->root = xstrdup("/var/lib/bld");
	} else {
		const char *xdg = getenv("XDG_DATA_HOME");
		if (xdg && *xdg)
			ctx->root = xasprintf("%s/bld", xdg);
		else if (home && *home)
			ctx->root = xasprintf("%s/.local/share/bld", home);
		else
			return bld_error_set(err, BLD_E_INVALID, "neither BLD_ROOT nor HOME is set");
	}
	const char *dc = getenv("DOCKER_CONFIG");
	if (dc && *dc)
		ctx->config_dir = xstrdup(dc);
	else
		ctx->config_dir = xasprintf("%s/.docker", home && *home ? home : "/root");
	ctx->tty = bld_is_tty(2);
	return 0;
}

void bld_ctx_dispose(struct bld_ctx *ctx)
{
	free(ctx->root);
	free(ctx->config_dir);
	memset(ctx, 0, sizeof(*ctx));
}
