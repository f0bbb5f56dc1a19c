/*
 * cli/cmd_compose_images.c — `bld compose images`: the image of each of the project's
 * containers, as compose v2 lists them (CONTAINER REPOSITORY TAG PLATFORM IMAGE ID SIZE
 * CREATED, sorted by container), -q their IDs.
 */
#include "cli/compose_util.h"
#include "cli/image_util.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only display IDs", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct bld_deploy_ctr *)a)->name,
		      ((const struct bld_deploy_ctr *)b)->name);
}

/* One row: the container's image as the store holds it. */
static void row(struct bld_cli_table *t, struct bld_store *s, const struct bld_deploy_ctr *c)
{
	cleanup_free char *repo = NULL, *tag = NULL, *digest = NULL;
	bld_registry_repo_tag(c->info->image, &repo, &tag, &digest);
	struct bld_cache_image *img = NULL;
	cleanup_error struct bld_error *e = NULL;
	char id[13] = "", size[32] = "", created[64] = "", plat[64] = "";
	if (bld_registry_image_find(s, c->image_digest[0] ? c->image_digest : c->info->image, &img,
			       &e) == 0) {
		bld_cli_short_id(img->id, id);
		bld_cli_size(size, sizeof(size), bld_cache_image_size(s, img));
		bld_cli_created_text(created, sizeof(created),
				     bld_time_parse(bld_json_get_str(img->config, "created")));
		snprintf(plat, sizeof(plat), "%s/%s", bld_json_get_str(img->config, "os"),
			 bld_json_get_str(img->config, "architecture"));
		bld_cache_image_free(img);
	}
	const char *cells[] = {c->name, repo ? repo : "<none>", tag ? tag : "<none>", plat, id,
			       size, created};
	bld_cli_table_add(t, cells);
}

static int images(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_cli_compose c;
	struct bld_store *s = NULL;
	if (bld_cli_compose_open(ctx, a, 0, false, &c, err) < 0)
		return -1;
	struct bld_deploy_state st;
	int r = bld_cli_compose_state(ctx, &c, false, &st, err);
	if (r == 0)
		r = bld_cli_store_open(ctx, &s, err);
	if (r == 0) {
		qsort(st.v, st.n, sizeof(*st.v), by_name);
		struct bld_cli_table t;
		bld_cli_table_init(&t, 7);
		const char *head[] = {"CONTAINER", "REPOSITORY", "TAG", "PLATFORM", "IMAGE ID",
				      "SIZE", "CREATED"};
		bld_cli_table_add(&t, head);
		for (size_t i = 0; i < st.n; i++)
			if (bld_cli_bool(a, "quiet"))
				printf("%s\n", st.v[i].image_digest);
			else
				row(&t, s, &st.v[i]);
		if (!bld_cli_bool(a, "quiet"))
			bld_cli_table_print(stdout, &t);
		bld_cli_table_dispose(&t);
		bld_cache_store_free(s);
	}
	bld_deploy_state_dispose(&st);
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_images = {
	.name = "compose images",
	.usage = "[OPTIONS] [SERVICE...]",
	.summary = "List images used by the created containers",
	.opts = opts,
	.max_args = -1,
	.run = images,
	.examples = BLD_CLI_EXAMPLES(
		{"List the images the project's containers use",
		 "bld compose images"},
		{"Only their IDs",
		 "bld compose images -q"}),
};
