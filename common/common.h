/*
 * common/common.h — the one public header of common/: what every module needs and nothing
 * more. Errors (one closed set of codes and a lower-case line of text, context added on the
 * way up), allocation that aborts on failure, cleanup attributes for owned locals, capped
 * growable buffers, logging and progress, digests (sha256 through OpenSSL, XXH3-128 through
 * xxHash), JSON helpers over jansson, and safe file helpers (atomic writes, paths resolved
 * inside a root).
 *
 * It deliberately knows nothing of images, Dockerfiles, registries or processes.
 */
#ifndef BLD_COMMON_H
#define BLD_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* ------------------------------------------------------------------ errors */

enum bld_error_code {
	BLD_E_NOTFOUND = 1, /* a name, file, tag or blob does not exist */
	BLD_E_EXISTS,       /* something is already there */
	BLD_E_INVALID,      /* bad input from a user, a file or a peer */
	BLD_E_DIGEST,       /* content does not match its digest */
	BLD_E_AUTH,         /* authentication or authorisation refused */
	BLD_E_NETWORK,      /* a peer could not be reached or broke off */
	BLD_E_SYSTEM,       /* a system call failed; sys_errno says why */
	BLD_E_INTERNAL,     /* a bug or an impossible state */
	BLD_E_CANCELED,     /* interrupted by the user */
	BLD_E_UNSUPPORTED,  /* valid input that bld does not handle (yet) */
};

struct bld_error {
	enum bld_error_code code;
	int sys_errno; /* errno for BLD_E_SYSTEM, else 0 */
	int status;    /* an exit status the error carries (a failed RUN step), else 0 */
	char *msg;     /* one lower-case line, no trailing newline */
};

/*
 * Sets *err (if err is not NULL and *err is NULL) and returns -code. When *err already holds
 * an error, the first one is kept: the deepest cause wins.
 */
int bld_error_set(struct bld_error **err, enum bld_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like bld_error_set, for a request docker refuses with exit status 1 (a usage mistake, an
 * unknown container) rather than bld's own 125: the error carries status 1. */
int bld_error_refuse(struct bld_error **err, enum bld_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like bld_error_set with BLD_E_SYSTEM, appending ": strerror(errnum)". */
int bld_error_sys(struct bld_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes context ("pull x: <old>") to an existing error; returns its negative code. */
int bld_error_wrap(struct bld_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Frees an error; NULL is harmless. */
void bld_error_free(struct bld_error *e);
/* Hands an error over: *dst takes src's error, src is left NULL. */
void bld_error_move(struct bld_error **dst, struct bld_error **src);

/* ------------------------------------------------------------------ memory */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

static inline void bld_freep(void *p) { free(*(void **)p); }
static inline void bld_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void bld_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void bld_errorp(struct bld_error **e) { bld_error_free(*e); }
void bld_strvp(char ***v);

#define cleanup_free __attribute__((cleanup(bld_freep)))
#define cleanup_close __attribute__((cleanup(bld_closep)))
#define cleanup_fclose __attribute__((cleanup(bld_fclosep)))
#define cleanup_error __attribute__((cleanup(bld_errorp)))
#define cleanup_strv __attribute__((cleanup(bld_strvp)))

static inline void *bld_steal_pointer(void *pp)
{
	void **p = (void **)pp;
	void *r = *p;
	*p = NULL;
	return r;
}
static inline int bld_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
#define steal_pointer(pp) bld_steal_pointer(pp)
#define steal_fd(fdp) bld_steal_fd(fdp)

/* bld's version (`bld version`, provenance's builder.version); a build may define it. */
#ifndef BLD_VERSION
#define BLD_VERSION "0.1.0-dev"
#endif

#define BLD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ strings */

/* A growable byte buffer with a cap; data is always NUL-terminated. */
struct bld_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 = BLD_BUF_DEFAULT_MAX */
};
#define BLD_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define BLD_BUF_INIT {NULL, 0, 0, 0}

/* Appends; returns -1 (and appends nothing) when the cap would be exceeded. */
int bld_buf_add(struct bld_buf *b, const void *data, size_t n);
int bld_buf_adds(struct bld_buf *b, const char *s);
int bld_buf_addc(struct bld_buf *b, char c);
int bld_buf_printf(struct bld_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data (caller frees; never NULL) and resets the buffer. */
char *bld_buf_detach(struct bld_buf *b);
void bld_buf_dispose(struct bld_buf *b);
void bld_buf_reset(struct bld_buf *b);
static inline const char *bld_buf_str(const struct bld_buf *b) { return b->data ? b->data : ""; }

/* NULL-terminated string vectors. */
size_t bld_strv_len(char *const *v);
/* Whether s is one of v's strings; v may be NULL. */
bool bld_strv_has(char *const *v, const char *s);
void bld_strv_free(char **v);
/* Appends a copy of s; *v may be NULL. */
void bld_strv_push(char ***v, const char *s);
char **bld_strv_dup(char *const *v);
/* The values given for key in "KEY=VALUE" strings (filters, labels), in order: a new strv,
 * NULL when key is not there. */
char **bld_strv_values(char *const *kv, const char *key);
/* "K=V" environment vectors: the value of K (NULL when absent); set K to value in place or
 * at the end (value NULL removes K). */
const char *bld_strv_env_get(char *const *v, const char *name);
void bld_strv_env_set(char ***v, const char *name, const char *value);

bool bld_str_has_prefix(const char *s, const char *prefix);
bool bld_str_has_suffix(const char *s, const char *suffix);
/* strtol with full checking: the whole string must be a number in [min, max]. */
int bld_parse_long(const char *s, long min, long max, long *out);
/* The monotonic clock (CLOCK_MONOTONIC) in nanoseconds and in milliseconds: for durations and
 * deadlines, never for dates. */
int64_t bld_mono_ns(void);
int64_t bld_mono_ms(void);
/* Seconds since the epoch of an RFC 3339 time (docker's and OCI's "created"), or -1. */
int64_t bld_time_parse(const char *rfc3339);
/* The same in nanoseconds, its fraction kept (times out of int64's range clamp to its
 * bounds); -1 when it is not one. */
int bld_time_parse_ns(const char *rfc3339, int64_t *ns);
/* "1k", "16m", "2g", "512" (bytes) as docker reads sizes; returns -1 on bad input. */
int bld_parse_size(const char *s, int64_t *out);
/* Human size as docker prints it ("1.23MB"). */
void bld_format_size(char *out, size_t n, double bytes);
/* docker's units.BytesSize: binary units, four significant digits ("1.5MiB", "23.54GiB"). */
void bld_format_size_binary(char *out, size_t n, double bytes);

/* ------------------------------------------------------------------ logging */

enum bld_log_level { BLD_LOG_ERROR, BLD_LOG_WARN, BLD_LOG_INFO, BLD_LOG_DEBUG };

void bld_log_set_level(enum bld_log_level level);
enum bld_log_level bld_log_get_level(void);
void bld_log(enum bld_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define bld_warn(...) bld_log(BLD_LOG_WARN, __VA_ARGS__)
#define bld_info(...) bld_log(BLD_LOG_INFO, __VA_ARGS__)
#define bld_debug(...) bld_log(BLD_LOG_DEBUG, __VA_ARGS__)
/* A test stop point: the process stops itself (SIGSTOP) here the first time it passes a
 * point that BLD_TEST_STOP_AT names, so that a test can run another command or kill it at
 * that exact moment. */
void bld_test_point(const char *name);
/* Whether fd is a terminal (progress bars) — false when NO_COLOR-style plain output is asked. */
bool bld_is_tty(int fd);

/* ------------------------------------------------------------------ digests */

#define BLD_SHA256_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define BLD_DIGEST_STR_LEN (7 + BLD_SHA256_HEX_LEN + 1)

struct bld_sha256; /* streaming state, opaque */
struct bld_sha256 *bld_sha256_new(void);
void bld_sha256_update(struct bld_sha256 *h, const void *data, size_t n);
/* Writes "sha256:<hex>" into out (BLD_DIGEST_STR_LEN bytes) and frees h. */
void bld_sha256_final(struct bld_sha256 *h, char out[BLD_DIGEST_STR_LEN]);
void bld_sha256_digest(const void *data, size_t n, char out[BLD_DIGEST_STR_LEN]);
/* Digest of a whole file. */
int bld_sha256_file(int fd, char out[BLD_DIGEST_STR_LEN], struct bld_error **err);
/* The same, with the file's SHA-1 in lower-case hex beside it (SPDX wants both of a file). */
int bld_sha1_sha256_file(int fd, char sha1[41], char sha256[BLD_DIGEST_STR_LEN],
			 struct bld_error **err);
/* True when s is "sha256:" followed by exactly 64 lower-case hex digits. */
bool bld_digest_valid(const char *s);

/* XXH3-128 for local fingerprints and cache keys, as 32 lower-case hex digits. */
#define BLD_XXH_HEX_LEN 32
struct bld_xxh;
struct bld_xxh *bld_xxh_new(void);
void bld_xxh_update(struct bld_xxh *h, const void *data, size_t n);
/* Adds a length-prefixed string so that field boundaries are unambiguous. */
void bld_xxh_update_str(struct bld_xxh *h, const char *s);
void bld_xxh_final(struct bld_xxh *h, char out[BLD_XXH_HEX_LEN + 1]);
void bld_xxh_digest(const void *data, size_t n, char out[BLD_XXH_HEX_LEN + 1]);

/* ------------------------------------------------------------------ JSON */

/* Forward declaration of jansson's type so that users need not include jansson. */
struct json_t;
/* Parses at most max bytes from a file (BLD_E_INVALID with the position on bad JSON). */
int bld_json_load_file(struct json_t **out, const char *path, size_t max, struct bld_error **err);
int bld_json_load_buf(struct json_t **out, const void *data, size_t n, struct bld_error **err);
/* Compact, key-sorted serialisation: the same value always gives the same bytes. */
char *bld_json_dump_canonical(const struct json_t *v);
/* Pretty serialisation with 4-space indentation, as docker inspect prints. */
char *bld_json_dump_pretty(const struct json_t *v);
/* Borrowed string member or NULL. */
const char *bld_json_get_str(const struct json_t *obj, const char *key);
/* A new JSON array of the strings of v (NULL: an empty array). */
struct json_t *bld_json_strv(char *const *v);
/* The strings of a JSON array as a vector (caller frees; NULL when there are none). */
char **bld_json_to_strv(const struct json_t *arr);
/* "K=V" strings (labels, options) as a JSON object of strings; a string without "=" is K
 * with "" (NULL: an empty object). */
struct json_t *bld_json_kv_object(char *const *kv);
/* s split at any of the delimiter characters, empty parts left out (caller frees; NULL when
 * nothing is left). */
char **bld_strv_split(const char *s, const char *delims);
/* Drops the reference a json_t local owns (NULL is harmless): `cleanup_json json_t *v = NULL;`
 * for every jansson object a function creates or takes a reference to; hand it on with
 * steal_pointer(&v). */
void bld_jsonp(struct json_t **v);
#define cleanup_json __attribute__((cleanup(bld_jsonp)))

/* ------------------------------------------------------------------ files */

/* Whether path is a directory with no entries (false when it cannot be read). */
bool bld_fs_dir_is_empty(const char *path);
/* Reads a whole file, at most max bytes (BLD_E_INVALID when larger); *out is NUL-terminated. */
int bld_fs_read_file(const char *path, size_t max, char **out, size_t *len,
		     struct bld_error **err);
int bld_fs_read_fd(int fd, size_t max, char **out, size_t *len, struct bld_error **err);
/* path opened for reading (O_CLOEXEC): the descriptor, or the error's negative code
 * (BLD_E_NOTFOUND when it does not exist, else BLD_E_SYSTEM). */
int bld_fs_open_read(const char *path, struct bld_error **err);
/* Writes data to dirfd/name through a temporary file, fsync and rename (atomic). */
int bld_fs_write_atomic(int dirfd, const char *name, const void *data, size_t n, mode_t mode,
			struct bld_error **err);
/* mkdir -p with mode for each created component. */
int bld_fs_mkdir_p(const char *path, mode_t mode, struct bld_error **err);
/* rm -rf that never crosses into another filesystem and never follows symlinks. */
int bld_fs_rm_rf(const char *path, struct bld_error **err);
/* The names in the directory dirfd (but . and ..), sorted bytewise, at most max of them;
 * -errno when it cannot be read. Caller frees *out with bld_strv_free (NULL when empty). */
int bld_fs_sorted_names(int dirfd, size_t max, char ***out);
/* All n bytes to fd, across short writes and EINTR; -errno when a write fails. */
int bld_fs_write_all(int fd, const void *data, size_t n);
/* fsync a directory (after a rename into it). */
int bld_fs_fsync_dir(int dirfd);
/*
 * Opens path relative to rootfd with every component confined inside the root (symlinks
 * and ".." resolved as if rootfd were "/"), like openat2(RESOLVE_IN_ROOT); a fallback walks
 * the path component by component where openat2 is unavailable. Returns an fd or -errno.
 */
int bld_fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* The component-walk fallback alone, for tests. */
int bld_fs_open_in_root_fallback(int rootfd, const char *path, int flags, mode_t mode);
/* Cleans a path lexically like Go's path.Clean ("a/./b/../c" -> "a/c"); caller frees. */
char *bld_path_clean(const char *path);
/* Joins two path parts with one slash; caller frees. */
char *bld_path_join(const char *a, const char *b);
/* Creates a fresh directory under $TMPDIR (or /tmp) named prefix-XXXXXX; caller frees. */
char *bld_fs_mkdtemp(const char *prefix, struct bld_error **err);

/* ------------------------------------------------------------------ context */

/* What travels through every call instead of global state. */
struct bld_ctx {
	char *root;   /* $BLD_ROOT: the store */
	bool tty;     /* stderr is a terminal: progress bars, else plain lines */
	bool quiet;   /* -q */
	char *config_dir; /* docker-style config dir (~/.docker or $DOCKER_CONFIG) */
	char *run_dir;    /* runtime state: /run/bld, rootless $XDG_RUNTIME_DIR/bld or /tmp/bld-UID */
};

/* Fills ctx from the environment (BLD_ROOT, DOCKER_CONFIG, HOME, XDG_DATA_HOME,
 * XDG_RUNTIME_DIR). */
int bld_ctx_init(struct bld_ctx *ctx, struct bld_error **err);
void bld_ctx_dispose(struct bld_ctx *ctx);
/* Whether bld runs for a user who is not root: not uid 0, or root of a user namespace whose
 * uid 0 is not the host's (cached probe). */
bool bld_rootless(void);
/* The user's host uid (what uid 0 of the rootless namespace maps to; geteuid() outside). */
uid_t bld_rootless_host_uid(void);
/* Rootless with the user alone mapped (no /etc/subuid ranges): ids other than 0 do not exist. */
bool bld_rootless_single_id(void);
/* Why an id other than 0 fails rootless without ranges, and what to do: the tail of every
 * error that says so. */
#define BLD_ROOTLESS_SINGLE_ID_WHY                                                               \
	"rootless without subordinate ids maps only the user (as 0); add ranges for the user to " \
	"/etc/subuid and /etc/subgid (newuidmap(1))"
/* The error of a failed chown of path to uid:gid: when the ids are not mapped (rootless
 * without ranges), says so and what to do; errno's text otherwise. Returns -1. */
int bld_error_chown(struct bld_error **err, int errnum, const char *path, unsigned long uid,
		    unsigned long gid);

/* The build-time version string (version.c). */
extern const char bld_version[];

/* ------------------------------------------------------------------ lazy library loading */

/* For the generated shims (tools/gen-dlshim.py) only: returns the address of `name` in
 * `soname`, dlopen()ing it into *handle on first use and caching the result in *fn.
 * Aborts with one line on stderr if the library or symbol cannot be loaded. */
void *bld_dlshim_sym(void **handle, void **fn, const char *soname, const char *name);

/* ------------------------------------------------------------------ top directories (topdir.c) */

/* Marks dirfd FS_TOPDIR_FL (once), so that ext4 spreads the trees made below it over block
 * groups of their own; 0, or -errno where the filesystem has no such flag (harmless). */
int bld_fs_mark_topdir(int dirfd);

/* ------------------------------------------------------------------ printable text */

/* s (NULL: "") with control characters written as \xNN and cut after max bytes ("..."
 * added), for quoting outside text in an error line; caller frees. */
char *bld_str_printable(const char *s, size_t max);

#endif
