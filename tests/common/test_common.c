/*
 * tests/common/test_common.c — errors, buffers, size parsing, digests and path helpers.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "common/common.h"

#include <jansson.h>

Test(common_error, first_error_wins_and_wrap_adds_context)
{
	struct bld_error *err = NULL;
	cr_assert_eq(bld_error_set(&err, BLD_E_NOTFOUND, "blob %s", "x"), -BLD_E_NOTFOUND);
	bld_error_set(&err, BLD_E_INVALID, "later");
	bld_error_wrap(&err, "pull %s", "img");
	cr_assert_str_eq(err->msg, "pull img: blob x");
	cr_assert_eq(err->code, BLD_E_NOTFOUND);
	bld_error_free(err);
	bld_error_free(NULL);
}

Test(common_util, buf_respects_its_cap)
{
	struct bld_buf b = BLD_BUF_INIT;
	b.max = 8;
	cr_assert_eq(bld_buf_adds(&b, "12345678"), 0);
	cr_assert_eq(bld_buf_addc(&b, '9'), -1);
	cr_assert_str_eq(bld_buf_str(&b), "12345678");
	bld_buf_dispose(&b);
}

struct size_case {
	char in[16];
	int64_t want; /* -1: error */
};

ParameterizedTestParameters(common_util, parse_size)
{
	static struct size_case cases[] = {
		{"512", 512}, {"16m", 16 << 20}, {"1k", 1024}, {"2g", 2LL << 30}, {"1.5k", 1536},
		{"16mb", 16 << 20}, {"", -1}, {"abc", -1}, {"-1", -1}, {"4x", -1},
	};
	return cr_make_param_array(struct size_case, cases, BLD_ARRAY_SIZE(cases));
}

ParameterizedTest(struct size_case *c, common_util, parse_size)
{
	int64_t v = 0;
	int r = bld_parse_size(c->in, &v);
	if (c->want < 0)
		cr_assert_lt(r, 0, "%s should fail", c->in);
	else
		cr_assert(r == 0 && v == c->want, "%s -> %lld", c->in, (long long)v);
}

Test(common_digest, sha256_of_known_input)
{
	char d[BLD_DIGEST_STR_LEN];
	bld_sha256_digest("abc", 3, d);
	cr_assert_str_eq(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cr_assert(bld_digest_valid(d));
	cr_assert_not(bld_digest_valid("sha256:BA78"));
	char x[BLD_XXH_HEX_LEN + 1], y[BLD_XXH_HEX_LEN + 1];
	bld_xxh_digest("abc", 3, x);
	struct bld_xxh *h = bld_xxh_new();
	bld_xxh_update(h, "a", 1);
	bld_xxh_update(h, "bc", 2);
	bld_xxh_final(h, y);
	cr_assert_str_eq(x, y);
	cr_assert_eq(strlen(x), 32);
}

/* inline arrays, not pointers: criterion re-executes the binary for each test */
struct clean_case {
	char in[32], want[32];
};

ParameterizedTestParameters(common_path, clean)
{
	static struct clean_case cases[] = {
		{"a/./b/../c", "a/c"}, {"/../x", "/x"}, {"../a", "../a"}, {"", "."},
		{"//a//b/", "/a/b"}, {"a/..", "."}, {"/", "/"}, {"a/../../b", "../b"},
		{"./", "."}, {"/a/b/../../..", "/"},
	};
	return cr_make_param_array(struct clean_case, cases, BLD_ARRAY_SIZE(cases));
}

ParameterizedTest(struct clean_case *c, common_path, clean)
{
	char *got = bld_path_clean(c->in);
	cr_assert_str_eq(got, c->want, "clean(%s)", c->in);
	free(got);
}

/* Both resolvers keep a symlink that points out of the root inside it. */
static void check_confined(int (*open_fn)(int, const char *, int, mode_t))
{
	char *dir = bld_fs_mkdtemp("bld-test", NULL);
	cr_assert_not_null(dir);
	char *root = bld_path_join(dir, "root");
	cr_assert_eq(mkdir(root, 0755), 0);
	char *inside = bld_path_join(root, "etc");
	cr_assert_eq(mkdir(inside, 0755), 0);
	char *esc = bld_path_join(root, "escape");
	cr_assert_eq(symlink("/../../../../etc", esc), 0);
	char *up = bld_path_join(root, "up");
	cr_assert_eq(symlink("../../..", up), 0);
	int rfd = open(root, O_RDONLY | O_DIRECTORY);
	int fd = open_fn(rfd, "escape/newfile", O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	struct stat st;
	char *want = bld_path_join(inside, "newfile");
	cr_assert_eq(stat(want, &st), 0, "file must land inside the root");
	fd = open_fn(rfd, "up/etc/newfile", O_RDONLY, 0);
	cr_assert_geq(fd, 0, "../ above the root stays at the root");
	close(fd);
	close(rfd);
	bld_fs_rm_rf(dir, NULL);
	cr_assert_neq(stat(dir, &st), 0);
	free(want), free(up), free(esc), free(inside), free(root), free(dir);
}

Test(common_fs, open_in_root_confines_symlinks) { check_confined(bld_fs_open_in_root); }

Test(common_fs, open_in_root_fallback_confines_symlinks)
{
	check_confined(bld_fs_open_in_root_fallback);
}

Test(common_fs, write_atomic_replaces_whole_file)
{
	char *dir = bld_fs_mkdtemp("bld-test", NULL);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(bld_fs_write_atomic(dfd, "f", "one", 3, 0600, NULL), 0);
	cr_assert_eq(bld_fs_write_atomic(dfd, "f", "second", 6, 0644, NULL), 0);
	char *path = bld_path_join(dir, "f");
	char *data = NULL;
	size_t n = 0;
	cr_assert_eq(bld_fs_read_file(path, 100, &data, &n, NULL), 0);
	cr_assert_str_eq(data, "second");
	struct bld_error *err = NULL;
	cr_assert_lt(bld_fs_read_file(path, 3, &data, &n, &err), 0);
	cr_assert_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
	close(dfd);
	bld_fs_rm_rf(dir, NULL);
	free(data), free(path), free(dir);
}

static void hold_then_drop(json_t *shared)
{
	cleanup_json json_t *mine = json_incref(shared);
	cleanup_json json_t *none = NULL; /* an unset local is harmless */
	cr_assert_eq(mine->refcount, 2);
}

static json_t *hand_on(void)
{
	cleanup_json json_t *v = json_pack("{s:i}", "a", 1);
	return steal_pointer(&v);
}

Test(common_json, cleanup_drops_one_reference_and_steal_hands_it_on)
{
	json_t *shared = json_object();
	hold_then_drop(shared);
	cr_assert_eq(shared->refcount, 1);
	json_decref(shared);
	json_t *v = hand_on();
	cr_assert_eq(v->refcount, 1);
	cr_assert_eq(json_integer_value(json_object_get(v, "a")), 1);
	json_decref(v);
}

Test(common_time, parse_ns_keeps_the_fraction)
{
	int64_t ns = 0;
	cr_expect_eq(bld_time_parse_ns("2024-01-01T00:00:00.123456789Z", &ns), 0);
	cr_expect_eq(ns, 1704067200LL * 1000000000 + 123456789);
	cr_expect_eq(bld_time_parse_ns("2024-01-01T02:00:00.5+02:00", &ns), 0);
	cr_expect_eq(ns, 1704067200LL * 1000000000 + 500000000);
	cr_expect_eq(bld_time_parse_ns("0001-01-01T00:00:00Z", &ns), 0, "Go's zero time");
	cr_expect_eq(ns, INT64_MIN, "clamped");
	cr_expect_lt(bld_time_parse_ns("soon", &ns), 0);
	cr_expect_lt(bld_time_parse_ns(NULL, &ns), 0);
	cr_expect_eq(bld_time_parse("2024-01-01T00:00:00.9Z"), 1704067200, "whole seconds");
}
