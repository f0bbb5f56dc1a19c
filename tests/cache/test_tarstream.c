/*
 * tests/cache/test_tarstream.c — the entry-by-entry tar writer and reader of bld cp: what
 * the writer is given comes back from the reader (types, owners, modes, times, data, link
 * targets), names like "../x" are passed through untouched for the caller to refuse, a
 * file that shrank is padded to its size, and a stream that is no tar is an error.
 */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "cache/cache.h"

static FILE *tmp_stream(void)
{
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	return f;
}

static void write_sample(int fd)
{
	struct bld_error *e = NULL;
	struct bld_cache_tar_writer *w = NULL;
	cr_assert_eq(bld_cache_tar_writer_new(&w, fd, &e), 0);
	struct bld_cache_tar_entry d = {.path = "out", .mode = S_IFDIR | 0750, .uid = 1000,
					.gid = 2000, .mtime_sec = 981173106};
	struct bld_cache_tar_entry f = {.path = "out/a.txt", .mode = S_IFREG | 0640, .uid = 1,
					.gid = 2, .size = 6, .mtime_sec = 1000};
	struct bld_cache_tar_entry short_file = {.path = "out/short", .mode = S_IFREG | 0600,
						 .size = 4};
	struct bld_cache_tar_entry l = {.path = "out/l", .mode = S_IFLNK | 0777,
					.symlink = "../../etc"};
	struct bld_cache_tar_entry up = {.path = "../up", .mode = S_IFREG | 0644};
	cr_assert_eq(bld_cache_tar_writer_add(w, &d, &e), 0);
	cr_assert_eq(bld_cache_tar_writer_add(w, &f, &e), 0);
	cr_assert_eq(bld_cache_tar_writer_data(w, "alpha\n", 6, &e), 0);
	cr_assert_eq(bld_cache_tar_writer_add(w, &short_file, &e), 0);
	cr_assert_eq(bld_cache_tar_writer_data(w, "ab", 2, &e), 0); /* shrank: padded */
	cr_assert_eq(bld_cache_tar_writer_add(w, &l, &e), 0);
	cr_assert_eq(bld_cache_tar_writer_add(w, &up, &e), 0);
	int64_t n = 0;
	cr_assert_eq(bld_cache_tar_writer_close(w, &n, &e), 0);
	cr_assert_gt(n, 5 * 512);
	bld_cache_tar_writer_free(w);
}

static void next(struct bld_cache_tar_reader *r, struct bld_cache_tar_entry *e)
{
	struct bld_error *err = NULL;
	int k = bld_cache_tar_reader_next(r, e, &err);
	cr_assert_eq(k, 1, "next: %s", err ? err->msg : "end");
}

Test(cache_tarstream, written_entries_read_back)
{
	FILE *f = tmp_stream();
	write_sample(fileno(f));
	lseek(fileno(f), 0, SEEK_SET);
	struct bld_error *err = NULL;
	struct bld_cache_tar_reader *r = NULL;
	cr_assert_eq(bld_cache_tar_reader_new(&r, fileno(f), &err), 0);
	struct bld_cache_tar_entry e;
	next(r, &e);
	cr_assert_str_eq(e.path, "out/");
	cr_assert(S_ISDIR(e.mode) && (e.mode & 07777) == 0750 && e.uid == 1000 && e.gid == 2000);
	cr_assert_eq(e.mtime_sec, 981173106);
	next(r, &e);
	cr_assert_str_eq(e.path, "out/a.txt");
	cr_assert(S_ISREG(e.mode) && (e.mode & 07777) == 0640 && e.size == 6);
	char buf[16] = {0};
	cr_assert_eq(bld_cache_tar_reader_read(r, buf, sizeof(buf), &err), 6);
	cr_assert_str_eq(buf, "alpha\n");
	next(r, &e);
	cr_assert_eq(e.size, 4);
	cr_assert_eq(bld_cache_tar_reader_read(r, buf, sizeof(buf), &err), 4);
	cr_assert(memcmp(buf, "ab\0\0", 4) == 0, "a file that shrank is padded");
	next(r, &e);
	cr_assert(S_ISLNK(e.mode));
	cr_assert_str_eq(e.symlink, "../../etc");
	next(r, &e);
	cr_assert_str_eq(e.path, "../up", "names are the caller's to confine");
	cr_assert_eq(bld_cache_tar_reader_next(r, &e, &err), 0);
	bld_cache_tar_reader_free(r);
	fclose(f);
}

Test(cache_tarstream, not_a_tar)
{
	FILE *f = tmp_stream();
	fputs("this is not a tar archive at all, just text that goes on and on\n", f);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	struct bld_error *err = NULL;
	struct bld_cache_tar_reader *r = NULL;
	int k = bld_cache_tar_reader_new(&r, fileno(f), &err);
	struct bld_cache_tar_entry e;
	if (k == 0)
		k = bld_cache_tar_reader_next(r, &e, &err);
	cr_assert_lt(k, 0);
	cr_assert_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
	bld_cache_tar_reader_free(r);
	fclose(f);
}
