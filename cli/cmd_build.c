/*
 * cli/cmd_build.c — `bld build`: docker build's flags turned into bld_builder_opts. The image
 * ID goes to stdout with -q (as docker does); progress goes to stderr. A failed build exits
 * 1 like docker build (an unsupported option too); a bad command line exits 125.
 */
#include "builder/builder.h"
#include "cli/cli.h"
#include "cli/container_opts.h"
#include "registry/registry.h"

static const struct bld_cli_opt opts[] = {
	{"tag", 't', BLD_OPT_LIST, "list", "Name and optionally a tag in the \"name:tag\" format",
	 NULL},
	{"file", 'f', BLD_OPT_STRING, "string", "Name of the Dockerfile (default: \"PATH/Dockerfile\")",
	 NULL},
	{"build-arg", 0, BLD_OPT_LIST, "list", "Set build-time variables", NULL},
	{"build-context", 0, BLD_OPT_LIST, "stringArray",
	 "Additional build contexts (e.g., name=path)", NULL},
	{"target", 0, BLD_OPT_STRING, "string", "Set the target build stage to build", NULL},
	{"label", 0, BLD_OPT_LIST, "list", "Set metadata for an image", NULL},
	{"iidfile", 0, BLD_OPT_STRING, "string", "Write the image ID to the file", NULL},
	{"secret", 0, BLD_OPT_LIST, "stringArray",
	 "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\")", NULL},
	{"ssh", 0, BLD_OPT_LIST, "stringArray",
	 "SSH agent socket or keys to expose to the build (format: "
	 "\"default|<id>[=<socket>|<key>[,<key>]]\")",
	 NULL},
	{"network", 0, BLD_OPT_STRING, "string",
	 "Set the networking mode for the RUN instructions during build", "default"},
	{"add-host", 0, BLD_OPT_LIST, "list", "Add a custom host-to-IP mapping (host:ip)", NULL},
	{"shm-size", 0, BLD_OPT_STRING, "bytes", "Size of /dev/shm", NULL},
	{"platform", 0, BLD_OPT_STRING, "string", "Set platform if server is multi-platform capable",
	 NULL},
	{"isolation", 0, BLD_OPT_STRING, "string",
	 "Container isolation technology (\"default\", \"oci\", \"chroot\")", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Suppress the build output and print image ID on success",
	 NULL},
	{"progress", 0, BLD_OPT_STRING, "string",
	 "Set type of progress output (\"auto\", \"plain\", \"tty\", \"quiet\")", "auto"},
	{"no-cache", 0, BLD_OPT_BOOL, NULL, "Do not use cache when building the image", NULL},
	{"no-cache-filter", 0, BLD_OPT_LIST, "stringArray", "Do not cache specified stages", NULL},
	{"pull", 0, BLD_OPT_BOOL, NULL, "Always attempt to pull a newer version of the image", NULL},
	{"output", 'o', BLD_OPT_STRING, "stringArray",
	 "Output destination (format: \"type=local,dest=path\")", NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Manifest format (\"oci\" or \"docker\")", "oci"},
	{"cache-from", 0, BLD_OPT_LIST, "stringArray", "External cache sources", NULL},
	{"cache-to", 0, BLD_OPT_LIST, "stringArray", "Cache export destinations", NULL},
	{"disable-content-trust", 0, BLD_OPT_BOOL, NULL, "Skip image verification", "true"},
	{"signature-policy", 0, BLD_OPT_STRING, "string",
	 "Trust policy for base images pulled with content trust (default policy.json)", NULL},
	{"provenance", 0, BLD_OPT_OPTVAL, "string",
	 "Record SLSA provenance: \"true\", \"mode=min|max[,builder-id=URI]\"", NULL},
	{"sbom", 0, BLD_OPT_OPTVAL, "string", "Record an SPDX SBOM of the image: \"true\"", NULL},
	{"explain", 0, BLD_OPT_BOOL, NULL,
	 "Say why each step missed the cache: the first input that differs from the last build",
	 NULL},
	{"check-reproducible", 0, BLD_OPT_BOOL, NULL,
	 "Build twice in scratch stores with one SOURCE_DATE_EPOCH and compare the images", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* A buildx attestation value: "true"/"1", "false"/"0", or KEY=VALUE pairs with commas. */
static int attest_opt(const char *name, const char *v, const char *const *keys, char **vals,
		      bool *on, struct bld_error **err)
{
	cleanup_strv char **parts = bld_strv_split(v ? v : "false", ",");
	*on = v != NULL;
	for (size_t i = 0; parts && parts[i]; i++) {
		const char *p = parts[i], *eq = strchr(p, '=');
		bool known = false;
		if (!strcmp(p, "true") || !strcmp(p, "1") || !strcmp(p, "false") || !strcmp(p, "0")) {
			*on = !strcmp(p, "true") || !strcmp(p, "1");
			continue;
		}
		for (size_t k = 0; eq && keys[k]; k++)
			if ((size_t)(eq - p) == strlen(keys[k]) && !strncmp(p, keys[k], strlen(keys[k]))) {
				free(vals[k]);
				vals[k] = xstrdup(eq + 1);
				known = true;
			}
		if (!known)
			return bld_error_set(err, BLD_E_INVALID, "invalid value \"%s\" for --%s", p,
					     name);
	}
	return 0;
}

/* --provenance and --sbom into o (the strings in vals stay the caller's to free). */
static int attest_opts(struct bld_builder_opts *o, struct bld_cli_args *a, char *vals[3],
		       struct bld_error **err)
{
	static const char *const pkeys[] = {"mode", "builder-id", NULL};
	static const char *const skeys[] = {NULL};
	bool on = false;
	if (attest_opt("provenance", bld_cli_str(a, "provenance"), pkeys, vals, &on, err) < 0)
		return -1;
	const char *mode = vals[0] ? vals[0] : "min";
	if (strcmp(mode, "min") != 0 && strcmp(mode, "max") != 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid provenance mode \"%s\": use min or max", mode);
	o->provenance = on ? (strcmp(mode, "max") == 0 ? 2 : 1) : 0;
	o->builder_id = vals[1];
	return attest_opt("sbom", bld_cli_str(a, "sbom"), skeys, vals + 2, &o->sbom, err);
}

/* --check-reproducible: "reproducible: DIGEST", or each difference and exit 1. */
static int check_reproducible(struct bld_ctx *ctx, const struct bld_builder_opts *o,
			      struct bld_error **err)
{
	struct bld_builder_repro res;
	if (bld_builder_check_reproducible(ctx, o, &res, err) < 0)
		return -1;
	int r = 0;
	if (res.digest[0])
		printf("reproducible: %s\n", res.digest);
	for (size_t i = 0; res.diffs && res.diffs[i]; i++)
		printf("%s\n", res.diffs[i]);
	if (!res.digest[0])
		r = bld_error_set(err, BLD_E_INVALID, "build is not reproducible: %zu differences",
				  bld_strv_len(res.diffs));
	bld_builder_repro_dispose(&res);
	return r;
}

/* Every -t is a reference, checked before the build as docker's CLI checks it when it
 * parses the flag (exit 125), not after. */
static int check_tags(char *const *tags, struct bld_error **err)
{
	for (size_t i = 0; tags && tags[i]; i++) {
		struct bld_registry_ref r;
		cleanup_error struct bld_error *e = NULL;
		if (bld_registry_ref_parse(&r, tags[i], &e) < 0)
			return bld_cli_flag_refuse(err, "invalid argument \"%s\" for \"-t, --tag\" "
						   "flag: %s", tags[i], e->msg);
		bld_registry_ref_dispose(&r);
	}
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *fmt = bld_cli_str(a, "format");
	if (fmt && strcmp(fmt, "oci") != 0 && strcmp(fmt, "docker") != 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "unrecognized image format \"%s\": use oci or docker", fmt);
	const char *prog = bld_cli_str(a, "progress");
	if (prog && strcmp(prog, "auto") != 0 && strcmp(prog, "plain") != 0 &&
	    strcmp(prog, "tty") != 0 && strcmp(prog, "quiet") != 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid progress mode \"%s\": use auto, plain, tty or quiet", prog);
	int64_t shm = 0;
	if (check_tags(bld_cli_list(a, "tag"), err) < 0 ||
	    bld_cli_add_hosts_check(bld_cli_list(a, "add-host"), err) < 0 ||
	    bld_cli_shm_size(a, &shm, err) < 0)
		return -1;
	struct bld_builder_opts o = {
		.context = a->argv[0],
		.dockerfile = bld_cli_str(a, "file"),
		.build_contexts = bld_cli_list(a, "build-context"),
		.tags = bld_cli_list(a, "tag"),
		.build_args = bld_cli_list(a, "build-arg"),
		.target = bld_cli_str(a, "target"),
		.labels = bld_cli_list(a, "label"),
		.iidfile = bld_cli_str(a, "iidfile"),
		.secrets = bld_cli_list(a, "secret"),
		.ssh = bld_cli_list(a, "ssh"),
		.network = bld_cli_str(a, "network"),
		.add_hosts = bld_cli_list(a, "add-host"),
		.shm_size = shm,
		.platform = bld_cli_str(a, "platform"),
		.isolation = bld_cli_str(a, "isolation"),
		.no_cache = bld_cli_bool(a, "no-cache"),
		.no_cache_filter = bld_cli_list(a, "no-cache-filter"),
		.pull = bld_cli_bool(a, "pull"),
		.quiet = bld_cli_bool(a, "quiet"),
		.progress = bld_cli_str(a, "progress"),
		.output = bld_cli_str(a, "output"),
		.cache_from = bld_cli_list(a, "cache-from"),
		.cache_to = bld_cli_list(a, "cache-to"),
		.docker_format = fmt && strcmp(fmt, "docker") == 0,
		.signature_policy = bld_cli_str(a, "signature-policy"),
		.explain = bld_cli_bool(a, "explain"),
	};
	/* docker: --disable-content-trust defaults to !DOCKER_CONTENT_TRUST */
	int off = bld_cli_given(a, "disable-content-trust")
		      ? bld_cli_bool(a, "disable-content-trust")
		      : -1;
	o.trust = bld_registry_trust_wanted(false, off);
	char *vals[3] = {NULL, NULL, NULL};
	char id[BLD_DIGEST_STR_LEN];
	int r = attest_opts(&o, a, vals, err);
	if (r == 0 && bld_cli_bool(a, "check-reproducible"))
		r = check_reproducible(ctx, &o, err);
	else if (r == 0)
		r = bld_builder_build(ctx, &o, id, err);
	for (size_t i = 0; i < 3; i++)
		free(vals[i]);
	if (r < 0) {
		if (*err)
			(*err)->status = 1; /* docker build: 1 for every failed build */
		return -1;
	}
	/* with an archive on stdout (--output ...,dest=-) the ID would corrupt it */
	if (bld_cli_bool(a, "check-reproducible"))
		return 0;
	if (o.quiet && !(o.output && (strstr(o.output, "dest=-") || strcmp(o.output, "-") == 0)))
		printf("%s\n", id);
	return 0;
}

const struct bld_cli_cmd bld_cmd_build = {
	.name = "build",
	.usage = "[OPTIONS] PATH | URL | -",
	.summary = "Build an image from a Dockerfile",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.fail_status = 125,
	.exit_status = "0 when the image is built; 1 when the build fails (a step, the Dockerfile, the "
		       "context); 125 for an invalid command line.",
	.examples = BLD_CLI_EXAMPLES(
		{"Build the Dockerfile of the current directory and name the image",
		 "bld build -t app:1.0 ."},
		{"Build another Dockerfile's stage with a build argument",
		 "bld build -f docker/Dockerfile --target release --build-arg VERSION=2 -t app ."},
		{"Build a reproducible image from a git repository",
		 "SOURCE_DATE_EPOCH=0 bld build -t app https://example.com/app.git#main"}),
};
