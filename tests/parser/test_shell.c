/*
 * tests/parser/test_shell.c — shell-word expansion against BuildKit's own tables
 * (tests/fixtures/shell-expansion: envVarTest, wordsTest, process-with-matches.jsonl, every
 * row, read as that README describes), plus edge cases of our own.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "parser/parser.h"

#define FIX "tests/fixtures/shell-expansion/"

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	struct bld_error *err = NULL;
	if (bld_fs_read_file(path, 1 << 20, &data, &len, &err) < 0)
		cr_assert_fail("read %s: %s", path, err->msg);
	return data;
}

/* Trims ASCII and Go white space at both ends, in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static char *env_var_test_env[] = {"PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL=", NULL};

/* One envVarTest row: PLATFORM|INPUT|EXPECTED; returns 1 when it ran. */
static int env_var_row(char *line, int lineno)
{
	char *f[4] = {0};
	int n = 0;
	for (char *p = line; n < 4; n++) {
		f[n] = p;
		char *bar = strchr(p, '|');
		if (!bar) {
			n++;
			break;
		}
		*bar = '\0';
		p = bar + 1;
	}
	cr_assert_eq(n, 3, "envVarTest:%d: %d fields", lineno, n);
	char *plat = trim(f[0]), *in = trim(f[1]), *want = trim(f[2]);
	cr_assert(!strcmp(plat, "A") || !strcmp(plat, "U") || !strcmp(plat, "W"));
	if (!strcmp(plat, "W"))
		return 0;
	char *out = NULL;
	struct bld_error *err = NULL;
	int r = bld_parser_shell_word(&out, in, '\\', env_var_test_env, &err);
	if (!strcmp(want, "error")) {
		cr_expect_lt(r, 0, "envVarTest:%d: %s should fail, gave [%s]", lineno, in,
			     r == 0 ? out : "");
		if (r < 0)
			cr_expect(strstr(err->msg, "failed to process \"") == err->msg, "%s", err->msg);
	} else {
		cr_expect_eq(r, 0, "envVarTest:%d: %s: %s", lineno, in, err ? err->msg : "");
		if (r == 0)
			cr_expect_str_eq(out, want, "envVarTest:%d: %s", lineno, in);
	}
	free(out);
	bld_error_free(err);
	return 1;
}

Test(parser_shell, env_var_test_every_row)
{
	cleanup_free char *data = slurp(FIX "envVarTest");
	int lineno = 0, ran = 0;
	char *p = data, *line;
	while ((line = strsep(&p, "\n")) != NULL) {
		lineno++;
		if (line[0] == '#')
			continue;
		char *t = trim(line);
		if (!*t)
			continue;
		ran += env_var_row(t, lineno);
	}
	/* the A and U rows of the pinned upstream file */
	cr_assert_eq(ran, 228, "ran %d rows", ran);
}

static void free_env(char **env) { bld_strv_free(env); }

/* One wordsTest row: INPUT | EXPECTED (comma-separated, or "error"). */
static void words_row(char *line, char **env, int lineno)
{
	char *bar = strchr(line, '|');
	cr_assert(bar && !strchr(bar + 1, '|'), "wordsTest:%d: needs exactly one |", lineno);
	*bar = '\0';
	char *in = trim(line), *want = bar + 1;
	while (*want == ' ')
		want++;
	char **out = NULL;
	struct bld_error *err = NULL;
	int r = bld_parser_shell_words(&out, in, '\\', env, &err);
	char **exp = NULL;
	char *w;
	/* strsep keeps empty fields the way Go's strings.Split does */
	char *p = want;
	while ((w = strsep(&p, ",")) != NULL)
		bld_strv_push(&exp, w);
	if (r < 0) {
		cr_expect(bld_strv_len(exp) == 1 && !strcmp(exp[0], "error"),
			  "wordsTest:%d: %s failed: %s", lineno, in, err->msg);
	} else {
		size_t n = bld_strv_len(out);
		cr_expect_eq(n, bld_strv_len(exp), "wordsTest:%d: %s: %zu words", lineno, in, n);
		for (size_t i = 0; i < n && i < bld_strv_len(exp); i++)
			cr_expect_str_eq(out[i], exp[i], "wordsTest:%d: %s word %zu", lineno, in, i);
	}
	bld_strv_free(exp);
	bld_strv_free(out);
	bld_error_free(err);
}

Test(parser_shell, words_test_every_row)
{
	cleanup_free char *data = slurp(FIX "wordsTest");
	char **env = NULL;
	int lineno = 0, ran = 0;
	char *p = data, *line;
	while ((line = strsep(&p, "\n")) != NULL) {
		lineno++;
		if (line[0] == '#' || (!*line && !p))
			continue;
		if (!strncmp(line, "ENV ", 4)) {
			char *e = line + 3;
			while (*e == ' ')
				e++;
			bld_strv_push(&env, e);
			continue;
		}
		words_row(line, env, lineno);
		ran++;
	}
	free_env(env);
	cr_assert_eq(ran, 24, "ran %d rows", ran);
}

static char **json_strv(json_t *a)
{
	char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) bld_strv_push(&v, json_string_value(x));
	return v;
}

static void expect_strv_eq(char **got, char **want, const char *what, int lineno)
{
	size_t n = bld_strv_len(got);
	cr_expect_eq(n, bld_strv_len(want), "line %d: %s: %zu names", lineno, what, n);
	for (size_t i = 0; i < n && i < bld_strv_len(want); i++)
		cr_expect_str_eq(got[i], want[i], "line %d: %s[%zu]", lineno, what, i);
}

static void matches_row(json_t *c, int lineno)
{
	const char *in = json_string_value(json_object_get(c, "input"));
	json_t *envs = json_object_get(c, "envs");
	char **env = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(envs, k, v)
	{
		cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
		bld_strv_push(&env, kv);
	}
	char *out = NULL, **m = NULL, **um = NULL;
	struct bld_error *err = NULL;
	int r = bld_parser_shell_word_matches(&out, &m, &um, in, '\\', env, &err);
	if (json_is_true(json_object_get(c, "error"))) {
		cr_expect_lt(r, 0, "line %d: %s should fail, gave [%s]", lineno, in, out);
	} else {
		cr_expect_eq(r, 0, "line %d: %s: %s", lineno, in, err ? err->msg : "");
		if (r == 0) {
			const char *want = json_string_value(json_object_get(c, "expected"));
			cr_expect_str_eq(out, want, "line %d: %s", lineno, in);
			char **wm = json_strv(json_object_get(c, "matches"));
			char **wu = json_strv(json_object_get(c, "unmatched"));
			expect_strv_eq(m, wm, "matches", lineno);
			expect_strv_eq(um, wu, "unmatched", lineno);
			bld_strv_free(wm);
			bld_strv_free(wu);
		}
	}
	free(out);
	bld_strv_free(m);
	bld_strv_free(um);
	bld_strv_free(env);
	bld_error_free(err);
}

Test(parser_shell, process_with_matches_every_row)
{
	cleanup_free char *data = slurp(FIX "process-with-matches.jsonl");
	int lineno = 0, ran = 0;
	char *p = data, *line;
	while ((line = strsep(&p, "\n")) != NULL) {
		lineno++;
		if (!*line)
			continue;
		json_error_t je;
		json_t *c = json_loads(line, 0, &je);
		cr_assert(c, "line %d: %s", lineno, je.text);
		matches_row(c, lineno);
		json_decref(c);
		ran++;
	}
	cr_assert_eq(ran, 47, "ran %d rows", ran);
}

/* ------------------------------------------------------------------ our own edge cases */

struct word_case {
	char in[64];
	char esc;
	unsigned flags;
	char want[64]; /* "!" prefix: must fail, rest is a substring of the error */
};

static char *edge_env[] = {"A=x", "B=", "P=/a/b/c.tar.gz", "S=a  b", "A=last", NULL};

static void check_word_case(const struct word_case *c)
{
	struct bld_parser_shell_result r;
	struct bld_error *err = NULL;
	int rc = bld_parser_shell_process(&r, c->in, c->esc, c->flags, edge_env, &err);
	if (c->want[0] == '!') {
		cr_assert_lt(rc, 0, "%s should fail, gave [%s]", c->in, rc == 0 ? r.word : "");
		cr_assert(strstr(err->msg, c->want + 1), "%s: %s", c->in, err->msg);
		cr_assert_eq(err->code, BLD_E_INVALID);
		bld_error_free(err);
		return;
	}
	cr_assert_eq(rc, 0, "%s: %s", c->in, err ? err->msg : "");
	cr_assert_str_eq(r.word, c->want, "%s", c->in);
	bld_parser_shell_result_dispose(&r);
}

Test(parser_shell, edge_cases)
{
	static const struct word_case cases[] = {
		/* the backtick escape directive: ` escapes, \ is plain */
		{"a`$A", '`', 0, "a$A"},
		{"a\\$A", '`', 0, "a\\last"},
		{"\"a`\"b\"", '`', 0, "a\"b"},
		{"\"a\\tb\"", '`', 0, "a\\tb"},
		{"C:\\dir\\$A", '`', 0, "C:\\dir\\last"},
		{"a``b", '`', 0, "a`b"},
		{"tail`", '`', 0, "tail"},
		{"${A:-`}}", '`', 0, "last"},
		{"${NO:-`}}", '`', 0, "}"},
		/* patterns always use \ for their own escapes, whatever the directive */
		{"${P%.*}", '`', 0, "/a/b/c.tar"},
		{"${P%%.*}", '\\', 0, "/a/b/c"},
		{"${P#*/}", '\\', 0, "a/b/c.tar.gz"},
		{"${P##*/}", '\\', 0, "c.tar.gz"},
		{"${P/b/B}", '\\', 0, "/a/B/c.tar.gz"},
		{"${P//[/x}", '\\', 0, "/a/b/c.tar.gz"},
		{"${P#\\x}", '\\', 0, "!invalid escape"},
		/* nesting */
		{"${NO:-${NO2:-${A}}}", '\\', 0, "last"},
		{"${B:+${A:+in}}", '\\', 0, ""},
		{"${A:+${B:-${A}x}}", '\\', 0, "lastx"},
		{"${NO:-\"q}\"}", '\\', 0, "q}"},
		{"${NO:-'${A}'}", '\\', 0, "${A}"},
		/* unterminated and malformed */
		{"${A", '\\', 0, "!missing '}'"},
		{"${A:-${B}", '\\', 0, "!missing '}'"},
		{"${A/x", '\\', 0, "!missing '/'"},
		{"${A/x/y", '\\', 0, "!missing '}'"},
		{"${", '\\', 0, "!missing '}'"},
		{"${A:", '\\', 0, "!missing '}'"},
		{"${}", '\\', 0, "!bad substitution"},
		{"${A!}", '\\', 0, "!unsupported modifier (!)"},
		{"${A:=x}", '\\', 0, "!unsupported modifier (:=)"},
		{"${NO?}", '\\', 0, "!NO: is not allowed to be unset"},
		{"${B:?}", '\\', 0, "!B: is not allowed to be empty"},
		{"${B:?say $A}", '\\', 0, "!B: say last"},
		{"'open", '\\', 0, "!single-quote"},
		{"\"open", '\\', 0, "!double-quote"},
		/* the last KEY wins; an entry without '=' is an empty value */
		{"$A", '\\', 0, "last"},
		/* modes */
		{"'a'\"b\"", '\\', BLD_PARSER_SHELL_RAW_QUOTES, "'a'\"b\""},
		{"a\\ b", '\\', BLD_PARSER_SHELL_RAW_ESCAPES, "a\\ b"},
		{"'$A'", '\\', BLD_PARSER_SHELL_SKIP_QUOTES, "'last'"},
		{"$NO ${NO} ${NO:-d} ${NO/a/b} $A", '\\', BLD_PARSER_SHELL_SKIP_UNSET,
		 "$NO ${NO} ${NO:-d} ${NO/a/b} last"},
		/* a leading BOM is dropped and invalid UTF-8 reads as U+FFFD, like Go */
		{"\xEF\xBB\xBFx", '\\', 0, "x"},
		{"a\xFFz", '\\', 0, "a\xEF\xBF\xBDz"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++)
		check_word_case(&cases[i]);
}

Test(parser_shell, replace_all_follows_go_regexp)
{
	char *env[] = {"V=aaa", "D=$", "Z=$0", NULL};
	static const char *cases[][2] = {
		/* an empty pattern matches between every rune */
		{"${V///-}", "-a-a-a-"},
		/* $$ and $0 in the replacement act as in Go's Regexp.Expand */
		{"${V//a/$D$D}", "$$$"},
		{"${V//a/<$Z>}", "<a><a><a>"},
		/* only // expands; a single / inserts the text as is */
		{"${V/a/$Z}", "$0aa"},
		/* greedy * */
		{"${V//a*/x}", "x"},
		{"${V/?/x}", "xaa"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		char *out = NULL;
		struct bld_error *err = NULL;
		int r = bld_parser_shell_word(&out, cases[i][0], '\\', env, &err);
		cr_assert_eq(r, 0, "%s: %s", cases[i][0], err ? err->msg : "");
		cr_expect_str_eq(out, cases[i][1], "%s", cases[i][0]);
		free(out);
	}
}

Test(parser_shell, words_split_like_buildkit)
{
	char *env[] = {"S=a  b", NULL};
	char **w = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_shell_words(&w, "x $S \"$S\" '' << EOF", '\\', env, &err), 0);
	const char *want[] = {"x", "a", "b", "a  b", "<< EOF"};
	cr_assert_eq(bld_strv_len(w), BLD_ARRAY_SIZE(want));
	for (size_t i = 0; i < BLD_ARRAY_SIZE(want); i++)
		cr_expect_str_eq(w[i], want[i]);
	bld_strv_free(w);
	/* BuildKit's shared field buffer: a nested ${:-} drops the unfinished field */
	cr_assert_eq(bld_parser_shell_words(&w, "pre${NO:-x}", '\\', NULL, &err), 0);
	cr_assert_eq(bld_strv_len(w), 1);
	cr_expect_str_eq(w[0], "x");
	bld_strv_free(w);
	cr_assert_eq(bld_parser_shell_words(&w, "", '\\', NULL, &err), 0);
	cr_assert_not_null(w);
	cr_assert_null(w[0]);
	bld_strv_free(w);
}

Test(parser_shell, pathological_patterns_stay_fast)
{
	/* many stars against a long value that never matches: memoised, not exponential */
	char val[4100] = "V=";
	memset(val + 2, 'a', 4000);
	char *env[] = {val, NULL};
	char *out = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_shell_word(&out, "${V#*a*a*a*a*a*a*a*a*a*a*a*a*b}", '\\', env,
					   &err), 0);
	cr_assert_eq(strlen(out), 4000);
	free(out);
	cr_assert_eq(bld_parser_shell_word(&out, "${V%%*a*a*a*a*a*a*a*a*b}", '\\', env, &err), 0);
	cr_assert_eq(strlen(out), 4000);
	free(out);
	/* deep nesting is an error, not a stack overflow */
	struct bld_buf b = BLD_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		bld_buf_adds(&b, "${X:-");
	cr_assert_lt(bld_parser_shell_word(&out, bld_buf_str(&b), '\\', NULL, &err), 0);
	bld_error_free(err);
	bld_buf_dispose(&b);
}

/* The mode BuildKit's parser uses to find heredocs on a line (raw quotes and escapes,
 * unset variables kept): the words keep their quotes and references. */
Test(parser_shell, heredoc_line_mode)
{
	struct bld_parser_shell_result r;
	struct bld_error *err = NULL;
	unsigned fl = BLD_PARSER_SHELL_RAW_QUOTES | BLD_PARSER_SHELL_RAW_ESCAPES |
		      BLD_PARSER_SHELL_SKIP_UNSET;
	cr_assert_eq(bld_parser_shell_process(&r, "cat <<\"EOF\" <<-'X' \\$a ${U:-d} >f", '\\',
					      fl, NULL, &err), 0);
	const char *want[] = {"cat", "<<\"EOF\"", "<<-'X'", "\\$a", "${U:-d}", ">f"};
	cr_assert_eq(bld_strv_len(r.words), BLD_ARRAY_SIZE(want));
	for (size_t i = 0; i < BLD_ARRAY_SIZE(want); i++)
		cr_expect_str_eq(r.words[i], want[i]);
	cr_expect_str_eq(r.unmatched[0], "U");
	bld_parser_shell_result_dispose(&r);
	bld_parser_shell_result_dispose(NULL);
}

/* Names: Unicode letters and digits continue a name; a digit run or one special character
 * ends it; $ alone stays. */
Test(parser_shell, names)
{
	char *env[] = {"é=E", "x1=X", "1=one", "_=U", NULL};
	static const char *cases[][2] = {
		{"$é.", "E."}, {"$x1y", ""}, {"$x1-y", "X-y"}, {"$1x", "onex"}, {"$12", ""},
		{"$_", "U"}, {"$", "$"}, {"a$", "a$"}, {"$ a", "$ a"}, {"${1}", "one"},
		{"$@x", "x"}, {"${_:+set}", "set"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		char *out = NULL;
		struct bld_error *err = NULL;
		cr_assert_eq(bld_parser_shell_word(&out, cases[i][0], '\\', env, &err), 0, "%s",
			     cases[i][0]);
		cr_expect_str_eq(out, cases[i][1], "%s", cases[i][0]);
		free(out);
	}
}

/* Unicode white space splits fields like ASCII blanks; quoted it does not. */
Test(parser_shell, unicode_space_splits_fields)
{
	char *env[] = {"V=a\xc2\xa0" "b\xe3\x80\x80" "c", NULL};
	char **w = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_shell_words(&w, "$V \"$V\"", '\\', env, &err), 0);
	cr_assert_eq(bld_strv_len(w), 4);
	cr_expect_str_eq(w[0], "a");
	cr_expect_str_eq(w[2], "c");
	cr_expect_str_eq(w[3], "a\xc2\xa0" "b\xe3\x80\x80" "c");
	bld_strv_free(w);
}
