/*
 * runner/info.c — docker's Info object (`docker info`, the Engine API's /info) for what bld
 * is on this host: its store (the "Docker Root Dir"), the way it mounts containers (overlay
 * over unpacked layers: docker's overlay2, fuse-overlayfs by that program (rootless), vfs for
 * a copy), its runtime, the cgroup
 * version (a hybrid host counts as 1, as for docker) and driver, the kernel, security
 * options, containers by state and images. It prints nothing: the front ends lay it out.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

/* Docker's storage driver names for the ways containers are mounted. */
static const char *const driver_names[] = {[BLD_RUNNER_OVERLAY_KERNEL] = "overlay2",
					   [BLD_RUNNER_OVERLAY_FUSE] = "fuse-overlayfs",
					   [BLD_RUNNER_OVERLAY_COPY] = "vfs"};

/* Distinct image IDs among the store's entries, named or not (docker's "Images"). */
static int64_t image_count(struct bld_store *s)
{
	struct bld_cache_desc *d = NULL;
	size_t n = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_ref_list_all(s, &d, &n, &e) < 0)
		return 0;
	cleanup_strv char **ids = NULL;
	for (size_t i = 0; i < n; i++) {
		struct bld_cache_image *img = NULL;
		cleanup_error struct bld_error *e2 = NULL;
		if (bld_cache_image_load_digest(s, d[i].digest, &img, &e2) < 0)
			continue;
		bool seen = false;
		for (size_t k = 0; ids && ids[k] && !seen; k++)
			seen = strcmp(ids[k], img->id) == 0;
		if (!seen)
			bld_strv_push(&ids, img->id);
		bld_cache_image_free(img);
	}
	bld_cache_desc_list_free(d, n);
	return (int64_t)bld_strv_len(ids);
}

/* The PRETTY_NAME of /etc/os-release. */
static char *os_name(void)
{
	cleanup_fclose FILE *f = fopen("/etc/os-release", "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		if (!bld_str_has_prefix(line, "PRETTY_NAME="))
			continue;
		char *v = line + strlen("PRETTY_NAME=");
		v[strcspn(v, "\n")] = 0;
		size_t n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
			return xstrndup(v + 1, n - 2);
		return xstrdup(v);
	}
	return xstrdup("Linux");
}

/* docker's name for the store's file system. */
static const char *backing_fs(const char *root)
{
	struct statfs st;
	if (statfs(root, &st) < 0)
		return "unknown";
	switch ((unsigned long)st.f_type) {
	case 0xEF53: return "extfs";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x01021994: return "tmpfs";
	case 0x794c7630: return "overlayfs";
	default: return "unknown";
	}
}

static void count_containers(struct bld_ctx *ctx, json_t *info)
{
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	cleanup_error struct bld_error *e = NULL;
	int64_t running = 0, paused = 0;
	if (bld_runner_container_list(ctx, &v, &n, &e) == 0)
		for (size_t i = 0; i < n; i++) {
			running += !strcmp(v[i].state, "running") || !strcmp(v[i].state, "restarting");
			paused += !strcmp(v[i].state, "paused");
		}
	bld_runner_container_info_free(v, n);
	json_object_set_new(info, "Containers", json_integer((json_int_t)n));
	json_object_set_new(info, "ContainersRunning", json_integer(running));
	json_object_set_new(info, "ContainersPaused", json_integer(paused));
	json_object_set_new(info, "ContainersStopped",
			    json_integer((json_int_t)n - running - paused));
}

/* docker's Info object, the fields bld has. */
static json_t *info_json(struct bld_ctx *ctx, struct bld_store *s)
{
	struct utsname u;
	uname(&u);
	bool v2 = bld_runner_cgroup_mode() == BLD_RUNNER_CG_V2;
	cleanup_free char *os = os_name();
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t mem = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	json_t *sec = json_pack("[s]", "name=seccomp,profile=default");
	if (v2)
		json_array_append_new(sec, json_string("name=cgroupns"));
	if (bld_rootless()) /* as docker's rootless mode says it */
		json_array_append_new(sec, json_string("name=rootless"));
	json_t *info = json_pack(
		"{s:I, s:s, s:[[s,s]], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s,"
		" s:o, s:s, s:b, s:b}",
		"Images", (json_int_t)image_count(s), "Driver",
		driver_names[bld_runner_overlay_kind(ctx->root)], "DriverStatus",
		"Backing Filesystem", backing_fs(ctx->root), "LoggingDriver", "json-file",
		"CgroupDriver", "cgroupfs", "CgroupVersion", v2 ? "2" : "1", "KernelVersion",
		u.release, "OperatingSystem", os, "OSType", "linux", "Architecture", u.machine,
		"DefaultRuntime", "bld", "NCPU", (int)cpus, "MemTotal", (json_int_t)mem, "Name",
		u.nodename, "DockerRootDir", ctx->root, "SecurityOptions", sec, "ServerVersion",
		bld_version, "Debug", false, "LiveRestoreEnabled", false);
	count_containers(ctx, info);
	return info;
}

int bld_runner_info(struct bld_ctx *ctx, struct json_t **out, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	*out = info_json(ctx, s);
	bld_cache_store_free(s);
	return 0;
}
