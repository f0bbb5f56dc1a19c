/*
 * tests/parser/test_parser.c — the Dockerfile AST against BuildKit's conformance data
 * (tests/fixtures/dockerfile-parser): every testfiles/CASE/result byte for byte, every
 * negative case failing, line ranges, the heredoc tables; plus the corpus parsing.
 */
#include <jansson.h>

#include "tests/parser/fixtures.h"

Test(parser_parser, testfiles_match_buildkit_result_byte_for_byte)
{
	char **dirs = fix_list(FIX_PARSER "/testfiles");
	size_t n = bld_strv_len(dirs), ok = 0;
	cr_assert_geq(n, 33);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *df = xasprintf(FIX_PARSER "/testfiles/%s/Dockerfile", dirs[i]);
		cleanup_free char *rf = xasprintf(FIX_PARSER "/testfiles/%s/result", dirs[i]);
		size_t dlen = 0, rlen = 0;
		cleanup_free char *data = fix_read(df, &dlen);
		cleanup_free char *want = fix_read(rf, &rlen);
		cleanup_free char *msg = NULL;
		cr_assert(data && want, "%s", dirs[i]);
		struct bld_parser_ast *ast = fix_parse(data, dlen, &msg);
		cr_expect(ast, "%s: %s", dirs[i], msg ? msg : "");
		if (!ast)
			continue;
		struct bld_buf out = BLD_BUF_INIT;
		cr_assert_eq(bld_parser_dump_buildkit(&out, ast), 0);
		bool same = out.len == rlen && memcmp(out.data, want, rlen) == 0;
		cr_expect(same, "%s:\n--- got\n%s--- want\n%s", dirs[i], bld_buf_str(&out), want);
		ok += same;
		bld_buf_dispose(&out);
		bld_parser_ast_free(ast);
	}
	cr_expect_eq(ok, n, "%zu of %zu cases match", ok, n);
	bld_strv_free(dirs);
}

Test(parser_parser, negative_testfiles_fail)
{
	char **dirs = fix_list(FIX_PARSER "/testfiles-negative");
	size_t n = bld_strv_len(dirs);
	cr_assert_geq(n, 4);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *df =
			xasprintf(FIX_PARSER "/testfiles-negative/%s/Dockerfile", dirs[i]);
		size_t len = 0;
		cleanup_free char *data = fix_read(df, &len);
		cleanup_free char *msg = NULL;
		struct bld_parser_ast *ast = fix_parse(data ? data : "", len, &msg);
		cr_expect_null(ast, "%s parsed but must fail", dirs[i]);
		cr_expect(msg && bld_str_has_prefix(msg, "Dockerfile:"), "%s: %s", dirs[i],
			  msg ? msg : "");
		bld_parser_ast_free(ast);
	}
	bld_strv_free(dirs);
}

Test(parser_parser, testfile_line_ranges)
{
	size_t len = 0;
	cleanup_free char *data = fix_read(FIX_PARSER "/testfile-line/Dockerfile", &len);
	struct bld_parser_ast *ast = fix_parse(data, len, NULL);
	cr_assert_not_null(ast);
	cr_assert_eq(ast->n, 3);
	static const int want[3][2] = {{5, 5}, {11, 12}, {17, 31}};
	for (size_t i = 0; i < 3; i++) {
		cr_expect_eq(ast->nodes[i].start_line, want[i][0], "node %zu start", i);
		cr_expect_eq(ast->nodes[i].end_line, want[i][1], "node %zu end", i);
	}
	cr_expect_eq(ast->nodes[0].start_line, 5);
	cr_expect_eq(ast->nodes[ast->n - 1].end_line, 31);
	bld_parser_ast_free(ast);
}

static void check_heredoc(const struct bld_parser_heredoc *h, json_t *want, size_t child)
{
	const char *content = json_string_value(json_object_get(want, "content"));
	cr_expect_str_eq(h->name, json_string_value(json_object_get(want, "name")), "child %zu",
			 child);
	cr_expect_eq(h->fd, (unsigned)json_integer_value(json_object_get(want, "fd")),
		     "child %zu", child);
	cr_expect_eq(h->expand, json_is_true(json_object_get(want, "expand")), "child %zu", child);
	cr_expect_eq(h->chomp, json_is_true(json_object_get(want, "chomp")), "child %zu", child);
	cr_expect(h->content.len == strlen(content) && memcmp(h->content.s, content,
							      h->content.len) == 0,
		  "child %zu content %s", child, h->content.s);
}

Test(parser_parser, heredoc_expected_jsonl)
{
	size_t len = 0;
	cleanup_free char *data = fix_read(FIX_PARSER "/heredoc/Dockerfile", &len);
	cleanup_free char *msg = NULL;
	struct bld_parser_ast *ast = fix_parse(data, len, &msg);
	cr_assert_not_null(ast, "%s", msg ? msg : "");
	FILE *f = fopen(FIX_PARSER "/heredoc/expected.jsonl", "r");
	cr_assert_not_null(f);
	char line[4096];
	size_t checked = 0;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		cr_assert_not_null(j, "bad jsonl line %s", line);
		size_t child = (size_t)json_integer_value(json_object_get(j, "child"));
		json_t *docs = json_object_get(j, "heredocs");
		cr_assert_lt(child, ast->n);
		const struct bld_parser_node *node = &ast->nodes[child];
		size_t want_n = json_is_array(docs) ? json_array_size(docs) : 0;
		cr_expect_eq(node->nheredocs, want_n, "child %zu: %zu heredocs", child,
			     node->nheredocs);
		for (size_t i = 0; i < want_n && i < node->nheredocs; i++)
			check_heredoc(&node->heredocs[i], json_array_get(docs, i), child);
		json_decref(j);
		checked++;
	}
	fclose(f);
	cr_expect_eq(checked, 27);
	cr_expect_eq(ast->n, 28);
	bld_parser_ast_free(ast);
}

/* Splits a TSV line in place into two fields; false on the header or a bad line. */
static bool tsv2(char *line, char **a, char **b)
{
	line[strcspn(line, "\n")] = '\0';
	char *tab = strchr(line, '\t');
	if (!tab)
		return false;
	*tab = '\0';
	*a = line;
	*b = tab + 1;
	return true;
}

Test(parser_parser, heredoc_words_tsv)
{
	FILE *f = fopen(FIX_PARSER "/heredoc/words.tsv", "r");
	cr_assert_not_null(f);
	char line[1024], *word, *want;
	size_t n = 0;
	bool header = true;
	while (fgets(line, sizeof(line), f)) {
		if (!tsv2(line, &word, &want) || header) {
			header = false;
			continue;
		}
		struct bld_parser_heredoc h;
		struct bld_error *err = NULL;
		int r = bld_parser_heredoc_parse_word(&h, word, &err);
		if (strcmp(want, "ERROR") == 0)
			cr_expect_lt(r, 0, "%s must fail", word);
		else if (strcmp(want, "NONE") == 0)
			cr_expect_eq(r, 0, "%s is no heredoc", word);
		else
			cr_expect(r == 1 && strcmp(h.name, want) == 0, "%s gives %s", word, want);
		if (r == 1)
			bld_parser_heredoc_dispose(&h);
		bld_error_free(err);
		n++;
	}
	fclose(f);
	cr_expect_eq(n, 20);
}

Test(parser_parser, heredoc_lines_tsv)
{
	FILE *f = fopen(FIX_PARSER "/heredoc/lines.tsv", "r");
	cr_assert_not_null(f);
	char line[1024], *text, *want;
	size_t n = 0;
	bool header = true;
	while (fgets(line, sizeof(line), f)) {
		if (!tsv2(line, &text, &want) || header) {
			header = false;
			continue;
		}
		struct bld_parser_heredoc *v = NULL;
		size_t k = 0;
		struct bld_error *err = NULL;
		int r = bld_parser_instruction_heredocs(&v, &k, text, strlen(text), '\\', &err);
		cr_expect_eq(r, 0, "%s", text);
		struct bld_buf names = BLD_BUF_INIT;
		for (size_t i = 0; i < k; i++) {
			bld_buf_printf(&names, "%s%s", i ? "," : "", v[i].name);
			bld_parser_heredoc_dispose(&v[i]);
		}
		free(v);
		cr_expect_str_eq(bld_buf_str(&names), want, "%s", text);
		bld_buf_dispose(&names);
		bld_error_free(err);
		n++;
	}
	fclose(f);
	cr_expect_eq(n, 11);
}

/* Every Dockerfile of the corpus parses. */
Test(parser_parser, corpus_parses)
{
	char **dirs = fix_list(FIX_CORPUS);
	size_t files = 0;
	for (size_t i = 0; dirs && dirs[i]; i++) {
		cleanup_free char *dir = xasprintf(FIX_CORPUS "/%s", dirs[i]);
		char **names = fix_list(dir);
		for (size_t k = 0; names && names[k]; k++) {
			cleanup_free char *path = xasprintf("%s/%s", dir, names[k]);
			size_t len = 0;
			cleanup_free char *data = fix_read(path, &len);
			cleanup_free char *msg = NULL;
			if (!data)
				continue;
			struct bld_parser_ast *ast = fix_parse(data, len, &msg);
			cr_expect(ast, "%s: %s", path, msg ? msg : "");
			bld_parser_ast_free(ast);
			files++;
		}
		bld_strv_free(names);
	}
	bld_strv_free(dirs);
	cr_expect_geq(files, 300);
}

/* CRLF line ends and a UTF-8 BOM change nothing in any conformance result. */
Test(parser_parser, crlf_and_bom_give_the_same_result)
{
	char **dirs = fix_list(FIX_PARSER "/testfiles");
	for (size_t i = 0; dirs && dirs[i]; i++) {
		cleanup_free char *df = xasprintf(FIX_PARSER "/testfiles/%s/Dockerfile", dirs[i]);
		cleanup_free char *rf = xasprintf(FIX_PARSER "/testfiles/%s/result", dirs[i]);
		size_t dlen = 0, rlen = 0;
		cleanup_free char *data = fix_read(df, &dlen);
		cleanup_free char *want = fix_read(rf, &rlen);
		struct bld_buf crlf = BLD_BUF_INIT;
		bld_buf_adds(&crlf, "\xEF\xBB\xBF");
		for (size_t k = 0; k < dlen; k++)
			bld_buf_adds(&crlf, data[k] == '\n' ? "\r\n" : (char[]){data[k], 0});
		struct bld_parser_ast *ast = fix_parse(crlf.data, crlf.len, NULL);
		cr_expect(ast, "%s", dirs[i]);
		if (ast) {
			struct bld_buf out = BLD_BUF_INIT;
			bld_parser_dump_buildkit(&out, ast);
			cr_expect(out.len == rlen && memcmp(out.data, want, rlen) == 0,
				  "%s with CRLF+BOM:\n%s", dirs[i], bld_buf_str(&out));
			bld_buf_dispose(&out);
			bld_parser_ast_free(ast);
		}
		bld_buf_dispose(&crlf);
	}
	bld_strv_free(dirs);
}

/* Odd bytes are quoted as Go's strconv.Quote does. */
Test(parser_parser, quoting_follows_go)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"a\"b\\c", "\"a\\\"b\\\\c\""},
		{"\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\""},
		{"\x01\x7f", "\"\\x01\\x7f\""},
		{"\xff\xc3", "\"\\xff\\xc3\""},
		{"\xe2\x99\xa5 \xc3\xa9", "\"\xe2\x99\xa5 \xc3\xa9\""},
		{"\xc2\xa0\xe2\x80\x8b", "\"\\u00a0\\u200b\""},
		{"\xf3\xa0\x80\x81", "\"\\U000e0001\""},
		{"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		struct bld_buf b = BLD_BUF_INIT;
		bld_parser_quote(&b, cases[i].in, strlen(cases[i].in));
		cr_expect_str_eq(bld_buf_str(&b), cases[i].want, "case %zu", i);
		bld_buf_dispose(&b);
	}
}

/* Edge cases of BuildKit's line handling, checked against its code. */
Test(parser_parser, buildkit_line_edge_cases)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"FROM a\nRUN a \\\\\nRUN b\n", "(from \"a\")\n(run \"a \\\\\\\\\")\n(run \"b\")\n"},
		{"FROM a\nRUN a \\\n\\\nb\n", "(from \"a\")\n(run \"a b\")\n"},
		{"FROM a\nfoo bar\n", "(from \"a\")\n(foo \"\")\n"},
		{"FROM a\nCOPY --from=\"a b\" x y\n", "(from \"a\")\n(copy [\"--from=a b\"] \"x\" \"y\")\n"},
		{"FROM a\nENV A=1 B=\"2 3\"\n", "(from \"a\")\n(env \"A\" \"1\" \"=\" \"B\" \"\\\"2 3\\\"\" \"=\")\n"},
		{"FROM a\nCMD [\"a\", 1e400]\n", "(from \"a\")\n(cmd \"[\\\"a\\\", 1e400]\")\n"},
		{"FROM a\nCMD [\"\\ud800\"]\n", "(from \"a\")\n(cmd \"\xef\xbf\xbd\")\n"},
		{"FROM a\nONBUILD\n", "(from \"a\")\n(onbuild)\n"},
		{"# Escape = `\nFROM a `\n b\n", "(from \"a\" \"b\")\n"},
		{"#!/x\n# escape=`\nFROM a `\n", "(from \"a\" \"`\")\n"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		cleanup_free char *msg = NULL;
		struct bld_parser_ast *ast = fix_parse(cases[i].in, strlen(cases[i].in), &msg);
		cr_expect(ast, "case %zu: %s", i, msg ? msg : "");
		if (!ast)
			continue;
		struct bld_buf b = BLD_BUF_INIT;
		bld_parser_dump_buildkit(&b, ast);
		cr_expect_str_eq(bld_buf_str(&b), cases[i].want, "case %zu", i);
		bld_buf_dispose(&b);
		bld_parser_ast_free(ast);
	}
}
