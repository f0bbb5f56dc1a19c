/*
 * cli/prune.c — what the prune commands share: removing unused images (image prune, system
 * prune) and printing docker's "Deleted ...:" blocks and "Total reclaimed space" line.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

/* One image prune removed, in docker's "Deleted Images:" block (*arg: its header printed). */
static void print_pruned(void *arg, char *const *untagged, const char *deleted)
{
	bool *header = arg;
	if (!*header)
		printf("Deleted Images:\n");
	*header = true;
	for (size_t k = 0; untagged && untagged[k]; k++)
		printf("untagged: %s\n", untagged[k]);
	if (deleted)
		printf("deleted: %s\n", deleted);
}

static int prune_images(struct bld_store *s, bool all, char **used,
			const struct bld_cli_image_sel *sel, struct bld_error **err)
{
	bool header = false;
	int r = bld_registry_image_prune(s, all, used, sel ? sel->filters : NULL,
					 sel ? sel->until : NULL, print_pruned, &header, err);
	if (header)
		printf("\n");
	return r;
}

int bld_cli_prune_store(struct bld_ctx *ctx, bool images, const struct bld_cli_image_sel *sel,
			char ***keys, bool all,
			int64_t *bytes, struct bld_error **err)
{
	struct bld_store *s = NULL;
	*bytes = 0;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	cleanup_strv char **used = bld_runner_container_images(ctx, NULL);
	struct bld_cache_gc_stats st = {0};
	struct bld_cache_gc_opts o = {.keep = used};
	int r = images ? prune_images(s, all, used, sel, err) : 0;
	if (r == 0 && keys)
		r = bld_cache_build_records_prune(s, all, used, keys, err);
	if (r == 0)
		r = bld_cache_gc(s, &o, &st, err);
	bld_cache_store_free(s);
	*bytes = st.blob_bytes + st.layer_bytes + st.partial_bytes;
	return r;
}

int bld_cli_prune_confirm(const struct bld_cli_args *a, const char *cmd, const char *warning,
			  struct bld_error **err)
{
	if (bld_cli_given(a, "filter")) /* refused as a flag docker's CLI does not know: 125 */
		return bld_cli_flag_refuse(err, "%s --filter is not supported yet", cmd);
	return bld_cli_prune_ask(a, warning);
}

bool bld_cli_prune_ask(const struct bld_cli_args *a, const char *warning)
{
	return bld_cli_bool(a, "force") || bld_cli_confirm(warning);
}

void bld_cli_print_deleted(const char *what, char **names)
{
	if (!names || !names[0])
		return;
	printf("Deleted %s:\n", what);
	for (size_t i = 0; names[i]; i++)
		printf("%s\n", names[i]);
	printf("\n");
}

void bld_cli_print_reclaimed(int64_t bytes)
{
	char sz[32];
	bld_cli_size(sz, sizeof(sz), bytes);
	printf("Total reclaimed space: %s\n", sz);
}
