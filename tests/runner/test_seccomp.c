/*
 * tests/runner/test_seccomp.c — Docker's default profile compiles, is cached, and refuses
 * what Docker refuses (checked in a forked child that installs the filter).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runner/runner.h"

/* In a child: install the default filter and try one syscall; its errno or 0. */
static int try_in_child(int which)
{
	struct bld_runner_bpf b;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_seccomp_compile(&b, NULL, bld_runner_caps_default(), NULL, &err), 0);
	pid_t p = fork();
	if (p == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (bld_runner_seccomp_install(&b) < 0)
			_exit(200);
		long r = which == 0 ? unshare(CLONE_NEWUTS)
				    : syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
		_exit(r < 0 ? errno : 0);
	}
	int st = 0;
	waitpid(p, &st, 0);
	free(b.data);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(runner_seccomp, default_profile_refuses_unshare)
{
	cr_assert_eq(try_in_child(0), EPERM);
}

Test(runner_seccomp, default_profile_refuses_keyctl)
{
	cr_assert_eq(try_in_child(1), EPERM);
}

Test(runner_seccomp, compiled_filter_is_cached)
{
	char dir[] = "/tmp/bld-seccomp-test-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct bld_runner_bpf a, b;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_seccomp_compile(&a, NULL, 0xa80425fbULL, dir, &err), 0);
	cr_assert_eq(bld_runner_seccomp_compile(&b, NULL, 0xa80425fbULL, dir, &err), 0);
	cr_assert_eq(a.len, b.len);
	cr_assert_eq(memcmp(a.data, b.data, a.len), 0);
	free(a.data);
	free(b.data);
	bld_fs_rm_rf(dir, &err);
}

Test(runner_seccomp, bad_profile_is_invalid)
{
	char path[] = "/tmp/bld-seccomp-bad-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\"defaultAction\":\"NOPE\"}", 24), 24);
	close(fd);
	struct bld_runner_bpf b;
	struct bld_error *err = NULL;
	cr_assert_lt(bld_runner_seccomp_compile(&b, path, 0, NULL, &err), 0);
	cr_assert_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
	unlink(path);
}
