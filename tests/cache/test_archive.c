/*
 * tests/cache/test_archive.c — image archives: a docker-save-style archive with a layer
 * repeated through a symlink (as old docker save writes them) loads; a saved image loads
 * back with the same ID; a layer that does not match its diff ID is refused.
 */
#include <jansson.h>

#include "tests/cache/helpers.h"
#include "tests/cache/tarmaker.h"

static void add_file(struct archive *a, const char *path, const void *data, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
	archive_write_data(a, data, n);
	archive_entry_free(e);
}

static void add_link(struct archive *a, const char *path, const char *target)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_perm(e, 0777);
	archive_entry_set_symlink(e, target);
	cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
	archive_entry_free(e);
}

/* A docker-save archive of one image whose two layers are the same tar; tamper breaks it. */
static int docker_archive(bool tamper)
{
	struct tm_entry v[] = {{"hello", 'f', "world", NULL}};
	int lfd = tm_make(v, 1, false);
	char *layer = NULL;
	size_t ln = 0;
	cr_assert_eq(bld_fs_read_fd(lfd, 1 << 20, &layer, &ln, NULL), 0);
	close(lfd);
	char diff[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(layer, ln, diff);
	if (tamper)
		layer[0] ^= 1;
	char *cfg = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
			      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}",
			      diff, diff);
	char *mf = xasprintf("[{\"Config\":\"cfg.json\",\"RepoTags\":[\"test/x:1\"],"
			     "\"Layers\":[\"aaa/layer.tar\",\"bbb/layer.tar\"]}]");
	char path[] = "/tmp/bld-arch-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	struct archive *a = archive_write_new();
	archive_write_set_format_ustar(a);
	archive_write_open_fd(a, fd);
	add_file(a, "aaa/layer.tar", layer, ln);
	add_file(a, "aaa/VERSION", "1.0", 3);
	add_link(a, "bbb/layer.tar", "../aaa/layer.tar");
	add_file(a, "cfg.json", cfg, strlen(cfg));
	add_file(a, "manifest.json", mf, strlen(mf));
	archive_write_close(a);
	archive_write_free(a);
	free(cfg);
	free(mf);
	free(layer);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

Test(cache_archive, docker_save_archive_with_symlinked_layer_loads)
{
	char *root;
	struct bld_store *s = test_store(&root);
	int fd = docker_archive(false);
	struct bld_cache_loaded *v = NULL;
	size_t n = 0;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_load(s, fd, &v, &n, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].names[0], "test/x:1");
	struct bld_cache_image *img = NULL;
	cr_assert_eq(bld_cache_image_load(s, v[0].digest, &img, &err), 0);
	char **dirs = NULL;
	cr_assert_eq(bld_cache_image_layers(s, img, &dirs, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(bld_strv_len(dirs), 2);
	/* saved again and loaded into a second store, the image keeps its ID */
	char *root2;
	struct bld_store *s2 = test_store(&root2);
	char tmpl[] = "/tmp/bld-save-XXXXXX";
	int out = mkstemp(tmpl);
	unlink(tmpl);
	char *tags[] = {"test/x:1", NULL};
	struct bld_cache_save_item it = {.img = img, .repo_tags = tags};
	cr_assert_eq(bld_cache_save(s, &it, 1, out, &err), 0, "%s", err ? err->msg : "");
	lseek(out, 0, SEEK_SET);
	struct bld_cache_loaded *v2 = NULL;
	size_t n2 = 0;
	cr_assert_eq(bld_cache_load(s2, out, &v2, &n2, &err), 0, "%s", err ? err->msg : "");
	struct bld_cache_image *img2 = NULL;
	cr_assert_eq(bld_cache_image_load(s2, v2[0].digest, &img2, &err), 0);
	cr_assert_str_eq(img2->id, img->id);
	close(out);
	bld_cache_image_free(img2);
	bld_cache_loaded_free(v2, n2);
	test_store_done(s2, root2);
	bld_strv_free(dirs);
	bld_cache_image_free(img);
	bld_cache_loaded_free(v, n);
	test_store_done(s, root);
}

Test(cache_archive, tampered_layer_is_refused)
{
	char *root;
	struct bld_store *s = test_store(&root);
	int fd = docker_archive(true);
	struct bld_cache_loaded *v = NULL;
	size_t n = 0;
	struct bld_error *err = NULL;
	cr_assert_lt(bld_cache_load(s, fd, &v, &n, &err), 0);
	close(fd);
	bld_error_free(err);
	err = NULL;
	struct bld_cache_desc *d = NULL;
	size_t nd = 0;
	cr_assert_eq(bld_cache_ref_list_all(s, &d, &nd, &err), 0);
	cr_assert_eq(nd, 0, "nothing entered the index");
	bld_cache_desc_list_free(d, nd);
	test_store_done(s, root);
}
