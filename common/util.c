/*
 * common/util.c — allocation that aborts on failure, capped growable buffers, string
 * vectors and checked number parsing. Nothing here does I/O.
 */
#include "common/common.h"

#include <errno.h>
#include <limits.h>
#include <time.h>

static void oom(void)
{
	static const char msg[] = "bld: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p = NULL;
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

/* ------------------------------------------------------------------ bld_buf */

static int buf_grow(struct bld_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : BLD_BUF_DEFAULT_MAX;
	if (extra > max || b->len > max - extra)
		return -1;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int bld_buf_add(struct bld_buf *b, const void *data, size_t n)
{
	if (buf_grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int bld_buf_adds(struct bld_buf *b, const char *s) { return bld_buf_add(b, s, strlen(s)); }

int bld_buf_addc(struct bld_buf *b, char c) { return bld_buf_add(b, &c, 1); }

int bld_buf_printf(struct bld_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	int r = bld_buf_adds(b, s);
	free(s);
	return r;
}

char *bld_buf_detach(struct bld_buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void bld_buf_dispose(struct bld_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void bld_buf_reset(struct bld_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* ------------------------------------------------------------------ strv */

size_t bld_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

bool bld_strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void bld_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void bld_strvp(char ***v) { bld_strv_free(*v); }

void bld_strv_push(char ***v, const char *s)
{
	size_t n = bld_strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

char **bld_strv_dup(char *const *v)
{
	size_t n = bld_strv_len(v);
	char **r = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

char **bld_strv_values(char *const *kv, const char *key)
{
	char **v = NULL;
	size_t k = strlen(key);
	for (size_t i = 0; kv && kv[i]; i++)
		if (strncmp(kv[i], key, k) == 0 && kv[i][k] == '=')
			bld_strv_push(&v, kv[i] + k + 1);
	return v;
}

void bld_strv_env_set(char ***v, const char *name, const char *value)
{
	size_t n = strlen(name);
	cleanup_free char *kv = value ? xasprintf("%s=%s", name, value) : NULL;
	for (size_t i = 0; *v && (*v)[i]; i++) {
		if (strncmp((*v)[i], name, n) == 0 && (*v)[i][n] == '=') {
			if (!kv) {
				free((*v)[i]);
				for (size_t j = i; (*v)[j]; j++)
					(*v)[j] = (*v)[j + 1];
				return;
			}
			free((*v)[i]);
			(*v)[i] = steal_pointer(&kv);
			return;
		}
	}
	if (kv)
		bld_strv_push(v, kv);
}

const char *bld_strv_env_get(char *const *v, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; v && v[i]; i++)
		if (strncmp(v[i], name, n) == 0 && v[i][n] == '=')
			return v[i] + n + 1;
	return NULL;
}

bool bld_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool bld_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int bld_parse_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s)
		return -1;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int bld_parse_size(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	double mult = 1;
	switch (*end) {
	case '\0': break;
	case 'b': case 'B': mult = 1; end++; break;
	case 'k': case 'K': mult = 1024.0; end++; break;
	case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: return -1;
	}
	if (mult > 1 && (*end == 'b' || *end == 'B' || *end == 'i'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -1;
	double r = v * mult;
	if (r > (double)INT64_MAX)
		return -1;
	*out = (int64_t)r;
	return 0;
}

void bld_format_size(char *out, size_t n, double bytes)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	size_t u = 0;
	while (bytes >= 1000.0 && u + 1 < BLD_ARRAY_SIZE(units)) {
		bytes /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%.0f%s", bytes, units[u]);
	else
		snprintf(out, n, "%.3g%s", bytes, units[u]);
}

void bld_format_size_binary(char *out, size_t n, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	size_t u = 0;
	while (bytes >= 1024.0 && u + 1 < BLD_ARRAY_SIZE(units)) {
		bytes /= 1024.0;
		u++;
	}
	snprintf(out, n, "%.4g%s", bytes, units[u]);
}

int64_t bld_mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int64_t bld_mono_ms(void) { return bld_mono_ns() / 1000000; }

char **bld_strv_split(const char *s, const char *delims)
{
	char **v = NULL;
	cleanup_free char *copy = xstrdup(s ? s : "");
	char *save = NULL;
	for (char *t = strtok_r(copy, delims, &save); t; t = strtok_r(NULL, delims, &save))
		bld_strv_push(&v, t);
	return v;
}

/* t's seconds (timegm, zone offset applied) and the nanoseconds of its fraction. */
static int time_parts(const char *t, int64_t *sec, int64_t *nsec)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *rest = t ? strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!rest)
		return -1;
	int64_t v = (int64_t)timegm(&tm), frac = 0;
	if (*rest == '.') {
		size_t n = strspn(rest + 1, "0123456789");
		for (size_t i = 0; i < 9; i++)
			frac = frac * 10 + (i < n ? rest[1 + i] - '0' : 0);
		rest += 1 + n;
	}
	int sign = *rest == '+' ? -1 : *rest == '-' ? 1 : 0;
	int hh = 0, mm = 0;
	if (sign && sscanf(rest + 1, "%2d:%2d", &hh, &mm) == 2)
		v += sign * (hh * 3600 + mm * 60);
	*sec = v;
	*nsec = frac;
	return 0;
}

int64_t bld_time_parse(const char *t)
{
	int64_t sec, nsec;
	return time_parts(t, &sec, &nsec) < 0 ? -1 : sec;
}

int bld_time_parse_ns(const char *t, int64_t *ns)
{
	int64_t sec, nsec;
	if (time_parts(t, &sec, &nsec) < 0)
		return -1;
	const int64_t lim = INT64_MAX / 1000000000 - 1;
	*ns = sec < -lim ? INT64_MIN : sec > lim ? INT64_MAX : sec * 1000000000 + nsec;
	return 0;
}
