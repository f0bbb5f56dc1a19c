/*
 * cli/cmd_volume_inspect.c — `bld volume inspect VOLUME...`: a JSON array as docker prints. A
 * name that is not found is reported after the others and exits 1, as docker's.
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
	cleanup_json json_t *all = json_array();
	cleanup_strv char **errors = NULL;
	(void)err;
	for (int i = 0; i < a->argc; i++) {
		json_t *v = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_volume_inspect(ctx, a->argv[i], &v, &e) == 0) {
			json_array_append_new(all, v);
			continue;
		}
		cleanup_free char *line = e->code == BLD_E_NOTFOUND
						  ? xasprintf("No such volume: %s", a->argv[i])
						  : xstrdup(e->msg);
		bld_strv_push(&errors, line);
	}
	bld_cli_inspect_print(all, bld_cli_str(a, "format"));
	for (size_t i = 0; errors && errors[i]; i++)
		fprintf(stderr, "bld: %s\n", errors[i]);
	return errors ? 1 : 0;
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
