/*
 * api/events.c — GET /events: the store's events journal (cache/event.c, what `bld events`
 * reads), filtered as docker's daemon filters (bld_cache_event_match), one JSON message a
 * line, streamed (stream.c). With until it ends when that time passes; without, it follows
 * the journal until the client goes.
 */
#include "api/api_int.h"
#include "cache/cache.h"

struct events_job {
	struct bld_ctx *ctx;
	char **filters;
	int64_t since_ns, until_ns;
	int wfd;
};

static int send_event(const json_t *ev, void *payload)
{
	struct events_job *j = payload;
	if (!bld_cache_event_match(ev, j->filters))
		return 0;
	cleanup_free char *text = json_dumps(ev, JSON_COMPACT);
	cleanup_free char *line = xasprintf("%s\n", text);
	return bld_api_frame_send(j->wfd, true, 1, line, strlen(line)) ? 0 : 1;
}

static void follow(int wfd, void *arg)
{
	struct events_job *j = arg;
	cleanup_error struct bld_error *e = NULL;
	j->wfd = wfd;
	if (bld_cache_event_read(j->ctx->root, j->since_ns, j->until_ns, wfd, send_event, j,
				 &e) < 0)
		bld_log(BLD_LOG_DEBUG, "events: %s", e->msg);
}

static void job_free(void *arg)
{
	struct events_job *j = arg;
	bld_strv_free(j->filters);
	free(j);
}

/* since/until: unix seconds, with a fraction, as docker's client sends them. */
static int64_t query_ns(const struct bld_api_req *req, const char *key)
{
	const char *v = bld_api_query(req, key);
	return v && *v ? (int64_t)(strtod(v, NULL) * 1e9) : 0;
}

int bld_api_events(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err)
{
	struct events_job *j = xcalloc(1, sizeof(*j));
	j->ctx = req->ctx;
	if (bld_api_query_filters(req, &j->filters, err) < 0) {
		job_free(j);
		return -1;
	}
	j->since_ns = query_ns(req, "since");
	j->until_ns = query_ns(req, "until");
	if (bld_api_query(req, "since") && !j->since_ns)
		j->since_ns = 1; /* since 0: everything the journal kept */
	if (bld_api_stream(resp, follow, j, job_free, err) < 0)
		return -1;
	MHD_add_response_header(resp->raw, "Content-Type", "application/json");
	return 0;
}
