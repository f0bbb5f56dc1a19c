/*
 * tests/runner/test_copyroot.c — the copied root where overlayfs is missing: layers in
 * order, whiteouts delete, opaque directories hide what lies below, symlinks kept.
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
	char *lowers[] = {l1, l2, NULL};
	struct bld_runner_spec s = {.lowers = lowers, .state_dir = st};
	char *root = NULL;
	cr_assert_eq(bld_runner_copy_root(&s, &root), 0);
	expect(root, "a", NULL); /* the whiteout deletes it */
	expect(root, "b", "from l2");
	expect(root, "keep", "kept");
	expect(root, "link", "kept");
	expect(root, "d/new", "in l2");
	if (opaque_ok)
		expect(root, "d/old", NULL); /* the opaque dir hides the lower content */
	bld_fs_rm_rf(top, &e);
	free(root), free(wh), free(d2), free(d1), free(st), free(l2), free(l1), free(top);
}
