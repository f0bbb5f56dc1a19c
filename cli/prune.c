/*
 * cli/prune.c — what the prune commands share: removing unused images (image prune, system
 * prune) and printing docker's "Deleted ...:" blocks and "Total reclaimed space" line.
 */
#include "cli/image_util.h"

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

int bld_cli_prune_images(struct bld_store *s, bool all, char **used, struct bld_error **err)
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
