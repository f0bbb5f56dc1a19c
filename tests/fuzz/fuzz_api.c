/*
 * tests/fuzz/fuzz_api.c — libFuzzer target over Engine API requests as the server reads them
 * before a handler acts (tests/fuzz/api_input.h): version prefix, route and captures,
 * filters, the JSON body and POST /containers/create's configuration. The store is an empty
 * private directory under /tmp, removed at exit.
 */
#include "tests/fuzz/api_input.h"

static struct bld_ctx ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ctx.root = (char *)fuzz_tmpdir();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	if (size <= (1 << 18))
		api_run(&ctx, bytes, size);
	return 0;
}
