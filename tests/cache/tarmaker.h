/*
 * tests/cache/tarmaker.h — hand-made (also malicious) tars for the unpack tests, written
 * with libarchive into a temporary file.
 */
#ifndef BLD_TEST_CACHE_TARMAKER_H
#define BLD_TEST_CACHE_TARMAKER_H

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/sysmacros.h>

struct tm_entry {
	const char *path;
	char type;          /* 'f' file, 'd' dir, 'l' symlink, 'h' hardlink, 'c' char device */
	const char *data;   /* file content, link target */
	const char *xattr;  /* "name=value" or NULL */
};

/* Writes the entries as a (gzip when gz) PAX tar into a new temp file; returns an fd at 0. */
static inline int tm_make(const struct tm_entry *v, size_t n, bool gz)
{
	char path[] = "/tmp/bld-tm-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	cr_assert_eq(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, v[i].path);
		archive_entry_set_mtime(e, 1000, 0);
		switch (v[i].type) {
		case 'd': archive_entry_set_filetype(e, AE_IFDIR); archive_entry_set_perm(e, 0755); break;
		case 'l': archive_entry_set_filetype(e, AE_IFLNK); archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, v[i].data); break;
		case 'h': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, v[i].data); break;
		case 'c': archive_entry_set_filetype(e, AE_IFCHR); archive_entry_set_perm(e, 0666);
			archive_entry_set_rdev(e, makedev(1, 3)); break;
		default: archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, v[i].data ? (la_int64_t)strlen(v[i].data) : 0);
		}
		if (v[i].xattr) {
			const char *eq = strchr(v[i].xattr, '=');
			char *k = strndup(v[i].xattr, (size_t)(eq - v[i].xattr));
			archive_entry_xattr_add_entry(e, k, eq + 1, strlen(eq + 1));
			free(k);
		}
		cr_assert_eq(archive_write_header(e ? a : a, e), ARCHIVE_OK, "%s", archive_error_string(a));
		if (v[i].type == 'f' && v[i].data)
			archive_write_data(a, v[i].data, strlen(v[i].data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

#endif
