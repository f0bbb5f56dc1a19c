/*
 * tests/runner/test_sandbox.c — the sandbox spawned from a threaded process: while another
 * thread allocates without pause, the child must still get through its set-up (a raw clone
 * would copy malloc's lock held while another thread trims the heap, and hang there; a
 * watchdog then kills it and the test fails). The root is the host's static busybox in a
 * temporary directory.
 */
#include "runner/runner.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

static atomic_bool stop;

static void *churn(void *arg)
{
	(void)arg;
	enum { N = 4096 };
	static void *keep[N];
	for (int i = 0; i < N; i++) /* a fragmented heap: every other chunk free */
		keep[i] = malloc(8192);
	for (int i = 0; i < N; i += 2) {
		free(keep[i]);
		keep[i] = NULL;
	}
	/* malloc_trim walks the arena with its lock held, madvising the free chunks: a spawn
	 * often forks while the lock is taken. The pause lets the spawning thread have the lock
	 * too: glibc's locks are not fair, and without it that thread starved for minutes. */
	while (!atomic_load(&stop)) {
		malloc_trim(0);
		usleep(200);
	}
	for (int i = 0; i < N; i++)
		free(keep[i]);
	return NULL;
}

/* After 60 s, kills this process's children: a child stuck before exec would otherwise hold
 * the test (and the output pipe of whoever runs it) forever; the spawn then fails. */
static void *watchdog(void *arg)
{
	(void)arg;
	for (int i = 0; i < 600 && !atomic_load(&stop); i++)
		usleep(100 * 1000);
	if (atomic_load(&stop))
		return NULL;
	cleanup_free char *cmd = xasprintf("cat /proc/%d/task/*/children", (int)getpid());
	FILE *f = popen(cmd, "r");
	for (int pid; f && fscanf(f, "%d", &pid) == 1;)
		kill(pid, SIGKILL);
	if (f)
		pclose(f);
	return NULL;
}

static char *make_root(const char *tmp)
{
	char *root = xasprintf("%s/root", tmp);
	cleanup_free char *bin = xasprintf("%s/bin", root);
	cr_assert(mkdir(root, 0755) == 0 && mkdir(bin, 0755) == 0);
	cleanup_error struct bld_error *err = NULL;
	cleanup_free char *data = NULL;
	size_t len = 0;
	cr_assert(bld_fs_read_file(BUSYBOX, 8 << 20, &data, &len, &err) == 0);
	cleanup_close int dir = open(bin, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(dir >= 0);
	cr_assert(bld_fs_write_atomic(dir, "busybox", data, len, 0755, &err) == 0);
	return root;
}

static char tmpl[] = "/tmp/bld-sandbox-XXXXXX";
static bool made;

/* runs also when an assertion failed: the temporary tree goes in every case */
static void remove_tmp(void)
{
	if (!made)
		return;
	cleanup_free char *cmd = xasprintf("rm -rf --one-file-system %s", tmpl);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", tmpl);
}

Test(runner_sandbox, threaded_caller_spawns, .timeout = 120, .fini = remove_tmp)
{
	if (access(BUSYBOX, X_OK) != 0 || geteuid() != 0)
		cr_skip_test("needs root and a static " BUSYBOX);
	cr_assert(mkdtemp(tmpl));
	made = true;
	cleanup_free char *root = make_root(tmpl);
	char *lowers[] = {root, NULL};
	char *argv[] = {"/bin/busybox", "true", NULL};
	mallopt(M_ARENA_MAX, 1); /* one arena: the other thread's lock is the child's */
	pthread_t t, w;
	cr_assert(pthread_create(&t, NULL, churn, NULL) == 0);
	cr_assert(pthread_create(&w, NULL, watchdog, NULL) == 0);
	for (int i = 0; i < 12; i++) {
		cleanup_free char *state = xasprintf("%s/s%d", tmpl, i);
		cr_assert(mkdir(state, 0755) == 0);
		struct bld_runner_spec s = {.lowers = lowers, .state_dir = state, .argv = argv,
					    .user = "0:0", .net = BLD_RUNNER_NET_NONE, .stdin_fd = -1,
					    .stdout_fd = -1, .stderr_fd = -1};
		cleanup_error struct bld_error *err = NULL;
		int code = -1;
		bool oom = false;
		int r = bld_runner_sandbox_run(&s, &code, &oom, &err);
		cr_assert_eq(r, 0, "run %d: %s", i, err ? err->msg : "");
		cr_assert_eq(code, 0);
		cr_assert(bld_runner_sandbox_cleanup(state, &err) == 0);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	pthread_join(w, NULL);
}
