/*
 * tests/builder/test_snapshot.c — --isolation=chroot's layers: what a step changed in a
 * root, written as the overlay upper directory overlayfs would have made (added and changed
 * entries with their parents, whiteouts, opaque directories, nothing for a name of a file
 * removed beside it).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "builder/builder_int.h"

static char *tmp, *root, *upper;

static void setup(void)
{
	struct bld_error *err = NULL;
	tmp = bld_fs_mkdtemp("bld-test-snap", &err);
	cr_assert(tmp);
	root = bld_path_join(tmp, "root");
	upper = bld_path_join(tmp, "upper");
	cr_assert_eq(mkdir(root, 0755), 0);
	cr_assert_eq(mkdir(upper, 0755), 0);
}

static void teardown(void)
{
	struct bld_error *err = NULL;
	bld_fs_rm_rf(tmp, &err);
	free(tmp);
	free(root);
	free(upper);
}

static void sh(const char *cmd)
{
	char *c = xasprintf("cd '%s' && %s", root, cmd);
	cr_assert_eq(system(c), 0, "%s", cmd);
	free(c);
}

/* before: run in root; snapshot; step: run in root; diff into upper. The entries of upper,
 * sorted, one "PATH TYPE" a line (w: a whiteout in either form). */
static char *diff(const char *before, const char *step, bool *any)
{
	sh(before);
	cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bld_builder_snap *s = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_builder_snap_take(&s, fd, &err), 0);
	sh(step);
	cr_assert_eq(bld_builder_snap_diff(s, fd, upper, any, &err), 0, "%s", err ? err->msg : "");
	bld_builder_snap_free(s);
	char *cmd = xasprintf("cd '%s' && find . -mindepth 1 | sort", upper);
	FILE *p = popen(cmd, "r");
	struct bld_buf out = BLD_BUF_INIT;
	char line[4096];
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		char *path = bld_path_join(upper, line + 2);
		struct stat st;
		cr_assert_eq(lstat(path, &st), 0);
		char v[2];
		bool wh = (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) ||
			  (S_ISREG(st.st_mode) && lgetxattr(path, "user.overlay.whiteout", v, 2) > 0);
		char t = wh ? 'w' : S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : 'o';
		bld_buf_printf(&out, "%s %c\n", line + 2, t);
		free(path);
	}
	pclose(p);
	free(cmd);
	return bld_buf_detach(&out);
}

static bool opaque(const char *rel)
{
	char *p = bld_path_join(upper, rel);
	char v[2];
	bool r = lgetxattr(p, "trusted.overlay.opaque", v, 2) > 0 ||
		 lgetxattr(p, "user.overlay.opaque", v, 2) > 0;
	free(p);
	return r;
}

TestSuite(builder_snapshot, .init = setup, .fini = teardown);

/* before (in the root), step, the upper directory wanted, and which directory is opaque */
static const struct {
	const char *name, *before, *step, *want, *opaque;
} cases[] = {
	{"added, changed and deleted, with their parents",
	 "mkdir -p a b c/d && echo 1 >a/f && echo 2 >b/g && echo 3 >c/d/h",
	 "echo changed >a/f && rm b/g && touch c/d/new",
	 "a d\na/f f\nb d\nb/g w\nc d\nc/d d\nc/d/new f\n", NULL},
	{"nothing changed", "mkdir -p a && echo 1 >a/f", "cat a/f >/dev/null", "", NULL},
	{"a deleted directory is one whiteout", "mkdir -p x/y/z && echo 1 >x/y/z/f", "rm -rf x/y",
	 "x d\nx/y w\n", NULL},
	{"a replaced directory is opaque", "mkdir -p d/e && echo 1 >d/e/f && echo 2 >d/g",
	 "rm -rf d && mkdir d && echo 3 >d/g", "d d\nd/g f\n", "d"},
	{"a file replaced by a directory", "echo 1 >p", "rm p && mkdir p && echo 2 >p/q",
	 "p d\np/q f\n", NULL},
};

Test(builder_snapshot, cases)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cases); i++) {
		if (i)
			teardown(), setup();
		bool any = false;
		char *got = diff(cases[i].before, cases[i].step, &any);
		cr_expect_str_eq(got, cases[i].want, "%s", cases[i].name);
		cr_expect_eq(any, *cases[i].want != '\0', "%s: anything changed", cases[i].name);
		if (cases[i].opaque)
			cr_expect(opaque(cases[i].opaque), "%s: opaque", cases[i].name);
		else
			cr_expect(!opaque("a") && !opaque("x"), "%s: nothing opaque", cases[i].name);
		free(got);
	}
}

/* overlayfs copies nothing up when another name of a lower file goes, and copies the file
 * up when a name is added (link() needs it in the upper directory) */
Test(builder_snapshot, hard_links_as_overlayfs_copies_them_up)
{
	bool any = false;
	char *got = diff("echo 1 >k && ln k k2", "rm k2", &any);
	cr_assert_str_eq(got, "k2 w\n");
	free(got);
	teardown();
	setup();
	got = diff("echo 1 >k", "ln k k3", &any);
	cr_assert_str_eq(got, "k f\nk3 f\n");
	char *a = bld_path_join(upper, "k"), *b = bld_path_join(upper, "k3");
	struct stat sa, sb;
	cr_assert(lstat(a, &sa) == 0 && lstat(b, &sb) == 0);
	cr_assert_eq(sa.st_ino, sb.st_ino, "the layer keeps them linked");
	free(a);
	free(b);
	free(got);
}

Test(builder_snapshot, metadata_only_changes)
{
	bool any = false;
	char *got = diff("mkdir m && echo 1 >m/f && echo 2 >g", "chmod 700 m && chmod 600 g", &any);
	cr_assert_str_eq(got, "g f\nm d\n");
	char *p = bld_path_join(upper, "m");
	struct stat st;
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "the directory's mode is the root's");
	free(p);
	free(got);
}
