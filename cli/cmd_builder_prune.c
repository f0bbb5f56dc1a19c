/*
 * cli/cmd_builder_prune.c — `bld builder prune [-a] [-f]`: removes the build cache: the
 * dangling records (those keeping a layer no image holds), or with -a all of them, then
 * collects the garbage they kept.
 */
#include "cli/image_util.h"

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Remove all unused build cache, not just dangling ones",
	 NULL},
	{"filter", 0, BLD_OPT_LIST, "filter", "Provide filter values (e.g. \"until=24h\")", NULL},
	{"force", 'f', BLD_OPT_BOOL, NULL, "Do not prompt for confirmation", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool all = bld_cli_bool(a, "all");
	if (bld_cli_given(a, "filter"))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "builder prune --filter is not supported yet");
	if (!bld_cli_bool(a, "force") &&
	    !bld_cli_confirm(all ? "WARNING! This will remove all build cache."
				 : "WARNING! This will remove all dangling build cache."))
		return 0;
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	cleanup_strv char **used = bld_cli_container_images(ctx, NULL);
	cleanup_strv char **keys = NULL;
	struct bld_cache_gc_stats st = {0};
	struct bld_cache_gc_opts o = {.keep = used};
	int r = bld_cache_build_records_prune(s, all, used, &keys, err);
	if (r == 0)
		r = bld_cache_gc(s, &o, &st, err);
	bld_cache_store_free(s);
	if (r < 0)
		return r;
	bld_cli_print_deleted("build cache objects", keys);
	bld_cli_print_reclaimed(st.blob_bytes + st.layer_bytes + st.partial_bytes);
	return 0;
}

const struct bld_cli_cmd bld_cmd_builder_prune = {
	.name = "builder prune",
	.usage = "[OPTIONS]",
	.summary = "Remove build cache",
	.opts = opts,
	.max_args = 0,
	.run = run,
};
