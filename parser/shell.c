/*
 * parser/shell.c — Docker's shell-word expansion: BuildKit's frontend/dockerfile/shell lexer
 * re-implemented rule for rule (ProcessWord, ProcessWords, ProcessWordWithMatches and the
 * RawQuotes/RawEscapes/SkipProcessQuotes/SkipUnsetEnv modes). See parser/parser.h for the
 * contract. The input is read as runes the way Go's text/scanner reads it (leading BOM
 * dropped, each invalid UTF-8 byte read as U+FFFD).
 *
 * Patterns of ${v#p}, ${v%p} and ${v/p/r} are BuildKit's shell globs (* ? and \-escapes) that
 * BuildKit turns into Go regular expressions (`.*` greedy or `.*?` lazy, `.` never matching a
 * newline) with leftmost-first semantics. Here they are matched directly by a backtracking
 * search in the same priority order, memoised so that it stays O(pattern x value).
 *
 * It does not decide which instructions expand (the parser does) and does no I/O.
 */
#include <stdarg.h>

#include "parser/parser.h"
#include "parser/parser_int.h"
#include "parser/shell_unicode.h"

#define RUNE_EOF (-1)
#define RUNE_ERROR 0xFFFD
#define SHELL_MAX_DEPTH 200
/* Memo bits for one pattern match: (pattern tokens + 1) x (value bytes + 1). */
#define SHELL_MATCH_MAX_BITS ((size_t)1 << 28)

/* ------------------------------------------------------------------ runes */

/* Go's utf8.DecodeRune (invalid or short input is U+FFFD, width 1), RUNE_EOF at the end. */
static int32_t rune_decode(const unsigned char *s, size_t len, size_t *width)
{
	*width = 1;
	if (len == 0)
		return RUNE_EOF;
	return (int32_t)bld_parser_utf8_decode((const char *)s, len, width);
}

static size_t rune_encode(int32_t r, char out[4])
{
	return bld_parser_utf8_encode((uint32_t)r, out);
}

static bool in_table(const uint32_t (*tab)[2], size_t n, int32_t r)
{
	size_t lo = 0, hi = n;
	if (r < 0)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uint32_t)r < tab[mid][0])
			hi = mid;
		else if ((uint32_t)r > tab[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* unicode.IsLetter(r) || unicode.IsDigit(r) */
static bool is_alnum_rune(int32_t r)
{
	if (r < 0x80)
		return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	return in_table(letter_or_digit_tab, BLD_ARRAY_SIZE(letter_or_digit_tab), r);
}

/* unicode.IsDigit */
static bool is_digit_rune(int32_t r)
{
	if (r < 0x80)
		return r >= '0' && r <= '9';
	return in_table(digit_tab, BLD_ARRAY_SIZE(digit_tab), r);
}

/* unicode.IsSpace */
static bool is_space_rune(int32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
	case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}

/* ------------------------------------------------------------------ lexer state */

struct lex {
	const unsigned char *s;
	size_t len, pos;
	int32_t escape;
	unsigned flags;
	bool raw_escapes;
	char *const *env;
	char **matched, **unmatched;
	size_t n_matched, n_unmatched;
	struct bld_buf wbuf; /* BuildKit shares one field buffer across nested calls */
	unsigned depth;
	bool too_big;
	char *why; /* the error text, replaced when a caller rewords it */
};

static int fail(struct lex *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct lex *lx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(lx->why);
	lx->why = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static int32_t peek(struct lex *lx)
{
	size_t w;
	return rune_decode(lx->s + lx->pos, lx->len - lx->pos, &w);
}

static int32_t next(struct lex *lx)
{
	size_t w;
	int32_t r = rune_decode(lx->s + lx->pos, lx->len - lx->pos, &w);
	if (r != RUNE_EOF)
		lx->pos += w;
	return r;
}

static void put(struct lex *lx, struct bld_buf *b, const char *data, size_t n)
{
	if (bld_buf_add(b, data, n) < 0)
		lx->too_big = true;
}

static void put_rune(struct lex *lx, struct bld_buf *b, int32_t r)
{
	char u[4];
	put(lx, b, u, rune_encode(r, u));
}

static void init_buf(struct bld_buf *b)
{
	*b = (struct bld_buf)BLD_BUF_INIT;
	b->max = BLD_PARSER_SHELL_MAX;
}

/* Remembers name in a distinct-name list. */
static void note_name(char ***v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], name) == 0)
			return;
	*v = xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(name);
	(*v)[*n] = NULL;
}

/* Looks name up (last KEY wins) and records it as matched or unmatched. */
static const char *get_env(struct lex *lx, const char *name)
{
	size_t nl = strlen(name), n = bld_strv_len(lx->env);
	for (size_t i = n; i-- > 0;) {
		const char *e = lx->env[i], *eq = strchr(e, '=');
		size_t kl = eq ? (size_t)(eq - e) : strlen(e);
		if (kl == nl && memcmp(e, name, nl) == 0) {
			note_name(&lx->matched, &lx->n_matched, name);
			return eq ? eq + 1 : "";
		}
	}
	note_name(&lx->unmatched, &lx->n_unmatched, name);
	return NULL;
}

/* ------------------------------------------------------------------ fields */

/* BuildKit's wordsStruct: the fields found so far and whether one is open. */
struct fields {
	struct lex *lx;
	char **v;
	size_t n;
	bool in_word;
};

static void fields_add_raw_rune(struct fields *f, int32_t r)
{
	put_rune(f->lx, &f->lx->wbuf, r);
	f->in_word = true;
}

static void fields_flush(struct fields *f)
{
	struct bld_buf *b = &f->lx->wbuf;
	if (b->len == 0)
		return;
	f->v = xrealloc(f->v, (f->n + 2) * sizeof(char *));
	f->v[f->n++] = xstrndup(bld_buf_str(b), b->len);
	f->v[f->n] = NULL;
	bld_buf_reset(b);
	f->in_word = false;
}

static void fields_add_rune(struct fields *f, int32_t r)
{
	if (is_space_rune(r) && f->in_word) {
		fields_flush(f);
	} else if (!is_space_rune(r)) {
		fields_add_raw_rune(f, r);
	}
}

/* Expanded text: white space separates fields. */
static void fields_add_string(struct fields *f, const char *s)
{
	size_t len = strlen(s), w;
	for (size_t i = 0; i < len; i += w)
		fields_add_rune(f, rune_decode((const unsigned char *)s + i, len - i, &w));
}

/* Quoted text: kept whole, and it opens a field even when empty. */
static void fields_add_raw_string(struct fields *f, const char *s)
{
	put(f->lx, &f->lx->wbuf, s, strlen(s));
	f->in_word = true;
}

/* ------------------------------------------------------------------ patterns */

enum { PT_LIT, PT_ANY, PT_STAR };

struct ptok {
	int type;
	int32_t r;
};

struct pattern {
	struct ptok *t;
	size_t n;
	bool greedy;
};

static void pattern_dispose(struct pattern *p) { free(p->t); }

static void pattern_push(struct pattern *p, int type, int32_t r)
{
	p->t = xrealloc(p->t, (p->n + 1) * sizeof(*p->t));
	p->t[p->n++] = (struct ptok){type, r};
}

/*
 * convertShellPatternToRegex: * and ? are wildcards; \ escapes * ? or \ (anything else is an
 * invalid escape), and a \ before } or / is dropped. Read like text/scanner reads.
 */
static int pattern_compile(struct pattern *p, const char *src, bool greedy, char **why)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t len = strlen(src), i = 0, w;
	*p = (struct pattern){NULL, 0, greedy};
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		int32_t r = rune_decode(s + i, len - i, &w);
		i += w;
		if (r == '*' || r == '?') {
			pattern_push(p, r == '*' ? PT_STAR : PT_ANY, 0);
			continue;
		}
		if (r == '\\') {
			int32_t nx = rune_decode(s + i, len - i, &w);
			if (nx == '}' || nx == '/')
				continue;
			i += nx == RUNE_EOF ? 0 : w;
			if (nx != '*' && nx != '?' && nx != '\\') {
				char u[5] = {0};
				rune_encode(nx, u);
				*why = xasprintf("invalid escape '\\%s'", u);
				pattern_dispose(p);
				return -1;
			}
			r = nx;
		}
		pattern_push(p, PT_LIT, r);
	}
	return 0;
}

struct matcher {
	const struct pattern *p;
	const unsigned char *s;
	size_t len;
	uint8_t *seen; /* bit (si * (n + 1) + pi): state explored and not on a success path */
	size_t *stack; /* pending states as si * (n + 1) + pi */
	size_t sp, scap;
};

static bool seen_test_set(struct matcher *m, size_t st)
{
	bool was = m->seen[st >> 3] & (1u << (st & 7));
	m->seen[st >> 3] |= (uint8_t)(1u << (st & 7));
	return was;
}

static void push_state(struct matcher *m, size_t pi, size_t si)
{
	if (m->sp == m->scap) {
		m->scap = m->scap ? m->scap * 2 : 64;
		m->stack = xrealloc(m->stack, m->scap * sizeof(size_t));
	}
	m->stack[m->sp++] = si * (m->p->n + 1) + pi;
}

/* Pushes the successors of state (pi, si), the preferred one last (it is popped first). */
static void expand_state(struct matcher *m, size_t pi, size_t si)
{
	const struct ptok *t = &m->p->t[pi];
	size_t w = 0;
	int32_t r = rune_decode(m->s + si, m->len - si, &w);
	bool can_take = r != RUNE_EOF && (t->type != PT_LIT || r == t->r);
	if (t->type != PT_LIT && r == '\n')
		can_take = false;
	if (t->type != PT_STAR) {
		if (can_take)
			push_state(m, pi + 1, si + w);
		return;
	}
	if (m->p->greedy)
		push_state(m, pi + 1, si);
	if (can_take)
		push_state(m, pi, si + w);
	if (!m->p->greedy)
		push_state(m, pi + 1, si);
}

/* The leftmost-first match of the whole pattern starting exactly at start, or -1. */
static long match_at(struct matcher *m, size_t start)
{
	size_t n = m->p->n;
	m->sp = 0;
	push_state(m, 0, start);
	while (m->sp > 0) {
		size_t st = m->stack[--m->sp];
		size_t pi = st % (n + 1), si = st / (n + 1);
		if (pi == n)
			return (long)si;
		if (seen_test_set(m, st))
			continue;
		expand_state(m, pi, si);
	}
	return -1;
}

static int matcher_init(struct matcher *m, const struct pattern *p, const char *value,
			char **why)
{
	size_t len = strlen(value);
	size_t bits = (p->n + 1) * (len + 1);
	*m = (struct matcher){p, (const unsigned char *)value, len, NULL, NULL, 0, 0};
	if (len > BLD_PARSER_SHELL_MAX || bits > SHELL_MATCH_MAX_BITS) {
		*why = xstrdup("pattern and value too large to match");
		return -1;
	}
	m->seen = xcalloc(bits / 8 + 1, 1);
	return 0;
}

static void matcher_dispose(struct matcher *m)
{
	free(m->seen);
	free(m->stack);
}

/* States on the success path were marked but did not fail: unmark columns a..b. */
static void matcher_forget(struct matcher *m, size_t a, size_t b)
{
	size_t n1 = m->p->n + 1;
	for (size_t st = a * n1; st < (b + 1) * n1; st++)
		m->seen[st >> 3] &= (uint8_t) ~(1u << (st & 7));
}

/* Unanchored leftmost-first search from byte from: *a..*b, or false. */
static bool match_find(struct matcher *m, size_t from, size_t *a, size_t *b)
{
	size_t w;
	for (size_t start = from; start <= m->len; start += w) {
		long end = match_at(m, start);
		if (end >= 0) {
			*a = start;
			*b = (size_t)end;
			matcher_forget(m, start, (size_t)end);
			return true;
		}
		rune_decode(m->s + start, m->len - start, &w);
	}
	return false;
}

/* ------------------------------------------------------------------ pattern operators */

/* Reverses a string rune by rune (invalid bytes become U+FFFD), as []rune does. */
static char *reverse_runes(const char *s, bool keep_escapes)
{
	size_t len = strlen(s), w, n = 0;
	int32_t *r = xcalloc(len + 1, sizeof(int32_t));
	for (size_t i = 0; i < len; i += w)
		r[n++] = rune_decode((const unsigned char *)s + i, len - i, &w);
	int32_t *o = xcalloc(n + 1, sizeof(int32_t));
	for (size_t i = 0; i < n;) {
		size_t oi = n - 1 - i;
		if (keep_escapes && r[i] == '\\' && i != n - 1) {
			o[oi - 1] = r[i];
			o[oi] = r[i + 1];
			i += 2;
		} else {
			o[oi] = r[i++];
		}
	}
	struct bld_buf b = BLD_BUF_INIT;
	char u[4];
	for (size_t i = 0; i < n; i++)
		bld_buf_add(&b, u, rune_encode(o[i], u));
	free(r);
	free(o);
	return bld_buf_detach(&b);
}

/* ${v#p} and ${v##p}: the anchored match is cut from the front. */
static int trim_prefix(struct lex *lx, const char *pat, const char *value, bool greedy,
		       char **out)
{
	struct pattern p;
	struct matcher m;
	char *why = NULL;
	if (pattern_compile(&p, pat, greedy, &why) < 0)
		goto bad;
	if (matcher_init(&m, &p, value, &why) < 0) {
		pattern_dispose(&p);
		goto bad;
	}
	long end = match_at(&m, 0);
	*out = xstrdup(value + (end > 0 ? end : 0));
	matcher_dispose(&m);
	pattern_dispose(&p);
	return 0;
bad:
	fail(lx, "invalid pattern (%s) in substitution: %s", pat, why);
	free(why);
	return -1;
}

/* ${v%p} and ${v%%p}: BuildKit reverses pattern and value and trims the prefix. */
static int trim_suffix(struct lex *lx, const char *pat, const char *value, bool greedy,
		       char **out)
{
	cleanup_free char *rp = reverse_runes(pat, true);
	cleanup_free char *rv = reverse_runes(value, false);
	cleanup_free char *t = NULL;
	if (trim_prefix(lx, rp, rv, greedy, &t) < 0)
		return -1;
	*out = reverse_runes(t, false);
	return 0;
}

/* Go's Regexp.Expand for a regexp without groups: $$, $0 / ${0}, other names empty. */
static void expand_template(struct lex *lx, struct bld_buf *b, const char *tpl, const char *m,
			    size_t mlen)
{
	const char *p = tpl, *end = tpl + strlen(tpl);
	const char *d;
	while ((d = strchr(p, '$')) != NULL) {
		put(lx, b, p, (size_t)(d - p));
		p = d + 1;
		if (*p == '$') {
			put(lx, b, "$", 1);
			p++;
			continue;
		}
		bool brace = *p == '{';
		const char *name = p + brace, *q = name;
		size_t w;
		for (;;) {
			int32_t r = rune_decode((const unsigned char *)q, (size_t)(end - q), &w);
			if (r != '_' && !is_alnum_rune(r))
				break;
			q += w;
		}
		if (q == name || (brace && *q != '}')) {
			put(lx, b, "$", 1); /* malformed: the $ is plain text */
			continue;
		}
		if (q - name == 1 && *name == '0')
			put(lx, b, m, mlen);
		p = q + brace;
	}
	put(lx, b, p, (size_t)(end - p));
}

/* ${v/p/r} and ${v//p/r} */
static int replace_pattern(struct lex *lx, const char *value, const char *pat, const char *repl,
			   bool all, char **out)
{
	struct pattern p;
	struct matcher m;
	char *why = NULL;
	if (pattern_compile(&p, pat, true, &why) < 0)
		goto bad;
	if (matcher_init(&m, &p, value, &why) < 0) {
		pattern_dispose(&p);
		goto bad;
	}
	struct bld_buf b;
	init_buf(&b);
	size_t last = 0, search = 0, a, e, w;
	while (search <= m.len && match_find(&m, search, &a, &e)) {
		put(lx, &b, value + last, a - last);
		if (!all) {
			put(lx, &b, repl, strlen(repl));
			last = e;
			break;
		}
		if (e > last || a == 0)
			expand_template(lx, &b, repl, value + a, e - a);
		last = e;
		rune_decode(m.s + search, m.len - search, &w);
		if (search == m.len)
			w = 0;
		search = search + w > e ? search + w : search + 1 > e ? search + 1 : e;
	}
	put(lx, &b, value + last, m.len - last);
	matcher_dispose(&m);
	pattern_dispose(&p);
	*out = bld_buf_detach(&b);
	return 0;
bad:
	fail(lx, "invalid pattern (%s) in substitution: %s", pat, why);
	free(why);
	return -1;
}

/* ------------------------------------------------------------------ the lexer */

static int process_stop_on(struct lex *lx, int32_t stop, bool raw_escapes, char **out_word,
			   char ***out_fields);

/* Reads a name: a run of digits, one special parameter, or letters, digits and '_'. */
static char *process_name(struct lex *lx)
{
	struct bld_buf b = BLD_BUF_INIT;
	int32_t ch;
	while ((ch = peek(lx)) != RUNE_EOF) {
		if (b.len == 0 && is_digit_rune(ch)) {
			while (is_digit_rune(peek(lx)))
				put_rune(lx, &b, next(lx));
			break;
		}
		if (b.len == 0 && ch > 0 && ch < 0x80 && strchr("@*#?-$!0", (int)ch)) {
			put_rune(lx, &b, next(lx));
			break;
		}
		if (!is_alnum_rune(ch) && ch != '_')
			break;
		put_rune(lx, &b, next(lx));
	}
	return bld_buf_detach(&b);
}

/* Starts a quoted word: consumes the opening quote, which raw-quotes mode keeps. */
static bool quote_open(struct lex *lx, struct bld_buf *b)
{
	bool raw = lx->flags & BLD_PARSER_SHELL_RAW_QUOTES;
	init_buf(b);
	int32_t ch = next(lx);
	if (raw)
		put_rune(lx, b, ch);
	return raw;
}

/* Ends a quoted word at its closing quote q (kept in raw-quotes mode). */
static int quote_close(struct lex *lx, struct bld_buf *b, bool raw, int32_t q, char **out)
{
	if (raw)
		put_rune(lx, b, q);
	*out = bld_buf_detach(b);
	return 0;
}

static int quote_unclosed(struct lex *lx, struct bld_buf *b, const char *which)
{
	bld_buf_dispose(b);
	return fail(lx, "unexpected end of statement while looking for matching %s", which);
}

static int single_quote(struct lex *lx, char **out)
{
	struct bld_buf b;
	bool raw = quote_open(lx, &b);
	int32_t ch;
	while ((ch = next(lx)) != '\'') {
		if (ch == RUNE_EOF)
			return quote_unclosed(lx, &b, "single-quote");
		put_rune(lx, &b, ch);
	}
	return quote_close(lx, &b, raw, ch, out);
}

static int process_dollar(struct lex *lx, char **out);

/* Inside "...": $ expands; the escape character escapes only " $ and itself. */
static int double_quote(struct lex *lx, char **out)
{
	struct bld_buf b;
	bool raw = quote_open(lx, &b);
	int32_t ch;
	while ((ch = peek(lx)) != '"') {
		if (ch == RUNE_EOF)
			return quote_unclosed(lx, &b, "double-quote");
		if (ch == '$') {
			cleanup_free char *v = NULL;
			if (process_dollar(lx, &v) < 0) {
				bld_buf_dispose(&b);
				return -1;
			}
			put(lx, &b, v, strlen(v));
			continue;
		}
		ch = next(lx);
		if (ch == lx->escape) {
			if (lx->raw_escapes)
				put_rune(lx, &b, ch);
			int32_t nx = peek(lx);
			if (nx == RUNE_EOF)
				continue; /* a trailing escape is dropped (then the quote is unclosed) */
			if (nx == '"' || nx == '$' || nx == lx->escape)
				ch = next(lx);
		}
		put_rune(lx, &b, ch);
	}
	next(lx);
	return quote_close(lx, &b, raw, ch, out);
}

/* "<<" and the blanks after it stay one piece, so that "<< EOF" is one field. */
static int possible_heredoc(struct lex *lx, char **out)
{
	struct bld_buf b = BLD_BUF_INIT;
	put_rune(lx, &b, next(lx));
	if (peek(lx) == '<') {
		put_rune(lx, &b, next(lx));
		while (peek(lx) == '\t' || peek(lx) == '\r' || peek(lx) == ' ')
			put_rune(lx, &b, next(lx));
	}
	*out = bld_buf_detach(&b);
	return 0;
}

/* $name without braces: "$" alone when no name follows. */
static int dollar_plain(struct lex *lx, char **out)
{
	cleanup_free char *name = process_name(lx);
	if (!*name) {
		*out = xstrdup("$");
		return 0;
	}
	const char *v = get_env(lx, name);
	if (!v && (lx->flags & BLD_PARSER_SHELL_SKIP_UNSET))
		*out = xasprintf("$%s", name);
	else
		*out = xstrdup(v ? v : "");
	return 0;
}

/* Go's string(rune): EOF and invalid runes are U+FFFD. */
static void rune_str(int32_t r, char out[5])
{
	memset(out, 0, 5);
	rune_encode(r, out);
}

/* ${name-w} ${name:-w} ${name+w} ${name:+w} ${name?w} ${name:?w} */
static int apply_modifier(struct lex *lx, const char *name, int32_t op, bool null_unset,
			  const char *value, const char *word, char **out)
{
	bool unset = !value || (null_unset && !*value);
	if (op == '-') {
		*out = xstrdup(unset ? word : value);
		return 0;
	}
	if (op == '+') {
		*out = xstrdup(unset ? "" : word);
		return 0;
	}
	if (!value)
		return fail(lx, "%s: %s", name, *word ? word : "is not allowed to be unset");
	if (unset)
		return fail(lx, "%s: %s", name, *word ? word : "is not allowed to be empty");
	*out = xstrdup(value);
	return 0;
}

/*
 * The word up to stop, inside ${...}; reaching the end of input first is the syntax error
 * `missing` names ("'}'", "'/' in ${}").
 */
static int stop_on_or_missing(struct lex *lx, int32_t stop, bool raw, char **out,
			      const char *missing)
{
	if (process_stop_on(lx, stop, raw, out, NULL) == 0)
		return 0;
	if (peek(lx) == RUNE_EOF)
		return fail(lx, "syntax error: missing %s", missing);
	return -1;
}

/* ${name<op>word} for the operators after a name (all but '}' and '/'). */
static int dollar_modifier(struct lex *lx, const char *name, int32_t op, char **out)
{
	char chs[10], c2[5];
	bool null_unset = false;
	rune_str(op, chs);
	if (op == ':') {
		null_unset = true;
		op = next(lx);
		rune_str(op, c2);
		memcpy(chs + strlen(chs), c2, strlen(c2) + 1);
	}
	bool pat = op == '#' || op == '%';
	if (null_unset && pat)
		return fail(lx, "unsupported modifier (%s) in substitution", chs);
	cleanup_free char *word = NULL;
	if (stop_on_or_missing(lx, '}', pat, &word, "'}'") < 0)
		return -1;
	const char *value = get_env(lx, name);
	if (!value && (lx->flags & BLD_PARSER_SHELL_SKIP_UNSET)) {
		*out = xasprintf("${%s%s%s}", name, chs, word);
		return 0;
	}
	if (op == '-' || op == '+' || op == '?')
		return apply_modifier(lx, name, op, null_unset, value, word, out);
	if (!pat)
		return fail(lx, "unsupported modifier (%s) in substitution", chs);
	bool greedy = word[0] == (char)op;
	const char *p = word + greedy;
	if (op == '%')
		return trim_suffix(lx, p, value ? value : "", greedy, out);
	return trim_prefix(lx, p, value ? value : "", greedy, out);
}

/* ${name/pattern/replacement} and ${name//pattern/replacement} */
static int dollar_replace(struct lex *lx, const char *name, char **out)
{
	bool all = peek(lx) == '/';
	if (all)
		next(lx);
	cleanup_free char *pat = NULL, *repl = NULL;
	if (stop_on_or_missing(lx, '/', true, &pat, "'/' in ${}") < 0 ||
	    stop_on_or_missing(lx, '}', true, &repl, "'}'") < 0)
		return -1;
	const char *value = get_env(lx, name);
	if (!value && (lx->flags & BLD_PARSER_SHELL_SKIP_UNSET)) {
		*out = xasprintf("${%s/%s/%s}", name, pat, repl);
		return 0;
	}
	return replace_pattern(lx, value ? value : "", pat, repl, all, out);
}

static int process_dollar(struct lex *lx, char **out)
{
	next(lx);
	if (peek(lx) != '{')
		return dollar_plain(lx, out);
	next(lx);
	int32_t c = peek(lx);
	if (c == RUNE_EOF)
		return fail(lx, "syntax error: missing '}'");
	if (c == '{' || c == '}' || c == ':')
		return fail(lx, "syntax error: bad substitution");
	cleanup_free char *name = process_name(lx);
	int32_t op = next(lx);
	char chs[5];
	switch (op) {
	case '}': {
		const char *v = get_env(lx, name);
		if (!v && (lx->flags & BLD_PARSER_SHELL_SKIP_UNSET))
			*out = xasprintf("${%s}", name);
		else
			*out = xstrdup(v ? v : "");
		return 0;
	}
	case ':': case '+': case '-': case '?': case '#': case '%':
		return dollar_modifier(lx, name, op, out);
	case '/':
		return dollar_replace(lx, name, out);
	case RUNE_EOF:
		return fail(lx, "syntax error: missing '}'");
	default:
		rune_str(op, chs);
		return fail(lx, "unsupported modifier (%s) in substitution", chs);
	}
}

/* One special character ($, <, quotes): its handler's text goes to the result and fields. */
static int special_char(struct lex *lx, int32_t ch, struct bld_buf *res, struct fields *f)
{
	cleanup_free char *tmp = NULL;
	int r;
	if (ch == '$')
		r = process_dollar(lx, &tmp);
	else if (ch == '<')
		r = possible_heredoc(lx, &tmp);
	else if (ch == '\'')
		r = single_quote(lx, &tmp);
	else
		r = double_quote(lx, &tmp);
	if (r < 0)
		return -1;
	put(lx, res, tmp, strlen(tmp));
	if (ch == '$')
		fields_add_string(f, tmp);
	else
		fields_add_raw_string(f, tmp);
	return 0;
}

/* A plain character, or the escape character and the one it escapes. */
static void plain_char(struct lex *lx, struct bld_buf *res, struct fields *f)
{
	int32_t ch = next(lx);
	if (ch == lx->escape) {
		if (lx->raw_escapes) {
			fields_add_raw_rune(f, ch);
			put_rune(lx, res, ch);
		}
		ch = next(lx);
		if (ch == RUNE_EOF)
			return;
		fields_add_raw_rune(f, ch);
	} else {
		fields_add_rune(f, ch);
	}
	put_rune(lx, res, ch);
}

static bool is_special(struct lex *lx, int32_t ch)
{
	if (ch == '$' || ch == '<')
		return true;
	return !(lx->flags & BLD_PARSER_SHELL_SKIP_QUOTES) && (ch == '\'' || ch == '"');
}

/* processStopOn: reads up to stop (consumed) or the end when stop is RUNE_EOF. */
static int process_stop_on_inner(struct lex *lx, int32_t stop, char **out_word, char ***out_f)
{
	struct bld_buf res;
	struct fields f = {lx, NULL, 0, false};
	int32_t ch;
	int r = 0;
	init_buf(&res);
	bld_buf_reset(&lx->wbuf);
	while ((ch = peek(lx)) != RUNE_EOF) {
		if (stop != RUNE_EOF && ch == stop) {
			next(lx);
			break;
		}
		if (is_special(lx, ch)) {
			if ((r = special_char(lx, ch, &res, &f)) < 0)
				break;
		} else {
			plain_char(lx, &res, &f);
		}
	}
	if (r == 0 && stop != RUNE_EOF && ch == RUNE_EOF) {
		char s[5];
		rune_str(stop, s);
		r = fail(lx, "unexpected end of statement while looking for matching %s", s);
	}
	if (r == 0)
		fields_flush(&f);
	if (r == 0 && out_f)
		*out_f = f.v ? steal_pointer(&f.v) : xcalloc(1, sizeof(char *));
	bld_strv_free(f.v);
	if (r == 0)
		*out_word = bld_buf_detach(&res);
	bld_buf_dispose(&res);
	return r;
}

static int process_stop_on(struct lex *lx, int32_t stop, bool raw_escapes, char **out_word,
			   char ***out_fields)
{
	if (lx->depth >= SHELL_MAX_DEPTH)
		return fail(lx, "substitutions nested more than %d deep", SHELL_MAX_DEPTH);
	bool saved = lx->raw_escapes;
	lx->depth++;
	lx->raw_escapes = raw_escapes;
	int r = process_stop_on_inner(lx, stop, out_word, out_fields);
	lx->raw_escapes = saved;
	lx->depth--;
	return r;
}

/* ------------------------------------------------------------------ public API */

/* Go's %q, near enough for an error message. */
static char *go_quote(const char *s)
{
	struct bld_buf b = BLD_BUF_INIT;
	size_t len = strlen(s), w;
	bld_buf_addc(&b, '"');
	for (size_t i = 0; i < len; i += w) {
		int32_t r = rune_decode((const unsigned char *)s + i, len - i, &w);
		const char *esc = NULL;
		if (r == '"')
			esc = "\\\"";
		else if (r == '\\')
			esc = "\\\\";
		else if (r == '\n')
			esc = "\\n";
		else if (r == '\t')
			esc = "\\t";
		else if (r == '\r')
			esc = "\\r";
		if (esc)
			bld_buf_adds(&b, esc);
		else if ((r == RUNE_ERROR && w == 1) || r < 0x20 || r == 0x7F)
			bld_buf_printf(&b, "\\x%02x", (unsigned char)s[i]);
		else if (r >= 0x80 && (r < 0xA0 || (is_space_rune(r) && r != ' ')))
			bld_buf_printf(&b, "\\u%04x", (unsigned)r);
		else
			bld_buf_add(&b, s + i, w);
	}
	bld_buf_addc(&b, '"');
	return bld_buf_detach(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_names(char **v, size_t n)
{
	if (!v)
		return xcalloc(1, sizeof(char *));
	qsort(v, n, sizeof(char *), cmp_str);
	return v;
}

int bld_parser_shell_process(struct bld_parser_shell_result *out, const char *word,
			     char escape, unsigned flags, char *const *env,
			     struct bld_error **err)
{
	size_t len = strlen(word);
	if (len > BLD_PARSER_SHELL_MAX)
		return bld_error_set(err, BLD_E_INVALID, "failed to process word: longer than %zu "
				     "bytes", BLD_PARSER_SHELL_MAX);
	struct lex lx = {.s = (const unsigned char *)word, .len = len,
			 .escape = (unsigned char)escape, .flags = flags, .env = env};
	init_buf(&lx.wbuf);
	if (len >= 3 && memcmp(word, "\xEF\xBB\xBF", 3) == 0)
		lx.pos = 3; /* text/scanner drops a leading byte-order mark */
	char *res = NULL, **fields = NULL;
	int r = process_stop_on(&lx, RUNE_EOF, flags & BLD_PARSER_SHELL_RAW_ESCAPES, &res, &fields);
	if (r == 0 && lx.too_big)
		r = fail(&lx, "expansion longer than %zu bytes", BLD_PARSER_SHELL_MAX);
	bld_buf_dispose(&lx.wbuf);
	if (r < 0) {
		cleanup_free char *q = go_quote(word);
		r = bld_error_set(err, BLD_E_INVALID, "failed to process %s: %s", q, lx.why);
		free(res);
		bld_strv_free(fields);
		bld_strv_free(lx.matched);
		bld_strv_free(lx.unmatched);
		free(lx.why);
		return r;
	}
	*out = (struct bld_parser_shell_result){res, fields, sorted_names(lx.matched, lx.n_matched),
						sorted_names(lx.unmatched, lx.n_unmatched)};
	return 0;
}

void bld_parser_shell_result_dispose(struct bld_parser_shell_result *r)
{
	if (!r)
		return;
	free(r->word);
	bld_strv_free(r->words);
	bld_strv_free(r->matched);
	bld_strv_free(r->unmatched);
	*r = (struct bld_parser_shell_result){NULL, NULL, NULL, NULL};
}

int bld_parser_shell_word(char **out, const char *word, char escape, char *const *env,
			  struct bld_error **err)
{
	return bld_parser_shell_word_matches(out, NULL, NULL, word, escape, env, err);
}

int bld_parser_shell_words(char ***out, const char *word, char escape, char *const *env,
			   struct bld_error **err)
{
	struct bld_parser_shell_result r;
	if (bld_parser_shell_process(&r, word, escape, 0, env, err) < 0)
		return -BLD_E_INVALID;
	*out = steal_pointer(&r.words);
	bld_parser_shell_result_dispose(&r);
	return 0;
}

int bld_parser_shell_word_matches(char **out, char ***matched, char ***unmatched,
				  const char *word, char escape, char *const *env,
				  struct bld_error **err)
{
	struct bld_parser_shell_result r;
	if (bld_parser_shell_process(&r, word, escape, 0, env, err) < 0)
		return -BLD_E_INVALID;
	*out = steal_pointer(&r.word);
	if (matched)
		*matched = steal_pointer(&r.matched);
	if (unmatched)
		*unmatched = steal_pointer(&r.unmatched);
	bld_parser_shell_result_dispose(&r);
	return 0;
}
