/*
 * cli/cmd_logs.c — `bld logs [-f] [--tail N] [-t] [--since T] CONTAINER`.
 */
#include "cli/container_opts.h"

#include <time.h>

static const struct bld_cli_opt opts[] = {
	{"follow", 'f', BLD_OPT_BOOL, NULL, "Follow log output", NULL},
	{"tail", 'n', BLD_OPT_STRING, "string", "Number of lines to show from the end of the logs",
	 "all"},
	{"timestamps", 't', BLD_OPT_BOOL, NULL, "Show timestamps", NULL},
	{"details", 0, BLD_OPT_BOOL, NULL, "Show extra details provided to logs", NULL},
	{"since", 0, BLD_OPT_STRING, "string",
	 "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\")",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* "42m", "10s", "1h" ago, a unix time, or an RFC 3339 time. */
static int parse_since(const char *s, double *out)
{
	char *end = NULL;
	double v = strtod(s, &end);
	if (end && end != s && *end && !end[1] && strchr("smh", *end)) {
		double mul = *end == 's' ? 1 : (*end == 'm' ? 60 : 3600);
		*out = (double)time(NULL) - v * mul;
		return 0;
	}
	if (end && end != s && !*end) {
		*out = v;
		return 0;
	}
	struct tm tm = {0};
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	*out = (double)timegm(&tm) + (*rest == '.' ? strtod(rest, NULL) : 0);
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_runner_logs_opts o = {.follow = bld_cli_bool(a, "follow"),
					 .timestamps = bld_cli_bool(a, "timestamps"), .tail = -1,
					 .details = bld_cli_bool(a, "details")};
	const char *tail = bld_cli_str(a, "tail");
	if (tail && strcmp(tail, "all") && bld_parse_long(tail, -1, 1L << 40, &o.tail) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid tail: %s", tail);
	const char *since = bld_cli_str(a, "since");
	if (since && parse_since(since, &o.since) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid value for \"since\": %s", since);
	cleanup_free char *id = NULL;
	if (bld_runner_container_lookup(ctx, a->argv[0], &id, err) < 0)
		return -1;
	return bld_runner_container_logs(ctx, id, &o, err);
}

const struct bld_cli_cmd bld_cmd_logs = {
	.name = "logs",
	.usage = "[OPTIONS] CONTAINER",
	.summary = "Fetch the logs of a container",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a container's output",
		 "bld logs web"},
		{"Follow its last 50 lines with timestamps",
		 "bld logs -f -n 50 -t web"}),
};
