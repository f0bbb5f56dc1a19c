/*
 * parser/text.c — byte and code-point helpers with Go's semantics: UTF-8 decoding that
 * turns every invalid byte into U+FFFD, unicode.IsSpace, trimming, lower-casing, and
 * strconv.Quote. BuildKit's behaviour on odd bytes follows from these, so they are exact
 * where it matters (decoding, spaces, quoting) and documented where they are not (ToLower
 * covers ASCII, Latin-1 and the Kelvin sign only).
 */
#include "parser/parser_int.h"

uint32_t bld_parser_utf8_decode(const char *str, size_t n, size_t *width)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	*width = 1;
	if (c < 0x80)
		return c;
	size_t need;
	uint32_t cp, min;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1, cp = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2, cp = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return BLD_RUNE_ERROR;
	}
	if (n < need + 1)
		return BLD_RUNE_ERROR;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return BLD_RUNE_ERROR;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return BLD_RUNE_ERROR;
	*width = need + 1;
	return cp;
}

uint32_t bld_parser_utf8_decode_last(const char *s, size_t n, size_t *width)
{
	/* the start of the last sequence is at most 4 bytes back */
	size_t start = n - 1;
	while (start > 0 && n - start < 4 && (((unsigned char)s[start]) & 0xC0) == 0x80)
		start--;
	size_t w;
	uint32_t cp = bld_parser_utf8_decode(s + start, n - start, &w);
	if (start + w != n) {
		*width = 1;
		return BLD_RUNE_ERROR;
	}
	*width = w;
	return cp;
}

size_t bld_parser_utf8_encode(uint32_t cp, char o[4])
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = BLD_RUNE_ERROR;
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int bld_parser_utf8_put(struct bld_buf *b, uint32_t cp)
{
	char o[4];
	return bld_buf_add(b, o, bld_parser_utf8_encode(cp, o));
}

bool bld_parser_isspace(uint32_t cp)
{
	if (cp <= 0xFF)
		return bld_parser_isspace_byte((unsigned char)cp);
	return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

size_t bld_parser_ltrim(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) { /* ASCII fast path */
			if (!bld_parser_isspace_byte(c))
				break;
			i++;
			continue;
		}
		size_t w;
		uint32_t cp = bld_parser_utf8_decode(s + i, n - i, &w);
		if (!bld_parser_isspace(cp))
			break;
		i += w;
	}
	return n - i;
}

size_t bld_parser_rtrim(const char *s, size_t n)
{
	while (n > 0) {
		unsigned char c = (unsigned char)s[n - 1];
		if (c < 0x80) {
			if (!bld_parser_isspace_byte(c))
				break;
			n--;
			continue;
		}
		size_t w;
		uint32_t cp = bld_parser_utf8_decode_last(s, n, &w);
		if (!bld_parser_isspace(cp))
			break;
		n -= w;
	}
	return n;
}

char *bld_parser_lower(const char *s, size_t n)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = 0; i < n;) {
		size_t w;
		uint32_t cp = bld_parser_utf8_decode(s + i, n - i, &w);
		if (cp >= 'A' && cp <= 'Z')
			cp += 32;
		else if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
			cp += 32;
		else if (cp == 0x212A) /* KELVIN SIGN lower-cases to ASCII k */
			cp = 'k';
		bld_parser_utf8_put(&b, cp);
		i += w;
	}
	return bld_buf_detach(&b);
}

static int quote_rune(struct bld_buf *b, uint32_t cp, const char *raw, size_t w)
{
	static const char hex[] = "0123456789abcdef";
	if (cp == '"' || cp == '\\') {
		char e[2] = {'\\', (char)cp};
		return bld_buf_add(b, e, 2);
	}
	if (cp == ' ' || (cp > 0x20 && cp < 0x7F) || (cp >= 0x80 && bld_parser_unicode_isprint(cp)))
		return bld_buf_add(b, raw, w);
	const char *esc = NULL;
	switch (cp) {
	case '\a': esc = "\\a"; break;
	case '\b': esc = "\\b"; break;
	case '\f': esc = "\\f"; break;
	case '\n': esc = "\\n"; break;
	case '\r': esc = "\\r"; break;
	case '\t': esc = "\\t"; break;
	case '\v': esc = "\\v"; break;
	}
	if (esc)
		return bld_buf_adds(b, esc);
	if (cp < 0x20 || cp == 0x7F) {
		char e[4] = {'\\', 'x', hex[cp >> 4], hex[cp & 15]};
		return bld_buf_add(b, e, 4);
	}
	if (cp < 0x10000)
		return bld_buf_printf(b, "\\u%04x", (unsigned)cp);
	return bld_buf_printf(b, "\\U%08x", (unsigned)cp);
}

int bld_parser_quote(struct bld_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (bld_buf_addc(b, '"') < 0)
		return -1;
	for (size_t i = 0; i < n;) {
		size_t w;
		uint32_t cp = bld_parser_utf8_decode(s + i, n - i, &w);
		int r;
		if (cp == BLD_RUNE_ERROR && w == 1) {
			unsigned char c = (unsigned char)s[i];
			char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			r = bld_buf_add(b, e, 4);
		} else {
			r = quote_rune(b, cp, s + i, w);
		}
		if (r < 0)
			return -1;
		i += w;
	}
	return bld_buf_addc(b, '"');
}

void bld_parser_word_set(struct bld_parser_word *w, const char *s, size_t len)
{
	w->s = xmalloc(len + 1);
	if (len)
		memcpy(w->s, s, len);
	w->s[len] = '\0';
	w->len = len;
}

void bld_parser_words_push(struct bld_parser_words *w, const char *s, size_t len)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	bld_parser_word_set(&w->v[w->n++], s, len);
}

void bld_parser_words_dispose(struct bld_parser_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].s);
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}
