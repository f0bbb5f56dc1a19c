/*
 * cli/cmd_info.c — `bld info` and `bld system info [--format]`: docker's info, as docker
 * lays it out, for what bld is on this host: its store (the "Docker Root Dir"), the way it
 * mounts containers (overlay over unpacked layers: docker's overlay2; vfs without
 * overlayfs), its runtime, the cgroup version (a hybrid host counts as 1, as for docker) and
 * driver, the kernel, security options, containers by state and images. --format renders a
 * Go template over the same fields docker's Info JSON has.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

#include <jansson.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format the output using the given Go template",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

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
	const char *no_ovl = getenv("BLD_NO_OVERLAY");
	cleanup_free char *os = os_name();
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t mem = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	json_t *sec = json_pack("[s]", "name=seccomp,profile=default");
	if (v2)
		json_array_append_new(sec, json_string("name=cgroupns"));
	json_t *info = json_pack(
		"{s:I, s:s, s:[[s,s]], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s,"
		" s:o, s:s, s:b, s:b}",
		"Images", (json_int_t)image_count(s), "Driver",
		no_ovl && !strcmp(no_ovl, "1") ? "vfs" : "overlay2", "DriverStatus",
		"Backing Filesystem", backing_fs(ctx->root), "LoggingDriver", "json-file",
		"CgroupDriver", "cgroupfs", "CgroupVersion", v2 ? "2" : "1", "KernelVersion",
		u.release, "OperatingSystem", os, "OSType", "linux", "Architecture", u.machine,
		"DefaultRuntime", "bld", "NCPU", (int)cpus, "MemTotal", (json_int_t)mem, "Name",
		u.nodename, "DockerRootDir", ctx->root, "SecurityOptions", sec, "ServerVersion",
		bld_version, "Debug", false, "LiveRestoreEnabled", false);
	count_containers(ctx, info);
	return info;
}

#define I(k) ((long long)json_integer_value(json_object_get(info, k)))
#define S(k) bld_json_get_str(info, k)

static void print_info(json_t *info)
{
	char mem[32];
	bld_format_size_binary(mem, sizeof(mem), (double)I("MemTotal"));
	printf("Client:\n Context:    default\n Debug Mode: false\n\nServer:\n");
	printf(" Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n",
	       I("Containers"), I("ContainersRunning"), I("ContainersPaused"),
	       I("ContainersStopped"));
	printf(" Images: %lld\n Server Version: %s\n Storage Driver: %s\n", I("Images"),
	       S("ServerVersion"), S("Driver"));
	printf("  Backing Filesystem: %s\n", json_string_value(json_array_get(
		json_array_get(json_object_get(info, "DriverStatus"), 0), 1)));
	printf(" Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n",
	       S("LoggingDriver"), S("CgroupDriver"), S("CgroupVersion"));
	printf(" Plugins:\n  Volume: local\n  Network: bridge host null\n  Log: json-file\n");
	printf(" Runtimes: %s\n Default Runtime: %s\n", S("DefaultRuntime"), S("DefaultRuntime"));
	printf(" Security Options:\n  seccomp\n   Profile: default\n");
	if (!strcmp(S("CgroupVersion"), "2"))
		printf("  cgroupns\n");
	printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n",
	       S("KernelVersion"), S("OperatingSystem"), S("OSType"), S("Architecture"));
	printf(" CPUs: %lld\n Total Memory: %s\n Name: %s\n Docker Root Dir: %s\n", I("NCPU"),
	       mem, S("Name"), S("DockerRootDir"));
	printf(" Debug Mode: false\n Experimental: false\n Live Restore Enabled: false\n");
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	json_t *info = info_json(ctx, s);
	bld_cache_store_free(s);
	const char *fmt = bld_cli_str(a, "format");
	if (fmt && *fmt) {
		cleanup_free char *out = bld_cli_template(fmt, info);
		printf("%s\n", out);
	} else {
		print_info(info);
	}
	json_decref(info);
	return 0;
}

const struct bld_cli_cmd bld_cmd_info = {
	.name = "info",
	.usage = "[OPTIONS]",
	.summary = "Display system-wide information",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show the store, runtime and host bld uses",
		 "bld info"},
		{"Only the store's directory",
		 "bld info -f '{{.DockerRootDir}}'"}),
};

const struct bld_cli_cmd bld_cmd_system_info = {
	.name = "system info",
	.usage = "[OPTIONS]",
	.summary = "Display system-wide information",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show the store, runtime and host bld uses",
		 "bld system info"},
		{"Only the number of running containers",
		 "bld system info -f '{{.ContainersRunning}}'"}),
};
