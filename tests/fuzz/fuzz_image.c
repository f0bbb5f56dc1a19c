/*
 * tests/fuzz/fuzz_image.c — libFuzzer target over the image documents the store reads
 * back (manifests, indexes and configs stored as blobs: load, layer list, size, names,
 * save and OCI export with the result loaded again, GC, check) and over image archives as
 * `bld load` reads them (docker-archive manifest.json and configs, OCI index.json and
 * blobs, layer tars unpacked), and over the store's own index.json as another tool may
 * have left it (names listed, loaded, set, removed; GC and check). The input format is in tests/fuzz/image_input.h. Runs in
 * the sandbox of tests/fuzz/sandbox.h (root, a private read-only mount namespace), as
 * loading unpacks layers.
 */
#include "tests/fuzz/image_input.h"

static char *sandbox;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sandbox = sb_setup(*argc, *argv);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *broke = img_run(sandbox, data, size);
	if (broke) {
		fprintf(stderr, "fuzz-image: %s\n", broke);
		abort();
	}
	return 0;
}
