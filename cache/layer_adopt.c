/*
 * cache/layer_adopt.c — for the builder: a RUN/COPY step's overlay upper directory, once its
 * layer blob is stored, becomes that layer's unpacked directory by a rename instead of a
 * second extraction of the blob (what overlay2 storage drivers do). The upper directory
 * already holds what bld_cache_layer_unpack would write for root: whiteouts as 0/0
 * character devices, opaque directories marked with trusted.overlay.opaque.
 *
 * It only renames within $BLD_ROOT (the step directory must be on the store's filesystem);
 * when the layer directory exists already, the upper directory is left to the caller. Like an
 * extracted layer it is recorded as unsynced before the rename (layer_verify.c).
 */
#include "cache/cache_int.h"

#include <errno.h>
#include <fcntl.h>

int bld_cache_layer_adopt(struct bld_store *s, const char *dir, const char *chain_id,
			  char **out, struct bld_error **err)
{
	if (!bld_digest_valid(chain_id))
		return bld_error_set(err, BLD_E_INVALID, "invalid layer id");
	const char *hex = bld_cache_hex(chain_id);
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	bld_cache_layer_mark(fd); /* when the rename loses, dir stays the caller's anyway */
	if (renameat(AT_FDCWD, dir, s->layers_fd, hex) < 0 && errno != EEXIST &&
	    errno != ENOTEMPTY)
		return bld_error_sys(err, errno, "move %s to layer %s", dir, hex);
	*out = bld_path_join(s->layers, hex);
	return 0;
}
