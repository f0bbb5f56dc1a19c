/*
 * tests/runner/test_jcache.c — parsed container files kept between listings: a file that
 * has not changed is parsed once, and any change of it (replaced by a rename, rewritten in
 * place, even with the same size and its old modification time put back) is read again;
 * a file written just now is not kept.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner/runner_int.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/bld-test-jcache.XXXXXX");
	cr_assert_not_null(mkdtemp(d));
	return d;
}

static void put(const char *d, const char *name, const char *text)
{
	cleanup_free char *p = xasprintf("%s/%s", d, name);
	cleanup_free char *tmp = xasprintf("%s/.%s.tmp", d, name);
	FILE *f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(rename(tmp, p), 0);
}

/* Sets the file's times to sec (in the past: written long enough ago to be kept). */
static void age(const char *d, const char *name, time_t sec)
{
	cleanup_free char *p = xasprintf("%s/%s", d, name);
	struct timespec ts[2] = {{.tv_sec = sec}, {.tv_sec = sec}};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static json_t *read_shared(const char *d, const char *name)
{
	json_t *v = NULL;
	cr_assert_eq(bld_runner_json_read_shared(d, name, &v, NULL), 0);
	return v;
}

static void rm_dir(const char *d, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", d, name);
	unlink(p);
	rmdir(d);
}

/* Reads name twice and says whether the second read was the kept parse. */
static bool kept(const char *d, const char *name)
{
	cleanup_json json_t *a = read_shared(d, name);
	cleanup_json json_t *b = read_shared(d, name);
	bld_runner_json_shared_drop();
	return a == b;
}

Test(runner_jcache, unchanged_file_is_parsed_once)
{
	cleanup_free char *d = tmpdir();
	time_t old = time(NULL) - 60;
	put(d, "state.json", "{\"Status\":\"created\"}");
	age(d, "state.json", old);
	cr_expect(kept(d, "state.json"), "the second read gives the kept parse");
	cleanup_json json_t *a = read_shared(d, "state.json");
	cr_expect_str_eq(bld_json_get_str(a, "Status"), "created");
	bld_runner_json_shared_drop();
	rm_dir(d, "state.json");
}

Test(runner_jcache, replaced_or_rewritten_file_is_read_again)
{
	cleanup_free char *d = tmpdir();
	time_t old = time(NULL) - 60;
	put(d, "state.json", "{\"ExitCode\":1}");
	age(d, "state.json", old);
	cleanup_json json_t *a = read_shared(d, "state.json");
	/* replaced by a rename: same size, same (old) times */
	put(d, "state.json", "{\"ExitCode\":2}");
	age(d, "state.json", old);
	cleanup_json json_t *b = read_shared(d, "state.json");
	cr_expect_eq(json_integer_value(json_object_get(b, "ExitCode")), 2);
	/* rewritten in place, same size, its modification time put back: the change time moved */
	cleanup_free char *p = xasprintf("%s/state.json", d);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "3", 1, 12), 1);
	close(fd);
	age(d, "state.json", old);
	cleanup_json json_t *c = read_shared(d, "state.json");
	cr_expect_eq(json_integer_value(json_object_get(c, "ExitCode")), 3);
	bld_runner_json_shared_drop();
	rm_dir(d, "state.json");
}

Test(runner_jcache, fresh_file_is_not_kept)
{
	cleanup_free char *d = tmpdir();
	put(d, "state.json", "{\"Status\":\"running\"}");
	cleanup_free char *p = xasprintf("%s/state.json", d);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* written "now" (a minute ahead, so that a slow machine cannot age it) */
	struct timespec ts[2] = {{now.tv_sec + 60, 500}, {now.tv_sec + 60, 500}};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	cr_expect_not(kept(d, "state.json"), "a file written within a timestamp tick is read again");
	/* whole-second timestamps (nanoseconds 0): a second ago is within their tick */
	ts[0] = ts[1] = (struct timespec){now.tv_sec - 1, 0};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	cr_expect_not(kept(d, "state.json"), "a second ago, on a filesystem of whole seconds");
	ts[0] = ts[1] = (struct timespec){now.tv_sec - 1, 500};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	cr_expect(kept(d, "state.json"), "a second ago, on a filesystem of nanoseconds");
	rm_dir(d, "state.json");
}

Test(runner_jcache, missing_file_is_not_found)
{
	cleanup_free char *d = tmpdir();
	json_t *v = NULL;
	struct bld_error *err = NULL;
	cr_expect_lt(bld_runner_json_read_shared(d, "state.json", &v, &err), 0);
	cr_expect_eq(err->code, BLD_E_NOTFOUND);
	bld_error_free(err);
	rmdir(d);
}
