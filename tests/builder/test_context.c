/*
 * tests/builder/test_context.c — build contexts: the index order, COPY source selection,
 * fingerprints, the persistent stat cache (an unchanged file is never read twice), the
 * Dockerfile lookup rules, and stdin/tar and git contexts.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "builder/builder_int.h"

static char *tmp;

static void setup(void)
{
	struct bld_error *err = NULL;
	tmp = bld_fs_mkdtemp("bld-test-ctx", &err);
	cr_assert(tmp);
}

static void teardown(void)
{
	struct bld_error *err = NULL;
	bld_fs_rm_rf(tmp, &err);
	free(tmp);
}

static void put(const char *rel, const char *content)
{
	char *p = bld_path_join(tmp, rel);
	char *dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	struct bld_error *err = NULL;
	cr_assert_eq(bld_fs_mkdir_p(dir, 0755, &err), 0);
	FILE *f = fopen(p, "w");
	cr_assert(f, "%s", p);
	fputs(content, f);
	fclose(f);
	free(dir);
	free(p);
}

static void sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static struct bld_builder_context *open_ctx(const char *statdir)
{
	struct bld_builder_context *c = NULL;
	struct bld_error *err = NULL;
	int r = bld_builder_context_open(&c, tmp, NULL, statdir, &err);
	cr_assert_eq(r, 0, "open: %s", err ? err->msg : "");
	return c;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* Key of "COPY <pat>" sources: what the builder hashes for the step. */
static void key_of(struct bld_builder_context *c, const char *pat, char out[BLD_XXH_HEX_LEN + 1])
{
	char *pats[] = {(char *)pat, NULL};
	struct bld_builder_ctx_sources s;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_builder_ctx_select(c, pats, &s, &err), 0, "select %s: %s", pat,
		     err ? err->msg : "");
	struct bld_xxh *h = bld_xxh_new();
	cr_assert_eq(bld_builder_ctx_sources_hash(c, &s, h, &err), 0);
	bld_xxh_final(h, out);
	bld_builder_ctx_sources_dispose(&s);
}

TestSuite(builder_context, .init = setup, .fini = teardown);

Test(builder_context, path_order_keeps_subtrees_contiguous)
{
	cr_assert_lt(bld_builder_ctx_path_cmp("a/z", "a-b"), 0);
	cr_assert_lt(bld_builder_ctx_path_cmp("a", "a/b"), 0);
	cr_assert_gt(bld_builder_ctx_path_cmp("a.b", "a/b"), 0);
	cr_assert_eq(bld_builder_ctx_path_cmp("x/y", "x/y"), 0);
	put("Dockerfile", "FROM scratch\n");
	put("a/x", "1");
	put("a-b", "2");
	put("a/sub/y", "3");
	put("b", "4");
	struct bld_builder_context *c = open_ctx(NULL);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_builder_ctx_walk(c, &err), 0);
	size_t first, end;
	bld_builder_ctx_subtree(c, "a", &first, &end);
	cr_assert_eq(end - first, 3, "a has x, sub, sub/y");
	cr_assert_str_eq(c->ents[first].path, "a/sub");
	cr_assert_str_eq(c->ents[end - 1].path, "a/x");
	cr_assert_not_null(bld_builder_ctx_lookup(c, "a-b"));
	cr_assert_null(bld_builder_ctx_lookup(c, "nope"));
	bld_builder_context_free(c);
}

Test(builder_context, selection_follows_docker_rules)
{
	put("Dockerfile", "FROM scratch\n");
	put("src/a.c", "a");
	put("src/b.c", "b");
	put("src/b.h", "h");
	put(".hidden.c", "x");
	char *link = bld_path_join(tmp, "link");
	cr_assert_eq(symlink("src/a.c", link), 0);
	free(link);
	struct bld_builder_context *c = open_ctx(NULL);
	struct bld_error *err = NULL;
	char *pats[] = {"src/*.c", "/../link", "*.c", NULL};
	struct bld_builder_ctx_sources s;
	cr_assert_eq(bld_builder_ctx_select(c, pats, &s, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(s.n, 4);
	cr_assert_str_eq(s.v[0].path, "src/a.c");
	cr_assert_str_eq(s.v[1].path, "src/b.c");
	cr_assert_str_eq(s.v[2].name, "link");
	cr_assert_str_eq(s.v[2].path, "src/a.c", "a final symlink is followed");
	cr_assert_str_eq(s.v[3].path, ".hidden.c", "wildcards match dotfiles");
	bld_builder_ctx_sources_dispose(&s);
	char *missing[] = {"nope.txt", NULL};
	cr_assert_lt(bld_builder_ctx_select(c, missing, &s, &err), 0);
	cr_assert_eq(err->code, BLD_E_NOTFOUND);
	cr_assert_str_eq(err->msg, "\"/nope.txt\": not found");
	bld_error_free(err);
	err = NULL;
	char *none[] = {"*.go", NULL};
	cr_assert_eq(
	    bld_builder_ctx_select(c, none, &s, &err), 0,
	    "a wildcard that matches nothing selects nothing (BuildKit's AllowEmptyWildcard)");
	cr_assert_eq(s.n, 0);
	bld_builder_ctx_sources_dispose(&s);
	bld_builder_context_free(c);
}

Test(builder_context, key_covers_content_mode_and_names_but_not_mtime)
{
	put("Dockerfile", "FROM scratch\n");
	put("app/run.sh", "echo hi\n");
	put("other", "x");
	char k1[33], k2[33], k3[33], k4[33], k5[33], ko[33];
	struct bld_builder_context *c = open_ctx(NULL);
	key_of(c, "app", k1);
	key_of(c, "other", ko);
	bld_builder_context_free(c);

	char *p = bld_path_join(tmp, "app/run.sh");
	struct timespec ts[2] = {{1000, 0}, {1000, 0}};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	c = open_ctx(NULL);
	key_of(c, "app", k2);
	bld_builder_context_free(c);
	cr_assert_str_eq(k1, k2, "mtime alone does not change the key (as BuildKit)");

	cr_assert_eq(chmod(p, 0700), 0);
	c = open_ctx(NULL);
	key_of(c, "app", k3);
	bld_builder_context_free(c);
	cr_assert_str_neq(k2, k3, "mode is in the key");

	put("app/run.sh", "echo ho\n");
	cr_assert_eq(chmod(p, 0700), 0);
	c = open_ctx(NULL);
	key_of(c, "app", k4);
	key_of(c, "other", k5);
	bld_builder_context_free(c);
	cr_assert_str_neq(k3, k4, "content is in the key");
	cr_assert_str_eq(ko, k5, "a file not copied does not change the key");
	free(p);
}

Test(builder_context, stat_cache_reads_an_unchanged_file_once)
{
	put("Dockerfile", "FROM scratch\n");
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof(name), "d/f%02d", i);
		put(name, name);
	}
	sleep_ms(2 * BLD_STATCACHE_RACY_NS / 1000000);
	char *statdir = bld_path_join(tmp, ".statcache");
	char k1[33], k2[33], k3[33];
	struct bld_builder_context *c = open_ctx(statdir);
	key_of(c, "d", k1);
	cr_assert_eq(c->files_hashed, 20);
	bld_builder_context_free(c);

	c = open_ctx(statdir);
	key_of(c, "d", k2);
	cr_assert_eq(c->files_hashed, 0, "every file came from the stat cache");
	bld_builder_context_free(c);
	cr_assert_str_eq(k1, k2);

	put("d/f07", "changed");
	c = open_ctx(statdir);
	key_of(c, "d", k3);
	cr_assert_eq(c->files_hashed, 1, "only the changed file is read");
	bld_builder_context_free(c);
	cr_assert_str_neq(k1, k3);
	free(statdir);
}

Test(builder_context, racy_files_are_not_trusted_from_disk)
{
	put("Dockerfile", "FROM scratch\n");
	put("f", "one");
	char *statdir = bld_path_join(tmp, ".statcache");
	char k1[33];
	struct bld_builder_context *c = open_ctx(statdir);
	key_of(c, "f", k1);
	bld_builder_context_free(c);
	c = open_ctx(statdir);
	key_of(c, "f", k1);
	cr_assert_eq(c->files_hashed, 1, "a file changed just before it was read is read again");
	bld_builder_context_free(c);
	free(statdir);
}

Test(builder_context, dockerfile_lookup_and_errors)
{
	struct bld_builder_context *c = NULL;
	struct bld_error *err = NULL;
	cr_assert_lt(bld_builder_context_open(&c, tmp, NULL, NULL, &err), 0);
	cr_assert_eq(err->code, BLD_E_NOTFOUND);
	cr_assert(strstr(err->msg, "Dockerfile"), "%s", err->msg);
	bld_error_free(err);
	err = NULL;
	put("dockerfile", "FROM lower\n");
	cr_assert_eq(bld_builder_context_open(&c, tmp, NULL, NULL, &err), 0);
	cr_assert_str_eq(bld_builder_context_dockerfile(c, NULL), "FROM lower\n");
	bld_builder_context_free(c);

	put("sub/Other", "FROM other\n");
	cr_assert_eq(chdir(tmp), 0);
	cr_assert_eq(bld_builder_context_open(&c, "/", "sub/Other", NULL, &err), 0,
		     "-f is relative to the current directory");
	cr_assert_str_eq(bld_builder_context_dockerfile(c, NULL), "FROM other\n");
	bld_builder_context_free(c);

	cr_assert_lt(bld_builder_context_open(&c, "/nonexistent/ctx", NULL, NULL, &err), 0);
	cr_assert_str_eq(err->msg, "unable to prepare context: path \"/nonexistent/ctx\" not found");
	bld_error_free(err);
}

Test(builder_context, stdin_takes_a_dockerfile_or_a_tar)
{
	put("Dockerfile", "FROM stdin\n");
	put("x/y", "data");
	char *tarfile = xasprintf("%s.tgz", tmp);
	char *tf = xasprintf("tar -C %s -czf %s.tgz .", tmp, tmp);
	sh(tf);
	int fd = open(tarfile, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, 0), 0);
	struct bld_builder_context *c = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_builder_context_open(&c, "-", NULL, NULL, &err), 0, "%s",
		     err ? err->msg : "");
	cr_assert_str_eq(bld_builder_context_dockerfile(c, NULL), "FROM stdin\n");
	char *pats[] = {"x/y", NULL};
	struct bld_builder_ctx_sources s;
	cr_assert_eq(bld_builder_ctx_select(c, pats, &s, &err), 0);
	bld_builder_ctx_sources_dispose(&s);
	char *scratch = xstrdup(c->tmpdir);
	bld_builder_context_free(c);
	cr_assert_neq(access(scratch, F_OK), 0, "the scratch directory is removed");

	char *df = bld_path_join(tmp, "Dockerfile");
	fd = open(df, O_RDONLY);
	cr_assert_eq(dup2(fd, 0), 0);
	cr_assert_eq(bld_builder_context_open(&c, "-", NULL, NULL, &err), 0);
	cr_assert_str_eq(bld_builder_context_dockerfile(c, NULL), "FROM stdin\n");
	cr_assert_eq(bld_builder_ctx_walk(c, &err), 0);
	cr_assert_eq(c->n_ents, 0, "a Dockerfile alone comes with an empty context");
	bld_builder_context_free(c);
	unlink(tarfile);
	free(tarfile);
	free(tf);
	free(df);
	free(scratch);
}

Test(builder_context, git_url_with_ref_and_subdir)
{
	cr_assert(bld_builder_git_is_url("https://example.com/r.git#main:sub"));
	cr_assert(bld_builder_git_is_url("git@github.com:a/b.git"));
	cr_assert(bld_builder_git_is_url("github.com/a/b"));
	cr_assert(!bld_builder_git_is_url("https://example.com/ctx.tar.gz"));
	cr_assert(!bld_builder_git_is_url("./dir"));
	put("repo/sub/Dockerfile", "FROM v1\n");
	char *cmd = xasprintf(
		"cd %s/repo && git init -q -b main . && git add -A && "
		"git -c user.name=t -c user.email=t@t commit -qm one && git tag v1 && "
		"echo 'FROM v2' > sub/Dockerfile && git -c user.name=t -c user.email=t@t commit "
		"-qam two",
		tmp);
	sh(cmd);
	free(cmd);
	struct bld_builder_context *c = NULL;
	struct bld_error *err = NULL;
	char *url = xasprintf("file://%s/repo#v1:sub", tmp);
	cr_assert_eq(bld_builder_context_open(&c, url, NULL, NULL, &err), 0, "%s",
		     err ? err->msg : "");
	cr_assert_str_eq(bld_builder_context_dockerfile(c, NULL), "FROM v1\n");
	cr_assert_eq(c->kind, BLD_BUILDER_CONTEXT_GIT);
	bld_builder_context_free(c);
	free(url);
	url = xasprintf("file://%s/repo#main:sub", tmp);
	cr_assert_eq(bld_builder_context_open(&c, url, NULL, NULL, &err), 0);
	cr_assert_str_eq(bld_builder_context_dockerfile(c, NULL), "FROM v2\n");
	cr_assert_null(bld_builder_ctx_lookup(c, ".git"));
	bld_builder_context_free(c);
	free(url);
	url = xasprintf("file://%s/nothere#main", tmp);
	cr_assert_lt(bld_builder_context_open(&c, url, NULL, NULL, &err), 0);
	cr_assert(strstr(err->msg, "unable to prepare context"), "%s", err->msg);
	bld_error_free(err);
	free(url);
}

Test(builder_context, dockerignore_excludes_and_exceptions)
{
	put("Dockerfile", "FROM scratch\n");
	put(".dockerignore", "*.log\nbuild\n!build/keep\nsecret/\n");
	put("a.log", "x");
	put("app/b.log", "y");
	put("build/out", "o");
	put("build/keep", "k");
	put("secret/key", "s");
	put("src/main.c", "m");
	struct bld_builder_context *c = open_ctx(NULL);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_builder_ctx_walk(c, &err), 0, "%s", err ? err->msg : "");
	cr_assert_null(bld_builder_ctx_lookup(c, "a.log"));
	cr_assert_not_null(bld_builder_ctx_lookup(c, "app/b.log"),
			   "*.log matches at the root only");
	cr_assert_null(bld_builder_ctx_lookup(c, "build/out"));
	cr_assert_not_null(bld_builder_ctx_lookup(c, "build/keep"), "an exception re-includes");
	cr_assert_not_null(bld_builder_ctx_lookup(c, "build"), "as the parent of what came back");
	cr_assert_null(bld_builder_ctx_lookup(c, "secret"));
	cr_assert_null(bld_builder_ctx_lookup(c, "secret/key"));
	cr_assert_not_null(bld_builder_ctx_lookup(c, "src/main.c"));
	char *pats[] = {"a.log", NULL};
	struct bld_builder_ctx_sources s;
	cr_assert_lt(bld_builder_ctx_select(c, pats, &s, &err), 0,
		     "an excluded file cannot be copied");
	bld_error_free(err);
	bld_builder_context_free(c);
}

Test(builder_context, ignored_files_never_change_a_key)
{
	put("Dockerfile", "FROM scratch\n");
	put(".dockerignore", "tmp\n");
	put("tmp/scratch", "1");
	put("app/x", "x");
	char k1[33], k2[33];
	struct bld_builder_context *c = open_ctx(NULL);
	key_of(c, ".", k1);
	bld_builder_context_free(c);
	put("tmp/scratch", "2");
	put("tmp/new", "3");
	c = open_ctx(NULL);
	key_of(c, ".", k2);
	bld_builder_context_free(c);
	cr_assert_str_eq(k1, k2);
}

Test(builder_context, dockerfile_specific_ignore_file_wins)
{
	put("Dockerfile", "FROM scratch\n");
	put("Dockerfile.dockerignore", "only-this\n");
	put(".dockerignore", "*\n");
	put("only-this", "1");
	put("kept", "2");
	struct bld_builder_context *c = open_ctx(NULL);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_builder_ctx_walk(c, &err), 0);
	cr_assert_null(bld_builder_ctx_lookup(c, "only-this"));
	cr_assert_not_null(bld_builder_ctx_lookup(c, "kept"), ".dockerignore is ignored entirely");
	bld_builder_context_free(c);
}

Test(builder_context, a_damaged_stat_cache_is_ignored_not_trusted)
{
	put("Dockerfile", "FROM scratch\n");
	put("f", "content");
	sleep_ms(2 * BLD_STATCACHE_RACY_NS / 1000000);
	char *statdir = bld_path_join(tmp, ".statcache");
	char k1[33], k2[33];
	struct bld_builder_context *c = open_ctx(statdir);
	key_of(c, "f", k1);
	bld_builder_context_free(c);
	/* overwrite every record's hash: a reader that trusted it would get another key */
	struct bld_error *err = NULL;
	char name[BLD_XXH_HEX_LEN + 1];
	bld_xxh_digest(tmp, strlen(tmp), name);
	char *file = bld_path_join(statdir, name);
	char *data = NULL;
	size_t len = 0;
	cr_assert_eq(bld_fs_read_file(file, 1 << 20, &data, &len, &err), 0);
	char *rec = data + strlen("bld-statcache 1\n");
	rec[0] = 'X'; /* not hex any more */
	FILE *f = fopen(file, "w");
	fwrite(data, 1, len, f);
	fclose(f);
	c = open_ctx(statdir);
	key_of(c, "f", k2);
	cr_assert_eq(c->files_hashed, 1, "the damaged record was not used");
	bld_builder_context_free(c);
	cr_assert_str_eq(k1, k2);
	free(data);
	free(file);
	free(statdir);
}
