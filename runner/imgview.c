/*
 * runner/imgview.c — an image's root as overlayfs merges its layer directories, read
 * without mounting it: the topmost layer that has a path wins, a whiteout (a 0/0 character
 * device) or a non-directory above hides it, an opaque directory hides what the layers below
 * hold under it; and docker's rule for whether an entry changed. changes.c (a container's
 * upper directory) and copydiff.c (a container's copied root) read the image so.
 *
 * It only reads; paths are lstat'ed and directories opened without following a last symlink.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define DIR_ENTRIES_MAX 10000000

bool bld_runner_img_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Marked opaque by overlayfs (trusted. or user.overlay.opaque) or fuse-overlayfs. */
bool bld_runner_img_opaque(const char *path)
{
	static const char *const keys[] = {"trusted.overlay.opaque", "user.overlay.opaque",
					   "user.fuseoverlayfs.opaque"};
	char v[2];
	ssize_t n = -1;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys) && n != 1; i++)
		n = lgetxattr(path, keys[i], v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* Whether something in layer hides rel from the layers below: a whiteout, a non-directory
 * or an opaque directory on the way to it (rel itself is absent from layer). */
static bool hidden_in(const char *layer, const char *rel)
{
	cleanup_free char *p = bld_path_join(layer, rel);
	size_t base = strlen(layer) + 1;
	for (char *s = strchr(p + base, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		struct stat st;
		bool gone = lstat(p, &st) < 0;
		bool hides = !gone && (!S_ISDIR(st.st_mode) || bld_runner_img_opaque(p));
		*s = '/';
		if (gone)
			return false;
		if (hides)
			return true;
	}
	return false;
}

/* lstat of rel as the image shows it; the index of the layer that has it, -1 when none. */
int bld_runner_img_stat(char *const *lowers, const char *rel, struct stat *st)
{
	for (size_t i = bld_strv_len(lowers); i-- > 0;) {
		cleanup_free char *p = bld_path_join(lowers[i], rel);
		if (lstat(p, st) == 0)
			return bld_runner_img_whiteout(st) ? -1 : (int)i;
		if (hidden_in(lowers[i], rel))
			return -1;
	}
	return -1;
}

/* The names of directory rel as the image shows it (sorted, caller frees). */
char **bld_runner_img_names(char *const *lowers, const char *rel)
{
	char **names = NULL, **gone = NULL;
	struct stat st;
	for (int i = bld_runner_img_stat(lowers, rel, &st); i >= 0; i--) {
		cleanup_free char *p = bld_path_join(lowers[i], rel);
		cleanup_close int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_strv char **v = NULL;
		if (fd < 0 || bld_fs_sorted_names(fd, DIR_ENTRIES_MAX, &v) < 0)
			break;
		for (size_t k = 0; v && v[k]; k++) {
			if (bld_strv_has(names, v[k]) || bld_strv_has(gone, v[k]))
				continue;
			bool wh = fstatat(fd, v[k], &st, AT_SYMLINK_NOFOLLOW) == 0 && bld_runner_img_whiteout(&st);
			bld_strv_push(wh ? &gone : &names, v[k]);
		}
		if (bld_runner_img_opaque(p))
			break;
	}
	bld_strv_free(gone);
	return names;
}

/* docker's statDifferent: directories compare by mode and owner only. */
bool bld_runner_img_stat_different(const struct stat *a, const struct stat *b)
{
	if (a->st_mode != b->st_mode || a->st_uid != b->st_uid || a->st_gid != b->st_gid ||
	    a->st_rdev != b->st_rdev)
		return true;
	if (S_ISDIR(a->st_mode))
		return false;
	bool same_ns = a->st_mtim.tv_nsec == b->st_mtim.tv_nsec || !a->st_mtim.tv_nsec ||
		       !b->st_mtim.tv_nsec;
	return a->st_mtim.tv_sec != b->st_mtim.tv_sec || !same_ns || a->st_size != b->st_size;
}
