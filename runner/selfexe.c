/*
 * runner/selfexe.c — bld runs from a sealed in-memory copy of its executable (CVE-2019-5736).
 * A process bld forks into a container is bld until its execve, and a command whose
 * interpreter is /proc/self/exe ("#!/proc/self/exe") execs bld itself inside the container:
 * either way a container process can open bld's executable through /proc/PID/exe and, once
 * no bld runs it any more, overwrite the host's binary. As runc does, bld re-executes itself
 * from a memfd sealed against writes first, so that all a container can reach is that copy.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* A sealed, executable copy of the file behind SELF; -1 and errno on failure. */
static int sealed_copy(int self)
{
	int fd = memfd_create("bld", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* kernels before 6.3 know no MFD_EXEC */
		fd = memfd_create("bld", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	if (fd < 0 || fstat(self, &st) < 0)
		goto fail;
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(fd, self, &off, (size_t)(st.st_size - off));
		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			goto fail;
		}
	}
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
		goto fail;
	return fd;
fail:;
	int en = errno;
	if (fd >= 0)
		close(fd);
	errno = en;
	return -1;
}

int bld_runner_selfexe_seal(char **argv, struct bld_error **err)
{
	cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return bld_error_sys(err, errno, "open /proc/self/exe");
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS)
		return 0;
	cleanup_close int fd = sealed_copy(self);
	if (fd < 0)
		return bld_error_sys(err, errno, "sealed copy of the bld executable");
	fexecve(fd, argv, environ);
	return bld_error_sys(err, errno, "re-execute bld from its sealed copy");
}
