/*
 * common/ctx.c — the per-invocation context: where the store is and how to talk to the
 * user. Filled once from the environment by the CLI and passed down explicitly.
 *
 * Rootless: a user who is not root gets podman's per-user places (the store in
 * $XDG_DATA_HOME/bld, runtime state in $XDG_RUNTIME_DIR/bld or /tmp/bld-UID). bld then runs
 * as root of a user namespace (runner/rootless.c), where geteuid() is 0: the places stay the
 * user's because the namespace's root maps to a host uid other than 0 (bld_rootless).
 */
#include "common/common.h"

#include <errno.h>

/* The host uid that uid 0 of our user namespace stands for (-1 when 0 is not mapped). */
static long host_uid_of_root(void)
{
	cleanup_fclose FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inner, outer, count;
	while (f && fscanf(f, "%lu %lu %lu", &inner, &outer, &count) == 3)
		if (inner == 0)
			return (long)outer;
	return -1;
}

bool bld_rootless(void)
{
	static int rootless = -1;
	if (rootless < 0)
		rootless = geteuid() != 0 || host_uid_of_root() != 0;
	return rootless;
}

uid_t bld_rootless_host_uid(void)
{
	if (geteuid() != 0)
		return geteuid();
	long u = host_uid_of_root();
	return u < 0 ? 0 : (uid_t)u;
}

/* The store's default place: /var/lib/bld for root, the user's data directory otherwise. */
static char *default_root(const char *home, struct bld_error **err)
{
	if (!bld_rootless())
		return xstrdup("/var/lib/bld");
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg)
		return xasprintf("%s/bld", xdg);
	if (home && *home)
		return xasprintf("%s/.local/share/bld", home);
	bld_error_set(err, BLD_E_INVALID, "neither BLD_ROOT nor HOME is set");
	return NULL;
}

/* Runtime state: /run/bld for root; $XDG_RUNTIME_DIR/bld or /tmp/bld-UID (as podman). */
static char *default_run_dir(void)
{
	if (!bld_rootless())
		return xstrdup("/run/bld");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		return xasprintf("%s/bld", xdg);
	return xasprintf("/tmp/bld-%u", (unsigned)bld_rootless_host_uid());
}

int bld_ctx_init(struct bld_ctx *ctx, struct bld_error **err)
{
	memset(ctx, 0, sizeof(*ctx));
	const char *root = getenv("BLD_ROOT");
	const char *home = getenv("HOME");
	ctx->root = root && *root ? xstrdup(root) : default_root(home, err);
	if (!ctx->root)
		return -1;
	ctx->run_dir = default_run_dir();
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
	free(ctx->run_dir);
	free(ctx->config_dir);
	memset(ctx, 0, sizeof(*ctx));
}

bool bld_rootless_single_id(void)
{
	static int single = -1;
	if (single < 0) {
		cleanup_fclose FILE *f = fopen("/proc/self/uid_map", "re");
		unsigned long a, b, c, total = 0;
		while (f && fscanf(f, "%lu %lu %lu", &a, &b, &c) == 3)
			total += c;
		single = bld_rootless() && total <= 1;
	}
	return single;
}

int bld_error_chown(struct bld_error **err, int errnum, const char *path, unsigned long uid,
		    unsigned long gid)
{
	if (errnum == EINVAL && bld_rootless_single_id())
		return bld_error_set(err, BLD_E_SYSTEM,
				     "chown %s to %lu:%lu: " BLD_ROOTLESS_SINGLE_ID_WHY, path, uid,
				     gid);
	return bld_error_sys(err, errnum, "chown %s", path);
}
