/*
 * runner/boot.c — what a daemon does when it comes up, without a daemon: every container
 * whose restart policy says so is started again (`bld system boot`, run once at boot by
 * bld-boot.service). A reboot ends every monitor; the store still says which containers
 * ran and what each one's policy is:
 *   always          started, whatever it was doing (docker starts those at its start too);
 *   unless-stopped  started unless a user stopped or killed it (state.json's ManualStop,
 *                   docker's HasBeenManuallyStopped);
 *   on-failure      started when it was running when the machine went down (the monitor
 *                   died under it, as a crash: docker counts that as a failure);
 *   no              never.
 * A container already running (its monitor alive) is left alone, so that running it twice
 * starts nothing twice. It starts what it starts; it removes and repairs nothing.
 */
#include "runner/runner_int.h"

#include <jansson.h>

/* Whether the container with config cfg and state st (as stored, before the effective
 * state) should start now. */
static bool wanted(struct bld_ctx *ctx, const char *id, json_t *cfg, json_t *st)
{
	if (bld_runner_client_wait_fd_alive(ctx, id))
		return false;
	json_t *rp = json_object_get(json_object_get(cfg, "HostConfig"), "RestartPolicy");
	const char *name = bld_json_get_str(rp, "Name");
	bool was_running = json_is_true(json_object_get(st, "Running")) ||
			   json_is_true(json_object_get(st, "Restarting"));
	if (!name)
		return false;
	if (strcmp(name, "always") == 0)
		return true;
	if (strcmp(name, "unless-stopped") == 0)
		return !json_is_true(json_object_get(st, "ManualStop"));
	if (strcmp(name, "on-failure") == 0)
		return was_running;
	return false;
}

int bld_runner_boot(struct bld_ctx *ctx, char ***started, struct bld_error **err)
{
	cleanup_strv char **ids = bld_runner_container_ids(ctx);
	*started = xcalloc(1, sizeof(char *));
	int failed = 0;
	struct bld_error *first = NULL;
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_json json_t *cfg = NULL;
		cleanup_json json_t *st = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_load(ctx, ids[i], &cfg, &st, &e) < 0 ||
		    !wanted(ctx, ids[i], cfg, st))
			continue;
		struct bld_runner_attach none = {0};
		int report = -1;
		const char *name = bld_json_get_str(cfg, "Name");
		if (bld_runner_container_start(ctx, ids[i], &none, &report, &e) < 0) {
			failed++;
			bld_error_wrap(&e, "start %s", name ? name + (name[0] == '/') : ids[i]);
			if (!first)
				first = steal_pointer(&e);
			continue;
		}
		bld_strv_push(started, name ? name + (name[0] == '/') : ids[i]);
	}
	if (first)
		bld_error_move(err, &first);
	return failed ? -1 : 0;
}
