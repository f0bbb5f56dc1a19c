/*
 * deploy/parallel.c — jobs of a project run side by side, one child process each (as
 * compose runs one goroutine each), at most `max` at a time: the containers of one level
 * of the dependency graph (start, stop, rm...), the pulls and the builds of independent
 * services. Each child reports its failure as one line through a pipe; the first failure
 * becomes the caller's error.
 */
#include "deploy/deploy_int.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_ERROR_MAX 4096 /* bytes of a child's error line kept */

/* In a child: job i, its error line written to fd; exits 0 or 1. */
static void child(struct bld_ctx *ctx, size_t i, bld_deploy_job_fn fn, void *payload, int fd)
{
	cleanup_error struct bld_error *e = NULL;
	int r = fn(ctx, i, payload, &e);
	if (r < 0)
		bld_fs_write_all(fd, e->msg, strnlen(e->msg, CHILD_ERROR_MAX));
	fflush(NULL);
	_exit(r < 0 ? 1 : 0);
}

/* Waits for child pid; its error line (from fd) into *err when it failed and *err is free.
 * The line is read after the exit, without waiting for the pipe's end: a monitor the child
 * started may hold the pipe open (the line fits in the pipe's buffer). */
static bool reap(pid_t pid, int fd, struct bld_error **err)
{
	int st = 0;
	char msg[CHILD_ERROR_MAX + 1];
	bool ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ssize_t n = ok ? 0 : read(fd, msg, CHILD_ERROR_MAX);
	msg[n > 0 ? n : 0] = 0;
	close(fd);
	if (!ok && !*err)
		bld_error_refuse(err, BLD_E_INVALID, "%s", msg[0] ? msg : "a job failed");
	return ok;
}

static pid_t spawn(struct bld_ctx *ctx, size_t i, bld_deploy_job_fn fn, void *payload, int *fd)
{
	int p[2] = {-1, -1};
	if (pipe2(p, O_CLOEXEC) < 0)
		p[0] = p[1] = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0)
		child(ctx, i, fn, payload, p[1]);
	if (p[1] != p[0])
		close(p[1]);
	*fd = p[0];
	return pid;
}

int bld_deploy_parallel(struct bld_ctx *ctx, size_t n, size_t max, bld_deploy_job_fn fn,
			void *payload, struct bld_error **err)
{
	if (n == 1)
		return fn(ctx, 0, payload, err);
	max = max ? max : n;
	bld_deploy_progress_share(ctx);
	fflush(NULL);
	/* waitpid below waits for these children only (the runner may have set
	 * SA_NOCLDWAIT when it started a monitor) */
	struct sigaction sa = {.sa_handler = SIG_DFL}, old;
	sigaction(SIGCHLD, &sa, &old);
	cleanup_free pid_t *pids = xcalloc(n + 1, sizeof(*pids));
	cleanup_free int *fds = xcalloc(n + 1, sizeof(*fds));
	bool ok = true;
	for (size_t i = 0; i < n + max; i++) {
		if (i >= max && i - max < n) /* a window of max jobs, reaped in order */
			ok = reap(pids[i - max], fds[i - max], err) && ok;
		if (i < n)
			pids[i] = spawn(ctx, i, fn, payload, &fds[i]);
	}
	sigaction(SIGCHLD, &old, NULL);
	return ok ? 0 : -1;
}
