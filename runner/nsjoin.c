/*
 * runner/nsjoin.c — --pid and --ipc "container:NAME" when a container starts: the running
 * container whose namespaces it shares, refused in docker's words when it does not run or
 * (IPC) was not made shareable. The sandbox joins them (sandbox.c).
 */
#include "runner/runner_int.h"

#include <jansson.h>

/* The pid 1 of the container a "container:NAME" mode names, which must run, and for IPC have
 * been made shareable, as docker requires. */
static int donor(struct bld_ctx *ctx, const char *mode, bool ipc, pid_t *out,
		 struct bld_error **err)
{
	cleanup_free char *id = NULL;
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_lookup(ctx, mode + 10, &id, err) < 0 ||
	    bld_runner_container_load_live(ctx, id, &cfg, &st, err) < 0)
		return -1;
	bool running = json_is_true(json_object_get(st, "Running"));
	const char *ipcmode = bld_json_get_str(json_object_get(cfg, "HostConfig"), "IpcMode");
	*out = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	if (!running || *out <= 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "cannot join %s of a non running container: %s",
				     ipc ? "IPC" : "PID", mode + 10);
	if (ipc && (!ipcmode || (strcmp(ipcmode, "shareable") && strcmp(ipcmode, "host"))))
		return bld_error_set(err, BLD_E_INVALID, "can't join IPC of container %s: "
				     "non-shareable IPC (hint: use IpcMode:shareable for the donor "
				     "container)", id);
	return 0;
}

int bld_runner_ns_join(struct bld_ctx *ctx, json_t *cfg, struct bld_runner_spec *s,
		       struct bld_error **err)
{
	json_t *hc = json_object_get(cfg, "HostConfig");
	const char *ipc = bld_json_get_str(hc, "IpcMode"), *pid = bld_json_get_str(hc, "PidMode");
	if (ipc && bld_str_has_prefix(ipc, "container:") && donor(ctx, ipc, true, &s->ipc_join, err) < 0)
		return -1;
	if (pid && bld_str_has_prefix(pid, "container:") && donor(ctx, pid, false, &s->pid_join, err) < 0)
		return -1;
	return 0;
}
