/*
 * tests/fuzz/fuzz_registry.c — libFuzzer target over what the registry client parses from
 * registries and from files it did not write: image manifests and indexes (with platform
 * selection and the v2s2 to OCI rewrite), cosign payloads and signature manifests,
 * signatures checked against a key, trust policies (parse, scope, check, identity rules),
 * WWW-Authenticate challenges, image references, config.json "auth" values and public keys.
 * Byte 0 picks the parser, the rest is its input; multi-part inputs are split at NUL bytes.
 * Besides crashes, leaks and sanitizer reports it checks round trips: a reference prints
 * back to a string that parses to the same reference, a signature manifest rebuilt from its
 * parsed form parses to the same signatures, a parsed manifest only holds valid digests.
 * Pure functions over bytes: nothing is read from or written to disk (policies naming
 * keyPath files are parsed but not checked).
 */
#include "tests/fuzz/registry_input.h"

static struct bld_registry_trust_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct bld_error *err = NULL;
	if (bld_registry_trust_key_generate(&key, &err) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	if (size <= (1 << 20))
		registry_run(key, bytes, size);
	return 0;
}
