/*
 * cli/cmd_system_prune.c — `bld system prune [-a] [-f] [--volumes]`: container prune, then
 * (--volumes) the anonymous volumes no container mounts, the dangling images (-a: every
 * image no container uses) and the dangling build cache (-a: all of it), then garbage
 * collection; one report in docker's order and one total.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Remove all unused images not just dangling ones", NULL},
	{"filter", 0, BLD_OPT_LIST, "filter", "Provide filter values (e.g. \"label=<key>=<value>\")",
	 NULL},
	{"force", 'f', BLD_OPT_BOOL, NULL, "Do not prompt for confirmation", NULL},
	{"volumes", 0, BLD_OPT_BOOL, NULL, "Prune anonymous volumes", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static bool confirm(bool all, bool volumes)
{
	char w[512];
	snprintf(w, sizeof(w),
		 "WARNING! This will remove:\n  - all stopped containers\n%s%s\n",
		 volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
		 all ? "  - all images without at least one container associated to them\n"
		       "  - all build cache"
		     : "  - all dangling images\n  - unused build cache");
	return bld_cli_confirm(w);
}

/* Images and build cache, then the garbage; the images' report is printed on the way. */
static int prune_store(struct bld_ctx *ctx, bool all, char ***keys, int64_t *bytes,
		       struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	cleanup_strv char **used = bld_cli_container_images(ctx, NULL);
	struct bld_cache_gc_stats st = {0};
	struct bld_cache_gc_opts o = {.keep = used};
	int r = bld_cli_prune_images(s, all, used, err);
	if (r == 0)
		r = bld_cache_build_records_prune(s, all, used, keys, err);
	if (r == 0)
		r = bld_cache_gc(s, &o, &st, err);
	bld_cache_store_free(s);
	*bytes = st.blob_bytes + st.layer_bytes + st.partial_bytes;
	return r;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool all = bld_cli_bool(a, "all"), volumes = bld_cli_bool(a, "volumes");
	if (bld_cli_given(a, "filter"))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "system prune --filter is not supported yet");
	if (!bld_cli_bool(a, "force") && !confirm(all, volumes))
		return 0;
	cleanup_strv char **ids = NULL, **vols = NULL, **keys = NULL;
	int64_t total = 0, bytes = 0;
	if (bld_runner_container_prune(ctx, &ids, &bytes, err) < 0)
		return -1;
	bld_cli_print_deleted("Containers", ids);
	total += bytes;
	if (volumes) {
		if (bld_runner_volume_prune(ctx, false, &vols, &bytes, err) < 0)
			return -1;
		bld_cli_print_deleted("Volumes", vols);
		total += bytes;
	}
	if (prune_store(ctx, all, &keys, &bytes, err) < 0)
		return -1;
	bld_cli_print_deleted("build cache objects", keys);
	bld_cli_print_reclaimed(total + bytes);
	return 0;
}

const struct bld_cli_cmd bld_cmd_system_prune = {
	.name = "system prune",
	.usage = "[OPTIONS]",
	.summary = "Remove unused data",
	.opts = opts,
	.max_args = 0,
	.run = run,
};
