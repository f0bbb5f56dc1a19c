/*
 * cli/cmd_events.c — `bld events [--since T] [--until T] [--filter K=V]... [--format F]`:
 * the events journal of the store (cache/event.c) in docker's line format
 * ("2026-12-07T06:40:00.123456789Z container start ID (image=busybox, name=web)") or a Go
 * template over docker's event message. Without --until it follows the journal live, as
 * docker follows its daemon. Filters match as docker's daemon matches them; the journal
 * itself is cache/'s.
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

static const char *const filter_keys[] = {"container", "event", "image", "label", "type",
	"volume", "network", "daemon", "plugin", "node", "service", "secret", "config", "scope"};

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

/* docker's CLI wants name=value; its daemon ignores names it does not know (no refusal). */
static int check_filters(char *const *f, struct bld_error **err)
{
	for (size_t i = 0; f && f[i]; i++)
		if (!strchr(f[i], '='))
			return bld_error_set(err, BLD_E_INVALID,
					     "invalid argument \"%s\" for \"-f, --filter\" flag: bad "
					     "format of filter (expected name=value)", f[i]);
	return 0;
}

/* docker's filters.ExactMatch / FuzzyMatch (a prefix matches too) for any of the values. */
static bool match(char *const *vals, const char *s, bool fuzzy)
{
	for (size_t i = 0; s && vals && vals[i]; i++)
		if (strcmp(vals[i], s) == 0 || (fuzzy && bld_str_has_prefix(s, vals[i])))
			return true;
	return false;
}

/* "busybox:latest" -> "busybox" (a port's colon stays); caller frees. */
static char *strip_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	if (colon && (!slash || colon > slash))
		return xstrndup(ref, (size_t)(colon - ref));
	return xstrdup(ref);
}

static bool match_key(char *const *f, const char *key, const json_t *ev)
{
	cleanup_strv char **v = bld_strv_values(f, key);
	if (!v)
		return true;
	const json_t *actor = json_object_get(ev, "Actor");
	const json_t *attrs = json_object_get(actor, "Attributes");
	const char *id = bld_json_get_str(actor, "ID"), *type = bld_json_get_str(ev, "Type");
	const char *action = bld_json_get_str(ev, "Action");
	if (!strcmp(key, "type"))
		return match(v, type, false);
	if (!strcmp(key, "scope"))
		return match(v, bld_json_get_str(ev, "scope"), false);
	if (!strcmp(key, "event")) {
		/* docker: "health_status", "exec_create", "exec_start" match as prefixes */
		bool fuzzy = match(v, "health_status", false) || match(v, "exec_create", false) ||
			     match(v, "exec_start", false);
		return match(v, action, fuzzy);
	}
	if (!strcmp(key, "image")) {
		const char *n = bld_json_get_str(attrs, strcmp(type, "image") ? "image" : "name");
		cleanup_free char *si = id ? strip_tag(id) : NULL, *sn = n ? strip_tag(n) : NULL;
		return match(v, id, false) || match(v, n, false) || match(v, si, false) ||
		       match(v, sn, false);
	}
	/* container, volume, network, ...: the actor's ID or name, as a prefix too */
	return match(v, id, true) || match(v, bld_json_get_str(attrs, "name"), true);
}

/* label=K or label=K=V: every one given must match the actor's attributes. */
static bool match_labels(char *const *f, const json_t *ev)
{
	cleanup_strv char **v = bld_strv_values(f, "label");
	const json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	for (size_t i = 0; v && v[i]; i++) {
		size_t k = strcspn(v[i], "=");
		cleanup_free char *key = xstrndup(v[i], k);
		const char *have = bld_json_get_str(attrs, key);
		if (!have || (v[i][k] && strcmp(have, v[i] + k + 1)))
			return false;
	}
	return true;
}

static bool include(char *const *f, const json_t *ev)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(filter_keys); i++)
		if (strcmp(filter_keys[i], "label") && !match_key(f, filter_keys[i], ev))
			return false;
	return match_labels(f, ev);
}

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
	if (!include(r->filters, ev))
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
	if (check_filters(r.filters, err) < 0 ||
	    (since && parse_time("since", since, &since_ns, err) < 0) ||
	    (until && parse_time("until", until, &until_ns, err) < 0))
		return -1;
	if (since && !since_ns)
		since_ns = 1; /* --since 0: everything kept */
	if (r.format && !*r.format)
		r.format = NULL;
	return bld_cache_event_read(ctx->root, since_ns, until_ns, true, print_event, &r, err);
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
