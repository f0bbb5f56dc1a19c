/*
 * runner/update.c — docker update: a container's resource limits and restart policy
 * changed in its config.json under the containers lock and, while it runs, in its cgroups at
 * once; the monitor reads the restart policy from config.json when the container exits.
 * Docker's refusals: its conflicts (AutoRemove with a restart policy, a memory limit over
 * the swap limit, Nano CPUs against a CPU period or quota) and the fields bld does not
 * update, rather than ignoring them.
 */
#include "runner/runner_int.h"

#include <jansson.h>

static const char *const int_keys[] = {"Memory",    "MemorySwap", "MemoryReservation",
				       "NanoCpus",  "CpuShares",  "CpuPeriod",
				       "CpuQuota",  "PidsLimit",  "BlkioWeight"};
static const char *const str_keys[] = {"CpusetCpus", "CpusetMems"};

static bool listed(const char *k, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

/* A member docker's CLI sends when its flag is not given: zero, empty or null. */
static bool unset(const json_t *v)
{
	return json_is_null(v) || json_is_false(v) ||
	       (json_is_integer(v) && json_integer_value(v) == 0) ||
	       (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && !json_array_size(v)) ||
	       (json_is_object(v) && !json_object_size(v));
}

/* Every member of u set is one bld updates; else BLD_E_UNSUPPORTED. */
static int check_fields(json_t *u, struct bld_error **err)
{
	const char *k;
	json_t *v;
	json_object_foreach(u, k, v) {
		if (listed(k, int_keys, BLD_ARRAY_SIZE(int_keys)) ||
		    listed(k, str_keys, BLD_ARRAY_SIZE(str_keys)) || !strcmp(k, "RestartPolicy") ||
		    unset(v))
			continue;
		return bld_error_set(err, BLD_E_UNSUPPORTED, "updating %s is not supported", k);
	}
	return 0;
}

static json_int_t int_of(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* docker's conflicts between u and the container's host config hc (BLD_E_EXISTS). */
static int check_conflicts(const json_t *hc, const json_t *u, struct bld_error **err)
{
	const char *rp = bld_json_get_str(json_object_get(u, "RestartPolicy"), "Name");
	if (rp && *rp && strcmp(rp, "no") && json_is_true(json_object_get(hc, "AutoRemove")))
		return bld_error_set(err, BLD_E_EXISTS, "Restart policy cannot be updated because "
					   "AutoRemove is enabled for the container");
	if (int_of(u, "NanoCpus") > 0 && int_of(hc, "CpuPeriod") > 0)
		return bld_error_set(err, BLD_E_EXISTS, "Conflicting options: Nano CPUs cannot be "
					   "updated as CPU Period has already been set");
	if (int_of(u, "NanoCpus") > 0 && int_of(hc, "CpuQuota") > 0)
		return bld_error_set(err, BLD_E_EXISTS, "Conflicting options: Nano CPUs cannot be "
					   "updated as CPU Quota has already been set");
	if ((int_of(u, "CpuPeriod") > 0 || int_of(u, "CpuQuota") > 0) && int_of(hc, "NanoCpus") > 0)
		return bld_error_set(err, BLD_E_EXISTS, "Conflicting options: CPU Period or CPU "
					   "Quota cannot be updated as NanoCPUs has already been set");
	json_int_t mem = int_of(u, "Memory"), swap = int_of(u, "MemorySwap");
	if (mem != 0 && swap == 0 && mem > int_of(hc, "MemorySwap") && int_of(hc, "MemorySwap") > 0)
		return bld_error_set(err, BLD_E_EXISTS, "Memory limit should be smaller than already "
					   "set memoryswap limit, update the memoryswap at the "
					   "same time");
	if (mem != 0 && mem < 6 * 1024 * 1024)
		return bld_error_set(err, BLD_E_INVALID, "Minimum memory limit allowed is 6MB");
	if (swap > 0 && swap < (mem ? mem : int_of(hc, "Memory")))
		return bld_error_set(err, BLD_E_INVALID, "Minimum memoryswap limit should be larger "
					   "than memory limit, see usage");
	return 0;
}

/* u's settings into the host config hc. */
static void apply(json_t *hc, json_t *u)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(int_keys); i++) {
		json_t *v = json_object_get(u, int_keys[i]);
		if (json_is_integer(v) && (json_integer_value(v) || !strcmp(int_keys[i], "PidsLimit")))
			json_object_set(hc, int_keys[i], v);
	}
	for (size_t i = 0; i < BLD_ARRAY_SIZE(str_keys); i++) {
		const char *v = bld_json_get_str(u, str_keys[i]);
		if (v && *v)
			json_object_set_new(hc, str_keys[i], json_string(v));
	}
	json_t *rp = json_object_get(u, "RestartPolicy");
	const char *name = bld_json_get_str(rp, "Name");
	if (name && *name)
		json_object_set_new(hc, "RestartPolicy",
				    json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount",
					      int_of(rp, "MaximumRetryCount")));
}

/* The running container's cgroups take cfg's limits (nothing when it does not run). */
static int apply_live(struct bld_ctx *ctx, const char *id, json_t *cfg, struct bld_error **err)
{
	cleanup_json json_t *c = NULL, *st = NULL;
	if (bld_runner_container_load_live(ctx, id, &c, &st, err) < 0)
		return -1;
	if (!json_is_true(json_object_get(st, "Running")))
		return 0;
	cleanup_strv char **cgroups = bld_json_to_strv(json_object_get(st, "Cgroups"));
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	struct bld_runner_spec_holder h;
	bld_runner_spec_from_config(&h, cfg, dir);
	int r = bld_runner_cgroup_update(cgroups, &h.s, err);
	bld_runner_spec_holder_dispose(&h);
	return r;
}

static int update_locked(struct bld_ctx *ctx, const char *ref, json_t *u, char **id,
			 struct bld_error **err)
{
	if (bld_runner_container_lookup(ctx, ref, id, err) < 0)
		return -1;
	cleanup_free char *dir = bld_runner_container_dir(ctx, *id);
	cleanup_json json_t *cfg = NULL;
	if (bld_runner_json_read(dir, "config.json", &cfg, err) < 0)
		return -1;
	json_t *hc = json_object_get(cfg, "HostConfig");
	if (!hc)
		json_object_set_new(cfg, "HostConfig", hc = json_object());
	if (check_conflicts(hc, u, err) < 0)
		return -1;
	apply(hc, u);
	if (apply_live(ctx, *id, cfg, err) < 0 || bld_runner_config_write(dir, cfg, err) < 0)
		return -1;
	bld_runner_event(ctx, cfg, "update", NULL);
	return 0;
}

int bld_runner_container_update(struct bld_ctx *ctx, const char *ref, json_t *u,
				struct bld_error **err)
{
	if (check_fields(u, err) < 0)
		return -1;
	int lock = bld_runner_containers_lock(ctx, err);
	if (lock < 0)
		return -1;
	cleanup_free char *id = NULL;
	int r = update_locked(ctx, ref, u, &id, err);
	close(lock);
	if (r < 0 && id && (*err)->code != BLD_E_NOTFOUND)
		return bld_error_wrap(err, "Cannot update container %s", id);
	return r;
}
