/*
 * cli/cmd_trust_inspect.c — `bld trust inspect [--key PUB]... [--format json] NAME[:TAG]`: lists
 * an image's signatures (identity, signed digest, and which given key verifies each).
 */
#include "cli/cli.h"
#include "cli/image_util.h"
#include "registry/registry.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
    {"key", 'k', BLD_OPT_LIST, "list", "Public key to verify with (repeatable)", NULL},
    {"format", 'f', BLD_OPT_STRING, "string", "Format the output (\"json\")", NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static void print_text(json_t *j)
{
	json_t *sigs = json_object_get(j, "Signatures");
	printf("%s\nDigest: %s\nSignatures (%s): %zu\n", bld_json_get_str(j, "Name"),
	       bld_json_get_str(j, "Digest"), bld_json_get_str(j, "SignatureTag"),
	       json_array_size(sigs));
	for (size_t i = 0; i < json_array_size(sigs); i++) {
		json_t *s = json_array_get(sigs, i);
		const char *id = bld_json_get_str(s, "Identity");
		const char *sd = bld_json_get_str(s, "SignedDigest");
		const char *key = bld_json_get_str(s, "Key");
		printf("  %zu. %s\n     identity: %s\n     signs:    %s\n     key:      %s\n"
		       "     status:   %s\n",
		       i + 1, bld_json_get_str(s, "Digest"), id ? id : "-", sd ? sd : "-",
		       key ? key : "-", bld_json_get_str(s, "State"));
	}
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_registry_opts o = {.config_dir = ctx->config_dir};
	struct bld_registry_trust_key **keys = NULL;
	size_t n = 0;
	int r = bld_cli_trust_keys(a, &keys, &n, err);
	json_t *j = NULL;
	if (r == 0)
		r = bld_registry_trust_inspect(a->argv[0], keys, n, &o, &j, err);
	const char *fmt = bld_cli_str(a, "format");
	if (r == 0 && fmt && strcmp(fmt, "json") == 0) {
		cleanup_free char *s = bld_json_dump_pretty(j);
		printf("%s\n", s);
	} else if (r == 0) {
		print_text(j);
	}
	json_decref(j);
	bld_cli_trust_keys_free(keys);
	return r < 0 ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_trust_inspect = {
    .name = "trust inspect",
    .usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
    .summary = "List an image's signatures and whether given keys verify them",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show an image's signatures",
		 "bld trust inspect registry.example.com/app:1.0"},
		{"Verify them against a public key",
		 "bld trust inspect -k cosign.pub registry.example.com/app:1.0"}),
};
