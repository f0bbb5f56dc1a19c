/*
 * api/spawn.c — how the service runs a request's work in a process of its own (an exec, an
 * attach to a running container, a build): as a fresh bld, `bld __api KIND`, spawned with
 * the descriptors it needs and the job as a JSON document on the last of them, never as a
 * fork of the service. The service has threads (one per connection): a child forked from it
 * may run nothing but async-signal-safe code until its exec, since another thread may have
 * held malloc's, stdio's or a library's lock at the fork, which the child would then wait on
 * forever. posix_spawn does only that before its exec.
 *
 * The child's side (bld_api_child_main) reads the job back and calls the handler's own
 * child function (exec.c, attach.c, build.c); it does not parse the request again.
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

/* A job document larger than this is refused (an exec's argv and env, a build's query). */
#define JOB_MAX ((size_t)4 << 20)

/* job as a JSON document in a memory file, at its start; -1 with *err. */
static int job_file(const json_t *job, struct bld_error **err)
{
	cleanup_free char *text = json_dumps(job, JSON_COMPACT);
	if (!text || strlen(text) > JOB_MAX)
		return bld_error_set(err, BLD_E_INVALID, "job too large for a child");
	cleanup_close int fd = memfd_create("bld-job", MFD_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "memfd_create");
	if (bld_fs_write_all(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return bld_error_sys(err, errno, "write a child's job");
	return steal_fd(&fd);
}

int bld_api_spawn(pid_t *pid, const char *kind, const json_t *job, const int *fds, size_t n,
		  struct bld_error **err)
{
	int all[BLD_RUNNER_SPAWN_FDS_MAX];
	assert(n < BLD_RUNNER_SPAWN_FDS_MAX);
	cleanup_close int jfd = job_file(job, err);
	if (jfd < 0)
		return -1;
	memcpy(all, fds, n * sizeof(*fds));
	all[n] = jfd;
	char jarg[16];
	snprintf(jarg, sizeof(jarg), "%zu", n);
	const char *args[] = {"__api", kind, jarg, NULL};
	return bld_runner_selfexe_spawn(pid, args, all, n + 1, false, err);
}

/* The job on descriptor fd (the spawn's last), or NULL. */
static json_t *job_read(int fd)
{
	json_error_t je;
	json_t *job = json_loadfd(fd, 0, &je);
	close(fd);
	return json_is_object(job) ? job : (json_decref(job), NULL);
}

int bld_api_child_main(int argc, char **argv)
{
	/* bld __api KIND FD: FD is the job's descriptor, the highest the spawn gave */
	long fd = -1;
	if (argc != 4 || bld_parse_long(argv[3], 3, BLD_RUNNER_SPAWN_FDS_MAX, &fd) < 0)
		return 125;
	cleanup_json json_t *job = job_read((int)fd);
	struct bld_ctx ctx;
	cleanup_error struct bld_error *e = NULL;
	if (!job || bld_ctx_init(&ctx, &e) < 0)
		return 125;
	int r = 125;
	if (strcmp(argv[2], "exec") == 0)
		r = bld_api_exec_child(&ctx, job);
	else if (strcmp(argv[2], "attach") == 0)
		r = bld_api_attach_child(&ctx, job);
	else if (strcmp(argv[2], "build") == 0)
		r = bld_api_build_child(&ctx, job);
	bld_ctx_dispose(&ctx);
	return r;
}
