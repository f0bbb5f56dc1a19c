/*
 * builder/builder.h — Dockerfile to image: walks the parser's instruction graph, keys each
 * step for the content-addressed cache, runs RUN steps in the runner's sandbox, copies from
 * build contexts (directories, tarballs, git URLs), and commits layers and image configs to
 * the store.
 *
 * Includes parser/, cache/, registry/, runner/ and common/. libgit2 lives here only.
 *
 * Layout of the module, top down; a file calls only the files below it:
 *   build.c                 the build: stages in parallel, the image, --output (output.c),
 *                           --cache-to/--cache-from (regcache.c)
 *   stage.c                 one stage: FROM, ARG/ENV scoping, metadata, step keys, dispatch
 *   named.c                 --build-context: named contexts opened, loaded as stages
 *   run.c, copy.c           the steps: RUN (mounts.c for --mount, sshfwd.c for ssh agents,
 *                           stubs.c for mount points), COPY/ADD/WORKDIR (add.c for URLs, git
 *                           and archives)
 *   tree.c                  files written into a root with COPY's ownership and mode rules
 *   workspace.c             step directories, overlays over a stage's layers, --from roots,
 *                           stages looked up and loaded from images, a step's layer committed
 *   context.c, srcsel.c,    the build context: opened (ctxopen.c, git.c), walked with
 *   statcache.c, ignore.c   .dockerignore, sources selected, fingerprints cached
 *   imgcfg.c                image configs as BuildKit edits them
 *   progress.c              progress lines (progress_tty.c: the live view on a terminal)
 * What the files share is in builder_int.h, every name of it prefixed bld_builder_ as this
 * header's are.
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

/* === building (build.c) === */

/* What `bld build` was asked; every pointer borrowed for the call. */
struct bld_builder_opts {
	const char *context;         /* PATH | URL | - */
	/* what "-" reads: 0 (stdin), or a spooled upload (a regular file, read from its
	 * start: the Engine API's POST /build body) */
	int context_fd;
	const char *dockerfile;      /* -f, or NULL */
	/*
	 * --build-context NAME=VALUE (buildx): VALUE a directory, docker-image://REF, a git URL
	 * or oci-layout://PATH[:TAG][@DIGEST]; NAME then stands for the stage or image of that
	 * name in FROM, COPY --from and RUN --mount from=. NULL-terminated or NULL.
	 */
	char *const *build_contexts;
	char *const *tags;           /* -t, NULL-terminated or NULL */
	char *const *build_args;     /* "K=V", or "K" to take K from the environment */
	const char *target;          /* --target stage, or NULL for the last */
	char *const *labels;         /* "K=V" */
	const char *iidfile;
	char *const *secrets;        /* "id=ID,src=FILE" | "id=ID,env=VAR" */
	char *const *ssh;            /* "default" | "ID=SOCKET|KEY[,KEY...]" (--ssh) */
	const char *network;         /* default network of RUN steps: default|none|host */
	char *const *add_hosts;      /* --add-host HOST:IP for RUN steps' /etc/hosts
				      * (IP "host-gateway": the default bridge's gateway) */
	int64_t shm_size;            /* --shm-size: bytes of RUN steps' /dev/shm (0: 64 MiB) */
	const char *platform;        /* only linux/amd64 */
	/*
	 * --isolation: NULL/"default" a sandbox of namespaces over overlay mounts, or
	 * --isolation=chroot when this process cannot make one (bld_builder_isolation says so
	 * once); "oci" the sandbox; "chroot" RUN steps chrooted into a plain copy of the stage's
	 * root with bld's own privileges and network, layers from snapshots of that root
	 */
	const char *isolation;
	bool no_cache;
	char *const *no_cache_filter; /* stages built without the cache */
	bool pull;                   /* always pull base images */
	bool quiet;                  /* -q: print the image ID only */
	const char *progress;        /* auto|plain|tty|quiet */
	FILE *progress_out;          /* where progress goes; NULL: stderr */
	const char *output;          /* --output type=...,dest=... or NULL */
	char *const *cache_from;     /* --cache-from type=registry,ref=R */
	char *const *cache_to;       /* --cache-to type=registry,ref=R */
	bool docker_format;          /* --format docker: Docker v2s2 media types */
	bool trust; /* content trust: an image FROM, COPY --from or a mount from= uses is signed */
	const char *signature_policy; /* policy.json for trust, or NULL for the default */
	int provenance;               /* --provenance: 0 none, 1 mode=min, 2 mode=max */
	const char *builder_id;       /* the provenance's builder.id, NULL: bld's default */
	bool sbom;                    /* --sbom: an SPDX 2.3 document of the image */
	bool explain;                 /* --explain: why each step missed the cache, on stderr */
	bool check_reproducible;      /* set by bld_builder_check_reproducible for its builds */
};

/* What a reproducibility check found: digest when the two images are the same, else diffs. */
struct bld_builder_repro {
	char digest[BLD_DIGEST_STR_LEN]; /* the manifest digest of both, or "" */
	char **diffs; /* "/t: content (layer of RUN /bin/sh -c date > /t)", ...; NULL-terminated */
};

/*
 * `build --check-reproducible`: builds o's target twice, each in a scratch store under
 * $BLD_ROOT/tmp seeded from the user's images (blobs linked, nothing in the user's store
 * written), with the same SOURCE_DATE_EPOCH (the build arg, the environment's, else now),
 * and compares the images. out is the caller's (_dispose). A failed build is an error;
 * differences are not. The scratch stores are removed in every case.
 */
int bld_builder_check_reproducible(struct bld_ctx *ctx, const struct bld_builder_opts *o,
				   struct bld_builder_repro *out, struct bld_error **err);
void bld_builder_repro_dispose(struct bld_builder_repro *r);

/*
 * Builds the image: opens the context, parses the Dockerfile, builds the stages the target
 * needs (a step whose cache key is known is reused and reported CACHED), writes the image
 * and its names into the store, and with --provenance / --sbom their documents beside it
 * (bld_cache_attest_put: "provenance" an in-toto statement, "sbom" an SPDX 2.3 document). id receives the image ID (config digest). A failing step
 * is an error naming the step and Dockerfile:LINE; a failing RUN carries its process's exit
 * code in err->status (docker's classic builder exits with it, docker build with BuildKit 1). Nothing is named in the store unless the build succeeds.
 */
int bld_builder_build(struct bld_ctx *ctx, const struct bld_builder_opts *o,
		      char id[BLD_DIGEST_STR_LEN], struct bld_error **err);

/*
 * The isolation a build with --isolation=want (NULL: default) would use: "oci" or "chroot";
 * *why (when not NULL) gets the reason default chose chroot (borrowed), else NULL.
 * BLD_E_INVALID for an unknown value, in docker's words.
 */
int bld_builder_isolation(const char *want, const char **out, const char **why,
			  struct bld_error **err);

/* === commit (commit.c) === */

struct json_t;

/* What `bld commit` was asked; every pointer borrowed for the call. */
struct bld_builder_commit_opts {
	const char *container;  /* name, ID or unique ID prefix */
	const char *name;       /* full reference the image gets, or NULL */
	const char *author;     /* -a, or NULL */
	const char *message;    /* -m, or NULL */
	char *const *changes;   /* -c Dockerfile instructions, NULL-terminated or NULL */
	bool pause;             /* freeze the container while its changes are read */
};

/*
 * docker commit: the container's changes as a new layer on its image's, its config (the
 * container's, on the image's) with the changes applied, and docker's history entry
 * (created_by the container's command, comment -m, author -a). id is the new image's ID.
 * Errors docker reports with status 1 carry it (no such container, a change refused).
 */
int bld_builder_commit(struct bld_ctx *ctx, struct bld_store *s,
		       const struct bld_builder_commit_opts *o, char id[BLD_DIGEST_STR_LEN],
		       struct bld_error **err);
/*
 * Applies Dockerfile instructions to an image config ({"config": {...}, ...}) as docker's
 * commit and import do (its BuildFromConfig): each change is parsed by the Dockerfile
 * parser, variables expand from the config's Env; CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK,
 * LABEL, ONBUILD, USER, VOLUME and WORKDIR only, others are BLD_E_INVALID "X is not a valid
 * change command" (status 1).
 */
int bld_builder_config_changes(struct json_t *img, char *const *changes,
			       struct bld_error **err);

#endif
