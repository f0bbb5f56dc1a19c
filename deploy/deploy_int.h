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
/* Copies every record of src into dst (src's records win), with paths under from_prefix
 * moved under to_prefix (both "" to copy all as they are). */
void bld_deploy_srcmap_merge(struct bld_deploy_srcmap *dst, const struct bld_deploy_srcmap *src,
			     const char *from_prefix, const char *to_prefix);

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
void bld_deploy_docs_free(struct bld_deploy_doc *docs, size_t n);

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

/* The documents of file (docs.c), each checked to be a mapping and interpolated with env
 * (unless --no-interpolate); lines recorded in l->map. */
int bld_deploy_file_docs(struct bld_deploy_load *l, const char *file, const json_t *env,
			 struct bld_deploy_doc **docs, size_t *n, struct bld_error **err);
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

/* ------------------------------------------------------------------ names (name.c) */

/* docker compose's NormalizeProjectName: lower case, [a-z0-9_-] only, no leading _ or -. */
char *bld_deploy_name_normalize(const char *name);
/* BLD_E_INVALID with compose's words unless name is already normalised and not empty. */
int bld_deploy_name_check(const char *name, struct bld_error **err);

#endif
