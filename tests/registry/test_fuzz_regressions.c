/*
 * tests/registry/test_fuzz_regressions.c — every file in
 * tests/fixtures/fuzz-regressions/registry/ (inputs that once broke
 * tests/fuzz/fuzz_registry.c) goes through the fuzz target's run again: the parser byte 0
 * picks, with the target's round-trip checks (which abort, failing the test).
 */
#include <criterion/criterion.h>
#include <dirent.h>

#include "tests/fuzz/registry_input.h"

#define FIX_REG "tests/fixtures/fuzz-regressions/registry"

Test(registry_fuzz, regressions_parse_cleanly)
{
	struct bld_registry_trust_key *key = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_registry_trust_key_generate(&key, &err), 0);
	struct dirent **ents = NULL;
	int n = scandir(FIX_REG, &ents, NULL, alphasort);
	cr_assert_geq(n, 0, FIX_REG " is missing");
	for (int i = 0; i < n; i++) {
		cleanup_free char *path = xasprintf(FIX_REG "/%s", ents[i]->d_name);
		cleanup_free char *data = NULL;
		size_t len = 0;
		if (ents[i]->d_name[0] != '.' && bld_fs_read_file(path, 1 << 20, &data, &len, NULL) == 0)
			registry_run(key, (const uint8_t *)data, len);
		free(ents[i]);
	}
	free(ents);
	bld_registry_trust_key_free(key);
}
