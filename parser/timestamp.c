/*
 * parser/timestamp.c — the times docker's --since, --until and until= filters take
 * (timetypes.GetTimestamp, which the CLI and the daemon both apply): a duration before now
 * ("10m"), a date in local time unless it names a zone, or unix seconds with up to nine
 * decimals. Parsing only: the caller gives the time now; the local zone is the process's.
 * A date beyond what nanoseconds since the epoch hold is the earliest or latest they do.
 */
#include "parser/parser_int.h"

#include <time.h>

/* A date as docker's --since/--until read it: local time unless a zone is given. */
static int parse_date(const char *s, int64_t *ns)
{
	static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H",
					   "%Y-%m-%d"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(fmts); i++) {
		struct tm tm = {.tm_isdst = -1};
		const char *rest = strptime(s, fmts[i], &tm);
		if (!rest)
			continue;
		double frac = 0;
		if (*rest == '.') {
			char *end = NULL;
			frac = strtod(rest, &end);
			rest = end;
		}
		int64_t t;
		int hh = 0, mm = 0;
		if (*rest == 'Z' || *rest == 'z') {
			t = (int64_t)timegm(&tm);
			rest++;
		} else if ((*rest == '+' || *rest == '-') && sscanf(rest + 1, "%2d:%2d", &hh, &mm) == 2) {
			t = (int64_t)timegm(&tm) - (*rest == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
			rest += 6;
		} else {
			t = (int64_t)mktime(&tm);
		}
		if (*rest)
			return -1;
		/* past what nanoseconds since the epoch hold (the years 1678 to 2262): the end */
		if (t >= INT64_MAX / 1000000000)
			*ns = INT64_MAX;
		else if (t <= INT64_MIN / 1000000000)
			*ns = INT64_MIN;
		else
			*ns = t * 1000000000 + (int64_t)(frac * 1e9 + 0.5);
		return 0;
	}
	return -1;
}

int bld_parser_timestamp(const char *s, int64_t now, int64_t *ns)
{
	int64_t d;
	if (strcmp(s, "0") != 0 && bld_parser_duration(s, &d) == 0) {
		*ns = (now - d / 1000000000) * 1000000000;
		return 0;
	}
	if (parse_date(s, ns) == 0)
		return 0;
	/* unix seconds with up to nine decimals, kept exact (a double would round them) */
	long sec = 0, frac = 0;
	size_t ds = strspn(s, "0123456789"), df = s[ds] == '.' ? strspn(s + ds + 1, "0123456789") : 0;
	cleanup_free char *whole = xstrndup(s, ds);
	if (ds && ds <= 12 && df <= 9 && !s[ds + (s[ds] == '.') + df] &&
	    bld_parse_long(whole, 0, 999999999999L, &sec) == 0) {
		for (size_t i = 0; i < 9; i++)
			frac = frac * 10 + (i < df ? s[ds + 1 + i] - '0' : 0);
		*ns = (int64_t)sec * 1000000000 + frac;
		return 0;
	}
	return -1;
}

int bld_parser_until(const char *v, int64_t now, int64_t *ns, struct bld_error **err)
{
	if (bld_parser_timestamp(v, now, ns) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "failed to parse value as time or duration: \"%s\"", v);
	return 0;
}
