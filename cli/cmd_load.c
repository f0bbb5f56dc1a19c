/*
 * cli/cmd_load.c — `bld load [-i FILE] [-q]`: images from a docker archive or an OCI
 * archive (from a file or stdin) into the store, named as the archive names them
 * ("Loaded image: busybox:latest", or "Loaded image ID: sha256:..." when unnamed).
 */
#include "cli/image_util.h"

#include <errno.h>
#include <fcntl.h>

static const struct bld_cli_opt opts[] = {
	{"input", 'i', BLD_OPT_STRING, "string", "Read from tar archive file, instead of STDIN", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Suppress the load output", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int name_one(struct bld_store *s, const struct bld_cache_loaded *l, bool quiet,
		    struct bld_error **err)
{
	cleanup_strv char **lines = NULL;
	if (bld_registry_load_name(s, l, &lines, err) < 0)
		return -1;
	for (size_t i = 0; !quiet && lines && lines[i]; i++)
		printf("%s\n", lines[i]);
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *in = bld_cli_str(a, "input");
	cleanup_close int fd = in ? open(in, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", in ? in : "stdin");
	if (!in && isatty(fd))
		return bld_error_set(err, BLD_E_INVALID, "requested load from stdin, but stdin is "
							 "empty");
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_loaded *v = NULL;
	size_t n = 0;
	int r = bld_cache_load(s, fd, &v, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = name_one(s, &v[i], bld_cli_bool(a, "quiet"), err);
	bld_cache_loaded_free(v, n);
	bld_cache_store_free(s);
	if (r < 0)
		return bld_error_wrap(err, "load");
	return 0;
}

const struct bld_cli_cmd bld_cmd_load = {
	.name = "load",
	.usage = "[OPTIONS]",
	.summary = "Load an image from a tar archive or STDIN",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Load the images of a tar made by bld save or docker save",
		 "bld load -i images.tar"},
		{"Load them from a pipe",
		 "gunzip -c images.tar.gz | bld load"}),
};
