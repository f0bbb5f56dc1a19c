/*
 * tests/parser/test_dockerignore.c — .dockerignore reading and matching against the tables
 * transcribed from moby/patternmatcher (tests/fixtures/dockerignore: cases.tsv,
 * cases-source.tsv, bad-patterns.tsv, compile.tsv, multi.tsv, readall/, every row), plus the
 * skip-directory rule and edge cases of our own.
 */
#include <criterion/criterion.h>

#include "parser/parser.h"

#define FIX "tests/fixtures/dockerignore/"

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	size_t n = 0;
	struct bld_error *err = NULL;
	if (bld_fs_read_file(path, 1 << 20, &data, &n, &err) < 0)
		cr_assert_fail("read %s: %s", path, err->msg);
	if (len)
		*len = n;
	return data;
}

/* Splits a TSV file into rows of fields (the header row dropped); each row is a strv. */
static char ***read_tsv(const char *name, size_t *nrows)
{
	cleanup_free char *path = xasprintf(FIX "%s", name);
	cleanup_free char *data = slurp(path, NULL);
	char ***rows = NULL;
	size_t n = 0;
	char *p = data, *line;
	bool header = true;
	while ((line = strsep(&p, "\n")) != NULL) {
		if (!*line && !p)
			break;
		if (header) {
			header = false;
			continue;
		}
		char **f = xcalloc(1, sizeof(char *)), *fld;
		while ((fld = strsep(&line, "\t")) != NULL)
			bld_strv_push(&f, fld);
		rows = xrealloc(rows, (n + 1) * sizeof(*rows));
		rows[n++] = f;
	}
	*nrows = n;
	return rows;
}

static void free_tsv(char ***rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bld_strv_free(rows[i]);
	free(rows);
}

/* Matches path against patterns; -1 when building or matching fails. */
static int match_list(char *const *patterns, const char *path)
{
	struct bld_parser_dockerignore *m = NULL;
	struct bld_error *err = NULL;
	bool ex = false;
	int r = bld_parser_dockerignore_new(&m, patterns, &err);
	if (r == 0)
		r = bld_parser_dockerignore_match(m, path, &ex, &err);
	if (r < 0)
		cr_assert_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
	bld_parser_dockerignore_free(m);
	return r < 0 ? -1 : ex;
}

static void run_cases(const char *file, size_t want_rows)
{
	size_t n;
	char ***rows = read_tsv(file, &n);
	cr_assert_eq(n, want_rows, "%s: %zu rows", file, n);
	for (size_t i = 0; i < n; i++) {
		char **f = rows[i];
		cr_assert_geq(bld_strv_len(f), 3, "%s row %zu", file, i + 2);
		char *pats[] = {f[0], NULL};
		int got = match_list(pats, f[1]);
		cr_expect_eq(got, f[2][0] == '1', "%s row %zu: pattern [%s] path [%s] gave %d",
			     file, i + 2, f[0], f[1], got);
	}
	free_tsv(rows, n);
}

Test(parser_dockerignore, cases_every_row) { run_cases("cases.tsv", 107); }

Test(parser_dockerignore, cases_source_every_row) { run_cases("cases-source.tsv", 107); }

Test(parser_dockerignore, bad_patterns_every_row)
{
	size_t n;
	char ***rows = read_tsv("bad-patterns.tsv", &n);
	cr_assert_eq(n, 17);
	for (size_t i = 0; i < n; i++) {
		char *pats[] = {rows[i][0], NULL};
		cr_expect_eq(match_list(pats, rows[i][1]), -1, "row %zu: [%s] should be rejected",
			     i + 2, rows[i][0]);
	}
	free_tsv(rows, n);
}

static const char *kind_name(enum bld_parser_dockerignore_kind k)
{
	switch (k) {
	case BLD_PARSER_DOCKERIGNORE_EXACT: return "exact";
	case BLD_PARSER_DOCKERIGNORE_PREFIX: return "prefix";
	case BLD_PARSER_DOCKERIGNORE_SUFFIX: return "suffix";
	default: return "regexp";
	}
}

Test(parser_dockerignore, compile_every_row)
{
	size_t n;
	char ***rows = read_tsv("compile.tsv", &n);
	cr_assert_eq(n, 21);
	for (size_t i = 0; i < n; i++) {
		char **f = rows[i];
		enum bld_parser_dockerignore_kind k;
		char *re = NULL;
		struct bld_error *err = NULL;
		cr_assert_eq(bld_parser_dockerignore_pattern_kind(&k, &re, f[0], &err), 0, "%s", f[0]);
		cr_expect_str_eq(kind_name(k), f[1], "row %zu: %s", i + 2, f[0]);
		cr_expect_str_eq(re ? re : "", f[2] ? f[2] : "", "row %zu: %s", i + 2, f[0]);
		free(re);
	}
	free_tsv(rows, n);
}

Test(parser_dockerignore, multi_every_row)
{
	size_t n;
	char ***rows = read_tsv("multi.tsv", &n);
	cr_assert_eq(n, 13);
	for (size_t i = 0; i < n; i++) {
		char **f = rows[i];
		int got = match_list(f + 2, f[0]);
		cr_expect_eq(got, f[1][0] == '1', "row %zu: path [%s] gave %d", i + 2, f[0], got);
	}
	free_tsv(rows, n);
}

Test(parser_dockerignore, readall)
{
	size_t len;
	cleanup_free char *in = slurp(FIX "readall/input.dockerignore", &len);
	cleanup_free char *want = slurp(FIX "readall/expected.txt", NULL);
	char **got = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_dockerignore_read(&got, in, len, &err), 0);
	struct bld_buf b = BLD_BUF_INIT;
	for (char **g = got; *g; g++)
		bld_buf_printf(&b, "%s\n", *g);
	cr_expect_str_eq(bld_buf_str(&b), want);
	bld_buf_dispose(&b);
	bld_strv_free(got);
	/* and the lone "!" it yields is rejected when compiled */
	struct bld_parser_dockerignore *m = NULL;
	cr_assert_lt(bld_parser_dockerignore_parse(&m, in, len, &err), 0);
	cr_expect(strstr(err->msg, "illegal exclusion pattern"), "%s", err->msg);
	bld_error_free(err);
}

/* ------------------------------------------------------------------ our own cases */

static struct bld_parser_dockerignore *compile_text(const char *text)
{
	struct bld_parser_dockerignore *m = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_dockerignore_parse(&m, text, strlen(text), &err), 0, "%s",
		     err ? err->msg : "");
	return m;
}

static bool excluded(struct bld_parser_dockerignore *m, const char *path)
{
	bool ex = true;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_dockerignore_match(m, path, &ex, &err), 0, "%s",
		     err ? err->msg : "");
	return ex;
}

Test(parser_dockerignore, skip_dir_only_when_no_exception_reaches_inside)
{
	struct bld_parser_dockerignore *m = compile_text("node_modules\nbuild\n!build/keep.txt\n");
	cr_assert(excluded(m, "node_modules"));
	cr_assert(excluded(m, "node_modules/x/y.js"));
	cr_assert(bld_parser_dockerignore_can_skip_dir(m, "node_modules"));
	cr_assert(excluded(m, "build"));
	cr_assert_not(bld_parser_dockerignore_can_skip_dir(m, "build"));
	cr_assert_not(excluded(m, "build/keep.txt"));
	cr_assert(excluded(m, "build/other.txt"));
	cr_assert(bld_parser_dockerignore_has_exceptions(m));
	bld_parser_dockerignore_free(m);

	/* a wildcard in an exception (beyond a trailing "*" segment) may match anywhere */
	m = compile_text("vendor\n!**/*.go\n");
	cr_assert_not(bld_parser_dockerignore_can_skip_dir(m, "vendor"));
	cr_assert_not(excluded(m, "vendor/a/b.go"));
	cr_assert(excluded(m, "vendor/a/b.c"));
	bld_parser_dockerignore_free(m);

	/* an exception for every entry directly in src reaches into src only */
	m = compile_text("*\n!src/*\n");
	cr_assert_not(bld_parser_dockerignore_can_skip_dir(m, "src"));
	cr_assert(bld_parser_dockerignore_can_skip_dir(m, "docs"));
	cr_assert(bld_parser_dockerignore_can_skip_dir(m, "sr"));
	bld_parser_dockerignore_free(m);

	m = compile_text("");
	cr_assert_not(excluded(m, "anything"));
	cr_assert_not(bld_parser_dockerignore_has_exceptions(m));
	bld_parser_dockerignore_free(m);
}

Test(parser_dockerignore, last_matching_pattern_wins)
{
	struct bld_parser_dockerignore *m = compile_text("*.md\n!README.md\nREADME.md\n");
	cr_assert(excluded(m, "README.md"));
	bld_parser_dockerignore_free(m);
	m = compile_text("/docs/\n!docs/api/**\n");
	cr_assert(excluded(m, "docs/x"));
	cr_assert(excluded(m, "docs/api"), "docs/api/** does not match docs/api itself");
	cr_assert_not(excluded(m, "docs/api/v1.md"));
	/* paths are cleaned before matching; "." is never excluded */
	cr_assert(excluded(m, "./docs//x/../y"));
	cr_assert_not(excluded(m, "."));
	bld_parser_dockerignore_free(m);
}

Test(parser_dockerignore, read_rules)
{
	const char text[] = "\xEF\xBB\xBF# comment\r\n  #not a comment\r\n\t/a/./b/../c/ \n"
			    "!  /x\n   \n//y\n/\n#\n";
	char **got = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_dockerignore_read(&got, text, sizeof(text) - 1, &err), 0);
	const char *want[] = {"#not a comment", "a/c", "!x", "y", "/"};
	cr_assert_eq(bld_strv_len(got), BLD_ARRAY_SIZE(want));
	for (size_t i = 0; i < BLD_ARRAY_SIZE(want); i++)
		cr_expect_str_eq(got[i], want[i]);
	bld_strv_free(got);
	/* Go's line scanner gives up at 64 KiB */
	size_t n = 70000;
	cleanup_free char *big = xmalloc(n);
	memset(big, 'a', n);
	cr_assert_lt(bld_parser_dockerignore_read(&got, big, n, &err), 0);
	bld_error_free(err);
}

struct go_re_case {
	char pattern[32], path[32];
	int want; /* 1 excluded, 0 not, -1 error */
};

/* Patterns with brackets and escapes reach Go's regexp syntax; these pin what Go does. */
Test(parser_dockerignore, go_regexp_constructs)
{
	static const struct go_re_case cases[] = {
		{"a\\d", "a7", 1},          /* \d is a Perl class in Go's regexp */
		{"a\\d", "ad", 0},
		{"[[:digit:]]x", "5x", 1},   /* POSIX classes inside brackets */
		{"[[:digit:]]x", "ax", 0},
		{"[[:nope:]]", "a", -1},     /* unknown class: the regexp does not compile */
		{"a\\1", "a1", -1},          /* a backreference: compile error at match time */
		{"a\\x41", "aA", 1},         /* \x41 is 'A' */
		{"a\\Q.*\\E", "a.*", 0},     /* \Q...\E quotes the regexp text made for ".*" */
		{"a\\Q.*\\E", "a\\.[^/]*", 1},
		{"a^b", "a^b", 1},           /* ^ alone leaves the pattern an exact match... */
		{"a^b*", "a^b", 0},          /* ...but in a regexp it is an anchor */
		{"[*]", "x", 0},             /* the class swallows "[^/]*" made for the '*' */
		{"[*]", "[]", 1},
		{"[^a]", "/", 1},            /* a class may match '/' */
		{"a[^/]b", "a/b", 0},
		{"\\[a]", "[a]", 1},
		{"a\\b", "ab", 0},           /* \b: a word boundary, never between a and b */
		{"a\\Bb", "ab", 1},
		{"{a,b}", "a", 0},           /* no wildcard: an exact match, braces and all */
		{"{a,b}", "{a,b}", 1},
		/* upstream's escape bitmap loses '|', '{' and '}' (codes >= 64), so in a regexp
		 * pattern they are alternation and repetition, as docker really behaves */
		{"*.c|*.h", "x.h", 1},
		{"*.c|*.h", "x.o", 0},
		{"*|x", "a/b", 1},           /* the "$" only ends the second alternative */
		{"a{2}*", "aa", 1},
		{"a{2}*", "a", 0},
		{"a{2,}b*", "aaaab", 1},
		{"a{1001}*", "a", -1},       /* invalid repeat count */
		{"a{,2}*", "a{,2}", 1},      /* not a repetition: plain text */
		{"*a**{2}", "a", -1},        /* nested repetition operator */
		{"\xc3\xa9*", "\xc3\xa9t\xc3\xa9", 1},
		/* invalid UTF-8 reads as U+FFFD on both sides, as in Go */
		{"*\xef\xbf\xbd", "x\xff", 1},
		{"*\xff", "x\xef\xbf\xbd", 1},
		{"*\xff", "x\xfe", 1},
		{"*.log", "a.lo", 0},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		char *pats[] = {(char *)cases[i].pattern, NULL};
		int got = match_list(pats, cases[i].path);
		cr_expect_eq(got, cases[i].want, "[%s] vs [%s]: %d", cases[i].pattern, cases[i].path,
			     got);
	}
}

/* Fuzz regression: emitting a '*' loop's jump could write through a moved program buffer. */
Test(parser_dockerignore, long_star_patterns_compile)
{
	struct bld_buf pat = BLD_BUF_INIT, path = BLD_BUF_INIT;
	for (int i = 0; i < 300; i++) {
		bld_buf_adds(&pat, "x*");
		bld_buf_adds(&path, "xy");
		char *pats[] = {pat.data, NULL};
		cr_assert_eq(match_list(pats, path.data), 1, "%d stars", i + 1);
	}
	bld_buf_dispose(&pat);
	bld_buf_dispose(&path);
}
