/*
 * deploy/docs.c — one compose file read into its documents, each a mapping, interpolated
 * with the environment of the project (or of the included project) it belongs to: the
 * first step compose-go takes with every file, whether the project names it, includes it
 * or extends a service from it. "-" is standard input, read once.
 */
#include <errno.h>

#include "deploy/deploy_int.h"

int bld_deploy_file_read(struct bld_deploy_load *l, const char *path, char **data, size_t *len,
			 struct bld_error **err)
{
	if (strcmp(path, "-") != 0 && access(path, F_OK) < 0 && errno == ENOENT)
		return bld_error_refuse(err, BLD_E_NOTFOUND, "open %s: no such file or directory",
					path);
	if (strcmp(path, "-") != 0)
		return bld_fs_read_file(path, BLD_DEPLOY_MAX_FILE, data, len, err);
	if (!l->stdin_data && bld_fs_read_fd(0, BLD_DEPLOY_MAX_FILE, &l->stdin_data, &l->stdin_len,
					     err) < 0)
		return -(*err)->code;
	*data = xstrndup(l->stdin_data, l->stdin_len);
	*len = l->stdin_len;
	return 0;
}

int bld_deploy_file_docs(struct bld_deploy_load *l, const char *file, const json_t *env,
			 struct bld_deploy_srcmap *map, struct bld_deploy_doc **docs, size_t *n,
			 struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (bld_deploy_file_read(l, file, &data, &len, err) < 0)
		return -(*err)->code;
	if (bld_deploy_yaml_parse(data, len, file, map, docs, n, err) < 0)
		return -BLD_E_INVALID;
	for (size_t i = 0; i < *n; i++) {
		const char *f = file;
		int line = 1;
		if (!json_is_object((*docs)[i].root)) {
			bld_deploy_srcmap_find(map, "", &f, &line);
			bld_error_set(err, BLD_E_INVALID, "%s:%d: top-level object must be a mapping",
				      file, line);
		} else if (!l->opts->no_interpolate) {
			bld_deploy_interpolate((*docs)[i].root, env, map, err);
		}
		if (*err) {
			bld_deploy_docs_free(*docs, *n);
			*docs = NULL;
			*n = 0;
			return -(*err)->code;
		}
	}
	return 0;
}
