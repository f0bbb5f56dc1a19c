/*
 * deploy/deploy_int.h — what the files of deploy/ share; no other module includes it.
 */
#ifndef BLD_DEPLOY_INT_H
#define BLD_DEPLOY_INT_H

#include "common/common.h"
#include "deploy/deploy.h"

#include <jansson.h>
#include <stdint.h>

/* === validation and normalisation (schema.c, validate.c, normalize.c, norm_*.c, units.c) === */

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
	*const bld_deploy_order_ulimit[];
/* obj (its reference taken) rebuilt in the order of keys, Go's omitempty applied. */
json_t *bld_deploy_order(json_t *obj, const char *const *keys);
void bld_deploy_order_member(json_t *obj, const char *key, const char *const *keys);
void bld_deploy_order_list(json_t *arr, const char *const *keys);
void bld_deploy_order_map_values_of(json_t *map, const char *const *keys);
json_t *bld_deploy_sorted_strings(json_t *arr);
json_t *bld_deploy_sort_maps(json_t *v);
/* obj (its reference taken) with its own keys sorted; members untouched. */
json_t *bld_deploy_sort_top(json_t *obj);

/* === output (emit.c) === */

/* The model as `docker compose config` prints it; interpolated doubles "$". */
int bld_deploy_config_yaml(char **out, const json_t *model, bool interpolated,
			   struct bld_error **err);
char *bld_deploy_config_json(const json_t *model, bool interpolated);

#endif
