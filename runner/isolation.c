/*
 * runner/isolation.c — whether this process can make a sandbox at all: a forked child tries
 * the namespaces every sandbox needs (mount, PID, UTS, IPC) and a private remount of its
 * root. Inside an unprivileged container (docker's default capabilities and seccomp
 * profile, a Kubernetes pod without `privileged`) unshare fails, and the builder falls back
 * to --isolation=chroot. The answer is a kernel-feature probe, kept for the process.
 *
 * It changes nothing of the caller: the child exits right after trying.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

/* 0, or the errno of the first step that failed (in the child's exit status) */
static int probe(const char **step)
{
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return errno;
	pid_t pid = fork();
	if (pid == 0) {
		close(pp[0]);
		char which = 'u';
		int r = unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC);
		if (r == 0) {
			which = 'm';
			r = mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		}
		if (r < 0 && write(pp[1], &which, 1) != 1)
			_exit(1);
		_exit(r < 0 ? errno & 0x7f : 0);
	}
	close(pp[1]);
	if (pid < 0) {
		close(pp[0]);
		return errno;
	}
	char which = 0;
	if (read(pp[0], &which, 1) != 1)
		which = 0;
	close(pp[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*step = which == 'm' ? "mount" : "unshare";
	return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

bool bld_runner_namespaces_available(const char **why)
{
	static int done, errnum;
	static char text[128];
	if (!done) {
		const char *step = "unshare";
		errnum = probe(&step);
		snprintf(text, sizeof(text), "%s: %s", step, strerror(errnum));
		done = 1;
	}
	if (why)
		*why = errnum ? text : NULL;
	return errnum == 0;
}
