/*
 * tests/parser/test_fuzz_regressions.c — every file in tests/fixtures/fuzz-regressions/ goes
 * through the fuzz target's pipeline (parse, dumps, validation, graph) and must come back
 * with a result or a clean error; plus the caps that keep hostile input bounded.
 */
#include <sys/stat.h>

#include "tests/parser/fixtures.h"

#define FIX_FUZZ "tests/fixtures/fuzz-regressions"

static void pipeline(const char *data, size_t len)
{
	struct bld_parser_ast *ast = NULL;
	struct bld_error *err = NULL;
	if (bld_parser_parse(&ast, data, len, &err) == 0) {
		struct bld_buf out = BLD_BUF_INIT;
		cr_expect_eq(bld_parser_dump_buildkit(&out, ast), 0);
		cr_expect_eq(bld_parser_dump_json(&out, ast), 0);
		bld_buf_dispose(&out);
		bld_parser_ast_free(ast);
	} else {
		cr_expect(bld_str_has_prefix(err->msg, "Dockerfile:"), "%s", err->msg);
	}
	bld_error_free(err);
	err = NULL;
	struct bld_parser_dockerfile *df = NULL;
	if (bld_parser_dockerfile_new(&df, data, len, &err) == 0) {
		struct bld_buf out = BLD_BUF_INIT;
		if (bld_parser_graph_build(df, NULL, NULL, &err) == 0)
			cr_expect_eq(bld_parser_graph_dump(&out, df), 0);
		bld_buf_dispose(&out);
	}
	bld_error_free(err);
	bld_parser_dockerfile_free(df);
}

Test(parser_fuzz, regressions_do_not_crash)
{
	char **names = fix_list(FIX_FUZZ);
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_free char *path = xasprintf(FIX_FUZZ "/%s", names[i]);
		struct stat st;
		/* subdirectories hold the regressions of the other fuzz targets */
		if (strcmp(names[i], "README.md") == 0 || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
			continue;
		size_t len = 0;
		cleanup_free char *data = fix_read(path, &len);
		cr_assert_not_null(data, "%s", path);
		pipeline(data, len);
	}
	bld_strv_free(names);
}

Test(parser_fuzz, caps_bound_hostile_input)
{
	/* one line longer than BuildKit's 64 KiB scanner limit */
	size_t n = BLD_PARSER_MAX_LINE + 10;
	char *big = xmalloc(n + 8);
	memcpy(big, "FROM a\nRUN ", 11);
	memset(big + 11, 'x', n - 11);
	struct bld_parser_ast *ast = NULL;
	struct bld_error *err = NULL;
	cr_expect_lt(bld_parser_parse(&ast, big, n, &err), 0);
	cr_expect(err && strstr(err->msg, "greater than max allowed size"), "%s", err ? err->msg : "");
	bld_error_free(err);
	err = NULL;
	free(big);
	/* deep ONBUILD nesting is refused, not recursed into without end */
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_adds(&b, "FROM a\n");
	for (int i = 0; i < 1000; i++)
		bld_buf_adds(&b, "ONBUILD ");
	bld_buf_adds(&b, "RUN x\n");
	cr_expect_lt(bld_parser_parse(&ast, b.data, b.len, &err), 0);
	bld_error_free(err);
	bld_buf_dispose(&b);
	/* a JSON array nested deeper than Go's limit is shell form, not a crash */
	bld_buf_adds(&b, "FROM a\nCMD ");
	for (int i = 0; i < 20000; i++)
		bld_buf_addc(&b, '[');
	err = NULL;
	cr_expect_eq(bld_parser_parse(&ast, b.data, b.len, &err), 0);
	cr_expect(ast && ast->n == 2 && !ast->nodes[1].json);
	bld_parser_ast_free(ast);
	bld_buf_dispose(&b);
}
