/*
 * parser/dump.c — printing an AST: BuildKit's Node.Dump() s-expressions (the conformance
 * `result` format, byte for byte) and a JSON document for `bld parse --format=json`. It
 * reads the AST only; it never changes or validates it.
 */
#include "parser/parser_int.h"

static int dump_node(struct bld_buf *b, const struct bld_parser_node *n);

/* strings.TrimSpace on what was appended to b since start */
static void trim_from(struct bld_buf *b, size_t start)
{
	const char *s = b->data + start;
	size_t len = b->len - start;
	size_t skip = len - bld_parser_ltrim(s, len);
	size_t keep = bld_parser_rtrim(s + skip, len - skip);
	memmove(b->data + start, s + skip, keep);
	b->len = start + keep;
	b->data[b->len] = '\0';
}

static int dump_node(struct bld_buf *b, const struct bld_parser_node *n)
{
	size_t start = b->len;
	int r = bld_buf_adds(b, n->cmd);
	if (n->nflags) {
		r |= bld_buf_adds(b, " [");
		for (size_t i = 0; i < n->nflags; i++) {
			if (i)
				r |= bld_buf_addc(b, ' ');
			r |= bld_parser_quote(b, n->flags[i].s, n->flags[i].len);
		}
		r |= bld_buf_addc(b, ']');
	}
	for (size_t i = 0; i < n->nargs; i++) {
		r |= bld_buf_addc(b, ' ');
		r |= bld_parser_quote(b, n->args[i].s, n->args[i].len);
	}
	if (n->sub) {
		r |= bld_buf_adds(b, " (");
		r |= dump_node(b, n->sub);
		r |= bld_buf_addc(b, ')');
	}
	if (r)
		return -1;
	trim_from(b, start);
	return 0;
}

int bld_parser_dump_node(struct bld_buf *out, const struct bld_parser_node *n)
{
	return dump_node(out, n);
}

int bld_parser_dump_buildkit(struct bld_buf *out, const struct bld_parser_ast *ast)
{
	size_t start = out->len;
	for (size_t i = 0; i < ast->n; i++) {
		if (bld_buf_addc(out, '(') < 0 || dump_node(out, &ast->nodes[i]) < 0 ||
		    bld_buf_adds(out, ")\n") < 0)
			return -1;
	}
	trim_from(out, start);
	return bld_buf_addc(out, '\n');
}

/* A JSON string; bytes that are not UTF-8 are written as U+FFFD. */
static int json_str(struct bld_buf *b, const char *s, size_t n)
{
	int r = bld_buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		size_t w;
		uint32_t cp = bld_parser_utf8_decode(s + i, n - i, &w);
		if (cp == '"' || cp == '\\')
			r |= bld_buf_addc(b, '\\'), r |= bld_buf_addc(b, (char)cp);
		else if (cp == '\n')
			r |= bld_buf_adds(b, "\\n");
		else if (cp == '\t')
			r |= bld_buf_adds(b, "\\t");
		else if (cp < 0x20 || cp == 0x7F)
			r |= bld_buf_printf(b, "\\u%04x", (unsigned)cp);
		else if (cp == BLD_RUNE_ERROR && w == 1)
			r |= bld_parser_utf8_put(b, cp);
		else
			r |= bld_buf_add(b, s + i, w);
		i += w;
	}
	return r | bld_buf_addc(b, '"');
}

static int json_words(struct bld_buf *b, const struct bld_parser_word *v, size_t n)
{
	int r = bld_buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			r |= bld_buf_addc(b, ',');
		r |= json_str(b, v[i].s, v[i].len);
	}
	return r | bld_buf_addc(b, ']');
}

static int json_heredocs(struct bld_buf *b, const struct bld_parser_node *n)
{
	int r = bld_buf_addc(b, '[');
	for (size_t i = 0; i < n->nheredocs; i++) {
		const struct bld_parser_heredoc *h = &n->heredocs[i];
		if (i)
			r |= bld_buf_addc(b, ',');
		r |= bld_buf_adds(b, "{\"name\":");
		r |= json_str(b, h->name, strlen(h->name));
		r |= bld_buf_printf(b, ",\"fd\":%u,\"expand\":%s,\"chomp\":%s,\"content\":", h->fd,
				    h->expand ? "true" : "false", h->chomp ? "true" : "false");
		r |= json_str(b, h->content.s, h->content.len);
		r |= bld_buf_addc(b, '}');
	}
	return r | bld_buf_addc(b, ']');
}

static int json_node(struct bld_buf *b, const struct bld_parser_node *n)
{
	int r = bld_buf_adds(b, "{\"instruction\":");
	r |= json_str(b, n->cmd, strlen(n->cmd));
	r |= bld_buf_adds(b, ",\"keyword\":");
	r |= json_str(b, n->keyword.s, n->keyword.len);
	r |= bld_buf_printf(b, ",\"start_line\":%d,\"end_line\":%d,\"json\":%s,\"flags\":",
			    n->start_line, n->end_line, n->json ? "true" : "false");
	r |= json_words(b, n->flags, n->nflags);
	r |= bld_buf_adds(b, ",\"args\":");
	r |= json_words(b, n->args, n->nargs);
	r |= bld_buf_adds(b, ",\"heredocs\":");
	r |= json_heredocs(b, n);
	if (n->sub) {
		r |= bld_buf_adds(b, ",\"sub\":");
		r |= json_node(b, n->sub);
	}
	r |= bld_buf_adds(b, ",\"original\":");
	r |= json_str(b, n->original.s, n->original.len);
	return r | bld_buf_addc(b, '}');
}

int bld_parser_dump_json(struct bld_buf *out, const struct bld_parser_ast *ast)
{
	int r = bld_buf_printf(out, "{\"escape\":\"%s\",\"syntax\":",
			       ast->escape == '`' ? "`" : "\\\\");
	r |= ast->syntax ? json_str(out, ast->syntax, strlen(ast->syntax)) : bld_buf_adds(out, "null");
	r |= bld_buf_adds(out, ",\"check\":");
	r |= ast->check ? json_str(out, ast->check, strlen(ast->check)) : bld_buf_adds(out, "null");
	r |= bld_buf_adds(out, ",\"instructions\":[");
	for (size_t i = 0; i < ast->n; i++) {
		if (i)
			r |= bld_buf_adds(out, ",\n");
		else
			r |= bld_buf_addc(out, '\n');
		r |= json_node(out, &ast->nodes[i]);
	}
	return r | bld_buf_adds(out, "\n]}\n");
}
