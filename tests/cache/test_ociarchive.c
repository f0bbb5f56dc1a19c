/*
 * tests/cache/test_ociarchive.c — an image written as an OCI archive loads back into another
 * store as the same image, the same image always gives the same bytes; the Docker v2s2
 * form that bld_cache_image_write_fmt records beside the OCI manifest; a directory written
 * as one tar stream.
 */
#include <fcntl.h>
#include <jansson.h>

#include "tests/cache/helpers.h"

static void put_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, n), (ssize_t)n);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void one_layer(struct bld_store *s, struct bld_cache_layer *l)
{
	char *src = bld_fs_mkdtemp("bld-oa-src", NULL);
	char *p = xasprintf("%s/file", src);
	FILE *f = fopen(p, "w");
	fputs("content", f);
	fclose(f);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_from_dir(s, src, NULL, l, &err), 0);
	bld_fs_rm_rf(src, NULL);
	free(src);
	free(p);
}

static json_t *config(void)
{
	return json_pack("{s:s, s:s, s:s, s:{s:[s]}}", "architecture", "amd64", "os", "linux",
			 "created", "1970-01-01T00:00:00Z", "config", "Cmd", "sh");
}

/* The archive's bytes for the image called name. */
static char *archive(struct bld_store *s, const char *name, size_t *len)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_image_load(s, name, &img, &err), 0);
	FILE *f = tmpfile();
	cr_assert_eq(bld_cache_oci_archive_write(s, img, name, fileno(f), &err), 0, "%s",
		     err ? err->msg : "");
	bld_cache_image_free(img);
	off_t n = lseek(fileno(f), 0, SEEK_END);
	cr_assert_gt(n, 0);
	char *data = xmalloc((size_t)n);
	cr_assert_eq(pread(fileno(f), data, (size_t)n, 0), n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

Test(cache_ociarchive, loads_back_as_the_same_image_and_is_stable)
{
	char *root, *root2;
	struct bld_store *s = test_store(&root), *s2 = test_store(&root2);
	struct bld_cache_layer l;
	one_layer(s, &l);
	json_t *cfg = config();
	char md[BLD_DIGEST_STR_LEN], id[BLD_DIGEST_STR_LEN];
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_image_write(s, cfg, &l, 1, "docker.io/library/oa:1", md, id, &err), 0);
	json_decref(cfg);
	size_t n1, n2;
	char *a1 = archive(s, "docker.io/library/oa:1", &n1);
	char *a2 = archive(s, "docker.io/library/oa:1", &n2);
	cr_assert(n1 == n2 && memcmp(a1, a2, n1) == 0, "the same image gives the same bytes");
	char *path = xasprintf("%s/a.tar", root);
	put_file(path, a1, n1, 0644);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct bld_cache_loaded *v = NULL;
	size_t n = 0;
	cr_assert_eq(bld_cache_load(s2, fd, &v, &n, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].digest, md);
	cr_assert_str_eq(v[0].names[0], "docker.io/library/oa:1");
	struct bld_cache_image *img = NULL;
	cr_assert_eq(bld_cache_image_load(s2, md, &img, &err), 0);
	cr_assert_str_eq(img->id, id);
	bld_cache_image_free(img);
	bld_cache_loaded_free(v, n);
	free(a1);
	free(a2);
	free(path);
	test_store_done(s, root);
	test_store_done(s2, root2);
}

Test(cache_ociarchive, docker_format_keeps_a_v2s2_original)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_cache_layer l;
	one_layer(s, &l);
	json_t *cfg = config();
	char md_oci[BLD_DIGEST_STR_LEN], md_docker[BLD_DIGEST_STR_LEN], id[BLD_DIGEST_STR_LEN],
		id2[BLD_DIGEST_STR_LEN];
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_image_write_fmt(s, cfg, &l, 1, "docker.io/library/o:1", false, md_oci,
					       id, &err), 0);
	cr_assert_eq(bld_cache_image_write_fmt(s, cfg, &l, 1, "docker.io/library/d:1", true,
					       md_docker, id2, &err), 0);
	json_decref(cfg);
	cr_assert_str_eq(id, id2, "the same config in both formats");
	cr_assert_str_neq(md_oci, md_docker);
	struct bld_cache_desc d = {0};
	cr_assert_eq(bld_cache_ref_get(s, "docker.io/library/d:1", &d, &err), 0);
	cr_assert_str_eq(d.digest, md_oci, "the entry is the OCI form");
	cr_assert_str_eq(d.orig_digest, md_docker, "the v2s2 form is recorded beside it");
	cr_assert_str_eq(d.orig_media_type, "application/vnd.docker.distribution.manifest.v2+json");
	char *data = NULL;
	size_t n = 0;
	cr_assert_eq(bld_cache_blob_read(s, md_docker, 1 << 20, &data, &n, &err), 0);
	json_t *m = NULL;
	cr_assert_eq(bld_json_load_buf(&m, data, n, &err), 0);
	cr_assert_str_eq(bld_json_get_str(json_object_get(m, "config"), "mediaType"),
			 "application/vnd.docker.container.image.v1+json");
	cr_assert_str_eq(bld_json_get_str(json_array_get(json_object_get(m, "layers"), 0), "mediaType"),
			 "application/vnd.docker.image.rootfs.diff.tar.gzip");
	json_decref(m);
	free(data);
	bld_cache_desc_dispose(&d);
	test_store_done(s, root);
}

Test(cache_ociarchive, dir_as_one_tar)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char *src = xasprintf("%s/src", root), *sub = xasprintf("%s/src/d", root);
	cr_assert_eq(mkdir(src, 0755), 0);
	cr_assert_eq(mkdir(sub, 0700), 0);
	char *f = xasprintf("%s/x", sub);
	struct bld_error *err = NULL;
	put_file(f, "hi", 2, 0640);
	char *tarp = xasprintf("%s/fs.tar", root);
	int fd = open(tarp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_eq(bld_cache_dir_tar_write(src, fd, 0, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	char *cmd = xasprintf("tar tvf '%s' | awk '{print $1, $2, $3, $4, $6}'", tarp);
	FILE *p = popen(cmd, "r");
	char out[256] = "";
	size_t k = fread(out, 1, sizeof(out) - 1, p);
	out[k] = '\0';
	pclose(p);
	cr_assert_str_eq(out, "drwx------ 0/0 0 1970-01-01 d/\n-rw-r----- 0/0 2 1970-01-01 d/x\n",
			 "entries: %s", out);
	free(cmd);
	free(tarp);
	free(f);
	free(sub);
	free(src);
	test_store_done(s, root);
}
