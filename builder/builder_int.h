/*
 * builder/builder_int.h — what the files of builder/ share and no other module sees, every
 * name prefixed bld_builder_: the build context's file index (context.c, srcsel.c), its
 * persistent stat cache (statcache.c), git checkouts (git.c), image configs (imgcfg.c), the
 * build and its stages (build.c, stage.c), the workspace (workspace.c), files written into a
 * root (tree.c), the steps (run.c, mounts.c, sshfwd.c, copy.c, add.c) and progress. The
 * sections follow builder.h's layout, where no file calls one above it.
 */
#ifndef BLD_BUILDER_INT_H
#define BLD_BUILDER_INT_H

#include <pthread.h>
#include <sys/stat.h>

#include "builder/builder.h"

#include <jansson.h>

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
struct bld_builder_ctx_entry {
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

struct bld_builder_statcache;

/*
 * The .dockerignore matcher the context consults while walking. `excluded` says whether a
 * path is left out; `skip_dir` whether nothing below an excluded directory can come back
 * through an exception, so that the walk need not enter it.
 */
struct bld_builder_ctx_ignore {
	void *matcher;
	int (*excluded)(void *matcher, const char *path, bool is_dir, bool *out,
			struct bld_error **err);
	bool (*skip_dir)(void *matcher, const char *path);
	void (*free)(void *matcher);
};

struct bld_builder_context {
	enum bld_builder_context_kind kind;
	char *spec;            /* as the user gave it */
	char *dir;             /* absolute path of the context root */
	char *tmpdir;          /* owned scratch directory (stdin, git, URL), removed on free */
	char *commit;          /* a git context's resolved commit (hex), else NULL */
	int rootfd;
	int in_fd;             /* what "-" reads (0: stdin) */
	char *dockerfile;      /* contents */
	size_t dockerfile_len;
	char *dockerfile_name; /* as errors name it: "Dockerfile" */
	char *ignore_name;     /* which ignore file was read, or NULL */
	struct bld_builder_ctx_ignore ign;
	pthread_mutex_t lock;  /* guards the index and the stat cache (parallel stages) */
	bool walked;
	struct bld_builder_ctx_entry *ents;
	size_t n_ents;
	struct bld_builder_statcache *sc;
	uint64_t files_hashed; /* contents read this run: tests check the stat cache with it */
};

/*
 * Reads .dockerignore text into ign (ignore.c, over the parser's matcher). BLD_E_INVALID
 * for a bad pattern.
 */
int bld_builder_ctx_ignore_setup(struct bld_builder_ctx_ignore *ign, const char *text,
				 struct bld_error **err);

/*
 * bld_builder_context_open with "-" read from in_fd: 0 (stdin, copied to a spool first), or
 * a regular file (an upload spooled already) taken from its start.
 */
int bld_builder_context_open_in(struct bld_builder_context **out, const char *spec,
				const char *dockerfile, const char *statcache_dir, int in_fd,
				struct bld_error **err);

/*
 * A named context's files (--build-context): a local directory with the .dockerignore at
 * its root applied (BuildKit reads no <Dockerfile>.dockerignore there), or a git URL checked
 * out with nothing ignored. No Dockerfile is read. Errors as bld_builder_context_open's.
 */
int bld_builder_context_open_files(struct bld_builder_context **out, const char *spec,
				   const char *statcache_dir, struct bld_error **err);

/* Component-wise path order: '/' sorts before every other byte. */
int bld_builder_ctx_path_cmp(const char *a, const char *b);
/* Builds the index once (under c->lock). */
int bld_builder_ctx_walk(struct bld_builder_context *c, struct bld_error **err);
/* The entry for a cleaned relative path ("" is the root and has no entry), or NULL. */
struct bld_builder_ctx_entry *bld_builder_ctx_lookup(struct bld_builder_context *c,
						     const char *path);
/* Index range [*first, *end) of the strict subtree below path ("" = everything). */
void bld_builder_ctx_subtree(struct bld_builder_context *c, const char *path, size_t *first,
			     size_t *end);
/* Fills e->fp (reading the file only when the stat cache cannot vouch for it). */
int bld_builder_ctx_fingerprint(struct bld_builder_context *c, struct bld_builder_ctx_entry *e,
				struct bld_error **err);

/* === COPY/ADD sources (srcsel.c) === */

/* One source a COPY/ADD names, after wildcards and a final symlink are resolved. */
struct bld_builder_ctx_source {
	char *name;                /* the matched path as named ("" = the root) */
	char *path;                /* what it resolved to (differs after a symlink) */
	bool is_dir;               /* the root or a directory: its contents are copied */
	struct bld_builder_ctx_entry *ent; /* NULL for the root; borrowed from the index */
	size_t first, end;         /* index range of a directory's subtree */
};

struct bld_builder_ctx_sources {
	struct bld_builder_ctx_source *v;
	size_t n;
};

bool bld_builder_ctx_has_wildcard(const char *p);
/* A user's path made relative to the context root, cleaned ("" for the root). */
char *bld_builder_ctx_rel(const char *path);
/*
 * Resolves COPY/ADD source paths (NULL-terminated) against the index, walking it first if
 * needed. BLD_E_NOTFOUND `"/x": not found` for a path, or a pattern matching nothing.
 */
int bld_builder_ctx_select(struct bld_builder_context *c, char *const *patterns,
			   struct bld_builder_ctx_sources *out, struct bld_error **err);
void bld_builder_ctx_sources_dispose(struct bld_builder_ctx_sources *s);
/* Adds the fingerprints of exactly the files the sources copy (names relative to each). */
int bld_builder_ctx_sources_hash(struct bld_builder_context *c,
				 const struct bld_builder_ctx_sources *s, struct bld_xxh *h,
				 struct bld_error **err);
/*
 * The same, leaving out the files (not directories: a "!" pattern may bring back what is
 * inside one) that COPY --exclude patterns ex exclude; ex NULL excludes nothing. Each file
 * keyed goes into rec too, when not NULL, as explain.c's input "file PATH".
 */
int bld_builder_ctx_sources_hash_excluding(struct bld_builder_context *c,
					   const struct bld_builder_ctx_sources *s,
					   const struct bld_parser_dockerignore *ex,
					   struct bld_xxh *h, json_t *rec, struct bld_error **err);

/* === the stat cache (statcache.c) === */

/*
 * path + (size, mtime, ctime, inode) → XXH3-128 of the content. Loaded from and saved to a
 * file (atomically); a record whose file changed within BLD_STATCACHE_RACY_NS of being read
 * is kept for this run only, so that a write in the same timestamp tick is never missed.
 */
#define BLD_STATCACHE_RACY_NS 100000000LL
int bld_builder_statcache_load(struct bld_builder_statcache **out, const char *file,
			       struct bld_error **err);
void bld_builder_statcache_free(struct bld_builder_statcache *sc);
/* The content hash recorded for e's path if its stat still matches, else NULL. */
const char *bld_builder_statcache_get(struct bld_builder_statcache *sc,
				      const struct bld_builder_ctx_entry *e);
void bld_builder_statcache_put(struct bld_builder_statcache *sc,
			       const struct bld_builder_ctx_entry *e, const char *content,
			       int64_t read_ns);
/* Whether a record should survive a save (the path is still in the context). */
typedef bool (*bld_builder_statcache_keep_fn)(const char *path, void *payload);
/*
 * Writes the cache back when it changed (a no-op for a cache without a file); keep, when
 * not NULL, drops records of files that are gone.
 */
int bld_builder_statcache_save(struct bld_builder_statcache *sc, bld_builder_statcache_keep_fn keep,
			       void *payload, struct bld_error **err);
size_t bld_builder_statcache_size(const struct bld_builder_statcache *sc);

/* === git contexts (git.c) === */

/* The time of the commit checked out in the git work tree dir is in; false when none. */
bool bld_builder_git_commit_time(const char *dir, int64_t *out);
/* Whether s names a git repository as docker decides (git://, git@, github.com/, .git). */
bool bld_builder_git_is_url(const char *s);
/*
 * Clones url ("REPO#REF:SUBDIR") into dir and checks out REF (branch, tag or commit;
 * default the remote's HEAD), with submodules left alone; *subdir gets SUBDIR ("" when
 * none; caller frees), *commit (when not NULL) the commit's hex ID. keep_git_dir keeps .git
 * in the checkout (ADD --keep-git-dir).
 */
int bld_builder_git_checkout(const char *url, const char *dir, bool keep_git_dir, char **subdir,
			     char **commit, struct bld_error **err);

/* === image configs as BuildKit edits them (imgcfg.c) === */

char *bld_builder_img_time(int64_t t); /* RFC 3339 UTC, caller frees */
/* FROM scratch: linux/amd64, Env PATH, WorkingDir "/" (caller json_decref's). */
json_t *bld_builder_img_empty(const char *os, const char *arch);
/* A copy of what a build keeps from a base image's config. */
json_t *bld_builder_img_from_base(const json_t *base);
json_t *bld_builder_img_conf(json_t *img); /* the "config" member, created when missing; borrowed */
const char *bld_builder_img_env_get(json_t *img, const char *name);
void bld_builder_img_env_set(json_t *img, const char *name, const char *value);
char **bld_builder_img_env(json_t *img); /* copy of Env (never NULL) */
void bld_builder_img_set_str(json_t *img, const char *key, const char *value);
const char *bld_builder_img_get_str(json_t *img, const char *key);
void bld_builder_img_set_strv(json_t *img, const char *key, char *const *v); /* NULL: null */
char **bld_builder_img_get_strv(json_t *img, const char *key);		     /* NULL when unset */
void bld_builder_img_label(json_t *img, const char *k, const char *v);
void bld_builder_img_add_set(json_t *img, const char *key, const char *member); /* Volumes, ports */
void bld_builder_img_onbuild_add(json_t *img, const char *text);
void bld_builder_img_history(json_t *img, const char *created, const char *created_by, bool empty);
/* The newest history entry's time, else the config's own; borrowed, may be NULL. */
const char *bld_builder_img_last_created(json_t *img);

/* === the build (build.c, stage.c, run.c, copy.c, progress.c) === */

struct bld_builder_job;

/* One stage of the Dockerfile and, once built, its result. */
struct bld_builder_stage {
	int index;
	char *name;        /* "AS name" lower-cased, or NULL */
	const struct bld_parser_stage *ps; /* the parser's stage (FROM, instructions, edges) */
	bool needed;
	int nvertices;     /* FROM + RUN/COPY/ADD/WORKDIR: the N of "[k/N]" */
	int vertex;        /* the k of the step running */
	/* state */
	json_t *img;                    /* the image config being built */
	struct bld_cache_layer *layers; /* the stage's layers, lowest first */
	size_t n_layers;
	size_t n_base;                  /* how many of them came from an image (FROM IMAGE) */
	char **lowers;                  /* their unpacked directories, lowest first */
	char chain[BLD_DIGEST_STR_LEN]; /* chain ID of the top layer, "" when none */
	char key[BLD_XXH_HEX_LEN + 1];  /* cache key of the last step */
	/*
	 * BuildKit's build args of the stage: every ARG declared in it or in the stages it is
	 * built FROM, in order, repeats kept: "K=V", or "K" when it has no value.
	 */
	char **args;
	/* ARG values over the config's Env ("K=V"): what ARG set last and no ENV set since */
	char **arg_env;
	bool cmd_set;                   /* CMD given in this stage (ENTRYPOINT keeps it) */
	bool no_cache;                  /* --no-cache or --no-cache-filter names it */
	bool built;
	/* --isolation=chroot: the stage's root as a plain directory (NULL until a step needs
	 * it), holding its first root_layers lowers; root_ahead: it holds the layer the step
	 * that just ran is about to push too */
	char *root;
	size_t root_layers;
	bool root_ahead;
	/* explain.c: what the key took since the last layer step, and that step */
	json_t *xpending;
	char xparent[BLD_XXH_HEX_LEN + 1];
	char *xparent_name;
};

struct bld_builder_job {
	struct bld_ctx *ctx;
	const struct bld_builder_opts *o;
	struct bld_store *store;
	struct bld_builder_context *bctx;
	struct bld_parser_dockerfile *df;
	char escape;
	char **meta_args;   /* ARGs before the first FROM, resolved, "K=V" (the parser's) */
	char **build_args;  /* --build-arg, "K=V" */
	char **extra_hosts; /* --add-host as /etc/hosts lines "IP\tHOST", host-gateway resolved */
	struct bld_builder_stage *stages;
	size_t n_stages;
	size_t target;      /* index of the target stage */
	int64_t epoch;      /* SOURCE_DATE_EPOCH, or -1 */
	char *tmp;          /* $BLD_ROOT/tmp/build-XXXXXX: step directories */
	char *empty_dir;    /* a lower for images without layers */
	bool chroot;        /* --isolation=chroot: stage roots are plain directories, RUN
			       steps are chrooted into them, layers come from snapshots */
	int next_vertex;    /* BuildKit's #N */
	FILE *out;          /* progress (stderr), NULL with -q */
	/* progress "classic": docker's legacy builder lines ("Step N/M : ..."), one stage at a
	 * time (classic_lock held through each); the steps numbered over the needed stages */
	bool classic;
	int classic_step, classic_total;
	pthread_mutex_t classic_lock;
	struct bld_builder_ptty *tty; /* the live view instead of plain lines, or NULL */
	json_t *cache_export; /* records for --cache-to: key -> record */
	struct bld_builder_named *named; /* --build-context, in the order given */
	/* --provenance: resolved dependencies recorded as the stages use them (attest.c) */
	json_t *deps;
	pthread_mutex_t attest_lock;
	int64_t started;                             /* when the build began (provenance) */
	char manifest_digest[BLD_DIGEST_STR_LEN];    /* of the image written */
	size_t n_named;
	pthread_mutex_t lock;
	pthread_mutex_t named_lock; /* named contexts are loaded once, by the first stage to ask */
	struct bld_builder_explain *xp; /* why steps missed (explain.c) */
};

/*
 * explain.c: why a step missed the cache. _open once the stages are known; _note and
 * _note_hash (a hash of the value is kept) collect what a stage's key takes between layer
 * steps; _add appends one input to rec (a JSON array; NULL: nothing); _step after every
 * layer step, hit or miss; _miss, with the step's own inputs (borrowed), prints the
 * "cache miss: WHY" line and stores the inputs under key; _finish prints the --explain lines
 * and writes the keys of this build. Values given to _note and _add are stolen.
 */
struct bld_builder_explain;
void bld_builder_explain_open(struct bld_builder_job *b);
/* repro_diff.c: the images a check built in the stores at root_a and root_b, compared. */
int bld_builder_repro_compare(const char *root_a, const char *root_b,
			      struct bld_builder_repro *out, struct bld_error **err);
void bld_builder_explain_note(struct bld_builder_stage *st, const char *label, json_t *value);
void bld_builder_explain_note_hash(struct bld_builder_stage *st, const char *label,
				   const char *value);
void bld_builder_explain_add(json_t *rec, const char *label, json_t *value);
void bld_builder_explain_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			      const char *name, const char *key);
int bld_builder_explain_miss(struct bld_builder_job *b, struct bld_builder_stage *st, int v,
			     const char *name, const char *key, json_t *own,
			     struct bld_error **err);
int bld_builder_explain_finish(struct bld_builder_job *b, struct bld_error **err);
void bld_builder_explain_free(struct bld_builder_explain *x);

/* progress.c: BuildKit's plain progress lines. */
int bld_builder_progress_vertex(struct bld_builder_job *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bld_builder_progress_line(struct bld_builder_job *b, int v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bld_builder_progress_cached(struct bld_builder_job *b, int v);
void bld_builder_progress_done(struct bld_builder_job *b, int v, int64_t start_ns);
void bld_builder_progress_error(struct bld_builder_job *b, int v, const char *msg);
/* A line a step's process printed, s seconds into it ("#3 0.123 TEXT"; classic: TEXT). */
void bld_builder_progress_output(struct bld_builder_job *b, int v, double s, const char *text);
/* Classic progress only (no-ops otherwise): "Step N/M : INSTRUCTION" as written before a step,
 * " ---> ID" after it (the first 12 digits of the stage's key: bld commits no image per
 * step); the vertex lines above print nothing then, but _cached's " ---> Using cache". */
void bld_builder_progress_step(struct bld_builder_job *b, const char *original);
void bld_builder_progress_step_end(struct bld_builder_job *b, const char *key);

/*
 * progress.c picks the printer: --progress=plain (or auto off a terminal) keeps BuildKit's
 * plain lines; tty (or auto when stderr is a terminal) draws BuildKit's live view
 * (progress_tty.c). _start before the first vertex, _finish after the last line.
 */
void bld_builder_progress_start(struct bld_builder_job *b);
void bld_builder_progress_finish(struct bld_builder_job *b, bool ok);

/* progress_tty.c: the live view. interval_ms 0: no redraw thread (tests render by hand). */
struct bld_builder_ptty;
enum bld_builder_ptty_end { BLD_PTTY_DONE, BLD_PTTY_CACHED, BLD_PTTY_ERROR };
struct bld_builder_ptty *bld_builder_ptty_new(int fd, int interval_ms);
void bld_builder_ptty_vertex(struct bld_builder_ptty *t, int v, const char *name);
/* A RUN output line ("SECONDS TEXT", run.c's plain form) or a status line of vertex v. */
void bld_builder_ptty_line(struct bld_builder_ptty *t, int v, const char *line);
void bld_builder_ptty_end(struct bld_builder_ptty *t, int v, enum bld_builder_ptty_end how);
/* The frame at time now for a terminal width columns wide (caller frees). */
char *bld_builder_ptty_render(struct bld_builder_ptty *t, int64_t now, size_t width, bool finished);
/* Stops the redraw thread, draws the final frame (and the failed step's output), frees. */
void bld_builder_ptty_free(struct bld_builder_ptty *t);

/* regcache.c: --cache-to / --cache-from through a registry. */
void bld_builder_regcache_note(struct bld_builder_job *b, const char *key, const char *record_json);
int bld_builder_regcache_export(struct bld_builder_job *b, struct bld_error **err);
void bld_builder_regcache_import(struct bld_builder_job *b);

/* === named build contexts (named.c; looked up by workspace.c) === */

enum bld_builder_named_kind {
	BLD_BUILDER_NAMED_DIR,     /* a local directory, its own .dockerignore applied */
	BLD_BUILDER_NAMED_GIT,     /* a git URL, checked out */
	BLD_BUILDER_NAMED_IMAGE,   /* docker-image://REF */
	BLD_BUILDER_NAMED_SCRATCH, /* docker-image://scratch: nothing */
	BLD_BUILDER_NAMED_OCI,     /* oci-layout://PATH[:TAG][@DIGEST]: an image of a layout */
};

/* One --build-context NAME=VALUE and, once a step asked for it, its state as a stage. */
struct bld_builder_named {
	char *name;  /* as BuildKit matches it: the familiar reference without ":latest" */
	char *value; /* as given */
	enum bld_builder_named_kind kind;
	char *ref;   /* IMAGE: the image reference; OCI: the layout's directory */
	char *digest; /* OCI: the manifest (or index) digest asked, or NULL for the tag's */
	char *tag;    /* OCI: the tag looked up in index.json ("latest" by default) */
	struct bld_builder_context *files; /* DIR, GIT: the files, opened before the build */
	struct bld_builder_stage st; /* FROM's and --from's view, valid once loaded */
	bool loaded;
};

/*
 * Reads --build-context values into b->named and opens their files (named.c). buildx's
 * errors: "invalid context value: V, expected key=value", "invalid context name N",
 * "failed to get build context N: stat P: no such file or directory".
 */
int bld_builder_named_open(struct bld_builder_job *b, struct bld_error **err);
/*
 * Loads n as a stage once (an image pulled as FROM would; a directory or git checkout made
 * into one layer of its files, keyed by their contents); later calls return at once.
 */
int bld_builder_named_load(struct bld_builder_job *b, struct bld_builder_named *n,
			   struct bld_error **err);
void bld_builder_named_dispose(struct bld_builder_job *b);

/* === the workspace (workspace.c): what the step files below stand on, calling none of them === */

/* Step scratch: a fresh directory, the overlay lowers, and the layer of an upper dir. */
char *bld_builder_step_dir(struct bld_builder_job *b, struct bld_error **err);
char **bld_builder_step_lowers(struct bld_builder_job *b, struct bld_builder_stage *st);
int bld_builder_step_commit(struct bld_builder_job *b, struct bld_builder_stage *st,
			    const char *upper, struct bld_cache_layer *layer, bool *made,
			    struct bld_error **err);

/*
 * snapshot.c: the layers of --isolation=chroot and of RUN on a copied root (run.c). _take
 * walks the tree under rootfd; _diff walks it again and writes what changed since into the
 * empty directory upper as an overlay upper directory holds it (*any: whether anything did).
 * upper shares inodes with the root.
 */
struct bld_builder_snap;
int bld_builder_snap_take(struct bld_builder_snap **out, int rootfd, struct bld_error **err);
int bld_builder_snap_diff(const struct bld_builder_snap *before, int rootfd, const char *upper,
			  bool *any, struct bld_error **err);
void bld_builder_snap_free(struct bld_builder_snap *s);

/* --isolation=chroot: st's root directory with all of its layers; *path borrowed. */
int bld_builder_stage_root(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const char **path, struct bld_error **err);

/* A step's overlay: the step directory with upper/, work/ and merged/, open as rootfd. */
struct bld_builder_work {
	char *dir; /* step directory: upper/ work/ merged/ */
	char *merged;
	char *upper;
	int rootfd;
	bool mounted;
	struct bld_builder_snap *snap; /* chroot: the root before the step */
	bool borrowed;                 /* chroot: merged is a stage's root, kept */
};
/* A writable overlay over the stage's layers with a fresh upper directory (the step's layer). */
int bld_builder_work_open(struct bld_builder_job *b, struct bld_builder_stage *st,
			  struct bld_builder_work *w, struct bld_error **err);
/* The same over the given lowers (lowest first). */
int bld_builder_work_open_on(struct bld_builder_job *b, struct bld_builder_work *w,
			     char *const *lowers, struct bld_error **err);
/* A stage's root, mounted read-only. */
int bld_builder_work_open_stage(struct bld_builder_job *b, struct bld_builder_stage *src,
				struct bld_builder_work *w, struct bld_error **err);
/* A stage's or an image's root (as COPY --from names it), mounted read-only. */
int bld_builder_work_open_from(struct bld_builder_job *b, struct bld_builder_stage *st,
			       const char *from, struct bld_builder_work *w,
			       struct bld_error **err);
/* Unmounts, then commits the upper directory as the step's layer (bld_builder_step_commit). */
int bld_builder_work_commit(struct bld_builder_job *b, struct bld_builder_stage *st,
			    struct bld_builder_work *w, struct bld_cache_layer *l, bool *made,
			    struct bld_error **err);
/* Unmounts and removes the step directory; a zeroed or disposed work is harmless. */
void bld_builder_work_dispose(struct bld_builder_work *w);

/* Read-only roots of stages or images mounted for COPY --from and RUN --mount from=. */
struct bld_builder_from_roots {
	void **v;
	size_t n;
};
/* Mounts the root of stage or image `from` read-only; *path is its directory (caller frees). */
int bld_builder_from_root_open(struct bld_builder_job *b, struct bld_builder_stage *st,
			       const char *from, struct bld_builder_from_roots *roots, char **path,
			       struct bld_error **err);
void bld_builder_from_roots_close(struct bld_builder_from_roots *roots);
/* The same for a stage given directly (--output type=local). */
int bld_builder_stage_root_open(struct bld_builder_job *b, struct bld_builder_stage *st,
				struct bld_builder_from_roots *roots, char **path,
				struct bld_error **err);
/* What --from or --mount from= names, for a cache key: a stage's key, or the ID of the image
 * the name points at now (not the name: tags move), else the name. */
void bld_builder_from_key(struct bld_builder_job *b, struct bld_builder_stage *st,
			  const char *from, struct bld_xxh *h);
/* A writable view of directory src whose writes are thrown away (RUN --mount=type=bind,rw). */
int bld_builder_overlay_rw(struct bld_builder_job *b, const char *src,
			   struct bld_builder_from_roots *roots, char **path,
			   struct bld_error **err);

/*
 * A name as BuildKit matches named contexts: the familiar reference without ":latest"
 * ("alpine" for alpine, alpine:latest and docker.io/library/alpine). BLD_E_INVALID with the
 * reference parser's words for what is no reference.
 */
int bld_builder_named_name(const char *name, char **out, struct bld_error **err);
/* The named context that stands for name (a stage name, FROM's base, a --from), or NULL. */
struct bld_builder_named *bld_builder_named_find(struct bld_builder_job *b, const char *name);
/*
 * A layer recorded alone under key, without a config (COPY --link's own layer, a named
 * context's files): _get is 1 with *l when the record and its blob are there, else 0;
 * _put records l (a failure only costs the reuse).
 */
int bld_builder_layer_record_get(struct bld_builder_job *b, const char *key,
				 struct bld_cache_layer *l);
void bld_builder_layer_record_put(struct bld_builder_job *b, const char *key,
				  const struct bld_cache_layer *l);
/* The stage an expanded FROM or --from names (by name or index), or NULL. */
struct bld_builder_stage *bld_builder_stage_find(struct bld_builder_job *b, const char *name,
						 size_t before);
/* Appends a layer and its unpacked directory to the stage's state. */
int bld_builder_stage_push_layer(struct bld_builder_job *b, struct bld_builder_stage *st,
				 const struct bld_cache_layer *l, struct bld_error **err);
/*
 * The stage's base from an image (pulled when missing or with --pull, verified under content
 * trust): its layers as st's lowers, its config as st->img; the image ID into h unless NULL.
 * Also loads an image as a stage-like state for COPY --from=IMAGE (v 0, h NULL).
 */
int bld_builder_stage_from_image(struct bld_builder_job *b, struct bld_builder_stage *st,
				 const char *ref, int v, struct bld_xxh *h, struct bld_error **err);
/* A stored image's layers as st's lowers and its config as st->img; its ID into h unless
 * NULL; full names it for provenance (a reference, or what the user wrote). */
int bld_builder_stage_take_image(struct bld_builder_job *b, struct bld_builder_stage *st,
				 const char *full, const struct bld_cache_image *img,
				 struct bld_xxh *h, struct bld_error **err);
void bld_builder_stage_dispose(struct bld_builder_stage *st);

/* === files written into a root (tree.c): what copy.c and add.c write with === */

struct bld_builder_copy_req;
struct bld_builder_tree_item; /* one source entry: where it is, its metadata, its link target */
struct bld_builder_tree_meta {
	bool chown;
	uid_t uid;
	gid_t gid;
	bool chmod;
	mode_t mode;
	bool keep_owner; /* --from: owners as in the source */
};

/* What one COPY writes: (item, destination) pairs, parents before children. */
struct bld_builder_tree_plan {
	struct bld_builder_tree_item *it;
	char **dst;
	char **links; /* owned link targets */
	size_t n;
};

/*
 * COPY/ADD --exclude as BuildKit applies it (fsutil's copier over moby/patternmatcher: the
 * rules of .dockerignore, "**", "!" exceptions in order, a directory excluding what is in
 * it): entries inside a directory source are matched by their path relative to that source,
 * a source itself (a named file or a wildcard match) by its path in the context or root. An
 * excluded directory is still walked, unless no exception can bring anything inside back, and
 * is created, with its own metadata, only before the first entry copied from inside it.
 */
struct bld_builder_tree_excl {
	struct bld_parser_dockerignore *m; /* NULL: nothing is excluded */
	struct bld_builder_tree_plan
	    pending;		      /* excluded directories above the walk, outermost first */
	struct bld_error *err;	      /* a pattern that failed while matching, inside walk_fs */
};

/* --chown as BuildKit reads it, in the root's own /etc/passwd and /etc/group. */
int bld_builder_tree_chown_resolve(int rootfd, const char *spec, struct bld_builder_tree_meta *m,
				   struct bld_error **err);
/* Owners and modes a COPY/ADD request asks for (--chown, --chmod, --from keeps owners). */
int bld_builder_tree_meta_init(struct bld_builder_tree_meta *m, int rootfd,
			       const struct bld_builder_copy_req *rq, struct bld_error **err);
/* Appends the pair (the entry src relative to srcfd, with st and link, -> dst). */
void bld_builder_tree_plan_add(struct bld_builder_tree_plan *p, int srcfd, const char *src,
			       const struct stat *st, const char *link, const char *dst);
void bld_builder_tree_plan_dispose(struct bld_builder_tree_plan *p);
/* Writes every pair of the plan into the root; directory times are set again at the end. */
int bld_builder_tree_plan_run(int rootfd, const struct bld_builder_tree_plan *p,
			      const struct bld_builder_tree_meta *m, struct bld_error **err);
/* --exclude's patterns (NULL or none: nothing excluded); BLD_E_INVALID for a bad pattern. */
int bld_builder_tree_excl_init(struct bld_builder_tree_excl *x, char *const *patterns,
			       struct bld_error **err);
void bld_builder_tree_excl_dispose(struct bld_builder_tree_excl *x);
/* Whether rel is excluded (*out). */
int bld_builder_tree_excl_match(struct bld_builder_tree_excl *x, const char *rel, bool *out,
				struct bld_error **err);
/* Drops the pending excluded directories that are not above dst. */
void bld_builder_tree_excl_pending_trim(struct bld_builder_tree_excl *x, const char *dst);
/* Moves the pending excluded directories into the plan: an entry inside them is copied. */
void bld_builder_tree_excl_pending_flush(struct bld_builder_tree_excl *x,
					 struct bld_builder_tree_plan *p);
/* The directory abs of a root, walked into the plan below dst (--exclude applied). */
int bld_builder_tree_walk_root(struct bld_builder_tree_plan *p, int rootfd, const char *abs,
			       const char *dst, struct bld_builder_tree_excl *ex,
			       struct bld_error **err);
/* mkdir -p inside a root; new directories 0755 owned by uid:gid. Returns an fd or -errno. */
int bld_builder_mkdirs_in_root(int rootfd, const char *path, uid_t uid, gid_t gid);
/* Copies the contents of the directory srcdir into dest inside the root (owners: chown's
 * when chown, else kept with keep_owner, else root's); the directories made for dest get
 * chown's owner (root's without), one that exists is left as it is. */
int bld_builder_copy_dir_contents(int srcdir, int rootfd, const char *dest, bool chown,
				  uid_t uid, gid_t gid, bool keep_owner, struct bld_error **err);
/* The same, and with keep_owner dest itself takes srcdir's owner, mode and time. */
int bld_builder_copy_dir_into(int srcdir, int rootfd, const char *dest, bool chown, uid_t uid,
			      gid_t gid, bool keep_owner, struct bld_error **err);
/* Writes the file open on fd to dest inside the root with this mode, owner and mtime. */
int bld_builder_copy_fd_into(int fd, int rootfd, const char *dest, mode_t mode, uid_t uid,
			     gid_t gid, int64_t mtime, struct bld_error **err);
/* qsort comparator for char * vectors. */
int bld_builder_strcmp_p(const void *a, const void *b);

/*
 * attest.c: --provenance and --sbom. _dep records a resolved dependency (a base or --from
 * image, an ADD URL, a git source) once, thread-safe, when provenance is asked for;
 * _image does it for an image a stage loaded. _write makes the documents for the image
 * written (b->manifest_digest) and stores them beside it (sbom.c makes the SBOM).
 */
void bld_builder_attest_dep(struct bld_builder_job *b, const char *uri, const char *alg,
			    const char *hex);
void bld_builder_attest_image(struct bld_builder_job *b, const char *full,
			      const struct bld_cache_image *img);
int bld_builder_attest_write(struct bld_builder_job *b, struct bld_error **err);
/* sbom.c: the SPDX 2.3 document of the target stage's image (caller json_decref's). */
int bld_builder_sbom_new(struct bld_builder_job *b, json_t **out, struct bld_error **err);

/* output.c: --output type=local|docker after the image is written. */
int bld_builder_build_output(struct bld_builder_job *b, const char *id, struct bld_error **err);

/* stage.c: one stage from FROM to its last instruction. */
int bld_builder_stage_build(struct bld_builder_job *b, struct bld_builder_stage *st,
			    struct bld_error **err);
/* Env for expansion and RUN: ARGs in scope overridden by the image's Env. */
char **bld_builder_stage_env(struct bld_builder_stage *st);
/* A metadata instruction (ENV, LABEL, ARG, CMD, ENTRYPOINT, SHELL, ONBUILD, EXPOSE, VOLUME,
 * USER, STOPSIGNAL, MAINTAINER, HEALTHCHECK) applied to st->img; its history text is
 * appended to hist. Uses b's escape character and build arguments only. */
int bld_builder_stage_meta(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const struct bld_parser_instruction *in, struct bld_buf *hist,
			   struct bld_error **err);

/* run.c: a RUN step in the runner's sandbox; *layer_made false when nothing changed. */
struct bld_builder_run_req {
	char **argv;
	char **env;
	const char *network; /* "default", "none", "host" */
	int vertex;
	const struct bld_parser_mount *mounts; /* RUN --mount, as parsed */
	size_t nmounts;
	char *script_name, *script; /* a shebang heredoc: /dev/pipes/NAME's body, or NULL */
};
int bld_builder_run_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			 const struct bld_builder_run_req *rq, struct bld_cache_layer *layer,
			 bool *layer_made, struct bld_error **err);
/* run.c: spec's process with its output relayed as rq's progress; a non-zero exit is the
 * step's error (status 1, the last lines of output in the message). */
int bld_builder_run_spawn(struct bld_builder_job *b, struct bld_runner_spec *spec,
			  const struct bld_builder_run_req *rq, struct bld_error **err);
/* run.c: the predefined proxy ARGs added to a step's environment. */
void bld_builder_run_proxy_args(struct bld_builder_job *b, char ***env);
/* runchroot.c: the step under --isolation=chroot (stage.c picks it over run_step). */
int bld_builder_run_chroot(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const struct bld_builder_run_req *rq, struct bld_cache_layer *layer,
			   bool *layer_made, struct bld_error **err);

/* mounts.c: RUN --mount turned into the runner's mounts. */
struct bld_builder_run_mounts {
	struct bld_runner_mount *v;
	size_t n;
	char **targets; /* to prune from the upper directory afterwards */
	int *locks;     /* sharing=locked cache directories, held until dispose */
	size_t n_locks;
	struct bld_builder_from_roots roots;
	struct bld_builder_ssh_fwd **ssh; /* ssh agents forwarded, stopped at dispose */
	size_t n_ssh;
};
int bld_builder_run_mounts_prepare(struct bld_builder_job *b, struct bld_builder_stage *st,
				   const struct bld_builder_run_req *rq,
				   struct bld_builder_run_mounts *rm, char ***env,
				   struct bld_error **err);
void bld_builder_run_mounts_dispose(struct bld_builder_run_mounts *rm);

/*
 * stubs.c: removes from a RUN step's upper directory what the sandbox made for the mount
 * targets (and /etc/hosts, /etc/resolv.conf, /etc/hostname, /proc, /sys, /dev) that the
 * lowers lacked, parents included, as BuildKit 0.11+ does; best effort, never fails.
 */
void bld_builder_stubs_prune(const char *upper, char *const *lowers, char *const *targets);

/* sshfwd.c: an ssh agent forwarded into a RUN step (--mount=type=ssh, bld build --ssh). */
struct bld_builder_ssh_fwd;
/*
 * Forwards the agent --ssh gives for the mount's id ("default" when none): a socket as it
 * is, key files through a private ssh-agent. 1 and *out set when forwarded; 0 when --ssh
 * gives nothing and the mount is not required; BLD_E_NOTFOUND when it is.
 */
int bld_builder_ssh_fwd_open(struct bld_builder_ssh_fwd **out, struct bld_builder_job *b,
			     const struct bld_parser_mount *pm, struct bld_error **err);
/* The socket to bind into the step (borrowed). */
const char *bld_builder_ssh_fwd_socket(const struct bld_builder_ssh_fwd *f);
/* Stops the relay and a private agent (by its PID); NULL is harmless. */
void bld_builder_ssh_fwd_free(struct bld_builder_ssh_fwd *f);
/* What of the mounts decides a RUN's result (never a secret's value, never a cache's). */
int bld_builder_run_mounts_key(struct bld_builder_job *b, struct bld_builder_stage *st,
			       const struct bld_builder_run_req *rq, struct bld_xxh *h,
			       struct bld_error **err);

/* copy.c: COPY/ADD into a new layer. */
struct bld_builder_copy_req {
	char **srcs;        /* expanded sources (URLs and git URLs for ADD) */
	char *dest;         /* expanded destination */
	const char *from;   /* --from: a stage or image, or NULL for the context */
	struct bld_builder_context *src_ctx; /* --from a named directory or git context, else NULL */
	char *chown, *chmod; /* --chown, --chmod with variables expanded (owned) */
	char **excludes;
	bool parents, link, add, keep_git_dir;
	int unpack;         /* ADD --unpack: -1 unset (local archives unpacked, URLs not), 0/1 */
	const char *checksum;
	struct bld_builder_copy_content *contents; /* heredoc sources, expanded; owned */
	size_t ncontents;
	char link_key[BLD_XXH_HEX_LEN + 1]; /* --link: the layer's own key (bld_builder_copy_key) */
};
/* A heredoc source of COPY/ADD: a file named after the heredoc word. */
struct bld_builder_copy_content {
	char *name;
	char *data;
};
/*
 * Fills rq->contents from the instruction's heredocs as BuildKit does: an unquoted
 * delimiter's body is expanded with env (escape '\\' whatever the directive says, quotes
 * kept as plain characters); a quoted one is taken as written.
 */
int bld_builder_copy_contents_expand(struct bld_builder_copy_req *rq,
				     const struct bld_parser_instruction *in, char *const *env,
				     struct bld_error **err);
void bld_builder_copy_contents_free(struct bld_builder_copy_req *rq);
int bld_builder_copy_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			  const struct bld_builder_copy_req *rq, struct bld_cache_layer *layer,
			  bool *layer_made, struct bld_error **err);
/*
 * Adds to a key what decides a COPY's result: the context files or the source stage. With
 * --link it also sets rq->link_key, a key of the layer alone that leaves out the steps before.
 */
int bld_builder_copy_key(struct bld_builder_job *b, struct bld_builder_stage *st,
			 struct bld_builder_copy_req *rq, struct bld_xxh *h, json_t *rec,
			 struct bld_error **err);

/* add.c: ADD's sources that are not plain context files. */
bool bld_builder_add_is_remote(const struct bld_builder_copy_req *rq, const char *src);
/*
 * Handles URLs (downloaded, 0600, mtime from Last-Modified), git URLs (cloned, contents
 * copied) and local tar archives (unpacked) into dest; *rest gets the plain sources left
 * for the context copy.
 */
int bld_builder_add_special(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
			    int rootfd, bool chown, uid_t uid, gid_t gid, bool dest_dir,
			    char ***rest, struct bld_error **err);
/* WORKDIR's directory (created with the user's ownership, as BuildKit does). */
int bld_builder_mkdir_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const char *path, struct bld_cache_layer *layer, bool *layer_made,
			   struct bld_error **err);

#endif
