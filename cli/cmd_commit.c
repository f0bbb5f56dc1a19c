/*
 * cli/cmd_commit.c — `bld commit [-a AUTHOR] [-m MSG] [-c INSTRUCTION]... [-p] CONTAINER
 * [REPOSITORY[:TAG]]` (also `bld container commit`): prints the new image's ID. The commit
 * itself is builder/commit.c's.
 */
#include "builder/builder.h"
#include "cli/image_util.h"

static const struct bld_cli_opt opts[] = {
	{"author", 'a', BLD_OPT_STRING, "string",
	 "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")", NULL},
	{"change", 'c', BLD_OPT_LIST, "list", "Apply Dockerfile instruction to the created image",
	 NULL},
	{"message", 'm', BLD_OPT_STRING, "string", "Commit message", NULL},
	{"pause", 'p', BLD_OPT_BOOL, NULL, "Pause container during commit", "true"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *name = NULL;
	if (a->argc > 1 && bld_cli_full_name(a->argv[1], &name, err) < 0) {
		(*err)->status = 1;
		return -1;
	}
	struct bld_builder_commit_opts o = {
		.container = a->argv[0],
		.name = name,
		.author = bld_cli_str(a, "author"),
		.message = bld_cli_str(a, "message"),
		.changes = bld_cli_list(a, "change"),
		.pause = bld_cli_bool(a, "pause"),
	};
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	char id[BLD_DIGEST_STR_LEN];
	int r = bld_builder_commit(ctx, s, &o, id, err);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	printf("%s\n", id);
	return 0;
}

const struct bld_cli_cmd bld_cmd_commit = {
	.name = "commit",
	.usage = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
	.summary = "Create a new image from a container's changes",
	.opts = opts,
	.min_args = 1,
	.max_args = 2,
	.run = run,
};
