/*
 * tests/cache/test_fuzz_regressions.c — every file in tests/fixtures/fuzz-regressions/store/
 * (inputs that once broke tests/fuzz/fuzz_store.c) goes through the fuzz target's run: a
 * tar extracted into a directory with escape symlinks in it, beside a sentinel tree that
 * must stay exactly as it was. Without the target's read-only mount namespace: these
 * inputs are fixed, and a temporary directory suffices to see them stay confined. The same
 * for tests/fixtures/fuzz-regressions/image/ (tests/fuzz/fuzz_image.c: image documents
 * and archives loaded into a fresh store, which its own check must find whole).
 */
#include <criterion/criterion.h>
#include <dirent.h>

#include "tests/fuzz/image_input.h"

#define FIX_STORE "tests/fixtures/fuzz-regressions/store"
#define FIX_IMAGE "tests/fixtures/fuzz-regressions/image"

static void replay(const char *name, const uint8_t *data, size_t len)
{
	struct bld_error *err = NULL;
	cleanup_free char *sb = bld_fs_mkdtemp("bld-fuzz-store", &err);
	cr_assert_not_null(sb);
	int sbfd = open(sb, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(sbfd, 0);
	cr_assert_eq(store_sentinel(sbfd), 0);
	cleanup_free char *snap = store_snapshot(sb);
	cleanup_free char *broke = store_run(sb, sbfd, snap, data, len);
	close(sbfd);
	bld_fs_rm_rf(sb, NULL);
	cr_expect_null(broke, "%s: %s", name, broke);
}

static void replay_image(const char *name, const uint8_t *data, size_t len)
{
	struct bld_error *err = NULL;
	cleanup_free char *sb = bld_fs_mkdtemp("bld-fuzz-image", &err);
	cr_assert_not_null(sb);
	cleanup_free char *broke = img_run(sb, data, len);
	bld_fs_rm_rf(sb, NULL);
	cr_expect_null(broke, "%s: %s", name, broke);
}

static void each_file(const char *dir, void (*fn)(const char *, const uint8_t *, size_t))
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	cr_assert_geq(n, 0, "%s is missing", dir);
	for (int i = 0; i < n; i++) {
		cleanup_free char *path = xasprintf("%s/%s", dir, ents[i]->d_name);
		cleanup_free char *data = NULL;
		size_t len = 0;
		if (ents[i]->d_name[0] != '.' && bld_fs_read_file(path, 1 << 20, &data, &len, NULL) == 0)
			fn(ents[i]->d_name, (const uint8_t *)data, len);
		free(ents[i]);
	}
	free(ents);
}

Test(cache_fuzz, store_regressions_stay_confined)
{
	each_file(FIX_STORE, replay);
}

Test(cache_fuzz, image_regressions_leave_a_whole_store)
{
	each_file(FIX_IMAGE, replay_image);
}
