/*
 * builder/builder.h — Dockerfile to image: walks the parser's instruction graph, keys each
 * step for the content-addressed cache, runs RUN steps in the runner's sandbox, copies from
 * build contexts (directories, tarballs, git URLs), and commits layers and image configs to
 * the store.
 *
 * Includes parser/, cache/, registry/, runner/ and common/. libgit2 lives here only.
 */
#ifndef BLD_BUILDER_H
#define BLD_BUILDER_H

#include "cache/cache.h"
#include "common/common.h"
#include "parser/parser.h"
#include "registry/registry.h"
#include "runner/runner.h"

/* === build contexts (context.c, statcache.c, git.c) === */

enum bld_builder_context_kind {
	BLD_BUILDER_CONTEXT_DIR,   /* a local directory */
	BLD_BUILDER_CONTEXT_STDIN, /* "-": a Dockerfile alone, or a tar, on stdin */
	BLD_BUILDER_CONTEXT_GIT,   /* a git URL: REPO#REF:SUBDIR */
	BLD_BUILDER_CONTEXT_URL,   /* a tarball (or a bare Dockerfile) behind a URL */
};

struct bld_builder_context;

/*
 * Opens the context that spec names (a directory, "-", a git URL or a tarball URL) and reads
 * its Dockerfile: dockerfile is `-f` as given (NULL: "Dockerfile" in the context, or
 * "dockerfile"; "-": stdin; a relative path is taken from the current directory for a local
 * context, from the context root otherwise) and its .dockerignore (`<Dockerfile>.dockerignore`
 * beside the Dockerfile first, then `.dockerignore` at the root). statcache_dir, when not
 * NULL, is where a local directory's stat cache persists. Scratch directories for stdin,
 * git and URL contexts are removed by _free. Errors: BLD_E_NOTFOUND (no such path or
 * Dockerfile), BLD_E_NETWORK (unreachable URL), BLD_E_INVALID.
 */
int bld_builder_context_open(struct bld_builder_context **out, const char *spec,
			     const char *dockerfile, const char *statcache_dir,
			     struct bld_error **err);
/* Saves the stat cache, removes scratch directories; NULL is harmless. */
void bld_builder_context_free(struct bld_builder_context *c);
/* The Dockerfile's bytes (borrowed, NUL-terminated) and the name errors give it. */
const char *bld_builder_context_dockerfile(const struct bld_builder_context *c, size_t *len);
const char *bld_builder_context_dockerfile_name(const struct bld_builder_context *c);
/* The context root (borrowed) and a directory descriptor on it (borrowed). */
const char *bld_builder_context_dir(const struct bld_builder_context *c);
int bld_builder_context_fd(const struct bld_builder_context *c);

#endif
