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

/* === shell words: Docker's variable expansion (shell.c) === */

/*
 * BuildKit's shell-word lexer (frontend/dockerfile/shell), rule for rule: quote removal ('...'
 * literal; "..." where only the escape character before " $ or itself escapes), the escape
 * character ('\\' or '`', from the escape directive) outside quotes, $v and ${v}, ${v:-w},
 * ${v-w}, ${v:+w}, ${v+w}, ${v:?msg}, ${v?msg}, ${v#p}, ${v##p}, ${v%p}, ${v%%p}, ${v/p/r} and
 * ${v//p/r} (patterns: * ? and \\-escapes; // replacement expands $$, $0 and ${0} as Go's
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

#endif
