/*
 * runner/runner_int.h — what the files of runner/ share and no other module includes:
 * capability helpers, cgroup set-up, the child's error channel, and container internals.
 */
#ifndef BLD_RUNNER_INT_H
#define BLD_RUNNER_INT_H

#include "runner/runner.h"

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
/* In the child: moves the calling process into p's cgroups; -errno on failure. */
int bld_runner_cgroup_join(char *const *cgroups);
/* The cgroup directories pid is in (for exec): NULL-terminated, caller frees. */
char **bld_runner_cgroup_of(pid_t pid);
/* The OOM-kill count in a memory.oom_control / memory.events file (0 when unknown). */
uint64_t bld_runner_cgroup_oom_count(const char *file);
/* Kills every process in the cgroups and removes them. */
void bld_runner_cgroup_destroy(char **cgroups);

/* mounts.c: the child's filesystem steps; each returns 0 or -errno */
int bld_runner_mkpath_in_root(int rootfd, const char *path, bool want_file);
int bld_runner_mount_root(const struct bld_runner_spec *s, const char *merged);
int bld_runner_mount_proc(int rootfd);
int bld_runner_mount_dev(int rootfd, bool tty);
int bld_runner_mount_sys(int rootfd, bool writable);
int bld_runner_mount_etc(int rootfd, const char *state_dir, bool with_hostname);
int bld_runner_mount_user(int rootfd, const struct bld_runner_mount *m, const char **failed);
int bld_runner_pivot(const char *merged);
int bld_runner_mask_paths(void);
int bld_runner_root_readonly(void);

/* The error a child sends to its parent before exec (over a SOCK_SEQPACKET socket). */
struct bld_runner_child_msg {
	int kind;   /* 0: error; 1: pid report (exec) */
	int status; /* exit code the CLI should use: 125, 126, 127 */
	int code;   /* enum bld_error_code */
	int errnum;
	pid_t pid;
	char msg[512];
};

#endif
