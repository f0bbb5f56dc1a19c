/*
 * tests/fuzz/fuzz_kube.c — libFuzzer target over Kubernetes YAML as `bld kube play` reads it:
 * the objects checked, pods expanded, Services matched, --publish applied, then each pod's
 * ConfigMap, Secret and emptyDir files written and each container's configuration built
 * (tests/fuzz/deploy_input.h). Nothing is started; files go to a private directory under
 * /tmp, removed at exit.
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
	if (size <= (1 << 18))
		deploy_kube(dir, (const char *)bytes, size);
	return 0;
}
