/*
 * cli/cmd_version.c — `bld version`: the version of bld and of the libraries it links.
 */
#include "cli/cli.h"

#include <archive.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format the output (\"json\")", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *fmt = bld_cli_str(a, "format");
	if (fmt && strcmp(fmt, "json") == 0) {
		printf("{\"Version\":\"%s\",\"Os\":\"linux\",\"Arch\":\"amd64\"}\n", bld_version);
		return 0;
	}
	printf("bld:\n Version:     %s\n OS/Arch:     linux/amd64\n Store:       %s\n",
	       bld_version, ctx->root);
	printf(" libarchive:  %s\n libcurl:     %s\n OpenSSL:     %s\n", archive_version_string(),
	       curl_version(), OpenSSL_version(OPENSSL_VERSION));
	return 0;
}

const struct bld_cli_cmd bld_cmd_version = {
	.name = "version",
	.usage = "[OPTIONS]",
	.summary = "Show the bld version information",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show bld's version",
		 "bld version"},
		{"As JSON",
		 "bld version -f json"}),
};
