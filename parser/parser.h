/*
 * parser/parser.h — the Dockerfile front end: bytes in, AST and instruction graph out.
 * Reads Dockerfiles (directives, continuations, heredocs, JSON vs shell form), expands
 * variables with Docker's shell-word rules, matches .dockerignore patterns, and links
 * stages into a graph. It does no I/O of its own: callers hand it buffers.
 *
 * Includes nothing but common/.
 */
#ifndef BLD_PARSER_H
#define BLD_PARSER_H

#include "common/common.h"

/* === AST and instruction graph (parser.c, graph.c, ...) === */

/* Caps on what a Dockerfile may make the parser build. */
#define BLD_PARSER_MAX_DOCKERFILE ((size_t)16 << 20) /* bytes of one Dockerfile */
#define BLD_PARSER_MAX_LINE 65535                    /* one physical line (BuildKit's limit) */
#define BLD_PARSER_MAX_ONBUILD_DEPTH 64               /* ONBUILD ONBUILD ... nesting */
#define BLD_PARSER_MAX_INSTRUCTIONS 100000            /* instructions in one Dockerfile */
#define BLD_PARSER_MAX_STAGES 10000                   /* FROM lines in one Dockerfile */

/* A byte string that may hold NUL bytes (JSON "\u0000"); s is NUL-terminated as well. */
struct bld_parser_word {
	char *s;
	size_t len;
};

struct bld_parser_heredoc {
	char *name;     /* terminator, quotes removed */
	unsigned fd;    /* 3<<EOF gives 3; 0 when none is written */
	bool expand;    /* no part of the name was quoted */
	bool chomp;     /* <<- : leading tabs are stripped from the body later */
	struct bld_parser_word content; /* raw body lines with their newlines */
};

/* One instruction as BuildKit's parser sees it: nothing unquoted, nothing expanded. */
struct bld_parser_node {
	struct bld_parser_word keyword; /* as written ("Run") */
	char *cmd;                      /* lower-cased keyword ("run") */
	struct bld_parser_word *flags;  /* leading --flags, quotes and escapes removed */
	size_t nflags;
	struct bld_parser_word *args;   /* argument nodes, split per instruction */
	size_t nargs;
	struct bld_parser_node *sub;    /* ONBUILD's nested instruction, else NULL */
	bool json;                      /* exec (JSON array) form */
	struct bld_parser_heredoc *heredocs;
	size_t nheredocs;
	struct bld_parser_word original; /* the logical line, continuations joined */
	int start_line, end_line;       /* 1-based, continuation and heredoc lines included */
};

struct bld_parser_ast {
	struct bld_parser_node *nodes; /* top-level instructions in source order */
	size_t n;
	char escape;   /* '\\' or '`' */
	char *syntax;  /* the syntax directive's value or NULL */
	char *check;   /* the check directive's value or NULL */
	int empty_continuation_lines; /* BuildKit warns about these */
};

/*
 * Parses a whole Dockerfile held in data[0..len) into *out (free with
 * bld_parser_ast_free). Errors are BLD_E_INVALID with "Dockerfile:LINE: cause". Never
 * reads beyond len; input larger than BLD_PARSER_MAX_DOCKERFILE is refused.
 */
int bld_parser_parse(struct bld_parser_ast **out, const char *data, size_t len,
		     struct bld_error **err);
void bld_parser_ast_free(struct bld_parser_ast *ast);

/* Appends BuildKit's Node.Dump() of the whole file plus "\n" (the conformance `result`). */
int bld_parser_dump_buildkit(struct bld_buf *out, const struct bld_parser_ast *ast);
/* Appends one node's dump without parentheses ("run \"echo\""). */
int bld_parser_dump_node(struct bld_buf *out, const struct bld_parser_node *n);
/* Appends a JSON document with every instruction: lines, flags, args, heredocs. */
int bld_parser_dump_json(struct bld_buf *out, const struct bld_parser_ast *ast);
/* Appends s quoted as Go's strconv.Quote does. */
int bld_parser_quote(struct bld_buf *out, const char *s, size_t len);

/*
 * BuildKit's ParseHeredoc on one word: 1 and *out filled when it is a heredoc, 0 when it is
 * not, < 0 (BLD_E_INVALID) when it is a broken one ("<<'EOF"). Free with
 * bld_parser_heredoc_dispose.
 */
int bld_parser_heredoc_parse_word(struct bld_parser_heredoc *out, const char *word,
				  struct bld_error **err);
/* The heredocs that an instruction line announces, in order (*out NULL-free when 0). */
int bld_parser_heredocs_from_line(struct bld_parser_heredoc **out, size_t *n, const char *line,
				  size_t len, struct bld_error **err);
/*
 * The heredocs one whole instruction line announces, as the parser decides: only RUN, COPY,
 * ADD (also inside ONBUILD), only in shell form. Bodies are empty. Free each with
 * bld_parser_heredoc_dispose and the array with free().
 */
int bld_parser_instruction_heredocs(struct bld_parser_heredoc **out, size_t *n, const char *line,
				    size_t len, char escape, struct bld_error **err);
void bld_parser_heredoc_dispose(struct bld_parser_heredoc *h);
/* A <<- body: leading tabs removed from every line (ChompHeredocContent); caller frees. */
char *bld_parser_heredoc_chomp(const char *s, size_t n);

/* --- typed instructions (instructions.c): the validation pass over the raw AST --- */

enum bld_parser_kind {
	BLD_PARSER_FROM, BLD_PARSER_RUN, BLD_PARSER_CMD, BLD_PARSER_LABEL, BLD_PARSER_EXPOSE,
	BLD_PARSER_ENV, BLD_PARSER_ADD, BLD_PARSER_COPY, BLD_PARSER_ENTRYPOINT, BLD_PARSER_VOLUME,
	BLD_PARSER_USER, BLD_PARSER_WORKDIR, BLD_PARSER_ARG, BLD_PARSER_ONBUILD,
	BLD_PARSER_STOPSIGNAL, BLD_PARSER_HEALTHCHECK, BLD_PARSER_SHELL, BLD_PARSER_MAINTAINER,
};

/* ENV/LABEL pairs (value always set) and ARG declarations (has_value false: no default). */
struct bld_parser_kv {
	char *key;
	char *value;
	bool has_value;
	bool no_delim; /* legacy "KEY value" form */
};

enum bld_parser_mount_type {
	BLD_PARSER_MOUNT_BIND, BLD_PARSER_MOUNT_CACHE, BLD_PARSER_MOUNT_TMPFS,
	BLD_PARSER_MOUNT_SECRET, BLD_PARSER_MOUNT_SSH,
};

/* One RUN --mount, every option BuildKit knows; strings NULL when not given. */
struct bld_parser_mount {
	enum bld_parser_mount_type type;
	char *from, *source, *target, *id, *sharing, *env;
	bool readonly, required;
	int64_t size;            /* tmpfs size in bytes, 0 = unset */
	bool has_mode, has_uid, has_gid;
	unsigned long mode, uid, gid;
};

/* A heredoc used as a COPY/ADD source. */
struct bld_parser_source_content {
	char *path;  /* the heredoc name */
	char *data;  /* body, tabs already stripped for <<- */
	bool expand;
};

struct bld_parser_instruction {
	enum bld_parser_kind kind;
	const struct bld_parser_node *node; /* borrowed from the AST it came from */
	int start_line, end_line;
	/*
	 * The command line: RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD (one joined string in
	 * shell form), EXPOSE ports, VOLUME paths, the one argument of USER, WORKDIR,
	 * STOPSIGNAL, MAINTAINER, ONBUILD's expression. NULL-terminated, never NULL.
	 */
	char **args;
	bool prepend_shell; /* shell form: run through SHELL */
	struct bld_parser_kv *kvs; /* ENV, LABEL, ARG */
	size_t nkvs;
	/* FROM */
	char *base, *stage_name, *platform; /* stage_name lower-cased or NULL */
	/* ADD / COPY */
	char **sources; /* paths, NULL-terminated, never NULL */
	struct bld_parser_source_content *contents;
	size_t ncontents;
	char *dest, *from, *chown, *chmod, *checksum;
	char **excludes; /* NULL-terminated, never NULL */
	bool link, parents;
	int keep_git_dir, unpack; /* -1 unset, else 0/1 */
	/* RUN */
	struct bld_parser_mount *mounts;
	size_t nmounts;
	char *network, *security; /* NULL: default */
	char **devices;           /* NULL-terminated, never NULL */
	/* RUN/CMD/ENTRYPOINT heredoc files: the node's heredocs */
	/* HEALTHCHECK */
	bool health_none;
	char **health_test; /* {"CMD"|"CMD-SHELL", ...} or {"NONE"} */
	int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
	int retries;
};

/* A stage: its FROM and the instructions up to the next FROM. */
struct bld_parser_stage {
	size_t index;
	char *name;     /* lower-cased AS name or NULL */
	const struct bld_parser_instruction *from;
	size_t first, count; /* its instructions: ins[first .. first+count) after the FROM */
	/* filled by bld_parser_graph_build */
	char *base;     /* base name after global ARG expansion */
	char *platform; /* --platform after expansion, or NULL */
	long base_stage; /* index of the stage it is built on, -1 for an image or scratch */
	size_t *deps;    /* distinct stage indices it needs (base, --from, mount from) */
	size_t ndeps;
	char **images;   /* image names used by COPY --from / RUN --mount from=; never NULL */
	bool needed;     /* reachable from the target */
	bool replaced;   /* a named build context stands for it: no edges, nothing of it runs */
};

struct bld_parser_dockerfile {
	struct bld_parser_ast *ast;
	struct bld_parser_instruction *ins; /* every top-level instruction, in order */
	size_t nins;
	size_t nmeta;   /* ins[0 .. nmeta) are the global ARGs before the first FROM */
	struct bld_parser_stage *stages;
	size_t nstages;
	long target;    /* index of the target stage once the graph is built, else -1 */
	char **meta_env; /* global ARG values as "KEY=VALUE" after the graph is built */
	void *name_index; /* graph.c's private lookup table (freed with the Dockerfile) */
	/*
	 * Stages a named build context replaces (BuildKit: a context named like a stage stands
	 * for the whole stage), by index; set by the caller before bld_parser_graph_build, which
	 * gives them no edges. NULL: none. Owned by the Dockerfile (nstages entries).
	 */
	bool *replaced;
};

/*
 * Parses and validates a Dockerfile: unknown instructions, instructions before the first
 * FROM (other than ARG), unknown, duplicate or malformed flags, wrong argument counts, bad
 * mounts, HEALTHCHECK values, SHELL not in JSON form. Errors are BLD_E_INVALID with
 * "Dockerfile:LINE: cause". Free with bld_parser_dockerfile_free.
 */
int bld_parser_dockerfile_new(struct bld_parser_dockerfile **out, const char *data, size_t len,
			      struct bld_error **err);
void bld_parser_dockerfile_free(struct bld_parser_dockerfile *df);
/* The typed form of one node (ONBUILD triggers use it); dispose with _instruction_dispose. */
int bld_parser_instruction_parse(struct bld_parser_instruction *out,
				 const struct bld_parser_node *node, struct bld_error **err);
void bld_parser_instruction_dispose(struct bld_parser_instruction *in);
/* One --mount value (CSV fields) as BuildKit reads it. */
int bld_parser_mount_parse(struct bld_parser_mount *out, const char *value,
			   struct bld_error **err);
void bld_parser_mount_dispose(struct bld_parser_mount *m);
/* Go's time.ParseDuration ("1m30s", "1.5h", "300ms"); nanoseconds. */
int bld_parser_duration(const char *s, int64_t *ns);
/* A time as docker's --since, --until and until= filters take it (its GetTimestamp): a
 * duration before now (unix seconds; "10m"), an RFC 3339 date or a part of one ("2024-01-02",
 * "2024-01-02T15:04"; local time unless it names a zone), or unix seconds with up to nine
 * decimals; nanoseconds since the epoch. -1 when it is none of them. */
int bld_parser_timestamp(const char *s, int64_t now, int64_t *ns);
/* The same for a filter's until= value v, refused in dockerd's words. */
int bld_parser_until(const char *v, int64_t now, int64_t *ns, struct bld_error **err);
const char *bld_parser_kind_name(enum bld_parser_kind k); /* "RUN" */

/*
 * Links the stages: global ARGs (build_args "K=V" override their defaults; bld's
 * TARGETPLATFORM, BUILDPLATFORM and friends are predefined) are expanded into FROM lines;
 * FROM <earlier stage>, COPY --from=<stage|index> and RUN --mount=from=<stage> become
 * edges, also in the ONBUILD triggers of a stage's base stage; names that are no stage are
 * images. A stage df->replaced marks has no edges (nothing of it runs). target NULL means
 * the last stage. Errors:
 * unknown target, stage index out of range, cycles, blank base names, expansion errors.
 */
int bld_parser_graph_build(struct bld_parser_dockerfile *df, const char *target,
			   char *const *build_args, struct bld_error **err);
/* Appends a human-readable description of the graph (bld parse --graph). */
int bld_parser_graph_dump(struct bld_buf *out, const struct bld_parser_dockerfile *df);

/* === shell words: Docker's variable expansion (shell.c) === */

/*
 * BuildKit's shell-word lexer (frontend/dockerfile/shell), rule for rule: quote removal ('...'
 * literal; "..." where only the escape character before " $ or itself escapes), the escape
 * character ('\' or '`', from the escape directive) outside quotes, $v and ${v}, ${v:-w},
 * ${v-w}, ${v:+w}, ${v+w}, ${v:?msg}, ${v?msg}, ${v#p}, ${v##p}, ${v%p}, ${v%%p}, ${v/p/r} and
 * ${v//p/r} (patterns: * ? and \-escapes; // replacement expands $$, $0 and ${0} as Go's
 * regexp does), positional and special parameters ($1, $@, ...) looked up like any name, and
 * the same syntax errors ("bad substitution", "missing '}'", "unsupported modifier", unclosed
 * quotes). Invalid UTF-8 bytes become U+FFFD and a leading BOM is dropped, as Go's scanner does.
 *
 * env is a NULL-terminated "KEY=VALUE" vector (an entry without '=' is KEY with an empty
 * value); when a KEY repeats the last one wins; env == NULL is the empty environment. Names
 * compare case-sensitively (Unix). Every error is BLD_E_INVALID with the text
 * `failed to process "<word>": <why>`. The input and each result are capped at
 * BLD_PARSER_SHELL_MAX bytes.
 */
#define BLD_PARSER_SHELL_MAX ((size_t)16 << 20)

/* Lexer modes of BuildKit's shell.Lex, for the callers that need them (heredoc words, RUN). */
enum {
	BLD_PARSER_SHELL_RAW_QUOTES = 1 << 0,   /* keep the quote characters (Lex.RawQuotes) */
	BLD_PARSER_SHELL_RAW_ESCAPES = 1 << 1,  /* keep the escape characters (Lex.RawEscapes) */
	BLD_PARSER_SHELL_SKIP_QUOTES = 1 << 2,  /* quotes are plain characters (SkipProcessQuotes) */
	BLD_PARSER_SHELL_SKIP_UNSET = 1 << 3,   /* leave ${unset...} as written (SkipUnsetEnv) */
};

/* Everything one expansion yields; the caller owns all of it (bld_parser_shell_result_dispose). */
struct bld_parser_shell_result {
	char *word;       /* the expanded word (ProcessWord) */
	char **words;     /* the fields (ProcessWords); NULL-terminated, never NULL */
	char **matched;   /* sorted names that were referenced and set; never NULL */
	char **unmatched; /* sorted names that were referenced and unset; never NULL */
};

/* ProcessWord: *out is the expanded word (caller frees). */
int bld_parser_shell_word(char **out, const char *word, char escape, char *const *env,
			  struct bld_error **err);
/*
 * ProcessWords: *out is the NULL-terminated list of fields (caller frees with
 * bld_strv_free). Text from $-expansions outside quotes is split on Unicode white space;
 * quoted text is not. Like BuildKit since dockerfile 1.10, a nested ${v:-...} operator
 * discards the unfinished field before it ("a${X:-b}" gives "b"): kept on purpose.
 */
int bld_parser_shell_words(char ***out, const char *word, char escape, char *const *env,
			   struct bld_error **err);
/*
 * ProcessWordWithMatches: *out as bld_parser_shell_word; *matched and *unmatched (each may
 * be NULL when not wanted; caller frees with bld_strv_free) are the sorted, distinct names
 * the word referenced that were set and unset (for unused/undefined build-arg warnings). On
 * failure nothing is returned.
 */
int bld_parser_shell_word_matches(char **out, char ***matched, char ***unmatched,
				  const char *word, char escape, char *const *env,
				  struct bld_error **err);
/* The general form: flags are BLD_PARSER_SHELL_*; *out is filled only on success. */
int bld_parser_shell_process(struct bld_parser_shell_result *out, const char *word,
			     char escape, unsigned flags, char *const *env,
			     struct bld_error **err);
void bld_parser_shell_result_dispose(struct bld_parser_shell_result *r);

/* === .dockerignore (dockerignore.c) === */

/*
 * Docker's .dockerignore rules (moby/patternmatcher and its ignorefile reader, as BuildKit
 * uses them for the build context and for COPY --exclude). Buffers in, answers out: no I/O.
 *
 * Which file applies is the builder's call and follows docker buildx/BuildKit: for a
 * Dockerfile at <dir>/<name>, the file <dir>/<name>.dockerignore (for example
 * "app/Dockerfile.dockerignore" or "build/web.Dockerfile.dockerignore") is used when it
 * exists, and <context>/.dockerignore is then ignored entirely; otherwise
 * <context>/.dockerignore; with neither, nothing is excluded.
 *
 * Patterns: "*" any run without '/', "?" one character but '/', "[...]" / "[^...]" classes,
 * "\x" escapes x, "**" any number of path segments (a leading "**" is a suffix match; "dir" then
 * a trailing "**" segment matches everything below dir but not dir itself), ".+()$" literal.
 * Like docker, a pattern with a wildcard becomes a Go regexp in which '|', '{' and '}' keep
 * their regexp meaning (upstream's escape table misses them), so "*.c|*.h" is two patterns.
 * A path is excluded when the last pattern that matches it or one of its parent directories
 * is not a "!" exception (exceptions are only tried once something matched, inclusions only
 * while nothing did). Paths are relative to the context root, with '/' separators; "." is never
 * excluded.
 */
#define BLD_PARSER_DOCKERIGNORE_MAX ((size_t)16 << 20) /* bytes of one ignore file */

/*
 * ignorefile.ReadAll: the patterns of a .dockerignore file's bytes (caller frees with
 * bld_strv_free; never NULL). A UTF-8 BOM is stripped; lines whose first byte is '#' are
 * comments; lines are trimmed and blank ones skipped; "!" marks an exception (blanks after it
 * are trimmed); the rest is path-cleaned and one leading '/' dropped. Fails (BLD_E_INVALID)
 * on a line of 64 KiB or more, as Go's line scanner does, or a file over the cap.
 */
int bld_parser_dockerignore_read(char ***out, const char *data, size_t len,
				 struct bld_error **err);

/* A compiled pattern list. */
struct bld_parser_dockerignore;

/*
 * patternmatcher.New: compiles patterns in order (each trimmed and cleaned; empty ones
 * skipped). A lone "!" or a malformed pattern ("[", "[]a]", "[a-b-c]", a trailing "\", ...)
 * fails with BLD_E_INVALID naming it. *out is the caller's (bld_parser_dockerignore_free).
 */
int bld_parser_dockerignore_new(struct bld_parser_dockerignore **out, char *const *patterns,
				struct bld_error **err);
/* read + new in one step, for a .dockerignore buffer. */
int bld_parser_dockerignore_parse(struct bld_parser_dockerignore **out, const char *data,
				  size_t len, struct bld_error **err);
void bld_parser_dockerignore_free(struct bld_parser_dockerignore *m);

/*
 * MatchesOrParentMatches: sets *excluded for path (cleaned first; "." is never excluded). A
 * pattern that only fails when it is used (one that compiles to a bad regular expression,
 * such as "a\1") makes the call fail with BLD_E_INVALID, as docker does.
 */
int bld_parser_dockerignore_match(const struct bld_parser_dockerignore *m, const char *path,
				  bool *excluded, struct bld_error **err);
/* Whether any pattern is a "!" exception. */
bool bld_parser_dockerignore_has_exceptions(const struct bld_parser_dockerignore *m);
/*
 * For a directory that bld_parser_dockerignore_match reported excluded: true when the walk
 * may skip everything below it, because no exception can re-include anything inside (BuildKit
 * fsutil's rule: no exception, after dropping a trailing "**" or "*" segment, may contain any of
 * "*[]?^\", and none may name a path inside dir). False means: walk it, and match each entry.
 */
bool bld_parser_dockerignore_can_skip_dir(const struct bld_parser_dockerignore *m,
					  const char *dir);

/* How patternmatcher classifies one pattern (its compile step), for tests and debugging. */
enum bld_parser_dockerignore_kind {
	BLD_PARSER_DOCKERIGNORE_EXACT,  /* plain string equality */
	BLD_PARSER_DOCKERIGNORE_PREFIX, /* ends in "**": the path starts with what precedes */
	BLD_PARSER_DOCKERIGNORE_SUFFIX, /* "**Y": ends with Y (and "**" "/foo" matches "foo") */
	BLD_PARSER_DOCKERIGNORE_REGEXP, /* everything else: *regexp is the Go regexp */
};
/*
 * Classifies an already-cleaned pattern (without '!'); *regexp (caller frees, may be NULL if
 * unwanted) is the Go regular expression for REGEXP patterns and NULL otherwise. Fails when
 * the regular expression does not compile.
 */
int bld_parser_dockerignore_pattern_kind(enum bld_parser_dockerignore_kind *kind, char **regexp,
					 const char *pattern, struct bld_error **err);

#endif
