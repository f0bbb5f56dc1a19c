/*
 * tests/deploy/test_runtime.c — the runtime's planning on hand-written projects in the
 * normalised shape: the config hash (compose's ServiceHash: what it leaves out, what
 * changes it), the order services come up in, and one replica's container config (names,
 * compose's labels, volumes and networks by their store names, aliases, ports, restart), and
 * the levels services start and stop by.
 */
#include <criterion/criterion.h>

#include "deploy/deploy_int.h"

static json_t *parse(const char *text)
{
	json_t *v = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_json_load_buf(&v, text, strlen(text), &err), 0, "%s", text);
	return v;
}

static void hash_of(const char *text, char out[65])
{
	json_t *s = parse(text);
	bld_deploy_service_hash(s, out);
	json_decref(s);
}

Test(deploy_runtime, hash_ignores_what_compose_ignores)
{
	char a[65], b[65], c[65], d[65];
	hash_of("{\"image\": \"x\", \"environment\": {\"A\": \"1\"}, \"deploy\": {}}", a);
	hash_of("{\"environment\": {\"A\": \"1\"}, \"image\": \"x\", \"scale\": 3, \"profiles\": "
		"[\"p\"], \"depends_on\": {\"db\": {}}, \"build\": {\"context\": \"/c\"}, "
		"\"pull_policy\": \"always\", \"deploy\": {\"replicas\": 3}}",
		b);
	hash_of("{\"image\": \"x\", \"environment\": {\"A\": \"2\"}, \"deploy\": {}}", c);
	hash_of("{\"image\": \"x\", \"environment\": {\"A\": \"1\"}, \"deploy\": {}, \"init\": true}",
		d);
	cr_assert_eq(strlen(a), 64);
	cr_assert_str_eq(a, b, "key order, build, scale, replicas, depends_on, profiles");
	cr_assert_str_neq(a, c, "an environment change");
	cr_assert_str_neq(a, d, "a new attribute");
}

static const char *project_text =
	"{\"name\": \"demo\", \"services\": {"
	"\"web\": {\"image\": \"busybox\", \"depends_on\": {\"db\": {\"condition\": "
	"\"service_healthy\", \"required\": true}, \"migrate\": {\"condition\": "
	"\"service_completed_successfully\", \"restart\": true}}, \"ports\": [{\"mode\": "
	"\"ingress\", \"target\": 80, \"published\": \"8080\", \"host_ip\": \"127.0.0.1\", "
	"\"protocol\": \"tcp\"}], \"networks\": {\"front\": {\"aliases\": [\"www\"]}, "
	"\"default\": null}, \"deploy\": {\"restart_policy\": {\"condition\": \"any\"}}},"
	"\"migrate\": {\"image\": \"busybox\", \"depends_on\": {\"db\": {\"condition\": "
	"\"service_healthy\"}}, \"volumes\": [{\"type\": \"volume\", \"source\": \"data\", "
	"\"target\": \"/data\"}]},"
	"\"db\": {\"image\": \"busybox\", \"volumes\": [{\"type\": \"volume\", \"source\": "
	"\"data\", \"target\": \"/data\", \"read_only\": true}]}},"
	"\"networks\": {\"default\": {\"name\": \"demo_default\"}, \"front\": {\"name\": "
	"\"demo_front\"}}, \"volumes\": {\"data\": {\"name\": \"demo_data\"}}}";

static char *order(const struct bld_deploy_target *t, bool deps)
{
	char **v = NULL;
	struct bld_error *err = NULL;
	if (bld_deploy_services(t, deps, &v, &err) < 0) {
		char *m = xasprintf("ERR: %s", err->msg);
		bld_error_free(err);
		return m;
	}
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = 0; v[i]; i++)
		bld_buf_printf(&b, "%s%s", i ? " " : "", v[i]);
	bld_strv_free(v);
	return bld_buf_detach(&b);
}

Test(deploy_runtime, services_in_dependency_order)
{
	json_t *p = parse(project_text);
	struct bld_deploy_target t = {.project = p, .name = "demo"};
	char *all = order(&t, true);
	cr_assert_str_eq(all, "db migrate web");
	char *web[] = {"web", NULL};
	t.services = web;
	char *with = order(&t, true), *without = order(&t, false);
	cr_assert_str_eq(with, "db migrate web");
	cr_assert_str_eq(without, "web");
	char *bad[] = {"nope", NULL};
	t.services = bad;
	char *e = order(&t, true);
	cr_assert_str_eq(e, "ERR: no such service: nope");
	free(all);
	free(with);
	free(without);
	free(e);
	json_decref(p);
}

Test(deploy_runtime, levels_start_and_stop_together)
{
	json_t *p = parse(project_text);
	const json_t *all = json_object_get(p, "services");
	cr_assert_eq(bld_deploy_level(all, "db", true), 0);
	cr_assert_eq(bld_deploy_level(all, "migrate", true), 1);
	cr_assert_eq(bld_deploy_level(all, "web", true), 2, "through migrate, not only db");
	cr_assert_eq(bld_deploy_level(all, "web", false), 0);
	cr_assert_eq(bld_deploy_level(all, "migrate", false), 1);
	cr_assert_eq(bld_deploy_level(all, "db", false), 2, "after web and migrate");
	json_decref(p);
}

static bool has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

Test(deploy_runtime, replica_config)
{
	json_t *p = parse(project_text);
	struct bld_deploy_target t = {.project = p, .name = "demo", .working_dir = "/w",
				      .config_files = "/w/compose.yaml"};
	const json_t *svcs = json_object_get(p, "services");
	struct bld_deploy_replica r = {.t = &t, .svc = "web",
				       .service = json_object_get(svcs, "web"), .number = 2,
				       .name = "demo-web-2", .image_ref = "busybox",
				       .image_id = "sha256:ab", .hash = "h"};
	struct bld_runner_container_config c;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_deploy_replica_config(&r, &c, &err), 0);
	cr_assert_str_eq(c.name, "demo-web-2");
	static const char *const want[] = {
		"com.docker.compose.project=demo", "com.docker.compose.service=web",
		"com.docker.compose.container-number=2", "com.docker.compose.oneoff=False",
		"com.docker.compose.config-hash=h", "com.docker.compose.project.working_dir=/w",
		"com.docker.compose.project.config_files=/w/compose.yaml",
		"com.docker.compose.depends_on=db:service_healthy:false,"
		"migrate:service_completed_successfully:true",
		"com.docker.compose.image=sha256:ab"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(want); i++)
		cr_assert(has(c.labels, want[i]), "%s", want[i]);
	cr_assert_str_eq(c.network, "demo_default", "equal priorities: by name");
	char *ep = bld_json_dump_canonical(c.endpoints);
	cr_assert_str_eq(ep, "{\"demo_default\":{\"Aliases\":[\"demo-web-2\",\"web\"],"
			     "\"IPAMConfig\":{}},\"demo_front\":{\"Aliases\":[\"demo-web-2\","
			     "\"web\",\"www\"],\"IPAMConfig\":{}}}");
	free(ep);
	cr_assert_eq(c.n_ports, 1);
	cr_assert_eq(c.ports[0].host_port, 8080);
	cr_assert_eq(c.ports[0].ctr_port, 80);
	cr_assert_str_eq(c.ports[0].host_ip, "127.0.0.1");
	cr_assert_str_eq(c.restart, "always");
	bld_runner_container_config_dispose(&c);

	r.svc = "db";
	r.service = json_object_get(svcs, "db");
	cr_assert_eq(bld_deploy_replica_config(&r, &c, &err), 0);
	cr_assert(has(c.binds, "demo_data:/data:ro"));
	bld_runner_container_config_dispose(&c);
	json_decref(p);
}
