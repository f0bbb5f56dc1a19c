/*
 * runner/runner.h — every process bld starts inside an image: the sandbox (namespaces,
 * overlay rootfs, pivot_root, capabilities, seccomp, cgroups) shared by RUN steps and
 * containers, the container lifecycle with one monitor process per container, networks and
 * published ports.
 *
 * Includes cache/ and common/. libseccomp lives here and nowhere else.
 *
 * Two layers:
 *  - the sandbox (bld_runner_sandbox_*): one process tree in fresh namespaces over a root
 *    filesystem made from layer directories. It knows nothing of container ids, logs or
 *    restart policies. The builder runs each RUN step through it: fill a
 *    struct bld_runner_spec with the parent image's layer directories as `lowers`, a
 *    scratch `state_dir`, the step's argv/env/user/workdir, call bld_runner_sandbox_run,
 *    and read the step's changes from "<state_dir>/upper" (an overlayfs upper directory:
 *    whiteouts are 0:0 character devices, opaque directories carry the
 *    trusted.overlay.opaque xattr). bld_runner_sandbox_cleanup removes the scratch.
 *    (fuse-overlayfs, where the kernel refuses it rootless, writes the same but for opaque
 *    directories: user.fuseoverlayfs.opaque and a .wh..wh..opq file, which cache/layer.c
 *    reads as well.)
 *    Where overlayfs cannot be mounted (or BLD_NO_OVERLAY=1), the layers are copied into
 *    "<state_dir>/rootfs" instead and changes land there (no upper directory then: a
 *    builder must diff that tree against the layers itself).
 *    /etc/hosts, /etc/hostname and /etc/resolv.conf are bind-mounted from
 *    "<state_dir>/etc"; when the image lacks them, empty files are created in the upper
 *    directory for the mount points, which a builder should leave out of a layer.
 *    rlimits are inherited from the caller and never raised.
 *  - containers (bld_runner_container_*): state under $BLD_ROOT/containers/<id>/ and a
 *    monitor process per container (see container.c, monitor.c).
 */
#ifndef BLD_RUNNER_H
#define BLD_RUNNER_H

#include "cache/cache.h"
#include "common/common.h"

#include <stdint.h>
#include <sys/types.h>

/* ======================================================================== sandbox */

/* A mount the caller adds inside the container (bind mounts, volumes, tmpfs). */
struct bld_runner_mount {
	char *type;    /* "bind" (also named volumes: source is the volume's directory) or "tmpfs" */
	char *source;  /* host path for "bind"; ignored for "tmpfs" */
	char *target;  /* absolute path inside the container; created when missing */
	char *options; /* tmpfs data ("size=64m,mode=1777") or NULL */
	bool readonly;
	bool copy_up; /* a volume: filled with what the image has at target when it is empty */
	unsigned long propagation; /* a bind's MS_SHARED/MS_SLAVE (| MS_REC); 0: private */
	bool nonrecursive;         /* a bind without the mounts below its source */
};

/* One --ulimit: setrlimit(resource) in the container; -1 (RLIM_INFINITY) for unlimited. */
struct bld_runner_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* One --device: a node made in the container's /dev like the host's (allowed by the device
 * rules when there is a devices cgroup). */
struct bld_runner_device {
	char *host_path, *path; /* on the host; in the container */
	char type;              /* 'c' or 'b'; 0 when host_path is no device (errnum says why) */
	unsigned major, minor;
	char perms[4]; /* "rwm" */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int errnum;
};

enum bld_runner_net_mode {
	BLD_RUNNER_NET_NONE,   /* a new network namespace with only lo */
	BLD_RUNNER_NET_HOST,   /* the host's network namespace */
	BLD_RUNNER_NET_NSPATH, /* join the namespace at net_path (a bridge veth set up there) */
};

/* A device rule as docker writes it (--device-cgroup-rule, docker's default rules): "TYPE
 * MAJOR:MINOR ACCESS", type 'a' (every device), 'b' or 'c', numbers or '*', access one to
 * three of 'r', 'w', 'm'. */
struct bld_runner_device_rule {
	char type;
	int64_t major, minor; /* -1: '*' */
	bool read, write, mknod;
};
/* 0 and *out, or -1 when s is not of that form (devfilter.c). */
int bld_runner_device_rule_parse(const char *s, struct bld_runner_device_rule *out);

/* The cgroup names of build steps begin so (the process's pid follows): cgroup.c takes out
 * those of processes that are gone. */
#define BLD_RUNNER_STEP_CGROUP "bld-step-"

/*
 * What to run and how. Pointers are borrowed for the duration of the call. Zero/NULL fields
 * take Docker's defaults.
 */
struct bld_runner_spec {
	/* root filesystem: overlay over `lowers` (lowest first, at least one), or `rootfs` */
	char *const *lowers;
	const char *rootfs;    /* used instead of lowers: bind-mounted as is, writes land in it */
	bool chroot;           /* --isolation=chroot: rootfs entered with chroot alone, no
				  namespace, mount, cgroup or seccomp filter of its own; the
				  process keeps bld's privileges and network (the fields for
				  those are ignored) */
	const char *state_dir; /* must exist; upper/, work/, merged/, hosts, resolv.conf and
				  hostname are made inside */
	bool readonly_rootfs;  /* --read-only */
	bool ephemeral;        /* the root's changes go with the run (--rm; RUN steps, whose
				  upper is committed, always): the overlay is mounted volatile,
				  so it never syncs its upper filesystem */

	/* the process */
	char *const *argv;    /* argv[0] looked up in the container's PATH (from env) */
	char *const *env;     /* "K=V"; PATH defaults to Docker's when missing */
	const char *cwd;      /* absolute; created when missing; default "/" */
	const char *user;     /* "name", "uid", "name:group", "uid:gid"; default root */
	const char *hostname; /* default: none set (keeps the new UTS namespace's copy) */
	const char *domainname; /* --domainname (NULL: none set) */
	char *const *group_add; /* --group-add: group names (the image's /etc/group) or gids,
				   joined as supplementary groups */
	bool build_step;      /* a RUN step as BuildKit's executor makes it: no HOSTNAME in
				 the env, BuildKit's /etc/hosts, no /etc/hostname mounted */
	char *const *extra_hosts; /* lines appended to /etc/hosts */
	const char *resolv_conf;  /* contents of /etc/resolv.conf; NULL: the host's */
	bool init;                /* --init: a reaping, signal-forwarding pid 1 runs argv */
	bool tty;                 /* stdin_fd is a pty slave: make it the controlling tty */
	int stdin_fd, stdout_fd, stderr_fd; /* -1: /dev/null */

	struct bld_runner_mount *mounts;
	size_t n_mounts;
	int64_t shm_size; /* bytes of /dev/shm (0: 64 MiB, docker's default) */
	const struct bld_runner_device *devices;
	size_t n_devices;

	/* kernel settings of the container's own namespaces (--sysctl "key=value", written to
	 * /proc/sys before it is made read-only) and its resource limits (--ulimit) */
	char *const *sysctls;
	const struct bld_runner_rlimit *rlimits;
	size_t n_rlimits;

	/* security */
	char *const *cap_add;  /* "NET_ADMIN", "CAP_SYS_TIME", "ALL" */
	char *const *cap_drop;
	bool privileged;       /* every capability, no seccomp, /sys rw, host devices */
	bool no_new_privs;     /* --security-opt no-new-privileges (docker's default: off, so
				* that setuid binaries work; the seccomp filter then goes on
				* before the capabilities are dropped) */
	const char *seccomp;   /* NULL: Docker's default; "unconfined"; or a profile file path */
	const char *cache_dir; /* where compiled seccomp filters are kept (NULL: not kept) */

	/* cgroup limits (0: unlimited) and the cgroup's leaf name ("bld-<id>") */
	int64_t memory;     /* bytes */
	int64_t cpu_milli;  /* --cpus 1.5 = 1500 */
	int64_t pids_limit; /* > 0 */
	const char *cgroup_name; /* a build step's: BLD_RUNNER_STEP_CGROUP "<pid>-<n>" */
	const char *cgroup_parent; /* --cgroup-parent, from the hierarchies' roots (NULL: bld's) */
	int64_t memory_swap;        /* memory + swap (-1: unlimited; 0: no swap beyond memory) */
	int64_t memory_reservation; /* the soft limit */
	bool oom_kill_disable;      /* v1 only */
	int64_t cpu_shares;         /* relative weight (v2: turned into cpu.weight) */
	const char *cpuset_cpus, *cpuset_mems; /* "0-1,3" */
	int64_t blkio_weight;       /* 10..1000 */
	char *const *device_rules;  /* --device-cgroup-rule: docker's device rules (a devices
				       cgroup on v1, an eBPF program on v2) allow these too */
	int oom_score_adj;          /* written to /proc/self/oom_score_adj when not 0 */
	int64_t cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime; /* microseconds */
	int64_t memory_swappiness;  /* 0..100; < 0: the kernel's */
	int64_t kernel_memory;
	/* --device-{read,write}-{bps,iops}: "read_bps MAJ:MIN N" ... (v1's file names) */
	char *const *blkio_throttle;

	/* namespaces shared instead of new ones: the host's (--pid, --ipc, --uts, --cgroupns
	 * host), or (> 0) those of a running container's pid 1 (--pid, --ipc container:NAME);
	 * ipc_none: no /dev/shm at all */
	bool pid_host, ipc_host, uts_host, cgroupns_host, ipc_none;
	pid_t pid_join, ipc_join;

	enum bld_runner_net_mode net;
	const char *net_path; /* BLD_RUNNER_NET_NSPATH: a namespace file to join ... */
	int net_fd;           /* ... or, when net_path is NULL, an open namespace fd */

	/* Called in the parent once the child is cloned and before it may exec (the child
	 * assembles its root meanwhile): the network of the namespace it joins is set up here.
	 * NULL: nothing to wait for. */
	int (*before_exec)(void *arg, struct bld_error **err);
	void *before_exec_arg;
};

/* A running sandbox: its pid 1 and the cgroups it was put in. */
struct bld_runner_proc {
	pid_t pid;        /* pid 1 of the container, as seen from the host */
	char **cgroups;   /* cgroup directories created for it (removed by _free) */
	char *oom_file;   /* memory.oom_control (v1) or memory.events (v2) */
	uint64_t oom_before; /* OOM-kill count when it started */
	int root_ref;        /* its root mount, held until _free (-1: none) */
	int fuse_root;       /* the root fuse-overlayfs serves (O_PATH), unmounted by _free; -1 */
};

/*
 * Starts spec's process in a new sandbox and returns once it has exec'd (or failed). Errors
 * of the child before exec come back as *err: BLD_E_NOTFOUND with status 127 when argv[0]
 * is not found, status 126 when it cannot be executed, status 125 otherwise.
 * *out is the caller's (bld_runner_proc_free). The caller must reap out->pid.
 */
int bld_runner_sandbox_spawn(struct bld_runner_proc **out, const struct bld_runner_spec *spec,
			     struct bld_error **err);

/*
 * Waits for the sandbox's pid 1; *exit_code is its exit status, or 128+signal. *oom is set
 * when the cgroup's OOM killer killed a process of it. Processes left in the cgroup are
 * killed.
 */
int bld_runner_proc_wait(struct bld_runner_proc *p, int *exit_code, bool *oom,
			 struct bld_error **err);
/* Turns a waitpid status into an exit code and fills *oom; for callers that reap themselves. */
int bld_runner_proc_status(struct bld_runner_proc *p, int wstatus, bool *oom);
/* Kills what is left in its cgroups, removes them and frees p; NULL is harmless. */
void bld_runner_proc_free(struct bld_runner_proc *p);

/* Re-executes bld from a view of its executable that no container can write: the file itself
 * through a read-only overlayfs mounted nowhere (its empty lower layer is made under
 * ctx->root), else a memfd copy sealed against writes; unless it runs from a read-only mount
 * or a sealed memfd already (then 0). A container can then never reach the host's binary
 * through /proc/PID/exe (CVE-2019-5736). Returns only on failure. Call first thing in main. */
int bld_runner_selfexe_seal(const struct bld_ctx *ctx, char **argv, struct bld_error **err);
#define BLD_RUNNER_SPAWN_ARGS_MAX 16
#define BLD_RUNNER_SPAWN_FDS_MAX 8
/* Starts `bld ARGS...` (this executable again, args NULL-terminated, at most
 * BLD_RUNNER_SPAWN_ARGS_MAX) with posix_spawn, which is safe from a thread: the child's
 * descriptors 0..n-1 are fds[0..n-1] (-1, or one not open: /dev/null) and it has no other;
 * signals unblocked, SIGCHLD's default; in a session of its own with setsid. The child's pid
 * in *pid; BLD_E_SYSTEM when it cannot start. */
int bld_runner_selfexe_spawn(pid_t *pid, const char *const *args, const int *fds, size_t n,
			     bool setsid, struct bld_error **err);

/*
 * For a user who is not root (rootless.c): joins the user's user and mount namespaces (made
 * on first use and held by a bld-pause process; ids mapped from /etc/subuid and /etc/subgid,
 * or the user alone), where bld is root. Fixes BLD_ROOT in the environment to ctx->root
 * first. Does nothing as root. Call it single-threaded, before anything else is set up.
 */
int bld_runner_rootless_enter(const struct bld_ctx *ctx, struct bld_error **err);
/* The bld-pause holder's life (`bld __pause`, exec'd by the above): never returns. */
_Noreturn void bld_runner_rootless_pause(void);
/* What containers' roots are made with (overlay.c): the kernel's overlayfs (in the user
 * namespace when rootless), else, rootless, fuse-overlayfs where the user may use /dev/fuse,
 * else a copy of the layers; probed once with a scratch directory under dir. BLD_OVERLAY=
 * kernel|fuse|copy forces it (BLD_NO_OVERLAY=1: copy). */
enum bld_runner_overlay {
	BLD_RUNNER_OVERLAY_KERNEL,
	BLD_RUNNER_OVERLAY_FUSE,
	BLD_RUNNER_OVERLAY_COPY,
};
enum bld_runner_overlay bld_runner_overlay_kind(const char *dir);
/* fuse-overlayfs marks every directory it makes opaque; the kernel's overlayfs only one that
 * hides a directory of the layers below. Drops the other marks from a finished sandbox's upper
 * directory over lowers (changes.c), so that its layer is the one the kernel's would give. */
void bld_runner_overlay_tidy(const char *upper, char *const *lowers);

/* spawn + wait + free: how the builder runs a RUN step. */
int bld_runner_sandbox_run(const struct bld_runner_spec *spec, int *exit_code, bool *oom,
			   struct bld_error **err);
/*
 * Whether this process can make a sandbox: new mount, PID, UTS and IPC namespaces (a
 * forked child tries). False inside an unprivileged container (no CAP_SYS_ADMIN, or a
 * seccomp profile that refuses unshare); *why then says what failed. Probed once.
 */
bool bld_runner_namespaces_available(const char **why);

/*
 * Copies the layer directories (lowest first; whiteouts and opaque directories applied)
 * into the directory dst, which must exist: the root of --isolation=chroot. Owners and
 * modes as far as this process may set them; hard links become copies.
 */
int bld_runner_root_copy(char *const *lowers, const char *dst, struct bld_error **err);

/* Removes what the sandbox made in state_dir (upper, work, merged, etc). */
int bld_runner_sandbox_cleanup(const char *state_dir, struct bld_error **err);

/*
 * Runs argv in the namespaces and cgroups of a running sandbox whose pid 1 is `pid`
 * (`bld exec`). Uses spec's argv, env, cwd, user, tty, stdio and security fields; the
 * rootfs and mount fields are ignored. *child is the new process (caller reaps it).
 */
int bld_runner_sandbox_exec(pid_t *child, pid_t pid, const struct bld_runner_spec *spec,
			    struct bld_error **err);

/* ------------------------------------------------------------------ pieces, for tests */

/* Docker's default capability set as a bit mask (0xa80425fb). */
uint64_t bld_runner_caps_default(void);
/* The mask after --cap-add/--cap-drop (names with or without "CAP_", or "ALL"). */
int bld_runner_caps_compute(uint64_t *out, char *const *add, char *const *drop, bool privileged,
			    struct bld_error **err);

/* A user resolved from /etc/passwd and /etc/group of a root. */
struct bld_runner_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	size_t n_groups;
	char home[256];
};
/*
 * Resolves "name", "uid", "name:group", "uid:gid" as Docker does: a numeric uid missing from
 * passwd is allowed (gid 0 unless given), a name must exist (BLD_E_NOTFOUND). passwd and group
 * are file contents (NULL: empty).
 */
int bld_runner_user_resolve(struct bld_runner_user *out, const char *spec, const char *passwd,
			    const char *group, struct bld_error **err);
/* The same for a build step (spec->build_step), as BuildKit resolves it: supplementary groups
 * are only the groups that list the user (none without USER), the primary one not added. */
int bld_runner_user_resolve_step(struct bld_runner_user *out, const char *spec,
				 const char *passwd, const char *group, struct bld_error **err);

/* Adds --group-add's groups (names looked up in group, the text of /etc/group, or numbers) to
 * u's supplementary groups; BLD_E_NOTFOUND for a name that is not there, in docker's words. */
int bld_runner_user_add_groups(struct bld_runner_user *u, char *const *groups,
			       const char *group, struct bld_error **err);

/* A compiled seccomp filter: classic BPF instructions. */
struct bld_runner_bpf {
	void *data;
	size_t len; /* bytes, a multiple of 8 */
};
/*
 * Compiles a seccomp profile file in Docker's format (NULL: Docker's default) for the
 * capability mask; with cache_dir, a compiled filter is kept there and reused.
 */
int bld_runner_seccomp_compile(struct bld_runner_bpf *out, const char *profile_path,
			       uint64_t caps, const char *cache_dir, struct bld_error **err);
/* Installs it on the calling thread (no_new_privs or CAP_SYS_ADMIN needed); -errno. */
int bld_runner_seccomp_install(const struct bld_runner_bpf *b);
/* Docker's default seccomp profile (JSON, moby/profiles, Apache-2.0). */
extern const char bld_runner_seccomp_default_json[];

/* cgroup layout of this host. */
enum bld_runner_cgroup_mode { BLD_RUNNER_CG_V1, BLD_RUNNER_CG_V2, BLD_RUNNER_CG_HYBRID };
enum bld_runner_cgroup_mode bld_runner_cgroup_mode(void);
/* Removes the cgroup leaves of build steps whose build was killed (their pid is gone) under
 * the caller's own cgroup, which the next step would also take out (bld system prune). */
void bld_runner_cgroup_sweep_steps(void);

/* ===================================================================== containers */

/* A published port: -p [IP:]HOST:CTR[/PROTO]. host_port 0 = pick a free one. */
struct bld_runner_port {
	char host_ip[64]; /* "" = every address */
	int host_port;
	int ctr_port;
	char proto[4]; /* "tcp" or "udp" */
};

/* --health-* and --no-healthcheck: what is unset (NULL, 0) comes from the image's
 * HEALTHCHECK, as docker merges them. Durations in nanoseconds. */
struct bld_runner_health {
	char **test; /* ["CMD-SHELL", cmd], ["CMD", argv...], ["NONE"] (--no-healthcheck) */
	int64_t interval, timeout, start_period, start_interval;
	int retries;
};

/* What `bld create`/`bld run` decided; all owned by the caller. */
struct bld_runner_container_config {
	char *name;           /* NULL: generated */
	char *image;          /* as the user wrote it */
	char *image_ref;      /* what to load from the store (a full name or an image ID) */
	/* image_ref as the caller already loaded it, with the store it came from (both borrowed;
	 * NULL: loaded here): the documents are then read and verified once, not twice */
	struct bld_store *store;
	struct bld_cache_image *loaded;
	char *rootfs;         /* --rootfs: a directory instead of an image */
	char **entrypoint;    /* NULL: the image's; an empty vector: none (--entrypoint "") */
	bool entrypoint_set;
	char **cmd;           /* NULL: the image's */
	char **env;
	char *workdir, *user, *hostname;
	bool tty, interactive, auto_remove, readonly, init, privileged;
	bool no_new_privs; /* --security-opt no-new-privileges[:true] */
	char **cap_add, **cap_drop;
	char *seccomp;
	int64_t memory, cpu_milli, pids_limit;
	char **binds;   /* -v HOST:CTR[:ro] and NAME:CTR[:ro] */
	char **tmpfs;   /* --tmpfs CTR[:OPTS] */
	char *network;  /* HostConfig.NetworkMode: "bridge" (default), "none", "host",
			   "container:NAME" or a user-defined network's name or id */
	/* NetworkingConfig.EndpointsConfig in the API's shape: network name -> {IPAMConfig,
	 * Links, Aliases}; NULL or {}: the lone network NetworkMode names, as it is */
	struct json_t *endpoints;
	char **links;   /* --link NAME[:ALIAS] on the default bridge (HostConfig.Links) */
	struct bld_runner_port *ports;
	size_t n_ports;
	bool publish_all; /* -P: every port the image exposes */
	char *restart;    /* "no", "always", "unless-stopped", "on-failure[:N]" */
	char **labels;    /* "K=V" */
	char *log_driver; /* --log-driver: "json-file" (NULL: the default) or "none" */
	char **log_opts;  /* --log-opt K=V: max-size, max-file */
	struct bld_runner_health health;
	/* HostConfig and Config fields in the Engine API's shape, merged over what the fields
	 * above make (Mounts, ExtraHosts, Dns*, Ulimits, Sysctls, ShmSize, GroupAdd, VolumesFrom,
	 * ExposedPorts, StopSignal, StopTimeout, Domainname...); the runner checks them as
	 * docker's daemon does. Owned by the caller; NULL: none. */
	struct json_t *host_extra, *config_extra;
};

/* docker's IsUserDefined: a network mode that is not default, bridge, host, none nor
 * container:NAME. */
bool bld_runner_network_user_defined(const char *mode);
/* `network connect`'s options: --alias, --ip, --ip6, --link (NULL: none). */
struct bld_runner_net_attach {
	char *const *aliases;
	const char *ip, *ip6;
	char *const *links;
};
/*
 * `network connect NET CONTAINER`: a running container gets an interface on network net
 * (name, id or unique id prefix) at once, through its monitor; a stopped one at its next
 * start. Recorded in its config (NetworkingConfig.EndpointsConfig). Docker's refusals, all
 * with status 1: no such network or container, host/none/container: modes, an endpoint on
 * that network already (running), an address taken or out of the subnet.
 */
int bld_runner_network_connect(struct bld_ctx *ctx, const char *net, const char *ctr,
			       const struct bld_runner_net_attach *o, struct bld_error **err);
/* `network disconnect [-f] NET CONTAINER`: the interface, its lease and endpoint file go
 * (running), and the config's entry; "not connected" in docker's words, status 1. */
int bld_runner_network_disconnect(struct bld_ctx *ctx, const char *net, const char *ctr,
				  bool force, struct bld_error **err);
/* Adds aliases to the endpoint of the running container ctr on network net: its peers
 * resolve them at once. The container's config is left as it is (its next start has only
 * the aliases it was created or connected with): what kube play gives a pod once it is
 * ready. BLD_E_NOTFOUND when the container has no endpoint there. */
int bld_runner_network_alias_add(struct bld_ctx *ctx, const char *net, const char *ctr,
				 char *const *aliases, struct bld_error **err);
/* Frees what c owns (every field but the borrowed store and loaded) and zeroes it. */
void bld_runner_container_config_dispose(struct bld_runner_container_config *c);
/* Creates the container's state directory; *id is the 64-hex id (caller frees). */
int bld_runner_container_create(struct bld_ctx *ctx, const struct bld_runner_container_config *c,
				char **id, struct bld_error **err);
/* Finds a container by full id, unique id prefix or name; *id is the full id. */
int bld_runner_container_lookup(struct bld_ctx *ctx, const char *ref, char **id,
				struct bld_error **err);
/*
 * docker update: u is the Engine API's update body (Memory, MemorySwap, MemoryReservation,
 * NanoCpus, CpuShares, CpuPeriod, CpuQuota, CpusetCpus, CpusetMems, PidsLimit, BlkioWeight,
 * RestartPolicy; a zero or empty member leaves the setting as it is). Written to the
 * container's config and, when it runs, to its cgroups. Any other member set:
 * BLD_E_UNSUPPORTED; docker's conflicts BLD_E_EXISTS, "Cannot update container ID: ...".
 */
int bld_runner_container_update(struct bld_ctx *ctx, const char *ref, struct json_t *u,
				struct bld_error **err);
/*
 * `bld rename`: gives the container ref (running or not) the name new_name ("/" in front
 * allowed), as docker's rules allow: a name of docker's pattern, not the current one, not
 * another container's. Decided and written under the store-wide containers lock, config.json
 * replaced atomically. Every error carries status 1 (docker's): BLD_E_NOTFOUND "No such
 * container", BLD_E_INVALID for a bad or the same name, BLD_E_EXISTS "Conflict. ...".
 */
int bld_runner_container_rename(struct bld_ctx *ctx, const char *ref, const char *new_name,
				struct bld_error **err);

/* How the caller's terminal takes part when a container starts. */
struct bld_runner_attach {
	bool out;   /* relay stdout/stderr to the caller's fds 1 and 2 */
	bool in;    /* relay the caller's fd 0 to the container's stdin */
	bool drop_stdout, drop_stderr; /* -a: with out, the streams not asked for stay in the
					  log only */
	bool no_sig_proxy; /* --sig-proxy=false: SIGINT/SIGTERM/SIGHUP stay the caller's */
	/* with in on a terminal (-it): the keys that detach (bytes, as bld_runner_detach_keys
	 * makes them; NULL: docker's ctrl-p ctrl-q), after which the caller's wait ends with 0
	 * and the container runs on */
	const char *detach_keys;
	/* the caller's three descriptors that stand for its 0, 1 and 2 (NULL: those) */
	const int *stdio;
};
/* --detach-keys "ctrl-p,ctrl-q" (docker's syntax: letters, "ctrl-" a-z @ [ \ ] ^ _, comma
 * separated) as the bytes typed; out holds at least 16 bytes and ends with a NUL, so that
 * ctrl-@ cannot be given. BLD_E_INVALID in docker's words. */
int bld_runner_detach_keys(const char *spec, char out[16], struct bld_error **err);
/*
 * Starts a created or exited container: spawns its monitor (`bld __monitor`, setsid), which owns
 * the container until it is removed or stops for good. Returns once the process runs (or
 * failed: err->status 125/126/127). With attach->out, *report_fd is a descriptor that
 * yields the exit code later (bld_runner_container_attach_wait); else -1.
 */
int bld_runner_container_start(struct bld_ctx *ctx, const char *id,
			       const struct bld_runner_attach *attach, int *report_fd,
			       struct bld_error **err);
/* `bld __monitor ID FLAGS KEYS`, which bld_runner_container_start spawns: becomes the
 * container's monitor and never returns, but with 125 for a command line it did not make. */
int bld_runner_monitor_exec(int argc, char **argv);
/* `bld __cp-mount ID FLAGS`, which a copy to or from a stopped container spawns (cp.c): mounts
 * its root and holds it for the copy. 125 for a command line it did not make. */
int bld_runner_cp_mount_exec(int argc, char **argv);
/* `bld attach`: what the attaching bld asks for. */
struct bld_runner_attach_opts {
	bool no_stdin;           /* --no-stdin */
	bool sig_proxy;          /* --sig-proxy (docker's default true): signals go to the container */
	const char *detach_keys; /* --detach-keys; NULL: "ctrl-p,ctrl-q" */
};
#define BLD_RUNNER_DETACH_KEYS_MAX 16 /* bld_runner_detach_keys' out, its NUL included */
/*
 * Attaches the caller's fds 0 (when the container keeps stdin open and not no_stdin), 1 and
 * 2 to the running container id through its monitor (attach.c) until the container exits
 * (*exit_code its status) or, on a tty, the detach keys are typed (*detached). Docker's
 * refusals with status 1: a stopped or paused container, invalid detach keys.
 */
int bld_runner_container_attach(struct bld_ctx *ctx, const char *id,
				const struct bld_runner_attach_opts *o, int *exit_code,
				bool *detached, struct bld_error **err);
/* Gives the running container id's terminal rows x cols (docker's resize); nothing for a
 * container without a tty. Not running: BLD_E_EXISTS "Container ID is not running". */
int bld_runner_container_resize(struct bld_ctx *ctx, const char *id, unsigned rows,
				unsigned cols, struct bld_error **err);
/* Waits on a start's report_fd: the container's exit code (forwards SIGINT/SIGTERM). */
int bld_runner_container_attach_wait(struct bld_ctx *ctx, const char *id, int report_fd,
				     int *exit_code, struct bld_error **err);
/* Stops (signal, then SIGKILL after timeout seconds; <0: the container's default). */
int bld_runner_container_stop(struct bld_ctx *ctx, const char *id, int timeout,
			      struct bld_error **err);
int bld_runner_container_kill(struct bld_ctx *ctx, const char *id, int sig,
			      struct bld_error **err);
/* Blocks until the container is not running; its exit code. */
int bld_runner_container_wait(struct bld_ctx *ctx, const char *id, int *exit_code,
			      struct bld_error **err);
/* The container's State.StartedAt as stored ("" never started; NULL: no such container);
 * caller frees. */
char *bld_runner_container_started_at(struct bld_ctx *ctx, const char *id);
/* A --rm container id's monitor is still removing what others see of it (its anonymous
 * volumes, endpoints), after the container left the listings (monitor.c). */
bool bld_runner_container_tearing_down(struct bld_ctx *ctx, const char *id);
/* Waits (polling) until the container's StartedAt differs from before, as one that starts
 * makes it: docker's wait condition next-exit, an attach made before the start. *err
 * BLD_E_CANCELED after timeout_ms; BLD_E_NOTFOUND when the container went. */
int bld_runner_container_wait_started(struct bld_ctx *ctx, const char *id, const char *before,
				      int timeout_ms, struct bld_error **err);
/* Removes a container (force: kill it first; volumes: its anonymous volumes too). */
int bld_runner_container_remove(struct bld_ctx *ctx, const char *id, bool force, bool volumes,
				struct bld_error **err);

/* One line of `bld ps`. */
struct bld_runner_container_info {
	char id[65];
	char *name, *image, *command, *status_text, *state, *ports;
	char **labels;
	int64_t created; /* unix seconds */
	double created_at; /* with the fraction: the listing's order */
	int exit_code;
	/* config.json's brief (the members listings read: Name, Created, Path, Args, ImageID,
	 * Mounts, NetworkingConfig, ImageExposedPorts, Config's Image, Labels, ExposedPorts and
	 * Healthcheck, HostConfig's NetworkMode and PortBindings; runner/brief.c) and
	 * state.json, freed with it; shared with a cache of parsed files (runner/jcache.c):
	 * read only */
	struct json_t *cfg_json, *state_json;
};
int bld_runner_container_list(struct bld_ctx *ctx, struct bld_runner_container_info **out,
			      size_t *n, struct bld_error **err);
/* The containers labelled key=value only: the others' state.json is neither read nor asked
 * of their monitors (key NULL: every container, as bld_runner_container_list). */
int bld_runner_container_list_labeled(struct bld_ctx *ctx, const char *key, const char *value,
				      struct bld_runner_container_info **out, size_t *n,
				      struct bld_error **err);
void bld_runner_container_info_free(struct bld_runner_container_info *v, size_t n);
/*
 * `ps --filter`: keep[i] tells whether v[i] passes every filter ("key=value", docker's keys
 * and matching, see psfilter.c). Filters docker refuses are refused with its message and
 * status 1: an unknown key, a bad status, health, exited, publish or expose value, a before
 * or since container that is not in v.
 */
int bld_runner_container_filter(struct bld_ctx *ctx, const struct bld_runner_container_info *v,
				size_t n, char *const *filters, bool *keep, struct bld_error **err);
/* The image IDs containers use (strv, one per container, all containers, running or not;
 * never NULL); with containers, the matching container IDs too (caller frees both). */
char **bld_runner_container_images(struct bld_ctx *ctx, char ***containers);
/* The bytes the container id wrote to its root file system (docker's SizeRw: its upper
 * directory); 0 when there is none. */
int64_t bld_runner_container_size_rw(struct bld_ctx *ctx, const char *id);
/* docker inspect's object for a container (caller json_decref's). */
int bld_runner_container_inspect(struct bld_ctx *ctx, const char *id, struct json_t **out,
				 struct bld_error **err);

/* Where log records go instead of stdout and stderr: fd 1 or 2 for the record's stream, its
 * text; < 0 stops the reading (a client gone). */
typedef int (*bld_runner_log_sink)(int fd, const char *data, size_t n, void *payload);
/* `bld logs`. since, until: unix seconds (0: no bound; until keeps what is not after it);
 * tail < 0: all. */
struct bld_runner_logs_opts {
	bool follow, timestamps;
	bool details; /* each line led by its record's attrs (--log-opt tag, labels, env) */
	long tail;
	double since, until;
	/* NULL: stdout and stderr; else each record's text (its time first under timestamps,
	 * details left out) to sink */
	bld_runner_log_sink sink;
	void *sink_payload;
	/* > 0: where the sink writes; follow ends when it has lost its reader (a pipe or socket
	 * whose other end closed), not at the next line (0: not watched) */
	int out_fd;
};
int bld_runner_container_logs(struct bld_ctx *ctx, const char *id,
			      const struct bld_runner_logs_opts *o, struct bld_error **err);

/* `bld exec`. */
struct bld_runner_exec_opts {
	char **argv;
	char **env;
	const char *user, *workdir;
	bool tty, interactive, detach, privileged;
	/* > 0: a descriptor on which struct winsize records arrive for the pty (-t) to take
	 * (an API client's resize), instead of the caller's terminal's size; 0: none */
	int winsize_fd;
};
int bld_runner_container_exec(struct bld_ctx *ctx, const char *id,
			      const struct bld_runner_exec_opts *o, int *exit_code,
			      struct bld_error **err);
/* `bld port`: lines "80/tcp -> 0.0.0.0:32768" (caller frees the vector). */
int bld_runner_container_ports(struct bld_ctx *ctx, const char *id, char ***lines,
			       struct bld_error **err);

/* "TERM", "SIGKILL", "9" -> the signal's number; -1 when unknown. */
int bld_runner_signal_parse(const char *s);

/* ============================================================ changes, commit, pause */

/* One line of `bld diff`: kind 'A' (added), 'C' (changed) or 'D' (deleted). */
struct bld_runner_change {
	char kind;
	char *path; /* absolute in the container: "/etc/passwd" */
};
/*
 * `bld diff`: what the container ref (created, running or exited) changed in its root file
 * system against its image, by docker's rules (changes.c), depth first in name order.
 * *out is freed with bld_runner_changes_free. No such container: BLD_E_NOTFOUND, status 1.
 */
int bld_runner_container_diff(struct bld_ctx *ctx, const char *ref,
			      struct bld_runner_change **out, size_t *n, struct bld_error **err);
void bld_runner_changes_free(struct bld_runner_change *v, size_t n);
/*
 * `bld commit`'s layer: the container's changes (its upper directory, whiteouts as OCI .wh.
 * entries, opaque directories marked) stored in s as a layer, with pause the container
 * frozen meanwhile (when it runs and is not paused already). *empty when it changed nothing:
 * no layer is written then.
 */
int bld_runner_container_commit_layer(struct bld_ctx *ctx, struct bld_store *s, const char *ref,
				      bool pause, struct bld_cache_layer *layer, bool *empty,
				      struct bld_error **err);
/*
 * `bld pause`/`bld unpause` of the container id (full): its cgroup frozen (v1 freezer.state,
 * v2 cgroup.freeze) or thawed by its monitor, which records the state ("paused"). Docker's
 * refusals with status 1: "Container ID is not running", "... is already paused", "... is
 * not paused".
 */
int bld_runner_container_pause(struct bld_ctx *ctx, const char *id, struct bld_error **err);
int bld_runner_container_unpause(struct bld_ctx *ctx, const char *id, struct bld_error **err);
/* A pause held for as long as *hold (a connection to the monitor) lasts: released by
 * bld_runner_container_pause_release (which thaws and closes it), or by the monitor when
 * the connection ends otherwise (this bld killed): a commit killed mid-way leaves no
 * container paused. Refusals as bld_runner_container_pause's. */
int bld_runner_container_pause_hold(struct bld_ctx *ctx, const char *id, int *hold,
				    struct bld_error **err);
int bld_runner_container_pause_release(int hold, const char *id, struct bld_error **err);

/* Records a container event (docker's: the container's labels, image and name, then attrs
 * "K=V") in the store's journal, for what other modules do to a container (commit). */
void bld_runner_container_event(struct bld_ctx *ctx, const char *id, const char *action,
				char *const *attrs);

/* ======================================================================== top, stats */

/*
 * `bld top`: the host PIDs of every process in the running container id's cgroup
 * (*out freed by the caller). Not running: "Container ID is not running", status 1.
 */
int bld_runner_container_pids(struct bld_ctx *ctx, const char *id, pid_t **out, size_t *n,
			      struct bld_error **err);

/* `bld top` (top.c): ps's columns and the lines of the container's processes. */
struct bld_runner_top {
	char **titles;
	char ***rows; /* n rows of as many fields as titles */
	size_t n;
};
/* Runs the host's ps with ps_args (NULL or none: "-ef") and keeps the lines of the running
 * container id's processes (*out: bld_runner_top_dispose). Docker's refusals: not running
 * (as bld_runner_container_pids), "Couldn't find PID field in ps output" (status 1); ps
 * failing: "Error running ps: exit status N". */
int bld_runner_container_top(struct bld_ctx *ctx, const char *id, char *const *ps_args,
			     struct bld_runner_top *out, struct bld_error **err);
void bld_runner_top_dispose(struct bld_runner_top *t);

/* One reading of what a running container uses (stats.c). */
struct bld_runner_stats {
	uint64_t cpu_ns;               /* CPU time of its cgroup so far */
	uint64_t read_ns;              /* CLOCK_MONOTONIC of the reading */
	uint64_t mem_usage, mem_limit; /* bytes; the limit is the host's memory when none */
	uint64_t net_rx, net_tx;       /* bytes, lo not counted */
	uint64_t blk_read, blk_write;  /* bytes */
	uint64_t pids;
};
/* Reads them; not running: as bld_runner_container_pids. */
int bld_runner_container_stats(struct bld_ctx *ctx, const char *id, struct bld_runner_stats *s,
			       struct bld_error **err);

/* ======================================================================== volumes */

int bld_runner_volume_create(struct bld_ctx *ctx, const char *name, char **labels,
			     char **out_name, struct bld_error **err);
/* With the local driver's options (opts: K=V of type, device, o; others refused). */
int bld_runner_volume_create_opts(struct bld_ctx *ctx, const char *name, char **labels,
				  char **opts, char **out_name, struct bld_error **err);
/* Mounts a volume with options on its _data unless another live container than ctr_id
 * has it mounted already (container start). */
int bld_runner_volume_mount(struct bld_ctx *ctx, const char *name, const char *ctr_id,
			    struct bld_error **err);
/* Unmounts it unless another live container than ctr_id uses it (container stop). */
int bld_runner_volume_unmount(struct bld_ctx *ctx, const char *name, const char *ctr_id,
			      struct bld_error **err);
int bld_runner_volume_remove(struct bld_ctx *ctx, const char *name, bool force,
			     struct bld_error **err);
/* Names of every volume (caller frees). */
int bld_runner_volume_list(struct bld_ctx *ctx, char ***names, struct bld_error **err);
int bld_runner_volume_inspect(struct bld_ctx *ctx, const char *name, struct json_t **out,
			      struct bld_error **err);
/* The label of volumes made without a name (-v /path, an image's VOLUME), as docker's. */
#define BLD_RUNNER_ANON_LABEL "com.docker.volume.anonymous"

/* ====================================================================== networks */

/*
 * The network store ($BLD_ROOT/networks/<id>/: network.json, docker's network object without
 * "Containers"; leases, leases6; endpoints/<container id>.json). "bridge" (bld0), "host" and
 * "none" are predefined and made on first use. A network is named by its full Id, its name
 * or a unique Id prefix, docker's order; not found: BLD_E_NOTFOUND "network X not found".
 */

/* What `network create` asks for: the flags as given (NULL-terminated lists or NULL). */
struct bld_runner_network_spec {
	const char *name;
	const char *driver;  /* NULL or "bridge" */
	char **subnets;      /* --subnet, IPv4 and IPv6 */
	char **gateways;     /* --gateway */
	char **ip_ranges;    /* --ip-range */
	char **labels;       /* --label KEY=VALUE */
	char **options;      /* -o KEY=VALUE (com.docker.network.bridge.name, ...driver.mtu) */
	bool ipv6, internal, attachable;
};
/* Creates a network: docker's checks and refusals with its words; an IPv4 subnet from
 * docker's default pools unless one is given. *id: its Id (caller frees). */
int bld_runner_network_create(struct bld_ctx *ctx, const struct bld_runner_network_spec *s,
			      char **id, struct bld_error **err);
/* network.json of the network ref names (*out: caller's). Do not call it with the networks
 * lock held: the first call of a store makes the predefined networks under it. */
int bld_runner_network_load(struct bld_ctx *ctx, const char *ref, struct json_t **out,
			    struct bld_error **err);
/* As `docker network inspect` shows it: network.json with Containers from the endpoints of
 * live containers ({id: {Name, EndpointID, MacAddress, IPv4Address, IPv6Address}}). */
int bld_runner_network_inspect(struct bld_ctx *ctx, const char *ref, struct json_t **out,
			       struct bld_error **err);
/* The networks `network ls --filter` shows (docker's keys driver, id, label, name, scope,
 * type, dangling; refusals with its words, status 1), each as network inspect shows it. */
int bld_runner_network_filter(struct bld_ctx *ctx, char *const *filters, struct json_t **out,
			      struct bld_error **err);
/* The Ids of every network, the predefined ones included (caller frees). */
int bld_runner_network_list(struct bld_ctx *ctx, char ***ids, struct bld_error **err);
/* The endpoints/<ctr>.json of network id whose container is alive: {ctr id: endpoint}. */
int bld_runner_network_endpoints(struct bld_ctx *ctx, const char *id, struct json_t **out,
				 struct bld_error **err);
/* Removes a network; refused for the predefined ones and while it has live endpoints
 * (BLD_E_EXISTS, docker's "has active endpoints"). Deletes its bridge device. */
int bld_runner_network_remove(struct bld_ctx *ctx, const char *ref, struct bld_error **err);
/* Removes the user networks without live endpoints, except those created at or after until
 * (unix seconds; 0: none) or kept by label=K[=V] / label!=K[=V] filters. *removed: names. */
int bld_runner_network_prune(struct bld_ctx *ctx, double until, char *const *filters,
			     char ***removed, struct bld_error **err);
bool bld_runner_network_is_predefined(const char *name);
/* The bridge device of a bridge network: Options' com.docker.network.bridge.name, else
 * "br-" and the Id's first 12 characters; "" for host and none. */
void bld_runner_network_bridge_name(const struct json_t *net, char out[16]);
/* The default bridge's device: BLD_BRIDGE_NAME or "bld0". */
const char *bld_runner_network_default_bridge(void);
/* --add-host's host-gateway: the default bridge's gateway ("" when it cannot be read). */
void bld_runner_host_gateway(struct bld_ctx *ctx, char gw[46]);
/* The gateway of the network's subnet of family (AF_INET, AF_INET6): the given one, else the
 * subnet's first address; *prefix: the subnet's length. -1 when there is no such subnet. */
int bld_runner_network_gateway(const struct json_t *net, int family, char out[46], int *prefix);
/* Whether the network's IPv4 subnet was given (--subnet), not picked by bld: docker takes a
 * --ip only on such networks. */
bool bld_runner_network_user_subnet(struct bld_ctx *ctx, const struct json_t *net);

/* What `system check` found in the network store. */
struct bld_runner_network_check_stats {
	int64_t networks, leases, endpoints; /* checked */
	int64_t stale_leases;    /* of containers gone or dead: free for the next lease */
	int64_t stale_endpoints; /* the same for endpoints: absent for everyone */
	int64_t stale_dirs;      /* networks half made or half removed by a kill -9 */
	int64_t problems;        /* damage, each reported */
};
/* Checks every network.json, lease and endpoint (netcheck.c says what counts as damage);
 * each problem goes to fn as one line (bld_cache_check_fn's shape). 0 when it ran. */
int bld_runner_network_check(struct bld_ctx *ctx, bld_cache_check_fn fn, void *payload,
			     struct bld_runner_network_check_stats *st, struct bld_error **err);

/* What commands killed half-way left beside the containers and volumes (leftovers.c says
 * what counts): counted, never damage; the next creation or removal deletes them. */
struct bld_runner_leftover_stats {
	int64_t containers, volumes;
};
void bld_runner_leftovers_count(struct bld_ctx *ctx, struct bld_runner_leftover_stats *st);

/* The networks lock (networks/.lock), held until the returned fd is closed. Lease changes,
 * and whatever must not interleave with them (a bridge's creation), run under it. */
int bld_runner_networks_lock(struct bld_ctx *ctx, struct bld_error **err);
/* Leases an address of family on net for container ctr_id, the caller holding the networks
 * lock: want (a --ip) or the lowest free one; a lease of a container that is gone or whose
 * monitor is dead is free. out: the address, *prefix: the subnet's length. Refusals with
 * docker's words: "Address already in use", "... requested address is out of range". */
int bld_runner_network_ip_lease(struct bld_ctx *ctx, const struct json_t *net,
				const char *ctr_id, int family, const char *want, char out[46],
				int *prefix, struct bld_error **err);
/* Gives back every address ctr_id holds on network net_id (the caller holds the lock). */
int bld_runner_network_ip_release(struct bld_ctx *ctx, const char *net_id, const char *ctr_id,
				  struct bld_error **err);

/* ========================================================================== boot */

/* `bld system boot` (boot.c): starts every container whose restart policy asks for it after
 * a reboot (always; unless-stopped unless a user stopped it; on-failure when it was running
 * when the machine went down); those running are left alone. *started: their names (the
 * caller's). Every container is tried; the first failure comes back in *err. */
int bld_runner_boot(struct bld_ctx *ctx, char ***started, struct bld_error **err);

/* ========================================================================== info */

/* docker's Info object for this host, the store and its containers and images (info.c);
 * *out is the caller's. */
int bld_runner_info(struct bld_ctx *ctx, struct json_t **out, struct bld_error **err);

/* ========================================================================= prune */

/* Removes every container not running; *removed: their IDs, *bytes: the space given back. */
int bld_runner_container_prune(struct bld_ctx *ctx, char ***removed, int64_t *bytes,
			       struct bld_error **err);
/* Removes the volumes no container mounts: anonymous ones only, unless all. */
int bld_runner_volume_prune(struct bld_ctx *ctx, bool all, char ***removed, int64_t *bytes,
			    struct bld_error **err);

/* ============================================================================ cp */

/* What `bld cp` copies: between a path in a container and a host path or a tar stream. */
struct bld_runner_cp_opts {
	const char *container; /* name, id or unique id prefix, as the user wrote it */
	const char *ctr_path;  /* the path in the container (relative ones start at its root) */
	const char *host_path; /* the host path; NULL: a tar stream on fd instead */
	int fd;                /* host_path NULL: the tar goes to fd (from) or comes from it (to) */
	bool archive;          /* -a: keep the source's uid/gid */
	bool follow_link;      /* -L: a symlink as SRC_PATH's last element is followed */
};

/*
 * Copies o->ctr_path out of the container (created, running or exited) to o->host_path,
 * or writes it as a tar to o->fd, after docker's rules (bld_runner_cp_plan). Files land
 * owned by the calling user unless o->archive. *bytes: the copy's size as a tar (what
 * docker reports). Errors docker
 * reports (no such container or file, a rule broken) carry status 1, bld's own none.
 */
int bld_runner_cp_from(struct bld_ctx *ctx, const struct bld_runner_cp_opts *o, int64_t *bytes,
		       struct bld_error **err);
/*
 * Copies o->host_path (or a tar read from o->fd, extracted into the directory o->ctr_path)
 * into the container. Entries land owned by 0:0 unless o->archive; nothing is written
 * outside the destination or the container (a tar's "../" entries and symlinks included);
 * a --read-only root or read-only volume is refused as docker refuses it. A container that
 * is not running gets the files in its upper directory.
 */
int bld_runner_cp_to(struct bld_ctx *ctx, const struct bld_runner_cp_opts *o, int64_t *bytes,
		     struct bld_error **err);

/*
 * What is at path in the container ref (created, running or exited), a symlink not followed
 * (docker's HEAD .../archive): *st, and for a symlink *link_target, the path in the
 * container the links at its end lead to (caller frees; NULL otherwise). BLD_E_NOTFOUND
 * "Could not find the file ..." with status 1.
 */
struct stat;
int bld_runner_cp_stat(struct bld_ctx *ctx, const char *ref, const char *path, struct stat *st,
		       char **link_target, struct bld_error **err);

/* What is at DEST_PATH before the copy. */
enum bld_runner_cp_dst {
	BLD_RUNNER_CP_DST_NONE, /* nothing */
	BLD_RUNNER_CP_DST_FILE, /* something that is not a directory */
	BLD_RUNNER_CP_DST_DIR,
};
/* Where a copy lands: entries are written into directory `dir` under the name `name` ("."
 * for a directory's contents). Freed with _dispose. */
struct bld_runner_cp_plan {
	char *dir;
	char *name;
};
/*
 * docker's table: SRC (a file, a directory, or a directory's contents when it ends in
 * "/.") and DEST (missing, a file, a directory; ending in "/" or not) give *out, or
 * BLD_E_INVALID "cannot copy directory" (a directory onto a file) / BLD_E_NOTFOUND "no such
 * directory" (a file onto a missing DEST ending in "/"), with status 1.
 */
int bld_runner_cp_plan(struct bld_runner_cp_plan *out, const char *src, bool src_dir,
		       const char *dst, enum bld_runner_cp_dst dst_kind, struct bld_error **err);
void bld_runner_cp_plan_dispose(struct bld_runner_cp_plan *p);

/* ======================================================================== export */

/*
 * `bld export`: the container's root file system (created, running or exited) as an
 * uncompressed tar on fd: its image's layers with its own changes, not what is mounted into
 * it (volumes, bind mounts, tmpfs, /proc). Symlinks are entries, never followed. A missing
 * container is BLD_E_NOTFOUND with status 1; bld's own failures carry none.
 */
int bld_runner_export(struct bld_ctx *ctx, const char *ref, int fd, struct bld_error **err);

#endif
