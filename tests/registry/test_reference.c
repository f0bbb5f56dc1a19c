/*
 * tests/registry/test_reference.c — reference normalisation against the conformance tables
 * in tests/fixtures/image-reference (taken from distribution/reference), plus tags, digests,
 * familiar forms and the API host.
 */
#include <criterion/criterion.h>

#include "registry/registry.h"

#define FIXTURES "tests/fixtures/image-reference/"

/* Calls fn for every data row of a TSV file, with its fields split on tabs. */
static int each_row(const char *path, void (*fn)(char **f, int nf))
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s (run from the source tree)", path);
	char line[1024];
	int rows = 0;
	bool header = true;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (header || line[0] == '\0') {
			header = false;
			continue;
		}
		char *fields[8];
		int nf = 0;
		for (char *p = line; p && nf < 8; nf++) {
			fields[nf] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		fn(fields, nf);
		rows++;
	}
	fclose(f);
	return rows;
}

static void check_name(char **f, int nf)
{
	cr_assert_eq(nf, 2);
	struct bld_registry_ref r;
	struct bld_error *err = NULL;
	int rc = bld_registry_ref_parse(&r, f[0], &err);
	if (strcmp(f[1], "1") == 0)
		cr_expect_eq(rc, 0, "%s should parse: %s", f[0], err ? err->msg : "");
	else
		cr_expect_lt(rc, 0, "%s should be refused", f[0]);
	if (rc < 0)
		cr_expect_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
	bld_registry_ref_dispose(&r);
}

Test(registry_reference, conformance_names)
{
	cr_assert_eq(each_row(FIXTURES "names.tsv", check_name), 41);
}

static void check_normalize(char **f, int nf)
{
	cr_assert_eq(nf, 5);
	struct bld_registry_ref r;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_ref_parse(&r, f[0], &err), 0, "%s: %s", f[0],
		     err ? err->msg : "");
	char *name = bld_registry_ref_name(&r);
	char *fam = bld_registry_ref_familiar_name(&r);
	cr_expect_str_eq(name, f[1], "%s full", f[0]);
	cr_expect_str_eq(r.domain, f[2], "%s domain", f[0]);
	cr_expect_str_eq(r.path, f[3], "%s path", f[0]);
	cr_expect_str_eq(fam, f[4], "%s familiar", f[0]);
	cr_expect_str_eq(r.tag, "latest");
	cr_expect_null(r.digest);
	free(name);
	free(fam);
	bld_registry_ref_dispose(&r);
}

Test(registry_reference, conformance_normalize)
{
	cr_assert_eq(each_row(FIXTURES "normalize.tsv", check_normalize), 32);
}

static void expect_forms(const char *in, const char *full, const char *familiar)
{
	struct bld_registry_ref r;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_ref_parse(&r, in, &err), 0, "%s: %s", in, err ? err->msg : "");
	char *s = bld_registry_ref_string(&r), *f = bld_registry_ref_familiar(&r);
	cr_expect_str_eq(s, full);
	cr_expect_str_eq(f, familiar);
	free(s);
	free(f);
	bld_registry_ref_dispose(&r);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

Test(registry_reference, tags_and_digests)
{
	expect_forms("busybox", "docker.io/library/busybox:latest", "busybox:latest");
	expect_forms("index.docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36",
		     "busybox:1.36");
	expect_forms("127.0.0.1:5000/library/busybox", "127.0.0.1:5000/library/busybox:latest",
		     "127.0.0.1:5000/library/busybox:latest");
	expect_forms("busybox@sha256:" D64, "docker.io/library/busybox@sha256:" D64,
		     "busybox@sha256:" D64);
	expect_forms("localhost/x:v1@sha256:" D64, "localhost/x:v1@sha256:" D64,
		     "localhost/x:v1@sha256:" D64);
	expect_forms("localhost:5000", "docker.io/library/localhost:5000", "localhost:5000");
	expect_forms("[::1]:5000/a/b:Tag_1.x-y", "[::1]:5000/a/b:Tag_1.x-y",
		     "[::1]:5000/a/b:Tag_1.x-y");
}

Test(registry_reference, bad_tags_and_digests)
{
	const char *bad[] = {
		"busybox:", "busybox:.x", "busybox:-x", "busybox@sha256:abc", "busybox@md5:" D64,
		"busybox@sha256:" D64 "0", "busybox@", "a b", "", "busybox:a:b", "UPPER",
		"busybox:" "0123456789012345678901234567890123456789012345678901234567890123456789"
		"01234567890123456789012345678901234567890123456789012345678",
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bad); i++) {
		struct bld_registry_ref r;
		struct bld_error *err = NULL;
		cr_expect_lt(bld_registry_ref_parse(&r, bad[i], &err), 0, "%s accepted", bad[i]);
		bld_error_free(err);
		bld_registry_ref_dispose(&r);
	}
}

Test(registry_reference, hosts_and_keys)
{
	cr_expect_str_eq(bld_registry_api_host("docker.io"), "registry-1.docker.io");
	cr_expect_str_eq(bld_registry_api_host("127.0.0.1:5000"), "127.0.0.1:5000");
	cr_expect_str_eq(bld_registry_auth_key("docker.io"), "https://index.docker.io/v1/");
	cr_expect_str_eq(bld_registry_auth_key("localhost:5000"), "localhost:5000");
	char *d = bld_registry_server_domain("https://index.docker.io/v1/");
	cr_expect_str_eq(d, "docker.io");
	free(d);
	d = bld_registry_server_domain("127.0.0.1:5000");
	cr_expect_str_eq(d, "127.0.0.1:5000");
	free(d);
	cr_expect(bld_registry_domain_is_local("localhost"));
	cr_expect(bld_registry_domain_is_local("127.1.2.3:443"));
	cr_expect(bld_registry_domain_is_local("[::1]:5000"));
	cr_expect(!bld_registry_domain_is_local("127.0.0.1.example.com"));
	cr_expect(!bld_registry_domain_is_local("docker.io"));
	cr_expect(!bld_registry_domain_is_local("10.0.0.1:5000"));
}

/* What the trust policy compares: the same normalisation, but no tag unless one was written. */
Test(registry_reference, no_default_tag)
{
	struct bld_registry_ref r;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_ref_parse_flags(&r, "index.docker.io/busybox",
						  BLD_REGISTRY_REF_NO_DEFAULT_TAG, &err), 0);
	cr_expect_str_eq(r.domain, "docker.io");
	cr_expect_str_eq(r.path, "library/busybox");
	cr_expect_null(r.tag);
	cr_expect_null(r.digest);
	char *s = bld_registry_ref_string(&r);
	cr_expect_str_eq(s, "docker.io/library/busybox");
	free(s);
	bld_registry_ref_dispose(&r);
	cr_assert_eq(bld_registry_ref_parse_flags(&r, "127.0.0.1:5000/t/x:1",
						  BLD_REGISTRY_REF_NO_DEFAULT_TAG, &err), 0);
	cr_expect_str_eq(r.tag, "1");
	bld_registry_ref_dispose(&r);
	cr_assert_eq(bld_registry_ref_parse_flags(&r, "busybox", 0, &err), 0);
	cr_expect_str_eq(r.tag, "latest");
	bld_registry_ref_dispose(&r);
	cr_expect_lt(bld_registry_ref_parse_flags(&r, "busybox/X", BLD_REGISTRY_REF_NO_DEFAULT_TAG,
						  &err), 0);
	bld_error_free(err);
}
