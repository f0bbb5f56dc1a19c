/*
 * tests/registry/test_auth.c — WWW-Authenticate challenges, docker's config.json lookups
 * (auths, credHelpers, credsStore through a fake docker-credential-* program), base64
 * credentials, and the bld config file's insecure-registries list.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sys/stat.h>

#include "registry/registry_int.h"

Test(registry_auth, bearer_challenge_like_docker_hub)
{
	struct reg_challenge c;
	cr_assert_eq(reg_challenge_parse(&c,
					 "Bearer realm=\"https://auth.docker.io/token\","
					 "service=\"registry.docker.io\","
					 "scope=\"repository:library/busybox:pull,push\"",
					 NULL),
		     0);
	cr_expect_str_eq(c.scheme, "bearer");
	cr_expect_str_eq(c.realm, "https://auth.docker.io/token");
	cr_expect_str_eq(c.service, "registry.docker.io");
	cr_expect_str_eq(c.scope, "repository:library/busybox:pull,push");
	cr_expect_null(c.error);
	reg_challenge_dispose(&c);
}

Test(registry_auth, challenge_spacing_escapes_tokens_and_errors)
{
	struct reg_challenge c;
	cr_assert_eq(reg_challenge_parse(&c,
					 "  bearer  realm = \"http://x/t\\\"q\" , service=reg ,"
					 "error=\"insufficient_scope\"",
					 NULL),
		     0);
	cr_expect_str_eq(c.scheme, "bearer");
	cr_expect_str_eq(c.realm, "http://x/t\"q");
	cr_expect_str_eq(c.service, "reg");
	cr_expect_str_eq(c.error, "insufficient_scope");
	cr_expect_null(c.scope);
	reg_challenge_dispose(&c);
	cr_assert_eq(reg_challenge_parse(&c, "Basic realm=\"Registry Realm\", Bearer realm=x", NULL),
		     0);
	cr_expect_str_eq(c.scheme, "basic");
	cr_expect_str_eq(c.realm, "Registry Realm");
	reg_challenge_dispose(&c);
}

Test(registry_auth, malformed_challenges_are_refused)
{
	const char *bad[] = {"", "   ", "Bearer realm=\"unterminated", "=x"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bad); i++) {
		struct reg_challenge c;
		struct bld_error *err = NULL;
		cr_expect_lt(reg_challenge_parse(&c, bad[i], &err), 0, "accepted \"%s\"", bad[i]);
		bld_error_free(err);
	}
}

Test(registry_auth, base64_round_trip)
{
	char *b = reg_auth_encode("user", "pa:ss");
	cr_expect_str_eq(b, "dXNlcjpwYTpzcw==");
	struct reg_creds c;
	cr_assert_eq(reg_auth_decode(b, &c, NULL), 0);
	cr_expect_str_eq(c.user, "user");
	cr_expect_str_eq(c.secret, "pa:ss");
	reg_creds_dispose(&c);
	free(b);
	struct bld_error *err = NULL;
	cr_expect_lt(reg_auth_decode("!!!", &c, &err), 0);
	bld_error_free(err);
	err = NULL;
	cr_expect_lt(reg_auth_decode("bm9jb2xvbg==", &c, &err), 0); /* "nocolon" */
	bld_error_free(err);
}

static json_t *cfg(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	cr_assert_not_null(v, "%s", je.text);
	return v;
}

Test(registry_auth, config_auths_exact_and_by_host)
{
	json_t *c = cfg("{\"auths\": {"
			"\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1YnB3\"},"
			"\"https://myreg.example:5000/v1/\": {\"auth\": \"bWU6c2VjcmV0\"},"
			"\"tok.example\": {\"identitytoken\": \"refresh-me\"}}}");
	struct reg_creds r;
	cr_assert_eq(reg_creds_from_config(c, "docker.io", &r, NULL), 1);
	cr_expect_str_eq(r.user, "hub");
	cr_expect_str_eq(r.secret, "hubpw");
	reg_creds_dispose(&r);
	cr_assert_eq(reg_creds_from_config(c, "myreg.example:5000", &r, NULL), 1);
	cr_expect_str_eq(r.user, "me");
	reg_creds_dispose(&r);
	cr_assert_eq(reg_creds_from_config(c, "tok.example", &r, NULL), 1);
	cr_expect_str_eq(r.identity_token, "refresh-me");
	reg_creds_dispose(&r);
	cr_expect_eq(reg_creds_from_config(c, "other.example", &r, NULL), 0);
	json_decref(c);
}

/* A docker-credential-bldtest in a private PATH directory. */
static char *fake_helper(void)
{
	char *dir = bld_fs_mkdtemp("bld-credtest", NULL);
	cr_assert_not_null(dir);
	char *path = xasprintf("%s/docker-credential-bldtest", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\nread server\n"
		   "[ \"$1\" = get ] || exit 1\n"
		   "case \"$server\" in\n"
		   "  helped.example) echo '{\"ServerURL\":\"helped.example\",\"Username\":\"hu\","
		   "\"Secret\":\"hs\"}' ;;\n"
		   "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
		   "esac\n");
	fclose(f);
	chmod(path, 0755);
	free(path);
	char *newpath = xasprintf("%s:%s", dir, getenv("PATH"));
	setenv("PATH", newpath, 1);
	free(newpath);
	return dir;
}

Test(registry_auth, cred_helpers_and_store)
{
	char *dir = fake_helper();
	json_t *c = cfg("{\"credHelpers\": {\"helped.example\": \"bldtest\"},"
			"\"auths\": {\"helped.example\": {\"auth\": \"eDp5\"}}}");
	struct reg_creds r;
	cr_assert_eq(reg_creds_from_config(c, "helped.example", &r, NULL), 1);
	cr_expect_str_eq(r.user, "hu");
	cr_expect_str_eq(r.secret, "hs");
	reg_creds_dispose(&r);
	json_decref(c);
	c = cfg("{\"credsStore\": \"bldtest\"}");
	cr_expect_eq(reg_creds_from_config(c, "unknown.example", &r, NULL), 0);
	json_decref(c);
	c = cfg("{\"credsStore\": \"missing-helper-xyz\"}");
	struct bld_error *err = NULL;
	cr_expect_lt(reg_creds_from_config(c, "x.example", &r, &err), 0);
	cr_expect_eq(err->code, BLD_E_SYSTEM);
	bld_error_free(err);
	json_decref(c);
	bld_fs_rm_rf(dir, NULL);
	free(dir);
}

Test(registry_auth, insecure_registries_from_bld_config)
{
	char *dir = bld_fs_mkdtemp("bld-conftest", NULL);
	char *path = xasprintf("%s/config.json", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"insecure-registries\": [\"myreg:5000\", \"10.1.0.0/16\"]}");
	fclose(f);
	setenv("BLD_CONFIG", path, 1);
	cr_expect(reg_config_insecure("myreg:5000"));
	cr_expect(!reg_config_insecure("myreg:5001"));
	cr_expect(reg_config_insecure("10.1.2.3:443"));
	cr_expect(!reg_config_insecure("10.2.0.1"));
	setenv("BLD_CONFIG", "/nonexistent/bld.json", 1);
	cr_expect(!reg_config_insecure("myreg:5000"));
	bld_fs_rm_rf(dir, NULL);
	free(path);
	free(dir);
}
