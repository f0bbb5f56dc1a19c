/*
 * cli/cmd_system_prune.c — `bld system prune [-a] [-f] [--volumes]`: container prune, then
 * (--volumes) the anonymous volumes no container mounts, the dangling images (-a: every
 * image no container uses) and the dangling build cache (-a: all of it), then garbage
 * collection; one report in docker's order and one total.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Remove all unused images not just dangling ones", NULL},
	BLD_CLI_PRUNE_OPTS("label=<key>=<value>"),
	{"volumes", 0, BLD_OPT_BOOL, NULL, "Prune anonymous volumes", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	bool all = bld_cli_bool(a, "all"), volumes = bld_cli_bool(a, "volumes");
	char w[512];
	snprintf(w, sizeof(w), "WARNING! This will remove:\n  - all stopped containers\n%s%s\n",
		 volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
		 all ? "  - all images without at least one container associated to them\n"
		       "  - all build cache"
		     : "  - all dangling images\n  - unused build cache");
	int r = bld_cli_prune_confirm(a, "system prune", w, err);
	cleanup_strv char **ids = NULL, **vols = NULL, **keys = NULL;
	int64_t total = 0, bytes = 0;
	if (r <= 0)
		return r;
	if (bld_runner_container_prune(ctx, &ids, &bytes, err) < 0)
		return -1;
	bld_runner_cgroup_sweep_steps(); /* what killed builds left: nothing to report */
	bld_cli_print_deleted("Containers", ids);
	total += bytes;
	if (volumes) {
		if (bld_runner_volume_prune(ctx, false, &vols, &bytes, err) < 0)
			return -1;
		bld_cli_print_deleted("Volumes", vols);
		total += bytes;
	}
	if (bld_cli_prune_store(ctx, true, NULL, &keys, all, &bytes, err) < 0)
		return -1;
	bld_cli_print_deleted("build cache objects", keys);
	bld_cli_print_reclaimed(total + bytes);
	return 0;
}

const struct bld_cli_cmd bld_cmd_system_prune = {
	.name = "system prune",
	.usage = "[OPTIONS]",
	.summary = "Remove unused data",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove stopped containers, unused networks, dangling images and build cache",
		 "bld system prune -f"},
		{"Remove every unused image and volume too",
		 "bld system prune -a --volumes -f"}),
};
