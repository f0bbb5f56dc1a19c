/*
 * tests/deploy/test_project.c — which files make a project and what it is called: discovery
 * in the working directory and its parents (compose v2's order of names, the .override
 * file), -f and COMPOSE_FILE, the project directory, and the project name's precedence and
 * normalisation (compose-go cli/options.go, loader.NormalizeProjectName).
 */
#include <sys/stat.h>

#include "tests/deploy/fixtures.h"

static char *tmp;

static void setup(void)
{
	struct bld_error *err = NULL;
	tmp = bld_fs_mkdtemp("bld-deploy-test", &err);
	cr_assert_not_null(tmp);
}

static void teardown(void)
{
	struct bld_error *err = NULL;
	bld_fs_rm_rf(tmp, &err);
	bld_error_free(err);
	free(tmp);
}

static void put(const char *rel, const char *text)
{
	fix_write(tmp, rel, text);
}

/* Loads with o (workdir relative to tmp) and returns the canonical JSON or "ERR: msg". */
static char *load(struct bld_deploy_options *o, const char *workdir)
{
	char *wd = xasprintf("%s/%s", tmp, workdir);
	o->workdir = wd;
	json_t *p = NULL;
	struct bld_error *err = NULL;
	char *out;
	if (bld_deploy_project_load(NULL, o, &p, &err) < 0)
		out = xasprintf("ERR: %s", err->msg);
	else
		out = bld_json_dump_canonical(p);
	json_decref(p);
	bld_error_free(err);
	free(wd);
	return out;
}

static char *env0[] = {"PATH=/bin", NULL};

Test(deploy_project, discovery_in_parent_with_override, .init = setup, .fini = teardown)
{
	put("My_App/docker-compose.yml", "services:\n  a:\n    image: one\n");
	put("My_App/compose.yaml", "services:\n  b:\n    image: two\n");
	put("My_App/compose.override.yml", "services:\n  b:\n    image: three\n");
	put("My_App/sub/dir/x", "");
	struct bld_deploy_options o = {.environ = env0};
	char *got = load(&o, "My_App/sub/dir");
	cr_assert_str_eq(got, "{\"name\":\"my_app\",\"networks\":{\"default\":{\"name\":"
			      "\"my_app_default\"}},\"services\":{\"b\":{\"image\":\"three\",\"networks\":"
			      "{\"default\":null}}}}");
	free(got);
}

Test(deploy_project, not_found, .init = setup, .fini = teardown)
{
	put("empty/x", "");
	struct bld_deploy_options o = {.environ = env0};
	char *got = load(&o, "empty");
	cr_assert_str_eq(got, "ERR: no configuration file provided: not found");
	free(got);
}

Test(deploy_project, name_precedence, .init = setup, .fini = teardown)
{
	put("d/a.yaml", "name: From-File!\nservices: {}\n");
	put("d/b.yaml", "services: {}\n");
	char *files_a[] = {"a.yaml", NULL}, *files_b[] = {"b.yaml", NULL};
	char *env_name[] = {"COMPOSE_PROJECT_NAME=fromenv", NULL};
	char *env_bad[] = {"COMPOSE_PROJECT_NAME=Bad", NULL};
	struct bld_deploy_options o = {.files = files_a, .environ = env0};
	char *got = load(&o, "d");
	cr_assert_str_eq(got, "{\"name\":\"from-file\",\"services\":{}}");
	free(got);
	o.environ = env_name;
	got = load(&o, "d");
	cr_assert_str_eq(got, "{\"name\":\"fromenv\",\"services\":{}}");
	free(got);
	o.project_name = "cli";
	got = load(&o, "d");
	cr_assert_str_eq(got, "{\"name\":\"cli\",\"services\":{}}");
	free(got);
	o.project_name = NULL;
	o.environ = env_bad;
	got = load(&o, "d");
	cr_assert_str_eq(got, "ERR: invalid project name \"Bad\": must consist only of lowercase "
			      "alphanumeric characters, hyphens, and underscores as well as start "
			      "with a letter or number");
	free(got);
	o.files = files_b;
	o.environ = env0;
	got = load(&o, "d");
	cr_assert_str_eq(got, "{\"name\":\"d\",\"services\":{}}");
	free(got);
}

Test(deploy_project, compose_file_variable, .init = setup, .fini = teardown)
{
	put("p/one.yaml", "services:\n  a:\n    image: one\n");
	put("p/two.yaml", "services:\n  a:\n    image: two\n");
	char *env[] = {"COMPOSE_FILE=one.yaml;two.yaml", "COMPOSE_PATH_SEPARATOR=;", NULL};
	struct bld_deploy_options o = {.environ = env};
	char *got = load(&o, "p");
	cr_assert_str_eq(got, "{\"name\":\"p\",\"networks\":{\"default\":{\"name\":\"p_default\"}},"
			      "\"services\":{\"a\":{\"image\":\"two\",\"networks\":{\"default\":null}}}}");
	free(got);
}

Test(deploy_project, name_normalize)
{
	static const char *const cases[][2] = {
		{"MyApp", "myapp"}, {"_-my.app-1", "myapp-1"}, {"a b/c", "abc"}, {"--", ""},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		char *got = bld_deploy_name_normalize(cases[i][0]);
		cr_assert_str_eq(got, cases[i][1], "%s", cases[i][0]);
		free(got);
	}
}

/* compose-go's order of preference: docker-compose.yml before docker-compose.yaml, and
 * compose.override.yml before compose.override.yaml (cli/options.go DefaultFileNames). */
Test(deploy_project, discovery_order, .init = setup, .fini = teardown)
{
	put("o/docker-compose.yaml", "services:\n  a:\n    image: yaml\n");
	put("o/docker-compose.yml", "services:\n  a:\n    image: yml\n");
	put("o/docker-compose.override.yaml", "services:\n  a:\n    labels: [o=yaml]\n");
	put("o/docker-compose.override.yml", "services:\n  a:\n    labels: [o=yml]\n");
	struct bld_deploy_options o = {.environ = env0};
	char *got = load(&o, "o");
	cr_assert_str_eq(got, "{\"name\":\"o\",\"networks\":{\"default\":{\"name\":\"o_default\"}},"
			      "\"services\":{\"a\":{\"image\":\"yml\",\"labels\":{\"o\":\"yml\"},"
			      "\"networks\":{\"default\":null}}}}");
	free(got);
}
