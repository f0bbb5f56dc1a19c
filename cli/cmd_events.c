/*
 * cli/cmd_events.c — `bld events [--since T] [--until T] [--filter K=V]... [--format F]`:
 * the events journal of the store (cache/event.c) in docker's line format
 * ("2026-12-07T06:40:00.123456789Z container start ID (image=busybox, name=web)") or a Go
 * template over docker's event message. Without --until it follows the journal live, as
 * docker follows its daemon. The journal and its filters (as docker's daemon matches them)
 * are cache/'s.
 */
#include "cli/image_util.h"
#include "parser/parser.h"

#include <jansson.h>
#include <time.h>

static const struct bld_cli_opt opts[] = {
	{"filter", 'f', BLD_OPT_LIST, "filter", "Filter output based on conditions provided",
	 NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Format the output using the given Go template",
	 NULL},
	{"since", 0, BLD_OPT_STRING, "string", "Show all events created since timestamp", NULL},
	{"until", 0, BLD_OPT_STRING, "string", "Stream events until this timestamp", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

struct events_run {
	char *const *filters;
	const char *format;
};

/* ------------------------------------------------------------------ times */

/* --since/--until as docker reads them, or its refusal. */
static int parse_time(const char *opt, const char *s, int64_t *ns, struct bld_error **err)
{
	if (bld_cli_timestamp(s, ns) == 0)
		return 0;
	return bld_error_refuse(err, BLD_E_INVALID,
				"failed to parse value as time or duration: \"%s\" (--%s)", s, opt);
}

/* ------------------------------------------------------------------ filters */

/* ------------------------------------------------------------------ output */

/* Go's RFC3339NanoFixed in local time: "2026-12-07T06:40:00.123456789Z" or "...+01:00". */
static void time_text(char *out, size_t n, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	localtime_r(&sec, &tm);
	char base[32], zone[16] = "Z";
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	int off = (int)(tm.tm_gmtoff / 60);
	if (off)
		snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60 % 100,
			 abs(off) % 60);
	snprintf(out, n, "%s.%09lld%s", base, (long long)(ns % 1000000000), zone);
}

static int attr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* docker's printOutput: the time, type, action, actor and its sorted attributes. */
static void print_line(const json_t *ev)
{
	const json_t *actor = json_object_get(ev, "Actor");
	char when[64];
	time_text(when, sizeof(when), json_integer_value(json_object_get(ev, "timeNano")));
	char **attrs = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(actor, "Attributes"), k, v)
	{
		cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
		bld_strv_push(&attrs, kv);
	}
	printf("%s %s %s %s", when, bld_json_get_str(ev, "Type"), bld_json_get_str(ev, "Action"),
	       bld_json_get_str(actor, "ID"));
	if (attrs) {
		qsort(attrs, bld_strv_len(attrs), sizeof(char *), attr_cmp);
		for (size_t i = 0; attrs[i]; i++)
			printf("%s%s", i ? ", " : " (", attrs[i]);
		printf(")");
	}
	printf("\n");
	bld_strv_free(attrs);
}

/* The message under its Go field names, which templates use ({{.Status}}, {{.Actor.ID}}). */
static json_t *go_fields(const json_t *ev)
{
	static const char *const names[][2] = {{"status", "Status"}, {"id", "ID"},
		{"from", "From"}, {"Type", "Type"}, {"Action", "Action"}, {"Actor", "Actor"},
		{"scope", "Scope"}, {"time", "Time"}, {"timeNano", "TimeNano"}};
	json_t *o = json_object();
	for (size_t i = 0; i < BLD_ARRAY_SIZE(names); i++) {
		json_t *v = json_object_get(ev, names[i][0]);
		json_object_set_new(o, names[i][1], v ? json_incref(v) : json_string(""));
	}
	return o;
}

static int print_event(const json_t *ev, void *payload)
{
	const struct events_run *r = payload;
	if (!bld_cache_event_match(ev, r->filters))
		return 0;
	if (r->format) {
		cleanup_json json_t *go = go_fields(ev);
		cleanup_free char *s = bld_cli_template_dot(r->format, go, ev);
		printf("%s\n", s);
	} else {
		print_line(ev);
	}
	return fflush(stdout) != 0 || ferror(stdout);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct events_run r = {.filters = bld_cli_list(a, "filter"),
			       .format = bld_cli_str(a, "format")};
	const char *since = bld_cli_str(a, "since"), *until = bld_cli_str(a, "until");
	int64_t since_ns = 0, until_ns = 0;
	/* docker's CLI wants name=value; its daemon ignores names it does not know */
	if (bld_cli_filters_check(a, "-f, --filter", err) < 0 ||
	    (since && parse_time("since", since, &since_ns, err) < 0) ||
	    (until && parse_time("until", until, &until_ns, err) < 0))
		return -1;
	if (since && !since_ns)
		since_ns = 1; /* --since 0: everything kept */
	if (r.format && !*r.format)
		r.format = NULL;
	return bld_cache_event_read(ctx->root, since_ns, until_ns, STDOUT_FILENO, print_event, &r,
				    err);
}

const struct bld_cli_cmd bld_cmd_events = {
	.name = "events",
	.usage = "[OPTIONS]",
	.summary = "Get real time events from the server",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Follow what bld commands do",
		 "bld events"},
		{"Show the last hour's container events and stop",
		 "bld events --since 1h --until 0s --filter type=container"}),
};
