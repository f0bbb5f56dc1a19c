/*
 * deploy/deploy.h — the declarative layer: the Compose Specification model of a project
 * (loaded with libyaml, interpolated, merged, validated and normalised), and its
 * application to the store through builder, registry and runner.
 *
 * The loaded project is one json_t in exactly the shape `docker compose config --format
 * json` (compose v2) prints: top-level "name", "services", "networks", "volumes",
 * "configs", "secrets"; every service attribute in its long form; paths absolute. Everything
 * that consumes a project reads only that value.
 *
 * Includes builder, registry, runner, parser, cache and common. libyaml lives here and
 * nowhere else. deploy keeps no state of its own: the truth is the store.
 */
#ifndef BLD_DEPLOY_H
#define BLD_DEPLOY_H

#include <jansson.h>

#include "common/common.h"
#include "runner/runner.h"

/* A compose file larger than this is refused (docker compose has no cap; 16 MiB is far
 * beyond any real project). */
#define BLD_DEPLOY_MAX_FILE ((size_t)16 << 20)

/* What selects and shapes a project, as docker compose's global flags and variables do.
 * Every member may be NULL/false: then the environment and the working directory decide. */
struct bld_deploy_options {
	char *const *files;       /* -f, in order ("-" reads stdin); NULL: COMPOSE_FILE, then
				     compose.yaml ... found in the working directory or a parent */
	const char *project_directory; /* --project-directory; NULL: the first file's directory */
	const char *project_name; /* -p; NULL: COMPOSE_PROJECT_NAME, then name:, then the
				     project directory's base name */
	char *const *env_files;   /* --env-file, in order; NULL: <project directory>/.env */
	char *const *profiles;    /* --profile; NULL: COMPOSE_PROFILES */
	char *const *services;    /* services named on the command line: enabled with their
				     profiles (NULL: all the active ones) */
	bool no_interpolate;      /* --no-interpolate: ${...} left as written */
	char *const *environ;     /* the environment variables ("K=V"); NULL: the process's */
	const char *workdir;      /* where relative -f paths and discovery start; NULL: "." */
	bool keep_env_file;       /* each service's env_file kept (paths absolute) instead of
				     folded into its environment (kube generate's ConfigMaps) */
};

/*
 * Loads the project o selects: finds and reads its files, interpolates, merges, applies
 * include, extends and profiles, validates and normalises. *project is the caller's
 * (json_decref). Errors: BLD_E_NOTFOUND when no compose file is found, BLD_E_INVALID with
 * "FILE:LINE: what" for bad input, BLD_E_SYSTEM when a file cannot be read.
 */
int bld_deploy_project_load(struct bld_ctx *ctx, const struct bld_deploy_options *o,
			    json_t **project, struct bld_error **err);

/*
 * docker compose v2's normalisation of a project name: lower case, only [a-z0-9_-] kept.
 * Caller frees; BLD_E_INVALID when nothing valid is left or the result does not start
 * with a letter or digit.
 */
int bld_deploy_project_name_normalize(const char *name, char **out, struct bld_error **err);

/* A loaded project as `docker compose config` (v2) prints it, YAML (libyaml's emitter) or
 * JSON; interpolated doubles every "$" as compose does so that the output loads again.
 * Caller frees *out. */
int bld_deploy_config_yaml(char **out, const json_t *model, bool interpolated,
			   struct bld_error **err);
char *bld_deploy_config_json(const json_t *model, bool interpolated);

/* --resolve-image-digests: every service's image pinned to its registry's digest for the
 * tag ("docker.io/library/busybox:latest@sha256:..."), as compose-go writes it. */
int bld_deploy_resolve_image_digests(struct bld_ctx *ctx, json_t *project,
				     struct bld_error **err);

/* ===================================================================== the runtime */

/* The compose v2 release whose behaviour (names, labels, messages) bld follows; its
 * com.docker.compose.version label. */
#define BLD_DEPLOY_COMPOSE_VERSION "2.39.4"

/* The project directory and the compose files (absolute, "a,b") o selects, as the loader
 * finds them (the working_dir and config_files labels), and the project's environment (bld's
 * own, then its .env files: name -> string); all the caller's. */
int bld_deploy_project_paths(const struct bld_deploy_options *o, char **working_dir,
			     char **config_files, struct json_t **env, struct bld_error **err);

/* What every command of the runtime shares. */
struct bld_deploy_target {
	struct json_t *project;   /* the loaded project (borrowed); NULL for commands that
				     work from the store alone (ls, down -p NAME) */
	const char *name;         /* the project's name */
	const char *working_dir;  /* com.docker.compose.project.working_dir */
	const char *config_files; /* com.docker.compose.project.config_files ("a,b") */
	char *const *services;    /* the SERVICE... arguments; NULL or empty: all */
	const struct json_t *env; /* the project's environment (may be NULL): secrets' and
				     configs' environment: */
};

/* The builder reads a build secret's `environment:` variable from the process's environment
 * (`--secret id=ID,env=VAR`), compose v2 from the project's (.env files included): the
 * project's value of each secret's variable is set where the process has none. */
void bld_deploy_files_export_env(const struct bld_deploy_target *t);

/* `compose up` and `compose create` (no_start). */
struct bld_deploy_up_opts {
	bool build, no_build, pull_always, pull_never, force_recreate, no_recreate, no_deps;
	bool no_start, wait, remove_orphans, quiet_pull;
	int wait_timeout;     /* seconds; 0: none */
	int timeout;          /* -t for the containers stopped on the way; -1: theirs */
	char *const *scale;   /* "SERVICE=N" */
};
/* Converges the store on the project: images built or pulled, volumes and networks made,
 * containers created, recreated (config hash or image changed), scaled and started in
 * dependency order, each depends_on condition waited for; with wait, until every service
 * runs (healthy where it has a health check). Progress on stderr as compose v2 prints it.
 * On failure, what this call started is stopped (it stays, for `down` to remove), and the
 * error names the service; status 1 as compose's. */
int bld_deploy_up(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		  const struct bld_deploy_up_opts *o, struct bld_error **err);

/* `compose down`. rmi: NULL, "local" or "all". */
struct bld_deploy_down_opts {
	bool volumes, remove_orphans;
	const char *rmi;
	int timeout; /* -1: the containers' own */
};
int bld_deploy_down(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		    const struct bld_deploy_down_opts *o, struct bld_error **err);

/* One container of a project as the store holds it (from its labels and state). */
struct bld_deploy_ctr {
	char id[65];
	char *name;    /* without "/" */
	char *service; /* com.docker.compose.service */
	int number;    /* com.docker.compose.container-number */
	bool oneoff;
	char *hash;    /* com.docker.compose.config-hash ("" when none) */
	char *image_digest; /* com.docker.compose.image */
	char *state;   /* docker's: created, running, paused, restarting, exited, dead */
	char *health;  /* "", starting, healthy, unhealthy */
	int exit_code;
	int64_t created;
	const struct bld_runner_container_info *info; /* borrowed from the list it came from */
};
struct bld_deploy_state {
	struct bld_deploy_ctr *v;
	size_t n;
	struct bld_runner_container_info *infos; /* what v points into */
	size_t n_infos;
};
/* The containers labelled com.docker.compose.project=name (every project's when name is
 * NULL), sorted by service then number; one-off containers (compose run) too. */
int bld_deploy_state_load(struct bld_ctx *ctx, const char *name, struct bld_deploy_state *out,
			  struct bld_error **err);
void bld_deploy_state_dispose(struct bld_deploy_state *s);
void bld_deploy_ctr_dispose(struct bld_deploy_ctr *c);

/* Something done to one container of a project (stop, kill, rm ...). */
typedef int (*bld_deploy_ctr_fn)(struct bld_ctx *ctx, const struct bld_deploy_ctr *c,
				 void *payload, struct bld_error **err);
/* Stops c when it runs, with its progress lines; payload: an int timeout, or NULL. */
int bld_deploy_stop_one(struct bld_ctx *ctx, const struct bld_deploy_ctr *c, void *payload,
			struct bld_error **err);
/* fn on each of v in parallel (a child process each); -1 when one failed, its error
 * printed on stderr by the child. */
int bld_deploy_each(struct bld_ctx *ctx, struct bld_deploy_ctr *const *v, size_t n,
		    bld_deploy_ctr_fn fn, void *payload, struct bld_error **err);
/* Job i of a set run by bld_deploy_parallel. */
typedef int (*bld_deploy_job_fn)(struct bld_ctx *ctx, size_t i, void *payload,
				 struct bld_error **err);
/* Jobs 0..n-1 in parallel, a child process each, at most max at a time (0: all); -1 when
 * one failed, the first failure's error in *err. */
int bld_deploy_parallel(struct bld_ctx *ctx, size_t n, size_t max, bld_deploy_job_fn fn,
			void *payload, struct bld_error **err);
/* fn on the containers of st service by service in reverse dependency order (the
 * project's services, or every container when t->project is NULL), those of one service
 * in parallel; with orphans, then the containers of services the project lacks. */
int bld_deploy_reverse(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		       struct bld_deploy_state *st, bool orphans, bld_deploy_ctr_fn fn,
		       void *payload, struct bld_error **err);

/* The verbs of compose that act on existing containers (verbs.c). */
enum bld_deploy_verb_kind {
	BLD_DEPLOY_STOP, BLD_DEPLOY_RESTART, BLD_DEPLOY_KILL, BLD_DEPLOY_PAUSE,
	BLD_DEPLOY_UNPAUSE, BLD_DEPLOY_RM,
};
struct bld_deploy_verb_opts {
	enum bld_deploy_verb_kind verb;
	int timeout; /* stop, restart: -1 for the containers' own */
	int signal;  /* kill: 0 for SIGKILL */
	bool volumes; /* rm -v */
};
/* The verb on every container of st, in reverse dependency order (status 1 on failure). */
int bld_deploy_verb(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		    struct bld_deploy_state *st, const struct bld_deploy_verb_opts *o,
		    struct bld_error **err);
/* `compose start`: the containers of the services asked for that do not run, started in
 * dependency order, each depends_on condition waited for. */
int bld_deploy_start(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		     struct bld_error **err);

/* `compose build`, `pull` and `push` (images.c): the images of the services asked for
 * built (those with a build: section, always), pulled (those without), pushed (those built
 * under an image: name); progress lines as compose's. */
enum bld_deploy_image_verb { BLD_DEPLOY_IMAGE_BUILD, BLD_DEPLOY_IMAGE_PULL, BLD_DEPLOY_IMAGE_PUSH };
struct bld_deploy_image_opts {
	enum bld_deploy_image_verb verb;
	bool ignore_failures; /* pull --ignore-pull-failures */
};
int bld_deploy_image_verb(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			  const struct bld_deploy_image_opts *o, struct bld_error **err);

/* `compose run` (run.c): a one-off container of a service. */
struct bld_deploy_run_opts {
	char *const *cmd;       /* NULL or empty: the service's command */
	const char *entrypoint; /* NULL: the service's; "": none */
	char *const *env;       /* -e K=V, added */
	char *const *volumes;   /* -v, added */
	char *const *publish;   /* -p: the ports, instead of the service's (without service_ports) */
	const char *user, *workdir, *name;
	bool rm, detach, no_deps, service_ports, tty, interactive;
};
/* Runs it: *code its exit code when attached. Dependencies come up first unless no_deps. */
int bld_deploy_run(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *svc,
		   const struct bld_deploy_run_opts *o, int *code, struct bld_error **err);

/* The services a command acts on: the SERVICE arguments (refused with compose's "no such
 * service: X" when unknown) and, with deps, everything they depend on, in dependency
 * order (dependencies first). *out is the caller's (bld_strv_free). */
int bld_deploy_services(const struct bld_deploy_target *t, bool deps, char ***out,
			struct bld_error **err);

/* The config hash of a service (docker compose v2's ServiceHash: the sha256 of the
 * service's JSON as Go marshals it, without build, pull_policy, scale, deploy.replicas,
 * depends_on and profiles), 64 hex digits; what com.docker.compose.config-hash holds. */
void bld_deploy_service_hash(const struct json_t *service, char out[65]);

/* Prints one progress line as compose v2 does: " Container p-web-1  Started" (plain), or
 * " ✔ Container p-web-1  Started" on a terminal. what is "Container NAME", "Network NAME",
 * "Volume \"NAME\"" ... */
void bld_deploy_event(struct bld_ctx *ctx, const char *what, const char *status);

/* On a terminal: the display of the events made shared with the child processes forked
 * after (parallel.c calls it); _end: the next event starts a new display below. */
void bld_deploy_progress_share(struct bld_ctx *ctx);
void bld_deploy_progress_end(struct bld_ctx *ctx);

/* `compose logs` and the attached `up`: each line prefixed "SERVICE-N  | " (coloured on a
 * terminal unless no_color), every container of ids merged; follow until they all stop. */
struct bld_deploy_logs_opts {
	bool follow, timestamps, no_color, no_prefix;
	long tail;           /* < 0: all */
	double since, until; /* unix seconds, 0: no bound */
};
int bld_deploy_logs(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		    const struct bld_deploy_state *st, const struct bld_deploy_logs_opts *o,
		    struct bld_error **err);

/* The attached `up`: "Attaching to ...", the logs of st's containers followed, "NAME exited
 * with code N" as each stops. On SIGINT (or, with abort, when one container stops) every
 * container of st is stopped. *code: 130 after SIGINT; with abort, the exit code of the
 * container of exit_from (or of the first to stop); else 0. */
struct bld_deploy_attach_opts {
	bool abort_on_exit, no_color, timestamps;
	const char *exit_from; /* --exit-code-from SERVICE */
	int timeout;
	char *const *attach; /* the services whose logs are followed (--attach, --no-attach);
			      * NULL: all of st. All of st is stopped all the same. */
};
int bld_deploy_attach(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		      const struct bld_deploy_state *st, const struct bld_deploy_attach_opts *o,
		      int *code, struct bld_error **err);

/* The prefix of a container's log lines: its name without "<project>-". */
const char *bld_deploy_short_name(const char *project, const char *name);

/* `compose ls`: one object per project found in the store's containers,
 * {Name, Status ("running(2), exited(1)"), ConfigFiles}, sorted by name. */
int bld_deploy_projects(struct bld_ctx *ctx, bool all, struct json_t **out,
			struct bld_error **err);

/* ==== kube */

/* `kube generate` (kube_gen*.c): how a project becomes Kubernetes objects; the names, labels,
 * init containers and annotations `kube play` reads are README.md's. */
struct bld_deploy_kube_gen_opts {
	const char *service_type;  /* published ports: "NodePort" (NULL) or "LoadBalancer" */
	const char *pvc_size;      /* a PVC's request when no label gives one; NULL: "1Gi" */
	const char *wait_image;    /* wait-for-<dep> init containers; NULL: "busybox" */
	const char *kubectl_image; /* wait-for-<job> init containers; NULL: "bitnami/kubectl" */
	bool stateful;             /* a service with a named volume -> StatefulSet */
	bool allow_hostpath;       /* bind mounts that are not small read-only files -> hostPath */
	bool allow_tag;            /* a built image by its tag when the store has no digest */
	bool push;                 /* built images pushed first, as `compose push` */
	const struct json_t *env;  /* the project's environment (secrets' and configs'
				      environment:), name -> string; may be NULL */
};
/*
 * The objects of project's services (all of them: select services when loading) as a JSON
 * array of Kubernetes objects (*objects, the caller's), for the API of release 1.36. What
 * cannot be expressed is one line a item in *reports (strv, the caller's; "service web:
 * init: ...", never dropped in silence). Errors: BLD_E_INVALID when a built image has no
 * digest (not pushed) and allow_tag is off, or a name cannot become a Kubernetes name;
 * registry errors from push.
 */
int bld_deploy_kube_generate(struct bld_ctx *ctx, const json_t *project,
			     const struct bld_deploy_kube_gen_opts *o, json_t **objects,
			     char ***reports, struct bld_error **err);
/* The objects as one multi-document YAML stream (libyaml's emitter); caller frees *out. */
int bld_deploy_kube_yaml(char **out, const json_t *objects, struct bld_error **err);
/*
 * The compose project the containers names (by name or ID) run, rebuilt in the loader's
 * shape from what the store keeps of them: what each container's config sets beyond its
 * image, and compose's com.docker.compose.* labels (service, project, depends_on); the
 * containers of one service are its replicas. *project is the caller's. BLD_E_NOTFOUND for
 * no such container, BLD_E_INVALID when they belong to several projects.
 */
int bld_deploy_kube_project_from_containers(struct bld_ctx *ctx, char *const *names,
					    json_t **project, struct bld_error **err);

/* `kube play FILE|-`: the file's Pods, Deployments (a pod per replica), StatefulSets, Jobs,
 * Services, ConfigMaps, Secrets and PersistentVolumeClaims run on this machine (deploy/
 * kube_play.c says how); returns once every pod is ready and every Job complete. Errors:
 * "kube play: FILE:LINE: what" for bad input; status 1. */
struct bld_deploy_kube_play_opts {
	const char *file;      /* "-": stdin */
	const char *network;   /* --network: instead of "kube-<namespace>" (NULL) */
	char *const *publish;  /* --publish HOST:CONTAINER[/PROTO] */
	bool replace;          /* --replace: what the same file made removed first */
};
int bld_deploy_kube_play(struct bld_ctx *ctx, const struct bld_deploy_kube_play_opts *o,
			 struct bld_error **err);
/* `kube down FILE|-`: the containers of the file's pods removed; volumes with volumes. */
struct bld_deploy_kube_down_opts {
	const char *file;
	const char *network;
	bool volumes;
};
int bld_deploy_kube_down(struct bld_ctx *ctx, const struct bld_deploy_kube_down_opts *o,
			 struct bld_error **err);

#endif
