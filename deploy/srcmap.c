/*
 * deploy/srcmap.c — the source map: the file and line of every node of loaded compose
 * documents, by JSON Pointer path, so that errors found after parsing (validation, cycles,
 * interpolation) still name `FILE:LINE`.
 *
 * Records are kept in a jansson object (path -> [file index, line]); a path recorded twice
 * keeps the later record, as a later file overrides an earlier one. It does not follow
 * values that move (extends copies are re-recorded by their mover).
 */
#include "deploy/deploy_int.h"

void bld_deploy_srcmap_init(struct bld_deploy_srcmap *m)
{
	m->lines = json_object();
	m->files = NULL;
}

void bld_deploy_srcmap_dispose(struct bld_deploy_srcmap *m)
{
	json_decref(m->lines);
	bld_strv_free(m->files);
	m->lines = NULL;
	m->files = NULL;
}

int bld_deploy_srcmap_file(struct bld_deploy_srcmap *m, const char *file)
{
	size_t n = bld_strv_len(m->files);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m->files[i], file) == 0)
			return (int)i;
	bld_strv_push(&m->files, file);
	return (int)n;
}

void bld_deploy_srcmap_set(struct bld_deploy_srcmap *m, const char *path, int fi, int line)
{
	json_object_set_new(m->lines, path, json_pack("[ii]", fi, line));
}

bool bld_deploy_srcmap_find(const struct bld_deploy_srcmap *m, const char *path,
			    const char **file, int *line)
{
	cleanup_free char *p = xstrdup(path);
	for (;;) {
		json_t *rec = json_object_get(m->lines, p);
		if (rec) {
			*file = m->files[json_integer_value(json_array_get(rec, 0))];
			*line = (int)json_integer_value(json_array_get(rec, 1));
			return true;
		}
		char *slash = strrchr(p, '/');
		if (!slash || !*p)
			return false;
		*slash = '\0';
	}
}

void bld_deploy_srcmap_add_missing(struct bld_deploy_srcmap *dst,
				   const struct bld_deploy_srcmap *src)
{
	const char *path;
	json_t *rec;
	json_object_foreach(src->lines, path, rec) {
		if (json_object_get(dst->lines, path))
			continue;
		const char *file = src->files[json_integer_value(json_array_get(rec, 0))];
		bld_deploy_srcmap_set(dst, path, bld_deploy_srcmap_file(dst, file),
				      (int)json_integer_value(json_array_get(rec, 1)));
	}
}

void bld_deploy_path_push(struct bld_buf *b, const char *key)
{
	bld_buf_addc(b, '/');
	for (const char *p = key; *p; p++) {
		if (*p == '~')
			bld_buf_adds(b, "~0");
		else if (*p == '/')
			bld_buf_adds(b, "~1");
		else
			bld_buf_addc(b, *p);
	}
}

void bld_deploy_path_push_index(struct bld_buf *b, size_t i)
{
	bld_buf_printf(b, "/%zu", i);
}
