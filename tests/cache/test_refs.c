/*
 * tests/cache/test_refs.c — names in index.json: set, get, list, delete, images that lose
 * their last name stay as dangling entries, and two processes updating the index at once
 * lose no update (the index lock), and the record of an original manifest.
 */
#include <jansson.h>
#include <sys/wait.h>

#include "tests/cache/helpers.h"

static void put(struct bld_store *s, const char *text, char d[BLD_DIGEST_STR_LEN])
{
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_blob_put(s, text, strlen(text), d, &err), 0);
}

Test(cache_refs, set_get_list_delete)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char a[BLD_DIGEST_STR_LEN], b[BLD_DIGEST_STR_LEN];
	put(s, "{\"a\":1}", a);
	put(s, "{\"b\":2}", b);
	cr_assert_eq(bld_cache_ref_set(s, "docker.io/library/busybox:latest", a, NULL, -1, &err), 0);
	cr_assert_eq(bld_cache_ref_set(s, "127.0.0.1:5000/x/y:1", b, NULL, 7, &err), 0);
	struct bld_cache_desc d;
	cr_assert_eq(bld_cache_ref_get(s, "docker.io/library/busybox:latest", &d, &err), 0);
	cr_assert_str_eq(d.digest, a);
	cr_assert_eq(d.size, 7);
	cr_assert_str_eq(d.media_type, "application/vnd.oci.image.manifest.v1+json");
	bld_cache_desc_dispose(&d);
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	cr_assert_eq(bld_cache_ref_list(s, &v, &n, &err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[1].name, "127.0.0.1:5000/x/y:1");
	bld_cache_desc_list_free(v, n);
	cr_assert_eq(bld_cache_ref_delete(s, "127.0.0.1:5000/x/y:1", &err), 0);
	cr_assert_eq(bld_cache_ref_get(s, "127.0.0.1:5000/x/y:1", &d, &err), -BLD_E_NOTFOUND);
	bld_error_free(err);
	err = NULL;
	char missing[BLD_DIGEST_STR_LEN];
	bld_sha256_digest("nothing", 7, missing);
	cr_assert_eq(bld_cache_ref_set(s, "a:b", missing, NULL, -1, &err), -BLD_E_NOTFOUND);
	bld_error_free(err);
	test_store_done(s, root);
}

Test(cache_refs, retag_keeps_old_image_dangling)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char a[BLD_DIGEST_STR_LEN], b[BLD_DIGEST_STR_LEN];
	put(s, "one", a);
	put(s, "two", b);
	cr_assert_eq(bld_cache_ref_set(s, "r/x:1", a, NULL, -1, &err), 0);
	cr_assert_eq(bld_cache_ref_set(s, "r/x:1", b, NULL, -1, &err), 0);
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	cr_assert_eq(bld_cache_ref_list_all(s, &v, &n, &err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].name, "r/x:1");
	cr_assert_str_eq(v[0].digest, b);
	cr_assert_null(v[1].name);
	cr_assert_str_eq(v[1].digest, a);
	bld_cache_desc_list_free(v, n);
	/* naming the dangling image again removes its unnamed entry */
	cr_assert_eq(bld_cache_ref_set(s, "r/x:2", a, NULL, -1, &err), 0);
	cr_assert_eq(bld_cache_ref_list_all(s, &v, &n, &err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[1].name, "r/x:2");
	bld_cache_desc_list_free(v, n);
	cr_assert_eq(bld_cache_ref_delete_digest(s, a, &err), 0);
	cr_assert_eq(bld_cache_ref_list_all(s, &v, &n, &err), 0);
	cr_assert_eq(n, 1);
	bld_cache_desc_list_free(v, n);
	test_store_done(s, root);
}

Test(cache_refs, two_processes_lose_no_update)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char d[BLD_DIGEST_STR_LEN];
	put(s, "shared", d);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		cr_assert_geq(kids[k], 0);
		if (kids[k] > 0)
			continue;
		struct bld_store *cs = NULL;
		struct bld_error *err = NULL;
		if (bld_cache_store_open(&cs, root, &err) < 0)
			_exit(2);
		for (int i = 0; i < 40; i++) {
			char name[64];
			snprintf(name, sizeof(name), "p%d/img:%d", k, i);
			if (bld_cache_ref_set(cs, name, d, NULL, -1, &err) < 0)
				_exit(3);
		}
		bld_cache_store_free(cs);
		_exit(0);
	}
	for (int k = 0; k < 2; k++) {
		int st = 0;
		cr_assert_eq(waitpid(kids[k], &st, 0), kids[k]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d status %d", k, st);
	}
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_ref_list(s, &v, &n, &err), 0);
	cr_assert_eq(n, 80, "every update kept, got %zu", n);
	bld_cache_desc_list_free(v, n);
	test_store_done(s, root);
}

Test(cache_refs, reopening_keeps_the_index)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char d[BLD_DIGEST_STR_LEN];
	put(s, "x", d);
	cr_assert_eq(bld_cache_ref_set(s, "a/b:c", d, NULL, -1, &err), 0);
	struct bld_store *s2 = NULL;
	cr_assert_eq(bld_cache_store_open(&s2, root, &err), 0);
	struct bld_cache_desc desc;
	cr_assert_eq(bld_cache_ref_get(s2, "a/b:c", &desc, &err), 0);
	bld_cache_desc_dispose(&desc);
	bld_cache_store_free(s2);
	char *p = xasprintf("%s/oci/oci-layout", root);
	char *data = NULL;
	cr_assert_eq(bld_fs_read_file(p, 1000, &data, NULL, &err), 0);
	cr_assert_str_eq(data, "{\"imageLayoutVersion\":\"1.0.0\"}");
	free(data);
	free(p);
	test_store_done(s, root);
}

/* The record of an original manifest (registry/ keeps a Docker v2s2 manifest beside its OCI
 * form): stored on the named entry, carried by set_desc, dropped when the name is set
 * plainly, refused when its blob is missing, and kept alive by GC while named. */
Test(cache_refs, original_manifest_record)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	struct bld_cache_desc d = {0}, g = {0};
	char orig[BLD_DIGEST_STR_LEN];
	put(s, "{\"oci\":1}", d.digest);
	put(s, "{\"v2s2\":1}", orig);
	d.size = -1;
	d.media_type = "application/vnd.oci.image.manifest.v1+json";
	d.orig_media_type = "application/vnd.docker.distribution.manifest.v2+json";
	memcpy(d.orig_digest, "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	       BLD_DIGEST_STR_LEN);
	cr_assert_eq(bld_cache_ref_set_desc(s, "r/a:1", &d, &err), -BLD_E_NOTFOUND);
	bld_error_free(err);
	err = NULL;
	memcpy(d.orig_digest, orig, BLD_DIGEST_STR_LEN);
	cr_assert_eq(bld_cache_ref_set_desc(s, "r/a:1", &d, &err), 0);
	cr_assert_eq(bld_cache_ref_get(s, "r/a:1", &g, &err), 0);
	cr_assert_str_eq(g.orig_digest, orig);
	cr_assert_str_eq(g.orig_media_type, d.orig_media_type);
	cr_assert_eq(bld_cache_ref_set_desc(s, "r/b:1", &g, &err), 0); /* bld tag */
	bld_cache_desc_dispose(&g);
	cr_assert_eq(bld_cache_ref_get(s, "r/b:1", &g, &err), 0);
	cr_assert_str_eq(g.orig_digest, orig);
	bld_cache_desc_dispose(&g);
	struct bld_cache_gc_stats st;
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert(bld_cache_blob_exists(s, orig), "GC keeps the original while named");
	cr_assert_eq(bld_cache_ref_set(s, "r/a:1", d.digest, NULL, -1, &err), 0);
	cr_assert_eq(bld_cache_ref_set(s, "r/b:1", d.digest, NULL, -1, &err), 0);
	cr_assert_eq(bld_cache_ref_get(s, "r/a:1", &g, &err), 0);
	cr_assert_str_eq(g.orig_digest, "");
	cr_assert_null(g.orig_media_type);
	bld_cache_desc_dispose(&g);
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert_not(bld_cache_blob_exists(s, orig), "unrecorded, the original goes");
	cr_assert(bld_cache_blob_exists(s, d.digest));
	test_store_done(s, root);
}
