/*
 * cache/archive_extract.c — unpacking an arbitrary archive (tar; gzip, bzip2, xz, zstd
 * compressed) into a directory, for the builder: build contexts sent as a tar on stdin or
 * behind a URL, and ADD of a local tar. libarchive lives in cache/, hence here.
 *
 * Entries are confined to the target: leading "/" is dropped, ".." components are refused,
 * nothing is written through a symlink, hardlinks must point inside. Owners are restored
 * only for root; a hardlink entry's header gives the shared file its owner, mode and times,
 * as Go's extraction does. It is not the layer unpacker (no whiteouts, no chain ids).
 */
#include "cache/cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define EXTRACT_MAX_ENTRIES 4000000

/* "dir/<cleaned relative path>", or NULL when the entry would leave dir. */
static char *confined(const char *dir, const char *name)
{
	while (*name == '/')
		name++;
	cleanup_free char *clean = bld_path_clean(*name ? name : ".");
	if (strcmp(clean, "..") == 0 || bld_str_has_prefix(clean, "../"))
		return NULL;
	return strcmp(clean, ".") == 0 ? xstrdup(dir) : bld_path_join(dir, clean);
}

static int arc_fail(struct bld_error **err, struct archive *a, const char *what)
{
	const char *m = archive_error_string(a);
	return bld_error_set(err, BLD_E_INVALID, "%s: %s", what, m ? m : "archive error");
}

static int rewrite_paths(struct archive_entry *e, const char *dir, struct bld_error **err)
{
	const char *name = archive_entry_pathname(e);
	cleanup_free char *p = confined(dir, name ? name : "");
	if (!p)
		return bld_error_set(err, BLD_E_INVALID, "archive entry %s leaves the target", name);
	archive_entry_copy_pathname(e, p);
	const char *hl = archive_entry_hardlink(e);
	if (hl) {
		cleanup_free char *h = confined(dir, hl);
		if (!h)
			return bld_error_set(err, BLD_E_INVALID, "hardlink %s leaves the target", hl);
		archive_entry_copy_hardlink(e, h);
	}
	return 0;
}

static bool is_root_entry(struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	cleanup_free char *clean = bld_path_clean(name && *name ? name : ".");
	return strcmp(clean, ".") == 0 || strcmp(clean, "/") == 0;
}

static int copy_data(struct archive *in, struct archive *out, struct bld_error **err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	for (;;) {
		int r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return arc_fail(err, in, "read archive");
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
			return arc_fail(err, out, "write");
	}
}

/* A hardlink entry's own header applied to the file it shares with its target (owner, then
 * mode and times, none but the owner through a symlink), as Go's archive/tar extraction that
 * BuildKit and dockerd use does; libarchive leaves the target's when the entry has no data. */
static int apply_link_header(struct archive_entry *e, bool owner, struct bld_error **err)
{
	const char *path = archive_entry_pathname(e);
	struct stat st;
	if (lstat(path, &st) < 0)
		return bld_error_sys(err, errno, "stat %s", path);
	if (owner && lchown(path, archive_entry_uid(e), archive_entry_gid(e)) < 0)
		return bld_error_chown(err, errno, path, (unsigned long)archive_entry_uid(e),
				       (unsigned long)archive_entry_gid(e));
	if (S_ISLNK(st.st_mode))
		return 0;
	if (chmod(path, archive_entry_perm(e) & 07777) < 0)
		return bld_error_sys(err, errno, "chmod %s", path);
	struct timespec ts[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
	ts[1] = ts[0];
	if (archive_entry_atime_is_set(e) && archive_entry_atime(e) > ts[0].tv_sec)
		ts[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return bld_error_sys(err, errno, "set times of %s", path);
	return 0;
}

static int extract_all(struct archive *in, struct archive *out, const char *dir,
		       struct bld_error **err)
{
	struct archive_entry *e;
	for (long n = 0;; n++) {
		int r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return arc_fail(err, in, "read archive");
		if (n >= EXTRACT_MAX_ENTRIES)
			return bld_error_set(err, BLD_E_INVALID, "archive holds too many entries");
		/* the archive's own root ("./") never changes the target's owner or mode, as
		 * BuildKit extracts ADD archives: the target directory keeps its metadata */
		if (is_root_entry(e))
			continue;
		if (rewrite_paths(e, dir, err) < 0)
			return -1;
		r = archive_write_header(out, e);
		if (r < ARCHIVE_WARN)
			return arc_fail(err, out, archive_entry_pathname(e));
		if (archive_entry_size(e) > 0 && copy_data(in, out, err) < 0)
			return -1;
		if (archive_write_finish_entry(out) < ARCHIVE_WARN)
			return arc_fail(err, out, archive_entry_pathname(e));
		if (archive_entry_hardlink(e) && apply_link_header(e, geteuid() == 0, err) < 0)
			return -1;
	}
}

int bld_cache_archive_extract_fd(int fd, const char *dir, struct bld_error **err)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_XATTR;
	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	archive_write_disk_set_options(out, flags);
	archive_write_disk_set_standard_lookup(out);
	int r;
	if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
		r = arc_fail(err, in, "open archive");
	else
		r = extract_all(in, out, dir, err);
	if (r == 0 && archive_write_close(out) < ARCHIVE_WARN)
		r = arc_fail(err, out, "finish extraction");
	archive_read_free(in);
	archive_write_free(out);
	return r;
}

bool bld_cache_archive_is_tar_fd(int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	bool ok = archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK &&
		  archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	lseek(fd, 0, SEEK_SET);
	return ok;
}
