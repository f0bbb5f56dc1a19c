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
 * The image is looked up the way overlayfs merges the layers (imgview.c). A container on a
 * copied root (no overlay could be mounted) has no upper directory of its own: one is made
 * for the question from the copy (copydiff.c) and removed after.
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

/* fuse-overlayfs' marks in an opaque directory, beside its xattr: no change of the image's. */
static bool fuse_mark(const char *name)
{
	return strcmp(name, ".wh..wh..opq") == 0 || strcmp(name, ".wh..opq") == 0;
}

/* ------------------------------------------------------------------ mount points */

/* A mount point the sandbox made: absent from the image, an empty file or directory. */
static bool made_stub(const char *upper, char *const *lowers, const char *rel)
{
	struct stat st, old;
	cleanup_free char *p = bld_path_join(upper, rel);
	if (lstat(p, &st) < 0 || bld_runner_img_stat(lowers, rel, &old) >= 0)
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
		if (!bld_strv_has(ex, c) && !fuse_mark(v[i]))
			return false;
	}
	/* opaque over the image's (fuse-overlayfs marks new directories opaque as well) */
	struct stat st, old;
	if (lstat(p, &st) < 0)
		return false;
	if (bld_runner_img_stat(lowers, rel, &old) < 0)
		return true;
	return !bld_runner_img_opaque(p) && !bld_runner_img_stat_different(&old, &st);
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
	cleanup_strv char **old = bld_runner_img_names(w->lowers, rel);
	for (size_t i = 0; old && old[i]; i++)
		if (!bld_strv_has(upper_names, old[i])) {
			cleanup_free char *c = bld_path_join(rel, old[i]);
			push(w, 'D', c);
		}
}

static int walk_one(struct walk *w, const char *rel, bool added, int depth,
		    struct bld_error **err)
{
	struct stat st, old;
	cleanup_free char *p = bld_path_join(w->upper, rel);
	if (bld_strv_has(w->exclude, rel))
		return 0;
	if (lstat(p, &st) < 0)
		return bld_error_sys(err, errno, "stat %s", p);
	if (bld_runner_img_whiteout(&st)) {
		if (!added && bld_runner_img_stat(w->lowers, rel, &old) >= 0)
			push(w, 'D', rel);
		return 0;
	}
	if (added || bld_runner_img_stat(w->lowers, rel, &old) < 0) {
		push(w, 'A', rel);
		return S_ISDIR(st.st_mode) ? walk_dir(w, rel, true, depth + 1, err) : 0;
	}
	size_t mark = w->n;
	bool changed = bld_runner_img_stat_different(&old, &st);
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
	if (!added && *rel && bld_runner_img_opaque(p))
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
	if (opaque && (hidden || bld_runner_img_stat(lowers, rel, &st) < 0 || !S_ISDIR(st.st_mode))) {
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

/* A container's tree: its upper directory (made from its copied root when it has one) and
 * its image's layers. */
struct tree {
	char *id;
	char *dir;
	char *upper;
	char **lowers;
	bool scratch; /* upper made from the copied root: removed by tree_dispose */
};

static void tree_dispose(struct tree *t)
{
	cleanup_error struct bld_error *e = NULL;
	if (t->scratch)
		bld_fs_rm_rf(t->upper, &e);
	free(t->id);
	free(t->dir);
	free(t->upper);
	bld_strv_free(t->lowers);
}

/* The container ref and its image's layers. */
static int tree_open(struct bld_ctx *ctx, const char *ref, struct tree *t, struct bld_error **err)
{
	json_t *cfg = NULL;
	memset(t, 0, sizeof(*t));
	if (bld_runner_container_lookup(ctx, ref, &t->id, err) < 0 ||
	    bld_runner_container_load(ctx, t->id, &cfg, NULL, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	t->dir = bld_runner_container_dir(ctx, t->id);
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(cfg, "Lowers"), i, l)
		bld_strv_push(&t->lowers, json_string_value(l));
	bool rootfs = !bld_json_get_str(cfg, "ImageID") || !*bld_json_get_str(cfg, "ImageID");
	json_decref(cfg);
	if (rootfs)
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "container %s runs on a --rootfs directory: it has no layers",
				     ref);
	return 0;
}

/* t's upper directory: the overlay's, or one made now from the copied root. */
static int tree_upper(struct tree *t, struct bld_error **err)
{
	cleanup_free char *copied = xasprintf("%s/rootfs.complete", t->dir);
	if (access(copied, F_OK) == 0) {
		cleanup_free char *root = xasprintf("%s/rootfs", t->dir);
		t->upper = xasprintf("%s/copydiff-XXXXXX", t->dir);
		if (!mkdtemp(t->upper))
			return bld_error_sys(err, errno, "mkdtemp %s", t->upper);
		t->scratch = true;
		return bld_runner_copy_diff(root, t->lowers, t->upper, err);
	}
	t->upper = xasprintf("%s/upper", t->dir);
	struct stat st;
	if (lstat(t->upper, &st) < 0 && errno == ENOENT && mkdir(t->upper, 0755) < 0 &&
	    errno != EEXIST)
		return bld_error_sys(err, errno, "mkdir %s", t->upper);
	return 0;
}

int bld_runner_container_diff(struct bld_ctx *ctx, const char *ref,
			      struct bld_runner_change **out, size_t *n, struct bld_error **err)
{
	struct tree t;
	if (tree_open(ctx, ref, &t, err) < 0 || tree_upper(&t, err) < 0) {
		tree_dispose(&t);
		return -1;
	}
	cleanup_strv char **ex = stubs_of(t.upper, t.lowers);
	struct walk w = {.upper = t.upper, .lowers = t.lowers, .exclude = ex};
	int r = walk_dir(&w, "", false, 0, err);
	tree_dispose(&t);
	if (r < 0) {
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
		if (!bld_strv_has(ex, v[i]))
			return true;
	return false;
}

int bld_runner_container_commit_layer(struct bld_ctx *ctx, struct bld_store *s, const char *ref,
				      bool pause, struct bld_cache_layer *layer, bool *empty,
				      struct bld_error **err)
{
	struct tree t;
	if (tree_open(ctx, ref, &t, err) < 0) {
		tree_dispose(&t);
		return -1;
	}
	int hold = -1; /* the pause ends with this bld, also when it is killed */
	if (pause && bld_runner_container_pause_hold(ctx, t.id, &hold, err) < 0) {
		bld_error_free(*err); /* not running, or paused already: nothing moves */
		*err = NULL;
	}
	int r = tree_upper(&t, err);
	cleanup_strv char **ex = r < 0 ? NULL : stubs_of(t.upper, t.lowers);
	*empty = r < 0 || !has_changes(t.upper, ex);
	struct bld_cache_layer_opts o = {.overlay = true, .source_date_epoch = -1, .exclude = ex};
	if (r == 0 && !*empty)
		r = bld_cache_layer_from_dir(s, t.upper, &o, layer, err);
	cleanup_error struct bld_error *e = NULL;
	bld_test_point("commit-paused");
	if (hold >= 0 && bld_runner_container_pause_release(hold, t.id, &e) < 0)
		bld_warn("%s", e->msg);
	tree_dispose(&t);
	return r;
}
