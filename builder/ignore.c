/*
 * builder/ignore.c — plugs the parser's .dockerignore matcher into the context walk
 * (struct bld_ctx_ignore): which paths are excluded, and which excluded directories can be
 * skipped without entering them.
 *
 * The matching rules themselves are the parser's (parser/dockerignore.c); this file only
 * adapts them. Until the parser's matcher is on main, a context that has a .dockerignore is
 * refused rather than built with the file silently disregarded.
 */
#include "builder/builder_int.h"

int bld_ctx_ignore_setup(struct bld_ctx_ignore *ign, const char *text, struct bld_error **err)
{
	memset(ign, 0, sizeof(*ign));
	for (const char *p = text; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return bld_error_set(err, BLD_E_UNSUPPORTED,
					     ".dockerignore patterns are not supported yet");
	return 0;
}
