/*
 * tests/runner/test_cp.c — docker's path table for `bld cp`, row by row: where the copy
 * lands (directory and name) for a file, a directory and a directory's "/." contents onto
 * a missing path, a file, a directory, with and without a trailing "/", and the two errors.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "runner/runner.h"

/* inline arrays, not pointers: criterion re-executes the binary for each test */
struct plan_case {
	char src[24];
	bool src_dir;
	char dst[24];
	enum bld_runner_cp_dst kind;
	char dir[24], name[16]; /* want; dir "" when an error is wanted ... */
	char error[32];         /* ... with this message */
};

ParameterizedTestParameters(runner_cp, plan)
{
	static struct plan_case cases[] = {
		/* SRC_PATH specifies a file */
		{"/app/file", false, "out", BLD_RUNNER_CP_DST_NONE, ".", "out", ""},
		{"/app/file", false, "/t/out", BLD_RUNNER_CP_DST_NONE, "/t", "out", ""},
		{"/app/file", false, "out/", BLD_RUNNER_CP_DST_NONE, "", "", "no such directory"},
		{"/app/file", false, "out/.", BLD_RUNNER_CP_DST_NONE, "", "", "no such directory"},
		{"/app/file", false, "/t/f", BLD_RUNNER_CP_DST_FILE, "/t", "f", ""},
		{"/app/file", false, "/t/d", BLD_RUNNER_CP_DST_DIR, "/t/d", "file", ""},
		{"/app/file", false, "/t/d/", BLD_RUNNER_CP_DST_DIR, "/t/d", "file", ""},
		{"file", false, "/", BLD_RUNNER_CP_DST_DIR, "/", "file", ""},
		/* SRC_PATH specifies a directory */
		{"/app/out", true, "/t/new", BLD_RUNNER_CP_DST_NONE, "/t", "new", ""},
		{"/app/out", true, "/t/new/", BLD_RUNNER_CP_DST_NONE, "/t", "new", ""},
		{"/app/out/.", true, "new", BLD_RUNNER_CP_DST_NONE, ".", "new", ""},
		{"/app/out", true, "/t/f", BLD_RUNNER_CP_DST_FILE, "", "", "cannot copy directory"},
		{"/app/out/", true, "/t/d", BLD_RUNNER_CP_DST_DIR, "/t/d", "out", ""},
		{"/app/out", true, "/t/d", BLD_RUNNER_CP_DST_DIR, "/t/d", "out", ""},
		{"/app/out/.", true, "/t/d", BLD_RUNNER_CP_DST_DIR, "/t/d", ".", ""},
		{".", true, "/t/d", BLD_RUNNER_CP_DST_DIR, "/t/d", ".", ""},
		{"/", true, "/t/d", BLD_RUNNER_CP_DST_DIR, "/t/d", ".", ""},
		{"app//out/./", true, "d", BLD_RUNNER_CP_DST_DIR, "d", ".", ""},
		{"app//out//", true, "d", BLD_RUNNER_CP_DST_DIR, "d", "out", ""},
	};
	return cr_make_param_array(struct plan_case, cases, BLD_ARRAY_SIZE(cases));
}

ParameterizedTest(struct plan_case *c, runner_cp, plan)
{
	struct bld_runner_cp_plan p;
	struct bld_error *e = NULL;
	int r = bld_runner_cp_plan(&p, c->src, c->src_dir, c->dst, c->kind, &e);
	if (c->error[0]) {
		cr_assert_lt(r, 0, "%s -> %s should fail", c->src, c->dst);
		cr_assert_str_eq(e->msg, c->error);
		cr_assert_eq(e->status, 1, "docker exits 1 for it");
		bld_error_free(e);
		return;
	}
	cr_assert_eq(r, 0, "%s -> %s: %s", c->src, c->dst, e ? e->msg : "");
	cr_assert_str_eq(p.dir, c->dir, "%s -> %s: dir", c->src, c->dst);
	cr_assert_str_eq(p.name, c->name, "%s -> %s: name", c->src, c->dst);
	bld_runner_cp_plan_dispose(&p);
}
