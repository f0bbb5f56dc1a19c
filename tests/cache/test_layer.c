/*
 * tests/cache/test_layer.c — making layers: a tree survives a round trip through a layer
 * (content, modes, symlinks, hardlinks, xattrs), the same tree gives the same digests,
 * SOURCE_DATE_EPOCH clamps timestamps, overlay uppers turn into OCI whiteouts, and the
 * diff ID is the digest of the uncompressed tar.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <utime.h>

#include "tests/cache/helpers.h"

static void write_file(const char *dir, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	cr_assert(f, "%s", p);
	fputs(text, f);
	fclose(f);
	free(p);
}

static char *make_tree(void)
{
	char *d = bld_fs_mkdtemp("bld-layer-src", NULL);
	char *p = xasprintf("%s/sub/deeper", d);
	bld_fs_mkdir_p(p, 0755, NULL);
	free(p);
	write_file(d, "a.txt", "alpha");
	write_file(d, "sub/b.txt", "beta");
	p = xasprintf("%s/sub/b.txt", d);
	char *q = xasprintf("%s/hard", d);
	cr_assert_eq(link(p, q), 0);
	chmod(p, 04755);
	setxattr(p, "user.bld", "v", 1, 0);
	free(p);
	free(q);
	p = xasprintf("%s/link", d);
	cr_assert_eq(symlink("sub/b.txt", p), 0);
	free(p);
	return d;
}

static char *read_rel(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel), *data = NULL;
	cr_assert_eq(bld_fs_read_file(p, 1000, &data, NULL, NULL), 0, "%s", p);
	free(p);
	return data;
}

Test(cache_layer, tree_round_trips)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char *src = make_tree();
	struct bld_cache_layer l;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_from_dir(s, src, NULL, &l, &err), 0, "%s", err ? err->msg : "");
	cr_assert(bld_cache_blob_exists(s, l.digest));
	cr_assert_eq(bld_cache_blob_size(s, l.digest), l.size);
	/* the diff ID is the digest of the gunzipped blob */
	char *bp = bld_cache_blob_path(s, l.digest);
	char *cmd = xasprintf("gzip -dc '%s' | sha256sum", bp);
	FILE *pp = popen(cmd, "r");
	char hex[65] = "";
	cr_assert_eq(fscanf(pp, "%64s", hex), 1);
	pclose(pp);
	cr_assert_str_eq(l.diff_id + 7, hex);
	free(cmd);
	free(bp);
	char *dir = NULL;
	cr_assert_eq(bld_cache_layer_unpack(s, l.digest, l.diff_id, l.diff_id, &dir, &err), 0,
		     "%s", err ? err->msg : "");
	char *t = read_rel(dir, "a.txt");
	cr_assert_str_eq(t, "alpha");
	free(t);
	t = read_rel(dir, "link");
	cr_assert_str_eq(t, "beta");
	free(t);
	struct stat a, b;
	char *pa = xasprintf("%s/sub/b.txt", dir), *pb = xasprintf("%s/hard", dir);
	cr_assert_eq(stat(pa, &a), 0);
	cr_assert_eq(stat(pb, &b), 0);
	cr_assert_eq(a.st_ino, b.st_ino, "hardlink kept");
	cr_assert_eq(a.st_mode & 07777, 04755);
	char v[4] = "";
	cr_assert_eq(getxattr(pa, "user.bld", v, sizeof(v)), 1);
	free(pa);
	free(pb);
	/* a second unpack reuses the directory */
	char *dir2 = NULL;
	cr_assert_eq(bld_cache_layer_unpack(s, l.digest, l.diff_id, l.diff_id, &dir2, &err), 0);
	cr_assert_str_eq(dir, dir2);
	free(dir);
	free(dir2);
	bld_fs_rm_rf(src, NULL);
	free(src);
	test_store_done(s, root);
}

Test(cache_layer, same_tree_same_digest_and_epoch_clamps)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char *src = make_tree();
	struct bld_cache_layer l1, l2, l3;
	struct bld_error *err = NULL;
	struct bld_cache_layer_opts o = {.source_date_epoch = 1000};
	cr_assert_eq(bld_cache_layer_from_dir(s, src, &o, &l1, &err), 0);
	char *p = xasprintf("%s/a.txt", src);
	struct utimbuf ut = {.actime = 5000000, .modtime = 5000000};
	utime(p, &ut); /* a later mtime is clamped away */
	free(p);
	cr_assert_eq(bld_cache_layer_from_dir(s, src, &o, &l2, &err), 0);
	cr_assert_str_eq(l1.digest, l2.digest);
	cr_assert_str_eq(l1.diff_id, l2.diff_id);
	cr_assert_eq(bld_cache_layer_from_dir(s, src, NULL, &l3, &err), 0);
	cr_assert_str_neq(l1.diff_id, l3.diff_id, "without clamping the times differ");
	bld_fs_rm_rf(src, NULL);
	free(src);
	test_store_done(s, root);
}

Test(cache_layer, overlay_upper_becomes_oci_whiteouts)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for whiteout devices");
	char *root;
	struct bld_store *s = test_store(&root);
	char *src = bld_fs_mkdtemp("bld-upper", NULL);
	char *p = xasprintf("%s/gone", src);
	cr_assert_eq(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
	free(p);
	p = xasprintf("%s/opq", src);
	mkdir(p, 0755);
	cr_assert_eq(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
	free(p);
	write_file(src, "opq/new", "n");
	struct bld_cache_layer l;
	struct bld_error *err = NULL;
	struct bld_cache_layer_opts o = {.overlay = true, .source_date_epoch = -1};
	cr_assert_eq(bld_cache_layer_from_dir(s, src, &o, &l, &err), 0, "%s", err ? err->msg : "");
	char *bp = bld_cache_blob_path(s, l.digest);
	char *cmd = xasprintf("tar -tzf '%s'", bp);
	FILE *pp = popen(cmd, "r");
	char buf[4096] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, pp);
	buf[n] = '\0';
	pclose(pp);
	cr_assert_str_eq(buf, ".wh.gone\nopq/\nopq/.wh..wh..opq\nopq/new\n");
	free(cmd);
	free(bp);
	/* and unpacked again, overlay markers come back */
	char *dir = NULL;
	cr_assert_eq(bld_cache_layer_unpack(s, l.digest, l.diff_id, l.diff_id, &dir, &err), 0);
	p = xasprintf("%s/gone", dir);
	struct stat st;
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISCHR(st.st_mode) && st.st_rdev == 0);
	free(p);
	p = xasprintf("%s/opq", dir);
	char v[4];
	cr_assert_eq(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	free(p);
	free(dir);
	bld_fs_rm_rf(src, NULL);
	free(src);
	test_store_done(s, root);
}

/* data elsewhere (metacopy) or a renamed directory (redirect) cannot be put in a layer */
Test(cache_layer, overlay_metacopy_and_redirect_are_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for trusted xattrs");
	const char *attrs[] = {"trusted.overlay.metacopy", "trusted.overlay.redirect"};
	for (size_t i = 0; i < 2; i++) {
		char *root;
		struct bld_store *s = test_store(&root);
		char *src = bld_fs_mkdtemp("bld-upper", NULL);
		write_file(src, "plain", "p");
		char *p = xasprintf("%s/%s", src, i == 0 ? "f" : "d");
		if (i == 0)
			write_file(src, "f", "f");
		else
			mkdir(p, 0755);
		cr_assert_eq(setxattr(p, attrs[i], "", 0, 0), 0);
		struct bld_cache_layer l;
		struct bld_error *err = NULL;
		struct bld_cache_layer_opts o = {.overlay = true, .source_date_epoch = -1};
		cr_assert_lt(bld_cache_layer_from_dir(s, src, &o, &l, &err), 0, "%s", attrs[i]);
		cr_assert(err && err->code == BLD_E_UNSUPPORTED, "%s", err ? err->msg : "");
		bld_error_free(err);
		free(p);
		bld_fs_rm_rf(src, NULL);
		free(src);
		test_store_done(s, root);
	}
}

Test(cache_layer, import_keeps_the_tar_and_rejects_garbage)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char *src = make_tree();
	char *tarp = xasprintf("%s.tar", src);
	char *cmd = xasprintf("tar -C '%s' -cf '%s' . && sha256sum '%s'", src, tarp, tarp);
	FILE *pp = popen(cmd, "r");
	char hex[65] = "";
	cr_assert_eq(fscanf(pp, "%64s", hex), 1);
	pclose(pp);
	int fd = open(tarp, O_RDONLY);
	struct bld_cache_layer l;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_from_tar(s, fd, &l, &err), 0, "%s", err ? err->msg : "");
	close(fd);
	cr_assert_str_eq(l.diff_id + 7, hex, "diff id is the digest of the tar as given");
	fd = open("/etc/hostname", O_RDONLY);
	cr_assert_lt(bld_cache_layer_from_tar(s, fd, &l, &err), 0);
	close(fd);
	bld_error_free(err);
	unlink(tarp);
	free(tarp);
	free(cmd);
	bld_fs_rm_rf(src, NULL);
	free(src);
	test_store_done(s, root);
}

Test(cache_layer, concurrent_unpacks_make_one_directory)
{
	char *root;
	struct bld_store *s = test_store(&root);
	char *src = make_tree();
	struct bld_cache_layer l;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_layer_from_dir(s, src, NULL, &l, &err), 0);
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct bld_store *cs = NULL;
			char *dir = NULL;
			if (bld_cache_store_open(&cs, root, NULL) < 0 ||
			    bld_cache_layer_unpack(cs, l.digest, l.diff_id, l.diff_id, &dir, NULL) < 0)
				_exit(2);
			char *p = xasprintf("%s/a.txt", dir);
			_exit(access(p, F_OK) == 0 ? 0 : 3);
		}
	}
	for (int k = 0; k < 3; k++) {
		int st = 0;
		waitpid(kids[k], &st, 0);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: %d", k, st);
	}
	char *layers = xasprintf("%s/layers", root);
	cr_assert_eq(test_count_dir(layers), 1, "one layer directory, no temporary ones left");
	free(layers);
	bld_fs_rm_rf(src, NULL);
	free(src);
	test_store_done(s, root);
}
