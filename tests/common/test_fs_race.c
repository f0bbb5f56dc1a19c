/*
 * tests/common/test_fs_race.c — bld_fs_open_in_root while renames happen elsewhere on the
 * system: openat2's RESOLVE_IN_ROOT gives up with EAGAIN when any rename races with its
 * handling of "..", which a busy machine (or bld's own parallel layer unpacking) makes
 * common. The open must still succeed, and stay confined.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "common/common.h"

struct renamer {
	char *a, *b;
	atomic_bool stop;
};

static void *rename_loop(void *p)
{
	struct renamer *r = p;
	while (!atomic_load(&r->stop)) {
		if (rename(r->a, r->b) == 0)
			(void)rename(r->b, r->a);
	}
	return NULL;
}

Test(common_fs, open_in_root_survives_renames_elsewhere)
{
	cleanup_free char *dir = bld_fs_mkdtemp("bld-test", NULL);
	cr_assert_not_null(dir);
	cleanup_free char *root = bld_path_join(dir, "root");
	cleanup_free char *etc = bld_path_join(root, "etc");
	cleanup_free char *file = bld_path_join(etc, "f");
	cleanup_free char *up = bld_path_join(root, "up");
	cr_assert_eq(mkdir(root, 0755), 0);
	cr_assert_eq(mkdir(etc, 0755), 0);
	int fd = open(file, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(symlink("../../..", up), 0);
	struct renamer r = {bld_path_join(dir, "a"), bld_path_join(dir, "b"), false};
	cr_assert_eq(mkdir(r.a, 0755), 0);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, rename_loop, &r), 0);
	int rfd = open(root, O_RDONLY | O_DIRECTORY);
	int failed = 0, last = 0;
	for (int i = 0; i < 20000; i++) {
		fd = bld_fs_open_in_root(rfd, "up/../etc/../up/etc/f", O_RDONLY, 0);
		if (fd < 0) {
			failed++;
			last = -fd;
		} else {
			close(fd);
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	close(rfd);
	bld_fs_rm_rf(dir, NULL);
	free(r.a);
	free(r.b);
	cr_expect_eq(failed, 0, "%d of 20000 opens failed (last: %s)", failed, strerror(last));
}
