/*
 * cli/cmd_system_df.c — `bld system df`: disk usage as docker prints it (images,
 * containers, local volumes, build cache), plus the store's own unpacked layers and
 * partial downloads. Images are active when a container uses them (runner/ says which);
 * their size is docker's: every layer once, uncompressed (cache/imgsize.c);
 * the containers/ and volumes/ lines come from their directories' sizes.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

#include <dirent.h>
#include <fcntl.h>

static const struct bld_cli_opt opts[] = {
	{"format", 0, BLD_OPT_STRING, "string", "Format output using a custom template", NULL},
	{"verbose", 'v', BLD_OPT_BOOL, NULL, "Show detailed information on space usage", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* Entries and total size of $BLD_ROOT/<sub>. */
static void dir_usage(const char *root, const char *sub, int64_t *count, int64_t *bytes)
{
	cleanup_free char *p = bld_path_join(root, sub);
	*count = *bytes = 0;
	DIR *d = opendir(p);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			(*count)++;
	closedir(d);
	*bytes = bld_cache_du(AT_FDCWD, p);
}

static void add(struct bld_cli_table *t, const char *type, int64_t total, int64_t active,
		int64_t size, int64_t reclaim)
{
	char tot[32], act[32], sz[32], rc[48], rs[32];
	snprintf(tot, sizeof(tot), "%lld", (long long)total);
	snprintf(act, sizeof(act), "%lld", (long long)active);
	bld_cli_size(sz, sizeof(sz), size);
	bld_cli_size(rs, sizeof(rs), reclaim);
	if (size > 0)
		snprintf(rc, sizeof(rc), "%s (%lld%%)", rs, (long long)(reclaim * 100 / size));
	else
		snprintf(rc, sizeof(rc), "%s", rs);
	const char *row[] = {type, tot, act, sz, rc};
	bld_cli_table_add(t, row);
}

/* docker's Images row (cache/imgsize.c): images, those a container uses, every layer once
 * and what no used image needs alone. */
struct image_usage {
	int64_t active, size, reclaim;
};

static void image_usage(struct bld_ctx *ctx, struct bld_store *s, struct image_usage *iu)
{
	cleanup_strv char **used = bld_runner_container_images(ctx, NULL);
	struct bld_cache_image_df *v = NULL;
	size_t n = 0;
	bld_cache_images_df(s, used, &v, &n, &iu->size);
	for (size_t i = 0; i < n; i++)
		iu->active += v[i].active;
	iu->reclaim = bld_cache_images_df_reclaimable(v, n, iu->size);
	free(v);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_usage u;
	struct image_usage iu = {0};
	int r = bld_cache_usage(s, &u, err);
	if (r == 0)
		image_usage(ctx, s, &iu);
	bld_cache_store_free(s);
	if (r < 0)
		return r;
	int64_t cn, cb, vn, vb, bn, bb;
	dir_usage(ctx->root, "containers", &cn, &cb);
	dir_usage(ctx->root, "volumes", &vn, &vb);
	dir_usage(ctx->root, "cache/build", &bn, &bb);
	struct bld_cli_table t;
	bld_cli_table_init(&t, 5);
	const char *head[] = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};
	bld_cli_table_add(&t, head);
	add(&t, "Images", u.images, iu.active, iu.size, iu.reclaim);
	add(&t, "Containers", cn, 0, cb, 0);
	add(&t, "Local Volumes", vn, 0, vb, 0);
	add(&t, "Build Cache", bn, 0, bb, bb);
	add(&t, "Unpacked Layers", u.layer_dirs, 0, u.layer_bytes, u.layer_reclaimable_bytes);
	add(&t, "Partial Downloads", u.partial_bytes ? 1 : 0, 0, u.partial_bytes, u.partial_bytes);
	bld_cli_table_print(stdout, &t);
	bld_cli_table_dispose(&t);
	return 0;
}

const struct bld_cli_cmd bld_cmd_system_df = {
	.name = "system df",
	.usage = "[OPTIONS]",
	.summary = "Show bld disk usage",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show the space images, containers, volumes and the build cache use",
		 "bld system df"},
		{"The same, object by object",
		 "bld system df -v"}),
};
