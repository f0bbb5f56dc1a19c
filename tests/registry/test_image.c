/*
 * tests/registry/test_image.c — manifests and indexes as registry/ reads them, and docker's
 * platform matching.
 */
#include <criterion/criterion.h>

#include "registry/registry_int.h"

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static const char index_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	"\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D("a") "\","
	"\"size\":10,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D("b") "\","
	"\"size\":11,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D("c") "\","
	"\"size\":12,\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}}]}";

Test(registry_image, platform_selection)
{
	struct reg_manifest m;
	cr_assert_eq(reg_manifest_parse(&m, BLD_MT_OCI_INDEX, index_json, strlen(index_json), NULL), 0);
	cr_assert(m.is_index);
	cr_assert_eq(m.n, 3);
	const struct reg_desc *d = NULL;
	cr_assert_eq(reg_platform_select(&m, NULL, &d, NULL), 0);
	cr_expect_str_eq(d->digest, D("b"));
	cr_assert_eq(reg_platform_select(&m, "linux/arm64", &d, NULL), 0);
	cr_expect_str_eq(d->digest, D("a"));
	cr_assert_eq(reg_platform_select(&m, "linux/aarch64/v8", &d, NULL), 0);
	cr_expect_str_eq(d->digest, D("a"));
	cr_assert_eq(reg_platform_select(&m, "linux/arm", &d, NULL), 0);
	cr_expect_str_eq(d->digest, D("c"));
	struct bld_error *err = NULL;
	cr_expect_lt(reg_platform_select(&m, "linux/s390x", &d, &err), 0);
	cr_expect_str_eq(err->msg, "no matching manifest for linux/s390x in the manifest list entries");
	bld_error_free(err);
	err = NULL;
	cr_expect_lt(reg_platform_select(&m, "linux", &d, &err), 0);
	cr_expect_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
	reg_manifest_dispose(&m);
}

Test(registry_image, docker_v2s2_manifest)
{
	const char *j = "{\"schemaVersion\":2,\"mediaType\":"
			"\"application/vnd.docker.distribution.manifest.v2+json\","
			"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
			"\"digest\":\"" D("1") "\",\"size\":100},"
			"\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
			"\"digest\":\"" D("2") "\",\"size\":200}]}";
	struct reg_manifest m;
	cr_assert_eq(reg_manifest_parse(&m, BLD_MT_DOCKER_MANIFEST, j, strlen(j), NULL), 0);
	cr_expect(!m.is_index);
	cr_expect_str_eq(m.config.digest, D("1"));
	cr_expect_eq(m.n, 1);
	cr_expect_eq(m.items[0].size, 200);
	reg_manifest_dispose(&m);
}

Test(registry_image, bad_manifests_are_refused)
{
	const char *bad[] = {
		"[]",
		"{\"schemaVersion\":1,\"fsLayers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:abc\",\"size\":1},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("1") "\",\"size\":-1},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D("1") "\",\"size\":1}}",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"config\":{\"digest\":\"" D("1") "\",\"size\":1},\"layers\":[]}",
		"not json",
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bad); i++) {
		struct reg_manifest m;
		struct bld_error *err = NULL;
		cr_expect_lt(reg_manifest_parse(&m, BLD_MT_OCI_MANIFEST, bad[i], strlen(bad[i]), &err),
			     0, "accepted %s", bad[i]);
		bld_error_free(err);
	}
}
