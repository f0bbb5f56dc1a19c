/*
 * tests/deploy/test_template.c — variable substitution as compose-go's template package does
 * it: every case of tests/fixtures/compose/template-expected.json (from compose-go's
 * template_test.go, each naming its Go test).
 */
#include "tests/deploy/fixtures.h"

static const char *lookup(const char *name, void *payload)
{
	return bld_json_get_str(payload, name);
}

static void run_case(const json_t *mapping, const json_t *c)
{
	const char *test = bld_json_get_str(c, "test"), *tmpl = bld_json_get_str(c, "template");
	const char *want = bld_json_get_str(c, "want"), *want_err = bld_json_get_str(c, "error");
	struct bld_deploy_subst s = {.lookup = lookup, .payload = (void *)mapping};
	struct bld_error *err = NULL;
	char *out = NULL;
	int r = bld_deploy_substitute(&s, tmpl, &out, &err);
	if (want)
		cr_expect(r == 0 && strcmp(out, want) == 0, "%s: %s: want \"%s\", got \"%s\"", test,
			  tmpl, want, r == 0 ? out : err->msg);
	else
		cr_expect(r < 0 && strstr(err->msg, want_err), "%s: %s: want error \"%s\", got \"%s\"",
			  test, tmpl, want_err, r == 0 ? out : err->msg);
	free(out);
	free(s.invalid);
	bld_error_free(err);
}

Test(deploy_template, compose_go_cases)
{
	json_t *doc = fix_table("template-expected.json", "cases", 60);
	json_t *cases = json_object_get(doc, "cases");
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
		run_case(json_object_get(doc, "mapping"), c);
	json_decref(doc);
}

/* The invalid template named is the innermost string it was found in. */
Test(deploy_template, invalid_names_template)
{
	struct bld_deploy_subst s = {.lookup = lookup, .payload = json_object()};
	struct bld_error *err = NULL;
	char *out = NULL;
	cr_assert_lt(bld_deploy_substitute(&s, "a ${X:-${ y}} b", &out, &err), 0);
	cr_assert_str_eq(s.invalid, "${ y}");
	free(s.invalid);
	bld_error_free(err);
	json_decref(s.payload);
}
