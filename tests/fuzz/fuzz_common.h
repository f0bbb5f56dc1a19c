/*
 * tests/fuzz/fuzz_common.h — what the fuzz targets' inputs share: the parts of a
 * NUL-separated input, the check that an error about what a peer sent stays one printable
 * line, and a private directory for the targets that write files (removed at exit).
 */
#ifndef BLD_TEST_FUZZ_COMMON_H
#define BLD_TEST_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/* The i-th NUL-separated part of s (len bytes, NUL-terminated), or "" past the end. */
static inline const char *fuzz_part(const char *s, size_t len, int i)
{
	const char *p = s;
	for (; i > 0 && p < s + len; i--)
		p += strlen(p) + 1;
	return p < s + len ? p : "";
}

/* Frees *err after checking that its text is one line without control characters (bld
 * prints an error as one line: a peer's text must not bring breaks or escapes into it). */
static inline void fuzz_drop_remote(struct bld_error **err)
{
	for (const char *p = *err ? (*err)->msg : ""; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "control character 0x%02x in an error: %s\n", *p, (*err)->msg);
			abort();
		}
	bld_error_free(*err);
	*err = NULL;
}

static char fuzz_dir[] = "/tmp/bld-fuzz.XXXXXX";

static inline void fuzz_dir_remove(void)
{
	bld_fs_rm_rf(fuzz_dir, NULL);
}

/* A private directory under /tmp for this process, removed at exit. */
static inline const char *fuzz_tmpdir(void)
{
	if (fuzz_dir[sizeof(fuzz_dir) - 2] == 'X') {
		if (!mkdtemp(fuzz_dir))
			abort();
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir;
}

#endif
