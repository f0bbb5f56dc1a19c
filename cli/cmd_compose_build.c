/*
 * cli/cmd_compose_build.c — `bld compose build`, `pull` and `push`: the images of the
 * project's services (deploy/images.c).
 */
#include "cli/compose_util.h"

static const struct bld_cli_opt build_opts[] = {
	{"no-cache", 0, BLD_OPT_BOOL, NULL, "Do not use cache when building the image", NULL},
	{"pull", 0, BLD_OPT_BOOL, NULL, "Always attempt to pull a newer version of the image", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Don't print anything to STDOUT", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};
static const struct bld_cli_opt pull_opts[] = {
	{"ignore-pull-failures", 0, BLD_OPT_BOOL, NULL,
	 "Pull what it can and ignores images with pull failures", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Pull without printing progress information", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};
static const struct bld_cli_opt push_opts[] = {
	{"ignore-push-failures", 0, BLD_OPT_BOOL, NULL,
	 "Push what it can and ignores images with push failures", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Push without printing progress information", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int image(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_image_opts o = {.verb = BLD_DEPLOY_IMAGE_BUILD};
	if (strcmp(a->cmd->name, "compose pull") == 0) {
		o.verb = BLD_DEPLOY_IMAGE_PULL;
		o.ignore_failures = bld_cli_bool(a, "ignore-pull-failures");
	} else if (strcmp(a->cmd->name, "compose push") == 0) {
		o.verb = BLD_DEPLOY_IMAGE_PUSH;
	}
	ctx->quiet = ctx->quiet || bld_cli_bool(a, "quiet");
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, true, &c, err) < 0)
		return -1;
	int r = bld_deploy_image_verb(ctx, &c.t, &o, err);
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_build = {
	.name = "compose build", .usage = "[OPTIONS] [SERVICE...]", .summary = "Build or rebuild services",
	.opts = build_opts, .max_args = -1, .run = image,
	.examples = BLD_CLI_EXAMPLES(
		{"Build every service that has a build section",
		 "bld compose build"},
		{"Build one service again from scratch",
		 "bld compose build --no-cache web"}),
};
const struct bld_cli_cmd bld_cmd_compose_pull = {
	.name = "compose pull", .usage = "[OPTIONS] [SERVICE...]", .summary = "Pull service images",
	.opts = pull_opts, .max_args = -1, .run = image,
	.examples = BLD_CLI_EXAMPLES(
		{"Pull the images of every service",
		 "bld compose pull"},
		{"Pull one service's image quietly",
		 "bld compose pull -q db"}),
};
const struct bld_cli_cmd bld_cmd_compose_push = {
	.name = "compose push", .usage = "[OPTIONS] [SERVICE...]", .summary = "Push service images",
	.opts = push_opts, .max_args = -1, .run = image,
	.examples = BLD_CLI_EXAMPLES(
		{"Push the images the project builds",
		 "bld compose push"},
		{"Push one service's image, going on after failures",
		 "bld compose push --ignore-push-failures web"}),
};
