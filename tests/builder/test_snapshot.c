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

Test(builder_snapshot, added_changed_deleted_with_parents)
{
	bool any = false;
	char *got = diff("mkdir -p a b c/d && echo 1 >a/f && echo 2 >b/g && echo 3 >c/d/h",
			 "echo changed >a/f && rm b/g && touch c/d/new", &any);
	cr_assert(any);
	cr_assert_str_eq(got, "a d\na/f f\nb d\nb/g w\nc d\nc/d d\nc/d/new f\n");
	cr_assert(!opaque("a"));
	free(got);
}

Test(builder_snapshot, nothing_changed)
{
	bool any = true;
	char *got = diff("mkdir -p a && echo 1 >a/f", "cat a/f >/dev/null", &any);
	cr_assert(!any);
	cr_assert_str_eq(got, "");
	free(got);
}

Test(builder_snapshot, a_deleted_directory_is_one_whiteout)
{
	bool any = false;
	char *got = diff("mkdir -p x/y/z && echo 1 >x/y/z/f", "rm -rf x/y", &any);
	cr_assert_str_eq(got, "x d\nx/y w\n");
	free(got);
}

Test(builder_snapshot, a_replaced_directory_is_opaque)
{
	bool any = false;
	char *got = diff("mkdir -p d/e && echo 1 >d/e/f && echo 2 >d/g",
			 "rm -rf d && mkdir d && echo 3 >d/g", &any);
	cr_assert_str_eq(got, "d d\nd/g f\n");
	cr_assert(opaque("d"));
	free(got);
}

Test(builder_snapshot, a_file_replaced_by_a_directory)
{
	bool any = false;
	char *got = diff("echo 1 >p", "rm p && mkdir p && echo 2 >p/q", &any);
	cr_assert_str_eq(got, "p d\np/q f\n");
	free(got);
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
