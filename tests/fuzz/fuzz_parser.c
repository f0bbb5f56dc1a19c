/*
 * tests/fuzz/fuzz_parser.c — libFuzzer target over the Dockerfile front end: the AST parse
 * and both dumps, the validation pass, the stage graph (default and named target), and the
 * word-level helpers (heredoc words, mount values, durations). Any crash, leak or sanitizer
 * report is a bug; inputs that found one go to tests/fixtures/fuzz-regressions/.
 */
#include "parser/parser.h"

static void graph(const char *data, size_t size)
{
	struct bld_parser_dockerfile *df = NULL;
	struct bld_error *err = NULL;
	if (bld_parser_dockerfile_new(&df, data, size, &err) == 0) {
		char *const args[] = {"A=1", "B", NULL};
		struct bld_buf out = BLD_BUF_INIT;
		if (bld_parser_graph_build(df, NULL, args, &err) == 0)
			bld_parser_graph_dump(&out, df);
		bld_error_free(err);
		err = NULL;
		if (df->nstages && df->stages[0].name &&
		    bld_parser_graph_build(df, df->stages[0].name, NULL, &err) == 0)
			bld_parser_graph_dump(&out, df);
		bld_buf_dispose(&out);
	}
	bld_error_free(err);
	bld_parser_dockerfile_free(df);
}

static void words(const char *data, size_t size)
{
	char *s = xstrndup(data, size > 4096 ? 4096 : size);
	struct bld_parser_heredoc h;
	struct bld_parser_mount m;
	struct bld_error *err = NULL;
	int64_t ns;
	if (bld_parser_heredoc_parse_word(&h, s, &err) == 1)
		bld_parser_heredoc_dispose(&h);
	bld_error_free(err);
	err = NULL;
	if (bld_parser_mount_parse(&m, s, &err) == 0)
		bld_parser_mount_dispose(&m);
	bld_error_free(err);
	bld_parser_duration(s, &ns);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *)bytes;
	struct bld_parser_ast *ast = NULL;
	struct bld_error *err = NULL;
	if (bld_parser_parse(&ast, data, size, &err) == 0) {
		struct bld_buf out = BLD_BUF_INIT;
		bld_parser_dump_buildkit(&out, ast);
		bld_parser_dump_json(&out, ast);
		bld_buf_dispose(&out);
		bld_parser_ast_free(ast);
	}
	bld_error_free(err);
	graph(data, size);
	words(data, size);
	return 0;
}
