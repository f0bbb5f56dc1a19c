/*
 * cli/cmd_rmi.c — `bld rmi [-f] IMAGE...`: untags names and removes images as docker rmi
 * does ("Untagged: x", "Deleted: sha256:..."), then frees the blobs and unpacked layers
 * nothing needs any more. An image that fails does not stop the others; the exit status is
 * 1 when any failed. An image a container uses is refused unless forced; forced, its
 * layers stay as long as the container does (registry/names.c decides).
 */
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"force", 'f', BLD_OPT_BOOL, NULL, "Force removal of the image", NULL},
	{"no-prune", 0, BLD_OPT_BOOL, NULL, "Do not delete untagged parents", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	int rc = 0;
	cleanup_strv char **cids = NULL;
	cleanup_strv char **used = bld_runner_container_images(ctx, &cids);
	for (int i = 0; i < a->argc; i++) {
		struct bld_error *e = NULL;
		cleanup_strv char **untagged = NULL;
		cleanup_free char *deleted = NULL;
		if (bld_registry_image_remove(s, a->argv[i], bld_cli_bool(a, "force"), used, cids,
					      &untagged, &deleted, &e) == 0) {
			for (size_t k = 0; untagged && untagged[k]; k++)
				printf("Untagged: %s\n", untagged[k]);
			if (deleted)
				printf("Deleted: %s\n", deleted);
		} else {
			fflush(stdout);
			fprintf(stderr, "bld: %s\n", e->msg);
			bld_error_free(e);
			rc = 1;
		}
	}
	/* layers of images that containers still use stay, even for rmi -f */
	struct bld_cache_gc_opts o = {.keep = used};
	int r = bld_cache_gc(s, &o, NULL, err);
	bld_cache_store_free(s);
	return r < 0 ? r : rc;
}

const struct bld_cli_cmd bld_cmd_rmi = {
	.name = "rmi",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Remove one or more images",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove an image",
		 "bld rmi app:1.0"},
		{"Remove it even when containers use it",
		 "bld rmi -f app:1.0"}),
};
