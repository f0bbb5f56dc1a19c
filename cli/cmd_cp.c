/*
 * cli/cmd_cp.c — `bld cp` (also `bld container cp`): which argument names the container
 * (docker's rule: "NAME:PATH" unless the argument is an absolute path or starts with "."),
 * "-" for a tar on stdin or stdout, and the one line of progress docker prints on a
 * terminal. The copy itself is runner/cp.c's.
 */
#include "cli/cli.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"archive", 'a', BLD_OPT_BOOL, NULL, "Archive mode (copy all uid/gid information)", NULL},
	{"follow-link", 'L', BLD_OPT_BOOL, NULL, "Always follow symbol link in SRC_PATH", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL,
	 "Suppress progress output during copy. Progress output is automatically suppressed if "
	 "no terminal is attached",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

char *bld_cli_cp_split(const char *arg, const char **path)
{
	*path = arg;
	const char *colon = strchr(arg, ':');
	if (arg[0] == '/' || arg[0] == '.' || !colon)
		return NULL;
	*path = colon + 1;
	return xstrndup(arg, (size_t)(colon - arg));
}

static void progress(const struct bld_cli_args *a, int64_t bytes, const char *ctr,
		     const char *path)
{
	if (bld_cli_bool(a, "quiet") || !isatty(2))
		return;
	char size[32];
	bld_format_size(size, sizeof(size), (double)bytes);
	fprintf(stderr, "Successfully copied %s to %s%s%s\n", size, ctr ? ctr : "", ctr ? ":" : "",
		path);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *src = NULL, *dst = NULL;
	cleanup_free char *sctr = bld_cli_cp_split(a->argv[0], &src);
	cleanup_free char *dctr = bld_cli_cp_split(a->argv[1], &dst);
	if (sctr && dctr)
		return bld_error_refuse(err, BLD_E_INVALID,
					"copying between containers is not supported");
	if (!sctr && !dctr)
		return bld_error_refuse(err, BLD_E_INVALID,
					"must specify at least one container source");
	if (!*src)
		return bld_error_refuse(err, BLD_E_INVALID,
					"source can not be empty");
	if (!*dst)
		return bld_error_refuse(err, BLD_E_INVALID,
					"destination can not be empty");
	struct bld_runner_cp_opts o = {
		.container = sctr ? sctr : dctr,
		.archive = bld_cli_bool(a, "archive"),
		.follow_link = bld_cli_bool(a, "follow-link"),
	};
	int64_t bytes = 0;
	if (sctr) {
		o.ctr_path = src;
		o.host_path = strcmp(dst, "-") == 0 ? NULL : dst;
		o.fd = 1;
		if (bld_runner_cp_from(ctx, &o, &bytes, err) < 0)
			return -1;
		if (o.host_path)
			progress(a, bytes, NULL, dst);
		return 0;
	}
	o.ctr_path = dst;
	o.host_path = strcmp(src, "-") == 0 ? NULL : src;
	o.fd = 0;
	if (bld_runner_cp_to(ctx, &o, &bytes, err) < 0)
		return -1;
	if (o.host_path)
		progress(a, bytes, dctr, dst);
	return 0;
}

const struct bld_cli_cmd bld_cmd_cp = {
	.name = "cp",
	.usage = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
		 "\tbld cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
	.summary = "Copy files/folders between a container and the local filesystem",
	.opts = opts,
	.min_args = 2,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Copy a file out of a container",
		 "bld cp web:/etc/hosts ./hosts"},
		{"Copy a directory into it",
		 "bld cp ./site web:/www"},
		{"Stream a container's directory as a tar",
		 "bld cp web:/var/log - > logs.tar"}),
};
