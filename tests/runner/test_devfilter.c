/*
 * tests/runner/test_devfilter.c — docker's device rules as an eBPF program on a cgroup v2
 * directory (the unified hierarchy of a hybrid host, or the v2 root): a process in that
 * cgroup makes the nodes the rules let it make and opens only those they let it open, with
 * the access they give. Needs root and a cgroup v2 hierarchy; skipped without them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/runner_int.h"

static char *cg_leaf; /* the test's cgroup, removed after it whatever happened */

static void teardown(void)
{
	if (cg_leaf)
		rmdir(cg_leaf);
	free(cg_leaf);
	cg_leaf = NULL;
}

TestSuite(runner_devfilter, .fini = teardown);

/* A new cgroup v2 directory, or NULL (the test is then skipped). */
static char *v2_leaf(void)
{
	struct stat st;
	const char *root = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0 ? "/sys/fs/cgroup"
			   : stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0
				   ? "/sys/fs/cgroup/unified"
				   : NULL;
	if (!root || geteuid() != 0)
		return NULL;
	char *d = xasprintf("%s/bld-test-devfilter-%d", root, (int)getpid());
	return mkdir(d, 0755) == 0 ? d : (free(d), NULL);
}

/* errno of opening path with flags in a child placed in cgroup leaf (0: it opened). */
static int open_in(const char *leaf, const char *path, int flags)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		cleanup_free char *procs = xasprintf("%s/cgroup.procs", leaf);
		int fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(200);
		close(fd);
		fd = open(path, flags);
		_exit(fd >= 0 ? 0 : errno < 200 ? errno : 199);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	cr_assert_neq(WEXITSTATUS(st), 200, "the child could not join %s", leaf);
	return WEXITSTATUS(st);
}

Test(runner_devfilter, allows_only_what_the_rules_allow)
{
	const char *leaf = cg_leaf = v2_leaf();
	if (!leaf)
		cr_skip_test("needs root and a cgroup v2 hierarchy");
	char tmp[] = "/tmp/bld-test-devfilter.XXXXXX";
	cr_assert_not_null(mkdtemp(tmp));
	cleanup_free char *mem = xasprintf("%s/mem", tmp);
	cr_assert_eq(mknod(mem, S_IFCHR | 0600, makedev(1, 1)), 0);
	cleanup_free char *null = xasprintf("%s/null", tmp);
	cr_assert_eq(mknod(null, S_IFCHR | 0666, makedev(1, 3)), 0);

	int fd = open(leaf, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	char *rules[] = {"c *:* m", "b *:* m", "c 1:3 r", NULL};
	struct bld_error *e = NULL;
	int r = bld_runner_devfilter_attach(fd, rules, &e);
	close(fd);
	cr_assert_eq(r, 0, "%s", e ? e->msg : "");

	cr_expect_eq(open_in(leaf, mem, O_RDONLY), EPERM, "a device no rule names is not opened");
	cr_expect_eq(open_in(leaf, null, O_RDONLY), 0, "a rule's device opens");
	cr_expect_eq(open_in(leaf, null, O_RDWR), EPERM, "but only with the access it gives");
	cr_expect_eq(open_in(leaf, "/dev/null", O_WRONLY), EPERM, "wherever the node is");
	unlink(mem);
	unlink(null);
	rmdir(tmp);
}

Test(runner_devfilter, all_and_bad_rules)
{
	const char *leaf = cg_leaf = v2_leaf();
	if (!leaf)
		cr_skip_test("needs root and a cgroup v2 hierarchy");
	int fd = open(leaf, O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	struct bld_error *e = NULL;
	char *bad[] = {"c 1:3 rwm", "x 1:2 r", NULL};
	cr_expect_lt(bld_runner_devfilter_attach(fd, bad, &e), 0);
	cr_expect_not_null(e);
	bld_error_free(e);
	e = NULL;
	char *bad2[] = {"c 1:3 rwx", NULL};
	cr_expect_lt(bld_runner_devfilter_attach(fd, bad2, &e), 0);
	bld_error_free(e);
	e = NULL;
	char *all[] = {"a *:* rwm", NULL};
	cr_assert_eq(bld_runner_devfilter_attach(fd, all, &e), 0);
	close(fd);
	cr_expect_eq(open_in(leaf, "/dev/null", O_RDWR), 0, "\"a\" allows every device");
	char *after[] = {"c 1:3 r", "a *:* rwm", "c 1:5 r", NULL}; /* nothing may follow "a" */
	fd = open(leaf, O_RDONLY | O_DIRECTORY);
	cr_expect_eq(bld_runner_devfilter_attach(fd, after, &e), 0, "%s", e ? e->msg : "");
	close(fd);
}
