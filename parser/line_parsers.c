/*
 * parser/line_parsers.c — one logical line to one node: the keyword, BuildKit's builder
 * flags, and the arguments split per instruction (whitespace words, maybe-JSON, name=value
 * triplets, quote-aware words, HEALTHCHECK, ONBUILD). Nothing is unquoted or expanded here
 * except JSON arrays; which flags and arguments are valid is decided by instructions.c.
 */
#include "parser/parser_int.h"

enum split_kind { K_IGNORE, K_WS, K_MAYBE_JSON, K_JSON_LIST, K_ENV, K_LABEL, K_WORDS,
		  K_STRING, K_HEALTH, K_SUB };

static const struct {
	const char *name;
	enum split_kind kind;
} dispatch[] = {
	{"add", K_JSON_LIST},	 {"arg", K_WORDS},	 {"cmd", K_MAYBE_JSON},
	{"copy", K_JSON_LIST},	 {"entrypoint", K_MAYBE_JSON}, {"env", K_ENV},
	{"expose", K_WS},	 {"from", K_WS},	 {"healthcheck", K_HEALTH},
	{"label", K_LABEL},	 {"maintainer", K_STRING}, {"onbuild", K_SUB},
	{"run", K_MAYBE_JSON},	 {"shell", K_MAYBE_JSON}, {"stopsignal", K_STRING},
	{"user", K_STRING},	 {"volume", K_JSON_LIST}, {"workdir", K_STRING},
};

static bool re_ws(char c)
{
	return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* regexp `[\t\v\f\r ]+` Split(s, -1) */
static void split_ws(struct bld_parser_words *out, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && !re_ws(s[i]))
			continue;
		bld_parser_words_push(out, s + start, i - start);
		while (i < n && re_ws(s[i]))
			i++;
		start = i;
		if (i == n)
			break;
		i--;
	}
}

/* BuildKit's parseWords: quote-aware, quotes and escapes kept. */
static void parse_words(struct bld_parser_words *out, const char *s, size_t n, char esc)
{
	struct bld_buf b = BLD_BUF_INIT;
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	uint32_t quote = 0, ch = 0;
	bool blank_ok = false;
	size_t w = 0;
	for (size_t pos = 0; pos <= n; pos += w) {
		if (pos != n)
			ch = bld_parser_utf8_decode(s + pos, n - pos, &w);
		if (phase == SPACES) {
			if (pos == n)
				break;
			if (bld_parser_isspace(ch))
				continue;
			phase = WORD;
		}
		if (pos == n) {
			if (blank_ok || b.len)
				bld_parser_words_push(out, bld_buf_str(&b), b.len);
			break;
		}
		if (phase == WORD) {
			if (bld_parser_isspace(ch)) {
				phase = SPACES;
				if (blank_ok || b.len)
					bld_parser_words_push(out, bld_buf_str(&b), b.len);
				bld_buf_reset(&b);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = QUOTE;
			}
			if (ch == (uint32_t)esc) {
				if (pos + w == n)
					continue;
				bld_parser_utf8_put(&b, ch);
				pos += w;
				ch = bld_parser_utf8_decode(s + pos, n - pos, &w);
			}
			bld_parser_utf8_put(&b, ch);
			continue;
		}
		if (ch == quote)
			phase = WORD;
		if (ch == (uint32_t)esc && quote != '\'') {
			if (pos + w == n) {
				phase = WORD;
				continue;
			}
			pos += w;
			bld_parser_utf8_put(&b, ch);
			ch = bld_parser_utf8_decode(s + pos, n - pos, &w);
		}
		bld_parser_utf8_put(&b, ch);
	}
	bld_buf_dispose(&b);
}

/* rune(byte) written back as UTF-8: how BuildKit's flag scanner copies bytes */
static void put_byte_rune(struct bld_buf *b, unsigned char c)
{
	bld_parser_utf8_put(b, c);
}

/*
 * BuildKit's extractBuilderFlags: leading "--words" become flags (quotes removed, escape
 * char escapes); returns the offset of the remaining arguments in s.
 */
static size_t extract_flags(struct bld_parser_words *flags, const char *s, size_t n, char esc)
{
	struct bld_buf b = BLD_BUF_INIT;
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	unsigned char quote = 0, ch = 0;
	bool blank_ok = false;
	size_t ret = n;
	for (size_t pos = 0; pos <= n; pos++) {
		if (pos != n)
			ch = (unsigned char)s[pos];
		if (phase == SPACES) {
			if (pos == n)
				break;
			if (bld_parser_isspace_byte(ch))
				continue;
			if (ch != '-' || pos + 1 == n || s[pos + 1] != '-') {
				ret = pos;
				break;
			}
			phase = WORD;
		}
		if (pos == n) {
			bool dd = b.len == 2 && memcmp(b.data, "--", 2) == 0;
			if (!dd && (blank_ok || b.len))
				bld_parser_words_push(flags, bld_buf_str(&b), b.len);
			break;
		}
		if (phase == WORD) {
			if (bld_parser_isspace_byte(ch)) {
				phase = SPACES;
				if (b.len == 2 && memcmp(b.data, "--", 2) == 0) {
					ret = pos;
					break;
				}
				if (blank_ok || b.len)
					bld_parser_words_push(flags, bld_buf_str(&b), b.len);
				bld_buf_reset(&b);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = QUOTE;
				continue;
			}
		} else if (ch == quote) {
			phase = WORD;
			continue;
		}
		if (ch == (unsigned char)esc) {
			if (pos + 1 == n) {
				phase = WORD;
				continue;
			}
			ch = (unsigned char)s[++pos];
		}
		put_byte_rune(&b, ch);
	}
	bld_buf_dispose(&b);
	return ret;
}

static void set_args(struct bld_parser_node *node, struct bld_parser_words *w)
{
	node->args = w->v;
	node->nargs = w->n;
	*w = (struct bld_parser_words){0};
}

/* parseMaybeJSON / parseMaybeJSONToList */
static int maybe_json(struct bld_parser_node *node, const char *rest, size_t n, bool to_list,
		      struct bld_error **err)
{
	struct bld_parser_words w = {0};
	if (n == 0 && !to_list)
		return 0;
	switch (bld_parser_json_array(&w, rest, n)) {
	case BLD_PARSER_JSON_OK:
		node->json = true;
		set_args(node, &w);
		return 0;
	case BLD_PARSER_JSON_NOT_STRING:
		return bld_error_set(err, BLD_E_INVALID, "when using JSON array syntax, arrays must "
					 "be comprised of strings only");
	case BLD_PARSER_JSON_NOT_ARRAY:
		break;
	}
	if (n == 0)
		return 0;
	if (to_list)
		split_ws(&w, rest, n);
	else
		bld_parser_words_push(&w, rest, n);
	set_args(node, &w);
	return 0;
}

/* parseNameVal for ENV and LABEL: key, value, separator triplets */
static int name_val(struct bld_parser_node *node, const char *rest, size_t n, char esc,
		    const char *key, struct bld_error **err)
{
	struct bld_parser_words words = {0}, out = {0};
	int r = 0;
	parse_words(&words, rest, n, esc);
	if (words.n == 0)
		goto done;
	if (!memchr(words.v[0].s, '=', words.v[0].len)) {
		size_t i = 0;
		while (i < n && !re_ws(rest[i]))
			i++;
		if (i == n) {
			r = bld_error_set(err, BLD_E_INVALID, "%s must have two arguments", key);
			goto done;
		}
		bld_parser_words_push(&out, rest, i);
		while (i < n && re_ws(rest[i]))
			i++;
		bld_parser_words_push(&out, rest + i, n - i);
		bld_parser_words_push(&out, "", 0);
		goto done;
	}
	for (size_t k = 0; k < words.n; k++) {
		const char *wd = words.v[k].s, *eq = memchr(wd, '=', words.v[k].len);
		if (!eq) {
			struct bld_buf q = BLD_BUF_INIT;
			bld_parser_quote(&q, wd, words.v[k].len);
			r = bld_error_set(err, BLD_E_INVALID, "Syntax error - can't find = in %s. "
				"Must be of the form: name=value", bld_buf_str(&q));
			bld_buf_dispose(&q);
			goto done;
		}
		bld_parser_words_push(&out, wd, (size_t)(eq - wd));
		bld_parser_words_push(&out, eq + 1, words.v[k].len - (size_t)(eq - wd) - 1);
		bld_parser_words_push(&out, "=", 1);
	}
done:
	if (r == 0)
		set_args(node, &out);
	bld_parser_words_dispose(&out);
	bld_parser_words_dispose(&words);
	return r;
}

/* parseHealthConfig: the first word, then the rest as CMD would read it */
static int health(struct bld_parser_node *node, const char *rest, size_t n,
		  struct bld_error **err)
{
	size_t sep = 0, next;
	while (sep < n && !bld_parser_isspace_byte((unsigned char)rest[sep]))
		sep++;
	for (next = sep; next < n && bld_parser_isspace_byte((unsigned char)rest[next]); next++)
		;
	if (sep == 0)
		return 0;
	struct bld_parser_node tmp = {0};
	if (maybe_json(&tmp, rest + next, n - next, false, err) < 0)
		return -1;
	node->json = tmp.json;
	node->args = xcalloc(tmp.nargs + 1, sizeof(*node->args));
	bld_parser_word_set(&node->args[0], rest, sep);
	if (tmp.nargs)
		memcpy(node->args + 1, tmp.args, tmp.nargs * sizeof(*tmp.args));
	node->nargs = tmp.nargs + 1;
	free(tmp.args);
	return 0;
}

static enum split_kind kind_of(const char *cmd)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(dispatch); i++)
		if (strcmp(dispatch[i].name, cmd) == 0)
			return dispatch[i].kind;
	return K_IGNORE;
}

static int split_args(struct bld_parser_node *node, enum split_kind kind, const char *rest,
		      size_t n, char esc, int depth, struct bld_error **err)
{
	struct bld_parser_words w = {0};
	switch (kind) {
	case K_IGNORE:
		bld_parser_words_push(&w, "", 0);
		break;
	case K_WS:
		if (n)
			split_ws(&w, rest, n);
		break;
	case K_MAYBE_JSON: return maybe_json(node, rest, n, false, err);
	case K_JSON_LIST: return maybe_json(node, rest, n, true, err);
	case K_ENV: return name_val(node, rest, n, esc, "ENV", err);
	case K_LABEL: return name_val(node, rest, n, esc, "LABEL", err);
	case K_WORDS: parse_words(&w, rest, n, esc); break;
	case K_STRING:
		if (n)
			bld_parser_words_push(&w, rest, n);
		break;
	case K_HEALTH: return health(node, rest, n, err);
	case K_SUB:
		if (n == 0)
			return 0;
		if (depth >= BLD_PARSER_MAX_ONBUILD_DEPTH)
			return bld_error_set(err, BLD_E_INVALID, "ONBUILD nested too deeply");
		node->sub = xcalloc(1, sizeof(*node->sub));
		return bld_parser_node_from_line(node->sub, rest, n, esc, depth + 1, err);
	}
	set_args(node, &w);
	return 0;
}

int bld_parser_node_from_line(struct bld_parser_node *node, const char *line, size_t len,
			      char esc, int depth, struct bld_error **err)
{
	struct bld_parser_words flags = {0};
	size_t skip = len - bld_parser_ltrim(line, len);
	const char *s = line + skip;
	size_t n = bld_parser_rtrim(s, len - skip), k = 0;
	while (k < n && !re_ws(s[k]))
		k++;
	bld_parser_word_set(&node->keyword, s, k);
	node->cmd = bld_parser_lower(s, k);
	bld_parser_word_set(&node->original, line, len);
	const char *rest = s + k;
	size_t rn = 0;
	if (k < n) {
		while (k < n && re_ws(s[k]))
			k++;
		rest = s + k;
		size_t off = extract_flags(&flags, rest, n - k, esc);
		rest += off;
		rn = n - k - off;
		size_t lead = rn - bld_parser_ltrim(rest, rn);
		rest += lead;
		rn = bld_parser_rtrim(rest, rn - lead);
	}
	node->flags = flags.v;
	node->nflags = flags.n;
	return split_args(node, kind_of(node->cmd), rest, rn, esc, depth, err);
}

void bld_parser_node_dispose(struct bld_parser_node *n)
{
	if (!n)
		return;
	free(n->keyword.s);
	free(n->cmd);
	free(n->original.s);
	for (size_t i = 0; i < n->nflags; i++)
		free(n->flags[i].s);
	free(n->flags);
	for (size_t i = 0; i < n->nargs; i++)
		free(n->args[i].s);
	free(n->args);
	for (size_t i = 0; i < n->nheredocs; i++)
		bld_parser_heredoc_dispose(&n->heredocs[i]);
	free(n->heredocs);
	if (n->sub) {
		bld_parser_node_dispose(n->sub);
		free(n->sub);
	}
	memset(n, 0, sizeof(*n));
}
