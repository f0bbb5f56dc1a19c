/*
 * parser/json_array.c — the exec-form reader: decides, as Go's json.Unmarshal into []any
 * does, whether an instruction's rest is a JSON array, and collects its strings. Strict
 * RFC 8259 syntax, Go's whitespace set, a nesting limit of 10000, invalid UTF-8 and lone
 * surrogates decoded to U+FFFD, numbers that overflow float64 treated as a decode error
 * (so the line falls back to shell form, as in BuildKit). It builds no general JSON tree.
 */
#include "parser/parser_int.h"

#include <errno.h>
#include <math.h>

#define JSON_MAX_DEPTH 10000

struct jp {
	const char *s;
	size_t n, i;
	int depth;
	bool type_error;  /* valid syntax, but Go could not decode it into []any */
	bool non_string;  /* a top-level element is not a string */
	struct bld_parser_words *out;
};

static void skip_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
			       p->s[p->i] == '\r'))
		p->i++;
}

static int hex4(const char *s, size_t avail, uint32_t *out)
{
	uint32_t v = 0;
	if (avail < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = s[k];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* After "\u" of a high or low surrogate: combine with a following "\uDC00".."\uDFFF". */
static uint32_t surrogate(struct jp *p, uint32_t hi)
{
	uint32_t lo;
	if (hi <= 0xDBFF && p->i + 6 <= p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u' &&
	    hex4(p->s + p->i + 2, p->n - p->i - 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
		p->i += 6;
		return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
	}
	return BLD_RUNE_ERROR;
}

static int escape(struct jp *p, struct bld_buf *b)
{
	if (p->i >= p->n)
		return -1;
	char c = p->s[p->i++];
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k = strchr(from, c);
	if (c && k)
		return bld_buf_addc(b, to[k - from]);
	if (c != 'u')
		return -1;
	uint32_t cp;
	if (hex4(p->s + p->i, p->n - p->i, &cp) < 0)
		return -1;
	p->i += 4;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		cp = surrogate(p, cp);
	return bld_parser_utf8_put(b, cp);
}

/* A string at p->i (on the opening quote); appended to out when keep. */
static int string(struct jp *p, bool keep)
{
	struct bld_buf b = BLD_BUF_INIT;
	p->i++;
	int r = -1;
	while (p->i < p->n) {
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') {
			p->i++;
			r = 0;
			break;
		}
		if (c < 0x20)
			break;
		if (c == '\\') {
			p->i++;
			if (escape(p, &b) < 0)
				break;
			continue;
		}
		size_t w;
		uint32_t cp = bld_parser_utf8_decode(p->s + p->i, p->n - p->i, &w);
		if (cp == BLD_RUNE_ERROR && w == 1)
			bld_parser_utf8_put(&b, cp);
		else
			bld_buf_add(&b, p->s + p->i, w);
		p->i += w;
	}
	if (r == 0 && keep)
		bld_parser_words_push(p->out, bld_buf_str(&b), b.len);
	bld_buf_dispose(&b);
	return r;
}

static size_t digits(struct jp *p)
{
	size_t k = 0;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++, k++;
	return k;
}

static int number(struct jp *p)
{
	size_t start = p->i;
	if (p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (digits(p) == 0)
		return -1;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (digits(p) == 0)
			return -1;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (digits(p) == 0)
			return -1;
	}
	char *tmp = xstrndup(p->s + start, p->i - start);
	errno = 0;
	double d = strtod(tmp, NULL);
	if (errno == ERANGE && isinf(d))
		p->type_error = true;
	free(tmp);
	return 0;
}

static int value(struct jp *p, bool top_element);

static int container(struct jp *p, char close, bool object)
{
	if (++p->depth > JSON_MAX_DEPTH)
		return -1;
	p->i++;
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (object) {
			if (p->i >= p->n || p->s[p->i] != '"' || string(p, false) < 0)
				return -1;
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i++] != ':')
				return -1;
		}
		if (value(p, false) < 0)
			return -1;
		skip_ws(p);
		if (p->i >= p->n)
			return -1;
		char c = p->s[p->i++];
		if (c == close)
			break;
		if (c != ',')
			return -1;
	}
	p->depth--;
	return 0;
}

static int literal(struct jp *p, const char *word)
{
	size_t k = strlen(word);
	if (p->n - p->i < k || memcmp(p->s + p->i, word, k) != 0)
		return -1;
	p->i += k;
	return 0;
}

static int value(struct jp *p, bool top_element)
{
	skip_ws(p);
	if (p->i >= p->n)
		return -1;
	char c = p->s[p->i];
	if (c == '"')
		return string(p, top_element);
	if (top_element)
		p->non_string = true;
	switch (c) {
	case '[': return container(p, ']', false);
	case '{': return container(p, '}', true);
	case 't': return literal(p, "true");
	case 'f': return literal(p, "false");
	case 'n': return literal(p, "null");
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(p);
	return -1;
}

/* The top-level array: its elements are collected, not just checked. */
static int top_array(struct jp *p)
{
	p->i++;
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
		return 0;
	}
	p->depth = 1;
	for (;;) {
		if (value(p, true) < 0)
			return -1;
		skip_ws(p);
		if (p->i >= p->n)
			return -1;
		char c = p->s[p->i++];
		if (c == ']')
			return 0;
		if (c != ',')
			return -1;
	}
}

enum bld_parser_json_result bld_parser_json_array(struct bld_parser_words *out, const char *s,
						  size_t n)
{
	size_t skip = n - bld_parser_ltrim(s, n);
	struct bld_parser_words tmp = {0};
	struct jp p = {.s = s + skip, .n = n - skip, .out = &tmp};
	if (p.n == 0 || p.s[0] != '[')
		return BLD_PARSER_JSON_NOT_ARRAY;
	int r = top_array(&p);
	skip_ws(&p);
	if (r < 0 || p.i != p.n || p.type_error) {
		bld_parser_words_dispose(&tmp);
		return BLD_PARSER_JSON_NOT_ARRAY;
	}
	if (p.non_string) {
		bld_parser_words_dispose(&tmp);
		return BLD_PARSER_JSON_NOT_STRING;
	}
	*out = tmp;
	return BLD_PARSER_JSON_OK;
}
