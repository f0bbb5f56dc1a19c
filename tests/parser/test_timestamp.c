/*
 * tests/parser/test_timestamp.c — docker's GetTimestamp forms of --since, --until and
 * until=: a duration before the given now, RFC 3339 dates and their shorter forms (in UTC
 * here: TZ is set), with a zone or an offset, unix seconds with a fraction kept exact; what
 * is none of them is refused; a date beyond what nanoseconds hold is the end they hold.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <time.h>

#include "parser/parser.h"

#define S 1000000000LL

struct case_ {
	const char *in;
	int64_t want;
};

Test(parser_timestamp, docker_forms)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const int64_t now = 1700000000;
	static const struct case_ ok[] = {
		{"24h", (1700000000LL - 86400) * S},
		{"1h30m", (1700000000LL - 5400) * S},
		{"0", 0},
		{"1700000000", 1700000000LL * S},
		{"1700000000.5", 1700000000LL * S + 500000000},
		{"1700000000.000000001", 1700000000LL * S + 1},
		{"2024-01-01T00:00:00Z", 1704067200LL * S},
		{"2024-01-01T00:00:00.25Z", 1704067200LL * S + 250000000},
		{"2024-01-01T01:00:00+01:00", 1704067200LL * S},
		{"2024-01-01T00:00:00", 1704067200LL * S},
		{"2024-01-01T00:00", 1704067200LL * S},
		{"2024-01-01", 1704067200LL * S},
		{"2999-01-01T00:00:00Z", INT64_MAX},
		{"1001-01-01T00:00:00Z", INT64_MIN},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ns = -1;
		cr_expect_eq(bld_parser_timestamp(ok[i].in, now, &ns), 0, "%s", ok[i].in);
		cr_expect_eq(ns, ok[i].want, "%s: %lld", ok[i].in, (long long)ns);
	}
	static const char *const bad[] = {"yesterday", "", "2024-13-01", "12x", "1.2.3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ns;
		cr_expect_lt(bld_parser_timestamp(bad[i], now, &ns), 0, "%s", bad[i]);
	}
}
