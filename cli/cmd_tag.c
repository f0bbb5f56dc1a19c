/*
 * cli/cmd_tag.c — `bld tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`: another name for the
 * same index entry (manifest or index, with the original manifest it records), as docker
 * tag does (registry/names.c).
 */
#include "cli/image_util.h"

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	int r = bld_registry_image_tag(s, a->argv[0], a->argv[1], err);
	bld_cache_store_free(s);
	return r < 0 ? r : 0;
}

const struct bld_cli_cmd bld_cmd_tag = {
	.name = "tag",
	.usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	.summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	.min_args = 2,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Give an image another name",
		 "bld tag app:1.0 app:latest"},
		{"Name it for a registry before pushing",
		 "bld tag app:1.0 registry.example.com/team/app:1.0"}),
};
