/*
 * cli/cmd_trust_revoke.c — `bld trust revoke NAME[:TAG|@DIGEST]`: deletes the image's signature
 * manifest (all its signatures) where the registry allows deletion.
 */
#include "cli/cli.h"
#include "registry/registry.h"

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_registry_opts o = {.config_dir = ctx->config_dir};
	char dg[BLD_DIGEST_STR_LEN];
	if (bld_registry_trust_revoke(a->argv[0], &o, dg, err) < 0)
		return -1;
	printf("Deleted signatures of %s: %s\n", a->argv[0], dg);
	return 0;
}

const struct bld_cli_cmd bld_cmd_trust_revoke = {
    .name = "trust revoke",
    .usage = "NAME[:TAG|@DIGEST]",
    .summary = "Delete an image's signatures from its registry",
    .opts = (const struct bld_cli_opt[]){{NULL, 0, 0, NULL, NULL, NULL}},
    .min_args = 1,
    .max_args = 1,
    .run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove an image's signatures",
		 "bld trust revoke registry.example.com/app:1.0"},
		{"Of one digest",
		 "bld trust revoke registry.example.com/app@sha256:"
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}),
};
