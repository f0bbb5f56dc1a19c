/*
 * cli/cmd_inspect.c — `bld inspect [-f FORMAT] NAME|ID...`: containers (runner/'s object,
 * looked up first, as docker does) and images as JSON shaped like
 * docker inspect's image output (Id, RepoTags, RepoDigests, Created, Config, Architecture,
 * Os, Size, RootFS, ...). Names that are not images print docker's "No such object" error
 * after the array, and the exit status is 1.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format output using a custom template", NULL},
	{"size", 's', BLD_OPT_BOOL, NULL, "Display total file sizes if the type is container", NULL},
	{"type", 0, BLD_OPT_STRING, "string", "Return JSON for specified type", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* docker inspect's object for a container, or NULL when there is no such container. */
static json_t *container_json(struct bld_ctx *ctx, const char *arg)
{
	cleanup_free char *id = NULL;
	cleanup_error struct bld_error *e = NULL;
	json_t *o = NULL;
	if (bld_runner_container_lookup(ctx, arg, &id, &e) < 0 ||
	    bld_runner_container_inspect(ctx, id, &o, &e) < 0)
		return NULL;
	return o;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *type = bld_cli_str(a, "type");
	if (type && strcmp(type, "image") != 0 && strcmp(type, "container") != 0)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "inspect --type %s is not supported", type);
	bool images = !type || strcmp(type, "image") == 0;
	bool containers = !type || strcmp(type, "container") == 0;
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	json_t *all = json_array();
	char **missing = NULL;
	for (int i = 0; i < a->argc; i++) {
		struct bld_cache_image *img = NULL;
		struct bld_error *e = NULL;
		/* as docker: a container of that name or id first, then an image */
		json_t *cj = containers ? container_json(ctx, a->argv[i]) : NULL;
		if (cj) {
			json_array_append_new(all, cj);
			continue;
		}
		if (!images || bld_registry_image_find(s, a->argv[i], &img, &e) < 0) {
			bld_strv_push(&missing, a->argv[i]);
			bld_error_free(e);
			continue;
		}
		json_array_append_new(all, bld_registry_image_json(s, img));
		bld_cache_image_free(img);
	}
	bld_cache_store_free(s);
	const char *fmt = bld_cli_str(a, "format");
	size_t i;
	json_t *o;
	if (fmt) {
		json_array_foreach(all, i, o) {
			cleanup_free char *line = bld_cli_template(fmt, o);
			printf("%s\n", line);
		}
	} else {
		cleanup_free char *txt = bld_json_dump_pretty(all);
		printf("%s\n", txt);
	}
	json_decref(all);
	/* docker names what it looked for: "object" without --type */
	for (size_t k = 0; missing && missing[k]; k++)
		fprintf(stderr, "Error: No such %s: %s\n", type ? type : "object", missing[k]);
	int rc = missing ? 1 : 0;
	bld_strv_free(missing);
	return rc;
}

const struct bld_cli_cmd bld_cmd_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] NAME|ID [NAME|ID...]",
	.summary = "Return low-level information on containers and images",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a container or an image as JSON",
		 "bld inspect web"},
		{"Only a container's IP address",
		 "bld inspect -f '{{.NetworkSettings.IPAddress}}' web"},
		{"An image, even where a container has the same name",
		 "bld inspect --type image app"}),
};
