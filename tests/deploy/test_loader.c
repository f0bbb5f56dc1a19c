/*
 * tests/deploy/test_loader.c — compose files load as compose-go's loader tests expect: every
 * case of tests/fixtures/compose/loader-expected.json (each naming its Go test) is laid out
 * in a fresh directory (its files, and compose-go's testdata as "testdata" when it uses
 * it), loaded, and its model (before validation and normalisation, unless the case asks
 * for the full load) checked member by member; "@" in an expected string is that directory.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/deploy/fixtures.h"

/* The member of v at a JSON Pointer, or NULL. */
static json_t *at(json_t *v, const char *pointer)
{
	char **parts = bld_strv_split(pointer, "/");
	for (size_t i = 0; v && parts && parts[i]; i++)
		v = json_is_array(v) ? json_array_get(v, strtoul(parts[i], NULL, 10))
				     : json_object_get(v, parts[i]);
	bld_strv_free(parts);
	return v;
}

/* want with every "@" in its strings replaced by dir. */
static json_t *expand(const json_t *want, const char *dir)
{
	if (json_is_string(want)) {
		struct bld_buf b = BLD_BUF_INIT;
		for (const char *s = json_string_value(want); *s; s++)
			*s == '@' ? bld_buf_adds(&b, dir) : bld_buf_addc(&b, *s);
		json_t *r = json_string(bld_buf_str(&b));
		bld_buf_dispose(&b);
		return r;
	}
	json_t *r = json_is_array(want) ? json_array() : json_is_object(want) ? json_object() : NULL;
	if (!r)
		return json_deep_copy(want);
	size_t i;
	const char *k;
	json_t *v;
	json_array_foreach(want, i, v) json_array_append_new(r, expand(v, dir));
	json_object_foreach((json_t *)want, k, v) json_object_set_new(r, k, expand(v, dir));
	return r;
}

static char **strv_of(const json_t *a)
{
	return a ? bld_json_to_strv(a) : NULL;
}

/* The case's environment: its "env" members as K=V. */
static char **env_of(const json_t *c)
{
	char **env = NULL;
	bld_strv_push(&env, "PATH=/usr/bin:/bin");
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(c, "env"), k, v) {
		char *kv = xasprintf("%s=%s", k, json_string_value(v));
		bld_strv_push(&env, kv);
		free(kv);
	}
	return env;
}

static void check_model(const json_t *c, json_t *model, const char *dir)
{
	const char *test = bld_json_get_str(c, "test"), *k;
	json_t *v;
	json_object_foreach(json_object_get(c, "want"), k, v) {
		json_t *want = expand(v, dir), *got = at(model, k);
		char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS) : xstrdup("(absent)");
		cr_expect(got && json_equal(got, want), "%s: %s: want %s, got %s", test, k, w, g);
		free(w);
		free(g);
		json_decref(want);
	}
	size_t i;
	json_array_foreach(json_object_get(c, "absent"), i, v)
		cr_expect_null(at(model, json_string_value(v)), "%s: %s is there", test,
			       json_string_value(v));
}

/* The load's outcome against the case: its error, or its model. */
static void check_result(const json_t *c, int r, json_t *model, const struct bld_error *err,
			 const char *dir)
{
	json_t *want_err = json_object_get(c, "error");
	if (!want_err && r == 0) {
		check_model(c, model, dir);
		return;
	}
	json_t *we = want_err ? expand(want_err, dir) : NULL;
	if (we)
		cr_expect(r < 0 && strstr(err->msg, json_string_value(we)),
			  "%s: want error \"%s\", got %s", bld_json_get_str(c, "test"),
			  json_string_value(we), r < 0 ? err->msg : "none");
	else
		cr_expect_fail("%s: %s", bld_json_get_str(c, "test"), err->msg);
	json_decref(we);
}

static void lay_out(const json_t *c, const char *dir)
{
	const char *td = bld_json_get_str(c, "testdata"), *k;
	if (td) {
		char *cwd = getcwd(NULL, 0);
		char *src = xasprintf("%s/" FIX "%s/testdata", cwd, td);
		char *dst = xasprintf("%s/testdata", dir);
		cr_assert_eq(symlink(src, dst), 0, "%s", dst);
		free(cwd);
		free(src);
		free(dst);
	}
	json_t *v;
	json_object_foreach(json_object_get(c, "files"), k, v)
		fix_write(dir, k, json_string_value(v));
}

/* The case's "stdin" as standard input; returns the saved descriptor (or -1). */
static int feed_stdin(const json_t *c, const char *dir)
{
	const char *text = bld_json_get_str(c, "stdin");
	if (!text)
		return -1;
	fix_write(dir, ".stdin", text);
	char *p = xasprintf("%s/.stdin", dir);
	int fd = open(p, O_RDONLY), saved = dup(0);
	cr_assert(fd >= 0 && saved >= 0);
	dup2(fd, 0);
	close(fd);
	free(p);
	return saved;
}

static void run_case(const json_t *c)
{
	struct bld_error *err = NULL;
	char *dir = bld_fs_mkdtemp("bld-loader-test", &err);
	cr_assert_not_null(dir);
	lay_out(c, dir);
	int saved_stdin = feed_stdin(c, dir);
	char *cwd = bld_json_get_str(c, "cwd") ? xasprintf("%s/%s", dir, bld_json_get_str(c, "cwd"))
					       : xstrdup(dir);
	char **files = strv_of(json_object_get(c, "f")), **env = env_of(c);
	char **profiles = strv_of(json_object_get(c, "profiles"));
	char **services = strv_of(json_object_get(c, "services"));
	char **env_files = strv_of(json_object_get(c, "env_files"));
	struct bld_deploy_options o = {
		.files = files, .environ = env, .workdir = cwd, .profiles = profiles,
		.services = services, .env_files = env_files,
		.project_name = bld_json_get_str(c, "project_name"),
		.project_directory = bld_json_get_str(c, "project_directory"),
	};
	struct bld_deploy_load l;
	int r = bld_deploy_project_model(&l, &o, &err);
	if (r == 0 && json_is_true(json_object_get(c, "full")))
		r = bld_deploy_project_check(&l, &err);
	check_result(c, r, l.model, err, dir);
	bld_deploy_load_dispose(&l);
	bld_error_free(err);
	err = NULL;
	if (saved_stdin >= 0) {
		dup2(saved_stdin, 0);
		close(saved_stdin);
	}
	free(cwd);
	bld_fs_rm_rf(dir, &err);
	bld_error_free(err);
	free(dir);
	bld_strv_free(files);
	bld_strv_free(env);
	bld_strv_free(profiles);
	bld_strv_free(services);
	bld_strv_free(env_files);
}

Test(deploy_loader, compose_go_cases)
{
	json_t *cases = fix_table("loader-expected.json", NULL, 100);
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
		run_case(c);
	json_decref(cases);
}
