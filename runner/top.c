/*
 * runner/top.c — `bld top` and GET /containers/{id}/top: the host's `ps` (with "-ef" unless
 * options are given) run as docker's daemon runs it, its lines kept when their PID is one
 * of the container's processes (stats.c reads its cgroup), each line split into the title
 * row's columns, the last column keeping its spaces. Printing is the caller's.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

#define PS_OUTPUT_MAX ((size_t)16 << 20)
#define TOP_ROWS_MAX 100000

/* ps's standard output (caller frees), or NULL with *err. */
static char *run_ps(char *const *argv, struct bld_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe"), NULL;
	/* spawned, not forked: the Engine API service calls this from one of its threads */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	pid_t pid = -1;
	if (posix_spawnp(&pid, "ps", &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	struct bld_buf b = BLD_BUF_INIT;
	char buf[8192];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && b.len < PS_OUTPUT_MAX)
			bld_buf_add(&b, buf, (size_t)n);
	close(p[0]);
	int st = 0;
	int w = pid < 0 ? -1 : waitpid(pid, &st, 0);
	/* a process whose children the kernel reaps (the Engine API service's SA_NOCLDWAIT)
	 * cannot learn ps's status: its output, whole at EOF, decides */
	if (w < 0 && errno == ECHILD && b.len > 0)
		return bld_buf_detach(&b);
	if (w < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		bld_buf_dispose(&b);
		bld_error_set(err, BLD_E_SYSTEM, "Error running ps: exit status %d",
			      WIFEXITED(st) ? WEXITSTATUS(st) : 1);
		return NULL;
	}
	return bld_buf_detach(&b);
}

static bool has_pid(const pid_t *v, size_t n, const char *field)
{
	long p;
	if (bld_parse_long(field, 0, 0x7fffffff, &p) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] == (pid_t)p)
			return true;
	return false;
}

/* One line of ps as a row of ncols: the overhanging fields joined into the last one. */
static char **row_of(char *line, size_t ncols)
{
	char **f = NULL;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		bld_strv_push(&f, t);
	size_t n = bld_strv_len(f);
	if (n <= ncols)
		return f;
	struct bld_buf last = BLD_BUF_INIT;
	for (size_t i = ncols - 1; i < n; i++)
		bld_buf_printf(&last, "%s%s", i >= ncols ? " " : "", f[i]);
	for (size_t i = ncols - 1; i < n; i++)
		free(f[i]);
	f[ncols - 1] = bld_buf_detach(&last);
	f[ncols] = NULL;
	return f;
}

/* ps's output out as t's titles and the rows of pids. */
static int split_table(char *out, const pid_t *pids, size_t n, struct bld_runner_top *t,
		       struct bld_error **err)
{
	char *save = NULL;
	char *line = strtok_r(out, "\n", &save);
	t->titles = line ? row_of(line, SIZE_MAX) : NULL;
	size_t ncols = bld_strv_len(t->titles), pid_col = ncols;
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(t->titles[i], "PID") == 0)
			pid_col = i;
	if (pid_col == ncols)
		return bld_error_refuse(err, BLD_E_INVALID, "Couldn't find PID field in ps output");
	while ((line = strtok_r(NULL, "\n", &save)) && t->n < TOP_ROWS_MAX) {
		char **f = row_of(line, ncols);
		if (bld_strv_len(f) != ncols || !has_pid(pids, n, f[pid_col])) {
			bld_strv_free(f);
			continue;
		}
		t->rows = xrealloc(t->rows, (t->n + 1) * sizeof(*t->rows));
		t->rows[t->n++] = f;
	}
	return 0;
}

int bld_runner_container_top(struct bld_ctx *ctx, const char *id, char *const *ps_args,
			     struct bld_runner_top *out, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	if (bld_runner_container_pids(ctx, id, &pids, &n, err) < 0)
		return -1;
	cleanup_strv char **argv = NULL;
	bld_strv_push(&argv, "ps");
	for (size_t i = 0; ps_args && ps_args[i]; i++)
		bld_strv_push(&argv, ps_args[i]);
	if (!ps_args || !ps_args[0])
		bld_strv_push(&argv, "-ef");
	cleanup_free char *text = run_ps(argv, err);
	if (!text)
		return -1;
	if (split_table(text, pids, n, out, err) < 0) {
		bld_runner_top_dispose(out);
		return -1;
	}
	return 0;
}

void bld_runner_top_dispose(struct bld_runner_top *t)
{
	bld_strv_free(t->titles);
	for (size_t i = 0; i < t->n; i++)
		bld_strv_free(t->rows[i]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
