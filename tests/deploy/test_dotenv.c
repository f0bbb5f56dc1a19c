/*
 * tests/deploy/test_dotenv.c — .env files parse as compose-go's dotenv parses them: every case
 * of tests/fixtures/compose/dotenv-expected.json (written from compose-go's dotenv tests,
 * each naming its Go test) over the fixture files copied from compose-go.
 */
#include "tests/deploy/fixtures.h"

static const char *lookup(const char *name, void *payload)
{
	return payload ? bld_json_get_str(payload, name) : NULL;
}

/* dotenv.Read drops keys that start with a digit. */
static void drop_digit_keys(json_t *vars)
{
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(vars, tmp, k, v) {
		if (*k >= '0' && *k <= '9')
			json_object_del(vars, k);
	}
}

static void check(const json_t *c, const json_t *got, const char *errmsg)
{
	const char *test = bld_json_get_str(c, "test"), *want_err = bld_json_get_str(c, "error");
	if (want_err) {
		cr_expect(errmsg && strstr(errmsg, want_err), "%s: want error \"%s\", got \"%s\"",
			  test, want_err, errmsg ? errmsg : "(none)");
		return;
	}
	if (errmsg) {
		cr_expect_fail("%s: error %s", test, errmsg);
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(c, "want"), k, v) {
		const char *g = bld_json_get_str(got, k);
		cr_expect(g && strcmp(g, json_string_value(v)) == 0, "%s: %s: want \"%s\", got \"%s\"",
			  test, k, json_string_value(v), g ? g : "(unset)");
	}
	if (json_is_true(json_object_get(c, "exact")))
		cr_expect_eq(json_object_size(got), json_object_size(json_object_get(c, "want")),
			     "%s: %zu variables", test, json_object_size(got));
}

static void run_case(const json_t *c)
{
	char *text = NULL;
	size_t len = 0;
	struct bld_error *err = NULL;
	const char *file = bld_json_get_str(c, "file");
	if (file) {
		char *path = xasprintf(FIX "dotenv/%s", file);
		cr_assert_eq(bld_fs_read_file(path, 1 << 20, &text, &len, &err), 0, "%s", path);
		free(path);
	} else {
		text = xstrdup(bld_json_get_str(c, "input"));
	}
	json_t *vars = json_object();
	int r = bld_deploy_dotenv_parse(text, vars, lookup, json_object_get(c, "lookup"), &err);
	if (r == 0 && json_is_true(json_object_get(c, "read")))
		drop_digit_keys(vars);
	check(c, vars, r < 0 ? err->msg : NULL);
	json_decref(vars);
	bld_error_free(err);
	free(text);
}

Test(deploy_dotenv, compose_go_cases)
{
	json_t *cases = fix_table("dotenv-expected.json", NULL, 100);
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
		run_case(c);
	json_decref(cases);
}

/* The line an error names counts the lines of multi-line values before it. */
Test(deploy_dotenv, error_line)
{
	json_t *vars = json_object();
	struct bld_error *err = NULL;
	int r = bld_deploy_dotenv_parse("A='x\ny'\n\n# c\nB=1\nC D=2\n", vars, NULL, NULL, &err);
	cr_assert_lt(r, 0);
	cr_assert_str_eq(err->msg, "line 6: key cannot contain a space");
	bld_error_free(err);
	json_decref(vars);
}

/* Keys with characters of three bytes: the parser steps over them a byte at a time, so
 * that it neither passes the '=' after one nor the end of the text after one (found by
 * tests/fuzz/fuzz_compose.c as a read past the end; in memory after this text: "=leak"). */
Test(deploy_dotenv, keys_of_multibyte_characters)
{
	static const char text[] = "K\xe2\x82\xac=1\nL\xe2\x82\xac\0=leak\n";
	json_t *vars = json_object();
	struct bld_error *err = NULL;
	bld_deploy_dotenv_parse(text, vars, NULL, NULL, &err);
	cr_expect_str_eq(bld_json_get_str(vars, "K\xe2\x82\xac") ?: "(absent)", "1");
	cr_expect_null(json_object_get(vars, "L\xe2\x82\xac"));
	bld_error_free(err);
	json_decref(vars);
}
