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
static json_t *step_json(const json_t *h, bool top, const char *id, int64_t size,
			 const struct bld_cli_args *a)
{
	bool human = bld_cli_bool(a, "human"), notrunc = bld_cli_bool(a, "no-trunc");
	const char *by = bld_json_get_str(h, "created_by");
	const char *created = bld_json_get_str(h, "created");
	cleanup_free char *since = human ? bld_cli_since(created) : xstrdup(created ? created : "");
	cleanup_free char *shown = xstrdup(by ? by : "");
	for (char *p = shown; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	if (!notrunc && strlen(shown) > 45)
		memcpy(shown + 42, "...", 4);
	char sz[32], sid[13];
	if (human)
		bld_cli_size(sz, sizeof(sz), size);
	else
		snprintf(sz, sizeof(sz), "%lld", (long long)size);
	bld_cli_short_id(id, sid);
	const char *comment = bld_json_get_str(h, "comment");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID",
			 top ? (notrunc ? id : sid) : "<missing>", "CreatedSince", since, "CreatedAt",
			 created ? created : "", "CreatedBy", shown, "Size", sz, "Comment",
			 comment ? comment : "");
}

static void print_history(const struct bld_cache_image *img, const struct bld_cli_args *a)
{
	json_t *layers = json_object_get(img->manifest, "layers");
	json_t *hist = json_object_get(img->config, "history");
	json_auto_t *synth = NULL;
	if (json_array_size(hist) == 0) {
		/* no history recorded: one step per layer, as docker shows it */
		synth = json_array();
		for (size_t i = 0; i < json_array_size(layers); i++)
			json_array_append_new(synth, json_pack("{s:s?}", "created",
							      bld_json_get_str(img->config, "created")));
		hist = synth;
	}
	size_t nh = json_array_size(hist);
	int64_t *sizes = xcalloc(nh + 1, sizeof(int64_t));
	size_t li = 0;
	for (size_t i = 0; i < nh; i++)
		if (!json_is_true(json_object_get(json_array_get(hist, i), "empty_layer")))
			sizes[i] = json_integer_value(
				json_object_get(json_array_get(layers, li++), "size"));
	const char *fmt = bld_cli_str(a, "format");
	struct bld_cli_table t;
	bld_cli_table_init(&t, 5);
	const char *head[] = {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"};
	bld_cli_table_add(&t, head);
	for (size_t k = nh; k-- > 0;) {
		json_t *j = step_json(json_array_get(hist, k), k + 1 == nh, img->id, sizes[k], a);
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
	free(sizes);
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
