/*
 * cache/layer.c — making layers: a directory tree (or an overlay upper directory) written
 * as a PAX tar by libarchive, gzip-compressed (layer_gz.c: igzip in worker threads) and
 * stored as a blob, with the digests OCI needs (blob digest of the gzip stream, which the blob
 * writer computes, and diff ID of the tar, hashed here on the way). Also turns an existing tar
 * stream (bld import, any compression) into a layer.
 *
 * Determinism: entries in sorted order, parents first; no atime/ctime, no user or group
 * names, whole-second mtimes clamped to SOURCE_DATE_EPOCH when given; gzip bytes that
 * depend on the tar bytes alone (layer_gz.c). Overlay: a 0/0 character device (whiteout), or
 * an empty file marked trusted.overlay.whiteout or user.overlay.whiteout (an xwhiteout, made
 * where a device cannot be: on overlayfs, without CAP_MKNOD), becomes ".wh.NAME", a directory
 * marked trusted.overlay.opaque (or user.overlay.opaque, or fuse-overlayfs'
 * user.fuseoverlayfs.opaque, whose .wh..wh..opq file and .wh..opq whiteout are left out) gets
 * ".wh..wh..opq"; overlay's own
 * xattrs never enter a layer, and metacopy/redirect uppers are refused (their data lives
 * elsewhere). The same walk writes a plain tree as one tar stream to a descriptor
 * (`bld build --output type=tar`). Unpacking is unpack.c's job.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define XATTR_LIST_MAX_BYTES 65536
#define XATTR_VALUE_MAX 65536
#define DIR_ENTRIES_MAX 10000000

/* Everything the walk needs: the tar writer, the compressor, the diff ID, hardlink memory. */
struct lw {
	struct archive *tar;     /* tar format, writes uncompressed bytes to tar_cb */
	struct bld_cache_gzw *gz; /* compresses into blob */
	struct bld_sha256 *diff;
	struct bld_cache_blob_writer *blob;
	struct bld_error **err;
	int64_t size;
	const struct bld_cache_layer_opts *o;
	int out_fd; /* bld_cache_dir_tar_write: the plain tar goes here, not into gz */
	struct { dev_t dev; ino_t ino; char *path; } *links;
	char *xlist; /* xattr names and a value: buffers reused from entry to entry */
	char *xval;
	size_t nlinks, caplinks;
};

ssize_t bld_cache_archive_fd_write(struct archive *a, int fd, const void *buf, size_t n)
{
	int r = bld_fs_write_all(fd, buf, n);
	if (r < 0) {
		archive_set_error(a, -r, "write: %s", strerror(-r));
		return -1;
	}
	return (ssize_t)n;
}

static la_ssize_t tar_cb(struct archive *a, void *p, const void *buf, size_t n)
{
	struct lw *w = p;
	if (!w->gz)
		return bld_cache_archive_fd_write(a, w->out_fd, buf, n);
	bld_sha256_update(w->diff, buf, n);
	if (bld_cache_gzw_write(w->gz, buf, n, w->err) < 0) {
		archive_set_error(a, EIO, "%s", w->err && *w->err ? (*w->err)->msg : "gzip failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int arch_err(struct lw *w, struct archive *a, const char *what)
{
	return bld_error_set(w->err, BLD_E_SYSTEM, "%s: %s", what,
			     archive_error_string(a) ? archive_error_string(a) : "archive error");
}

/* Starts the compressor and, unless the tar comes from elsewhere, the tar writer into it. */
static int lw_open(struct lw *w, bool with_tar)
{
	if (bld_cache_gzw_new(&w->gz, w->blob, w->err) < 0)
		return -1;
	if (!with_tar)
		return 0;
	w->tar = archive_write_new();
	int r = archive_write_set_format_pax_restricted(w->tar);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_per_block(w->tar, 0);
	if (r == ARCHIVE_OK)
		r = archive_write_open2(w->tar, w, NULL, tar_cb, NULL, NULL);
	if (r != ARCHIVE_OK)
		return arch_err(w, w->tar, "tar writer");
	return 0;
}

static void lw_dispose(struct lw *w)
{
	if (w->tar)
		archive_write_free(w->tar);
	bld_cache_gzw_free(w->gz);
	char d[BLD_DIGEST_STR_LEN];
	if (w->diff)
		bld_sha256_final(w->diff, d);
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i].path);
	free(w->links);
	free(w->xlist);
	free(w->xval);
	bld_cache_blob_writer_free(w->blob);
}

/* ------------------------------------------------------------------ entries */

static bool overlay_xattr(const char *name)
{
	return bld_str_has_prefix(name, "trusted.overlay.") ||
	       bld_str_has_prefix(name, "user.overlay.") ||
	       bld_str_has_prefix(name, "user.fuseoverlayfs.");
}

/*
 * An entry's extended attributes, listed once (flistxattr on its descriptor when it has one,
 * else through /proc/self/fd/DIRFD/NAME), so that the overlay checks cost nothing for the
 * many entries without attributes.
 */
struct xa {
	int fd;     /* the entry's descriptor, or -1: by path */
	char *path; /* when fd < 0 */
	char *list; /* w->xlist */
	ssize_t n;
};

static int xa_load(struct lw *w, struct xa *x, int fd, int dirfd, const char *name)
{
	x->fd = fd;
	x->path = fd < 0 ? xasprintf("/proc/self/fd/%d/%s", dirfd, name) : NULL;
	if (!w->xlist)
		w->xlist = xmalloc(XATTR_LIST_MAX_BYTES);
	x->list = w->xlist;
	x->n = fd >= 0 ? flistxattr(fd, x->list, XATTR_LIST_MAX_BYTES)
		       : llistxattr(x->path, x->list, XATTR_LIST_MAX_BYTES);
	if (x->n < 0 && errno == ENOTSUP)
		x->n = 0;
	return x->n < 0 ? bld_error_sys(w->err, errno, "list xattrs of %s", name) : 0;
}

static void xa_dispose(struct xa *x) { free(x->path); }

static ssize_t xa_get(const struct xa *x, const char *k, char *val, size_t cap)
{
	return x->fd >= 0 ? fgetxattr(x->fd, k, val, cap) : lgetxattr(x->path, k, val, cap);
}

/* Whether the entry has attribute k (with the value want, unless NULL). */
static bool xa_has(const struct xa *x, const char *k, const char *want)
{
	bool listed = false;
	for (const char *p = x->list; !listed && p < x->list + x->n; p += strlen(p) + 1)
		listed = strcmp(p, k) == 0;
	if (!listed || !want)
		return listed;
	char v[16];
	ssize_t n = xa_get(x, k, v, sizeof(v) - 1);
	if (n < 0)
		return false;
	v[n] = '\0';
	return strcmp(v, want) == 0;
}

/* Whether the entry has the overlay attribute suffix (trusted.overlay., user.overlay., or
 * fuse-overlayfs' user.fuseoverlayfs.), valued want. */
static bool xa_overlay(const struct lw *w, const struct xa *x, const char *suffix,
		       const char *want)
{
	if (!w->o || !w->o->overlay)
		return false;
	char t[64], u[64], f[64];
	snprintf(t, sizeof(t), "trusted.overlay.%s", suffix);
	snprintf(u, sizeof(u), "user.overlay.%s", suffix);
	snprintf(f, sizeof(f), "user.fuseoverlayfs.%s", suffix);
	return xa_has(x, t, want) || xa_has(x, u, want) || xa_has(x, f, want);
}

/* fuse-overlayfs' own marks of an opaque directory, beside its xattr (which emit_dir reads):
 * a .wh..wh..opq file and a .wh..opq whiteout, never entries of a layer. */
static bool fuse_opaque_mark(const struct lw *w, const char *name)
{
	return w->o && w->o->overlay && (!strcmp(name, ".wh..wh..opq") || !strcmp(name, ".wh..opq"));
}

/* Copies the listed xattrs into e, overlay's own excepted. */
static void add_xattrs(struct lw *w, const struct xa *x, struct archive_entry *e)
{
	if (x->n > 0 && !w->xval)
		w->xval = xmalloc(XATTR_VALUE_MAX);
	for (const char *k = x->list; k < x->list + x->n; k += strlen(k) + 1) {
		if (overlay_xattr(k) || strcmp(k, "security.selinux") == 0)
			continue;
		ssize_t vn = xa_get(x, k, w->xval, XATTR_VALUE_MAX);
		if (vn < 0)
			continue;
		archive_entry_xattr_add_entry(e, k, w->xval, (size_t)vn);
	}
}

static time_t clamp(const struct lw *w, time_t t)
{
	if (w->o && w->o->source_date_epoch >= 0 && t > w->o->source_date_epoch)
		return (time_t)w->o->source_date_epoch;
	return t;
}

static const char *seen_link(struct lw *w, const struct stat *st, const char *path)
{
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].path;
	if (w->nlinks == w->caplinks) {
		w->caplinks = w->caplinks ? 2 * w->caplinks : 16;
		w->links = xrealloc(w->links, w->caplinks * sizeof(*w->links));
	}
	w->links[w->nlinks].dev = st->st_dev;
	w->links[w->nlinks].ino = st->st_ino;
	w->links[w->nlinks].path = xstrdup(path);
	w->nlinks++;
	return NULL;
}

static int write_file_data(struct lw *w, int fd, const char *path)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bld_error_sys(w->err, errno, "read %s", path);
		if (n == 0)
			return 0;
		if (archive_write_data(w->tar, buf, (size_t)n) != n)
			return arch_err(w, w->tar, path);
	}
}

/* A plain entry for path with the metadata of st (no data). */
static struct archive_entry *entry_for(struct lw *w, const char *path, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, st->st_mode);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	archive_entry_set_mtime(e, clamp(w, st->st_mtim.tv_sec), 0);
	return e;
}

static int emit(struct lw *w, struct archive_entry *e, const char *path)
{
	int r = archive_write_header(w->tar, e);
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return arch_err(w, w->tar, path);
	return 0;
}

/* ".wh.NAME" or ".wh..wh..opq" inside dir (prefix "" for the top). */
static int emit_marker(struct lw *w, const char *dir, const char *name, const struct stat *st)
{
	cleanup_free char *path = xasprintf("%s%s.wh.%s", dir, *dir ? "/" : "", name);
	struct stat fake = *st;
	fake.st_mode = S_IFREG | 0644;
	fake.st_uid = fake.st_gid = 0;
	struct archive_entry *e = entry_for(w, path, &fake);
	archive_entry_set_size(e, 0);
	int r = emit(w, e, path);
	archive_entry_free(e);
	return r;
}

/* The names in a directory, sorted (caller frees with bld_strv_free). */
static int sorted_names(struct lw *w, int dirfd, const char *path, char ***out)
{
	int r = bld_fs_sorted_names(dirfd, DIR_ENTRIES_MAX, out);
	return r < 0 ? bld_error_sys(w->err, -r, "read directory %s", *path ? path : ".") : 0;
}

static int walk(struct lw *w, int dirfd, const char *path, int depth);

static int emit_dir(struct lw *w, int dirfd, const char *name, const char *path,
		    const struct stat *st, int depth)
{
	cleanup_close int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return bld_error_sys(w->err, errno, "open %s", path);
	struct xa x;
	int r = xa_load(w, &x, sub, -1, name);
	if (r == 0 && xa_overlay(w, &x, "redirect", NULL))
		r = bld_error_set(w->err, BLD_E_UNSUPPORTED,
				  "%s: overlay redirect_dir is not supported in layers", path);
	if (r == 0) {
		cleanup_free char *dname = xasprintf("%s/", path);
		struct archive_entry *e = entry_for(w, dname, st);
		add_xattrs(w, &x, e);
		r = emit(w, e, path);
		archive_entry_free(e);
	}
	if (r == 0 && xa_overlay(w, &x, "opaque", "y"))
		r = emit_marker(w, path, ".wh..opq", st);
	xa_dispose(&x);
	return r < 0 ? r : walk(w, sub, path, depth + 1);
}

static int emit_reg(struct lw *w, int dirfd, const char *dir, const char *name,
		    const char *path, const struct stat *st)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(w->err, errno, "open %s", path);
	struct xa x;
	int r = xa_load(w, &x, fd, -1, name);
	/* an xwhiteout (overlayfs' form for where a 0/0 device cannot be made: on overlayfs) */
	if (r == 0 && st->st_size == 0 && xa_overlay(w, &x, "whiteout", NULL)) {
		xa_dispose(&x);
		return emit_marker(w, dir, name, st);
	}
	if (r == 0 && xa_overlay(w, &x, "metacopy", NULL))
		r = bld_error_set(w->err, BLD_E_UNSUPPORTED,
				  "%s: overlay metacopy is not supported in layers", path);
	const char *first = r == 0 && st->st_nlink > 1 ? seen_link(w, st, path) : NULL;
	struct archive_entry *e = entry_for(w, path, st);
	if (first) {
		archive_entry_set_hardlink(e, first);
		archive_entry_set_size(e, 0);
	} else {
		archive_entry_set_size(e, st->st_size);
		add_xattrs(w, &x, e);
	}
	if (r == 0)
		r = emit(w, e, path);
	archive_entry_free(e);
	xa_dispose(&x);
	if (r == 0 && !first && st->st_size > 0)
		r = write_file_data(w, fd, path);
	return r;
}

static int emit_other(struct lw *w, int dirfd, const char *name, const char *path,
		      const struct stat *st)
{
	struct archive_entry *e = entry_for(w, path, st);
	int r = 0;
	if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0)
			r = bld_error_sys(w->err, errno, "readlink %s", path);
		else {
			target[n] = '\0';
			archive_entry_set_symlink(e, target);
		}
	} else {
		archive_entry_set_rdev(e, st->st_rdev);
		struct xa x;
		r = xa_load(w, &x, -1, dirfd, name);
		if (r == 0)
			add_xattrs(w, &x, e);
		xa_dispose(&x);
	}
	if (r == 0)
		r = emit(w, e, path);
	archive_entry_free(e);
	return r;
}

static bool excluded(const struct lw *w, const char *path)
{
	for (size_t i = 0; w->o && w->o->exclude && w->o->exclude[i]; i++)
		if (strcmp(w->o->exclude[i], path) == 0)
			return true;
	return false;
}

static int walk_one(struct lw *w, int dirfd, const char *dir, const char *name, int depth)
{
	struct stat st;
	cleanup_free char *path = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	if (excluded(w, path) || fuse_opaque_mark(w, name))
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_sys(w->err, errno, "stat %s", path);
	if (w->o && w->o->overlay && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
		return emit_marker(w, dir, name, &st);
	if (S_ISDIR(st.st_mode))
		return emit_dir(w, dirfd, name, path, &st, depth);
	if (S_ISREG(st.st_mode))
		return emit_reg(w, dirfd, dir, name, path, &st);
	if (S_ISSOCK(st.st_mode))
		return 0; /* sockets do not travel in tars */
	return emit_other(w, dirfd, name, path, &st);
}

static int walk(struct lw *w, int dirfd, const char *path, int depth)
{
	if (depth > 1024)
		return bld_error_set(w->err, BLD_E_INVALID, "%s: directories nested too deep", path);
	cleanup_strv char **names = NULL;
	int r = sorted_names(w, dirfd, path, &names);
	for (size_t i = 0; r == 0 && names && names[i]; i++)
		r = walk_one(w, dirfd, path, names[i], depth);
	return r;
}

/* Ends the gzip stream, commits the blob and fills out; diff_id as hashed or given. */
static int lw_commit(struct lw *w, const char *diff_id, struct bld_cache_layer *out)
{
	memset(out, 0, sizeof(*out));
	if (bld_cache_gzw_finish(w->gz, &out->size, w->err) < 0 ||
	    bld_cache_blob_writer_commit(w->blob, out->digest, w->err) < 0)
		return -1;
	if (diff_id) { /* the tar's own digest: lw_dispose ends the unused state */
		memcpy(out->diff_id, diff_id, BLD_DIGEST_STR_LEN);
	} else {
		bld_sha256_final(w->diff, out->diff_id);
		w->diff = NULL;
	}
	snprintf(out->media_type, sizeof(out->media_type), "%s", BLD_MT_OCI_LAYER_GZ);
	return 0;
}

static int lw_begin(struct lw *w, struct bld_store *s, bool with_tar, struct bld_error **err)
{
	w->err = err;
	w->diff = bld_sha256_new();
	int r = bld_cache_blob_writer_new(&w->blob, s, NULL, err);
	if (r == 0)
		(void)bld_cache_blob_writer_direct(w->blob); /* layers are big and written once */
	return r < 0 ? r : lw_open(w, with_tar);
}

int bld_cache_layer_from_dir(struct bld_store *s, const char *dir,
			     const struct bld_cache_layer_opts *o, struct bld_cache_layer *out,
			     struct bld_error **err)
{
	struct lw w = {.o = o};
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int r = bld_error_sys(err, errno, "open %s", dir);
		return r;
	}
	int r = lw_begin(&w, s, true, err);
	if (r == 0)
		r = walk(&w, fd, "", 0);
	if (r == 0 && archive_write_close(w.tar) != ARCHIVE_OK)
		r = arch_err(&w, w.tar, "finish tar");
	if (r == 0)
		r = lw_commit(&w, NULL, out);
	lw_dispose(&w);
	if (r < 0)
		return bld_error_wrap(err, "make layer from %s", dir);
	return 0;
}

static int tee_gz(void *p, const void *buf, size_t n)
{
	struct lw *w = p;
	return bld_cache_gzw_write(w->gz, buf, n, w->err);
}

/* Reads every header of the tar (validating it) while its bytes flow into the gzip writer. */
static int copy_tar(struct lw *w, int fd, char diff_id[BLD_DIGEST_STR_LEN])
{
	struct bld_cache_tarsrc t = {.tee = tee_gz, .payload = w};
	int r = bld_cache_tarsrc_open(&t, fd, w->err);
	struct archive_entry *e;
	int ar = ARCHIVE_OK;
	while (r == 0 && (ar = archive_read_next_header(t.inner, &e)) == ARCHIVE_OK)
		if (archive_read_data_skip(t.inner) != ARCHIVE_OK)
			break;
	if (r == 0 && ar != ARCHIVE_EOF)
		r = bld_error_set(w->err, BLD_E_INVALID, "not a valid tar archive: %s",
				  archive_error_string(t.inner));
	if (r == 0)
		r = bld_cache_tarsrc_drain(&t, diff_id, w->err);
	bld_cache_tarsrc_dispose(&t);
	return r;
}

int bld_cache_layer_from_tar(struct bld_store *s, int fd, struct bld_cache_layer *out,
			     struct bld_error **err)
{
	struct lw w = {0};
	char diff_id[BLD_DIGEST_STR_LEN];
	int r = lw_begin(&w, s, false, err);
	if (r == 0)
		r = copy_tar(&w, fd, diff_id);
	if (r == 0)
		r = lw_commit(&w, diff_id, out);
	lw_dispose(&w);
	return r;
}

int bld_cache_dir_tar_write(const char *dir, int fd, int64_t source_date_epoch,
			    struct bld_error **err)
{
	struct bld_cache_layer_opts o = {.overlay = false, .source_date_epoch = source_date_epoch};
	struct lw w = {.o = &o, .out_fd = fd, .err = err};
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	w.tar = archive_write_new();
	int r = archive_write_set_format_pax_restricted(w.tar);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_per_block(w.tar, 0);
	if (r == ARCHIVE_OK)
		r = archive_write_open2(w.tar, &w, NULL, tar_cb, NULL, NULL);
	r = r == ARCHIVE_OK ? walk(&w, dfd, "", 0) : arch_err(&w, w.tar, "tar writer");
	if (r == 0 && archive_write_close(w.tar) != ARCHIVE_OK)
		r = arch_err(&w, w.tar, "finish tar");
	lw_dispose(&w);
	return r < 0 ? bld_error_wrap(err, "write %s as tar", dir) : 0;
}
