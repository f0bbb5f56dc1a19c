/*
 * tests/cache/test_image.c — images: written from stored layers, found by name, ID, ID
 * prefix and digest, an index resolves to linux/amd64, layers unpack lowest first.
 */
#include <jansson.h>

#include "tests/cache/helpers.h"

static void one_layer(struct bld_store *s, const char *content, struct bld_cache_layer *l)
{
	char *src = bld_fs_mkdtemp("bld-img-src", NULL);
	char *p = xasprintf("%s/file", src);
	FILE *f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_from_dir(s, src, NULL, l, &err), 0);
	bld_fs_rm_rf(src, NULL);
	free(src);
	free(p);
}

static json_t *base_config(void)
{
	return json_pack("{s:s, s:s, s:{s:[s]}}", "architecture", "amd64", "os", "linux", "config",
			 "Cmd", "sh");
}

Test(cache_image, write_then_load_every_way)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_cache_layer l[2];
	one_layer(s, "one", &l[0]);
	one_layer(s, "two", &l[1]);
	json_t *cfg = base_config();
	char md[BLD_DIGEST_STR_LEN], id[BLD_DIGEST_STR_LEN];
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_image_write(s, cfg, l, 2, "docker.io/library/t:1", md, id, &err), 0);
	json_decref(cfg);
	struct bld_cache_image *img = NULL;
	const char *ways[] = {"docker.io/library/t:1", id, id + 7, "sha256:", md};
	char prefix[13];
	snprintf(prefix, sizeof(prefix), "%.12s", id + 7);
	ways[3] = prefix;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ways); i++) {
		cr_assert_eq(bld_cache_image_load(s, ways[i], &img, &err), 0, "%s: %s", ways[i],
			     err ? err->msg : "");
		cr_assert_str_eq(img->id, id);
		cr_assert_str_eq(img->manifest_digest, md);
		cr_assert_str_eq(img->name, "docker.io/library/t:1");
		bld_cache_image_free(img);
	}
	cr_assert_eq(bld_cache_image_load(s, "docker.io/library/nope:1", &img, &err), -BLD_E_NOTFOUND);
	bld_error_free(err);
	err = NULL;
	cr_assert_eq(bld_cache_image_load(s, "abcdef0", &img, &err), -BLD_E_NOTFOUND);
	bld_error_free(err);
	err = NULL;
	cr_assert_eq(bld_cache_image_load(s, md, &img, &err), 0);
	char **dirs = NULL;
	cr_assert_eq(bld_cache_image_layers(s, img, &dirs, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(bld_strv_len(dirs), 2);
	char *p = xasprintf("%s/file", dirs[1]), *data = NULL;
	cr_assert_eq(bld_fs_read_file(p, 100, &data, NULL, NULL), 0);
	cr_assert_str_eq(data, "two");
	/* the upper layer's directory is named by the chain id */
	char chain[BLD_DIGEST_STR_LEN];
	bld_cache_layer_chain_id(l[0].diff_id, l[1].diff_id, chain);
	cr_assert(bld_str_has_suffix(dirs[1], chain + 7));
	free(p);
	free(data);
	bld_strv_free(dirs);
	char **names = NULL;
	cr_assert_eq(bld_cache_image_names(s, img, &names, &err), 0);
	cr_assert_eq(bld_strv_len(names), 1);
	bld_strv_free(names);
	bld_cache_image_free(img);
	test_store_done(s, root);
}

Test(cache_image, index_resolves_to_linux_amd64)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_cache_layer l;
	one_layer(s, "x", &l);
	json_t *cfg = base_config();
	char md[BLD_DIGEST_STR_LEN], id[BLD_DIGEST_STR_LEN], idx[BLD_DIGEST_STR_LEN];
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_image_write(s, cfg, &l, 1, NULL, md, id, &err), 0);
	json_decref(cfg);
	char *text = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"sha256:%064d\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
		"\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}", 0, md);
	cr_assert_eq(bld_cache_blob_put(s, text, strlen(text), idx, &err), 0);
	free(text);
	cr_assert_eq(bld_cache_ref_set(s, "r/multi:1", idx, "application/vnd.oci.image.index.v1+json",
				       -1, &err), 0);
	struct bld_cache_image *img = NULL;
	cr_assert_eq(bld_cache_image_load(s, "r/multi:1", &img, &err), 0, "%s", err ? err->msg : "");
	cr_assert_str_eq(img->manifest_digest, md);
	cr_assert_str_eq(img->index_digest, idx);
	cr_assert_str_eq(img->id, id);
	bld_cache_image_free(img);
	test_store_done(s, root);
}
