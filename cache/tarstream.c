/*
 * cache/tarstream.c — tar streams entry by entry, for `bld cp`: a writer that turns entries
 * the caller walks into a PAX tar on a descriptor (`bld cp CONTAINER:SRC -`), and a reader
 * that hands a tar read from a descriptor (any compression) back entry by entry (`bld cp -
 * CONTAINER:DEST`). libarchive lives in cache/, hence here.
 *
 * Neither side touches a file system: the caller (runner/cp.c) decides where an entry comes
 * from and where it lands, and confines it there. The reader passes names as the archive has
 * them ("../x" included) and caps their number and length; the writer writes what it is
 * given, numeric owners only (no user or group names are looked up).
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#define TAR_ENTRIES_MAX 4000000
#define TAR_NAME_MAX 4096
/* the one xattr docker's copies carry: a file's capabilities (ping, for one, needs them) */
#define CAPS_XATTR "security.capability"

struct bld_cache_tar_writer {
	struct archive *a;
	int fd;
	int64_t written; /* bytes of the stream */
};

struct bld_cache_tar_reader {
	struct archive *a;
	long entries;
};

static int arc_err(struct bld_error **err, struct archive *a, enum bld_error_code code,
		   const char *what)
{
	const char *m = archive_error_string(a);
	return bld_error_set(err, code, "%s: %s", what, m ? m : "archive error");
}

/* ------------------------------------------------------------------ writer */

static la_ssize_t write_cb(struct archive *a, void *p, const void *buf, size_t n)
{
	struct bld_cache_tar_writer *w = p;
	la_ssize_t r = bld_cache_archive_fd_write(a, w->fd, buf, n);
	if (r > 0)
		w->written += (int64_t)r;
	return r;
}

int bld_cache_tar_writer_new(struct bld_cache_tar_writer **out, int fd, struct bld_error **err)
{
	struct bld_cache_tar_writer *w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->a = archive_write_new();
	int r = archive_write_set_format_pax_restricted(w->a);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_per_block(w->a, 0);
	if (r == ARCHIVE_OK)
		r = archive_write_open2(w->a, w, NULL, write_cb, NULL, NULL);
	if (r != ARCHIVE_OK) {
		arc_err(err, w->a, BLD_E_SYSTEM, "tar writer");
		bld_cache_tar_writer_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int bld_cache_tar_writer_add(struct bld_cache_tar_writer *w, const struct bld_cache_tar_entry *e,
			     struct bld_error **err)
{
	struct archive_entry *ae = archive_entry_new();
	bool dir = S_ISDIR(e->mode);
	size_t n = strlen(e->path);
	cleanup_free char *name = dir && (n == 0 || e->path[n - 1] != '/')
					  ? xasprintf("%s/", e->path)
					  : xstrdup(e->path);
	archive_entry_set_pathname(ae, name);
	archive_entry_set_mode(ae, e->mode);
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	archive_entry_set_mtime(ae, (time_t)e->mtime_sec, e->mtime_nsec);
	if (e->hardlink) {
		archive_entry_set_hardlink(ae, e->hardlink);
		archive_entry_set_size(ae, 0);
	} else if (S_ISREG(e->mode)) {
		archive_entry_set_size(ae, e->size);
		if (e->caps)
			archive_entry_xattr_add_entry(ae, CAPS_XATTR, e->caps, e->caps_len);
	} else if (S_ISLNK(e->mode)) {
		archive_entry_set_symlink(ae, e->symlink ? e->symlink : "");
	} else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
		archive_entry_set_rdev(ae, e->rdev);
	}
	int r = archive_write_header(w->a, ae);
	archive_entry_free(ae);
	if (r < ARCHIVE_WARN)
		return arc_err(err, w->a, BLD_E_SYSTEM, e->path);
	return 0;
}

int bld_cache_tar_writer_data(struct bld_cache_tar_writer *w, const void *buf, size_t n,
			      struct bld_error **err)
{
	/* a file that grew since its header was written is cut at its size (libarchive
	 * takes less than n), one that shrank is padded with zeros when the entry ends */
	if (n && archive_write_data(w->a, buf, n) < 0)
		return arc_err(err, w->a, BLD_E_SYSTEM, "tar data");
	return 0;
}

int bld_cache_tar_writer_close(struct bld_cache_tar_writer *w, int64_t *written,
			       struct bld_error **err)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return arc_err(err, w->a, BLD_E_SYSTEM, "finish tar");
	if (written)
		*written = w->written;
	return 0;
}

void bld_cache_tar_writer_free(struct bld_cache_tar_writer *w)
{
	if (!w)
		return;
	archive_write_free(w->a);
	free(w);
}

/* ------------------------------------------------------------------ reader */

int bld_cache_tar_reader_new(struct bld_cache_tar_reader **out, int fd, struct bld_error **err)
{
	struct bld_cache_tar_reader *r = xcalloc(1, sizeof(*r));
	r->a = archive_read_new();
	archive_read_support_filter_all(r->a);
	archive_read_support_format_tar(r->a);
	archive_read_support_format_gnutar(r->a);
	if (archive_read_open_fd(r->a, fd, 65536) != ARCHIVE_OK) {
		arc_err(err, r->a, BLD_E_INVALID, "read tar");
		bld_cache_tar_reader_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static mode_t entry_mode(struct archive_entry *ae)
{
	mode_t type = archive_entry_filetype(ae);
	if (archive_entry_hardlink(ae) || type == 0)
		type = S_IFREG;
	return type | (archive_entry_perm(ae) & 07777);
}

int bld_cache_tar_reader_next(struct bld_cache_tar_reader *r, struct bld_cache_tar_entry *e,
			      struct bld_error **err)
{
	struct archive_entry *ae;
	int k = archive_read_next_header(r->a, &ae);
	if (k == ARCHIVE_EOF)
		return 0;
	if (k < ARCHIVE_WARN)
		return arc_err(err, r->a, BLD_E_INVALID, "read tar");
	if (++r->entries > TAR_ENTRIES_MAX)
		return bld_error_set(err, BLD_E_INVALID, "read tar: more than %d entries",
				     TAR_ENTRIES_MAX);
	const char *path = archive_entry_pathname(ae);
	if (!path || !*path || strlen(path) > TAR_NAME_MAX)
		return bld_error_set(err, BLD_E_INVALID, "read tar: an entry without a usable name");
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->mode = entry_mode(ae);
	e->uid = (uid_t)archive_entry_uid(ae);
	e->gid = (gid_t)archive_entry_gid(ae);
	e->size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
	e->mtime_sec = archive_entry_mtime(ae);
	e->mtime_nsec = archive_entry_mtime_nsec(ae);
	e->hardlink = archive_entry_hardlink(ae);
	e->symlink = S_ISLNK(e->mode) ? archive_entry_symlink(ae) : NULL;
	e->rdev = archive_entry_rdev(ae);
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK)
		if (S_ISREG(e->mode) && strcmp(name, CAPS_XATTR) == 0) {
			e->caps = value;
			e->caps_len = size;
		}
	if (S_ISLNK(e->mode) && !e->symlink)
		return bld_error_set(err, BLD_E_INVALID, "read tar: symlink %s has no target", path);
	return 1;
}

ssize_t bld_cache_tar_reader_read(struct bld_cache_tar_reader *r, void *buf, size_t n,
				  struct bld_error **err)
{
	la_ssize_t k = archive_read_data(r->a, buf, n);
	if (k < 0)
		return arc_err(err, r->a, BLD_E_INVALID, "read tar");
	return (ssize_t)k;
}

void bld_cache_tar_reader_free(struct bld_cache_tar_reader *r)
{
	if (!r)
		return;
	archive_read_free(r->a);
	free(r);
}
