/*
 * tests/deploy/fixtures.h — what the loader's tests share: the compose fixture directory, its
 * tables (JSON files of cases, each naming the compose-go test it comes from), and files
 * written into a test's own directory. Paths are relative to the repository top (the test
 * runner's working directory).
 */
#ifndef BLD_TESTS_DEPLOY_FIXTURES_H
#define BLD_TESTS_DEPLOY_FIXTURES_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "deploy/deploy_int.h"

#define FIX "tests/fixtures/compose/"

static inline void fix_free_indexes(struct criterion_test_params *p)
{
	cr_free(p->params);
}

/* Criterion runs each case in a fresh process: the parameters of a table-driven test are the
 * indexes 0..n-1 into its table. */
static inline struct criterion_test_params fix_indexes(size_t n)
{
	size_t *idx = cr_malloc(n * sizeof(*idx));
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, n, fix_free_indexes);
}

/* A table of FIX (a new reference), asserted to hold at least min cases under key (NULL:
 * the table is the array). */
static inline json_t *fix_table(const char *name, const char *key, size_t min)
{
	json_t *doc = NULL;
	struct bld_error *err = NULL;
	char *path = xasprintf(FIX "%s", name);
	cr_assert_eq(bld_json_load_file(&doc, path, 1 << 20, &err), 0, "%s", path);
	free(path);
	cr_assert_geq(json_array_size(key ? json_object_get(doc, key) : doc), min);
	return doc;
}

/* Writes text to dir/rel, making the directories on the way. */
static inline void fix_write(const char *dir, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	struct bld_error *err = NULL;
	cr_assert_eq(bld_fs_mkdir_p(p, 0755, &err), 0, "%s", p);
	*slash = '/';
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
	free(p);
}

#endif
