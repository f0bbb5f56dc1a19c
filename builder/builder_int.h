/*
 * builder/builder_int.h — what the files of builder/ share and no other module sees: the
 * build context's file index (context.c), its persistent stat cache (statcache.c), git
 * checkouts (git.c) and cache-key hashing (key.c).
 */
#ifndef BLD_BUILDER_INT_H
#define BLD_BUILDER_INT_H

#include <pthread.h>
#include <sys/stat.h>

#include "builder/builder.h"

/* Caps on what a context may hold. */
#define BLD_CTX_MAX_FILES 2000000
#define BLD_CTX_MAX_DEPTH 256
#define BLD_CTX_DOCKERFILE_MAX (8u << 20)
#define BLD_CTX_IGNORE_MAX (4u << 20)
#define BLD_STATCACHE_MAX ((size_t)512 << 20)
#define BLD_CTX_STDIN_MAX ((size_t)2 << 30)

/* === the context's file index (context.c) === */

/*
 * One file, directory or link of the context that .dockerignore lets through. Paths are
 * relative to the context root, cleaned, without a leading slash; the index is sorted
 * component by component, so that a directory's subtree follows it contiguously.
 */
struct bld_ctx_entry {
	char *path;
	mode_t mode; /* st_mode, type bits included */
	uid_t uid;
	gid_t gid;
	off_t size;
	ino_t ino;
	int64_t mtime_ns;
	int64_t ctime_ns;
	char *link;                     /* symlink target, else NULL */
	char fp[BLD_XXH_HEX_LEN + 1];   /* fingerprint, "" until computed */
};

struct bld_statcache;

/*
 * The .dockerignore matcher the context consults while walking. `excluded` says whether a
 * path is left out; `skip_dir` whether nothing below an excluded directory can come back
 * through an exception, so that the walk need not enter it.
 */
struct bld_ctx_ignore {
	void *matcher;
	bool (*excluded)(void *matcher, const char *path, bool is_dir);
	bool (*skip_dir)(void *matcher, const char *path);
	void (*free)(void *matcher);
};

struct bld_builder_context {
	enum bld_builder_context_kind kind;
	char *spec;            /* as the user gave it */
	char *dir;             /* absolute path of the context root */
	char *tmpdir;          /* owned scratch directory (stdin, git, URL), removed on free */
	int rootfd;
	char *dockerfile;      /* contents */
	size_t dockerfile_len;
	char *dockerfile_name; /* as errors name it: "Dockerfile" */
	char *ignore_name;     /* which ignore file was read, or NULL */
	struct bld_ctx_ignore ign;
	pthread_mutex_t lock;  /* guards the index and the stat cache (parallel stages) */
	bool walked;
	struct bld_ctx_entry *ents;
	size_t n_ents;
	struct bld_statcache *sc;
	uint64_t files_hashed; /* contents read this run: tests check the stat cache with it */
};

/*
 * Reads .dockerignore text into ign (ignore.c, over the parser's matcher). BLD_E_INVALID
 * for a bad pattern.
 */
int bld_ctx_ignore_setup(struct bld_ctx_ignore *ign, const char *text, struct bld_error **err);

/* Component-wise path order: '/' sorts before every other byte. */
int bld_ctx_path_cmp(const char *a, const char *b);
/* Builds the index once (under c->lock). */
int bld_ctx_walk(struct bld_builder_context *c, struct bld_error **err);
/* The entry for a cleaned relative path ("" is the root and has no entry), or NULL. */
struct bld_ctx_entry *bld_ctx_lookup(struct bld_builder_context *c, const char *path);
/* Index range [*first, *end) of the strict subtree below path ("" = everything). */
void bld_ctx_subtree(struct bld_builder_context *c, const char *path, size_t *first,
		     size_t *end);
/* Fills e->fp (reading the file only when the stat cache cannot vouch for it). */
int bld_ctx_fingerprint(struct bld_builder_context *c, struct bld_ctx_entry *e,
			struct bld_error **err);

/* === COPY/ADD sources (srcsel.c) === */

/* One source a COPY/ADD names, after wildcards and a final symlink are resolved. */
struct bld_ctx_source {
	char *name;                /* the matched path as named ("" = the root) */
	char *path;                /* what it resolved to (differs after a symlink) */
	bool is_dir;               /* the root or a directory: its contents are copied */
	struct bld_ctx_entry *ent; /* NULL for the root; borrowed from the index */
	size_t first, end;         /* index range of a directory's subtree */
};

struct bld_ctx_sources {
	struct bld_ctx_source *v;
	size_t n;
};

bool bld_ctx_has_wildcard(const char *p);
/* A user's path made relative to the context root, cleaned ("" for the root). */
char *bld_ctx_rel(const char *path);
/*
 * Resolves COPY/ADD source paths (NULL-terminated) against the index, walking it first if
 * needed. BLD_E_NOTFOUND `"/x": not found` for a path, or a pattern matching nothing.
 */
int bld_ctx_select(struct bld_builder_context *c, char *const *patterns,
		   struct bld_ctx_sources *out, struct bld_error **err);
void bld_ctx_sources_dispose(struct bld_ctx_sources *s);
/* Adds the fingerprints of exactly the files the sources copy (names relative to each). */
int bld_ctx_sources_hash(struct bld_builder_context *c, const struct bld_ctx_sources *s,
			 struct bld_xxh *h, struct bld_error **err);

/* === the stat cache (statcache.c) === */

/*
 * path + (size, mtime, ctime, inode) → XXH3-128 of the content. Loaded from and saved to a
 * file (atomically); a record whose file changed within BLD_STATCACHE_RACY_NS of being read
 * is kept for this run only, so that a write in the same timestamp tick is never missed.
 */
#define BLD_STATCACHE_RACY_NS 100000000LL
int bld_statcache_load(struct bld_statcache **out, const char *file, struct bld_error **err);
void bld_statcache_free(struct bld_statcache *sc);
/* The content hash recorded for e's path if its stat still matches, else NULL. */
const char *bld_statcache_get(struct bld_statcache *sc, const struct bld_ctx_entry *e);
void bld_statcache_put(struct bld_statcache *sc, const struct bld_ctx_entry *e,
		       const char *content, int64_t read_ns);
/* Whether a record should survive a save (the path is still in the context). */
typedef bool (*bld_statcache_keep_fn)(const char *path, void *payload);
/*
 * Writes the cache back when it changed (a no-op for a cache without a file); keep, when
 * not NULL, drops records of files that are gone.
 */
int bld_statcache_save(struct bld_statcache *sc, bld_statcache_keep_fn keep, void *payload,
		       struct bld_error **err);
size_t bld_statcache_size(const struct bld_statcache *sc);

/* === git contexts (git.c) === */

/* Whether s names a git repository as docker decides (git://, git@, github.com/, .git). */
bool bld_git_is_url(const char *s);
/*
 * Clones url ("REPO#REF:SUBDIR") into dir and checks out REF (branch, tag or commit;
 * default the remote's HEAD), with submodules left alone; *subdir gets SUBDIR ("" when
 * none; caller frees). keep_git_dir keeps .git in the checkout (ADD --keep-git-dir).
 */
int bld_git_checkout(const char *url, const char *dir, bool keep_git_dir, char **subdir,
		     struct bld_error **err);

#endif
