/*
 * parser/parser_int.h — what the files of parser/ share and nobody else sees: UTF-8 and
 * Unicode helpers with Go's semantics (BuildKit is written in Go, and its byte-level quirks
 * decide what a Dockerfile means), the JSON-array reader, word lists.
 */
#ifndef BLD_PARSER_INT_H
#define BLD_PARSER_INT_H

#include "parser/parser.h"

#define BLD_RUNE_ERROR 0xFFFDu

/*
 * Decodes one code point at s[0..n) as Go's utf8.DecodeRune: invalid, overlong, surrogate or
 * truncated sequences give BLD_RUNE_ERROR with width 1. n must be > 0.
 */
uint32_t bld_parser_utf8_decode(const char *s, size_t n, size_t *width);
/* Decodes the last code point of s[0..n) as Go's utf8.DecodeLastRune. */
uint32_t bld_parser_utf8_decode_last(const char *s, size_t n, size_t *width);
/* Writes the UTF-8 encoding of cp to o (invalid code points, negative runes included, become
 * U+FFFD); returns its length (1 to 4). */
size_t bld_parser_utf8_encode(uint32_t cp, char o[4]);
/* Appends the UTF-8 encoding of cp (invalid code points become U+FFFD). */
int bld_parser_utf8_put(struct bld_buf *b, uint32_t cp);
/* Go's unicode.IsSpace. */
bool bld_parser_isspace(uint32_t cp);
/* Go's unicode.IsSpace applied to a single byte taken as a code point (rune(b)). */
static inline bool bld_parser_isspace_byte(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0;
}
/* Go's strconv.IsPrint for non-ASCII code points (unicode_print.c). */
bool bld_parser_unicode_isprint(uint32_t cp);
/* Length of s[0..n) after strings.TrimLeftFunc(unicode.IsSpace) removed a prefix. */
size_t bld_parser_ltrim(const char *s, size_t n);
/* Length of s[0..n) after TrimRightFunc(unicode.IsSpace). */
size_t bld_parser_rtrim(const char *s, size_t n);
/* strings.ToLower as far as bld needs it: ASCII, Latin-1, the Kelvin sign; caller frees. */
char *bld_parser_lower(const char *s, size_t n);

/* A growable list of words. */
struct bld_parser_words {
	struct bld_parser_word *v;
	size_t n, cap;
};
void bld_parser_words_push(struct bld_parser_words *w, const char *s, size_t len);
void bld_parser_words_dispose(struct bld_parser_words *w);
void bld_parser_word_set(struct bld_parser_word *w, const char *s, size_t len);

enum bld_parser_json_result {
	BLD_PARSER_JSON_OK,         /* a JSON array of strings: *out filled */
	BLD_PARSER_JSON_NOT_ARRAY,  /* not JSON, or not an array: the caller uses shell form */
	BLD_PARSER_JSON_NOT_STRING, /* a valid array holding a non-string: a parse error */
};
/* Reads s[0..n) as Go's json.Unmarshal into []any followed by the string check. */
enum bld_parser_json_result bld_parser_json_array(struct bld_parser_words *out, const char *s,
						  size_t n);

/*
 * Fills node from one logical line (keyword, flags, arguments; ONBUILD recursively up to
 * BLD_PARSER_MAX_ONBUILD_DEPTH). On failure the cause has no line prefix; the caller adds it.
 * Dispose node with bld_parser_node_dispose either way.
 */
int bld_parser_node_from_line(struct bld_parser_node *node, const char *line, size_t len,
			      char esc, int depth, struct bld_error **err);
void bld_parser_node_dispose(struct bld_parser_node *n);

#endif
