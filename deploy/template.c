/*
 * deploy/template.c — variable substitution in a string, as compose-go's template package
 * does it for compose files and .env values:
 *
 *   $$ -> $     $NAME, ${NAME}     ${NAME:-d} ${NAME-d}     ${NAME:+r} ${NAME+r}
 *   ${NAME:?err} ${NAME?err}      nested: ${A:-${B:-x}}
 *
 * A name is [_a-zA-Z][_a-zA-Z0-9]*; a '$' followed by anything else stays as it is. compose-go
 * finds each occurrence with a regular expression whose "${NAME<op>...}" form reaches the
 * last '}' of the line, then cuts it at the brace that closes the first one and substitutes
 * the rest of it on its own; the scanner below does exactly that, without a regex. The
 * operator is the first of :? ? :- - :+ + in the occurrence. `${` that starts no valid form
 * is an invalid template (the message names the innermost template string).
 *
 * It knows nothing of YAML or files: values come from a lookup function.
 */
#include "deploy/deploy_int.h"

enum m_kind { M_NONE, M_ESCAPED, M_NAMED, M_BRACED, M_INVALID };

struct match {
	enum m_kind kind;
	size_t end;    /* index just past the occurrence */
	size_t g0, g1; /* the name (named) or everything between the braces (braced) */
};

static bool name_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t name_len(const char *s)
{
	if (!name_start(*s))
		return 0;
	size_t n = 1;
	while (name_start(s[n]) || (s[n] >= '0' && s[n] <= '9'))
		n++;
	return n;
}

/* compose-go's pattern at t[i] == '$'. */
static struct match match_at(const char *t, size_t i)
{
	const char *s = t + i + 1;
	if (*s == '$')
		return (struct match){M_ESCAPED, i + 2, 0, 0};
	size_t nl = name_len(s);
	if (nl)
		return (struct match){M_NAMED, i + 1 + nl, i + 1, i + 1 + nl};
	if (*s != '{')
		return (struct match){M_NONE, i + 1, 0, 0};
	size_t j = i + 2, k = j + name_len(t + j);
	if (k > j) {
		size_t p = k + (t[k] == ':');
		if (t[p] && strchr("-+?", t[p])) {
			const char *from = t + p + 1;
			const char *close = memrchr(from, '}', (size_t)(strchrnul(from, '\n') - from));
			if (close)
				return (struct match){M_BRACED, (size_t)(close - t) + 1, j,
						      (size_t)(close - t)};
		}
		if (t[k] == '}')
			return (struct match){M_BRACED, k + 1, j, k};
	}
	return (struct match){M_INVALID, i + 2, 0, 0};
}

/* Index of the '}' that closes the first '{' (a '{' also skips the byte after it), or -1. */
static long first_close(const char *s)
{
	int open = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '}' && --open == 0)
			return (long)i;
		if (s[i] == '{') {
			open++;
			if (!s[++i])
				break;
		}
	}
	return -1;
}

/* The first operator in s: ":?" "?" ":-" "-" ":+" "+", or NULL. */
static const char *first_op(const char *s, char *buf)
{
	for (; *s; s++) {
		if (*s == ':' && s[1] && strchr("?-+", s[1])) {
			buf[0] = ':', buf[1] = s[1], buf[2] = '\0';
			return buf;
		}
		if (strchr("?-+", *s)) {
			buf[0] = *s, buf[1] = '\0';
			return buf;
		}
	}
	return NULL;
}

static int subst(struct bld_deploy_subst *s, const char *t, struct bld_buf *out,
		 struct bld_error **err);

static const char *lookup(struct bld_deploy_subst *s, const char *name)
{
	return s->lookup(name, s->payload);
}

/* Substitutes text into out (a default, a replacement, an error message). */
static int subst_into(struct bld_deploy_subst *s, const char *text, struct bld_buf *out,
		      struct bld_error **err)
{
	return subst(s, text, out, err);
}

/* ${NAME<op>word}: op decides between the variable's value and word (substituted too). */
static int apply_op(struct bld_deploy_subst *s, const char *op, const char *group,
		    struct bld_buf *out, struct bld_error **err)
{
	const char *at = strstr(group, op);
	cleanup_free char *name = xstrndup(group, (size_t)(at - group));
	const char *word = at + strlen(op), *v = lookup(s, name);
	bool colon = op[0] == ':';
	char kind = op[colon];
	bool set = v && (!colon || *v);
	if (kind == '-')
		return set ? (bld_buf_adds(out, v), 0) : subst_into(s, word, out, err);
	if (kind == '+')
		return set ? subst_into(s, word, out, err) : (bld_buf_adds(out, v ? v : ""), 0);
	if (set) {
		bld_buf_adds(out, v);
		return 0;
	}
	struct bld_buf reason = BLD_BUF_INIT;
	int r = subst_into(s, word, &reason, err);
	if (r == 0 && reason.len)
		r = bld_error_set(err, BLD_E_INVALID, "required variable %s is missing a value: %s",
				  name, reason.data);
	else if (r == 0)
		r = bld_error_set(err, BLD_E_INVALID, "required variable %s is missing a value",
				  name);
	bld_buf_dispose(&reason);
	return r;
}

static int invalid(struct bld_deploy_subst *s, const char *t, struct bld_error **err)
{
	if (!s->invalid)
		s->invalid = xstrdup(t);
	return bld_error_set(err, BLD_E_INVALID, "invalid template: \"%s\"", s->invalid);
}

/* One braced occurrence occ (a copy): cut at its closing brace, substituted, and what follows
 * that brace inside the occurrence substituted after it. */
static int braced(struct bld_deploy_subst *s, const char *t, char *occ, struct bld_buf *out,
		  struct bld_error **err)
{
	long cb = first_close(occ);
	cleanup_free char *rest = xstrdup(cb >= 0 ? occ + cb + 1 : "");
	if (cb >= 0)
		occ[cb + 1] = '\0';
	struct match m = match_at(occ, 0);
	if (m.kind == M_ESCAPED) {
		bld_buf_addc(out, '$');
		return 0;
	}
	if (m.kind != M_NAMED && m.kind != M_BRACED)
		return invalid(s, t, err);
	cleanup_free char *group = xstrndup(occ + m.g0, m.g1 - m.g0);
	char opbuf[3];
	const char *op = m.kind == M_BRACED ? first_op(occ, opbuf) : NULL;
	if (op && strstr(group, op)) {
		int r = apply_op(s, op, group, out, err);
		return r < 0 ? r : subst(s, rest, out, err);
	}
	const char *v = lookup(s, group);
	if (!v && s->warn)
		bld_warn("The \"%s\" variable is not set. Defaulting to a blank string.", group);
	bld_buf_adds(out, v ? v : "");
	return 0;
}

static int subst(struct bld_deploy_subst *s, const char *t, struct bld_buf *out,
		 struct bld_error **err)
{
	for (size_t i = 0; t[i];) {
		const char *dollar = strchr(t + i, '$');
		if (!dollar) {
			bld_buf_adds(out, t + i);
			break;
		}
		bld_buf_add(out, t + i, (size_t)(dollar - (t + i)));
		i = (size_t)(dollar - t);
		struct match m = match_at(t, i);
		if (m.kind == M_NONE) {
			bld_buf_addc(out, '$');
		} else if (m.kind == M_INVALID) {
			return invalid(s, t, err);
		} else {
			cleanup_free char *occ = xstrndup(t + i, m.end - i);
			if (braced(s, t, occ, out, err) < 0)
				return -BLD_E_INVALID;
		}
		i = m.end;
	}
	return 0;
}

int bld_deploy_substitute(struct bld_deploy_subst *s, const char *tmpl, char **out,
			  struct bld_error **err)
{
	struct bld_buf b = BLD_BUF_INIT;
	int r = subst(s, tmpl, &b, err);
	if (r < 0) {
		bld_buf_dispose(&b);
		return r;
	}
	*out = bld_buf_detach(&b);
	return 0;
}
