/*
 * cli/cmd_kube_down.c — `bld kube down FILE|-`: what `kube play` made of the file removed
 * (deploy/kube_play.c); its volumes too with --volumes (podman's --force).
 */
#include "cli/cli.h"
#include "deploy/deploy.h"

static const struct bld_cli_opt opts[] = {
	{"network", 0, BLD_OPT_STRING, "string", "The network given to kube play --network",
	 NULL},
	{"volumes", 'v', BLD_OPT_BOOL, NULL,
	 "Remove the volumes of the PersistentVolumeClaims and claim templates too", NULL},
	{"force", 0, BLD_OPT_BOOL, NULL, "The same as --volumes (podman's name)", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int down(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_kube_down_opts o = {
		.file = a->argv[0], .network = bld_cli_str(a, "network"),
		.volumes = bld_cli_bool(a, "volumes") || bld_cli_bool(a, "force")};
	return bld_deploy_kube_down(ctx, &o, err) < 0 ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_kube_down = {
	.name = "kube down",
	.usage = "[OPTIONS] FILE|-",
	.summary = "Remove the pods, containers and networks kube play made of a file",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = down,
	.fail_status = 125,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove what bld kube play made of a file", "bld kube down app.yaml"},
		{"The same from a pipe", "bld kube generate | bld kube down -"}),
};
