/*
 * builder/ignore.c — plugs the parser's .dockerignore matcher (parser/dockerignore.c: docker's
 * patternmatcher rules) into the context walk: which paths are excluded, and which excluded
 * directories can be skipped without entering them.
 *
 * The rules are the parser's; this file only adapts them to struct bld_builder_ctx_ignore.
 */
#include "builder/builder_int.h"

static int excluded(void *m, const char *path, bool is_dir, bool *out, struct bld_error **err)
{
	return bld_parser_dockerignore_match(m, path, out, err);
}

static bool skip_dir(void *m, const char *path)
{
	return bld_parser_dockerignore_can_skip_dir(m, path);
}

static void free_matcher(void *m) { bld_parser_dockerignore_free(m); }

int bld_builder_ctx_ignore_setup(struct bld_builder_ctx_ignore *ign, const char *text,
				 struct bld_error **err)
{
	memset(ign, 0, sizeof(*ign));
	struct bld_parser_dockerignore *m = NULL;
	if (bld_parser_dockerignore_parse(&m, text, strlen(text), err) < 0)
		return -1;
	ign->matcher = m;
	ign->excluded = excluded;
	ign->skip_dir = skip_dir;
	ign->free = free_matcher;
	return 0;
}
