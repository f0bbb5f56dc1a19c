/*
 * deploy/yaml_scalar.c — the type of a YAML scalar, as go-yaml (the library compose-go reads
 * compose files with) resolves it when decoding into untyped values: the YAML 1.2 core
 * schema plus go-yaml's compatibility rules.
 *
 *   null     "", ~, null, Null, NULL
 *   bool     true, True, TRUE, false, False, FALSE (yes/no/on/off stay strings here: the
 *            loader turns them into booleans only where a boolean is expected)
 *   int      decimal, 0x hex, 0o and leading-0 octal, 0b binary, underscores ignored
 *   float    [-+]?(.N|N(.N*)?)([eE][-+]?N)?
 *   string   everything else, and every quoted, literal or folded scalar
 *
 * .inf and .nan stay strings: JSON has no such numbers. Timestamps stay strings, as
 * go-yaml leaves them when the target is untyped.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>

#include "deploy/deploy_int.h"

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Go's strconv.ParseInt(s, 0, 64): sign, then 0x/0o/0b prefixes or a leading 0 for octal. */
static bool parse_go_int(const char *s, long long *out)
{
	const char *p = s;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1;
	static const char *const digits[] = {[2] = "01", [8] = "01234567", [10] = "0123456789",
					     [16] = "0123456789abcdefABCDEF"};
	if (!*p || strspn(p, digits[base]) != strlen(p))
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(p, &end, base);
	if (errno || *end || v > (neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX))
		return false;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return true;
}

/* go-yaml's float pattern: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool yaml_style_float(const char *s)
{
	const char *p = s + (*s == '-' || *s == '+');
	size_t digits = strspn(p, "0123456789");
	if (digits == 0) {
		if (*p != '.' || !strspn(p + 1, "0123456789"))
			return false;
		p += 1 + strspn(p + 1, "0123456789");
	} else {
		p += digits;
		if (*p == '.')
			p += 1 + strspn(p + 1, "0123456789");
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		p += *p == '-' || *p == '+';
		size_t e = strspn(p, "0123456789");
		if (!e)
			return false;
		p += e;
	}
	return *p == '\0';
}

static json_t *number(const char *s)
{
	cleanup_free char *plain = xmalloc(strlen(s) + 1);
	size_t k = 0;
	for (const char *p = s; *p; p++)
		if (*p != '_')
			plain[k++] = *p;
	plain[k] = '\0';
	long long iv;
	if (parse_go_int(plain, &iv))
		return json_integer(iv);
	bool dot = plain[0] == '.';
	if (dot || yaml_style_float(plain)) {
		char *end = NULL;
		errno = 0;
		double d = strtod(dot ? s : plain, &end);
		if (!errno && end && !*end && isfinite(d))
			return json_real(d);
	}
	return NULL;
}

json_t *bld_deploy_yaml_scalar(const char *s, size_t n, bool plain)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	if (!plain || strlen(s) != n)
		return json_stringn(s, n);
	if (in_list(s, nulls))
		return json_null();
	if (in_list(s, trues))
		return json_true();
	if (in_list(s, falses))
		return json_false();
	if (strchr("0123456789+-.", s[0])) {
		json_t *v = number(s);
		if (v)
			return v;
	}
	return json_stringn(s, n);
}
