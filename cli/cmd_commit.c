/*
 * cli/cmd_commit.c — `bld commit [-a AUTHOR] [-m MSG] [-c INSTRUCTION]... [-p] CONTAINER
 * [REPOSITORY[:TAG]]` (also `bld container commit`): prints the new image's ID and records
 * docker's events (the image's "tag" when it is named, the container's "commit"). The commit
 * itself is builder/commit.c's.
 */
#include "builder/builder.h"
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"author", 'a', BLD_OPT_STRING, "string",
	 "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")", NULL},
	{"change", 'c', BLD_OPT_LIST, "list", "Apply Dockerfile instruction to the created image",
	 NULL},
	{"message", 'm', BLD_OPT_STRING, "string", "Commit message", NULL},
	{"pause", 'p', BLD_OPT_BOOL, NULL, "Pause container during commit", "true"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* docker's: the image's "tag" (named as the user wrote it), the container's "commit". */
static void record_events(struct bld_ctx *ctx, struct bld_store *s, const char *ref,
			  const char *name, const char *message, const char *id)
{
	cleanup_free char *cid = NULL;
	cleanup_free char *familiar = name ? bld_registry_familiar(name) : xstrdup("");
	cleanup_error struct bld_error *e = NULL;
	if (name)
		bld_cache_image_event(s, "tag", id, familiar);
	if (bld_runner_container_lookup(ctx, ref, &cid, &e) < 0)
		return;
	cleanup_free char *comment = xasprintf("comment=%s", message ? message : "");
	cleanup_free char *image = xasprintf("imageID=%s", id);
	cleanup_free char *iref = xasprintf("imageRef=%s", familiar);
	char *attrs[] = {comment, image, iref, NULL};
	bld_runner_container_event(ctx, cid, "commit", attrs);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *name = NULL;
	if (a->argc > 1 && bld_registry_full_name(a->argv[1], &name, err) < 0) {
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
	if (r == 0)
		record_events(ctx, s, a->argv[0], name, o.message, id);
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
	.examples = BLD_CLI_EXAMPLES(
		{"Make an image of a container's changes",
		 "bld commit web app:patched"},
		{"Set the new image's command while committing",
		 "bld commit -c 'CMD [\"httpd\", \"-f\"]' -m 'add httpd' web app:2"}),
};
