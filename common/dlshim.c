/*
 * common/dlshim.c — the one loader behind the generated lazy-loading shims
 * (registry/curl_dl.c, cache/archive_dl.c, cache/isal_dl.c, builder/git_dl.c,
 * common/crypto_dl.c): dlopen()s a library by soname on first use and resolves one symbol,
 * caching both. It does not know which libraries exist or which functions they have;
 * tools/gen-dlshim.py writes those files.
 */
#include <dlfcn.h>

#include "common/common.h"

static void *load_lib(void **handle, const char *soname)
{
	void *h = __atomic_load_n(handle, __ATOMIC_ACQUIRE);
	if (h)
		return h;
	/* Two threads may race here: dlopen only counts a second reference, both see one handle. */
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "bld: cannot load %s: %s\n", soname, dlerror());
		abort();
	}
	__atomic_store_n(handle, h, __ATOMIC_RELEASE);
	return h;
}

void *bld_dlshim_sym(void **handle, void **fn, const char *soname, const char *name)
{
	void *f = __atomic_load_n(fn, __ATOMIC_ACQUIRE);
	if (f)
		return f;
	void *h = load_lib(handle, soname);
	dlerror();
	f = dlsym(h, name);
	if (!f) {
		const char *why = dlerror();
		fprintf(stderr, "bld: cannot load %s: %s\n", soname, why ? why : name);
		abort();
	}
	__atomic_store_n(fn, f, __ATOMIC_RELEASE);
	return f;
}
