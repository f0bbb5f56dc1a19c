/*
 * tests/deploy/test_merge.c — compose documents merge by compose-go's override rules: every
 * case of tests/fixtures/compose/merge-expected.json (the YAML cases of compose-go's
 * override/merge_*_test.go), each base merged with its override and, as those tests do,
 * its sequences made unique, compared with the expected YAML.
 */
#include "tests/deploy/fixtures.h"

static json_t *yaml(const char *text)
{
	struct bld_deploy_srcmap map;
	bld_deploy_srcmap_init(&map);
	struct bld_deploy_doc *docs = NULL;
	size_t n = 0;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_deploy_yaml_parse(text, strlen(text), "t.yaml", &map, &docs, &n, &err), 0,
		     "%s", text);
	json_t *root = json_incref(docs[0].root);
	bld_deploy_docs_free(docs, n);
	bld_deploy_srcmap_dispose(&map);
	return root;
}

static void run_case(const json_t *c)
{
	const char *test = bld_json_get_str(c, "test");
	json_t *base = yaml(bld_json_get_str(c, "base")), *over = yaml(bld_json_get_str(c, "override"));
	json_t *want = yaml(bld_json_get_str(c, "want"));
	struct bld_error *err = NULL;
	int r = bld_deploy_merge(base, over, "", &err);
	if (r == 0 && !json_is_true(json_object_get(c, "no_unicity")))
		r = bld_deploy_unicity(base, &err);
	char *got = r == 0 ? json_dumps(base, JSON_SORT_KEYS) : xstrdup(err->msg);
	char *w = json_dumps(want, JSON_SORT_KEYS);
	cr_expect(r == 0 && json_equal(base, want), "%s:\nwant %s\ngot  %s", test, w, got);
	free(got);
	free(w);
	bld_error_free(err);
	json_decref(base);
	json_decref(over);
	json_decref(want);
}

Test(deploy_merge, compose_go_cases)
{
	json_t *cases = fix_table("merge-expected.json", NULL, 50);
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
		run_case(c);
	json_decref(cases);
}
