/*
 * cli/cmd_volume_inspect.c — `bld volume inspect VOLUME...`: a JSON array as docker prints.
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format output (\"{{.Mountpoint}}\")", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	json_t *all = json_array();
	const char *fmt = bld_cli_str(a, "format");
	for (int i = 0; i < a->argc; i++) {
		json_t *v = NULL;
		if (bld_runner_volume_inspect(ctx, a->argv[i], &v, err) < 0) {
			json_decref(all);
			return -1;
		}
		json_array_append_new(all, v);
	}
	size_t i;
	json_t *v;
	if (fmt) {
		json_array_foreach(all, i, v) {
			cleanup_free char *s = bld_cli_template(fmt, v);
			printf("%s\n", s);
		}
	} else {
		cleanup_free char *s = bld_json_dump_pretty(all);
		printf("%s\n", s);
	}
	json_decref(all);
	return 0;
}

const struct bld_cli_cmd bld_cmd_volume_inspect = {
	.name = "volume inspect",
	.usage = "[OPTIONS] VOLUME [VOLUME...]",
	.summary = "Display detailed information on one or more volumes",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a volume as JSON",
		 "bld volume inspect data"},
		{"Only where it lives",
		 "bld volume inspect -f '{{.Mountpoint}}' data"}),
};
