/*
 * cli/cmd_compose_events.c — `bld compose events [--json] [--since T] [--until T]
 * [SERVICE...]`: the store's events journal (cache/event.c) as docker compose v2 shows it:
 * the container events of the project's services (one-off containers left out), their
 * attributes without the com.docker.compose.* labels, as compose's Event.String() line
 * (which ends in a newline that Fprintln doubles) or as its JSON object. Follows the
 * journal live until --until passes, as compose follows the daemon.
 */
#include "cli/compose_util.h"
#include "cli/image_util.h"

#include <jansson.h>
#include <time.h>

static const struct bld_cli_opt opts[] = {
	{"json", 0, BLD_OPT_BOOL, NULL, "Output events as a stream of json objects", NULL},
	{"since", 0, BLD_OPT_STRING, "string", "Show all events created since timestamp", NULL},
	{"until", 0, BLD_OPT_STRING, "string", "Stream events until this timestamp", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

struct events_run {
	const char *project;
	char *const *services;
	bool json;
};

/* Go's time.Format in local time: "2006-01-02 15:04:05.000000" (line) or RFC3339Nano,
 * trailing zeros of the fraction cut (JSON). */
static void time_text(char *out, size_t n, int64_t ns, bool rfc)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	localtime_r(&sec, &tm);
	char base[32], frac[16], zone[16] = "Z";
	strftime(base, sizeof(base), rfc ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	if (!rfc) {
		snprintf(out, n, "%s.%06lld", base, (long long)(ns % 1000000000 / 1000));
		return;
	}
	snprintf(frac, sizeof(frac), ".%09lld", (long long)(ns % 1000000000));
	size_t l = strlen(frac);
	while (l > 1 && frac[l - 1] == '0')
		frac[--l] = 0;
	int off = (int)(tm.tm_gmtoff / 60);
	if (off)
		snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60 % 100,
			 abs(off) % 60);
	snprintf(out, n, "%s%s%s", base, l > 1 ? frac : "", zone);
}

/* The attributes compose keeps: all but its own labels. */
static json_t *attributes(const json_t *attrs)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)attrs, k, v)
		if (!bld_str_has_prefix(k, "com.docker.compose."))
			json_object_set(o, k, v);
	return o;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_line(const char *when, const char *action, const char *id, json_t *attrs)
{
	printf("%s container %s %s (", when, action, id);
	cleanup_free const char **keys = xcalloc(json_object_size(attrs) + 1, sizeof(char *));
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach(attrs, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof(char *), key_cmp);
	for (size_t i = 0; i < n; i++)
		printf("%s%s=%s", i ? ", " : "", keys[i],
		       json_string_value(json_object_get(attrs, keys[i])));
	printf(")\n\n");
}

static int print_event(const json_t *ev, void *payload)
{
	const struct events_run *r = payload;
	const json_t *actor = json_object_get(ev, "Actor");
	const json_t *attrs = json_object_get(actor, "Attributes");
	const char *svc = bld_json_get_str(attrs, "com.docker.compose.service");
	const char *oneoff = bld_json_get_str(attrs, "com.docker.compose.oneoff");
	const char *project = bld_json_get_str(attrs, "com.docker.compose.project");
	bool asked = !r->services || !r->services[0];
	for (size_t i = 0; !asked && svc && r->services[i]; i++)
		asked = strcmp(r->services[i], svc) == 0;
	if (!asked || strcmp(bld_json_get_str(ev, "Type"), "container") != 0 ||
	    !project || strcmp(project, r->project) != 0 ||
	    (oneoff && strcmp(oneoff, "True") == 0))
		return 0;
	cleanup_json json_t *kept = attributes(attrs);
	char when[64];
	int64_t ns = json_integer_value(json_object_get(ev, "timeNano"));
	time_text(when, sizeof(when), ns, r->json);
	const char *action = bld_json_get_str(ev, "Action"), *id = bld_json_get_str(actor, "ID");
	if (r->json) {
		cleanup_json json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "time", when,
						   "type", "container", "service", svc ? svc : "",
						   "id", id, "action", action, "attributes", kept);
		cleanup_free char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s);
	} else {
		print_line(when, action, id, kept);
	}
	return fflush(stdout) != 0 || ferror(stdout);
}

/* --since/--until as the engine reads them, or its refusal. */
static int bound(struct bld_cli_args *a, const char *name, int64_t *ns, struct bld_error **err)
{
	const char *s = bld_cli_str(a, name);
	if (!s || bld_cli_timestamp(s, ns) == 0)
		return 0;
	return bld_error_refuse(err, BLD_E_INVALID,
				"failed to parse value as time or duration: \"%s\"", s);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	int64_t since = 0, until = 0;
	if (bound(a, "since", &since, err) < 0 || bound(a, "until", &until, err) < 0)
		return -1;
	if (bld_cli_str(a, "since") && !since)
		since = 1; /* --since 0: everything kept */
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, 0, false, &c, err) < 0)
		return -1;
	struct events_run r = {.project = c.name, .services = a->argv,
			       .json = bld_cli_bool(a, "json")};
	int rc = bld_cache_event_read(ctx->root, since, until, STDOUT_FILENO, print_event, &r,
				      err);
	bld_cli_compose_close(&c);
	return rc;
}

const struct bld_cli_cmd bld_cmd_compose_events = {
	.name = "compose events",
	.usage = "[OPTIONS] [SERVICE...]",
	.summary = "Receive real time events from containers",
	.opts = opts,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Follow what happens to the project's containers",
		 "bld compose events"},
		{"The same as JSON lines, for one service",
		 "bld compose events --json web"}),
};
