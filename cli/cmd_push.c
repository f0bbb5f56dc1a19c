/*
 * cli/cmd_push.c — `bld push [-q] NAME[:TAG]`: docker push through registry/.
 */
#include "cli/cli.h"
#include "registry/registry.h"

static const struct bld_cli_opt opts[] = {
	{"all-tags", 'a', BLD_OPT_BOOL, NULL, "Push all tags of an image to the repository", NULL},
	{"disable-content-trust", 0, BLD_OPT_BOOL, NULL, "Skip image signing", "true"},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Suppress verbose output", NULL},
	{"sign-by", 0, BLD_OPT_STRING, "string",
	 "Sign the pushed image with this private key (cosign's format; with content trust on, "
	 "default $BLD_TRUST_KEY)",
	 NULL},
	{"tls-verify", 0, BLD_OPT_BOOL, NULL,
	 "Require HTTPS and verify certificates (default: all but local and insecure registries)",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/*
 * The key to sign with: --sign-by; else, with content trust on (DOCKER_CONTENT_TRUST=1 or
 * BLD_CONTENT_TRUST=1, or --disable-content-trust=false), $BLD_TRUST_KEY. Trust on without a
 * key is refused before anything is pushed: docker's trusted push never pushes unsigned.
 */
static int signing_key(struct bld_cli_args *a, const char **key, struct bld_error **err)
{
	int off = bld_cli_given(a, "disable-content-trust")
		      ? bld_cli_bool(a, "disable-content-trust")
		      : -1;
	*key = bld_cli_str(a, "sign-by");
	if (*key || !bld_registry_trust_wanted(false, off))
		return 0;
	*key = bld_registry_trust_default_key();
	if (!*key)
		return bld_error_set(err, BLD_E_INVALID,
				     "content trust is on but no signing key: use --sign-by KEY, "
				     "set BLD_TRUST_KEY, or --disable-content-trust");
	return 0;
}

/* The provenance and SBOM the store keeps for the pushed digest, signed and attached. */
static int attest(struct bld_ctx *ctx, const char *ref, const char *digest,
		  const struct bld_registry_trust_key *key, const struct bld_registry_opts *o,
		  char ***attached, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	int r = bld_registry_attest_push(s, ref, digest, key, o, attached, err);
	bld_cache_store_free(s);
	return r;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	if (bld_cli_bool(a, "all-tags"))
		return bld_error_set(err, BLD_E_UNSUPPORTED, "--all-tags is not supported");
	struct bld_registry_opts o = {
		.config_dir = ctx->config_dir,
		.tls_verify = bld_cli_tls_verify(a),
		.quiet = bld_cli_bool(a, "quiet"),
		.tty = bld_is_tty(1),
	};
	/* the key is loaded first: a wrong passphrase fails before anything is uploaded */
	struct bld_registry_trust_key *key = NULL;
	const char *sign_by = NULL;
	if (signing_key(a, &sign_by, err) < 0)
		return -1;
	if (sign_by && bld_registry_trust_key_load_signer(&key, sign_by, err) < 0)
		return -1;
	struct bld_store *s = NULL;
	char digest[BLD_DIGEST_STR_LEN], sig[BLD_DIGEST_STR_LEN];
	int r = bld_cache_store_open(&s, ctx->root, err);
	if (r == 0)
		r = bld_registry_push(s, a->argv[0], &o, digest, err);
	bld_cache_store_free(s);
	if (r == 0 && key)
		r = bld_registry_trust_sign(a->argv[0], digest, key, &o, sig, err);
	if (r == 0 && key && !o.quiet)
		printf("Signed %s with key %s\n", digest, bld_registry_trust_key_fingerprint(key));
	cleanup_strv char **attested = NULL;
	if (r == 0 && key)
		r = attest(ctx, a->argv[0], digest, key, &o, &attested, err);
	for (size_t i = 0; attested && attested[i] && !o.quiet; i++)
		printf("Attached %s attestation to %s\n", attested[i], digest);
	bld_registry_trust_key_free(key);
	if (r < 0)
		return -1;
	if (o.quiet)
		printf("%s\n", a->argv[0]);
	return 0;
}

const struct bld_cli_cmd bld_cmd_push = {
	.name = "push",
	.usage = "[OPTIONS] NAME[:TAG]",
	.summary = "Upload an image to a registry",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Push an image to its registry",
		 "bld push registry.example.com/app:1.0"},
		{"Push it signed with a key",
		 "bld push --sign-by cosign.key registry.example.com/app:1.0"}),
};
