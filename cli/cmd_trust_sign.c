/*
 * cli/cmd_trust_sign.c — `bld trust sign --key KEY NAME[:TAG|@DIGEST]`: signs an image that is
 * already in a registry, like `cosign sign --key`: the signature is appended to the
 * repository's sha256-<hex>.sig manifest. The work is registry/'s.
 */
#include "cli/cli.h"
#include "registry/registry.h"

static const struct bld_cli_opt opts[] = {
    {"key", 'k', BLD_OPT_STRING, "string", "Private key file (cosign's format)", NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *key = bld_cli_str(a, "key");
	if (!key)
		return bld_error_set(err, BLD_E_INVALID, "trust sign: --key is required");
	struct bld_registry_opts o = {.config_dir = ctx->config_dir};
	struct bld_registry_trust_key *k = NULL;
	char dg[BLD_DIGEST_STR_LEN];
	int r = bld_registry_trust_key_load_signer(&k, key, err);
	if (r == 0)
		r = bld_registry_trust_sign(a->argv[0], NULL, k, &o, dg, err);
	if (r == 0)
		printf("Signed %s with key %s\nSignatures: %s\n", a->argv[0],
		       bld_registry_trust_key_fingerprint(k), dg);
	bld_registry_trust_key_free(k);
	return r < 0 ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_trust_sign = {
    .name = "trust sign",
    .usage = "--key KEY NAME[:TAG|@DIGEST]",
    .summary = "Sign an image in a registry (cosign-compatible signature)",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Sign an image in its registry",
		 "bld trust sign --key cosign.key registry.example.com/app:1.0"},
		{"Sign one digest",
		 "bld trust sign -k cosign.key registry.example.com/app@sha256:"
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}),
};
