/*
 * tests/cache/test_gc.c — garbage collection: what no image needs goes (blobs, unpacked
 * layers, abandoned partials), what an image or an extra root needs stays, and while
 * another process has the store open only old garbage goes. Also the integrity check.
 */
#include <fcntl.h>
#include <jansson.h>
#include <sys/wait.h>

#include "tests/cache/helpers.h"

static void image(struct bld_store *s, const char *content, const char *name,
		  char md[BLD_DIGEST_STR_LEN], struct bld_cache_layer *l)
{
	char *src = bld_fs_mkdtemp("bld-gc-src", NULL);
	char *p = xasprintf("%s/f", src);
	FILE *f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_from_dir(s, src, NULL, l, &err), 0);
	json_t *cfg = json_pack("{s:s, s:s}", "architecture", "amd64", "os", "linux");
	cr_assert_eq(bld_cache_image_write(s, cfg, l, 1, name, md, NULL, &err), 0);
	json_decref(cfg);
	bld_fs_rm_rf(src, NULL);
	free(src);
	free(p);
}

Test(cache_gc, removes_what_nothing_needs)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char a[BLD_DIGEST_STR_LEN], b[BLD_DIGEST_STR_LEN];
	struct bld_cache_layer la, lb;
	image(s, "a", "r/a:1", a, &la);
	image(s, "b", "r/b:1", b, &lb);
	struct bld_cache_image *img = NULL;
	struct bld_error *err = NULL;
	char **dirs = NULL;
	cr_assert_eq(bld_cache_image_load(s, "r/a:1", &img, &err), 0);
	cr_assert_eq(bld_cache_image_layers(s, img, &dirs, &err), 0);
	char *adir = xstrdup(dirs[0]);
	bld_strv_free(dirs);
	bld_cache_image_free(img);
	struct bld_cache_blob_writer *w = NULL; /* an abandoned anonymous partial */
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, NULL, &err), 0);
	char **untagged = NULL, *deleted = NULL;
	cr_assert_eq(bld_cache_image_remove(s, "r/a:1", false, &untagged, &deleted, &err), 0);
	cr_assert_not_null(deleted);
	bld_strv_free(untagged);
	free(deleted);
	struct bld_cache_gc_stats st;
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert_eq(st.blobs, 3, "manifest, config, layer of a: %lld", (long long)st.blobs);
	cr_assert_eq(st.layers, 1);
	cr_assert_eq(st.partials, 0, "a live writer's partial stays");
	cr_assert_not(bld_cache_blob_exists(s, la.digest));
	cr_assert(bld_cache_blob_exists(s, lb.digest));
	cr_assert(bld_cache_blob_exists(s, b));
	cr_assert_neq(access(adir, F_OK), 0);
	bld_cache_blob_writer_free(w);
	free(adir);
	test_store_done(s, root);
}

Test(cache_gc, extra_roots_and_other_processes_protect)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char a[BLD_DIGEST_STR_LEN];
	struct bld_cache_layer la;
	image(s, "a", NULL, a, &la); /* dangling */
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_ref_delete_digest(s, a, &err), 0);
	char *keep[] = {a, NULL};
	struct bld_cache_gc_opts o = {.keep = keep};
	struct bld_cache_gc_stats st;
	cr_assert_eq(bld_cache_gc(s, &o, &st, &err), 0);
	cr_assert_eq(st.blobs, 0);
	cr_assert(bld_cache_blob_exists(s, la.digest));
	/* an image ID (config digest) keeps the unpacked layers a container runs on */
	struct bld_cache_image *img = NULL;
	char **dirs = NULL;
	cr_assert_eq(bld_cache_image_load_digest(s, a, &img, &err), 0);
	cr_assert_eq(bld_cache_image_layers(s, img, &dirs, &err), 0);
	char *keep_id[] = {img->id, NULL};
	struct bld_cache_gc_opts o2 = {.keep = keep_id};
	cr_assert_eq(bld_cache_gc(s, &o2, &st, &err), 0);
	cr_assert_eq(st.layers, 0);
	cr_assert_eq(st.blobs, 2, "manifest and layer blob go, the config stays");
	cr_assert_eq(access(dirs[0], F_OK), 0, "layer directory kept");
	cr_assert_not(bld_cache_blob_exists(s, a), "the manifest itself went");
	bld_strv_free(dirs);
	bld_cache_image_free(img);
	/* another process with the store open: fresh garbage survives the grace period */
	int pipefd[2];
	cr_assert_eq(pipe(pipefd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct bld_store *cs = NULL;
		close(pipefd[0]);
		if (bld_cache_store_open(&cs, root, NULL) < 0)
			_exit(2);
		cr_assert_eq(write(pipefd[1], "x", 1), 1);
		sleep(30);
		_exit(0);
	}
	close(pipefd[1]);
	char c;
	cr_assert_eq(read(pipefd[0], &c, 1), 1);
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert_eq(st.blobs, 0, "not alone: young blobs stay");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert_eq(st.blobs, 1, "alone again: everything unreferenced goes");
	cr_assert_eq(st.layers, 1);
	close(pipefd[0]);
	test_store_done(s, root);
}

static void count_problem(const char *problem, void *payload)
{
	(*(int *)payload)++;
}

Test(cache_gc, check_finds_damaged_and_missing_blobs)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char a[BLD_DIGEST_STR_LEN];
	struct bld_cache_layer la;
	image(s, "a", "r/a:1", a, &la);
	struct bld_cache_check_stats st;
	struct bld_error *err = NULL;
	int problems = 0;
	cr_assert_eq(bld_cache_check(s, count_problem, &problems, &st, &err), 0);
	cr_assert_eq(st.problems, 0);
	cr_assert_eq(st.blobs, 3);
	char *p = bld_cache_blob_path(s, la.digest);
	int fd = open(p, O_WRONLY | O_APPEND);
	cr_assert_eq(write(fd, "x", 1), 1);
	close(fd);
	cr_assert_eq(bld_cache_check(s, count_problem, &problems, &st, &err), 0);
	cr_assert_eq(st.damaged, 1);
	unlink(p);
	free(p);
	problems = 0;
	cr_assert_eq(bld_cache_check(s, count_problem, &problems, &st, &err), 0);
	cr_assert_eq(st.missing, 1);
	cr_assert_eq(problems, 1);
	test_store_done(s, root);
}

Test(cache_gc, build_cache_records_keep_their_blobs)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char a[BLD_DIGEST_STR_LEN];
	struct bld_cache_layer la;
	image(s, "a", NULL, a, &la);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_ref_delete_digest(s, a, &err), 0);
	char *dir = xasprintf("%s/cache/build", root);
	cr_assert_eq(bld_fs_mkdir_p(dir, 0700, &err), 0);
	char *rec = xasprintf("{\"blobs\":[\"%s\"]}", la.digest);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(bld_fs_write_atomic(dfd, "0123456789abcdef0123456789abcdef", rec, strlen(rec),
					 0600, &err), 0);
	close(dfd);
	struct bld_cache_gc_stats st;
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert(bld_cache_blob_exists(s, la.digest), "the record's layer stays");
	cr_assert_not(bld_cache_blob_exists(s, a), "the manifest no one names goes");
	free(rec);
	free(dir);
	test_store_done(s, root);
}

Test(cache_gc, resumable_partials_survive_and_abandoned_ones_go)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct bld_error *err = NULL;
	char want[BLD_DIGEST_STR_LEN];
	bld_sha256_digest("0123456789", 10, want);
	struct bld_cache_blob_writer *w = NULL, *anon = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, want, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_write(w, "01234", 5, &err), 0);
	bld_cache_blob_writer_free(w); /* interrupted download */
	/* an anonymous partial whose writer died: no lock held any more */
	char *ing = xasprintf("%s/oci/ingest/anon-999999-0-0.partial", root);
	int fd = open(ing, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	struct bld_cache_gc_stats st;
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert_eq(st.partials, 1, "only the abandoned anonymous partial goes");
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, want, &err), 0);
	cr_assert_eq(bld_cache_blob_writer_offset(w), 5, "the download still resumes");
	bld_cache_blob_writer_free(w);
	cr_assert_eq(bld_cache_blob_writer_new(&anon, s, NULL, &err), 0);
	cr_assert_eq(bld_cache_gc(s, NULL, &st, &err), 0);
	cr_assert_eq(st.partials, 0, "a live writer's partial stays");
	bld_cache_blob_writer_free(anon);
	free(ing);
	test_store_done(s, root);
}
