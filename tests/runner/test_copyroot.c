/*
 * tests/runner/test_copyroot.c — the copied root where overlayfs is missing: layers in
 * order, whiteouts delete, opaque directories hide what lies below, a file replaces a
 * directory, symlinks kept; and what a container changed in it, written as an overlay upper
 * directory (copydiff.c).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "runner/runner_int.h"

static void put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
	free(p);
}

static char *slurp(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name), *data = NULL;
	size_t len = 0;
	struct bld_error *e = NULL;
	if (bld_fs_read_file(p, 4096, &data, &len, &e) < 0)
		bld_error_free(e);
	free(p);
	return data;
}

/* The file's content is want, or the file is absent when want is NULL. */
static void expect(const char *root, const char *name, const char *want)
{
	char *got = slurp(root, name);
	if (want)
		cr_assert(got && strcmp(got, want) == 0, "%s: want \"%s\", got \"%s\"", name, want,
			  got ? got : "(absent)");
	else
		cr_assert_null(got, "%s should be absent", name);
	free(got);
}

Test(runner_copyroot, layers_whiteouts_and_opaque_dirs)
{
	struct bld_error *e = NULL;
	char *top = bld_fs_mkdtemp("bld-copyroot", &e);
	cr_assert_not_null(top);
	char *l1 = xasprintf("%s/l1", top), *l2 = xasprintf("%s/l2", top);
	char *st = xasprintf("%s/state", top), *d1 = xasprintf("%s/d", l1);
	char *d2 = xasprintf("%s/d", l2);
	cr_assert_eq(mkdir(l1, 0755) | mkdir(l2, 0755) | mkdir(st, 0755) | mkdir(d1, 0755), 0);
	put(l1, "a", "from l1");
	put(l1, "keep", "kept");
	put(d1, "old", "hidden by opaque");
	int l1fd = open(l1, O_DIRECTORY);
	cr_assert_eq(symlinkat("keep", l1fd, "link"), 0);
	close(l1fd);
	put(l2, "b", "from l2");
	char *wh = xasprintf("%s/a", l2);
	cr_assert_eq(mknod(wh, S_IFCHR | 0000, makedev(0, 0)), 0);
	cr_assert_eq(mkdir(d2, 0755), 0);
	int opaque_ok = setxattr(d2, "trusted.overlay.opaque", "y", 1, 0) == 0;
	put(d2, "new", "in l2");
	char *x1 = xasprintf("%s/x", l1);
	cr_assert_eq(mkdir(x1, 0755), 0);
	put(x1, "in-x", "under a directory a file replaces");
	put(l2, "x", "a file now");
	char *lowers[] = {l1, l2, NULL};
	struct bld_runner_spec s = {.lowers = lowers, .state_dir = st};
	char *root = NULL;
	cr_assert_eq(bld_runner_copy_root(&s, &root), 0);
	expect(root, "a", NULL); /* the whiteout deletes it */
	expect(root, "b", "from l2");
	expect(root, "keep", "kept");
	expect(root, "link", "kept");
	expect(root, "d/new", "in l2");
	expect(root, "x", "a file now");
	if (opaque_ok)
		expect(root, "d/old", NULL); /* the opaque dir hides the lower content */
	bld_fs_rm_rf(top, &e);
	free(root), free(wh), free(d2), free(d1), free(st), free(l2), free(l1), free(top), free(x1);
}

static void stat_in(const char *dir, const char *name, struct stat *st)
{
	char *p = xasprintf("%s/%s", dir, name);
	cr_assert_eq(lstat(p, st), 0, "%s missing", p);
	free(p);
}

static bool opaque_in(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	char v[2] = "";
	bool o = lgetxattr(p, "trusted.overlay.opaque", v, 1) == 1 ||
		 lgetxattr(p, "user.overlay.opaque", v, 1) == 1;
	free(p);
	return o && v[0] == 'y';
}

static void sh_in(const char *dir, const char *script)
{
	char *cmd = xasprintf("cd '%s' && %s", dir, script);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
}

Test(runner_copyroot, a_containers_changes_as_an_upper_directory)
{
	struct bld_error *e = NULL;
	char *top = bld_fs_mkdtemp("bld-copydiff", &e);
	cr_assert_not_null(top);
	char *l1 = xasprintf("%s/l1", top), *st = xasprintf("%s/state", top);
	char *up = xasprintf("%s/up", top);
	cr_assert_eq(mkdir(l1, 0755) | mkdir(st, 0755) | mkdir(up, 0755), 0);
	sh_in(l1, "mkdir -p d e keep2 && echo o >d/old && echo f >f && echo g >g && echo x >e/x && "
		  "echo k >keep && touch -d 2020-01-01 f g keep e/x d/old");
	char *lowers[] = {l1, NULL};
	struct bld_runner_spec s = {.lowers = lowers, .state_dir = st};
	char *root = NULL;
	cr_assert_eq(bld_runner_copy_root(&s, &root), 0);
	usleep(20000); /* what the container makes is born after the copy was complete */
	sh_in(root, "echo n >new && rm f && rm -rf d && mkdir d && echo n >d/n && ln g g2 && "
		    "rm keep && mkdir keep && rmdir keep2 && chmod 700 e");
	cr_assert_eq(bld_runner_copy_diff(root, lowers, up, &e), 0, "%s", e ? e->msg : "");
	struct stat a, b;
	stat_in(up, "new", &a);
	stat_in(root, "new", &b);
	cr_assert_eq(a.st_ino, b.st_ino, "an added file: a hard link to the copy's");
	stat_in(up, "f", &a);
	bool xwh = S_ISREG(a.st_mode) && a.st_size == 0;
	cr_assert(xwh || (S_ISCHR(a.st_mode) && a.st_rdev == makedev(0, 0)), "f: a whiteout");
	stat_in(up, "keep2", &a);
	cr_assert(S_ISCHR(a.st_mode) || S_ISREG(a.st_mode), "a removed directory: a whiteout");
	struct statx sx;
	bool btime = statx(AT_FDCWD, up, 0, STATX_BTIME, &sx) == 0 &&
		     (sx.stx_mask & STATX_BTIME) && sx.stx_btime.tv_sec;
	/* made again (born after the copy) where birth times are kept, else entry by entry */
	cr_assert_eq(opaque_in(up, "d"), btime, "d removed and made again: opaque");
	if (btime) {
		expect(up, "d/old", NULL);
	} else {
		stat_in(up, "d/old", &a);
		cr_assert(S_ISCHR(a.st_mode) || S_ISREG(a.st_mode), "d/old: a whiteout");
	}
	expect(up, "d/n", "n\n");
	cr_assert(opaque_in(up, "keep"), "a directory where a file was: opaque");
	stat_in(up, "g", &a);
	stat_in(up, "g2", &b);
	cr_assert_eq(a.st_ino, b.st_ino, "a hard link made: both names, one inode");
	stat_in(up, "e", &a);
	cr_assert_eq(a.st_mode & 07777, 0700, "a directory's mode changed: in upper, as the copy's");
	expect(up, "e/x", NULL); /* unchanged below it */
	bld_fs_rm_rf(top, &e);
	free(root), free(up), free(st), free(l1), free(top);
}
