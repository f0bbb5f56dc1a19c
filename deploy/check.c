/*
 * deploy/check.c — the validation and normalisation steps of a project load, between the
 * merge of the files (load.c) and the model its callers get: the document validated
 * (validate.c), swarm-only attributes warned about, the long form made (normalize.c), the
 * model's consistency checked (validate_model.c). A failure names the file and line of the
 * offending node from the load's source map: `FILE:LINE: services.web additional properties
 * 'foo' not allowed`.
 */
#include "deploy/deploy_int.h"

#include <string.h>

/* The source map's JSON Pointer for a location given as a list of keys. */
static char *pointer_of(const json_t *where)
{
	struct bld_buf b = BLD_BUF_INIT;
	size_t i;
	json_t *k;
	json_array_foreach(where, i, k)
		bld_deploy_path_push(&b, json_string_value(k));
	return bld_buf_detach(&b);
}

/* Prefixes *err's message with the file and line of where (when the map knows them). */
static int located(const struct bld_deploy_load *l, const json_t *where, struct bld_error **err)
{
	cleanup_free char *ptr = pointer_of(where);
	const char *file = NULL;
	int line = 0;
	enum bld_error_code code = (*err)->code;
	if (!bld_deploy_srcmap_find(&l->map, ptr, &file, &line))
		return -code;
	cleanup_free char *msg = xstrdup((*err)->msg);
	bld_error_free(steal_pointer(err));
	return bld_error_set(err, code, "%s:%d: %s", file, line, msg);
}

static void warn_located(const json_t *where, const char *msg, void *payload)
{
	const struct bld_deploy_load *l = payload;
	cleanup_free char *ptr = pointer_of(where);
	const char *file = NULL;
	int line = 0;
	if (bld_deploy_srcmap_find(&l->map, ptr, &file, &line))
		bld_warn("%s:%d: %s", file, line, msg);
	else
		bld_warn("%s", msg);
}

/* compose v2's words for the obsolete top-level version, naming the file that sets it. */
void bld_deploy_version_warning(const struct bld_deploy_load *l)
{
	const char *file = NULL;
	int line = 0;
	if (!bld_deploy_srcmap_find(&l->map, "/version", &file, &line))
		file = "compose file";
	bld_warn("%s: the attribute `version` is obsolete, it will be ignored, please remove it "
		 "to avoid potential confusion", file);
}

int bld_deploy_load_check(struct bld_deploy_load *l, struct bld_error **err)
{
	cleanup_json json_t *where = NULL;
	bool raw = l->opts->no_interpolate;
	if ((raw ? bld_deploy_schema_check(l->model, &where, err)
		 : bld_deploy_validate_document(l->model, &where, err)) < 0)
		return located(l, where, err);
	bld_deploy_swarm_warnings(l->model, warn_located, l);
	struct bld_deploy_norm_opts o = {
		.name = l->name,
		.workdir = l->project_dir,
		.env = l->env,
		.read_env_file = l->opts->keep_env_file ? NULL : bld_deploy_env_file_read,
		.raw = raw,
	};
	json_object_set_new(l->model, "name", json_string(l->name));
	if (bld_deploy_normalize(&l->model, &o, err) < 0)
		return -(*err)->code;
	if (!raw && bld_deploy_validate_model(l->model, &where, err) < 0)
		return located(l, where, err);
	return 0;
}
