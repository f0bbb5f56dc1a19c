/*
 * tests/parser/fixtures.h — small helpers the parser tests share: reading fixture files and
 * walking fixture directories. Paths are relative to the repository top (the test runner's
 * working directory).
 */
#ifndef BLD_TESTS_PARSER_FIXTURES_H
#define BLD_TESTS_PARSER_FIXTURES_H

#include <criterion/criterion.h>
#include <dirent.h>

#include "parser/parser.h"

#define FIX_PARSER "tests/fixtures/dockerfile-parser"
#define FIX_CORPUS "tests/fixtures/dockerfile-corpus"

static inline char *fix_read(const char *path, size_t *len)
{
	char *data = NULL;
	struct bld_error *err = NULL;
	size_t l = 0;
	if (bld_fs_read_file(path, BLD_PARSER_MAX_DOCKERFILE, &data, &l, &err) < 0) {
		cr_log_error("%s: %s", path, err->msg);
		bld_error_free(err);
		return NULL;
	}
	if (len)
		*len = l;
	return data;
}

/* Sorted names of the entries of dir (no dot files); NULL-terminated, bld_strv_free. */
static inline char **fix_list(const char *dir)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	char **v = NULL;
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.')
			bld_strv_push(&v, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return v;
}

/* Parses a buffer; the AST or NULL, with the error message copied to msg (may be NULL). */
static inline struct bld_parser_ast *fix_parse(const char *data, size_t len, char **msg)
{
	struct bld_parser_ast *ast = NULL;
	struct bld_error *err = NULL;
	if (bld_parser_parse(&ast, data, len, &err) < 0) {
		if (msg)
			*msg = xstrdup(err->msg);
		bld_error_free(err);
		return NULL;
	}
	return ast;
}

#endif
