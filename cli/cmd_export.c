/*
 * cli/cmd_export.c — `bld export [-o FILE] CONTAINER` (also `bld container export`): the
 * container's root file system as a tar, to stdout when it is not a terminal, or to FILE,
 * written under a temporary name in FILE's directory and renamed, so that a failed export
 * leaves no file. docker's checks of FILE's directory and kind come first. The tar itself is
 * runner/cp.c's.
 */
#include "cli/cli.h"
#include "runner/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

static const struct bld_cli_opt opts[] = {
	{"output", 'o', BLD_OPT_STRING, "string", "Write to a file, instead of STDOUT", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* docker's ValidateOutputPath: FILE's directory exists, FILE is none, a file or a
 * directory. */
static int check_output(const char *out, struct bld_error **err)
{
	cleanup_free char *copy = xstrdup(out);
	const char *dir = dirname(copy);
	struct stat st;
	if (strcmp(dir, ".") != 0 && stat(dir, &st) < 0 && errno == ENOENT)
		return bld_error_refuse(err, BLD_E_INVALID,
					"failed to export container: invalid output path: "
					"directory \"%s\" does not exist",
					dir);
	if (stat(out, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return bld_error_refuse(err, BLD_E_INVALID,
					"failed to export container: invalid output path: \"%s\" "
					"must be a directory or a regular file: got a device",
					out);
	return 0;
}

/* The tar into a temporary file next to out, renamed to out once it is complete. */
static int export_to_file(struct bld_ctx *ctx, const char *ref, const char *out,
			  struct bld_error **err)
{
	cleanup_free char *copy = xstrdup(out);
	cleanup_free char *tmp = xasprintf("%s/.bld_temp_XXXXXX", dirname(copy));
	/* mkstemp's mode, 0600, is what docker's temporary file has too */
	cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		bld_error_sys(err, errno, "create %s", tmp);
		(*err)->status = 1;
		return -1;
	}
	int r = bld_runner_export(ctx, ref, fd, err);
	if (r == 0 && fsync(fd) < 0)
		r = bld_error_sys(err, errno, "write %s", tmp);
	if (r == 0 && rename(tmp, out) < 0) {
		r = bld_error_sys(err, errno, "rename %s %s", tmp, out);
		(*err)->status = 1;
	}
	if (r < 0)
		unlink(tmp);
	return r;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *out = bld_cli_str(a, "output");
	if (out && !*out)
		out = NULL; /* docker: -o "" is stdout */
	if (!out && isatty(1))
		return bld_error_refuse(err, BLD_E_INVALID,
					"cowardly refusing to save to a terminal. Use the -o "
					"flag or redirect");
	if (!out)
		return bld_runner_export(ctx, a->argv[0], 1, err) < 0 ? -1 : 0;
	if (check_output(out, err) < 0 || export_to_file(ctx, a->argv[0], out, err) < 0)
		return -1;
	return 0;
}

const struct bld_cli_cmd bld_cmd_export = {
	.name = "export",
	.usage = "[OPTIONS] CONTAINER",
	.summary = "Export a container's filesystem as a tar archive",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Write a container's file system to a tar",
		 "bld export -o web.tar web"},
		{"Stream it to another program",
		 "bld export web | tar -t"}),
};
