/*
 * cli/cmd_trust_key_generate.c — `bld trust key generate NAME`: a new ECDSA P-256 signing key
 * pair written as NAME.key (cosign's encrypted format, mode 0600) and NAME.pub (PKIX PEM),
 * like `cosign generate-key-pair --output-key-prefix NAME`. The key work is registry/'s.
 */
#include "cli/cli.h"
#include "registry/registry.h"

#include <sodium.h>
#include <sys/stat.h>

/* Refuses before asking for a passphrase when either file is already there. */
static int check_free(const char *prefix, struct bld_error **err)
{
	static const char *const ext[] = {".key", ".pub"};
	struct stat st;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ext); i++) {
		cleanup_free char *path = xasprintf("%s%s", prefix, ext[i]);
		if (lstat(path, &st) == 0)
			return bld_error_set(err, BLD_E_EXISTS, "%s already exists", path);
	}
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *prefix = a->argv[0];
	struct bld_registry_trust_key *k = NULL;
	char *pass = NULL;
	int r = check_free(prefix, err);
	if (r == 0)
		r = bld_registry_trust_passphrase(&pass, true, err);
	if (r == 0)
		r = bld_registry_trust_key_generate(&k, err);
	if (r == 0)
		r = bld_registry_trust_key_write_pair(k, prefix, pass, err);
	if (r == 0)
		printf("Private key written to %s.key\nPublic key written to %s.pub\n"
		       "Fingerprint: %s\n",
		       prefix, prefix, bld_registry_trust_key_fingerprint(k));
	if (pass) {
		sodium_memzero(pass, strlen(pass));
		free(pass);
	}
	bld_registry_trust_key_free(k);
	if (r < 0)
		return bld_error_wrap(err, "trust key generate");
	return 0;
}

const struct bld_cli_cmd bld_cmd_trust_key_generate = {
    .name = "trust key generate",
    .usage = "NAME",
    .summary = "Generate a signing key pair (NAME.key, NAME.pub) in cosign's format",
    .opts = (const struct bld_cli_opt[]){{NULL, 0, 0, NULL, NULL, NULL}},
    .min_args = 1,
    .max_args = 1,
    .run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Make a signing key pair (NAME.key and NAME.pub)",
		 "bld trust key generate cosign"},
		{"With a password from the environment",
		 "COSIGN_PASSWORD=secret bld trust key generate release"}),
};
