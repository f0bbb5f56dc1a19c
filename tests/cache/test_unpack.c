/*
 * tests/cache/test_unpack.c — layer extraction is confined to its target: hand-made
 * malicious tars ("..", absolute paths, symlink and hardlink escapes, device nodes for
 * non-root, overlay xattrs) land inside or fail; whiteouts and opaque markers become
 * what overlayfs reads; a diff ID mismatch leaves no layer directory behind; a layer's size
 * counted while extracting equals what the walk of its directory finds.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "tests/cache/helpers.h"
#include "tests/cache/tarmaker.h"

/* A sandbox dir holding a sentinel file and an empty target dir. */
static char *sandbox(char **target)
{
	struct bld_error *err = NULL;
	char *box = bld_fs_mkdtemp("bld-unpack", &err);
	cr_assert(box);
	*target = xasprintf("%s/t/a/r", box);
	cr_assert_eq(bld_fs_mkdir_p(*target, 0755, &err), 0);
	char *s = xasprintf("%s/sentinel", box);
	FILE *f = fopen(s, "w");
	fputs("safe", f);
	fclose(f);
	free(s);
	return box;
}

static bool exists(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	bool r = lstat(p, &st) == 0;
	free(p);
	return r;
}

static void assert_sentinel(const char *box)
{
	char *p = xasprintf("%s/sentinel", box), *data = NULL;
	cr_assert_eq(bld_fs_read_file(p, 100, &data, NULL, NULL), 0);
	cr_assert_str_eq(data, "safe");
	free(data);
	free(p);
	/* nothing new next to target's ancestors */
	cr_assert_eq(test_count_dir(box), 2);
}

Test(cache_unpack, dotdot_and_absolute_paths_stay_inside)
{
	char *target, *box = sandbox(&target);
	struct tm_entry v[] = {
		{"../../../escape1", 'f', "x", NULL},
		{"/abs/escape2", 'f', "y", NULL},
		{"a/../../escape3", 'f', "z", NULL},
	};
	int fd = tm_make(v, 3, true);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_extract_fd(fd, target, NULL, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	cr_assert(exists(target, "escape1"));
	cr_assert(exists(target, "abs/escape2"));
	cr_assert(exists(target, "escape3"));
	assert_sentinel(box);
	bld_fs_rm_rf(box, NULL);
	free(box);
	free(target);
}

Test(cache_unpack, symlink_parents_resolve_inside)
{
	char *target, *box = sandbox(&target);
	struct tm_entry v[] = {
		{"up", 'l', "../../../..", NULL},
		{"up/escape1", 'f', "x", NULL},
		{"root", 'l', "/", NULL},
		{"root/sentinel", 'f', "pwned", NULL},
		{"t/", 'd', NULL, NULL},
		{"deep", 'l', "/../../t", NULL},
		{"deep/x", 'f', "x", NULL},
	};
	int fd = tm_make(v, 7, false);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_extract_fd(fd, target, NULL, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	cr_assert(exists(target, "escape1"));
	cr_assert(exists(target, "sentinel"));
	cr_assert(exists(target, "t/x"));
	assert_sentinel(box);
	bld_fs_rm_rf(box, NULL);
	free(box);
	free(target);
}

Test(cache_unpack, hardlinks_cannot_point_outside)
{
	char *target, *box = sandbox(&target);
	struct tm_entry v[] = {{"hl", 'h', "../../../sentinel", NULL}};
	int fd = tm_make(v, 1, false);
	struct bld_error *err = NULL;
	cr_assert_lt(bld_cache_layer_extract_fd(fd, target, NULL, &err), 0);
	bld_error_free(err);
	close(fd);
	cr_assert_not(exists(target, "hl"));
	/* a hardlink to a symlink that points out links the symlink, never its target */
	char *t2 = xasprintf("%s/t/a/r2", box);
	mkdir(t2, 0755);
	struct tm_entry w[] = {
		{"s", 'l', "../../../sentinel", NULL},
		{"h", 'h', "s", NULL},
		{"root", 'l', "/", NULL},
		{"h2", 'h', "root/../../sentinel", NULL},
	};
	fd = tm_make(w, 4, false);
	err = NULL;
	cr_assert_lt(bld_cache_layer_extract_fd(fd, t2, NULL, &err), 0, "h2 must fail");
	bld_error_free(err);
	close(fd);
	char *h = xasprintf("%s/h", t2);
	struct stat st;
	cr_assert_eq(lstat(h, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	free(h);
	free(t2);
	assert_sentinel(box);
	bld_fs_rm_rf(box, NULL);
	free(box);
	free(target);
}

Test(cache_unpack, whiteouts_become_overlay_markers)
{
	char *target, *box = sandbox(&target);
	struct tm_entry v[] = {
		{"d/", 'd', NULL, NULL},
		{"d/.wh..wh..opq", 'f', NULL, NULL},
		{"d/keep", 'f', "k", NULL},
		{".wh.gone", 'f', NULL, NULL},
		{"x/.wh.y", 'f', NULL, NULL},
	};
	int fd = tm_make(v, 5, true);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_extract_fd(fd, target, NULL, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	char *p = xasprintf("%s/gone", target);
	struct stat st;
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	free(p);
	p = xasprintf("%s/d", target);
	char val[8] = "";
	const char *attr = geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque";
	cr_assert_eq(lgetxattr(p, attr, val, sizeof(val)), 1);
	cr_assert_eq(val[0], 'y');
	free(p);
	cr_assert(exists(target, "d/keep"));
	cr_assert(exists(target, "x/y"));
	cr_assert_not(exists(target, ".wh.gone"));
	bld_fs_rm_rf(box, NULL);
	free(box);
	free(target);
}

Test(cache_unpack, overlay_xattrs_from_the_tar_are_ignored)
{
	char *target, *box = sandbox(&target);
	struct tm_entry v[] = {
		{"evil", 'f', "x", "trusted.overlay.redirect=/etc"},
		{"fine", 'f', "x", "user.bld.test=1"},
	};
	int fd = tm_make(v, 2, false);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_extract_fd(fd, target, NULL, &err), 0);
	close(fd);
	char *p = xasprintf("%s/evil", target), val[16];
	cr_assert_lt(lgetxattr(p, "trusted.overlay.redirect", val, sizeof(val)), 0);
	free(p);
	bld_fs_rm_rf(box, NULL);
	free(box);
	free(target);
}

Test(cache_unpack, device_nodes_only_for_root)
{
	char *target, *box = sandbox(&target);
	chmod(target, 0777);
	chmod(box, 0755);
	struct tm_entry v[] = {{"null", 'c', NULL, NULL}, {"f", 'f', "x", NULL}};
	int fd = tm_make(v, 2, false);
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		struct bld_error *err = NULL;
		_exit(bld_cache_layer_extract_fd(fd, target, NULL, &err) == 0 ? 0 : 2);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	close(fd);
	char *parents = xasprintf("%s/t", box);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	cr_assert_not(exists(target, "null"));
	cr_assert(exists(target, "f"));
	free(parents);
	bld_fs_rm_rf(box, NULL);
	free(box);
	free(target);
}

Test(cache_unpack, diff_id_mismatch_leaves_no_layer)
{
	char *root;
	struct bld_store *s = test_store(&root);
	struct tm_entry v[] = {{"f", 'f', "content", NULL}};
	int fd = tm_make(v, 1, true);
	struct bld_cache_blob_writer *w = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_blob_writer_new(&w, s, NULL, &err), 0);
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(bld_cache_blob_writer_write(w, buf, (size_t)n, &err), 0);
	char d[BLD_DIGEST_STR_LEN], wrong[BLD_DIGEST_STR_LEN];
	cr_assert_eq(bld_cache_blob_writer_commit(w, d, &err), 0);
	bld_cache_blob_writer_free(w);
	close(fd);
	bld_sha256_digest("not the tar", 11, wrong);
	char *dir = NULL;
	cr_assert_eq(bld_cache_layer_unpack(s, d, wrong, wrong, &dir, &err), -BLD_E_DIGEST);
	bld_error_free(err);
	char *layers = xasprintf("%s/layers", root);
	cr_assert_eq(test_count_dir(layers), 0);
	free(layers);
	test_store_done(s, root);
}

/* A later entry replaces an earlier one of the same name whatever the two types are: a
 * directory over a symlink is made in place (never followed), a file over a directory or a
 * symlink replaces it, and a plain file keeps the tar's mode. */
Test(cache_unpack, later_entries_replace_earlier_ones)
{
	char *target, *box = sandbox(&target);
	struct tm_entry v[] = {
		{"a", 'l', "../../..", NULL}, {"a", 'd', NULL, NULL},  {"a/x", 'f', "in", NULL},
		{"f", 'f', "one", NULL},      {"f", 'd', NULL, NULL},  {"f/y", 'f', "y", NULL},
		{"g", 'd', NULL, NULL},       {"g", 'f', "gfile", NULL}, {"h", 'f', "old", NULL},
		{"h", 'f', "new", NULL},      {"s", 'l', "h", NULL},   {"s", 'f', "s", NULL},
		{"l", 'f', "l", NULL},        {"l", 'h', "h", NULL},
	};
	int fd = tm_make(v, 14, false);
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_extract_fd(fd, target, NULL, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	struct stat st;
	char *p = xasprintf("%s/a", target);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	free(p);
	cr_assert(exists(target, "a/x") && exists(target, "f/y"));
	const char *want[][2] = {{"g", "gfile"}, {"h", "new"}, {"s", "s"}, {"l", "new"}};
	for (size_t i = 0; i < 4; i++) {
		char *data = NULL;
		p = xasprintf("%s/%s", target, want[i][0]);
		cr_assert_eq(lstat(p, &st), 0);
		cr_assert(S_ISREG(st.st_mode), "%s", want[i][0]);
		cr_assert_eq(st.st_mode & 07777, 0644, "%s mode %o", want[i][0], st.st_mode & 07777);
		cr_assert_eq(bld_fs_read_file(p, 100, &data, NULL, NULL), 0);
		cr_assert_str_eq(data, want[i][1]);
		free(data);
		free(p);
	}
	assert_sentinel(box);
	bld_fs_rm_rf(box, NULL);
	free(box);
	free(target);
}

/* A layer of entries stored as a blob and unpacked into s; *diff is its diff ID. */
static void unpack_stored(struct bld_store *s, const struct tm_entry *v, size_t n,
			  char diff[BLD_DIGEST_STR_LEN])
{
	struct bld_error *err = NULL;
	char *tar = NULL, *gz = NULL, digest[BLD_DIGEST_STR_LEN];
	size_t tn, gn;
	int fd = tm_make(v, n, false);
	cr_assert_eq(bld_fs_read_fd(fd, 1 << 20, &tar, &tn, &err), 0);
	close(fd);
	bld_sha256_digest(tar, tn, diff);
	fd = tm_make(v, n, true);
	cr_assert_eq(bld_fs_read_fd(fd, 1 << 20, &gz, &gn, &err), 0);
	close(fd);
	cr_assert_eq(bld_cache_blob_put(s, gz, gn, digest, &err), 0);
	char *dir = NULL;
	cr_assert_eq(bld_cache_layer_unpack(s, digest, diff, diff, &dir, &err), 0, "%s",
		     err ? err->msg : "");
	free(dir);
	free(tar);
	free(gz);
}

/* The size recorded on layers/<diff> by the unpack itself, or -1. */
static long long recorded_size(const char *root, const char *diff)
{
	char *p = xasprintf("%s/layers/%s", root, diff + 7), v[32];
	ssize_t n = getxattr(p, "user.bld.size", v, sizeof(v) - 1);
	free(p);
	if (n < 0)
		return -1;
	v[n] = '\0';
	return strtoll(v, NULL, 10);
}

/* images' size of a layer is counted while it is extracted, the same as the walk of its
 * directory finds (files, symlinks' targets, hardlinked files once), so no walk is made */
Test(cache_unpack, layer_size_counted_while_extracting)
{
	char *root, diff[BLD_DIGEST_STR_LEN];
	struct bld_store *s = test_store(&root);
	struct tm_entry v[] = {
		{"etc/", 'd', NULL, NULL},      {"etc/hostname", 'f', "hello", NULL},
		{"bin/sh", 'f', "#!/bin/true\n", NULL}, {"sh", 'l', "bin/sh", NULL},
		{"sh2", 'h', "bin/sh", NULL},   {"empty", 'f', NULL, NULL},
	};
	unpack_stored(s, v, 6, diff);
	long long counted = recorded_size(root, diff);
	cr_assert_eq(counted, 5 + 12 + 6, "recorded at unpack: %lld", counted);
	char *p = xasprintf("%s/layers/%s", root, diff + 7);
	cr_assert_eq(removexattr(p, "user.bld.size"), 0);
	free(p);
	cr_assert_eq(bld_cache_layer_dir_size(s, diff), counted, "the walk finds the same");
	test_store_done(s, root);
}

/* entries that replace earlier ones make the count unreliable: the walk decides then */
Test(cache_unpack, layer_size_after_replaced_entries)
{
	char *root, diff[BLD_DIGEST_STR_LEN];
	struct bld_store *s = test_store(&root);
	struct tm_entry v[] = {
		{"a", 'f', "12345", NULL}, {"a", 'f', "xy", NULL}, {"b", 'f', "abc", NULL},
		{"c", 'h', "b", NULL},     {"b", 'f', "zz", NULL},
	};
	unpack_stored(s, v, 5, diff);
	/* a "xy", b "zz", c the old b "abc", now linked once */
	cr_assert_eq(bld_cache_layer_dir_size(s, diff), 2 + 2 + 3);
	test_store_done(s, root);
}
