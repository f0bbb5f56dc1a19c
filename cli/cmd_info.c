/*
 * cli/cmd_info.c — `bld info` and `bld system info [--format]`: docker's info, as docker
 * lays it out, of the Info object bld_runner_info makes (the Engine API's /info serves the
 * same object), and bld's own line: the isolation `bld build` uses by default here. --format renders a Go template over its fields.
 */
#include "builder/builder.h"
#include "cli/image_util.h"
#include "runner/runner.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format the output using the given Go template",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

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
	const char *why = S("BuildIsolationReason");
	printf(" Build Isolation: %s%s%s%s\n", S("BuildIsolation"), why ? " (" : "", why ? why : "",
	       why ? ")" : "");
	printf(" Security Options:\n  seccomp\n   Profile: default\n");
	if (!strcmp(S("CgroupVersion"), "2"))
		printf("  cgroupns\n");
	json_t *sec = json_object_get(info, "SecurityOptions");
	for (size_t i = 0; i < json_array_size(sec); i++)
		if (!strcmp(json_string_value(json_array_get(sec, i)) ?: "", "name=rootless"))
			printf("  rootless\n");
	printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n",
	       S("KernelVersion"), S("OperatingSystem"), S("OSType"), S("Architecture"));
	printf(" CPUs: %lld\n Total Memory: %s\n Name: %s\n Docker Root Dir: %s\n", I("NCPU"),
	       mem, S("Name"), S("DockerRootDir"));
	printf(" Debug Mode: false\n Experimental: false\n Live Restore Enabled: false\n");
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	json_t *info = NULL;
	if (bld_runner_info(ctx, &info, err) < 0)
		return -1;
	/* bld's own: what `bld build` uses here (chroot where no namespace can be made) */
	const char *iso = NULL, *why = NULL;
	if (bld_builder_isolation(NULL, &iso, &why, err) < 0) {
		json_decref(info);
		return -1;
	}
	json_object_set_new(info, "BuildIsolation", json_string(iso));
	if (why)
		json_object_set_new(info, "BuildIsolationReason", json_string(why));
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
