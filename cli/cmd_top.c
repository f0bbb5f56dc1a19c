/*
 * cli/cmd_top.c — `bld top CONTAINER [ps OPTIONS]` (also `bld container top`): the host's
 * `ps` (with "-ef" unless options are given) run as docker's daemon runs it, its lines kept
 * when their PID is one of the container's processes (runner/stats.c reads its cgroup), the
 * last column keeping its spaces, printed in docker's table (columns of at least 20).
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"
#include "runner/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>

#define PS_OUTPUT_MAX ((size_t)16 << 20)

static const struct bld_cli_opt opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* ps's standard output (caller frees), or NULL with *err. */
static char *run_ps(char *const *argv, struct bld_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe"), NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execvp("ps", argv);
		_exit(127);
	}
	close(p[1]);
	struct bld_buf b = BLD_BUF_INIT;
	char buf[8192];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && b.len < PS_OUTPUT_MAX)
			bld_buf_add(&b, buf, (size_t)n);
	close(p[0]);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
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

static int print_table(char *out, const pid_t *pids, size_t n, struct bld_error **err)
{
	char *save = NULL;
	char *line = strtok_r(out, "\n", &save);
	cleanup_strv char **titles = line ? row_of(line, SIZE_MAX) : NULL;
	size_t ncols = bld_strv_len(titles), pid_col = ncols;
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(titles[i], "PID") == 0)
			pid_col = i;
	if (pid_col == ncols)
		return bld_error_refuse(err, BLD_E_INVALID, "Couldn't find PID field in ps output");
	struct bld_cli_table t;
	bld_cli_table_init(&t, ncols);
	t.min_width = 20;
	bld_cli_table_add(&t, (const char *const *)titles);
	while ((line = strtok_r(NULL, "\n", &save))) {
		cleanup_strv char **f = row_of(line, ncols);
		if (bld_strv_len(f) == ncols && has_pid(pids, n, f[pid_col]))
			bld_cli_table_add(&t, (const char *const *)f);
	}
	bld_cli_table_print(stdout, &t);
	bld_cli_table_dispose(&t);
	return 0;
}

int bld_cli_top(struct bld_ctx *ctx, const char *id, char *const *ps_args,
		struct bld_error **err)
{
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
	cleanup_free char *out = run_ps(argv, err);
	if (!out)
		return -1;
	return print_table(out, pids, n, err) < 0 ? -1 : 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (bld_runner_container_lookup(ctx, a->argv[0], &id, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	return bld_cli_top(ctx, id, a->argv + 1, err);
}

const struct bld_cli_cmd bld_cmd_top = {
	.name = "top",
	.usage = "CONTAINER [ps OPTIONS]",
	.summary = "Display the running processes of a container",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.stop_at_first_arg = true,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a container's processes",
		 "bld top web"},
		{"With ps options of your own",
		 "bld top web -o pid,comm,rss"}),
};
