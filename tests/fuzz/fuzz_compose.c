/*
 * tests/fuzz/fuzz_compose.c — libFuzzer target over compose files and .env files: byte 0
 * picks .env text alone (the dotenv parser) or a compose.yaml (then optionally NUL and the
 * project's .env) loaded, interpolated, merged, validated and normalised as `bld compose
 * config` does, and printed back (tests/fuzz/deploy_input.h). Files are written to a private
 * directory under /tmp, removed at exit.
 */
#include "tests/fuzz/deploy_input.h"

static const char *dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	dir = fuzz_tmpdir();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	if (size < 1 || size > (1 << 18))
		return 0;
	char *s = xmalloc(size);
	memcpy(s, bytes + 1, size - 1);
	s[size - 1] = '\0';
	if (bytes[0] % 2)
		deploy_dotenv(s);
	else
		deploy_compose(dir, s, size - 1);
	free(s);
	return 0;
}
