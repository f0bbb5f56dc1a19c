/*
 * cli/cmd_rename.c — `bld rename CONTAINER NEW_NAME` (also `bld container rename`): both
 * names trimmed of white space as docker's CLI trims them; the rules and the rename itself
 * are runner/container.c's.
 */
#include "cli/cli.h"
#include "runner/runner.h"

#include <ctype.h>

static const struct bld_cli_opt opts[] = {
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* s without leading and trailing white space (caller frees). */
static char *trimmed(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	cleanup_free char *old = trimmed(a->argv[0]);
	cleanup_free char *name = trimmed(a->argv[1]);
	if (!*old || !*name)
		return bld_error_refuse(err, BLD_E_INVALID, "Neither old nor new names may be empty");
	return bld_runner_container_rename(ctx, old, name, err) < 0 ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_rename = {
	.name = "rename",
	.usage = "CONTAINER NEW_NAME",
	.summary = "Rename a container",
	.opts = opts,
	.min_args = 2,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Rename a container",
		 "bld rename web web-old"},
		{"Give an unnamed one a name",
		 "bld rename 3f2a1b9c web"}),
};
