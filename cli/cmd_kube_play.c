/*
 * cli/cmd_kube_play.c — `bld kube play FILE|-`: Kubernetes YAML run on this machine
 * (deploy/kube_play.c), with podman kube play's flags --replace, --network and --publish.
 */
#include "cli/cli.h"
#include "deploy/deploy.h"

static const struct bld_cli_opt opts[] = {
	{"network", 0, BLD_OPT_STRING, "string",
	 "Connect the pods to this network instead of kube-<namespace>", NULL},
	{"publish", 0, BLD_OPT_LIST, "list",
	 "Publish a container's port on the host (HOST:CONTAINER[/PROTO]), adding to or "
	 "overriding the Services' ports",
	 NULL},
	{"replace", 0, BLD_OPT_BOOL, NULL,
	 "Remove what the same file made before (its volumes kept), then play it", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int play(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_kube_play_opts o = {.file = a->argv[0],
					      .network = bld_cli_str(a, "network"),
					      .publish = bld_cli_list(a, "publish"),
					      .replace = bld_cli_bool(a, "replace")};
	return bld_deploy_kube_play(ctx, &o, err) < 0 ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_kube_play = {
	.name = "kube play",
	.usage = "[OPTIONS] FILE|-",
	.summary = "Run the Pods, Deployments, StatefulSets, Jobs and Services of Kubernetes YAML",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = play,
	.fail_status = 125,
	.examples = BLD_CLI_EXAMPLES(
		{"Run the objects of a Kubernetes file", "bld kube play app.yaml"},
		{"Run them again, replacing what an earlier play made",
		 "bld kube play --replace app.yaml"},
		{"Run what bld kube generate prints", "bld kube generate | bld kube play -"}),
};
