/*
 * deploy/dotenv.c — .env files as compose-go's dotenv package reads them (the project's .env,
 * --env-file, a service's env_file):
 *
 *   KEY=value  KEY: value  export KEY=value   a UTF-8 byte order mark skipped
 *   unquoted: up to the end of the line, cut at " #", trailing space trimmed, $VARs expanded
 *   'single': literal (only \' escapes the quote), may span lines
 *   "double": \n \t \\ \" \$ \0NNN ... escapes, $VARs expanded, may span lines
 *   KEY alone on its line: inherited from the lookup when it has the variable, else absent
 *   # comments on their own lines; a key is letters, digits, _ . - [ ]
 *
 * Variables in values are looked up first in the caller's lookup, then in what the file (and
 * the files before it) defined. Errors say "line N: what", as compose-go's.
 */
#include "deploy/deploy_int.h"

struct dp {
	int line;
	json_t *out;
	bld_deploy_lookup_fn lookup;
	void *payload;
};

/* dotenv's isSpace: \t \v \f \r ' ' U+0085 U+00A0; the length of the one at s, else 0. */
static size_t env_space(const char *s)
{
	if (*s && strchr("\t\v\f\r ", *s))
		return 1;
	if ((unsigned char)s[0] == 0xc2 && ((unsigned char)s[1] == 0x85 || (unsigned char)s[1] == 0xa0))
		return 2;
	return 0;
}

/* unicode.IsSpace (for the characters a .env file holds): env_space and '\n'. */
static size_t any_space(const char *s)
{
	return *s == '\n' ? 1 : env_space(s);
}

/* Go's %q of n bytes of s, appended to b. */
static void go_quote(struct bld_buf *b, const char *s, size_t n)
{
	bld_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			bld_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			bld_buf_adds(b, "\\n");
		else if (c == '\t')
			bld_buf_adds(b, "\\t");
		else if (c == '\r')
			bld_buf_adds(b, "\\r");
		else if (c < 0x20 || c == 0x7f)
			bld_buf_printf(b, "\\x%02x", c);
		else
			bld_buf_addc(b, (char)c);
	}
	bld_buf_addc(b, '"');
}

/* The next statement: blank space and comment lines skipped (lines counted); NULL at the end. */
static const char *statement_start(struct dp *p, const char *s)
{
	for (;;) {
		for (size_t n; (n = any_space(s)) > 0; s += n)
			p->line += *s == '\n';
		if (!*s)
			return NULL;
		if (*s != '#')
			return s;
		s = strchrnul(s, '\n');
	}
}

static bool key_char(const char *s)
{
	return (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
	       (*s && strchr("_.-[]", *s)) || (unsigned char)*s >= 0x80;
}

static int bad_key_char(struct dp *p, const char *start, const char *at, struct bld_error **err)
{
	struct bld_buf b = BLD_BUF_INIT;
	size_t clen = (unsigned char)*at >= 0x80 ? 2 : 1;
	bld_buf_printf(&b, "line %d: unexpected character ", p->line);
	go_quote(&b, at, clen);
	bld_buf_adds(&b, " in variable name ");
	go_quote(&b, start, (size_t)(strchrnul(start, '\n') - start));
	int r = bld_error_set(err, BLD_E_INVALID, "%s", bld_buf_str(&b));
	bld_buf_dispose(&b);
	return r;
}

/* The key of the statement at s; *rest is where its value starts. A key ended by a newline
 * is inherited. */
static int locate_key(struct dp *p, const char *s, char **key, const char **rest,
		      bool *inherited, struct bld_error **err)
{
	if (strncmp(s, "export", 6) == 0 && s[6] && strchr("\t\n\f\r ", s[6]))
		for (s += 6; env_space(s); s += env_space(s))
			;
	const char *q = s, *val = s;
	size_t klen = 0;
	*inherited = false;
	for (size_t n; *q; q += n) {
		n = env_space(q);
		if (n)
			continue;
		/* a byte at a time: every non-ASCII byte is a key character, and a step of two
		 * would pass the '=' after a three-byte character, or the end of the text */
		n = 1;
		if (*q == '=' || *q == ':' || *q == '\n') {
			klen = (size_t)(q - s);
			val = q + 1;
			*inherited = *q == '\n';
			break;
		}
		if (!key_char(q))
			return bad_key_char(p, s, q, err);
	}
	if (*inherited && !memchr(s, ' ', klen))
		p->line++;
	while (klen > 0 && any_space(s + klen - 1))
		klen--;
	*key = xstrndup(s, klen);
	for (; env_space(val); val += env_space(val))
		;
	*rest = val;
	return 0;
}

/* A variable for $VAR in a value: the caller's lookup first, then what was read so far. */
static const char *value_lookup(const char *name, void *payload)
{
	struct dp *p = payload;
	const char *v = p->lookup ? p->lookup(name, p->payload) : NULL;
	return v ? v : bld_json_get_str(p->out, name);
}

static int expand(struct dp *p, const char *value, char **out, struct bld_error **err)
{
	struct bld_deploy_subst s = {.lookup = value_lookup, .payload = p, .warn = true};
	int r = bld_deploy_substitute(&s, value, out, err);
	free(s.invalid);
	return r;
}

/* The rune of an octal escape as UTF-8 (Go's string(rune)). */
static void add_rune(struct bld_buf *b, unsigned v)
{
	if (v < 0x80) {
		bld_buf_addc(b, (char)v);
		return;
	}
	bld_buf_addc(b, (char)(0xc0 | (v >> 6)));
	bld_buf_addc(b, (char)(0x80 | (v & 0x3f)));
}

/* The escapes of a double-quoted value: \a \b \f \n \r \t \v \" \\, \$ kept as "$$" (so that
 * expansion leaves one '$'), \0NNN octal; any other backslash stays. */
static char *expand_escapes(const char *s)
{
	static const char from[] = "abfnrtv\"\\", to[] = "\a\b\f\n\r\t\v\"\\";
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = 0; s[i]; i++) {
		const char *hit = s[i] == '\\' && s[i + 1] ? strchr(from, s[i + 1]) : NULL;
		if (hit) {
			bld_buf_addc(&b, to[hit - from]);
			i++;
		} else if (s[i] == '\\' && s[i + 1] == '$') {
			bld_buf_adds(&b, "$$");
			i++;
		} else if (s[i] == '\\' && s[i + 1] == '0') {
			size_t d = strspn(s + i + 2, "0123456789");
			d = d > 3 ? 3 : d;
			bool oct = d == 3 && strspn(s + i + 2, "01234567") >= 3 && s[i + 2] <= '3';
			if (oct)
				add_rune(&b, (unsigned)((s[i + 2] - '0') * 64 + (s[i + 3] - '0') * 8 +
							(s[i + 4] - '0')));
			else
				bld_buf_add(&b, s + i, 2 + d);
			i += 1 + d;
		} else {
			bld_buf_addc(&b, s[i]);
		}
	}
	return bld_buf_detach(&b);
}

static int unquoted_value(struct dp *p, const char *s, char **value, const char **rest,
			  struct bld_error **err)
{
	const char *nl = strchrnul(s, '\n');
	*rest = *nl ? nl + 1 : nl;
	p->line++;
	size_t n = (size_t)(nl - s);
	const char *hash = memmem(s, n, " #", 2);
	if (hash)
		n = (size_t)(hash - s);
	while (n > 0 && any_space(s + n - 1))
		n--;
	cleanup_free char *raw = xstrndup(s, n);
	return expand(p, raw, value, err);
}

/* A quoted value: up to the unescaped closing quote, across lines. */
static int quoted_value(struct dp *p, const char *s, char **value, const char **rest,
			struct bld_error **err)
{
	char q = s[0];
	struct bld_buf b = BLD_BUF_INIT;
	bool esc = false;
	for (size_t i = 1; s[i]; i++) {
		p->line += s[i] == '\n';
		if (s[i] != q && !esc && s[i] == '\\') {
			esc = true;
			continue;
		}
		if (s[i] != q && esc)
			bld_buf_addc(&b, '\\');
		if (s[i] != q || esc) {
			esc = false;
			bld_buf_addc(&b, s[i]);
			continue;
		}
		*rest = s + i + 1;
		if (q == '\'') {
			*value = bld_buf_detach(&b);
			return 0;
		}
		cleanup_free char *unescaped = expand_escapes(bld_buf_str(&b));
		bld_buf_dispose(&b);
		return expand(p, unescaped, value, err);
	}
	bld_buf_dispose(&b);
	return bld_error_set(err, BLD_E_INVALID, "line %d: unterminated quoted value %.*s", p->line,
			     (int)(strchrnul(s, '\n') - s), s);
}

static int statement(struct dp *p, const char **s, struct bld_error **err)
{
	cleanup_free char *key = NULL;
	bool inherited;
	const char *rest = NULL;
	if (locate_key(p, *s, &key, &rest, &inherited, err) < 0)
		return -BLD_E_INVALID;
	if (strchr(key, ' '))
		return bld_error_set(err, BLD_E_INVALID, "line %d: key cannot contain a space",
				     p->line);
	*s = rest;
	if (inherited) {
		const char *v = p->lookup ? p->lookup(key, p->payload) : NULL;
		if (v)
			json_object_set_new(p->out, key, json_string(v));
		return 0;
	}
	cleanup_free char *value = NULL;
	int r = **s == '\'' || **s == '"' ? quoted_value(p, *s, &value, s, err)
					   : unquoted_value(p, *s, &value, s, err);
	if (r == 0)
		json_object_set_new(p->out, key, json_string(value));
	return r;
}

int bld_deploy_dotenv_parse(const char *text, json_t *out, bld_deploy_lookup_fn lookup,
			    void *payload, struct bld_error **err)
{
	struct dp p = {.line = 1, .out = out, .lookup = lookup, .payload = payload};
	const char *s = text;
	if (bld_str_has_prefix(s, "\xef\xbb\xbf"))
		s += 3;
	for (;;) {
		s = statement_start(&p, s);
		if (!s)
			return 0;
		if (statement(&p, &s, err) < 0)
			return -BLD_E_INVALID;
	}
}
