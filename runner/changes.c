/*
 * runner/changes.c — what a container changed in its root file system, read from its
 * overlay upper directory against the image's layers: `bld diff`'s A/C/D lines and the
 * layer `bld commit` stores.
 *
 * The rules are docker's (its archive.Changes over the old and new trees): a path missing
 * from the image is added (A), and so is everything below an added directory; a whiteout,
 * or a name an opaque directory hides, is deleted (D); a file, link or device whose mode,
 * owner, device number, size or mtime differ is changed (C), a directory only when its mode
 * or owner differ; a directory with any change below it is listed as changed before them.
 * Lines come depth first in name order (docker's own order within a directory is Go's map
 * order, that is none).
 *
 * The image is looked up the way overlayfs merges the layers: the topmost layer that has
 * the path wins, a whiteout (0/0 character device) or a non-directory above hides it, an
 * opaque directory hides what the layers below hold under it.
 *
 * The mount points the sandbox made in the upper directory because the image lacks them
 * (/etc/hosts, /etc/resolv.conf, /etc/hostname, /proc, /sys, /dev: docker keeps those in an
 * init layer below the container's) are neither changes nor part of a committed layer, and
 * nor is a directory made or copied up only to hold them.
 *
 * A --rootfs container has no upper directory: its changes are refused, not guessed.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define DIR_ENTRIES_MAX 10000000
#define DEPTH_MAX 1024

static bool strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Marked opaque by overlayfs (trusted. or user.overlay.opaque) or fuse-overlayfs. */
static bool is_opaque(const char *path)
{
	static const char *const keys[] = {"trusted.overlay.opaque", "user.overlay.opaque",
					   "user.fuseoverlayfs.opaque"};
	char v[2];
	ssize_t n = -1;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys) && n != 1; i++)
		n = lgetxattr(path, keys[i], v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* fuse-overlayfs' marks in an opaque directory, beside its xattr: no change of the image's. */
static bool fuse_mark(const char *name)
{
	return strcmp(name, ".wh..wh..opq") == 0 || strcmp(name, ".wh..opq") == 0;
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
		bool hides = !gone && (!S_ISDIR(st.st_mode) || is_opaque(p));
		*s = '/';
		if (gone)
			return false;
		if (hides)
			return true;
	}
	return false;
}

/* lstat of rel as the image shows it; the index of the layer that has it, -1 when none. */
static int image_stat(char *const *lowers, const char *rel, struct stat *st)
{
	for (size_t i = bld_strv_len(lowers); i-- > 0;) {
		cleanup_free char *p = bld_path_join(lowers[i], rel);
		if (lstat(p, st) == 0)
			return is_whiteout(st) ? -1 : (int)i;
		if (hidden_in(lowers[i], rel))
			return -1;
	}
	return -1;
}

/* The names of directory rel as the image shows it (sorted, caller frees). */
static char **image_names(char *const *lowers, const char *rel)
{
	char **names = NULL, **gone = NULL;
	struct stat st;
	for (int i = image_stat(lowers, rel, &st); i >= 0; i--) {
		cleanup_free char *p = bld_path_join(lowers[i], rel);
		cleanup_close int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_strv char **v = NULL;
		if (fd < 0 || bld_fs_sorted_names(fd, DIR_ENTRIES_MAX, &v) < 0)
			break;
		for (size_t k = 0; v && v[k]; k++) {
			if (strv_has(names, v[k]) || strv_has(gone, v[k]))
				continue;
			bool wh = fstatat(fd, v[k], &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout(&st);
			bld_strv_push(wh ? &gone : &names, v[k]);
		}
		if (is_opaque(p))
			break;
	}
	bld_strv_free(gone);
	return names;
}

/* docker's statDifferent: directories compare by mode and owner only. */
static bool stat_different(const struct stat *a, const struct stat *b)
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

/* ------------------------------------------------------------------ mount points */

/* A mount point the sandbox made: absent from the image, an empty file or directory. */
static bool made_stub(const char *upper, char *const *lowers, const char *rel)
{
	struct stat st, old;
	cleanup_free char *p = bld_path_join(upper, rel);
	if (lstat(p, &st) < 0 || image_stat(lowers, rel, &old) >= 0)
		return false;
	if (S_ISREG(st.st_mode))
		return st.st_size == 0;
	cleanup_close int fd = S_ISDIR(st.st_mode) ? open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
						   : -1;
	cleanup_strv char **v = NULL;
	if (fd < 0 || bld_fs_sorted_names(fd, 3, &v) < 0)
		return false;
	for (size_t i = 0; v && v[i]; i++)
		if (!fuse_mark(v[i]))
			return false;
	return true;
}

/* Whether every entry of upper directory rel is in ex, and rel itself is what the image
 * has or was made for them. */
static bool only_stubs(const char *upper, char *const *lowers, const char *rel, char *const *ex)
{
	cleanup_free char *p = bld_path_join(upper, rel);
	cleanup_close int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_strv char **v = NULL;
	if (fd < 0 || bld_fs_sorted_names(fd, DIR_ENTRIES_MAX, &v) < 0 || !v || !v[0])
		return false;
	for (size_t i = 0; v[i]; i++) {
		cleanup_free char *c = xasprintf("%s/%s", rel, v[i]);
		if (!strv_has(ex, c) && !fuse_mark(v[i]))
			return false;
	}
	/* opaque over the image's (fuse-overlayfs marks new directories opaque as well) */
	struct stat st, old;
	if (lstat(p, &st) < 0)
		return false;
	if (image_stat(lowers, rel, &old) < 0)
		return true;
	return !is_opaque(p) && !stat_different(&old, &st);
}

static char **stubs_of(const char *upper, char *const *lowers)
{
	static const char *const stubs[] = {"etc/hosts", "etc/resolv.conf", "etc/hostname",
					    "proc", "sys", "dev"};
	char **ex = NULL;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(stubs); i++)
		if (made_stub(upper, lowers, stubs[i]))
			bld_strv_push(&ex, stubs[i]);
	if (only_stubs(upper, lowers, "etc", ex))
		bld_strv_push(&ex, "etc");
	if (!ex)
		ex = xcalloc(1, sizeof(*ex));
	return ex;
}

/* ------------------------------------------------------------------ the walk */

struct walk {
	const char *upper;
	char *const *lowers;
	char *const *exclude;
	struct bld_runner_change *v;
	size_t n, cap;
};

static void push_at(struct walk *w, size_t at, char kind, const char *rel)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	memmove(w->v + at + 1, w->v + at, (w->n - at) * sizeof(*w->v));
	w->v[at] = (struct bld_runner_change){.kind = kind, .path = xasprintf("/%s", rel)};
	w->n++;
}

static void push(struct walk *w, char kind, const char *rel) { push_at(w, w->n, kind, rel); }

static int walk_dir(struct walk *w, const char *rel, bool added, int depth,
		    struct bld_error **err);

/* The names the image has under rel that opaque upper directory rel no longer shows. */
static void opaque_deletions(struct walk *w, const char *rel, char *const *upper_names)
{
	cleanup_strv char **old = image_names(w->lowers, rel);
	for (size_t i = 0; old && old[i]; i++)
		if (!strv_has(upper_names, old[i])) {
			cleanup_free char *c = bld_path_join(rel, old[i]);
			push(w, 'D', c);
		}
}

static int walk_one(struct walk *w, const char *rel, bool added, int depth,
		    struct bld_error **err)
{
	struct stat st, old;
	cleanup_free char *p = bld_path_join(w->upper, rel);
	if (strv_has(w->exclude, rel))
		return 0;
	if (lstat(p, &st) < 0)
		return bld_error_sys(err, errno, "stat %s", p);
	if (is_whiteout(&st)) {
		if (!added && image_stat(w->lowers, rel, &old) >= 0)
			push(w, 'D', rel);
		return 0;
	}
	if (added || image_stat(w->lowers, rel, &old) < 0) {
		push(w, 'A', rel);
		return S_ISDIR(st.st_mode) ? walk_dir(w, rel, true, depth + 1, err) : 0;
	}
	size_t mark = w->n;
	bool changed = stat_different(&old, &st);
	if (changed)
		push(w, 'C', rel);
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (walk_dir(w, rel, false, depth + 1, err) < 0)
		return -1;
	if (!changed && w->n > mark)
		push_at(w, mark, 'C', rel);
	return 0;
}

static int walk_dir(struct walk *w, const char *rel, bool added, int depth,
		    struct bld_error **err)
{
	if (depth > DEPTH_MAX)
		return bld_error_set(err, BLD_E_INVALID, "/%s: directories nested too deep", rel);
	cleanup_free char *p = bld_path_join(w->upper, rel);
	cleanup_close int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_strv char **names = NULL;
	int r = fd < 0 ? -errno : bld_fs_sorted_names(fd, DIR_ENTRIES_MAX, &names);
	if (r < 0)
		return bld_error_sys(err, -r, "read directory %s", p);
	for (size_t i = 0; names && names[i]; i++) {
		if (fuse_mark(names[i]))
			continue;
		cleanup_free char *c = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		if (walk_one(w, c, added, depth, err) < 0)
			return -1;
	}
	if (!added && *rel && is_opaque(p))
		opaque_deletions(w, rel, names);
	return 0;
}

/* ------------------------------------------------------------------ fuse-overlayfs */

#define FUSE_OPAQUE "user.fuseoverlayfs.opaque"

/* Drops the opaque marks of directory rel in upper (open as fd) where the kernel's overlayfs
 * would have none: where no directory of the image is below it to hide (a new directory, or
 * one inside an opaque one); then its subdirectories. */
static void tidy_dir(int fd, const char *rel, char *const *lowers, bool hidden, int depth)
{
	char v[2];
	bool opaque = fgetxattr(fd, FUSE_OPAQUE, v, sizeof(v)) == 1 && v[0] == 'y';
	struct stat st;
	if (opaque && (hidden || image_stat(lowers, rel, &st) < 0 || !S_ISDIR(st.st_mode))) {
		fremovexattr(fd, FUSE_OPAQUE);
		unlinkat(fd, ".wh..wh..opq", 0);
		unlinkat(fd, ".wh..opq", 0);
		opaque = false;
	}
	cleanup_strv char **names = NULL;
	if (depth > DEPTH_MAX || bld_fs_sorted_names(fd, DIR_ENTRIES_MAX, &names) < 0)
		return;
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_close int sub = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								   O_CLOEXEC);
		cleanup_free char *srel = *rel ? bld_path_join(rel, names[i]) : xstrdup(names[i]);
		if (sub >= 0)
			tidy_dir(sub, srel, lowers, hidden || opaque, depth + 1);
	}
}

void bld_runner_overlay_tidy(const char *upper, char *const *lowers)
{
	cleanup_close int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		tidy_dir(fd, "", lowers, false, 0);
}

/* ------------------------------------------------------------------ containers */

/* The container's upper directory and image layers (caller frees both). */
static int container_tree(struct bld_ctx *ctx, const char *ref, char **id, char **upper,
			  char ***lowers, struct bld_error **err)
{
	json_t *cfg = NULL;
	if (bld_runner_container_lookup(ctx, ref, id, err) < 0 ||
	    bld_runner_container_load(ctx, *id, &cfg, NULL, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	cleanup_free char *dir = bld_runner_container_dir(ctx, *id);
	*upper = xasprintf("%s/upper", dir);
	*lowers = NULL;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(cfg, "Lowers"), i, l)
		bld_strv_push(lowers, json_string_value(l));
	bool rootfs = !bld_json_get_str(cfg, "ImageID") || !*bld_json_get_str(cfg, "ImageID");
	json_decref(cfg);
	struct stat st;
	if (rootfs)
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "container %s runs on a --rootfs directory: it has no layers",
				     ref);
	if (lstat(*upper, &st) < 0 && errno == ENOENT && mkdir(*upper, 0755) < 0 &&
	    errno != EEXIST)
		return bld_error_sys(err, errno, "mkdir %s", *upper);
	return 0;
}

int bld_runner_container_diff(struct bld_ctx *ctx, const char *ref,
			      struct bld_runner_change **out, size_t *n, struct bld_error **err)
{
	cleanup_free char *id = NULL, *upper = NULL;
	cleanup_strv char **lowers = NULL;
	if (container_tree(ctx, ref, &id, &upper, &lowers, err) < 0)
		return -1;
	cleanup_strv char **ex = stubs_of(upper, lowers);
	struct walk w = {.upper = upper, .lowers = lowers, .exclude = ex};
	if (walk_dir(&w, "", false, 0, err) < 0) {
		bld_runner_changes_free(w.v, w.n);
		return -1;
	}
	*out = w.v;
	*n = w.n;
	return 0;
}

void bld_runner_changes_free(struct bld_runner_change *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

/* Whether the upper directory holds anything but the excluded mount points. */
static bool has_changes(const char *upper, char *const *ex)
{
	cleanup_close int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_strv char **v = NULL;
	if (fd < 0 || bld_fs_sorted_names(fd, DIR_ENTRIES_MAX, &v) < 0)
		return false;
	for (size_t i = 0; v && v[i]; i++)
		if (!strv_has(ex, v[i]))
			return true;
	return false;
}

int bld_runner_container_commit_layer(struct bld_ctx *ctx, struct bld_store *s, const char *ref,
				      bool pause, struct bld_cache_layer *layer, bool *empty,
				      struct bld_error **err)
{
	cleanup_free char *id = NULL, *upper = NULL;
	cleanup_strv char **lowers = NULL;
	if (container_tree(ctx, ref, &id, &upper, &lowers, err) < 0)
		return -1;
	int hold = -1; /* the pause ends with this bld, also when it is killed */
	if (pause && bld_runner_container_pause_hold(ctx, id, &hold, err) < 0) {
		bld_error_free(*err); /* not running, or paused already: nothing moves */
		*err = NULL;
	}
	cleanup_strv char **ex = stubs_of(upper, lowers);
	*empty = !has_changes(upper, ex);
	struct bld_cache_layer_opts o = {.overlay = true, .source_date_epoch = -1, .exclude = ex};
	int r = *empty ? 0 : bld_cache_layer_from_dir(s, upper, &o, layer, err);
	cleanup_error struct bld_error *e = NULL;
	bld_test_point("commit-paused");
	if (hold >= 0 && bld_runner_container_pause_release(hold, id, &e) < 0)
		bld_warn("%s", e->msg);
	return r;
}
