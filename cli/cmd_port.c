/*
 * cli/cmd_port.c — `bld port CONTAINER [PRIVATE_PORT[/PROTO]]`.
 */
#include "cli/container_opts.h"

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *id = NULL;
	cleanup_strv char **lines = NULL;
	if (bld_runner_container_lookup(ctx, a->argv[0], &id, err) < 0 ||
	    bld_runner_container_ports(ctx, id, &lines, err) < 0)
		return -1;
	cleanup_free char *want = NULL;
	if (a->argc > 1)
		want = strchr(a->argv[1], '/') ? xasprintf("%s ", a->argv[1])
					       : xasprintf("%s/tcp ", a->argv[1]);
	bool found = false;
	for (size_t i = 0; lines && lines[i]; i++) {
		if (want && !bld_str_has_prefix(lines[i], want))
			continue;
		found = true;
		printf("%s\n", want ? strstr(lines[i], "-> ") + 3 : lines[i]);
	}
	if (want && !found)
		return bld_error_set(err, BLD_E_NOTFOUND, "No public port '%s' published for %s",
				     a->argv[1], a->argv[0]);
	return 0;
}

static const struct bld_cli_opt opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};

const struct bld_cli_cmd bld_cmd_port = {
	.name = "port",
	.usage = "CONTAINER [PRIVATE_PORT[/PROTO]]",
	.summary = "List port mappings or a specific mapping for the container",
	.opts = opts,
	.min_args = 1,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"List a container's published ports",
		 "bld port web"},
		{"Where its port 80 is published",
		 "bld port web 80/tcp"}),
};
