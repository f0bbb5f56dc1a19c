/*
 * cli/cmd_history.c — `bld history [-H] [-q] [--no-trunc] [--format] IMAGE`: the config's
 * history newest first, with the size of the layer each step made, as docker prints it.
 */
#include "cli/image_util.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"format", 0, BLD_OPT_STRING, "string", "Format output using a custom template", NULL},
	{"human", 'H', BLD_OPT_BOOL, NULL, "Print sizes and dates in human readable format", "true"},
	{"no-trunc", 0, BLD_OPT_BOOL, NULL, "Don't truncate output", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only show image IDs", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* One history step as a JSON object with docker's --format fields. */
static json_t *step_json(const struct bld_registry_history_step *h, bool top, const char *id,
			 const struct bld_cli_args *a)
{
	bool human = bld_cli_bool(a, "human"), notrunc = bld_cli_bool(a, "no-trunc");
	cleanup_free char *since = human ? bld_cli_since(h->created)
					 : xstrdup(h->created ? h->created : "");
	cleanup_free char *shown = xstrdup(h->created_by ? h->created_by : "");
	for (char *p = shown; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	if (!notrunc && strlen(shown) > 45)
		memcpy(shown + 42, "...", 4);
	char sz[32], sid[13];
	if (human)
		bld_cli_size(sz, sizeof(sz), h->size);
	else
		snprintf(sz, sizeof(sz), "%lld", (long long)h->size);
	bld_cli_short_id(id, sid);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID",
			 top ? (notrunc ? id : sid) : "<missing>", "CreatedSince", since, "CreatedAt",
			 h->created ? h->created : "", "CreatedBy", shown, "Size", sz, "Comment",
			 h->comment ? h->comment : "");
}

static void print_history(const struct bld_cache_image *img, const struct bld_cli_args *a)
{
	struct bld_registry_history_step *hist = NULL;
	size_t nh = bld_registry_image_history(img, &hist);
	const char *fmt = bld_cli_str(a, "format");
	struct bld_cli_table t;
	bld_cli_table_init(&t, 5);
	const char *head[] = {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"};
	bld_cli_table_add(&t, head);
	for (size_t k = nh; k-- > 0;) {
		json_t *j = step_json(&hist[k], k + 1 == nh, img->id, a);
		if (fmt) {
			cleanup_free char *line = bld_cli_template(fmt, j);
			printf("%s\n", line);
		} else if (bld_cli_bool(a, "quiet")) {
			printf("%s\n", bld_json_get_str(j, "ID"));
		} else {
			const char *row[] = {bld_json_get_str(j, "ID"), bld_json_get_str(j, "CreatedSince"),
					     bld_json_get_str(j, "CreatedBy"), bld_json_get_str(j, "Size"),
					     bld_json_get_str(j, "Comment")};
			bld_cli_table_add(&t, row);
		}
		json_decref(j);
	}
	if (!fmt && !bld_cli_bool(a, "quiet"))
		bld_cli_table_print(stdout, &t);
	bld_cli_table_dispose(&t);
	free(hist);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_image *img = NULL;
	int r = bld_registry_image_find(s, a->argv[0], &img, err);
	bld_cache_store_free(s);
	if (r < 0)
		return r;
	print_history(img, a);
	bld_cache_image_free(img);
	return 0;
}

const struct bld_cli_cmd bld_cmd_history = {
	.name = "history",
	.usage = "[OPTIONS] IMAGE",
	.summary = "Show the history of an image",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show how an image was built",
		 "bld history app"},
		{"Only each step's command, in full",
		 "bld history --no-trunc --format '{{.CreatedBy}}' app"}),
};
