/*
 * deploy/units.c — the value syntaxes of the Compose Specification that compose-go reads with
 * Go libraries: durations (str2duration: Go's units plus d and w; "1m30s", "1.5h"), printed
 * back as Go's time.Duration.String() prints them, and byte sizes (go-units RAMInBytes: binary
 * multiples, "512m", "1.5g", "2kb"). Plain numbers stand for what compose-go takes them as.
 * It knows nothing of where a value sits in a document.
 */
#include "deploy/deploy_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>

static const struct {
	const char *name;
	double ns;
} duration_units[] = {
	{"ns", 1},     {"us", 1e3},   {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6},
	{"s", 1e9},    {"m", 60e9},   {"h", 3600e9},      {"d", 86400e9},     {"w", 604800e9},
};

/* Reads one "<number><unit>" at *s; adds its nanoseconds to *total. */
static int duration_part(const char **s, double *total)
{
	char *end = NULL;
	errno = 0;
	double n = strtod(*s, &end);
	if (end == *s || errno || **s == '-' || **s == '+' || !isfinite(n))
		return -1;
	size_t best = 0, best_len = 0;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(duration_units); i++) {
		size_t l = strlen(duration_units[i].name);
		if (!strncmp(end, duration_units[i].name, l) && l > best_len) {
			best = i;
			best_len = l;
		}
	}
	if (best_len == 0)
		return -1;
	*total += n * duration_units[best].ns;
	*s = end + best_len;
	return 0;
}

int bld_deploy_duration_parse(const char *s, int64_t *ns)
{
	double total = 0;
	bool neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (!strcmp(s, "0")) {
		if (ns)
			*ns = 0;
		return 0;
	}
	if (!*s)
		return -BLD_E_INVALID;
	while (*s)
		if (duration_part(&s, &total) < 0)
			return -BLD_E_INVALID;
	if (total > 9.2e18)
		return -BLD_E_INVALID;
	if (ns)
		*ns = (int64_t)(neg ? -total : total);
	return 0;
}

/* "1.5" from 1500 and 1000; no trailing zeros, no point for whole numbers. */
static void add_fraction(struct bld_buf *b, uint64_t v, uint64_t unit)
{
	bld_buf_printf(b, "%llu", (unsigned long long)(v / unit));
	uint64_t frac = v % unit;
	if (!frac)
		return;
	char digits[32];
	int w = 0;
	for (uint64_t u = unit; u > 1 && w < 20; u /= 10)
		w++;
	snprintf(digits, sizeof(digits), "%0*llu", w & 31, (unsigned long long)frac);
	for (int i = w - 1; i > 0 && digits[i] == '0'; i--)
		digits[i] = 0;
	bld_buf_printf(b, ".%s", digits);
}

static void add_unit(struct bld_buf *b, uint64_t v, uint64_t unit, const char *name)
{
	add_fraction(b, v, unit);
	bld_buf_adds(b, name);
}

char *bld_deploy_duration_format(int64_t ns)
{
	struct bld_buf b = BLD_BUF_INIT;
	uint64_t v = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
	if (ns < 0)
		bld_buf_addc(&b, '-');
	if (v == 0)
		bld_buf_adds(&b, "0s");
	else if (v < 1000)
		bld_buf_printf(&b, "%lluns", (unsigned long long)v);
	else if (v < 1000000)
		add_unit(&b, v, 1000, "\xc2\xb5s");
	else if (v < 1000000000)
		add_unit(&b, v, 1000000, "ms");
	else {
		uint64_t sec = v / 1000000000, h = sec / 3600, m = sec % 3600 / 60;
		if (h)
			bld_buf_printf(&b, "%lluh", (unsigned long long)h);
		if (h || m)
			bld_buf_printf(&b, "%llum", (unsigned long long)m);
		add_fraction(&b, v % 60000000000ULL, 1000000000);
		bld_buf_addc(&b, 's');
	}
	return bld_buf_detach(&b);
}

int bld_deploy_bytes_parse(const char *s, int64_t *out)
{
	static const char units[] = "bkmgtp";
	char *end = NULL;
	errno = 0;
	long long whole = strtoll(s, &end, 10);
	if (end != s && !*end && !errno) {
		*out = whole;
		return 0;
	}
	double n = strtod(s, &end);
	if (end == s || errno || n < 0 || !isfinite(n))
		return -BLD_E_INVALID;
	double mult = 1;
	if (*end) {
		const char *u = strchr(units, tolower((unsigned char)*end));
		if (!u)
			return -BLD_E_INVALID;
		for (long i = 0; i < u - units; i++)
			mult *= 1024;
		end++;
		if (*end && strcasecmp(end, "b") && strcasecmp(end, "ib"))
			return -BLD_E_INVALID;
	}
	if (n * mult > 9.2e18)
		return -BLD_E_INVALID;
	*out = (int64_t)(n * mult);
	return 0;
}

/* s split at every sep (empty fields kept); NULL-terminated. */
char **bld_deploy_split(const char *s, char sep)
{
	size_t n = 1, i = 0;
	for (const char *p = s; *p; p++)
		n += *p == sep;
	char **v = xmalloc((n + 1) * sizeof(char *));
	for (const char *p = s;; i++) {
		const char *e = strchr(p, sep);
		if (!e) {
			v[i++] = xstrdup(p);
			break;
		}
		v[i] = xstrndup(p, (size_t)(e - p));
		p = e + 1;
	}
	v[i] = NULL;
	return v;
}

/* Go's path.Clean on p (taken, returned): no "//", ".", "x/..", trailing "/". */
char *bld_deploy_path_clean(char *p)
{
	bool abs = p[0] == '/';
	cleanup_strv char **parts = bld_deploy_split(p, '/');
	size_t n = 0;
	char **out = xmalloc((bld_strv_len(parts) + 1) * sizeof(char *));
	for (size_t i = 0; parts[i]; i++) {
		if (!*parts[i] || !strcmp(parts[i], "."))
			continue;
		if (!strcmp(parts[i], "..") && n > 0 && strcmp(out[n - 1], "..")) {
			n--;
			continue;
		}
		if (!strcmp(parts[i], "..") && abs)
			continue;
		out[n++] = parts[i];
	}
	struct bld_buf b = BLD_BUF_INIT;
	if (abs)
		bld_buf_addc(&b, '/');
	for (size_t i = 0; i < n; i++)
		bld_buf_printf(&b, "%s%s", i ? "/" : "", out[i]);
	if (!abs && n == 0)
		bld_buf_addc(&b, '.');
	free(out);
	free(p);
	return bld_buf_detach(&b);
}
