/*
 * cli/cmd_tag.c — `bld tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`: another name for the
 * same index entry (manifest or index, with the original manifest it records), as docker
 * tag does.
 */
#include "cli/image_util.h"

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *target = NULL;
	if (bld_cli_full_name(a->argv[1], &target, err) < 0)
		return -1;
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_image *img = NULL;
	struct bld_cache_desc d = {0};
	int r = bld_cli_image_find(s, a->argv[0], &img, err);
	/* by name: that entry (two names can share the OCI manifest with different originals,
	 * e.g. --format oci and --format docker builds of the same image) */
	bool by_name = r == 0 && img->name && bld_cache_ref_get(s, img->name, &d, NULL) == 0;
	if (r == 0 && !by_name)
		r = bld_cli_entry_desc(s, img->index_digest[0] ? img->index_digest : img->manifest_digest,
				       &d, err);
	d.repo_digest[0] = '\0'; /* a registry's digest belongs to the name it was pulled as */
	if (r == 0)
		r = bld_cache_ref_set_desc(s, target, &d, err); /* with its original manifest */
	cleanup_free char *fam = r == 0 ? bld_cli_familiar(target) : NULL;
	if (r == 0)
		bld_cli_image_event(s, "tag", img->id, fam);
	bld_cache_desc_dispose(&d);
	bld_cache_image_free(img);
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
