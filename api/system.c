/*
 * api/system.c — the system endpoints: /_ping (the headers clients negotiate with),
 * /version and /info, in docker's shapes. The facts come from runner/ (bld_runner_info, as
 * `bld info` shows them); what is added here is only what docker's daemon reports about
 * itself that bld has no module for: no swarm, the plugins and runtime bld is.
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <sys/utsname.h>

int bld_api_ping(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err)
{
	static const char ok[] = "OK";
	bool head = strcmp(req->method, "HEAD") == 0;
	resp->raw = MHD_create_response_from_buffer(head ? 0 : strlen(ok), (char *)ok,
						    MHD_RESPMEM_PERSISTENT);
	if (!resp->raw)
		return bld_error_set(err, BLD_E_INTERNAL, "cannot make a response");
	MHD_add_response_header(resp->raw, "Builder-Version", "1");
	MHD_add_response_header(resp->raw, "Cache-Control", "no-cache, no-store, must-revalidate");
	MHD_add_response_header(resp->raw, "Pragma", "no-cache");
	MHD_add_response_header(resp->raw, "Content-Type", "text/plain; charset=utf-8");
	return 0;
}

/* Go's name for the machine (GOARCH), as docker reports Arch. */
static const char *go_arch(const char *machine)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"},
		{"armv7l", "arm"},   {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(map); i++)
		if (strcmp(machine, map[i][0]) == 0)
			return map[i][1];
	return machine;
}

int bld_api_version(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err)
{
	struct utsname u;
	uname(&u);
	const char *arch = go_arch(u.machine);
	json_t *details = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion", BLD_API_VERSION_MAX,
		"Arch", arch, "BuildTime", "", "Experimental", "false", "GitCommit", "",
		"GoVersion", "", "KernelVersion", u.release, "MinAPIVersion", BLD_API_VERSION_MIN,
		"Os", "linux");
	resp->json = json_pack(
		"{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"Platform", "Name", "bld", "Components", "Name", "Engine", "Version", bld_version,
		"Details", details, "Version", bld_version, "ApiVersion", BLD_API_VERSION_MAX,
		"MinAPIVersion", BLD_API_VERSION_MIN, "GitCommit", "", "GoVersion", "", "Os",
		"linux", "Arch", arch, "KernelVersion", u.release, "BuildTime", "");
	return 0;
}

/* What docker's daemon says of itself that bld has no module for: no swarm, the plugins and
 * the one runtime, the limits bld applies (so that clients warn of none missing). */
static void add_daemon_fields(json_t *info)
{
	json_object_set_new(info, "ID", json_string(""));
	json_object_set_new(info, "Swarm",
			    json_pack("{s:s, s:s, s:s, s:b, s:s, s:n}", "NodeID", "", "NodeAddr",
				      "", "LocalNodeState", "inactive", "ControlAvailable", false,
				      "Error", "", "RemoteManagers"));
	json_object_set_new(info, "Plugins",
			    json_pack("{s:[s], s:[s,s,s], s:[s], s:n}", "Volume", "local",
				      "Network", "bridge", "host", "null", "Log", "json-file",
				      "Authorization"));
	json_object_set_new(info, "Runtimes", json_pack("{s:{s:s}}", "bld", "path", "bld"));
	static const char *const supported[] = {
		"MemoryLimit", "SwapLimit",  "CpuCfsPeriod", "CpuCfsQuota",      "CPUShares",
		"CPUSet",      "PidsLimit", "IPv4Forwarding", "BridgeNfIptables", "BridgeNfIp6tables",
		"OomKillDisable"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(supported); i++)
		json_object_set_new(info, supported[i], json_true());
	json_object_set_new(info, "KernelMemory", json_false());
	json_object_set_new(info, "Isolation", json_string(""));
	json_object_set_new(info, "InitBinary", json_string(""));
	json_object_set_new(info, "Labels", json_array());
	json_object_set_new(info, "ExperimentalBuild", json_false());
	json_object_set_new(info, "Warnings", json_null());
	json_object_set_new(info, "IndexServerAddress", json_string("https://index.docker.io/v1/"));
}

int bld_api_info(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err)
{
	json_t *info = NULL;
	if (bld_runner_info(req->ctx, &info, err) < 0)
		return -1;
	add_daemon_fields(info);
	resp->json = info;
	return 0;
}
