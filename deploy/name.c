/*
 * deploy/name.c — project names as docker compose v2 makes them: lower case, only
 * [a-z0-9_-] kept, leading '_' and '-' dropped. A name given on the command line or in
 * COMPOSE_PROJECT_NAME must already be in that form; one taken from `name:` or the
 * directory is normalised silently.
 */
#include <ctype.h>

#include "deploy/deploy_int.h"

char *bld_deploy_name_normalize(const char *name)
{
	size_t n = strlen(name), k = 0;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)name[i]);
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
		if (ok && (k > 0 || (c != '_' && c != '-')))
			out[k++] = c;
	}
	out[k] = '\0';
	return out;
}

int bld_deploy_name_check(const char *name, struct bld_error **err)
{
	cleanup_free char *norm = bld_deploy_name_normalize(name);
	if (strcmp(norm, name) == 0 && *name)
		return 0;
	return bld_error_set(err, BLD_E_INVALID,
			     "invalid project name \"%s\": must consist only of lowercase "
			     "alphanumeric characters, hyphens, and underscores as well as start "
			     "with a letter or number",
			     name);
}

int bld_deploy_project_name_normalize(const char *name, char **out, struct bld_error **err)
{
	cleanup_free char *norm = bld_deploy_name_normalize(name);
	if (!*norm)
		return bld_error_set(err, BLD_E_INVALID,
				     "project name must not be empty (\"%s\" has no letter or "
				     "digit)",
				     name);
	*out = steal_pointer(&norm);
	return 0;
}
