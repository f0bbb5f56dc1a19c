/*
 * tests/deploy/test_config.c — the compose schema validator (compose-go's words and most
 * specific error, the location of the offending node), the model checks (undefined
 * references, depends_on cycles), the value syntaxes (Go durations, byte sizes, ports,
 * volumes, command lines), the long form of a service as docker compose v2 prints it, and the
 * config hash (sha256 of the service's JSON as Go marshals it).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "deploy/deploy_int.h"
#include "tests/deploy/fixtures.h"

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	cr_assert(v, "bad test json %s: %s", text, je.text);
	return v;
}

struct schema_case {
	const char *doc, *msg, *where; /* msg NULL: valid */
};

/* Messages as compose-go's schema.Validate words santhosh-tekuri/jsonschema's errors. */
static const struct schema_case schema_cases[] = {
	{"{\"services\":{\"web\":{\"image\":\"x\"}}}", NULL, NULL},
	{"{\"services\":{\"web\":{\"image\":\"x\",\"foo\":1}}}",
	 "services.web additional properties 'foo' not allowed", "[\"services\",\"web\",\"foo\"]"},
	{"{\"services\":{\"web\":{\"image\":\"x\",\"x-foo\":1}}}", NULL, NULL},
	{"{\"services\":{\"web\":{\"image\":1}}}", "services.web.image must be a string",
	 "[\"services\",\"web\",\"image\"]"},
	{"{\"services\":{\"web\":[]}}", "services.web must be a mapping", "[\"services\",\"web\"]"},
	{"{\"services\":{\"web\":{\"environment\":{\"A\":{}}}}}",
	 "services.web.environment.A must be a boolean, null, number or string",
	 "[\"services\",\"web\",\"environment\",\"A\"]"},
	{"{\"services\":{\"web\":{\"volumes\":[{\"type\":\"tmpfs\",\"target\":\"/t\","
	 "\"tmpfs\":{\"size\":-1}}]}}}",
	 "services.web.volumes.0.tmpfs.size must be greater than or equal to 0",
	 "[\"services\",\"web\",\"volumes\",\"0\",\"tmpfs\",\"size\"]"},
	{"{\"services\":{\"web\":{\"develop\":{\"watch\":[{\"path\":\".\"}]}}}}",
	 "services.web.develop.watch.0 missing property 'action'",
	 "[\"services\",\"web\",\"develop\",\"watch\",\"0\"]"},
	{"{\"services\":{\"web\":{\"cap_add\":[\"A\",\"A\"]}}}",
	 "services.web.cap_add items at 0 and 1 are equal", "[\"services\",\"web\",\"cap_add\"]"},
	{"{\"services\":{\"web\":{\"depends_on\":{\"db\":{\"condition\":\"soon\"}}}}}",
	 "services.web.depends_on.db.condition value must be one of 'service_started', "
	 "'service_healthy', 'service_completed_successfully'",
	 "[\"services\",\"web\",\"depends_on\",\"db\",\"condition\"]"},
	{"{\"volumes\":{\"data\":[]}}", "volumes.data must be a mapping or null",
	 "[\"volumes\",\"data\"]"},
	{"{\"name\":1}", "name must be a string", "[\"name\"]"},
};

ParameterizedTestParameters(deploy_config, schema)
{
	return fix_indexes(BLD_ARRAY_SIZE(schema_cases));
}

ParameterizedTest(size_t *i, deploy_config, schema)
{
	const struct schema_case *c = &schema_cases[*i];
	cleanup_json json_t *doc = load(c->doc);
	cleanup_json json_t *where = NULL;
	cleanup_error struct bld_error *err = NULL;
	int r = bld_deploy_validate_document(doc, &where, &err);
	if (!c->msg) {
		cr_assert_eq(r, 0, "%s: %s", c->doc, err ? err->msg : "");
		return;
	}
	cr_assert_eq(r, -BLD_E_INVALID, "%s accepted", c->doc);
	cr_assert_str_eq(err->msg, c->msg);
	cleanup_free char *w = json_dumps(where, JSON_COMPACT);
	cr_assert_str_eq(w, c->where);
}

struct model_case {
	const char *doc, *msg; /* the document before normalisation; msg NULL: consistent */
};

/* compose-go's loader/validate.go and graph/cycle.go, as in loader_test.go's
 * TestLoadDependsOnCycle / TestLoadDependsOnSelf (testdata/compose-depends-on-*.yaml). */
static const struct model_case model_cases[] = {
	{"{\"services\":{\"a\":{\"image\":\"x\",\"depends_on\":[\"b\"]},\"b\":{\"image\":\"x\"}}}",
	 NULL},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"depends_on\":[\"b\"]},\"b\":{\"image\":\"x\","
	 "\"depends_on\":[\"c\"]},\"c\":{\"image\":\"x\",\"depends_on\":[\"a\"]}}}",
	 "dependency cycle detected: a -> b -> c -> a"},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"depends_on\":[\"a\"]}}}",
	 "dependency cycle detected: a -> a"},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"depends_on\":[\"c\"]}}}",
	 "service \"a\" depends on undefined service \"c\": invalid compose project"},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"depends_on\":{\"c\":{\"required\":false}}}}}",
	 NULL},
	{"{\"services\":{\"a\":{}}}",
	 "service \"a\" has neither an image nor a build context specified: invalid compose project"},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"networks\":[\"n\"]}}}",
	 "service \"a\" refers to undefined network n: invalid compose project"},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"volumes\":[\"data:/d\"]}}}",
	 "service \"a\" refers to undefined volume data: invalid compose project"},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"secrets\":[\"s\"]}}}",
	 "service \"a\" refers to undefined secret s: invalid compose project"},
	{"{\"services\":{\"a\":{\"image\":\"x\",\"network_mode\":\"service:b\"}}}",
	 "service \"a\" depends on undefined service \"b\": invalid compose project"},
};

ParameterizedTestParameters(deploy_config, model)
{
	return fix_indexes(BLD_ARRAY_SIZE(model_cases));
}

ParameterizedTest(size_t *i, deploy_config, model)
{
	const struct model_case *c = &model_cases[*i];
	cleanup_json json_t *doc = load(c->doc);
	cleanup_json json_t *where = NULL;
	cleanup_error struct bld_error *err = NULL;
	struct bld_deploy_norm_opts o = {.name = "p", .workdir = "/w"};
	cr_assert_eq(bld_deploy_normalize(&doc, &o, &err), 0, "%s", err ? err->msg : "");
	int r = bld_deploy_validate_model(doc, &where, &err);
	if (!c->msg)
		cr_assert_eq(r, 0, "%s: %s", c->doc, err ? err->msg : "");
	else
		cr_assert_str_eq(err ? err->msg : "(accepted)", c->msg);
}

Test(deploy_config, durations)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"90s", "1m30s"}, {"1h", "1h0m0s"},   {"1.5s", "1.5s"}, {"100ms", "100ms"},
		{"0", "0s"},      {"2m3s", "2m3s"},   {"1d", "24h0m0s"}, {"1500us", "1.5ms"},
		{"10ns", "10ns"}, {"1h30m", "1h30m0s"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		int64_t ns = -1;
		cr_assert_eq(bld_deploy_duration_parse(cases[i].in, &ns), 0, "%s", cases[i].in);
		char *s = bld_deploy_duration_format(ns);
		cr_assert_str_eq(s, cases[i].out, "%s", cases[i].in);
		free(s);
	}
	static const char *const bad[] = {"10", "10x", "", "s", "1m-3s"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bad); i++)
		cr_assert_lt(bld_deploy_duration_parse(bad[i], NULL), 0, "%s accepted", bad[i]);
}

Test(deploy_config, bytes)
{
	static const struct {
		const char *in;
		int64_t out;
	} cases[] = {
		{"512m", 536870912}, {"1g", 1073741824}, {"1.5k", 1536}, {"100", 100},
		{"2kb", 2048},       {"1GiB", 1073741824}, {"-1", -1},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		int64_t n = 0;
		cr_assert_eq(bld_deploy_bytes_parse(cases[i].in, &n), 0, "%s", cases[i].in);
		cr_assert_eq(n, cases[i].out, "%s: %lld", cases[i].in, (long long)n);
	}
	int64_t n;
	cr_assert_lt(bld_deploy_bytes_parse("1q", &n), 0);
	cr_assert_lt(bld_deploy_bytes_parse("m", &n), 0);
}

struct norm_case {
	const char *service, *want; /* one service "s" of project "p" in /w; want: its JSON */
};

/* Expected long forms from compose-go's loader/tests (the test named in each comment) and
 * the Go types' member order and omitempty. */
static const struct norm_case norm_cases[] = {
	/* ports_test.go TestPortsShortSyntax, TestPortsRange */
	{"{\"image\":\"a\",\"ports\":[\"80:8080\",\"90:8090/udp\",8600,\"80-81:8080-8081\"]}",
	 "{\"image\":\"a\",\"networks\":{\"default\":null},\"ports\":["
	 "{\"mode\":\"ingress\",\"target\":8080,\"published\":\"80\",\"protocol\":\"tcp\"},"
	 "{\"mode\":\"ingress\",\"target\":8090,\"published\":\"90\",\"protocol\":\"udp\"},"
	 "{\"mode\":\"ingress\",\"target\":8600,\"protocol\":\"tcp\"},"
	 "{\"mode\":\"ingress\",\"target\":8080,\"published\":\"80\",\"protocol\":\"tcp\"},"
	 "{\"mode\":\"ingress\",\"target\":8081,\"published\":\"81\",\"protocol\":\"tcp\"}]}"},
	/* ports_test.go TestPortsLongSyntax; host IP from format of docker's -p */
	{"{\"image\":\"a\",\"ports\":[{\"target\":80,\"published\":8080,\"mode\":\"host\"},"
	 "\"127.0.0.1::53/udp\"]}",
	 "{\"image\":\"a\",\"networks\":{\"default\":null},\"ports\":["
	 "{\"mode\":\"host\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"},"
	 "{\"mode\":\"ingress\",\"host_ip\":\"127.0.0.1\",\"target\":53,\"protocol\":\"udp\"}]}"},
	/* volumes_test.go, format/volume_test.go: short syntax, bind made absolute */
	{"{\"image\":\"a\",\"volumes\":[\"./data:/data:ro,z\",\"named:/v/\",\"/anon\"]}",
	 "{\"image\":\"a\",\"networks\":{\"default\":null},\"volumes\":["
	 "{\"type\":\"bind\",\"source\":\"/w/data\",\"target\":\"/data\",\"read_only\":true,"
	 "\"bind\":{\"selinux\":\"z\"}},"
	 "{\"type\":\"volume\",\"source\":\"named\",\"target\":\"/v\",\"volume\":{}},"
	 "{\"type\":\"volume\",\"target\":\"/anon\",\"volume\":{}}]}"},
	/* an IPv6 host IP in brackets; tmpfs.size is UnitBytes, marshalled as a string */
	{"{\"image\":\"a\",\"ports\":[\"[::1]:8080:80\"],\"volumes\":[{\"type\":\"tmpfs\","
	 "\"target\":\"/t/\",\"tmpfs\":{\"size\":\"64m\"}}]}",
	 "{\"image\":\"a\",\"networks\":{\"default\":null},\"ports\":[{\"mode\":\"ingress\","
	 "\"host_ip\":\"::1\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}],"
	 "\"volumes\":[{\"type\":\"tmpfs\",\"target\":\"/t\",\"tmpfs\":{\"size\":\"67108864\"}}]}"},
	/* depends_on_test.go: short syntax gets condition and required */
	{"{\"image\":\"a\",\"depends_on\":[\"db\"],\"network_mode\":\"none\"}",
	 "{\"depends_on\":{\"db\":{\"condition\":\"service_started\",\"required\":true}},"
	 "\"image\":\"a\",\"network_mode\":\"none\"}"},
	/* command_test.go, environment_test.go, labels_test.go, healthcheck_test.go */
	{"{\"image\":\"a\",\"command\":\"sh -c 'echo \\\"x y\\\"'\",\"environment\":[\"A=1\","
	 "\"B\"],\"labels\":[\"l=v\"],\"healthcheck\":{\"test\":\"true\",\"interval\":\"90s\","
	 "\"retries\":0},\"privileged\":false,\"networks\":[\"default\"]}",
	 "{\"command\":[\"sh\",\"-c\",\"echo \\\"x y\\\"\"],\"environment\":{\"A\":\"1\","
	 "\"B\":null},\"healthcheck\":{\"test\":[\"CMD-SHELL\",\"true\"],\"interval\":\"1m30s\","
	 "\"retries\":0},\"image\":\"a\",\"labels\":{\"l\":\"v\"},\"networks\":{\"default\":null}}"},
	/* types/labels.go Labels.DecodeMapstructure: a bare key or a null is "", not null
	 * (service, build and deploy labels alike) */
	{"{\"image\":\"a\",\"labels\":[\"flag\",\"k=v\"],\"build\":{\"context\":\".\","
	 "\"labels\":{\"b\":null}},\"deploy\":{\"labels\":[\"d\"]}}",
	 "{\"build\":{\"context\":\"/w\",\"dockerfile\":\"Dockerfile\",\"labels\":{\"b\":\"\"}},"
	 "\"deploy\":{\"labels\":{\"d\":\"\"}},\"image\":\"a\",\"labels\":{\"flag\":\"\","
	 "\"k\":\"v\"},\"networks\":{\"default\":null}}"},
	/* a health check with nothing but disable: false (immich's compose file) stays, empty,
	 * as compose v2 marshals its non-nil *HealthCheckConfig */
	{"{\"image\":\"a\",\"healthcheck\":{\"disable\":false}}",
	 "{\"healthcheck\":{},\"image\":\"a\",\"networks\":{\"default\":null}}"},
	/* build_test.go: string context made absolute, Dockerfile default */
	{"{\"build\":\"./app\",\"mem_limit\":\"1g\",\"stop_grace_period\":\"1m\","
	 "\"secrets\":[\"s\"],\"ulimits\":{\"nofile\":{\"hard\":2,\"soft\":1},\"nproc\":3}}",
	 "{\"build\":{\"context\":\"/w/app\",\"dockerfile\":\"Dockerfile\"},"
	 "\"mem_limit\":\"1073741824\",\"networks\":{\"default\":null},\"secrets\":[{\"source\":"
	 "\"s\",\"target\":\"/run/secrets/s\"}],\"stop_grace_period\":\"1m0s\",\"ulimits\":{"
	 "\"nofile\":{\"soft\":1,\"hard\":2},\"nproc\":3}}"},
	/* normalize.go: links and volumes_from imply depends_on; pull_policy if_not_present */
	{"{\"image\":\"a\",\"links\":[\"db:database\"],\"volumes_from\":[\"data\"],"
	 "\"pull_policy\":\"if_not_present\",\"extra_hosts\":[\"b:1.2.3.4\",\"a=5.6.7.8\"]}",
	 "{\"depends_on\":{\"data\":{\"condition\":\"service_started\",\"required\":true},"
	 "\"db\":{\"condition\":\"service_started\",\"restart\":true,\"required\":true}},"
	 "\"extra_hosts\":[\"a=5.6.7.8\",\"b=1.2.3.4\"],\"image\":\"a\",\"links\":"
	 "[\"db:database\"],\"networks\":{\"default\":null},\"pull_policy\":\"missing\","
	 "\"volumes_from\":[\"data\"]}"},
};

ParameterizedTestParameters(deploy_config, normalize)
{
	return fix_indexes(BLD_ARRAY_SIZE(norm_cases));
}

ParameterizedTest(size_t *i, deploy_config, normalize)
{
	const struct norm_case *c = &norm_cases[*i];
	cleanup_json json_t *doc = json_pack("{s:{s:o}}", "services", "s", load(c->service));
	cleanup_error struct bld_error *err = NULL;
	struct bld_deploy_norm_opts o = {.name = "p", .workdir = "/w"};
	cr_assert_eq(bld_deploy_normalize(&doc, &o, &err), 0, "%s", err ? err->msg : "");
	cleanup_free char *got = json_dumps(json_object_get(json_object_get(doc, "services"), "s"),
			       JSON_COMPACT);
	cr_assert_str_eq(got, c->want);
}

Test(deploy_config, project_level)
{
	/* u and t are used by no service: compose's WithoutUnnecessaryResources drops them */
	cleanup_json json_t *doc = load("{\"services\":{\"s\":{\"image\":\"a\",\"volumes\":[\"d:/d\","
			   "\"e:/e\",\"f:/f\",\"./u:/u\"],\"secrets\":[\"s\"]}},\"volumes\":{"
			   "\"d\":null,\"e\":{\"external\":true},\"f\":{\"name\":\"g\"},\"u\":{}},"
			   "\"secrets\":{\"s\":{\"file\":\"./s.txt\"},\"t\":{\"file\":\"t\"}}}");
	cleanup_error struct bld_error *err = NULL;
	struct bld_deploy_norm_opts o = {.name = "p", .workdir = "/w"};
	cr_assert_eq(bld_deploy_normalize(&doc, &o, &err), 0);
	json_object_del(doc, "services");
	cleanup_free char *got = json_dumps(doc, JSON_COMPACT);
	cr_assert_str_eq(got, "{\"name\":\"p\",\"networks\":{\"default\":{\"name\":\"p_default\"}},"
			      "\"volumes\":{\"d\":{\"name\":\"p_d\"},\"e\":{\"name\":\"e\",\"external\":"
			      "true},\"f\":{\"name\":\"g\"}},\"secrets\":{\"s\":{\"name\":\"p_s\","
			      "\"file\":\"/w/s.txt\"}}}");
}

/* compose v2's ServiceHash: sha256 of Go's json.Marshal of the service, written out here by
 * hand from the ServiceConfig member order ("command" and "entrypoint" are never omitted),
 * without build, depends_on, deploy.replicas, pull_policy, scale, profiles. */
Test(deploy_config, hash)
{
	const char *go_json = "{\"command\":[\"sh\",\"-c\",\"a\\u003cb\"],\"deploy\":{\"resources\":{}},"
			      "\"entrypoint\":null,\"image\":\"busybox\",\"networks\":{\"default\":null}}";
	char want[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(go_json, strlen(go_json), want);
	cleanup_json json_t *svc = load("{\"command\":[\"sh\",\"-c\",\"a<b\"],\"deploy\":{\"replicas\":2,"
			   "\"resources\":{}},\"image\":\"busybox\",\"networks\":{\"default\":null},"
			   "\"build\":{\"context\":\"/x\"},\"depends_on\":{\"db\":{}},\"scale\":2,"
			   "\"pull_policy\":\"always\",\"profiles\":[\"p\"]}");
	char got[65];
	bld_deploy_service_hash(svc, got);
	cr_assert_str_eq(got, want + 7);
}

Test(deploy_config, yaml_output)
{
	cleanup_json json_t *m = load("{\"name\":\"p\",\"services\":{\"s\":{\"command\":[\"echo\",\"$HOME\","
			 "\"80\",\"true\",\"\"],\"environment\":{\"A\":null}}}}");
	cleanup_free char *y = NULL;
	cleanup_error struct bld_error *err = NULL;
	cr_assert_eq(bld_deploy_config_yaml(&y, m, true, &err), 0);
	cr_assert_str_eq(y, "name: p\nservices:\n  s:\n    command:\n    - echo\n    - $$HOME\n"
			    "    - \"80\"\n    - \"true\"\n    - \"\"\n    environment:\n      A: null\n");
}
