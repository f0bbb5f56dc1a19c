/*
 * deploy/deploy_int.h — what the files of deploy/ share and no other module includes.
 *
 * A compose file is read into jansson values with a side table, the source map, that keeps
 * the file and line of every node by its path: validation reports `FILE:LINE: what` from
 * it long after the YAML is gone. Paths are JSON Pointers (RFC 6901: "/services/web/ports/0",
 * "~1" for "/" and "~0" for "~" in a key), so that keys holding dots ("com.example.label")
 * stay unambiguous.
 */
#ifndef BLD_DEPLOY_INT_H
#define BLD_DEPLOY_INT_H

#include <assert.h>

#include "deploy/deploy.h"

#include <stdint.h>

/* Total nodes one document may expand to through aliases: an alias bomb ("billion laughs")
 * is refused long before it exhausts memory. */
#define BLD_DEPLOY_MAX_NODES ((size_t)250000)
/* Nesting deeper than this is refused (the parser recurses). */
#define BLD_DEPLOY_MAX_DEPTH 200

/* ------------------------------------------------------------------ source map (srcmap.c) */

/* Where each node of one or more loaded documents came from. */
struct bld_deploy_srcmap {
	json_t *lines; /* path -> [file index, line] */
	char **files;  /* the file names the indexes refer to */
};

void bld_deploy_srcmap_init(struct bld_deploy_srcmap *m);
void bld_deploy_srcmap_dispose(struct bld_deploy_srcmap *m);
/* The index of file in m's file list, added when new. */
int bld_deploy_srcmap_file(struct bld_deploy_srcmap *m, const char *file);
/* Records that the node at path starts at line of file index fi (a later record wins). */
void bld_deploy_srcmap_set(struct bld_deploy_srcmap *m, const char *path, int fi, int line);
/* The file and line of the node at path, or of its nearest ancestor that has one; false
 * when none has. *file is borrowed from m. */
bool bld_deploy_srcmap_find(const struct bld_deploy_srcmap *m, const char *path,
			    const char **file, int *line);
/* Copies the records of src for the paths dst has none for (a file a service extends: its
 * lines only where the extending files say nothing). */
void bld_deploy_srcmap_add_missing(struct bld_deploy_srcmap *dst,
				   const struct bld_deploy_srcmap *src);

/* Appends key to the JSON Pointer in b, escaped ("/" + key with ~0 ~1). */
void bld_deploy_path_push(struct bld_buf *b, const char *key);
/* Appends an array index. */
void bld_deploy_path_push_index(struct bld_buf *b, size_t i);

/* ------------------------------------------------------------------ paths (path.c) */

/* A value's place as compose-go's tree.Path names it: keys, "[]" for a sequence item. */
struct bld_deploy_path {
	const char *parts[BLD_DEPLOY_MAX_DEPTH + 8]; /* borrowed */
	size_t n;
};

void bld_deploy_path_enter(struct bld_deploy_path *p, const char *part);
void bld_deploy_path_leave(struct bld_deploy_path *p);
/* Whether p matches pattern: dotted parts, "*" for any one part. */
bool bld_deploy_path_match(const struct bld_deploy_path *p, const char *pattern);
/* "services.web.ports.[]"; caller frees. */
char *bld_deploy_path_dotted(const struct bld_deploy_path *p);

/* ------------------------------------------------------------------ YAML (yaml.c) */

/* One YAML document of a compose file. */
struct bld_deploy_doc {
	json_t *root;     /* the document's value (a mapping for a compose file) */
	json_t *resets;   /* paths (arrays of keys) tagged !reset: removed from what was merged
			     before, and absent from root */
	json_t *overrides; /* paths tagged !override: replace what was merged before */
};

/*
 * Parses a YAML stream (every document of it, in order) with libyaml's event API into
 * *docs (an array of n struct bld_deploy_doc; free with bld_deploy_docs_free), recording
 * lines in map under the name file. Anchors, aliases (bounded by BLD_DEPLOY_MAX_NODES),
 * merge keys `<<`, YAML 1.2 core scalars as go-yaml resolves them (quoted stays a string).
 * Errors: BLD_E_INVALID "FILE:LINE: what".
 */
int bld_deploy_yaml_parse(const char *data, size_t len, const char *file,
			  struct bld_deploy_srcmap *map, struct bld_deploy_doc **docs, size_t *n,
			  struct bld_error **err);
/* The same, with each document's paths in map under its index ("/0/kind", "/1/kind"):
 * Kubernetes YAML's documents are objects of their own, not layers of one. */
int bld_deploy_yaml_parse_indexed(const char *data, size_t len, const char *file,
				  struct bld_deploy_srcmap *map, struct bld_deploy_doc **docs,
				  size_t *n, struct bld_error **err);
void bld_deploy_docs_free(struct bld_deploy_doc *docs, size_t n);

/* Each element of docs (an array) as one document of a YAML stream, written as
 * bld_deploy_config_yaml writes a model ("---" before every document but the first);
 * caller frees *out. */
int bld_deploy_yaml_stream(char **out, const json_t *docs, bool interpolated,
			   struct bld_error **err);

/* A scalar's value as go-yaml types it (yaml_scalar.c): null, bool, int, float or string;
 * only a plain (unquoted, untagged) scalar can be anything but a string. NULL when s is
 * not valid UTF-8. */
json_t *bld_deploy_yaml_scalar(const char *s, size_t n, bool plain);

/* ------------------------------------------------------------------ substitution (template.c) */

/* A variable's value (borrowed), or NULL when it is not set. */
typedef const char *(*bld_deploy_lookup_fn)(const char *name, void *payload);

struct bld_deploy_subst {
	bld_deploy_lookup_fn lookup;
	void *payload;
	bool warn;     /* warn of unset variables as compose does */
	char *invalid; /* after an invalid template: the template it was found in (caller frees) */
};

/* tmpl with $VAR, ${VAR...} and $$ substituted as compose-go's template.Substitute does;
 * *out is the caller's. BLD_E_INVALID for ${VAR:?err} and ${VAR?err} ("required variable VAR
 * is missing a value: err") and for an invalid template (s->invalid set). */
int bld_deploy_substitute(struct bld_deploy_subst *s, const char *tmpl, char **out,
			  struct bld_error **err);

/* ------------------------------------------------------------------ interpolation */

/* Substitutes the variables of env (name -> string) in every string value of doc, in place,
 * and converts the values compose-go casts to numbers and booleans (interpolate.c).
 * BLD_E_INVALID "FILE:LINE: error while interpolating PATH: why" with the line from map. */
int bld_deploy_interpolate(json_t *doc, const json_t *env, const struct bld_deploy_srcmap *map,
			   struct bld_error **err);

/* ------------------------------------------------------------------ merging (merge.c) */

/* Merges over into base in place by compose-go's override rules; root is the dotted path of
 * both ("" for documents, "services.x" for a service). over's values are taken by
 * reference. BLD_E_INVALID "cannot override PATH" when a mapping meets a scalar. */
int bld_deploy_merge(json_t *base, json_t *over, const char *root, struct bld_error **err);
/* Removes from target the members doc tagged !reset or !override. */
void bld_deploy_reset_apply(json_t *target, const struct bld_deploy_doc *doc);
/* compose-go's EnforceUnicity (unicity.c): in the sequences that hold keyed items (ports,
 * volumes, environment as "K=V", ...), a later item with the key of an earlier one takes
 * its place. */
int bld_deploy_unicity(json_t *doc, struct bld_error **err);

/* Makes the relative paths of doc absolute against base (paths.c): build contexts,
 * env_file, label_file, extends.file, bind sources, configs and secrets files. */
void bld_deploy_resolve_paths(json_t *doc, const char *base);

/* ------------------------------------------------------------------ .env files */

/* Parses .env text (dotenv.c) into out (name -> string; existing members stay unless
 * redefined). Inherited keys and $VARs are looked up with lookup first, then in out.
 * BLD_E_INVALID "line N: what". */
int bld_deploy_dotenv_parse(const char *text, json_t *out, bld_deploy_lookup_fn lookup,
			    void *payload, struct bld_error **err);
/* The variables of files read in order (relative to base), variables looked up in env first
 * (envfile.c); *out is the caller's. Errors name the file. */
int bld_deploy_env_files_read(char *const *files, const char *base, const json_t *env,
			      json_t **out, struct bld_error **err);
/* One env_file of a service, variables from env (the project's environment); the signature
 * of struct bld_deploy_norm_opts's read_env_file. */
int bld_deploy_env_file_read(json_t **out, const char *path, const json_t *env,
			     struct bld_error **err);

/* ------------------------------------------------------------------ loading (project.c) */

/* The state of one project load. */
struct bld_deploy_load {
	const struct bld_deploy_options *opts;
	json_t *env;       /* variables for interpolation: the environment, then .env files */
	char *workdir;     /* absolute: where relative -f paths start */
	char **files;      /* the compose files, absolute ("-" for stdin) */
	char *project_dir; /* absolute */
	char *name;        /* the project name, once known */
	json_t *model;     /* the files merged so far */
	struct bld_deploy_srcmap map;
	char *stdin_data;  /* "-" read once */
	size_t stdin_len;
};

/* Finds the environment, the files and the project directory for o. */
int bld_deploy_load_init(struct bld_deploy_load *l, const struct bld_deploy_options *o,
			 struct bld_error **err);
void bld_deploy_load_dispose(struct bld_deploy_load *l);
/* path made absolute against base and cleaned ("-" is kept); caller frees. */
char *bld_deploy_abs_path(const char *base, const char *path);

/* A compose file's bytes ("-": standard input, read once); *data is the caller's. */
int bld_deploy_file_read(struct bld_deploy_load *l, const char *path, char **data, size_t *len,
			 struct bld_error **err);
/* The documents of file (docs.c), each checked to be a mapping and interpolated with env
 * (unless --no-interpolate); lines recorded in map. */
int bld_deploy_file_docs(struct bld_deploy_load *l, const char *file, const json_t *env,
			 struct bld_deploy_srcmap *map, struct bld_deploy_doc **docs, size_t *n,
			 struct bld_error **err);
/* Applies `extends` to the services of cfg, a document of file (extends.c); relative
 * extends.file paths start at workdir; doc has the document's !reset/!override paths. */
int bld_deploy_extends_apply(struct bld_deploy_load *l, const char *file, const char *workdir,
			     const json_t *env, json_t *cfg, const struct bld_deploy_doc *doc,
			     struct bld_error **err);
/* The model of files (model.c): each document interpolated with env, its includes
 * imported, extends applied, merged over the ones before; paths absolute against workdir.
 * included: the files that include this one (a cycle is refused). *out is the caller's. */
int bld_deploy_model_load(struct bld_deploy_load *l, char *const *files, const char *workdir,
			  const json_t *env, char *const *included, json_t **out,
			  struct bld_error **err);

/* Removes the services no active profile enables (profiles.c); with selected services,
 * also the ones they do not depend on. BLD_E_NOTFOUND "no such service: X". */
int bld_deploy_profiles_apply(json_t *model, char *const *profiles, char *const *selected,
			      struct bld_error **err);

/* The project's model before validation and normalisation (load.c): files found, read,
 * interpolated, merged, profiles applied, "name" set. l is the caller's to dispose (also on
 * failure); l->model, l->name, l->env and l->project_dir are filled. */
int bld_deploy_project_model(struct bld_deploy_load *l, const struct bld_deploy_options *o,
			      struct bld_error **err);
/* Validation and normalisation of l->model (check.c), then sequences made unique again on
 * the long forms. */
int bld_deploy_project_check(struct bld_deploy_load *l, struct bld_error **err);

/* ------------------------------------------------------------------ names (name.c) */

/* docker compose's NormalizeProjectName: lower case, [a-z0-9_-] only, no leading _ or -. */
char *bld_deploy_name_normalize(const char *name);
/* BLD_E_INVALID with compose's words unless name is already normalised and not empty. */
int bld_deploy_name_check(const char *name, struct bld_error **err);

/* ------------------------------------------------------------------ validation and
 * normalisation (schema.c, validate.c, validate_model.c, normalize.c, norm_*.c, units.c, emit.c) */

/* The Compose Specification's schema (embedded), a new reference. */
int bld_deploy_schema_get(json_t **out, struct bld_error **err);
/* Validates doc against the schema; BLD_E_INVALID with compose-go's words ("services.web
 * additional properties 'foo' not allowed") and *where (if not NULL) the location as a list of
 * keys, the caller's reference. */
int bld_deploy_schema_check(const json_t *doc, json_t **where, struct bld_error **err);
int bld_deploy_schema_check_with(const json_t *schema, const json_t *doc, json_t **where,
				 struct bld_error **err);
/* "services.web.ports.0" from a location; caller frees. */
char *bld_deploy_path_text(const json_t *path);

/* Validates a merged, interpolated document before normalisation: the schema, durations and
 * byte sizes. BLD_E_INVALID in compose-go's words, *where (if not NULL) the offending node's
 * location as a list of keys, the caller's reference. */
int bld_deploy_validate_document(const json_t *doc, json_t **where, struct bld_error **err);
/* compose-go's consistency checks and depends_on cycles on a normalised model; as above. */
int bld_deploy_validate_model(const json_t *model, json_t **where, struct bld_error **err);
/* Called with each attribute bld ignores on one machine: its location and the warning. */
typedef void (*bld_deploy_warn_fn)(const json_t *where, const char *msg, void *payload);
void bld_deploy_swarm_warnings(const json_t *doc, bld_deploy_warn_fn warn, void *payload);

/* The validation and normalisation steps of a load (check.c): l->model becomes the model;
 * errors name the file and line from l->map. */
int bld_deploy_load_check(struct bld_deploy_load *l, struct bld_error **err);
/* Warns, in compose v2's words, that the top-level version l->model has is obsolete. */
void bld_deploy_version_warning(const struct bld_deploy_load *l);

/* Go durations (str2duration's units); ns may be NULL to only check. */
int bld_deploy_duration_parse(const char *s, int64_t *ns);
/* As Go's time.Duration.String(); caller frees. */
char *bld_deploy_duration_format(int64_t ns);
/* go-units RAMInBytes: "512m", "1g", plain numbers. */
int bld_deploy_bytes_parse(const char *s, int64_t *out);
/* Go's path.Clean of p, which it takes; returns a new string. */
char *bld_deploy_path_clean(char *p);
/* s split at every sep, empty fields kept; free with bld_strv_free. */
char **bld_deploy_split(const char *s, char sep);

/* What normalisation needs to know of the project. */
struct bld_deploy_norm_opts {
	const char *name;    /* the project name */
	const char *workdir; /* absolute project directory: relative paths resolve against it */
	const json_t *env;   /* the interpolation environment: name -> string (may be NULL) */
	/* Reads a .env-format file into a map name -> string; NULL leaves env_file as written. */
	int (*read_env_file)(json_t **out, const char *path, const json_t *env,
			     struct bld_error **err);
	/* --no-interpolate (compose's ToModel): values that may hold ${...} stay as written
	 * (durations, sizes, short syntaxes that do not parse), no Go types' order or omitempty:
	 * maps sorted throughout */
	bool raw;
};

/* Brings *doc (whose reference it takes over and replaces) into the model's long form. */
int bld_deploy_normalize(json_t **doc, const struct bld_deploy_norm_opts *o,
			 struct bld_error **err);
/* Maps sorted and compose-go's structs in member order, as the output and hash need; takes
 * doc's reference and returns the ordered document. */
json_t *bld_deploy_model_order(json_t *doc);

/* norm_service.c, norm_links.c */
int bld_deploy_norm_service(json_t *svc, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err);
int bld_deploy_norm_env_files(json_t *svc, const struct bld_deploy_norm_opts *o,
			      struct bld_error **err);
int bld_deploy_norm_ports(json_t **v, const struct bld_deploy_norm_opts *o,
			  struct bld_error **err);
int bld_deploy_norm_volumes(json_t **v, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err);
int bld_deploy_norm_devices(json_t **v, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err);
int bld_deploy_norm_networks(json_t **v, const struct bld_deploy_norm_opts *o,
			     struct bld_error **err);
int bld_deploy_norm_depends_on(json_t **v, const struct bld_deploy_norm_opts *o,
			       struct bld_error **err);
int bld_deploy_norm_extra_hosts(json_t **v, const struct bld_deploy_norm_opts *o,
				struct bld_error **err);
void bld_deploy_resolve_args(json_t *map, const json_t *env, bool keep_unset);
char *bld_deploy_norm_abs(const struct bld_deploy_norm_opts *o, const char *p);

/* norm_values.c */
char *bld_deploy_scalar_text(const json_t *v);
json_t *bld_deploy_str_or_list(json_t *v);
json_t *bld_deploy_to_map(const json_t *v, char sep);
json_t *bld_deploy_to_labels(const json_t *v);
int bld_deploy_shell_split(json_t **out, const char *line, struct bld_error **err);
int bld_deploy_port_parse(json_t *out, const char *spec, struct bld_error **err);
int bld_deploy_volume_parse(json_t **out, const char *spec, struct bld_error **err);
int bld_deploy_device_parse(json_t **out, const char *spec, struct bld_error **err);

/* norm_order.c: compose-go's struct member orders (see there for the prefixes). */
extern const char *const bld_deploy_order_service[], *const bld_deploy_order_build[],
	*const bld_deploy_order_healthcheck[], *const bld_deploy_order_port[],
	*const bld_deploy_order_volume[], *const bld_deploy_order_bind[],
	*const bld_deploy_order_file_ref[], *const bld_deploy_order_depends[],
	*const bld_deploy_order_svc_network[], *const bld_deploy_order_deploy[],
	*const bld_deploy_order_resources[], *const bld_deploy_order_resource[],
	*const bld_deploy_order_restart_policy[], *const bld_deploy_order_logging[],
	*const bld_deploy_order_network[], *const bld_deploy_order_ipam[],
	*const bld_deploy_order_volume_top[], *const bld_deploy_order_file_object[],
	*const bld_deploy_order_ulimit[], *const bld_deploy_order_device[];
/* obj (its reference taken) rebuilt in the order of keys, Go's omitempty applied. */
json_t *bld_deploy_order(json_t *obj, const char *const *keys);
void bld_deploy_order_member(json_t *obj, const char *key, const char *const *keys);
void bld_deploy_order_list(json_t *arr, const char *const *keys);
void bld_deploy_order_map_values_of(json_t *map, const char *const *keys);
json_t *bld_deploy_sorted_strings(json_t *arr);
json_t *bld_deploy_sort_maps(json_t *v);
/* obj (its reference taken) with its own keys sorted; members untouched. */
json_t *bld_deploy_sort_top(json_t *obj);

/* ------------------------------------------------------------- the runtime's labels */
#define BLD_DEPLOY_L_PROJECT "com.docker.compose.project"
#define BLD_DEPLOY_L_SERVICE "com.docker.compose.service"
#define BLD_DEPLOY_L_NUMBER "com.docker.compose.container-number"
#define BLD_DEPLOY_L_ONEOFF "com.docker.compose.oneoff"
#define BLD_DEPLOY_L_HASH "com.docker.compose.config-hash"
#define BLD_DEPLOY_L_WORKDIR "com.docker.compose.project.working_dir"
#define BLD_DEPLOY_L_FILES "com.docker.compose.project.config_files"
#define BLD_DEPLOY_L_DEPENDS "com.docker.compose.depends_on"
#define BLD_DEPLOY_L_IMAGE "com.docker.compose.image"
#define BLD_DEPLOY_L_VERSION "com.docker.compose.version"
#define BLD_DEPLOY_L_VOLUME "com.docker.compose.volume"
#define BLD_DEPLOY_L_NETWORK "com.docker.compose.network"

/* state.c: the project label of a container */
const char *bld_deploy_project_label(const struct bld_deploy_ctr *c);

/* service.c: the container config of replica `number` of service `svc` (its image already
 * in the store as image_ref, with digest image_id), labels included. */
struct bld_deploy_replica {
	const struct bld_deploy_target *t;
	const char *svc;
	const struct json_t *service;
	int number;
	const char *name;      /* the container's name */
	const char *image_ref; /* what to load */
	const char *image_id;  /* "sha256:..." */
	const char *hash;
};
int bld_deploy_replica_config(const struct bld_deploy_replica *r,
			      struct bld_runner_container_config *c, struct bld_error **err);
/* files.c: the service's file-based configs and secrets as HostConfig.Mounts in hc;
 * external ones refused. */
int bld_deploy_files_mounts(const struct bld_deploy_target *t, const struct json_t *service,
			    struct json_t *hc, struct bld_error **err);
/* files.c: the ones from environment or content written into the created container id. */
int bld_deploy_files_inject(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			    const struct json_t *service, const char *id, struct bld_error **err);
/* service.c: how deep svc sits among services (the project's "services"): with deps, 0
 * without a dependency, else one more than its deepest dependency (the start order);
 * without, the same counted through its dependants (the stop order). Services of one level
 * neither depend on each other: they start, or stop, together. */
int bld_deploy_level(const json_t *services, const char *svc, bool deps);
/* The image a service runs: its image, else "<project>-<service>" (built). */
char *bld_deploy_image_name(const char *project, const char *svc, const struct json_t *service);
/* A Go duration of the project ("1m30s") in nanoseconds; 0 when absent or bad. */
int64_t bld_deploy_duration(const struct json_t *v);

/* images.c: a name as docker reads it ("busybox" -> docker.io/library/busybox:latest) */
char *bld_deploy_image_full_name(const char *name);
/* images.c: every service of svcs has its image in the store (built, or pulled); *ids
 * gets "service" -> {"ref": name to load, "id": image ID}. */
int bld_deploy_images(struct bld_ctx *ctx, const struct bld_deploy_target *t, char *const *svcs,
		      const struct bld_deploy_up_opts *o, struct json_t **ids,
		      struct bld_error **err);

/* resources.c: the project's volumes (and networks once the store has them) */
int bld_deploy_volumes_ensure(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			      struct bld_error **err);
int bld_deploy_volumes_remove(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			      struct bld_error **err);

/* resources.c: the project's networks (its networks: and "default" when used), their
 * store names, made when missing; those labelled with the project removed */
json_t *bld_deploy_networks(const struct bld_deploy_target *t);
char *bld_deploy_network_name(const struct bld_deploy_target *t, const char *key);
int bld_deploy_networks_ensure(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			       struct bld_error **err);
int bld_deploy_networks_remove(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			       struct bld_error **err);

/* wait.c: the condition ("service_started", "service_healthy",
 * "service_completed_successfully", or "running_or_healthy" for --wait) of the containers
 * of svc in the store: 1 met, 0 not yet, -1 never (err says why, in compose's words). */
int bld_deploy_condition(struct bld_ctx *ctx, const char *project, const char *svc,
			 const char *cond, struct bld_error **err);

/* ------------------------------------------------------------------ kube play (kube_play*.c) */

/* One pod kube play runs: a Pod, or one replica of a Deployment, StatefulSet or Job. */
struct bld_deploy_kube_pod {
	char *name;                 /* the Pod's name, or "<owner>-<i>" (i from 0) */
	const char *ns;             /* its namespace (borrowed from the file) */
	const char *kind, *owner;   /* what made it ("Deployment", "web") */
	const json_t *meta, *spec;  /* the pod (template)'s metadata and spec */
	const json_t *claims;       /* a StatefulSet's volumeClaimTemplates, or NULL */
	char *at;                   /* spec's JSON Pointer in the file's source map */
	int backoff;                /* a Job's backoffLimit; -1 for any other pod */
	struct bld_runner_port *ports; /* published on its infra container */
	size_t n_ports;
	char **aliases;             /* the names of the Services that select it */
};

/* A Kubernetes YAML file as kube play and kube down read it. */
struct bld_deploy_kube_file {
	char *name;                 /* as errors name it */
	struct bld_deploy_srcmap map;
	struct bld_deploy_doc *docs;
	size_t n_docs;
	struct bld_deploy_kube_pod *pods;
	size_t n_pods;
	json_t *data;   /* "ConfigMap/ns/name" and "Secret/ns/name" -> {key: value} */
	json_t *claims; /* the PersistentVolumeClaims' names -> namespace */
	json_t *namespaces; /* every namespace the pods use -> true */
	bool quiet;         /* skipped kinds not reported (kube down) */
};

/* Reads and checks path ("-": stdin): the supported objects' fields kube play uses, with
 * "FILE:LINE: what" (BLD_E_INVALID) for a wrong one; the others reported on stderr, one
 * line each, and skipped. Pods expanded, Services' names and ports given to them
 * (publish: --publish HOST:CONTAINER). quiet: nothing on stderr. */
int bld_deploy_kube_file_load(struct bld_deploy_kube_file *f, const char *path,
			      char *const *publish, bool quiet, struct bld_error **err);
void bld_deploy_kube_file_dispose(struct bld_deploy_kube_file *f);
/* BLD_E_INVALID "FILE:LINE: what" for the node at JSON Pointer at. */
int bld_deploy_kube_fail(const struct bld_deploy_kube_file *f, const char *at,
			 struct bld_error **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* What kube play labels its containers with. */
#define BLD_KUBE_LABEL_POD "io.bld.kube.pod"     /* "<ns>/<pod>" */
#define BLD_KUBE_LABEL_OWNER "io.bld.kube.owner" /* "<ns>/<Kind>/<name>" */
#define BLD_KUBE_LABEL_ROLE "io.bld.kube.role"   /* infra, init or main */

/* The containers of pod p: c's fields from its spec (kube_play_ctr.c). ctr is the
 * container's object in p->spec; dir is the pod's own directory in the store (volumes of
 * ConfigMaps, Secrets and emptyDirs are made there); net the network mode. */
int bld_deploy_kube_ctr_config(const struct bld_deploy_kube_file *f,
			       const struct bld_deploy_kube_pod *p, const json_t *ctr,
			       const char *at, const char *dir, const char *net,
			       struct bld_runner_container_config *c, struct bld_error **err);
/* The pod's volumes of ConfigMaps, Secrets and emptyDirs written under dir. */
int bld_deploy_kube_pod_files(const struct bld_deploy_kube_file *f,
			      const struct bld_deploy_kube_pod *p, const char *dir,
			      struct bld_error **err);

/* images.c: name in the store, pulled when missing (or always). */
int bld_deploy_image_ensure(struct bld_ctx *ctx, const char *name, bool always,
			    struct bld_error **err);

#endif
