/*
 * tests/fuzz/store_input.h — one input of tests/fuzz/fuzz_store.c, shared with its
 * regression test (tests/cache/test_fuzz_regressions.c): the selector byte and the entry
 * list turned into a tar, the extraction into <sandbox>/t with escape symlinks planted in
 * it, and the checks afterwards (no EROFS, t removable, the sandbox as before). The input
 * format is described in fuzz_store.c.
 */
#ifndef BLD_TEST_FUZZ_STORE_INPUT_H
#define BLD_TEST_FUZZ_STORE_INPUT_H

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "cache/cache.h"
#include "tests/fuzz/sandbox.h"

/* ------------------------------------------------------------------ input to tar */

static inline int memfd(void)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		sb_die("memfd_create");
	return fd;
}

static inline void put_entry(struct archive *a, char type, const char *path, const char *arg,
		      const char *xname, const char *xval, long mode)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_mtime(e, 1000, 0);
	mode_t ft = AE_IFREG;
	switch (type) {
	case 'd': ft = AE_IFDIR; break;
	case 'l': ft = AE_IFLNK; archive_entry_set_symlink(e, arg); break;
	case 'h': archive_entry_set_hardlink(e, arg); break;
	case 'c': ft = AE_IFCHR; archive_entry_set_rdev(e, makedev(1, 3)); break;
	case 'b': ft = AE_IFBLK; archive_entry_set_rdev(e, makedev(1, 3)); break;
	case 'p': ft = AE_IFIFO; break;
	default: archive_entry_set_size(e, type == 'f' ? (la_int64_t)strlen(arg) : 0);
	}
	archive_entry_set_filetype(e, ft);
	archive_entry_set_perm(e, mode >= 0 ? (mode_t)mode : ft == AE_IFDIR ? 0755 : 0644);
	if (xname)
		archive_entry_xattr_add_entry(e, xname, xval, strlen(xval));
	if (archive_write_header(a, e) == ARCHIVE_OK && type == 'f' && *arg)
		archive_write_data(a, arg, strlen(arg));
	archive_entry_free(e);
}

/* Writes the entry list in s (NUL-terminated, lines) as a PAX tar to fd. */
static inline void list_to_tar(char *s, int fd)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		sb_die("archive_write_open_fd");
	char *xname = NULL, *xval = NULL;
	long mode = -1;
	for (char *line = s, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			continue;
		char *tab = strchr(line + 1, '\t');
		if (tab)
			*tab = '\0';
		const char *arg = tab ? tab + 1 : "";
		if (line[0] == 'X') {
			xname = line + 1;
			xval = (char *)arg;
		} else if (line[0] == 'M') {
			mode = strtol(line + 1, NULL, 8) & 07777;
		} else {
			put_entry(a, line[0], line + 1, arg, xname, xval, mode);
			xname = xval = NULL;
			mode = -1;
		}
	}
	archive_write_close(a);
	archive_write_free(a);
}

/* A gzip stream of what in holds, in a new memfd. */
static inline int gzip_fd(int in)
{
	off_t n = lseek(in, 0, SEEK_END);
	char *data = xmalloc((size_t)n + 1);
	if (pread(in, data, (size_t)n, 0) != n)
		sb_die("pread");
	int out = memfd();
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, out) != ARCHIVE_OK)
		sb_die("archive_write_open_fd");
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_size(e, n);
	archive_write_header(a, e);
	archive_write_data(a, data, (size_t)n);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	free(data);
	close(in);
	return out;
}

static inline int input_fd(unsigned sel, const uint8_t *data, size_t size)
{
	int fd = memfd();
	if (sel & 4) {
		char *s = xstrndup((const char *)data, size);
		list_to_tar(s, fd);
		free(s);
	} else if (size && write(fd, data, size) != (ssize_t)size) {
		sb_die("write input");
	}
	if (sel & 2)
		fd = gzip_fd(fd);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* ------------------------------------------------------------------ one input */

/* A snapshot of the sandbox (see sb_snap_at); caller frees. */
static inline char *store_snapshot(const char *sandbox)
{
	struct bld_buf b = BLD_BUF_INIT;
	sb_snap_at(&b, AT_FDCWD, sandbox, ".", 0);
	return bld_buf_detach(&b);
}

/* Fills the sandbox with what must never change: sentinel/{secret,sub/file}, outlink. */
static inline int store_sentinel(int sandbox_fd)
{
	int fd = -1;
	if (mkdirat(sandbox_fd, "sentinel", 0755) < 0 || mkdirat(sandbox_fd, "sentinel/sub", 0700) < 0 ||
	    (fd = openat(sandbox_fd, "sentinel/secret", O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, "secret\n", 7) != 7 || close(fd) < 0 ||
	    (fd = openat(sandbox_fd, "sentinel/sub/file", O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 ||
	    close(fd) < 0 || symlinkat("sentinel", sandbox_fd, "outlink") < 0)
		return -1;
	return 0;
}

static inline void make_target(const char *sandbox, int sandbox_fd)
{
	cleanup_free char *abs = xasprintf("%s/sentinel", sandbox);
	if (mkdirat(sandbox_fd, "t", 0755) < 0 || symlinkat("../sentinel", sandbox_fd, "t/esc") < 0 ||
	    symlinkat(abs, sandbox_fd, "t/abs") < 0 || symlinkat("..", sandbox_fd, "t/up") < 0 ||
	    symlinkat("/", sandbox_fd, "t/root") < 0)
		sb_die("make the target");
}

/* EROFS anywhere in the message (libarchive's errors carry no errno): a write outside the
 * sandbox, unless the input itself spelled the text (a file named so). */
static inline bool escaped_to_readonly(const struct bld_error *err, const uint8_t *data,
				       size_t size)
{
	static const char ro[] = "Read-only file system";
	return err && (err->sys_errno == EROFS ||
		       (strstr(err->msg, ro) && !memmem(data, size, ro, sizeof(ro) - 1)));
}

/*
 * Runs one input against the sandbox whose pristine snapshot is snap: NULL when every
 * check held, else what broke (caller frees).
 */
static inline char *store_run(const char *sandbox, int sandbox_fd, const char *snap,
			      const uint8_t *data, size_t size)
{
	if (size < 1)
		return NULL;
	unsigned sel = data[0];
	make_target(sandbox, sandbox_fd);
	int fd = input_fd(sel, data + 1, size - 1);
	cleanup_free char *target = xasprintf("%s/t", sandbox);
	struct bld_error *err = NULL;
	int r = (sel & 1) ? bld_cache_archive_extract_fd(fd, target, &err)
			  : bld_cache_layer_extract_fd(fd, target, NULL, &err);
	close(fd);
	char *broke = NULL;
	if (r < 0 && !err)
		broke = xstrdup("failure without an error");
	else if (escaped_to_readonly(err, data, size))
		broke = xasprintf("a write left the sandbox: %s", err->msg);
	bld_error_free(err);
	err = NULL;
	if (!broke && bld_fs_rm_rf(target, &err) < 0)
		broke = xasprintf("cannot remove the target: %s", err->msg);
	bld_error_free(err);
	cleanup_free char *now = broke ? NULL : store_snapshot(sandbox);
	if (now && strcmp(now, snap) != 0)
		broke = xasprintf("the sandbox changed outside the target\nbefore:\n%safter:\n%s",
				  snap, now);
	return broke;
}

#endif
