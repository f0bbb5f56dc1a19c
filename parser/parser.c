/*
 * parser/parser.c — physical lines to logical instructions, as BuildKit's parser.Parse:
 * BOM, LF/CRLF, parser directives (syntax, escape, check) in the leading comment lines,
 * continuations with the escape character (comments and blank lines inside skipped),
 * continue-at-eof, heredoc bodies after RUN/COPY/ADD (and inside ONBUILD), and the line
 * range of every instruction. Splitting one line into a node is line_parsers.c; checking
 * that instructions make sense is instructions.c. The input is a buffer; no I/O here.
 */
#include "parser/parser_int.h"

struct scanner {
	const char *d;
	size_t n, pos;
	bool too_long;
};

/* The next physical line including its '\n'; false at the end or on an over-long line. */
static bool scan_line(struct scanner *sc, const char **line, size_t *len)
{
	if (sc->pos >= sc->n || sc->too_long)
		return false;
	const char *s = sc->d + sc->pos, *nl = memchr(s, '\n', sc->n - sc->pos);
	size_t l = nl ? (size_t)(nl - s) + 1 : sc->n - sc->pos;
	size_t content = nl ? l - 1 : l;
	if (content > BLD_PARSER_MAX_LINE) {
		sc->too_long = true;
		return false;
	}
	*line = s;
	*len = l;
	sc->pos += l;
	return true;
}

static size_t trim_newline(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return n;
}

static bool is_comment(const char *s, size_t n)
{
	size_t k = bld_parser_ltrim(s, n);
	return k > 0 && s[n - k] == '#';
}

struct directives {
	bool done, seen_syntax, seen_escape, seen_check;
	char escape;
	char *syntax, *check;
};

static bool re_s(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* `#` + blanks + `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`; false when no match */
static bool match_directive(const char *s, size_t n, size_t *name_len, const char **val,
			    size_t *vlen)
{
	if (n == 0 || s[0] != '#')
		return false;
	size_t skip = (n - 1) - bld_parser_ltrim(s + 1, n - 1);
	const char *p = s + 1 + skip, *e = s + n;
	if (p == e || !is_alpha(*p))
		return false;
	const char *q = p + 1;
	while (q < e && (is_alpha(*q) || (*q >= '0' && *q <= '9')))
		q++;
	*name_len = (size_t)(q - p);
	while (q < e && re_s(*q))
		q++;
	if (q == e || *q != '=')
		return false;
	const char *v = ++q;
	while (q < e && re_s(*q))
		q++;
	if (q == e) {
		if (v == e)
			return false;
		*val = e - 1; /* all blanks: the regexp backtracks to keep one */
		*vlen = 1;
		return true;
	}
	const char *end = e;
	while (end > q + 1 && re_s(end[-1]))
		end--;
	*val = q;
	*vlen = (size_t)(end - q);
	return true;
}

static int set_directive(struct directives *d, const char *name, const char *v, size_t vlen,
			 struct bld_error **err)
{
	bool *seen = strcmp(name, "syntax") == 0   ? &d->seen_syntax
		     : strcmp(name, "escape") == 0 ? &d->seen_escape
						   : &d->seen_check;
	if (*seen)
		return bld_error_set(err, BLD_E_INVALID, "only one %s parser directive can be used",
				     name);
	*seen = true;
	if (strcmp(name, "syntax") == 0) {
		d->syntax = xstrndup(v, vlen);
	} else if (strcmp(name, "check") == 0) {
		d->check = xstrndup(v, vlen);
	} else {
		if (vlen != 1 || (v[0] != '`' && v[0] != '\\'))
			return bld_error_set(err, BLD_E_INVALID,
					     "invalid escape token '%.*s' does not match ` or \\",
					     (int)vlen, v);
		d->escape = v[0];
	}
	return 0;
}

static int possible_directive(struct directives *d, const char *s, size_t n,
			      struct bld_error **err)
{
	size_t name_len = 0, vlen = 0;
	const char *val = NULL;
	if (d->done)
		return 0;
	if (!match_directive(s, n, &name_len, &val, &vlen)) {
		d->done = true;
		return 0;
	}
	size_t skip = (n - 1) - bld_parser_ltrim(s + 1, n - 1);
	cleanup_free char *name = bld_parser_lower(s + 1 + skip, name_len);
	if (strcmp(name, "syntax") && strcmp(name, "escape") && strcmp(name, "check")) {
		d->done = true;
		return 0;
	}
	return set_directive(d, name, val, vlen, err);
}

/* `([^E])E[ \t]*$|^E[ \t]*$`: strips the escape and trailing blanks, keeps the rest. */
static bool continued(const char *s, size_t *n, char esc)
{
	size_t k = *n;
	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	if (k == 0 || s[k - 1] != esc)
		return false;
	if (k >= 2 && s[k - 2] == esc)
		return false;
	*n = k - 1;
	return true;
}

/* processLine: strip the newline (and leading blanks), look for a directive, drop comments */
static int process_line(struct directives *d, const char *s, size_t *n, bool strip, size_t *off,
			struct bld_error **err)
{
	size_t len = trim_newline(s, *n);
	*off = 0;
	if (strip) {
		size_t k = bld_parser_ltrim(s, len);
		*off = len - k;
		len = k;
	}
	if (possible_directive(d, s + *off, len, err) < 0)
		return -1;
	if (is_comment(s + *off, len))
		len = 0;
	*n = len;
	return 0;
}

struct parse {
	struct scanner sc;
	struct directives d;
	int line; /* physical lines consumed so far */
	struct bld_parser_node *nodes;
	size_t n, cap;
	int empty_cont;
};

static int fail(struct bld_error **err, int line, int r)
{
	bld_error_wrap(err, "Dockerfile:%d", line);
	return r;
}

/* Reads the continuation lines of an instruction into b. */
static int read_continuation(struct parse *p, struct bld_buf *b, struct bld_error **err)
{
	const char *raw;
	size_t rlen;
	bool eol = false;
	while (!eol && scan_line(&p->sc, &raw, &rlen)) {
		size_t len = rlen, off;
		if (process_line(&p->d, raw, &len, false, &off, err) < 0)
			return fail(err, p->line + 1, -BLD_E_INVALID);
		p->line++;
		if (is_comment(raw, rlen))
			continue;
		if (bld_parser_ltrim(raw, len) == 0) {
			p->empty_cont++;
			continue;
		}
		eol = !continued(raw, &len, p->d.escape);
		if (bld_buf_add(b, raw, len) < 0)
			return fail(err, p->line, bld_error_set(err, BLD_E_INVALID, "line too long"));
	}
	return 0;
}

static int read_heredoc_bodies(struct parse *p, struct bld_parser_node *node, int start,
			       struct bld_error **err)
{
	for (size_t i = 0; i < node->nheredocs; i++) {
		struct bld_parser_heredoc *h = &node->heredocs[i];
		struct bld_buf body = BLD_BUF_INIT;
		size_t nlen = strlen(h->name);
		bool done = false;
		const char *raw;
		size_t rlen;
		while (scan_line(&p->sc, &raw, &rlen)) {
			p->line++;
			size_t k = trim_newline(raw, rlen), off = 0;
			if (h->chomp)
				while (off < k && raw[off] == '\t')
					off++;
			if (k - off == nlen && memcmp(raw + off, h->name, nlen) == 0) {
				done = true;
				break;
			}
			bld_buf_add(&body, raw, rlen);
		}
		free(h->content.s);
		h->content.len = body.len;
		h->content.s = bld_buf_detach(&body);
		if (!done)
			return fail(err, start,
				    bld_error_set(err, BLD_E_INVALID, "unterminated heredoc %s",
						  h->name));
	}
	return 0;
}

static bool can_contain_heredoc(const struct bld_parser_node *n)
{
	if (strcmp(n->cmd, "onbuild") == 0 && n->sub)
		n = n->sub;
	if (strcmp(n->cmd, "run") && strcmp(n->cmd, "copy") && strcmp(n->cmd, "add"))
		return false;
	return !n->json;
}

static bool has_heredoc_marker(const char *s, size_t n)
{
	return memmem(s, n, "<<", 2) != NULL;
}

/* A node and the heredocs it announces (bodies not read yet). */
static int node_with_heredocs(struct bld_parser_node *node, const char *line, size_t len,
			      char esc, struct bld_error **err)
{
	int r = bld_parser_node_from_line(node, line, len, esc, 0, err);
	if (r < 0 || !can_contain_heredoc(node) || !has_heredoc_marker(line, len))
		return r;
	return bld_parser_heredocs_from_line(&node->heredocs, &node->nheredocs, line, len, err);
}

int bld_parser_instruction_heredocs(struct bld_parser_heredoc **out, size_t *n, const char *line,
				    size_t len, char escape, struct bld_error **err)
{
	struct bld_parser_node node = {0};
	*out = NULL;
	*n = 0;
	int r = node_with_heredocs(&node, line, len, escape, err);
	if (r == 0) {
		*out = steal_pointer(&node.heredocs);
		*n = node.nheredocs;
		node.nheredocs = 0;
	}
	bld_parser_node_dispose(&node);
	return r;
}

static int instruction(struct parse *p, struct bld_buf *line, int start, struct bld_error **err)
{
	struct bld_parser_node node = {0};
	int r = node_with_heredocs(&node, bld_buf_str(line), line->len, p->d.escape, err);
	if (r < 0) {
		bld_parser_node_dispose(&node);
		return fail(err, start, r);
	}
	if (node.nheredocs) {
		r = read_heredoc_bodies(p, &node, start, err);
		if (r < 0) {
			bld_parser_node_dispose(&node);
			return r;
		}
	}
	node.start_line = start;
	node.end_line = p->line;
	if (p->n >= BLD_PARSER_MAX_INSTRUCTIONS) {
		bld_parser_node_dispose(&node);
		return fail(err, start, bld_error_set(err, BLD_E_INVALID, "more than %d instructions",
						      BLD_PARSER_MAX_INSTRUCTIONS));
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->nodes = xrealloc(p->nodes, p->cap * sizeof(*p->nodes));
	}
	p->nodes[p->n++] = node;
	return 0;
}

static int parse_lines(struct parse *p, struct bld_error **err)
{
	const char *raw;
	size_t rlen;
	struct bld_buf line = {.max = BLD_PARSER_MAX_DOCKERFILE};
	int r = 0;
	while (r == 0 && scan_line(&p->sc, &raw, &rlen)) {
		if (p->line == 0 && rlen >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0)
			raw += 3, rlen -= 3;
		size_t len = rlen, off;
		if (process_line(&p->d, raw, &len, true, &off, err) < 0) {
			r = fail(err, p->line + 1, -BLD_E_INVALID);
			break;
		}
		p->line++;
		int start = p->line;
		bool eol = !continued(raw + off, &len, p->d.escape);
		if (eol && len == 0)
			continue;
		bld_buf_reset(&line);
		bld_buf_add(&line, raw + off, len);
		if (!eol)
			r = read_continuation(p, &line, err);
		if (r == 0)
			r = instruction(p, &line, start, err);
	}
	bld_buf_dispose(&line);
	if (r == 0 && p->sc.too_long)
		r = fail(err, p->line + 1,
			 bld_error_set(err, BLD_E_INVALID,
				       "dockerfile line greater than max allowed size of %d",
				       BLD_PARSER_MAX_LINE));
	return r;
}

void bld_parser_ast_free(struct bld_parser_ast *ast)
{
	if (!ast)
		return;
	for (size_t i = 0; i < ast->n; i++)
		bld_parser_node_dispose(&ast->nodes[i]);
	free(ast->nodes);
	free(ast->syntax);
	free(ast->check);
	free(ast);
}

int bld_parser_parse(struct bld_parser_ast **out, const char *data, size_t len,
		     struct bld_error **err)
{
	*out = NULL;
	if (len > BLD_PARSER_MAX_DOCKERFILE)
		return bld_error_set(err, BLD_E_INVALID, "Dockerfile:1: file larger than %zu bytes",
				     BLD_PARSER_MAX_DOCKERFILE);
	struct parse p = {.sc = {.d = data, .n = len}, .d = {.escape = '\\'}};
	int r = parse_lines(&p, err);
	if (r == 0 && p.n == 0)
		r = bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: file with no instructions",
				  p.line > 0 ? p.line : 1);
	struct bld_parser_ast *ast = xcalloc(1, sizeof(*ast));
	ast->nodes = p.nodes;
	ast->n = p.n;
	ast->escape = p.d.escape;
	ast->syntax = p.d.syntax;
	ast->check = p.d.check;
	ast->empty_continuation_lines = p.empty_cont;
	if (r < 0) {
		bld_parser_ast_free(ast);
		return r;
	}
	*out = ast;
	return 0;
}
