/*
 * parser/heredoc.c — heredoc detection as BuildKit does it: the instruction line is split
 * into words by the shell lexer (raw quotes, raw escapes, unset variables kept, escape
 * always '\'), and each word is matched against `^(\d*)<<(-?)\s*([^<]*)$`; the name is the
 * word lexed once without and once with quotes, and `expand` is false when quoting removed
 * anything. This file has its own small lexer for that mode only (no variable values ever
 * exist here); Docker's full expansion lives in shell.c. Body lines are read by parser.c.
 *
 * One deliberate difference from BuildKit's lexer: "<<-" followed by blanks stays one word
 * ("<<- EOF" is a heredoc named EOF), as the conformance table heredoc/lines.tsv expects.
 */
#include "parser/parser_int.h"

#define LEX_EOF (-1)
#define HEREDOC_MAX_WORDS 4096

struct lex {
	const char *s;
	size_t n, i;
	bool raw_quotes, raw_escapes;
	struct bld_buf *wordbuf; /* shared by nested scans, as in BuildKit */
	const char *errmsg;
};

struct words {
	struct bld_parser_words list;
	bool in_word;
	struct bld_buf *buf;
};

static int32_t peek_w(struct lex *l, size_t *w)
{
	if (l->i >= l->n)
		return LEX_EOF;
	return (int32_t)bld_parser_utf8_decode(l->s + l->i, l->n - l->i, w);
}

static int32_t peek(struct lex *l)
{
	size_t w;
	return peek_w(l, &w);
}

static int32_t next(struct lex *l)
{
	size_t w = 0;
	int32_t c = peek_w(l, &w);
	l->i += w;
	return c;
}

static void put(struct bld_buf *b, int32_t c)
{
	bld_parser_utf8_put(b, (uint32_t)c);
}

static void add_raw_char(struct words *w, int32_t c)
{
	put(w->buf, c);
	w->in_word = true;
}

static void add_char(struct words *w, int32_t c)
{
	bool sp = bld_parser_isspace((uint32_t)c);
	if (sp && w->in_word) {
		if (w->buf->len) {
			if (w->list.n < HEREDOC_MAX_WORDS)
				bld_parser_words_push(&w->list, bld_buf_str(w->buf), w->buf->len);
			bld_buf_reset(w->buf);
			w->in_word = false;
		}
	} else if (!sp) {
		add_raw_char(w, c);
	}
}

static void add_string(struct words *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k;
		uint32_t c = bld_parser_utf8_decode(s + i, n - i, &k);
		add_char(w, (int32_t)c);
		i += k;
	}
}

static void add_raw_string(struct words *w, const char *s, size_t n)
{
	bld_buf_add(w->buf, s, n);
	w->in_word = true;
}

static void finish_words(struct words *w)
{
	if (w->buf->len) {
		bld_parser_words_push(&w->list, bld_buf_str(w->buf), w->buf->len);
		bld_buf_reset(w->buf);
		w->in_word = false;
	}
}

static int scan(struct lex *l, int32_t stop, bool raw_escapes, struct bld_buf *result,
		struct bld_parser_words *out);

static int single_quote(struct lex *l, struct bld_buf *r)
{
	int32_t c = next(l);
	if (l->raw_quotes)
		put(r, c);
	for (;;) {
		c = next(l);
		if (c == LEX_EOF) {
			l->errmsg = "unexpected end of statement while looking for matching single-quote";
			return -1;
		}
		if (c == '\'') {
			if (l->raw_quotes)
				put(r, c);
			return 0;
		}
		put(r, c);
	}
}

static int dollar(struct lex *l, struct bld_buf *r);

static int double_quote(struct lex *l, struct bld_buf *r)
{
	int32_t c = next(l);
	if (l->raw_quotes)
		put(r, c);
	for (;;) {
		int32_t p = peek(l);
		if (p == LEX_EOF) {
			l->errmsg = "unexpected end of statement while looking for matching double-quote";
			return -1;
		}
		if (p == '"') {
			c = next(l);
			if (l->raw_quotes)
				put(r, c);
			return 0;
		}
		if (p == '$') {
			if (dollar(l, r) < 0)
				return -1;
			continue;
		}
		c = next(l);
		if (c == '\\') {
			if (l->raw_escapes)
				put(r, c);
			p = peek(l);
			if (p == LEX_EOF)
				continue;
			if (p == '"' || p == '$' || p == '\\')
				c = next(l);
		}
		put(r, c);
	}
}

static bool special_param(int32_t c)
{
	return c && strchr("@*#?-$!0", c) && c < 128;
}

static bool name_char(int32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (c >= 0x80 && c != (int32_t)BLD_RUNE_ERROR);
}

static void name(struct lex *l, struct bld_buf *nm)
{
	int32_t c = peek(l);
	if (c >= '0' && c <= '9') {
		while ((c = peek(l)) >= '0' && c <= '9')
			put(nm, next(l));
		return;
	}
	if (special_param(c)) {
		put(nm, next(l));
		return;
	}
	while (name_char(c = peek(l)))
		put(nm, next(l));
}

/* ${name<op>word}: with no variable ever set, the text is rebuilt from its parts. */
static int braced(struct lex *l, struct bld_buf *r, const char *nm, size_t nlen)
{
	int32_t c = next(l);
	struct bld_buf ops = BLD_BUF_INIT, word = BLD_BUF_INIT, repl = BLD_BUF_INIT;
	int ret = -1;
	put(&ops, c);
	if (c == '}') {
		bld_buf_printf(r, "${%.*s}", (int)nlen, nm);
		ret = 0;
		goto out;
	}
	bool colon = c == ':';
	if (colon)
		put(&ops, c = next(l));
	if (c == '/' && !colon) {
		if (peek(l) == '/')
			next(l);
		if (scan(l, '/', true, &word, NULL) < 0 || scan(l, '}', true, &repl, NULL) < 0)
			goto out;
		bld_buf_printf(r, "${%.*s/%s/%s}", (int)nlen, nm, bld_buf_str(&word), bld_buf_str(&repl));
		ret = 0;
		goto out;
	}
	if (!colon && !(c == '+' || c == '-' || c == '?' || c == '#' || c == '%')) {
		l->errmsg = "unsupported modifier in substitution";
		goto out;
	}
	bool raw = c == '#' || c == '%';
	if (colon && raw) {
		l->errmsg = "unsupported modifier in substitution";
		goto out;
	}
	if (scan(l, '}', raw, &word, NULL) < 0)
		goto out;
	bld_buf_printf(r, "${%.*s%s%s}", (int)nlen, nm, bld_buf_str(&ops), bld_buf_str(&word));
	ret = 0;
out:
	bld_buf_dispose(&ops);
	bld_buf_dispose(&word);
	bld_buf_dispose(&repl);
	return ret;
}

static int dollar(struct lex *l, struct bld_buf *r)
{
	struct bld_buf nm = BLD_BUF_INIT;
	int ret = 0;
	next(l);
	if (peek(l) != '{') {
		name(l, &nm);
		bld_buf_addc(r, '$');
		bld_buf_add(r, nm.data ? nm.data : "", nm.len);
		bld_buf_dispose(&nm);
		return 0;
	}
	next(l);
	int32_t p = peek(l);
	if (p == LEX_EOF || p == '{' || p == '}' || p == ':') {
		l->errmsg = p == LEX_EOF ? "syntax error: missing '}'" : "syntax error: bad substitution";
		return -1;
	}
	name(l, &nm);
	ret = braced(l, r, bld_buf_str(&nm), nm.len);
	bld_buf_dispose(&nm);
	return ret;
}

static void possible_heredoc(struct lex *l, struct bld_buf *r)
{
	next(l);
	bld_buf_addc(r, '<');
	if (peek(l) != '<')
		return;
	next(l);
	bld_buf_addc(r, '<');
	/* see the file comment: "<<-" plus blanks is kept together, unlike BuildKit */
	if (peek(l) == '-' && l->i + 1 < l->n && (l->s[l->i + 1] == ' ' || l->s[l->i + 1] == '\t'))
		put(r, next(l));
	int32_t c;
	while ((c = peek(l)) == '\t' || c == '\r' || c == ' ')
		put(r, next(l));
}

static int special(struct lex *l, int32_t c, struct bld_buf *tmp)
{
	switch (c) {
	case '$': return dollar(l, tmp);
	case '<': possible_heredoc(l, tmp); return 0;
	case '\'': return single_quote(l, tmp);
	default: return double_quote(l, tmp);
	}
}

static int scan(struct lex *l, int32_t stop, bool raw_escapes, struct bld_buf *result,
		struct bld_parser_words *out)
{
	struct words w = {.buf = l->wordbuf};
	bool saved = l->raw_escapes;
	int ret = 0;
	bld_buf_reset(l->wordbuf);
	l->raw_escapes = raw_escapes;
	for (int32_t c; (c = peek(l)) != LEX_EOF;) {
		if (stop != LEX_EOF && c == stop) {
			next(l);
			goto done;
		}
		if (c == '$' || c == '<' || c == '\'' || c == '"') {
			struct bld_buf tmp = BLD_BUF_INIT;
			ret = special(l, c, &tmp);
			bld_buf_add(result, bld_buf_str(&tmp), tmp.len);
			if (c == '$')
				add_string(&w, bld_buf_str(&tmp), tmp.len);
			else
				add_raw_string(&w, bld_buf_str(&tmp), tmp.len);
			bld_buf_dispose(&tmp);
			if (ret < 0)
				goto done;
			continue;
		}
		c = next(l);
		if (c == '\\') {
			if (l->raw_escapes) {
				add_raw_char(&w, c);
				put(result, c);
			}
			c = next(l);
			if (c == LEX_EOF)
				break;
			add_raw_char(&w, c);
		} else {
			add_char(&w, c);
		}
		put(result, c);
	}
	if (stop != LEX_EOF) {
		l->errmsg = "unexpected end of statement while looking for a matching character";
		ret = -1;
	}
done:
	if (ret == 0)
		finish_words(&w);
	if (ret == 0 && out)
		*out = w.list;
	else
		bld_parser_words_dispose(&w.list);
	l->raw_escapes = saved;
	return ret;
}

/* ProcessWords in BuildKit's heredoc mode. */
static int process_words(struct bld_parser_words *out, const char *s, size_t n, bool raw_quotes,
			 bool raw_escapes, const char **errmsg)
{
	struct bld_buf wordbuf = BLD_BUF_INIT, result = BLD_BUF_INIT;
	struct lex l = {.s = s, .n = n, .raw_quotes = raw_quotes, .wordbuf = &wordbuf};
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		l.i = 3; /* text/scanner drops a leading BOM */
	*out = (struct bld_parser_words){0};
	int r = scan(&l, LEX_EOF, raw_escapes, &result, out);
	bld_buf_dispose(&wordbuf);
	bld_buf_dispose(&result);
	if (r < 0 && errmsg)
		*errmsg = l.errmsg;
	return r;
}

static size_t count_quotes(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\'' || s[i] == '"';
	return k;
}

static bool is_sp(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

void bld_parser_heredoc_dispose(struct bld_parser_heredoc *h)
{
	free(h->name);
	free(h->content.s);
	memset(h, 0, sizeof(*h));
}

/* Matches `^(\d*)<<(-?)\s*([^<]*)$`; on success *rest points into word. */
static bool match_heredoc(const char *word, size_t n, unsigned *fd, bool *chomp,
			  const char **rest, size_t *rlen)
{
	size_t i = 0;
	unsigned long v = 0;
	bool overflow = false;
	while (i < n && word[i] >= '0' && word[i] <= '9') {
		if (v > (UINT32_MAX - 9) / 10)
			overflow = true;
		v = v * 10 + (unsigned long)(word[i++] - '0');
	}
	if (n - i < 2 || word[i] != '<' || word[i + 1] != '<')
		return false;
	i += 2;
	*chomp = i < n && word[i] == '-';
	if (*chomp)
		i++;
	while (i < n && is_sp(word[i]))
		i++;
	if (memchr(word + i, '<', n - i))
		return false;
	*fd = overflow ? 0 : (unsigned)v;
	*rest = word + i;
	*rlen = n - i;
	return true;
}

static int heredoc_word(struct bld_parser_heredoc *out, const char *word, size_t n,
			struct bld_error **err)
{
	unsigned fd;
	bool chomp;
	const char *rest, *msg = NULL;
	size_t rlen;
	memset(out, 0, sizeof(*out));
	if (!match_heredoc(word, n, &fd, &chomp, &rest, &rlen) || rlen == 0)
		return 0;
	struct bld_parser_words plain, raw;
	if (process_words(&plain, rest, rlen, false, false, &msg) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid heredoc %.*s: %s", (int)n, word,
				     msg ? msg : "syntax error");
	if (plain.n != 1) {
		bld_parser_words_dispose(&plain);
		return 0;
	}
	if (process_words(&raw, rest, rlen, true, false, &msg) < 0 || raw.n != 1) {
		bld_parser_words_dispose(&plain);
		bld_parser_words_dispose(&raw);
		return bld_error_set(err, BLD_E_INVALID, "invalid heredoc %.*s", (int)n, word);
	}
	out->name = xstrndup(plain.v[0].s, plain.v[0].len);
	out->fd = fd;
	out->chomp = chomp;
	out->expand = count_quotes(plain.v[0].s, plain.v[0].len) ==
		      count_quotes(raw.v[0].s, raw.v[0].len);
	bld_parser_word_set(&out->content, "", 0);
	bld_parser_words_dispose(&plain);
	bld_parser_words_dispose(&raw);
	return 1;
}

/* (?m)^\t+ removed: what <<- does to a heredoc body */
char *bld_parser_heredoc_chomp(const char *s, size_t n)
{
	struct bld_buf b = BLD_BUF_INIT;
	bool bol = true;
	for (size_t i = 0; i < n; i++) {
		if (bol && s[i] == '\t')
			continue;
		bld_buf_addc(&b, s[i]);
		bol = s[i] == '\n';
	}
	return bld_buf_detach(&b);
}

int bld_parser_heredoc_parse_word(struct bld_parser_heredoc *out, const char *word,
				  struct bld_error **err)
{
	return heredoc_word(out, word, strlen(word), err);
}

int bld_parser_heredocs_from_line(struct bld_parser_heredoc **out, size_t *n, const char *line,
				  size_t len, struct bld_error **err)
{
	struct bld_parser_words words;
	*out = NULL;
	*n = 0;
	/* BuildKit ignores lexing errors here: a line that does not lex has no heredocs */
	if (process_words(&words, line, len, true, true, NULL) < 0)
		return 0;
	struct bld_parser_heredoc *v = NULL;
	size_t k = 0;
	int r = 0;
	for (size_t i = 0; i < words.n; i++) {
		struct bld_parser_heredoc h;
		r = heredoc_word(&h, words.v[i].s, words.v[i].len, err);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		v = xrealloc(v, (k + 1) * sizeof(*v));
		v[k++] = h;
		r = 0;
	}
	bld_parser_words_dispose(&words);
	if (r < 0) {
		for (size_t i = 0; i < k; i++)
			bld_parser_heredoc_dispose(&v[i]);
		free(v);
		return r;
	}
	*out = v;
	*n = k;
	return 0;
}
