/*
 * tests/fuzz/fuzz_shell.c — libFuzzer entry for the parser's shell-word expansion
 * (parser/shell.c) and .dockerignore matcher (parser/dockerignore.c). The first byte picks
 * the target and the lexer mode; the rest is the input. For .dockerignore the input is
 * "<ignore file>\0<path>\0<path>...". Nothing is checked but the absence of crashes,
 * sanitizer reports and hangs, plus a few invariants (a successful result is never NULL).
 *
 * Build (from the repository root, with clang):
 *   clang -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined \
 *     -o build-fuzz/fuzz-shell tests/fuzz/fuzz_shell.c parser/shell.c parser/dockerignore.c \
 *     common/error.c common/util.c common/fs.c
 *   build-fuzz/fuzz-shell -max_total_time=600 -max_len=4096 -timeout=10 build-fuzz/corpus-shell
 */
#include <assert.h>

#include "parser/parser.h"

static char *env[] = {"A=a", "EMPTY=", "SP=x  y", "P=/a/b/c.tar.gz", "STAR=*", "BS=\\",
		      "D=$", "Z=$0", "U=\xc3\xa9\xff", "NOEQ", "A=last", NULL};

static void fuzz_shell(unsigned sel, const char *word)
{
	struct bld_parser_shell_result r;
	struct bld_error *err = NULL;
	char escape = (sel & 0x10) ? '`' : '\\';
	if (bld_parser_shell_process(&r, word, escape, sel & 0x0F, env, &err) == 0) {
		assert(r.word && r.words && r.matched && r.unmatched);
		bld_parser_shell_result_dispose(&r);
	} else {
		assert(err && err->msg);
		bld_error_free(err);
	}
}

static void fuzz_ignore(const char *data, size_t len)
{
	const char *nul = memchr(data, '\0', len);
	size_t flen = nul ? (size_t)(nul - data) : len;
	struct bld_parser_dockerignore *m = NULL;
	struct bld_error *err = NULL;
	if (bld_parser_dockerignore_parse(&m, data, flen, &err) < 0) {
		bld_error_free(err);
		return;
	}
	for (const char *p = nul ? nul + 1 : data + len; p < data + len; p += strlen(p) + 1) {
		bool ex;
		if (bld_parser_dockerignore_match(m, p, &ex, &err) < 0) {
			bld_error_free(err);
			err = NULL;
		} else if (ex) {
			(void)bld_parser_dockerignore_can_skip_dir(m, p);
		}
	}
	bld_parser_dockerignore_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* a NUL-terminated copy: the shell API takes C strings */
	char *buf = xmalloc(size);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] & 0x80)
		fuzz_ignore(buf, size - 1);
	else
		fuzz_shell(data[0], buf);
	free(buf);
	return 0;
}
