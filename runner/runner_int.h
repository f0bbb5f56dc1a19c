/*
 * runner/runner_int.h — what the files of runner/ share and no other module includes:
 * capability helpers, cgroup set-up, the child's error channel, and container internals.
 */
#ifndef BLD_RUNNER_INT_H
#define BLD_RUNNER_INT_H

#include "runner/runner.h"

#include <netinet/in.h>
#include <sys/stat.h>

/* caps.c */
int bld_runner_cap_from_name(const char *name);
int bld_runner_cap_last(void);
/* Drops every capability not in keep from the bounding set; -errno on failure. */
int bld_runner_caps_drop_bounding(uint64_t keep);
/* capset(2) on the calling thread, and clears the ambient set; -errno on failure. */
int bld_runner_caps_set(uint64_t eff, uint64_t prm, uint64_t inh);

/* cgroup.c */
/* Creates the cgroups for p (one per v1 controller, or one v2 group) and applies limits. */
int bld_runner_cgroup_create(struct bld_runner_proc *p, const struct bld_runner_spec *spec,
			     struct bld_error **err);
/* In the child: moves the calling (single-threaded) process into p's cgroups; -errno. */
int bld_runner_cgroup_join(char *const *cgroups);
/* A running container's cgroups (as its state lists them) take s's limits (docker update);
 * on v1 a limit whose controller it has no cgroup of is BLD_E_UNSUPPORTED. */
int bld_runner_cgroup_update(char *const *cgroups, const struct bld_runner_spec *s,
			     struct bld_error **err);
/* The cgroup directories pid is in (for exec): NULL-terminated, caller frees. */
char **bld_runner_cgroup_of(pid_t pid);
/* The OOM-kill count in a memory.oom_control / memory.events file (0 when unknown). */
uint64_t bld_runner_cgroup_oom_count(const char *file);
/* Freezes (or thaws) the processes of the cgroups: v1 freezer, else v2 cgroup.freeze;
 * returns once they are (up to a second); -ENOTSUP when there is no freezer. */
int bld_runner_cgroup_freeze(char *const *cgroups, bool freeze);
/* Kills every process in the cgroups and removes them. */
void bld_runner_cgroup_destroy(char **cgroups);

/* overlay.c: whether kind is forced (BLD_OVERLAY, BLD_NO_OVERLAY); an overlay mount's
 * lowerdir, upperdir and workdir options for s into opt (-E2BIG when too long); and
 * fuse-overlayfs on merged when the sandbox gets it (*root then an O_PATH descriptor of the
 * mount's root, else -1; its error as *err), unmounted by _unmount (a path or
 * /proc/self/fd/N). */
bool bld_runner_overlay_forced(enum bld_runner_overlay kind);
/* The last line a failed helper program wrote to the pipe fd, into buf ("no reason given"
 * when it wrote none): what fuse-overlayfs or pasta says. */
void bld_runner_last_line(int fd, char *buf, size_t size);
int bld_runner_overlay_opts(const struct bld_runner_spec *s, struct bld_buf *opt);
int bld_runner_overlay_fuse_mount(const struct bld_runner_spec *s, const char *merged, int *root,
				  struct bld_error **err);
void bld_runner_overlay_fuse_unmount(const char *merged);

/* mounts.c: the child's filesystem steps; each returns 0 or -errno */
int bld_runner_mkpath_in_root(int rootfd, const char *path, bool want_file);
int bld_runner_mount_root(const struct bld_runner_spec *s, const char *merged);
int bld_runner_mount_proc(int rootfd);
int bld_runner_mount_dev(int rootfd, int tty_fd, int64_t shm_size);
int bld_runner_mount_sys(int rootfd, bool writable);
int bld_runner_mount_shm_from(int rootfd, int mntns);
int bld_runner_make_devices(int rootfd, const struct bld_runner_device *d, size_t n);
int bld_runner_mount_etc(int rootfd, const char *state_dir, bool with_hostname, bool ro);
int bld_runner_mount_user(int rootfd, const struct bld_runner_mount *m, const char **failed);
int bld_runner_pivot(const char *merged);
int bld_runner_mask_paths(void);
int bld_runner_root_readonly(void);

/* imgview.c: an image's root as overlayfs merges its layer directories (lowers, lowest
 * first), read without a mount. A whiteout; a directory marked opaque (by overlayfs or
 * fuse-overlayfs); lstat of rel as the image shows it, returning the index of the layer that
 * has it or -1; the sorted names of directory rel as the image shows it (caller frees);
 * docker's statDifferent (directories compare by mode and owner only). */
bool bld_runner_img_whiteout(const struct stat *st);
bool bld_runner_img_opaque(const char *path);
int bld_runner_img_stat(char *const *lowers, const char *rel, struct stat *st);
char **bld_runner_img_names(char *const *lowers, const char *rel);
bool bld_runner_img_stat_different(const struct stat *a, const struct stat *b);

/* copydiff.c: what a container changed in its copied root (no overlay could be mounted)
 * against its image's layers, written into the empty directory upper as an overlayfs upper
 * directory holds it (upper's files are hard links to root's, so on the same filesystem). */
int bld_runner_copy_diff(const char *root, char *const *lowers, const char *upper,
			 struct bld_error **err);

/* copyroot.c: the layers copied into <state_dir>/rootfs (no overlayfs); 0 or -errno */
int bld_runner_copy_root(const struct bld_runner_spec *s, char **out);
/* Copies the tree below directory src into directory dst (as the root copy, see there). */
int bld_runner_copy_tree(int src, int dst);

/* The error a child sends to its parent before exec (over a SOCK_SEQPACKET socket). */
struct bld_runner_child_msg {
	int kind;   /* 0: error; 1: pid report (exec); 2: the root mount (a descriptor) */
	int status; /* exit code the CLI should use: 125, 126, 127 */
	int code;   /* enum bld_error_code */
	int errnum;
	pid_t pid;
	char msg[512];
};

/* ------------------------------------------------------------------ containers */

struct json_t;

/* state.c: a container's state directory and its monitor's socket; calls no other file */
char *bld_runner_containers_dir(struct bld_ctx *ctx);
char *bld_runner_container_dir(struct bld_ctx *ctx, const char *id);
char **bld_runner_container_ids(struct bld_ctx *ctx);
/* The names of 64 characters (ids) in directory dir, none starting with a dot (caller frees). */
char **bld_runner_ids_in(const char *dir);
/* Removes what in dir starts with prefix (".new-", ".gone-": what a command killed half-way
 * left), as far as it can: another command may be at the same entry. */
void bld_runner_sweep(const char *dir, const char *prefix);
/* The start time of process pid (field 22 of /proc/PID/stat), 0 when there is no such
 * process or it is a zombie: with the pid, it tells a live process from a later one. */
unsigned long long bld_runner_proc_start(pid_t pid);
/* leftovers.c: name, in the containers directory top, is a --rm container's retired
 * directory (.rm-<id>) whose monitor is gone before it deleted it. */
bool bld_runner_retired_abandoned(const char *top, const char *name);
int bld_runner_container_load(struct bld_ctx *ctx, const char *id, struct json_t **cfg,
			      struct json_t **state, struct bld_error **err);
/* The container's name without its leading slash, or NULL (caller frees). */
char *bld_runner_container_name(struct bld_ctx *ctx, const char *id);
void bld_runner_time_str(char out[40], const struct timespec *ts);
void bld_runner_now_str(char out[40]);
double bld_runner_time_parse(const char *s);
int bld_runner_json_write(const char *dir, const char *name, struct json_t *v,
			  struct bld_error **err);
int bld_runner_json_read(const char *dir, const char *name, struct json_t **out,
			 struct bld_error **err);
/* brief.c: writes cfg as dir/config.json with its brief beside it; every change of
 * config.json goes through here. */
int bld_runner_config_write(const char *dir, struct json_t *cfg, struct bld_error **err);
/* The brief of dir/config.json (the members listings read) when it describes the file there
 * now, else config.json itself (*out: caller's); errors as bld_runner_json_read's. */
int bld_runner_config_read_brief(const char *dir, struct json_t **out, struct bld_error **err);
/* jcache.c: dir/name parsed, kept between calls while the file stays the same; shared and
 * read only (json_copy before changing it), a new reference; errors as bld_runner_json_read's. */
int bld_runner_json_read_shared(const char *dir, const char *name, struct json_t **out,
				struct bld_error **err);
/* Forgets every kept parse. */
void bld_runner_json_shared_drop(void);
/* Whether the file st describes was last changed longer ago than its filesystem's timestamps
 * can tell two changes apart: a change from now on gives it other times. */
struct stat;
bool bld_runner_stamp_settled(const struct stat *st);
/* listed.c: a container's listing line kept while its directory (dir, stat()ed before its
 * files were read) stays the same. _get: a copy of the kept line of id into *out (the
 * caller's, bld_runner_container_info_dispose) and its status time (StartedAt, FinishedAt)
 * when its directory is still dir, else false. _keep: keeps a copy of in, made from the
 * files read after dir was taken, when dir has settled. _drop: forgets every line. */
bool bld_runner_listed_get(const char *id, const struct stat *dir,
			   struct bld_runner_container_info *out, double *since);
void bld_runner_listed_keep(const struct stat *dir, const struct bld_runner_container_info *in,
			    double since);
void bld_runner_listed_drop(void);
/* listed.c too: frees what info holds (not info itself). */
void bld_runner_container_info_dispose(struct bld_runner_container_info *info);
/* bld_runner_config_read_brief through bld_runner_json_read_shared: shared and read only, and
 * a brief still holds its stamp (BriefOf). */
int bld_runner_config_read_brief_shared(const char *dir, struct json_t **out,
					struct bld_error **err);
/* A new object with o's members in key order (docker's maps come from Go: sorted). */
struct json_t *bld_runner_json_sorted(struct json_t *o);
/* A connection that becomes readable when the container stops (-1 when not running). */
int bld_runner_client_wait_fd(struct bld_ctx *ctx, const char *id);
/* Whether the container's monitor answers on its socket. */
bool bld_runner_client_wait_fd_alive(struct bld_ctx *ctx, const char *id);
/* A connection to the container's monitor, or -errno. */
int bld_runner_client_connect(struct bld_ctx *ctx, const char *id);
/* Reads one reply line (without its newline) into buf; -1 when the monitor said nothing. */
int bld_runner_client_readline(int s, char *buf, size_t cap);
/* Sends one command line; returns the connected socket (caller reads the reply) or -errno. */
int bld_runner_client_send(struct bld_ctx *ctx, const char *id, const char *line);

/* container.c: creation (under the store-wide containers lock) and renaming */
/* 2 * nbytes random hex digits (at most 32 bytes) and a NUL into out. */
void bld_runner_random_hex(char *out, size_t nbytes);
int bld_runner_containers_lock(struct bld_ctx *ctx, struct bld_error **err);

/* ipam.c: addresses leased on a network (the caller holds the networks lock) */
#define BLD_RUNNER_LEASE_LEN 65    /* a lease record: the container's id and "\n" */
#define BLD_RUNNER_LEASE_SCAN 65535 /* host numbers of a pool scanned for a free one */
/* An address and prefix length ("172.18.0.0/16", "fd00::/64"). */
struct bld_runner_ipam_cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};
/* What may be leased on one subnet: host numbers first..last, never the gateway's. */
struct bld_runner_ipam_pool {
	struct bld_runner_ipam_cidr subnet; /* network address (masked) */
	uint64_t first, last;               /* the subnet's hosts, or its --ip-range */
	uint64_t gateway;                   /* host number; 0: none */
};
/* "ADDR/PREFIX" (not masked); -1 when it is not one. */
int bld_runner_ipam_cidr_parse(const char *s, struct bld_runner_ipam_cidr *out);
/* An address of the family (0: either); its family, or -1. */
int bld_runner_ipam_addr_parse(const char *s, int family, unsigned char out[16]);
/* Clears the host bits. */
void bld_runner_ipam_cidr_mask(struct bld_runner_ipam_cidr *c);
bool bld_runner_ipam_contains(const struct bld_runner_ipam_cidr *c, const unsigned char *a);
bool bld_runner_ipam_overlaps(const struct bld_runner_ipam_cidr *a,
			      const struct bld_runner_ipam_cidr *b);
/* The host number of address a in c: its low bits, up to 64 of them. */
uint64_t bld_runner_ipam_host_of(const struct bld_runner_ipam_cidr *c, const unsigned char *a);
/* c's last host number that is not the broadcast address (IPv4), or its last (IPv6). */
uint64_t bld_runner_ipam_host_last(const struct bld_runner_ipam_cidr *c);
/* The address with host number host in c, as text. */
void bld_runner_ipam_addr_at(const struct bld_runner_ipam_cidr *c, uint64_t host,
			     char out[INET6_ADDRSTRLEN]);
/* The pool of one IPAM.Config entry of network.json (Subnet, Gateway, IPRange). */
int bld_runner_ipam_pool_init(struct bld_runner_ipam_pool *p, const struct json_t *config,
			      struct bld_error **err);
/* The first of docker 20.10's default IPv4 pools (172.17-31.0.0/16, 192.168.0.0/16 in /20s)
 * that overlaps none of used (other networks) and taken (the host's routes), as text. */
int bld_runner_ipam_pool_pick(const struct bld_runner_ipam_cidr *used, size_t n_used,
			      const struct bld_runner_ipam_cidr *taken, size_t n_taken, char out[64],
			      struct bld_error **err);
/* Leases want (or, when NULL or "", the lowest free address) of p for ctr_id in dir/file;
 * stale leases count as free. BLD_E_EXISTS when taken or none is left (docker's words). */
int bld_runner_ipam_lease(struct bld_ctx *ctx, const char *dir, const char *file,
			  const struct bld_runner_ipam_pool *p, const char *ctr_id,
			  const char *want, char out[INET6_ADDRSTRLEN], struct bld_error **err);
/* Frees every record of ctr_id in dir/file (none: 0). */
int bld_runner_ipam_release(const char *dir, const char *file, const char *ctr_id,
			    struct bld_error **err);
/* Calls fn for every record in use (well_formed: it ends in a newline); stops at non-zero. */
typedef int (*bld_runner_ipam_fn)(const char *ctr_id, const char *ip, bool well_formed,
				  void *payload);
int bld_runner_ipam_each(const char *dir, const char *file, const struct bld_runner_ipam_pool *p,
			 bld_runner_ipam_fn fn, void *payload);
/* Whether a lease (or endpoint) of container id counts: its monitor answers on its socket;
 * one of a container that is gone or whose monitor is dead (kill -9) is stale. */
bool bld_runner_lease_owner_alive(struct bld_ctx *ctx, const char *id);

/* netcreate.c: the IPv4 subnets the host routes and its nameservers (as /32s) */
void bld_runner_network_host_taken(struct bld_runner_ipam_cidr **v, size_t *n);
/* network.c: the store below networks/ (caller frees); its lock, as an fd to close */
char *bld_runner_network_dir(struct bld_ctx *ctx, const char *id);
/* Writes a new network (the caller holds the lock); auto_subnet: its IPv4 subnet was
 * picked by bld, not given. */
int bld_runner_network_write(struct bld_ctx *ctx, struct json_t *net, bool auto_subnet,
			     struct bld_error **err);
/* Removes what a kill -9 left of a create or a removal (.new-<id>, .gone-<id>); the caller
 * holds the lock. */
void bld_runner_network_sweep(struct bld_ctx *ctx);
/* Whether a network has that name. */
bool bld_runner_network_name_taken(struct bld_ctx *ctx, const char *name);
/* networks/<id>/network.json (*out: caller's). */
int bld_runner_network_read(struct bld_ctx *ctx, const char *id, struct json_t **out,
			    struct bld_error **err);
/* Every network id (the predefined ones included once made); caller frees. */
char **bld_runner_network_ids(struct bld_ctx *ctx);
/* A new network object with the fields every network has (Id random, Created now). */
struct json_t *bld_runner_network_new(const char *name, const char *driver);

/* image.c: Lowers, ImageID, Path, Args, Env and the image's defaults for a new container */
int bld_runner_image_resolve(struct bld_ctx *ctx, const struct bld_runner_container_config *c,
			     struct json_t **out, struct bld_error **err);
/* volume.c: HostConfig.Binds/Tmpfs -> doc.Mounts, creating named volumes */
int bld_runner_mounts_resolve(struct bld_ctx *ctx, struct json_t *doc, struct bld_error **err);
/* A volume's data directory (caller frees). */
char *bld_runner_volume_data_dir(struct bld_ctx *ctx, const char *name);
/* mountspec.c: HostConfig.Mounts (--mount) and VolumesFrom -> doc.Mounts, checked as docker's
 * daemon checks them; then no destination twice */
int bld_runner_mounts_api(struct bld_ctx *ctx, struct json_t *doc, struct bld_error **err);
/* A bind with shared or slave propagation needs a source on a shared (or slave) mount:
 * checked at start, as docker checks it, with its words. */
int bld_runner_mount_check_propagation(const struct bld_runner_mount *m, struct bld_error **err);
/* (mounts.c, beside the mounts it checks) */
/* hostcfg.c: the HostConfig/Config fields of the Engine API that container.c does not make,
 * given (c->host_extra, c->config_extra) or defaulted, checked as docker's daemon checks them */
int bld_runner_hostcfg_merge(struct json_t *doc, const struct bld_runner_container_config *c,
			     struct bld_error **err);
/* /etc/resolv.conf's text from HostConfig's Dns, DnsSearch and DnsOptions, what is not given
 * taken from the host's file; NULL when none is given (caller frees). embedded: the container
 * is on a user-defined network, its nameserver is the embedded resolver (docker's file:
 * "nameserver 127.0.0.11", the search list and options, "ndots:0" unless ndots is set). */
#define BLD_RUNNER_DNS_ADDR "127.0.0.11"
char *bld_runner_resolv_conf(struct json_t *hc, bool embedded);
/* The values of the host's /etc/resolv.conf "word" lines (loopback nameservers left out). */
void bld_runner_resolv_host_values(const char *word, char ***out);
/* netcfg.c: NetworkingConfig.EndpointsConfig and HostConfig.Links of a new container, and the
 * refusals of a "container:NAME" network mode, as docker's daemon makes them at create. */
int bld_runner_netcfg_create(struct bld_ctx *ctx, struct json_t *doc,
			     const struct bld_runner_container_config *c, struct bld_error **err);
/* Whether the config puts the container on a user-defined network. */
bool bld_runner_netcfg_user_networks(struct json_t *cfg);
/* docker's NetworkSettings of a container that does not run: one entry per network its
 * config names, empty but for what docker keeps of the last run (last: the state's
 * NetworkSettings, borrowed; NULL: none). New reference. */
struct json_t *bld_runner_netcfg_settings(struct json_t *cfg, struct json_t *last);
/* netconnect.c: sets (epcfg) or removes (NULL) network net's EndpointsConfig entry in the
 * container's config.json, under the containers lock, and in mem (a loaded copy; NULL:
 * none). */
int bld_runner_netcfg_update(struct bld_ctx *ctx, const char *id, const char *net,
			     struct json_t *epcfg, struct json_t *mem, struct bld_error **err);
/* nsjoin.c: --pid/--ipc container:NAME at start: that container's pid 1 into
 * s->pid_join/ipc_join; it must run (and, for IPC, be shareable), else docker's refusal. */
int bld_runner_ns_join(struct bld_ctx *ctx, struct json_t *cfg, struct bld_runner_spec *s,
		       struct bld_error **err);

/* spec.c: a sandbox spec from config.json; the holder owns what the spec points at */
struct bld_runner_spec_holder {
	struct bld_runner_spec s;
	char **lowers, **argv, **env, **cap_add, **cap_drop, **extra_hosts, **sysctls, **groups;
	struct bld_runner_mount *mounts;
	struct bld_runner_rlimit *rlimits;
	struct bld_runner_device *devices;
	char *dir, *cwd, *user, *hostname, *domainname, *seccomp, *cgroup, *resolv, *cache;
	char *cgroup_parent, *cpuset_cpus, *cpuset_mems, **device_rules, **blkio_throttle;
};
void bld_runner_spec_from_config(struct bld_runner_spec_holder *h, struct json_t *cfg,
				 const char *dir);
void bld_runner_spec_holder_dispose(struct bld_runner_spec_holder *h);
/* Path and Args of a config.json as one line (caller frees) */
char *bld_runner_command_text(struct json_t *cfg);

/* logs.c: the json-file writer, one buffer per stream */
struct bld_runner_logbuf {
	const char *stream;
	size_t len;
	char buf[16384];
};
/* The json-file being written (fd -1: the none driver, nothing is written). */
struct bld_runner_logfile {
	int fd;
	char *path;
	int64_t max_size; /* -1: unlimited */
	int max_file;
	int64_t size;
	bool failed;          /* a write failed (reported once) */
	struct json_t *attrs; /* --log-opt tag, labels, env: each record's "attrs" (NULL: none) */
};
/* From the container's config.json (HostConfig.LogConfig); appends to an existing log. A tag
 * docker could not expand is refused in its words. */
int bld_runner_logfile_open(struct bld_runner_logfile *lf, const char *dir, const char *id,
			    struct json_t *cfg, struct bld_error **err);
/* logattrs.c: the records' "attrs" from --log-opt tag/labels/env (NULL when none) */
int bld_runner_log_attrs(struct json_t *cfg, struct json_t **out, struct bld_error **err);
/* `logs --details`: "k=v,k=v " (values URL-query escaped) */
void bld_runner_log_details(FILE *f, struct json_t *attrs);
void bld_runner_logfile_close(struct bld_runner_logfile *lf);
void bld_runner_log_add(struct bld_runner_logbuf *b, struct bld_runner_logfile *lf,
			const char *data, size_t n);
void bld_runner_log_flush(struct bld_runner_logbuf *b, struct bld_runner_logfile *lf);
/* HostConfig.LogConfig ({"Type", "Config"}) from --log-driver and --log-opt K=V, checked as
 * docker checks them. */
int bld_runner_log_config(const char *driver, char *const *opts, struct json_t **out,
			  struct bld_error **err);

/* client.c: a container's lifecycle through its monitor (start, stop, kill, wait, remove) */
/* Removes the state directory (and with volumes, its anonymous volumes). */
int bld_runner_container_remove_files(struct bld_ctx *ctx, const char *id, struct json_t *cfg,
				      bool volumes, struct bld_error **err);
/* query.c: running-but-monitor-gone becomes dead */
void bld_runner_state_effective(struct bld_ctx *ctx, const char *id, struct json_t *st);

/* listening.c: the unix sockets listening in this namespace, from one sock_diag dump */
struct bld_runner_listening;
/* Never fails: when the dump cannot be had, the set is empty. */
struct bld_runner_listening *bld_runner_listening_load(void);
/* Whether <dir>/monitor.sock is bound to a listening socket of l (false: not known). */
bool bld_runner_listening_has(const struct bld_runner_listening *l, const char *dir);
void bld_runner_listening_free(struct bld_runner_listening *l);
/* bld_runner_container_load (st required) with the state made effective as above. */
int bld_runner_container_load_live(struct bld_ctx *ctx, const char *id, struct json_t **cfg,
				   struct json_t **st, struct bld_error **err);
/* The same by name, id or id prefix; *id: the full id (caller frees). */
int bld_runner_container_load_ref(struct bld_ctx *ctx, const char *ref, char **id,
				  struct json_t **cfg, struct json_t **st, struct bld_error **err);

/* net.c: the network of one run, owned by the monitor */
#define BLD_RUNNER_MAX_PROXY 64
#define BLD_RUNNER_MAX_NETS 16 /* user-defined networks one container is on */
struct bld_runner_net;
struct pollfd;
int bld_runner_net_setup(struct bld_runner_net **n, struct bld_ctx *ctx, struct json_t *cfg,
			 const char *id, struct bld_runner_spec_holder *h, struct bld_error **err);
void bld_runner_net_state(struct bld_runner_net *n, struct json_t *state);
size_t bld_runner_net_pollfds(struct bld_runner_net *n, struct pollfd *pf, size_t max);
void bld_runner_net_handle(struct bld_runner_net *n, struct pollfd *pf, size_t count);
/* Milliseconds until the proxy has something to do without an event (-1: never). */
int bld_runner_net_timeout(struct bld_runner_net *n);
/* The firewall rules of network net's bridge (isolation, NAT), added or removed (`network
 * rm`) (network.c). */
void bld_runner_network_rules(const struct json_t *net, bool add);
/* The network's MTU option (com.docker.network.driver.mtu), 0 when none. */
int bld_runner_net_mtu(const struct json_t *net);
/* The bridge device of network net (network.json), with its gateway address, MTU option and
 * firewall rules, made when missing (the caller holds the networks lock). */
int bld_runner_net_bridge_ensure(const struct json_t *net, int *ifindex, struct bld_error **err);
/* A running container's new endpoint on network net (name or id), live; *name is the
 * network's name. */
int bld_runner_net_connect(struct bld_runner_net *n, const char *net, struct json_t *epcfg,
			   char name[256], struct bld_error **err);
/* The endpoint on the network of id net_id goes (interface, lease, endpoint file). */
int bld_runner_net_disconnect(struct bld_runner_net *n, const char *net_id, char name[256],
			      struct bld_error **err);
/* Ends one run's network (listeners, proxies, namespace, address); n stays reusable. */
void bld_runner_net_stop(struct bld_runner_net *n);
void bld_runner_net_free(struct bld_runner_net *n);

/* firewall.c: runs argv (a program on PATH) with its output dropped; its exit status, -1 if
 * it did not run. */
int bld_runner_run_quiet(char *const argv[]);

/* netattach.c: a container's endpoint on a user-defined network (see there) */
struct bld_runner_ep {
	char net_id[65], name[256], bridge[16];
	char veth[16], ifname[16]; /* host end; the container's end (ethN) */
	char ip[46], ip6[46], gw[46], gw6[46];
	int prefix, prefix6, mtu, brindex;
	bool internal, leased;
	unsigned char mac[6];
	char ep_id[65];
	struct json_t *cfg; /* its EndpointsConfig entry (IPAMConfig, Aliases, Links), owned */
};
/* firewall.c: the rules of one bridge (isolation; NAT unless internal): added or removed. */
void bld_runner_net_rules(bool add, const char *bridge, const char *cidr, bool internal);
/* Leases the endpoint's addresses on network net (network.json) for ctr_id, as interface
 * eth<index>, and makes the network's bridge when missing. ep is then released with
 * bld_runner_ep_release, also on failure. */
int bld_runner_ep_prepare(struct bld_ctx *ctx, const char *ctr_id, const struct json_t *net,
			  struct json_t *epcfg, int index, struct bld_runner_ep *ep,
			  struct bld_error **err);
/* The veth pair into namespace nsfd (nlfd: a netlink socket in it), addresses, up, and with
 * route the default route through the gateway (never on an internal network). */
int bld_runner_ep_plumb(struct bld_runner_ep *ep, int nsfd, int nlfd, bool route,
			struct bld_error **err);
/* networks/<net>/endpoints/<ctr_id>.json, once the interface is up. */
int bld_runner_ep_publish(struct bld_ctx *ctx, const char *ctr_id, const char *ctr_name,
			  const struct bld_runner_ep *ep, struct bld_error **err);
void bld_runner_ep_mac(const struct bld_runner_ep *ep, char out[18]);
/* NetworkSettings.Networks[name] of the endpoint, as docker inspect shows it (new ref). */
struct json_t *bld_runner_ep_json(const struct bld_runner_ep *ep, const char *ctr_id);
/* The veth, the endpoint file and the leases go. */
void bld_runner_ep_release(struct bld_ctx *ctx, const char *ctr_id, struct bld_runner_ep *ep);
/* Every endpoint file and lease of ctr_id on any network (its monitor is gone). */
void bld_runner_ep_forget(struct bld_ctx *ctx, const char *ctr_id);

/* udpproxy.c: the flows of published UDP ports (see there) */
#define BLD_RUNNER_MAX_UDP 64
struct bld_runner_udp;
struct bld_runner_udp *bld_runner_udp_new(void);
void bld_runner_udp_free(struct bld_runner_udp *u);
/* Published socket lfd is readable: its datagrams go to ctr_port inside namespace nsfd. */
void bld_runner_udp_readable(struct bld_runner_udp *u, int lfd, int nsfd, int ctr_port);
size_t bld_runner_udp_pollfds(struct bld_runner_udp *u, struct pollfd *pf, size_t max);
/* Relays replies of the flows readable in pf, closes the idle ones. */
void bld_runner_udp_handle(struct bld_runner_udp *u, const struct pollfd *pf, size_t count);
int bld_runner_udp_timeout(struct bld_runner_udp *u);

/* dns.c, dnsview.c, dnsserve.c: the embedded resolver at 127.0.0.11 of a container on a
 * user-defined network, served by its monitor inside the container's namespace */
struct bld_runner_dns_peer {
	char *id;        /* the container's full id */
	char *name;      /* its name, without "/" */
	char **aliases;  /* its aliases on the network (NULL-terminated, may be NULL) */
	char *network;   /* the network's name */
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN]; /* "" when none */
};
/* The endpoints of the networks one container is on, in network name order. */
struct bld_runner_dns_view {
	struct bld_runner_dns_peer *peers;
	size_t n;
	char stamp[33]; /* the store's state it was read at (dnsview.c), "": read it again */
};
/* Whether the container with this id is still running (a stale endpoint is not). */
typedef bool (*bld_runner_dns_alive_fn)(const char *id, void *payload);
/* The reply to one query from view: 1 with *out (caller frees) set, 0 when the query is not
 * the view's to answer (forward it), -1 when it is not a readable query (drop it). ndots_set:
 * the container's resolv.conf sets ndots. alive may be NULL (all are). */
int bld_runner_dns_answer(const struct bld_runner_dns_view *v, const uint8_t *query, size_t len,
			  bool ndots_set, bld_runner_dns_alive_fn alive, void *payload,
			  uint8_t **out, size_t *out_len);
/* A SERVFAIL reply to query (no upstream answered): 1 with *out set, -1 when unreadable. */
int bld_runner_dns_servfail(const uint8_t *query, size_t len, uint8_t **out, size_t *out_len);
/* Whether r parses as a reply with query's id (an upstream's answer to it). */
bool bld_runner_dns_is_reply(const uint8_t *query, size_t qlen, const uint8_t *r, size_t rlen);
/* Reads the view of container id from $BLD_ROOT/networks (the default bridge left out). */
void bld_runner_dns_view_load(struct bld_runner_dns_view *v, struct bld_ctx *ctx,
			      const char *id);
void bld_runner_dns_view_dispose(struct bld_runner_dns_view *v);
/* Reads it again when the store changed since (v: loaded, or zeroed). */
void bld_runner_dns_view_refresh(struct bld_runner_dns_view *v, struct bld_ctx *ctx,
				 const char *id);
#define BLD_RUNNER_MAX_DNS 48 /* descriptors the resolver may poll */
struct bld_runner_dns;
/* The resolver of container id (cfg: its config, the upstreams read now); *out stays NULL
 * when the container is on no user-defined network. */
void bld_runner_dns_new(struct bld_runner_dns **out, struct bld_ctx *ctx, struct json_t *cfg,
			const char *id);
/* Its sockets, made in namespace nsfd once lo is up there (a socket bound to 127.0.0.11
 * before that never gets its replies out); d may be NULL. */
int bld_runner_dns_listen(struct bld_runner_dns *d, int nsfd, struct bld_error **err);
void bld_runner_dns_close(struct bld_runner_dns *d);
size_t bld_runner_dns_pollfds(struct bld_runner_dns *d, struct pollfd *pf, size_t max);
/* Serves what is readable in pf, ends forwards whose time is up (count may be 0). */
void bld_runner_dns_handle(struct bld_runner_dns *d, const struct pollfd *pf, size_t count);
int bld_runner_dns_timeout(struct bld_runner_dns *d);

/* netlink.c: requests collected in a batch, sent in one go on socket fd (whose namespace
 * they act on), acknowledged each; bld_runner_nl_send reports the first error */
/* A socket of type made inside namespace ns (it stays there, as the requests' socket does);
 * -1 on failure. Also the UDP and TCP proxies' way into a container's network. */
int bld_runner_net_socket_in(int ns, int type);
struct bld_runner_nl {
	int fd;
	size_t len, cur;
	unsigned n;
	const char *what[8];
	char buf[2048] __attribute__((aligned(4)));
};
void bld_runner_nl_init(struct bld_runner_nl *b, int fd);
int bld_runner_nl_socket(void);
int bld_runner_nl_send(struct bld_runner_nl *b, struct bld_error **err);
int bld_runner_nl_ifindex(const char *name);
/* Waits up to timeout_ms, on link notifications, until interface name is gone from the
 * caller's namespace: 0 when it is, -1 on timeout. */
int bld_runner_nl_wait_gone(const char *name, int timeout_ms);
/* The index of interface name in the namespace of socket fd (0 when none). */
int bld_runner_nl_ifindex_on(int fd, const char *name);
int bld_runner_nl_bridge_create(const char *name, struct bld_error **err);
/* The bridge (created if missing) with its gateway address, up. */
int bld_runner_nl_bridge_setup(const char *name, struct in_addr gw, int prefix, int *ifindex,
			       struct bld_error **err);
/* A veth pair: name up on bridge master, peer (down) created in namespace peer_ns, with the
 * address peer_mac (6 bytes; NULL: the kernel's random one). */
void bld_runner_nl_veth_create(struct bld_runner_nl *b, const char *name, int master,
			       const char *peer, int peer_ns, const unsigned char *peer_mac);
void bld_runner_nl_link_up(struct bld_runner_nl *b, int ifindex);
void bld_runner_nl_addr_add(struct bld_runner_nl *b, int ifindex, struct in_addr a, int prefix);
void bld_runner_nl_route_default(struct bld_runner_nl *b, struct in_addr gw);
void bld_runner_nl_route6_default(struct bld_runner_nl *b, const struct in6_addr *gw);
void bld_runner_nl_link_mtu(struct bld_runner_nl *b, int ifindex, int mtu);
/* The MTU of a link of the caller's namespace, alone. */
int bld_runner_nl_mtu(int ifindex, int mtu, struct bld_error **err);
void bld_runner_nl_addr6_add(struct bld_runner_nl *b, int ifindex, const struct in6_addr *a,
			     int prefix);
/* A netlink socket made inside namespace ns (its requests act there); -1 on failure. */
int bld_runner_nl_socket_in(int ns);
/* the gateway of the IPv4 default route in the namespace of the netlink socket fd */
bool bld_runner_nl_default_gw(int fd, struct in_addr *gw);
int bld_runner_nl_link_del(int ifindex, struct bld_error **err);
/* Before a container's veth named name is made: one of that name left by a run whose
 * monitor is gone (killed, or the kernel still tearing its namespace down) is deleted, or
 * waited for, up to 2 s. The names are the container's own, so no live run owns it. */
void bld_runner_nl_veth_clear(const char *name);

/* event.c: a container event in the store's journal (labels, image and name as attributes),
 * then "K=V" extras, NULL-terminated; a journal that cannot be written is not an error */
void bld_runner_event(struct bld_ctx *ctx, const struct json_t *cfg, const char *action, ...)
	__attribute__((sentinel));
/* docker's exec events: "exec_create: CMD..." and "exec_start: CMD..." when argv is given,
 * else "exec_die" with the exit code; exec_id is the exec's (bld_runner_exec_id). */
void bld_runner_event_exec(struct bld_ctx *ctx, const struct json_t *cfg, const char *what,
			   char *const *argv, const char exec_id[65], int exit_code);
/* docker's volume mount (at a start) or unmount (at the exit) events, one per volume the
 * container mounts. */
void bld_runner_event_volumes(struct bld_ctx *ctx, const struct json_t *cfg, bool mount);
/* A random 64-hex ID for one exec. */
void bld_runner_exec_id(char out[65]);

/* health.c: the check's config, the image's HEALTHCHECK merged with h (BLD_E_INVALID with
 * the daemon's messages); *out NULL when neither has one */
int bld_runner_health_config(struct json_t **out, const struct json_t *image_hc,
			     const struct bld_runner_health *h, struct bld_error **err);
/* health.c: the probes of one container, driven by its monitor's loop (see there). NULL when
 * the container has no check (nothing to do then: every function takes NULL). cfg and state
 * are the monitor's, borrowed. */
struct bld_runner_health_mon;
struct bld_runner_health_mon *bld_runner_health_new(struct bld_ctx *ctx, struct json_t *cfg,
						     struct json_t *state, const char *dir);
/* At each start of the container: State.Health "starting", the first probe scheduled. */
void bld_runner_health_start(struct bld_runner_health_mon *h);
/* The probe's output to poll (-1: none), and what to call when it is readable. */
int bld_runner_health_pollfd(struct bld_runner_health_mon *h);
void bld_runner_health_readable(struct bld_runner_health_mon *h);
/* Milliseconds until _due has something to do (-1: never). */
int bld_runner_health_timeout(struct bld_runner_health_mon *h);
/* Starts a probe in the container whose pid 1 is target, or times one out, when it is time;
 * true when the state changed (the caller saves it). */
bool bld_runner_health_due(struct bld_runner_health_mon *h, pid_t target);
/* A child was reaped: true when it was the probe (its result is recorded). */
bool bld_runner_health_reaped(struct bld_runner_health_mon *h, pid_t pid, int wstatus);
/* The container stopped: no more probes (a running one is killed). */
void bld_runner_health_stop(struct bld_runner_health_mon *h);
/* After a thaw: probes again from an interval on, the status kept. */
void bld_runner_health_resume(struct bld_runner_health_mon *h);
void bld_runner_health_free(struct bld_runner_health_mon *h);

/* attach.c: the monitor's side of a `bld attach` (see there) */
struct bld_runner_attached {
	int in, out, err;  /* the attached bld's stdio, or -1 */
	char keys[BLD_RUNNER_DETACH_KEYS_MAX]; /* the detach sequence, NUL-terminated */
	size_t matched;    /* how much of it the input has matched so far */
	int client;        /* the attaching connection's slot in the monitor, or -1 */
};
void bld_runner_attached_init(struct bld_runner_attached *a);
/* Closes the descriptors and forgets the attachment. */
void bld_runner_attached_close(struct bld_runner_attached *a);
/* The detach keys (nkeys bytes) on a terminal's input: held back while they are being
 * typed (*pos of them so far); typed whole, true (what came before is in out); cut short,
 * the held ones go on in out. out has room for n + nkeys bytes. */
bool bld_runner_detach_scan(const char *keys, size_t nkeys, size_t *pos, const char *in,
			    size_t n, char *out, size_t *on);
#define BLD_RUNNER_ATTACH_CHUNK 16384 /* bytes of input read at once */
/* Input from the attached bld (at most BLD_RUNNER_ATTACH_CHUNK bytes), passed on to fd (the
 * container's stdin or pty; -1: dropped) but for the detach sequence; true when that
 * sequence is complete. */
bool bld_runner_attached_input(struct bld_runner_attached *a, const char *buf, size_t n, int fd);

/* monitor.c */
/* The monitor's body in the forked process: never returns. */
_Noreturn void bld_runner_monitor_main(struct bld_ctx *ctx, const char *id, int report_fd,
				       const struct bld_runner_attach *attach);

/* netns_sock.c: a socket made in network namespace ns (a new one when ns < 0; then its fd
 * to *ns_out), by a child, since rootless bld cannot come back to the host's namespace.
 * -1 and errno on failure. */
int bld_runner_netns_socket(int ns, int domain, int type, int proto, int *ns_out);
/* The network mode rootless bld gives a container asking for *mode: the default bridge
 * becomes BLD_RUNNER_ROOTLESS_STACK (a namespace of its own with pasta's eth0). */
#define BLD_RUNNER_ROOTLESS_STACK "pasta"
void bld_runner_rootless_net_mode(const char **mode);
/* The pid a pid file holds, 0 when none. */
pid_t bld_runner_pidfile_read(const char *path);
/* Whether pid runs (a zombie does not: init may be slow to reap it) with a name that starts
 * with comm. */
bool bld_runner_proc_live(pid_t pid, const char *comm);
/* Starts pasta for the namespace nsfd of container id: its pid, or 0 when it could not start
 * (said once on stderr: the namespace keeps the loopback alone). */
pid_t bld_runner_rootless_stack_start(const struct bld_ctx *ctx, int nsfd, const char *id);
/* Stops the pasta of pid (when it still is one) and waits until it is gone. */
void bld_runner_rootless_stack_stop(pid_t pid);
/* Stops container id's pasta, when its pid file names a live one, and removes that file (at
 * the end of a run, and by `rm` for a run whose monitor was killed). */
void bld_runner_rootless_stack_forget(const struct bld_ctx *ctx, const char *id);
/* Rootless, the network namespace that stands for the host's where user-defined networks
 * live (their bridges, the hosts' ends of veths, the firewall rules): $RUN_DIR/netns, bound
 * in the user's mount namespace, made when missing and create (with pasta for its uplink),
 * and kept open for bld_runner_host_netns. Nothing when not rootless. */
int bld_runner_rootless_netns(const struct bld_ctx *ctx, bool create, struct bld_error **err);
/* netns_sock.c: that namespace once opened, else -1 (root, or not needed yet): netlink.c and firewall.c
 * act in it instead of the process's own. */
int bld_runner_host_netns(void);
/* Records that namespace (rootless_net.c, once it opened it). */
void bld_runner_host_netns_set(int ns);

/* Attaches an eBPF program that allows what rules ("c 1:3 rwm", "b *:* m") allow and
 * denies every other device to the cgroup v2 directory cgroup_fd (devfilter.c). */
int bld_runner_devfilter_attach(int cgroup_fd, char *const *rules, struct bld_error **err);

#endif
