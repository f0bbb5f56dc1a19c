/*
 * tests/deploy/test_fuzz_regressions.c — every file in tests/fixtures/fuzz-regressions/compose/
 * and kube/ (inputs that once broke tests/fuzz/fuzz_compose.c or fuzz_kube.c) goes through
 * the target's run again (tests/fuzz/deploy_input.h), in a private directory: a crash fails
 * the test here, a read out of bounds under `make asan`.
 */
#include <criterion/criterion.h>
#include <dirent.h>

#include "tests/fuzz/deploy_input.h"

#define FIX "tests/fixtures/fuzz-regressions/"

/* Runs fn over every file of FIX/sub (a missing directory: none yet). */
static void replay(const char *sub, void (*fn)(const char *dir, const char *data, size_t len))
{
	char dir[] = "/tmp/bld-fuzz-regress.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	cleanup_free char *fix = xasprintf(FIX "%s", sub);
	struct dirent **ents = NULL;
	int n = scandir(fix, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		cleanup_free char *path = xasprintf("%s/%s", fix, ents[i]->d_name);
		cleanup_free char *data = NULL;
		size_t len = 0;
		if (ents[i]->d_name[0] != '.' && bld_fs_read_file(path, 1 << 20, &data, &len, NULL) == 0)
			fn(dir, data, len);
		free(ents[i]);
	}
	free(ents);
	bld_fs_rm_rf(dir, NULL);
}

/* Byte 0 picks .env text or a compose file, as fuzz_compose.c does. */
static void compose_one(const char *dir, const char *data, size_t len)
{
	if (len < 1)
		return;
	cleanup_free char *s = xstrndup(data + 1, len - 1);
	if (data[0] % 2)
		deploy_dotenv(s);
	else
		deploy_compose(dir, data + 1, len - 1);
}

Test(deploy_fuzz, compose_regressions_load_cleanly)
{
	replay("compose", compose_one);
}

Test(deploy_fuzz, kube_regressions_load_cleanly)
{
	replay("kube", deploy_kube);
}
