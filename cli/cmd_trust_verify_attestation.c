/*
 * cli/cmd_trust_verify_attestation.c — `bld trust verify-attestation --key PUB [--type T]
 * NAME[:TAG|@DIGEST]`: cosign verify-attestation's check of the in-toto attestations attached
 * to an image; prints the predicate of each one that verifies. Exit status 1 when none does,
 * as cosign's.
 */
#include "cli/cli.h"
#include "cli/image_util.h"
#include "registry/registry.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
    {"key", 'k', BLD_OPT_LIST, "list", "Public key to verify with (repeatable)", NULL},
    {"type", 0, BLD_OPT_STRING, "string",
     "Predicate type: slsaprovenance, slsaprovenance1, spdxjson, or a URI (default: any)",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};

/* cosign's --type names; a URI is taken as it is. */
static int predicate_type(const char *t, const char **out, struct bld_error **err)
{
	static const char *const names[][2] = {{"slsaprovenance", BLD_ATTEST_SLSA_V1},
					       {"slsaprovenance1", BLD_ATTEST_SLSA_V1},
					       {"spdxjson", BLD_ATTEST_SPDX}};
	*out = t;
	for (size_t i = 0; t && i < BLD_ARRAY_SIZE(names); i++)
		if (strcmp(t, names[i][0]) == 0)
			*out = names[i][1];
	if (t && *out == t && !strstr(t, "://"))
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid predicate type \"%s\": use slsaprovenance, "
				     "slsaprovenance1, spdxjson or a URI",
				     t);
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_registry_opts o = {.config_dir = ctx->config_dir};
	const char *type = NULL;
	if (!bld_cli_list(a, "key"))
		return bld_error_set(err, BLD_E_INVALID, "verify-attestation needs --key");
	if (predicate_type(bld_cli_str(a, "type"), &type, err) < 0)
		return -1;
	struct bld_registry_trust_key **keys = NULL;
	size_t n = 0;
	int r = bld_cli_trust_keys(a, &keys, &n, err);
	json_t *sts = NULL;
	if (r == 0 && bld_registry_attest_verify(a->argv[0], keys, n, type, &o, &sts, err) < 0) {
		(*err)->status = 1;
		r = -1;
	}
	for (size_t i = 0; r == 0 && i < json_array_size(sts); i++) {
		cleanup_free char *s =
		    bld_json_dump_pretty(json_object_get(json_array_get(sts, i), "predicate"));
		printf("%s\n", s);
	}
	json_decref(sts);
	bld_cli_trust_keys_free(keys);
	return r < 0 ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_trust_verify_attestation = {
    .name = "trust verify-attestation",
    .usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
    .summary = "Verify an image's signed in-toto attestations and print their predicates",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Check an image's SLSA provenance",
		 "bld trust verify-attestation --key cosign.pub --type slsaprovenance "
		 "registry.example.com/app:1.0"},
		{"Print its SBOM, accepting either of two keys",
		 "bld trust verify-attestation -k old.pub -k new.pub --type spdxjson "
		 "registry.example.com/app:1.0"}),
};
