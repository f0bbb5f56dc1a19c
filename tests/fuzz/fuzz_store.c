/*
 * tests/fuzz/fuzz_store.c — libFuzzer target over the tar extractors of cache/: layer
 * unpacking (bld_cache_layer_extract_fd) and archive extraction for the builder
 * (bld_cache_archive_extract_fd). Each input is extracted into a fresh directory t inside a
 * sandbox (tests/fuzz/sandbox.h: a private tmpfs, everything else read-only) that also holds
 * a sentinel tree and a symlink to it; t starts with symlinks that point out of it
 * (../sentinel, the sentinel's absolute path, .., /). After the extraction t is removed and
 * the sandbox must be exactly as before (names, modes, owners, link counts, contents,
 * xattrs): anything else is a write, a hardlink or a deletion outside the target. A write
 * that reached the read-only rest of the system fails with EROFS, which is a finding too.
 *
 * Input: byte 0 selects. Bit 0: the extractor (0 layer, 1 archive). Bit 1: gzip the tar
 * first. Bit 2: the rest is used as a tar (0), or (1) is an entry list that is written as
 * a PAX tar: one entry a line, "<type><path>[\t<arg>]" with type f file (arg: content),
 * d directory, l symlink (arg: target), h hardlink (arg: target), c / b device 1:3,
 * p fifo; a line "X<name>\t<value>" adds an xattr and "M<octal>" sets the mode of the
 * next entry. Seeds: tests/fuzz/store_seeds.py. Must run as root.
 */
#include "tests/fuzz/store_input.h"

static char *sandbox;      /* /tmp/sb */
static char *sandbox_snap; /* the sandbox as it must always look */
static int sandbox_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sandbox = sb_setup(*argc, *argv);
	sandbox_fd = open(sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sandbox_fd < 0 || store_sentinel(sandbox_fd) < 0)
		sb_die("sentinel");
	sandbox_snap = store_snapshot(sandbox);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *broke = store_run(sandbox, sandbox_fd, sandbox_snap, data, size);
	if (broke) {
		fprintf(stderr, "fuzz-store: %s\n", broke);
		abort();
	}
	return 0;
}
