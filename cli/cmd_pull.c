/*
 * cli/cmd_pull.c — `bld pull [--platform P] [-q] NAME[:TAG|@DIGEST]`: docker pull through
 * registry/. Prints docker's lines and, last, the fully qualified name.
 */
#include "cli/cli.h"
#include "registry/registry.h"

static const struct bld_cli_opt opts[] = {
	{"all-tags", 'a', BLD_OPT_BOOL, NULL, "Download all tagged images in the repository", NULL},
	{"disable-content-trust", 0, BLD_OPT_BOOL, NULL, "Skip image verification", "true"},
	{"platform", 0, BLD_OPT_STRING, "string", "Set platform if server is multi-platform capable",
	 NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Suppress verbose output", NULL},
	{"signature-policy", 0, BLD_OPT_STRING, "string",
	 "Trust policy (default ~/.config/containers/policy.json, /etc/containers/policy.json)",
	 NULL},
	{"tls-verify", 0, BLD_OPT_BOOL, NULL,
	 "Require HTTPS and verify certificates (default: all but local and insecure registries)",
	 NULL},
	{"verify", 0, BLD_OPT_BOOL, NULL,
	 "Require a signature the trust policy accepts (also BLD_CONTENT_TRUST=1)", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* -a: every tag of the repository, one pull each; prints the repository name last. */
static int pull_all(struct bld_store *s, const char *name, const struct bld_registry_opts *o,
		    struct bld_error **err)
{
	struct bld_registry_ref ref;
	if (bld_registry_ref_parse(&ref, name, err) < 0)
		return -1;
	cleanup_free char *repo = bld_registry_ref_name(&ref);
	struct bld_registry_client *c = NULL;
	char **tags = NULL;
	int r = 0;
	if (strchr(strrchr(name, '/') ? strrchr(name, '/') : name, ':') || ref.digest)
		r = bld_error_set(err, BLD_E_INVALID, "tag can't be used with --all-tags/-a");
	if (r == 0)
		r = bld_registry_client_new(&c, ref.domain, o, err);
	if (r == 0)
		r = bld_registry_tags_list(c, ref.path, &tags, err);
	for (size_t i = 0; r == 0 && tags && tags[i]; i++) {
		cleanup_free char *one = xasprintf("%s:%s", repo, tags[i]);
		struct bld_registry_pull_result res;
		r = bld_registry_pull(s, one, o, &res, err);
		bld_registry_pull_result_dispose(&res);
	}
	if (r == 0)
		printf("%s\n", repo);
	bld_strv_free(tags);
	bld_registry_client_free(c);
	bld_registry_ref_dispose(&ref);
	return r;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_registry_opts o = {
		.config_dir = ctx->config_dir,
		.tls_verify = bld_cli_tls_verify(a),
		.platform = bld_cli_str(a, "platform"),
		.quiet = bld_cli_bool(a, "quiet"),
		.tty = bld_is_tty(1),
	};
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	struct bld_registry_pull_result res;
	/* content trust: --verify, --disable-content-trust=false, or DOCKER_CONTENT_TRUST /
	 * BLD_CONTENT_TRUST unless --disable-content-trust */
	int off = bld_cli_given(a, "disable-content-trust")
		      ? bld_cli_bool(a, "disable-content-trust")
		      : -1;
	bool trust = bld_registry_trust_wanted(bld_cli_bool(a, "verify"), off);
	if (bld_cli_bool(a, "all-tags")) {
		/* every tag unverified would bypass the policy: refuse rather than skip it */
		int ra = trust ? bld_error_set(err, BLD_E_UNSUPPORTED,
					       "--all-tags cannot be used with content trust")
			       : pull_all(s, a->argv[0], &o, err);
		bld_cache_store_free(s);
		return ra;
	}
	int r = trust ? bld_registry_trust_pull(s, a->argv[0], bld_cli_str(a, "signature-policy"),
						&o, &res, err)
		      : bld_registry_pull(s, a->argv[0], &o, &res, err);
	bld_cache_store_free(s);
	if (r < 0)
		return -1;
	printf("%s\n", res.name);
	bld_registry_pull_result_dispose(&res);
	return 0;
}

const struct bld_cli_cmd bld_cmd_pull = {
	.name = "pull",
	.usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
	.summary = "Download an image from a registry",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Pull an image",
		 "bld pull debian:bookworm"},
		{"Pull one by digest, verified by the trust policy",
		 "bld pull --verify registry.example.com/app@sha256:"
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}),
};
