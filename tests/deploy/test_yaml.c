/*
 * tests/deploy/test_yaml.c — compose YAML into jansson: scalars typed as go-yaml types them,
 * anchors and aliases, merge keys, !reset and !override paths, the line of every node, and
 * refusals (syntax errors, duplicate keys, non-string keys, an alias bomb) with FILE:LINE.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "deploy/deploy_int.h"
#include "tests/deploy/fixtures.h"

/* The first document of text as canonical JSON, or "ERR: message". */
static char *parse1(const char *text)
{
	struct bld_deploy_srcmap map;
	bld_deploy_srcmap_init(&map);
	struct bld_deploy_doc *docs = NULL;
	size_t n = 0;
	struct bld_error *err = NULL;
	char *out;
	if (bld_deploy_yaml_parse(text, strlen(text), "c.yaml", &map, &docs, &n, &err) < 0)
		out = xasprintf("ERR: %s", err->msg);
	else
		out = n ? bld_json_dump_canonical(docs[0].root) : xstrdup("(none)");
	bld_error_free(err);
	bld_deploy_docs_free(docs, n);
	bld_deploy_srcmap_dispose(&map);
	return out;
}

/* A document parsed with its source map (asserted to parse). */
struct parsed {
	struct bld_deploy_srcmap map;
	struct bld_deploy_doc *docs;
	size_t n;
};

static void parse_ok(struct parsed *p, const char *text)
{
	struct bld_error *err = NULL;
	bld_deploy_srcmap_init(&p->map);
	cr_assert_eq(bld_deploy_yaml_parse(text, strlen(text), "c.yaml", &p->map, &p->docs, &p->n,
					   &err),
		     0);
}

static void parsed_dispose(struct parsed *p)
{
	bld_deploy_docs_free(p->docs, p->n);
	bld_deploy_srcmap_dispose(&p->map);
}

struct yaml_case {
	const char *yaml, *json;
};

static const struct yaml_case values_cases[] = {
	/* parsed */
		/* scalars: go-yaml's core schema; quoted stays a string */
	{"a: 1\nb: '1'\nc: \"1\"\nd: 1.5\ne: 0x1F\nf: 0o17\ng: 017\nh: 0b101\ni: 1_000\n",
	 "{\"a\":1,\"b\":\"1\",\"c\":\"1\",\"d\":1.5,\"e\":31,\"f\":15,\"g\":15,\"h\":5,\"i\":1000}"},
	{"a: true\nb: False\nc: yes\nd: off\ne: ~\nf:\ng: null\nh: 'true'\n",
	 "{\"a\":true,\"b\":false,\"c\":\"yes\",\"d\":\"off\",\"e\":null,\"f\":null,"
	 "\"g\":null,\"h\":\"true\"}"},
	{"a: 80:80\nb: .5\nc: -1e3\nd: .inf\ne: 08\nf: 2001-12-14\ng: !!str 12\nh: 1.2.3\n",
	 "{\"a\":\"80:80\",\"b\":0.5,\"c\":-1000.0,\"d\":\".inf\",\"e\":8.0,"
	 "\"f\":\"2001-12-14\",\"g\":\"12\",\"h\":\"1.2.3\"}"},
	{"a: |\n  x\n  y\nb: >\n  x\n  y\nc: [1, '2', {d: e}]\n",
	 "{\"a\":\"x\\ny\\n\",\"b\":\"x y\\n\",\"c\":[1,\"2\",{\"d\":\"e\"}]}"},
		/* anchors, aliases, merge keys: explicit keys win, then earlier sources */
	{"x: &a {p: 1, q: 2}\ny: *a\nz:\n  <<: *a\n  q: 3\n",
	 "{\"x\":{\"p\":1,\"q\":2},\"y\":{\"p\":1,\"q\":2},\"z\":{\"p\":1,\"q\":3}}"},
	{"a: &a {k: 1, m: 1}\nb: &b {k: 2, n: 2}\nc:\n  <<: [*a, *b]\n",
	 "{\"a\":{\"k\":1,\"m\":1},\"b\":{\"k\":2,\"n\":2},\"c\":{\"k\":1,\"m\":1,\"n\":2}}"},
	{"c:\n  q: 0\n  <<: {q: 1, r: 1}\n", "{\"c\":{\"q\":0,\"r\":1}}"},
	{"'<<': 1\n", "{\"<<\":1}"},
	{"s: &s hello\nt: *s\n", "{\"s\":\"hello\",\"t\":\"hello\"}"},
		/* !reset drops the node; !override keeps it */
	{"a: !reset [1]\nb: !override [2]\nc: [!reset 1, 2]\n", "{\"b\":[2],\"c\":[2]}"},
	{"", "(none)"},
	{"---\na: 1\n---\nb: 2\n", "{\"a\":1}"},
	/* refused, with the file and line */
	{"a: 1\n  b: 2\n", "ERR: c.yaml:2: mapping values are not allowed in this context"},
	{"a: 1\nb: 2\na: 3\n", "ERR: c.yaml:3: mapping key \"a\" already defined at line 1"},
	{"services:\n  80: x\n", "ERR: c.yaml:2: non-string key in services: 80"},
	{"123:\n  a: 1\n", "ERR: c.yaml:1: non-string key at top level: 123"},
	{"n:\n  d:\n    c:\n      - 123: x\n", "ERR: c.yaml:4: non-string key in n.d.c[0]: 123"},
	{"a: *nope\n", "ERR: c.yaml:1: unknown anchor 'nope' referenced"},
	{"a: <<\nb:\n  <<: 1\n",
	 "ERR: c.yaml:3: map merge requires map or sequence of maps as the value"},
	{"a: [\n", "ERR: c.yaml:2: did not find expected node content"},
};

ParameterizedTestParameters(deploy_yaml, values)
{
	return fix_indexes(BLD_ARRAY_SIZE(values_cases));
}

ParameterizedTest(size_t *i, deploy_yaml, values)
{
	const struct yaml_case *c = &values_cases[*i];
	char *got = parse1(c->yaml);
	cr_assert_str_eq(got, c->json, "yaml:\n%s", c->yaml);
	free(got);
}

/* The billion laughs: nine aliases per level, refused before it is expanded. */
Test(deploy_yaml, alias_bomb)
{
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_adds(&b, "a: &a [x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'j'; c++)
		bld_buf_printf(&b, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c,
			       c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	char *got = parse1(bld_buf_str(&b));
	cr_assert_str_eq(got, "ERR: c.yaml:6: document contains excessive aliasing");
	free(got);
	bld_buf_dispose(&b);
}

Test(deploy_yaml, lines)
{
	const char *text = "services:\n  web:\n    image: x\n    ports:\n      - 80\n"
			   "      - target: 81\n  db: &db\n    image: y\n";
	struct parsed p;
	parse_ok(&p, text);
	static const struct {
		const char *path;
		int line;
	} want[] = {{"/services", 1}, {"/services/web", 2}, {"/services/web/image", 3},
		    {"/services/web/ports/0", 5}, {"/services/web/ports/1/target", 6},
		    {"/services/web/ports/1/nope", 6}, {"/services/db/image", 8}, {"/x", 1}};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(want); i++) {
		const char *file = NULL;
		int line = 0;
		cr_assert(bld_deploy_srcmap_find(&p.map, want[i].path, &file, &line), "%s",
			  want[i].path);
		cr_assert_str_eq(file, "c.yaml");
		cr_assert_eq(line, want[i].line, "%s: %d", want[i].path, line);
	}
	parsed_dispose(&p);
}

/* compose-go's ResetProcessor: tags under an alias are replayed at the alias's path, and
 * a merge key's tags land on the mapping that merges (loader/reset_test.go). */
Test(deploy_yaml, tag_paths)
{
	const char *text = "x: &x\n  ports: !reset []\n  env: !override {a: 1}\n"
			   "services:\n  web:\n    <<: *x\n  db: *x\n  a/b: !reset null\n";
	struct parsed p;
	parse_ok(&p, text);
	char *r = bld_json_dump_canonical(p.docs[0].resets);
	char *o = bld_json_dump_canonical(p.docs[0].overrides);
	cr_assert_str_eq(r, "[\"/x/ports\",\"/services/web/ports\",\"/services/db/ports\","
			    "\"/services/a~1b\"]");
	cr_assert_str_eq(o, "[\"/x/env\",\"/services/web/env\",\"/services/db/env\"]");
	free(r);
	free(o);
	parsed_dispose(&p);
}
