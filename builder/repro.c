/*
 * builder/repro.c — `bld build --check-reproducible`: the target built twice, each time in a
 * scratch store of its own under $BLD_ROOT/tmp (so that neither build reuses the other's
 * cache), with the same SOURCE_DATE_EPOCH, and the two images compared: the same manifest
 * is "reproducible"; otherwise each difference at file level, in the layer of the step that
 * made it (path; content, mode, owner, mtime, link target, order or xattr), or in the config.
 *
 * The scratch stores start with the user's image index and hard links to the user's blobs
 * (blobs are never written in place: a store replaces a file by renaming over it, which
 * only replaces the scratch store's link), so base images are not pulled again and the
 * user's store is never written. Both are removed afterwards, also when a build fails.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define INDEX_MAX ((size_t)64 << 20)

/* Copies root/oci/NAME into the scratch store's oci/ (nothing when the user has none). */
static int copy_oci_file(const char *root, int dfd, const char *name, struct bld_error **err)
{
	cleanup_free char *p = xasprintf("%s/oci/%s", root, name);
	cleanup_free char *data = NULL;
	size_t n = 0;
	if (access(p, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (bld_fs_read_file(p, INDEX_MAX, &data, &n, err) < 0)
		return -1;
	return bld_fs_write_atomic(dfd, name, data, n, 0644, err);
}

/* A scratch store at dir holding what the user's store at root names, blobs linked. */
static int seed_store(const char *root, const char *dir, struct bld_error **err)
{
	cleanup_free char *blobs = xasprintf("%s/oci/blobs/sha256", dir);
	cleanup_free char *ublobs = xasprintf("%s/oci/blobs/sha256", root);
	cleanup_free char *oci = xasprintf("%s/oci", dir);
	if (bld_fs_mkdir_p(blobs, 0700, err) < 0)
		return -1;
	cleanup_close int ofd = open(oci, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ofd < 0)
		return bld_error_sys(err, errno, "open %s", oci);
	if (copy_oci_file(root, ofd, "oci-layout", err) < 0 ||
	    copy_oci_file(root, ofd, "index.json", err) < 0)
		return -1;
	DIR *d = opendir(ublobs);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *src = xasprintf("%s/%s", ublobs, de->d_name);
		cleanup_free char *dst = xasprintf("%s/%s", blobs, de->d_name);
		if (link(src, dst) < 0)
			bld_debug("link %s: %s", src, strerror(errno)); /* pulled again if needed */
	}
	if (d)
		closedir(d);
	return 0;
}

/* One build of o into the scratch store at dir, with SOURCE_DATE_EPOCH epoch. */
static int build_in(struct bld_ctx *ctx, const struct bld_builder_opts *o, const char *dir,
		    const char *epoch, char id[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	if (seed_store(ctx->root, dir, err) < 0)
		return -1;
	struct bld_ctx c = *ctx;
	c.root = (char *)dir;
	struct bld_builder_opts bo = *o;
	cleanup_strv char **args = bld_strv_dup(o->build_args);
	cleanup_free char *sde = xasprintf("SOURCE_DATE_EPOCH=%s", epoch);
	bld_strv_push(&args, sde);
	char *tags[] = {"docker.io/library/bld-check-reproducible:latest", NULL}; /* repro_diff.c */
	bo.build_args = args;
	bo.tags = tags;
	bo.iidfile = NULL;
	bo.output = NULL;
	bo.cache_to = NULL;
	bo.explain = false;
	bo.check_reproducible = false;
	return bld_builder_build(&c, &bo, id, err);
}

/*
 * The epoch both builds use: a --build-arg SOURCE_DATE_EPOCH, the environment's, the time of
 * the commit checked out where a directory context is, or now.
 */
static char *pick_epoch(const struct bld_builder_opts *o)
{
	int64_t t = 0;
	for (size_t i = 0; o->build_args && o->build_args[i]; i++)
		if (bld_str_has_prefix(o->build_args[i], "SOURCE_DATE_EPOCH="))
			return xstrdup(o->build_args[i] + strlen("SOURCE_DATE_EPOCH="));
	const char *e = getenv("SOURCE_DATE_EPOCH");
	if (e && *e)
		return xstrdup(e);
	struct stat sb;
	bool dir = o->context && stat(o->context, &sb) == 0 && S_ISDIR(sb.st_mode);
	if (dir && bld_builder_git_commit_time(o->context, &t))
		return xasprintf("%lld", (long long)t);
	return xasprintf("%lld", (long long)time(NULL));
}

int bld_builder_check_reproducible(struct bld_ctx *ctx, const struct bld_builder_opts *o,
				   struct bld_builder_repro *out, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	cleanup_free char *tmproot = xasprintf("%s/tmp", ctx->root);
	if (bld_fs_mkdir_p(tmproot, 0700, err) < 0)
		return -1;
	cleanup_free char *top = xasprintf("%s/repro-XXXXXX", tmproot);
	if (!mkdtemp(top))
		return bld_error_sys(err, errno, "mkdtemp in %s", tmproot);
	cleanup_free char *da = xasprintf("%s/a", top), *db = xasprintf("%s/b", top);
	cleanup_free char *epoch = pick_epoch(o);
	char ida[BLD_DIGEST_STR_LEN], idb[BLD_DIGEST_STR_LEN];
	int r = build_in(ctx, o, da, epoch, ida, err);
	if (r == 0)
		r = build_in(ctx, o, db, epoch, idb, err);
	if (r == 0)
		r = bld_builder_repro_compare(da, db, out, err);
	struct bld_error *e = NULL;
	if (bld_fs_rm_rf(top, &e) < 0)
		bld_warn("remove %s: %s", top, e->msg);
	bld_error_free(e);
	return r;
}

void bld_builder_repro_dispose(struct bld_builder_repro *r)
{
	bld_strv_free(r->diffs);
	memset(r, 0, sizeof(*r));
}
