/*
 * builder/stubs.c — mount stubs out of a RUN step's layer, as BuildKit 0.11 and later leave
 * them out (moby/buildkit PRs 3307 and 3314, executor/stubs.go): the sandbox creates what a
 * mount target (or /etc/hosts, /etc/resolv.conf ...) needs when the image lacks it, the
 * target and every missing parent; afterwards each of those that is still an empty directory
 * or an empty file is removed from the upper directory. A directory the image already had,
 * copied up only because a stub was made in it, is dropped from the upper directory too when
 * nothing else changed in it but its time: BuildKit's differs never record a directory whose
 * mode and owner are unchanged, and a RUN layer must not hold it either.
 *
 * What existed before the step is read from the stage's lowers as overlayfs merges them
 * (whiteouts and opaque directories hide what is below; symlinks are followed inside the
 * lowers, as the sandbox follows them when it makes a target). What the command itself wrote
 * into a stub directory keeps it, and its parents.
 *
 * It does not look inside mounts: what a command wrote there never reached the upper
 * directory.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define STUB_LINKS_MAX 40

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(const char *dir)
{
	char v[2];
	return lgetxattr(dir, "trusted.overlay.opaque", v, sizeof(v)) == 1 ? v[0] == 'y'
	       : lgetxattr(dir, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/*
 * What the merged lowers hold at path (absolute, no symlink followed): 0 and *out when
 * something, -ENOENT when nothing. Lowers are listed lowest first.
 */
static int merged_lstat(char *const *lowers, const char *path, struct stat *out)
{
	size_t n = bld_strv_len(lowers);
	cleanup_free char *parent = xstrdup(path);
	char *slash = strrchr(parent, '/');
	if (slash)
		slash[slash == parent ? 1 : 0] = '\0';
	for (size_t i = n; i-- > 0;) {
		cleanup_free char *p = bld_path_join(lowers[i], path);
		if (lstat(p, out) == 0)
			return is_whiteout(out) ? -ENOENT : 0;
		cleanup_free char *pp = bld_path_join(lowers[i], parent);
		if (is_opaque(pp))
			return -ENOENT;
	}
	return -ENOENT;
}

/* The first symlink target at p in the merged lowers, or NULL. */
static char *merged_readlink(char *const *lowers, const char *path)
{
	for (size_t i = bld_strv_len(lowers); i-- > 0;) {
		cleanup_free char *p = bld_path_join(lowers[i], path);
		char buf[4096];
		ssize_t l = readlink(p, buf, sizeof(buf) - 1);
		if (l >= 0)
			return xstrndup(buf, (size_t)l);
	}
	return NULL;
}

/*
 * path resolved inside the merged lowers, symlinks followed (an absolute target from the
 * root): the longest existing prefix, then the rest as written. *existing gets the length of
 * the part that exists. Returns NULL after too many links.
 */
static char *resolve(char *const *lowers, const char *path, size_t *existing)
{
	cleanup_free char *rest = bld_path_clean(path);
	char *cur = xstrdup("");
	for (int links = 0;;) {
		char *p = rest;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		cleanup_free char *next = xasprintf("%s/%.*s", cur, (int)n, p);
		struct stat st;
		if (merged_lstat(lowers, next, &st) < 0) {
			*existing = strlen(cur);
			char *out = xasprintf("%s/%s", cur, p);
			free(cur);
			return out;
		}
		cleanup_free char *target = S_ISLNK(st.st_mode) ? merged_readlink(lowers, next) : NULL;
		if (target && ++links > STUB_LINKS_MAX) {
			free(cur);
			return NULL;
		}
		char *tail = p + n;
		if (target) {
			char *base = target[0] == '/' ? xstrdup("") : xstrdup(cur);
			char *r = xasprintf("%s/%s%s", base, target, tail);
			free(base);
			free(rest);
			rest = bld_path_clean(r);
			free(r);
			free(cur);
			cur = xstrdup("");
			continue;
		}
		free(cur);
		cur = steal_pointer(&next);
		memmove(rest, tail, strlen(tail) + 1);
	}
	*existing = strlen(cur);
	return cur[0] ? cur : (free(cur), xstrdup("/"));
}

/* Removes upper/path when it is what a stub leaves: an empty directory or empty file. */
static bool remove_stub(const char *upper, const char *path)
{
	cleanup_free char *p = bld_path_join(upper, path);
	struct stat st;
	if (lstat(p, &st) < 0)
		return false;
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return unlink(p) == 0;
	if (S_ISDIR(st.st_mode) && bld_fs_dir_is_empty(p) && !is_opaque(p))
		return rmdir(p) == 0;
	return false;
}

/*
 * Removes upper/path, a directory the image had, when the step left it empty, not opaque
 * and with the image's mode and owner (copied up for a stub, nothing else).
 */
static bool remove_copied_up(const char *upper, char *const *lowers, const char *path)
{
	cleanup_free char *p = bld_path_join(upper, path);
	struct stat up, low;
	if (lstat(p, &up) < 0 || !S_ISDIR(up.st_mode) || merged_lstat(lowers, path, &low) < 0)
		return false;
	if (up.st_mode != low.st_mode || up.st_uid != low.st_uid || up.st_gid != low.st_gid)
		return false;
	return bld_fs_dir_is_empty(p) && !is_opaque(p) && rmdir(p) == 0;
}

/* The stubs of one target: the missing part deepest first, then the existing parents. */
static void prune_target(const char *upper, char *const *lowers, const char *target)
{
	size_t existing = 0;
	cleanup_free char *path = resolve(lowers, target, &existing);
	if (!path || strcmp(path, "/") == 0)
		return;
	size_t len = strlen(path);
	while (len > existing) {
		path[len] = '\0';
		if (!remove_stub(upper, path))
			return;
		char *slash = strrchr(path, '/');
		len = slash ? (size_t)(slash - path) : 0;
	}
	while (len > 0) {
		path[len] = '\0';
		if (!remove_copied_up(upper, lowers, path))
			return;
		len = (size_t)(strrchr(path, '/') - path);
	}
}

void bld_builder_stubs_prune(const char *upper, char *const *lowers, char *const *targets)
{
	static const char *const fixed[] = {"/etc/hosts", "/etc/resolv.conf", "/etc/hostname",
					    "/proc", "/sys", "/dev"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(fixed); i++)
		prune_target(upper, lowers, fixed[i]);
	/* the last mount first: a later target may lie inside an earlier one's stub */
	for (size_t i = bld_strv_len(targets); i-- > 0;)
		prune_target(upper, lowers, targets[i]);
}
