/*
 * cli/cmd_image_prune.c — `bld image prune [-a] [-f]`: removes unnamed (dangling) images,
 * or with -a every image no container uses, then collects garbage (blobs, unpacked layers, abandoned partial
 * downloads and extraction directories) and reports the space reclaimed as docker does.
 */
#include "cli/image_util.h"

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Remove all unused images, not just dangling ones", NULL},
	{"filter", 0, BLD_OPT_LIST, "filter", "Provide filter values (e.g. \"until=<timestamp>\")",
	 NULL},
	{"force", 'f', BLD_OPT_BOOL, NULL, "Do not prompt for confirmation", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static bool used_by(char **used, struct bld_store *s, const char *digest)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (bld_cache_image_load_digest(s, digest, &img, &e) < 0) {
		bld_error_free(e);
		return false;
	}
	bool r = false;
	for (size_t i = 0; used && used[i] && !r; i++)
		r = strcmp(used[i], img->id) == 0;
	bld_cache_image_free(img);
	return r;
}

/* Removes the chosen entries; prints docker's "Deleted Images:" block. */
static int prune_entries(struct bld_store *s, bool all, char **used, struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	bool header = false;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if ((v[i].name && !all) || used_by(used, s, v[i].digest))
			continue; /* images containers use stay, as docker keeps them */
		cleanup_strv char **untagged = NULL;
		cleanup_free char *deleted = NULL;
		struct bld_error *e = NULL;
		if (bld_cache_image_remove(s, v[i].name ? v[i].name : v[i].digest, true, &untagged,
					   &deleted, &e) < 0) {
			bld_error_free(e); /* already gone with an earlier name */
			continue;
		}
		if (!header)
			printf("Deleted Images:\n");
		header = true;
		for (size_t k = 0; untagged && untagged[k]; k++) {
			cleanup_free char *f = bld_cli_familiar(untagged[k]);
			printf("untagged: %s\n", f);
		}
		if (deleted)
			printf("deleted: %s\n", deleted);
	}
	if (header)
		printf("\n");
	bld_cache_desc_list_free(v, n);
	return r;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool all = bld_cli_bool(a, "all");
	if (bld_cli_given(a, "filter"))
		return bld_error_set(err, BLD_E_UNSUPPORTED, "image prune --filter is not supported yet");
	if (!bld_cli_bool(a, "force") &&
	    !bld_cli_confirm(all ? "WARNING! This will remove all images without at least one "
				   "container associated to them."
				 : "WARNING! This will remove all dangling images."))
		return 0;
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_gc_stats st;
	cleanup_strv char **used = bld_cli_container_images(ctx, NULL);
	struct bld_cache_gc_opts o = {.keep = used};
	int r = prune_entries(s, all, used, err);
	if (r == 0)
		r = bld_cache_gc(s, &o, &st, err);
	bld_cache_store_free(s);
	if (r < 0)
		return r;
	char sz[32];
	bld_cli_size(sz, sizeof(sz), st.blob_bytes + st.layer_bytes + st.partial_bytes);
	printf("Total reclaimed space: %s\n", sz);
	return 0;
}

const struct bld_cli_cmd bld_cmd_image_prune = {
	.name = "image prune",
	.usage = "[OPTIONS]",
	.summary = "Remove unused images",
	.opts = opts,
	.max_args = 0,
	.run = run,
};
