/*
 * tests/cache/helpers.h — what the cache tests share: a fresh store in a temporary
 * directory, removed when the test ends.
 */
#ifndef BLD_TEST_CACHE_HELPERS_H
#define BLD_TEST_CACHE_HELPERS_H

#include <criterion/criterion.h>
#include <sys/stat.h>

#include "cache/cache.h"

static inline struct bld_store *test_store(char **root)
{
	struct bld_error *err = NULL;
	*root = bld_fs_mkdtemp("bld-cache-test", &err);
	cr_assert(*root);
	struct bld_store *s = NULL;
	int r = bld_cache_store_open(&s, *root, &err);
	cr_assert_eq(r, 0, "open: %s", err ? err->msg : "");
	return s;
}

static inline void test_store_done(struct bld_store *s, char *root)
{
	bld_cache_store_free(s);
	bld_fs_rm_rf(root, NULL);
	free(root);
}

/* Number of entries in a directory, . and .. excluded. */
static inline int test_count_dir(const char *path)
{
	char *cmd = xasprintf("ls -A '%s' | wc -l", path);
	FILE *p = popen(cmd, "r");
	free(cmd);
	int n = -1;
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

#endif
