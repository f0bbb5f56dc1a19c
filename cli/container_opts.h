/*
 * cli/container_opts.h — what the container commands of cli/ share: the flags of
 * `run`/`create` and their translation into a bld_runner_container_config, and putting the
 * terminal into raw mode for -t, and the per-container loop of stop/restart/kill/rm.
 */
#ifndef BLD_CLI_CONTAINER_OPTS_H
#define BLD_CLI_CONTAINER_OPTS_H

#include "cli/cli.h"
#include "runner/runner.h"

#include <termios.h>

/* The options of `bld create` (and `bld run`, which adds -d, --rm... at the front). */
#define BLD_CREATE_OPTS                                                                        \
	{"interactive", 'i', BLD_OPT_BOOL, NULL, "Keep STDIN open even if not attached", NULL},      \
	{"tty", 't', BLD_OPT_BOOL, NULL, "Allocate a pseudo-TTY", NULL},                         \
	{"rm", 0, BLD_OPT_BOOL, NULL, "Automatically remove the container when it exits", NULL}, \
	{"name", 0, BLD_OPT_STRING, "string", "Assign a name to the container", NULL},           \
	{"env", 'e', BLD_OPT_LIST, "list", "Set environment variables", NULL},                   \
	{"env-file", 0, BLD_OPT_LIST, "list", "Read in a file of environment variables", NULL},  \
	{"workdir", 'w', BLD_OPT_STRING, "string", "Working directory inside the container",     \
	 NULL},                                                                                  \
	{"user", 'u', BLD_OPT_STRING, "string", "Username or UID (format: <name|uid>[:<group|gid>])", \
	 NULL},                                                                                  \
	{"hostname", 'h', BLD_OPT_STRING, "string", "Container host name", NULL},                \
	{"entrypoint", 0, BLD_OPT_STRING, "string", "Overwrite the default ENTRYPOINT of the image", \
	 NULL},                                                                                  \
	{"volume", 'v', BLD_OPT_LIST, "list", "Bind mount a volume", NULL},                      \
	{"tmpfs", 0, BLD_OPT_LIST, "list", "Mount a tmpfs directory", NULL},                     \
	{"read-only", 0, BLD_OPT_BOOL, NULL, "Mount the container's root filesystem as read only", \
	 NULL},                                                                                  \
	{"init", 0, BLD_OPT_BOOL, NULL,                                                          \
	 "Run an init inside the container that forwards signals and reaps processes", NULL},    \
	{"publish", 'p', BLD_OPT_LIST, "list", "Publish a container's port(s) to the host", NULL}, \
	{"publish-all", 'P', BLD_OPT_BOOL, NULL, "Publish all exposed ports to random ports",    \
	 NULL},                                                                                  \
	{"network", 0, BLD_OPT_LIST, "network", "Connect a container to a network", NULL},        \
	{"restart", 0, BLD_OPT_STRING, "string", "Restart policy to apply when a container exits", \
	 "no"},                                                                                  \
	{"memory", 'm', BLD_OPT_STRING, "bytes", "Memory limit", NULL},                          \
	{"cpus", 0, BLD_OPT_STRING, "decimal", "Number of CPUs", NULL},                          \
	{"pids-limit", 0, BLD_OPT_STRING, "int", "Tune container pids limit (set -1 for unlimited)", \
	 NULL},                                                                                  \
	{"label", 'l', BLD_OPT_LIST, "list", "Set meta data on a container", NULL},              \
	{"cap-add", 0, BLD_OPT_LIST, "list", "Add Linux capabilities", NULL},                    \
	{"cap-drop", 0, BLD_OPT_LIST, "list", "Drop Linux capabilities", NULL},                  \
	{"security-opt", 0, BLD_OPT_LIST, "list", "Security Options", NULL},                     \
	{"privileged", 0, BLD_OPT_BOOL, NULL, "Give extended privileges to this container", NULL}, \
	{"rootfs", 0, BLD_OPT_BOOL, NULL,                                                        \
	 "The first argument is not an image but a root filesystem directory (as podman)", NULL}, \
	{"disable-content-trust", 0, BLD_OPT_BOOL, NULL, "Skip image verification", "true"},     \
	{"signature-policy", 0, BLD_OPT_STRING, "string",                                        \
	 "Trust policy the image must meet with content trust (default policy.json)", NULL},    \
	{"log-driver", 0, BLD_OPT_STRING, "string",                                               \
	 "Logging driver for the container (json-file, none)", NULL},                             \
	{"log-opt", 0, BLD_OPT_LIST, "list", "Log driver options (max-size, max-file)", NULL},    \
	{"mount", 0, BLD_OPT_LIST, "mount", "Attach a filesystem mount to the container", NULL}, \
	{"add-host", 0, BLD_OPT_LIST, "list", "Add a custom host-to-IP mapping (host:ip)", NULL}, \
	{"dns", 0, BLD_OPT_LIST, "list", "Set custom DNS servers", NULL},                        \
	{"dns-search", 0, BLD_OPT_LIST, "list", "Set custom DNS search domains", NULL},          \
	{"dns-option", 0, BLD_OPT_LIST, "list", "Set DNS options", NULL},                        \
	{"expose", 0, BLD_OPT_LIST, "list", "Expose a port or a range of ports", NULL},          \
	{"label-file", 0, BLD_OPT_LIST, "list", "Read in a line delimited file of labels", NULL}, \
	{"stop-signal", 0, BLD_OPT_STRING, "string", "Signal to stop a container", "SIGTERM"},   \
	{"stop-timeout", 0, BLD_OPT_STRING, "int", "Timeout (in seconds) to stop a container",   \
	 NULL},                                                                                  \
	{"ulimit", 0, BLD_OPT_LIST, "ulimit", "Ulimit options", NULL},                           \
	{"sysctl", 0, BLD_OPT_LIST, "map", "Sysctl options", NULL},                              \
	{"shm-size", 0, BLD_OPT_STRING, "bytes", "Size of /dev/shm", NULL},                      \
	{"group-add", 0, BLD_OPT_LIST, "list", "Add additional groups to join", NULL},           \
	{"cidfile", 0, BLD_OPT_STRING, "string", "Write the container ID to the file", NULL},    \
	{"domainname", 0, BLD_OPT_STRING, "string", "Container NIS domain name", NULL},          \
	{"volumes-from", 0, BLD_OPT_LIST, "list", "Mount volumes from the specified container(s)", \
	 NULL},                                                                                  \
	{"pull", 0, BLD_OPT_STRING, "string",                                                    \
	 "Pull image before running (\"always\"|\"missing\"|\"never\")", "missing"},             \
	{"platform", 0, BLD_OPT_STRING, "string", "Set platform if server is multi-platform capable", \
	 NULL},                                                                                  \
	{"ipc", 0, BLD_OPT_STRING, "string", "IPC mode to use", NULL},                           \
	{"pid", 0, BLD_OPT_STRING, "string", "PID namespace to use", NULL},                      \
	{"uts", 0, BLD_OPT_STRING, "string", "UTS namespace to use", NULL},                      \
	{"cgroupns", 0, BLD_OPT_STRING, "string",                                                \
	 "Cgroup namespace to use (host|private)", NULL},                                        \
	{"userns", 0, BLD_OPT_STRING, "string", "User namespace to use", NULL},                  \
	{"isolation", 0, BLD_OPT_STRING, "string", "Container isolation technology", NULL},      \
	{"cgroup-parent", 0, BLD_OPT_STRING, "string",                                           \
	 "Optional parent cgroup for the container", NULL},                                      \
	{"cpu-shares", 'c', BLD_OPT_STRING, "int", "CPU shares (relative weight)", NULL},        \
	{"cpuset-cpus", 0, BLD_OPT_STRING, "string", "CPUs in which to allow execution (0-3, 0,1)", \
	 NULL},                                                                                  \
	{"cpuset-mems", 0, BLD_OPT_STRING, "string", "MEMs in which to allow execution (0-3, 0,1)", \
	 NULL},                                                                                  \
	{"memory-reservation", 0, BLD_OPT_STRING, "bytes", "Memory soft limit", NULL},           \
	{"memory-swap", 0, BLD_OPT_STRING, "bytes",                                              \
	 "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", NULL},           \
	{"oom-kill-disable", 0, BLD_OPT_BOOL, NULL, "Disable OOM Killer", NULL},                 \
	{"oom-score-adj", 0, BLD_OPT_STRING, "int", "Tune host's OOM preferences (-1000 to 1000)", \
	 NULL},                                                                                  \
	{"blkio-weight", 0, BLD_OPT_STRING, "uint16",                                            \
	 "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", NULL},  \
	{"device", 0, BLD_OPT_LIST, "list", "Add a host device to the container", NULL},         \
	{"device-cgroup-rule", 0, BLD_OPT_LIST, "list",                                          \
	 "Add a rule to the cgroup allowed devices list", NULL},                                 \
	{"attach", 'a', BLD_OPT_LIST, "list", "Attach to STDIN, STDOUT or STDERR", NULL},        \
	{"cpu-period", 0, BLD_OPT_STRING, "int", "Limit CPU CFS (Completely Fair Scheduler) period", \
	 NULL},                                                                                  \
	{"cpu-quota", 0, BLD_OPT_STRING, "int", "Limit CPU CFS (Completely Fair Scheduler) quota", \
	 NULL},                                                                                  \
	{"cpu-rt-period", 0, BLD_OPT_STRING, "int",                                              \
	 "Limit CPU real-time period in microseconds", NULL},                                    \
	{"cpu-rt-runtime", 0, BLD_OPT_STRING, "int",                                             \
	 "Limit CPU real-time runtime in microseconds", NULL},                                   \
	{"memory-swappiness", 0, BLD_OPT_STRING, "int",                                          \
	 "Tune container memory swappiness (0 to 100)", "-1"},                                   \
	{"kernel-memory", 0, BLD_OPT_STRING, "bytes", "Kernel memory limit", NULL},              \
	{"blkio-weight-device", 0, BLD_OPT_LIST, "list", "Block IO weight (relative device weight)", \
	 NULL},                                                                                  \
	{"device-read-bps", 0, BLD_OPT_LIST, "list",                                             \
	 "Limit read rate (bytes per second) from a device", NULL},                              \
	{"device-write-bps", 0, BLD_OPT_LIST, "list",                                            \
	 "Limit write rate (bytes per second) to a device", NULL},                               \
	{"device-read-iops", 0, BLD_OPT_LIST, "list",                                            \
	 "Limit read rate (IO per second) from a device", NULL},                                 \
	{"device-write-iops", 0, BLD_OPT_LIST, "list",                                           \
	 "Limit write rate (IO per second) to a device", NULL},                                  \
	{"runtime", 0, BLD_OPT_STRING, "string", "Runtime to use for this container", NULL},     \
	{"volume-driver", 0, BLD_OPT_STRING, "string", "Optional volume driver for the container", \
	 NULL},                                                                                  \
	{"gpus", 0, BLD_OPT_STRING, "gpu-request", "GPU devices to add to the container", NULL}, \
	{"storage-opt", 0, BLD_OPT_LIST, "list", "Storage driver options for the container", NULL}, \
	{"ip", 0, BLD_OPT_STRING, "string", "IPv4 address (e.g., 172.30.100.104)", NULL},        \
	{"ip6", 0, BLD_OPT_STRING, "string", "IPv6 address (e.g., 2001:db8::33)", NULL},         \
	{"network-alias", 0, BLD_OPT_LIST, "list", "Add network-scoped alias for the container", \
	 NULL},                                                                                  \
	{"link", 0, BLD_OPT_LIST, "list", "Add link to another container", NULL},                \
	{"cpu-count", 0, BLD_OPT_STRING, "int", "CPU count (Windows only)", NULL},               \
	{"cpu-percent", 0, BLD_OPT_STRING, "int", "CPU percent (Windows only)", NULL},           \
	{"io-maxbandwidth", 0, BLD_OPT_STRING, "bytes",                                          \
	 "Maximum IO bandwidth limit for the system drive (Windows only)", NULL},                \
	{"io-maxiops", 0, BLD_OPT_STRING, "uint", "Maximum IOps limit for the system drive (Windows only)", \
	 NULL},                                                                                  \
	{"mac-address", 0, BLD_OPT_STRING, "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)", \
	 NULL},                                                                                  \
	BLD_HEALTH_OPTS

/* --health-* and --no-healthcheck (health_opts.c) */
#define BLD_HEALTH_OPTS                                                                        \
	{"health-cmd", 0, BLD_OPT_STRING, "string", "Command to run to check health", NULL},     \
	{"health-interval", 0, BLD_OPT_STRING, "duration",                                      \
	 "Time between running the check (ms|s|m|h) (default 0s)", NULL},                       \
	{"health-retries", 0, BLD_OPT_STRING, "int",                                             \
	 "Consecutive failures needed to report unhealthy", NULL},                               \
	{"health-start-interval", 0, BLD_OPT_STRING, "duration",                                \
	 "Time between running the check during the start period (ms|s|m|h) (default 0s)", NULL}, \
	{"health-start-period", 0, BLD_OPT_STRING, "duration",                                  \
	 "Start period for the container to initialize before starting health-retries "         \
	 "countdown (ms|s|m|h) (default 0s)", NULL},                                             \
	{"health-timeout", 0, BLD_OPT_STRING, "duration",                                       \
	 "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", NULL},               \
	{"no-healthcheck", 0, BLD_OPT_BOOL, NULL, "Disable any container-specified HEALTHCHECK", \
	 NULL}

/* A file of K=V lines (--env-file, --label-file: blank and # lines skipped, a K alone takes
 * its value from bld's environment or is left out), appended to *out. */
int bld_cli_kv_file(char ***out, const char *path, struct bld_error **err);
/* Fills c from the parsed arguments (argv[0] is the image, the rest the command). */
int bld_cli_container_config(struct bld_runner_container_config *c, struct bld_cli_args *a,
			     struct bld_ctx *ctx, struct bld_error **err);
void bld_cli_container_config_dispose(struct bld_runner_container_config *c);
/* c->host_extra and c->config_extra from the flags that map onto HostConfig and Config
 * fields, and --label-file into c->labels (hostconfig.c). */
int bld_cli_host_config(struct bld_runner_container_config *c, struct bld_cli_args *a,
			struct bld_error **err);
/* --add-host values as docker's CLI checks them (HOST:IP or HOST:host-gateway), with its
 * "invalid argument ... for \"--add-host\" flag" refusal (hostconfig.c). */
int bld_cli_add_hosts_check(char *const *v, struct bld_error **err);
/* --shm-size in bytes into *out when given (docker's sizes: 64m, 1g), else *out untouched. */
int bld_cli_shm_size(struct bld_cli_args *a, int64_t *out, struct bld_error **err);
/* One CSV record (encoding/csv as docker reads --mount and --network): *out gets the fields;
 * -1 on a bare quote (hostconfig.c). */
int bld_cli_csv_fields(const char *v, char ***out);
/* --network (several), --network-alias, --ip, --ip6, --link into c->network (the first),
 * c->endpoints and c->links, with docker's CLI refusals (netopts.c). */
int bld_cli_network_opts(struct bld_runner_container_config *c, struct bld_cli_args *a,
			 struct bld_error **err);
/* The streams a container is attached to (-a, else docker's defaults: stdout and stderr, and
 * stdin with -i; none with run -d), as Config.AttachStdin/Stdout/Stderr say. */
struct bld_cli_streams {
	bool in, out, err;
};
int bld_cli_attach_streams(struct bld_cli_args *a, struct bld_cli_streams *s,
			   struct bld_error **err);
/* `create` and `run`'s first half: fills c (the caller disposes it) and creates the container,
 * writing its ID to --cidfile (refused when that file exists, as docker does). */
int bld_cli_container_create(struct bld_ctx *ctx, struct bld_cli_args *a,
			     struct bld_runner_container_config *c, char **id,
			     struct bld_error **err);
/* health_opts.c: --health-* and --no-healthcheck as docker's CLI reads them. */
int bld_cli_health_opts(struct bld_runner_health *h, struct bld_cli_args *a,
			struct bld_error **err);

/* Raw mode on fd 0 when it is a terminal; restores on bld_cli_term_restore. */
bool bld_cli_term_raw(struct termios *saved);
void bld_cli_term_restore(const struct termios *saved);

/* What stop, restart, kill and rm do to one container (its full ID). */
typedef int (*bld_cli_container_fn)(struct bld_ctx *ctx, const char *id, void *payload,
				    struct bld_error **err);
/* Calls fn for the container each argument names, printing the argument when that worked and
 * `bld: <why>` when not, and going on; 0 when all worked, else 1 (docker's exit status). */
int bld_cli_each_container(struct bld_ctx *ctx, struct bld_cli_args *a, bld_cli_container_fn fn,
			   void *payload);
/* -t/--time of stop and restart (seconds; -1 when not given). */
int bld_cli_stop_time(struct bld_cli_args *a, int *t, struct bld_error **err);

/* `top` of the container id (cmd_top.c): ps (with ps_args, default -ef) of its processes,
 * as docker's table. */
int bld_cli_top(struct bld_ctx *ctx, const char *id, char *const *ps_args,
		struct bld_error **err);

#endif
