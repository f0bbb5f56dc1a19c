/*
 * api/containers.c — the container endpoints: GET /containers/json (docker ps) from the
 * runner's list and filters, each container in docker's ContainerSummary shape; the ones
 * that are one call of the runner (rename, update...).
 *
 * Which containers exist and what passes a filter is the runner's (the same calls `bld ps`
 * makes); only the JSON shape is made here.
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <pthread.h>
#include <unistd.h>

/* NetworkSettings.Ports of a state ({"80/tcp": [{HostIp, HostPort}]}) as the summary's
 * Ports: [{IP, PrivatePort, PublicPort, Type}]. */
static json_t *summary_ports(json_t *st)
{
	json_t *out = json_array();
	const char *key;
	json_t *binds;
	json_object_foreach(json_object_get(json_object_get(st, "NetworkSettings"), "Ports"), key,
			    binds) {
		char proto[8] = "tcp";
		long priv = strtol(key, NULL, 10);
		const char *slash = strchr(key, '/');
		if (slash)
			snprintf(proto, sizeof(proto), "%s", slash + 1);
		size_t i;
		json_t *b;
		json_array_foreach(binds, i, b) {
			const char *ip = bld_json_get_str(b, "HostIp");
			const char *hp = bld_json_get_str(b, "HostPort");
			json_array_append_new(
				out, json_pack("{s:s, s:I, s:I, s:s}", "IP", ip && *ip ? ip : "0.0.0.0",
					       "PrivatePort", (json_int_t)priv, "PublicPort",
					       (json_int_t)(hp ? strtol(hp, NULL, 10) : 0), "Type",
					       proto));
		}
	}
	return out;
}

json_t *bld_api_container_summary(const struct bld_runner_container_info *c)
{
	json_t *cfg = c->cfg_json, *st = c->state_json;
	json_t *host = json_object_get(cfg, "HostConfig");
	const char *mode = bld_json_get_str(host, "NetworkMode");
	const char *image_id = bld_json_get_str(cfg, "ImageID");
	json_t *networks = json_object_get(json_object_get(st, "NetworkSettings"), "Networks");
	json_t *mounts = json_object_get(cfg, "Mounts");
	return json_pack("{s:s, s:[s+], s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:{s:s},"
			 " s:{s:o}, s:o}",
			 "Id", c->id, "Names", "/", c->name, "Image", c->image, "ImageID",
			 image_id ? image_id : "", "Command", c->command, "Created",
			 (json_int_t)c->created, "Ports", summary_ports(st), "Labels",
			 bld_json_kv_object(c->labels), "State", c->state, "Status",
			 c->status_text, "HostConfig", "NetworkMode",
			 mode && *mode ? mode : "default", "NetworkSettings", "Networks",
			 networks ? json_incref(networks) : json_object(), "Mounts",
			 mounts ? json_incref(mounts) : json_array());
}

/*
 * The summaries the last listing made, each with what it was made from: the container's
 * parsed files (shared with the runner, which hands out the same objects while the files
 * do not change; held here, so that no other object can take their address) and its status
 * line (it says how long ago). A listing makes again only the summaries whose container
 * changed; making a hundred was a third of its time, and writing them out as JSON another
 * third: each is kept as its text too, and the response is their texts joined.
 */
struct kept_summary {
	char id[65];
	json_t *cfg, *st;
	char *status;
	char *text; /* the summary as compact JSON */
};

static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kept_summary *kept;
static size_t nkept;

static void kept_free(struct kept_summary *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(v[i].cfg);
		json_decref(v[i].st);
		free(v[i].status);
		free(v[i].text);
	}
	free(v);
}

/* c's summary text from the last listing when nothing it was made from changed (the
 * listing's order rarely changes: the search starts at the same place), else a new one;
 * kept in next[i] either way (borrowed from there). */
static const char *summary_of(const struct bld_runner_container_info *c, size_t i,
			      struct kept_summary *next)
{
	for (size_t k = 0; k < nkept; k++) {
		struct kept_summary *o = &kept[(i + k) % nkept];
		if (strcmp(o->id, c->id) != 0)
			continue;
		if (o->cfg == c->cfg_json && o->st == c->state_json &&
		    !strcmp(o->status, c->status_text)) {
			next[i] = *o;
			*o = (struct kept_summary){0};
			return next[i].text;
		}
		break;
	}
	snprintf(next[i].id, sizeof(next[i].id), "%s", c->id);
	next[i].cfg = json_incref(c->cfg_json);
	next[i].st = json_incref(c->state_json);
	next[i].status = xstrdup(c->status_text);
	cleanup_json json_t *summary = bld_api_container_summary(c);
	next[i].text = json_dumps(summary, JSON_COMPACT);
	return next[i].text;
}

char *bld_api_container_summaries(const struct bld_runner_container_info *v, size_t n,
				  const bool *keep, bool all, long limit)
{
	struct bld_buf b = BLD_BUF_INIT;
	long shown = 0;
	struct kept_summary *next = xcalloc(n ? n : 1, sizeof(*next));
	bld_buf_addc(&b, '[');
	pthread_mutex_lock(&kept_mu);
	for (size_t i = 0; i < n && (limit <= 0 || shown < limit); i++) {
		bool up = !strcmp(v[i].state, "running") || !strcmp(v[i].state, "paused") ||
			  !strcmp(v[i].state, "restarting");
		if (!keep[i] || !(all || up))
			continue;
		if (shown++)
			bld_buf_addc(&b, ',');
		bld_buf_adds(&b, summary_of(&v[i], i, next));
	}
	kept_free(kept, nkept);
	kept = next;
	nkept = n;
	pthread_mutex_unlock(&kept_mu);
	bld_buf_adds(&b, "]\n");
	return bld_buf_detach(&b);
}

int bld_api_containers_list(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	cleanup_strv char **filters = NULL;
	long limit = -1;
	if (bld_api_query_filters(req, &filters, err) < 0 ||
	    bld_api_query_int(req, "limit", -1, &limit, err) < 0)
		return -1;
	bool all = bld_api_query_bool(req, "all") || limit > 0;
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	if (bld_runner_container_list(req->ctx, &v, &n, err) < 0)
		return -1;
	cleanup_free bool *keep = xcalloc(n ? n : 1, sizeof(bool));
	int r = bld_runner_container_filter(req->ctx, v, n, filters, keep, err);
	for (size_t i = 0; filters && filters[i]; i++)
		all |= bld_str_has_prefix(filters[i], "status=") ||
		       bld_str_has_prefix(filters[i], "exited=");
	if (r == 0)
		resp->text = bld_api_container_summaries(v, n, keep, all, limit);
	bld_runner_container_info_free(v, n);
	return r < 0 ? -1 : 0;
}

int bld_api_containers_create(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err)
{
	cleanup_json json_t *body = NULL;
	if (bld_api_body_json(req, &body, err) < 0)
		return -1;
	struct bld_runner_container_config c;
	cleanup_free char *id = NULL;
	int r = bld_api_create_config(&c, req->ctx, body, bld_api_query(req, "name"), err);
	if (r == 0)
		r = bld_runner_container_create(req->ctx, &c, &id, err);
	bld_cache_image_free(c.loaded);
	bld_cache_store_free(c.store);
	bld_runner_container_config_dispose(&c);
	if (r < 0)
		return -1;
	resp->status = MHD_HTTP_CREATED;
	resp->json = json_pack("{s:s, s:[]}", "Id", id, "Warnings");
	return 0;
}

/* The container the path names: its full ID (caller frees) and whether it runs. */
static int lookup(struct bld_api_req *req, char **id, bool *running, struct bld_error **err)
{
	cleanup_json json_t *info = NULL;
	if (bld_api_container_find(req, id, running ? &info : NULL, err) < 0)
		return -1;
	if (running)
		*running = json_is_true(json_object_get(json_object_get(info, "State"), "Running"));
	return 0;
}

int bld_api_containers_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			       struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (lookup(req, &id, NULL, err) < 0)
		return -1;
	return bld_runner_container_inspect(req->ctx, id, &resp->json, err);
}

int bld_api_containers_start(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err)
{
	cleanup_free char *id = NULL;
	bool running = false, attached = false;
	if (lookup(req, &id, &running, err) < 0)
		return -1;
	resp->status = running ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_NO_CONTENT;
	if (running)
		return 0;
	if (bld_api_attach_start(req->ctx, id, &attached, err) < 0 || attached)
		return attached ? 0 : -1;
	struct bld_runner_attach none = {0};
	int report = -1;
	return bld_runner_container_start(req->ctx, id, &none, &report, err);
}

int bld_api_containers_stop(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	cleanup_free char *id = NULL;
	bool running = false;
	long t = -1;
	if (bld_api_query_int(req, "t", -1, &t, err) < 0 || lookup(req, &id, &running, err) < 0)
		return -1;
	resp->status = running ? MHD_HTTP_NO_CONTENT : MHD_HTTP_NOT_MODIFIED;
	return running ? bld_runner_container_stop(req->ctx, id, (int)t, err) : 0;
}

int bld_api_containers_kill(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	cleanup_free char *id = NULL;
	bool running = false;
	const char *name = bld_api_query(req, "signal");
	int sig = name && *name ? bld_runner_signal_parse(name) : 9;
	if (sig < 0)
		return bld_error_set(err, BLD_E_INVALID, "Invalid signal: %s", name);
	if (lookup(req, &id, &running, err) < 0)
		return -1;
	if (!running)
		return bld_error_set(err, BLD_E_EXISTS, "Cannot kill container: %s: Container %s is "
				     "not running", req->captures[0], id);
	resp->status = MHD_HTTP_NO_CONTENT;
	return bld_runner_container_kill(req->ctx, id, sig, err);
}

int bld_api_containers_delete(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (lookup(req, &id, NULL, err) < 0)
		return -1;
	resp->status = MHD_HTTP_NO_CONTENT;
	return bld_runner_container_remove(req->ctx, id, bld_api_query_bool(req, "force"),
					   bld_api_query_bool(req, "v"), err);
}

static bool exists(struct bld_ctx *ctx, const char *id)
{
	cleanup_free char *s = bld_runner_container_started_at(ctx, id);
	return s != NULL;
}

/* What a wait blocks on, in its response's content callback: docker's client reads the
 * response's headers before it starts the container it waits for. */
struct wait_job {
	struct bld_ctx *ctx;
	char id[65];
	char *before; /* StartedAt when the container was not running: wait for a start first */
	bool removed;
	bool done;
};

static int wait_exit(struct wait_job *j, int *code)
{
	cleanup_error struct bld_error *e = NULL;
	if (j->before &&
	    bld_runner_container_wait_started(j->ctx, j->id, j->before, 24 * 3600 * 1000, &e) < 0 &&
	    e->code != BLD_E_NOTFOUND)
		return -1;
	bld_error_free(e);
	e = NULL;
	if (bld_runner_container_wait(j->ctx, j->id, code, &e) < 0 && e->code != BLD_E_NOTFOUND)
		return -1;
	/* its monitor removes it (AutoRemove), until the end of what others see (volumes,
	 * endpoints), or a client does */
	while (j->removed && (exists(j->ctx, j->id) ||
			      bld_runner_container_tearing_down(j->ctx, j->id)))
		usleep(5000);
	return 0;
}

static ssize_t wait_content(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct wait_job *j = cls;
	if (j->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	j->done = true;
	int code = 0;
	int r = wait_exit(j, &code);
	int n = r < 0 ? snprintf(buf, max, "{\"StatusCode\":%d,\"Error\":{\"Message\":\"%s\"}}\n",
				 -1, "waiting for the container failed")
		      : snprintf(buf, max, "{\"StatusCode\":%d,\"Error\":null}\n", code);
	return n > 0 && (size_t)n < max ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void wait_free(void *cls)
{
	struct wait_job *j = cls;
	free(j->before);
	free(j);
}

/* POST /containers/{id}/wait?condition=not-running|next-exit|removed: the headers at once,
 * the body ({"StatusCode", "Error"}) once the condition holds, as docker's. */
int bld_api_containers_wait(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	cleanup_free char *id = NULL;
	bool running = false;
	const char *cond = bld_api_query(req, "condition");
	if (lookup(req, &id, &running, err) < 0)
		return -1;
	bool next = cond && (!strcmp(cond, "next-exit") || !strcmp(cond, "removed"));
	struct wait_job *j = xcalloc(1, sizeof(*j));
	j->ctx = req->ctx;
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->removed = cond && !strcmp(cond, "removed");
	/* a container that is not running yet is waited for to start (docker run waits
	 * before it starts), then for its exit */
	j->before = next && !running ? bld_runner_container_started_at(req->ctx, id) : NULL;
	resp->raw = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, wait_content, j,
						      wait_free);
	MHD_add_response_header(resp->raw, "Content-Type", "application/json");
	return 0;
}

int bld_api_containers_restart(struct bld_api_req *req, struct bld_api_resp *resp,
			       struct bld_error **err)
{
	cleanup_free char *id = NULL;
	long t = -1;
	if (bld_api_query_int(req, "t", -1, &t, err) < 0 || lookup(req, &id, NULL, err) < 0)
		return -1;
	struct bld_runner_attach none = {0};
	int report = -1;
	if (bld_runner_container_stop(req->ctx, id, (int)t, err) < 0 ||
	    bld_runner_container_start(req->ctx, id, &none, &report, err) < 0)
		return -1;
	bld_runner_container_event(req->ctx, id, "restart", NULL); /* after start's, as docker's */
	resp->status = MHD_HTTP_NO_CONTENT;
	return 0;
}

/* docker's status for the runner's refusals of pause and unpause ("is not running", "is
 * already paused"): a conflict. */
static int conflict(int r, struct bld_error **err)
{
	if (r < 0 && (*err)->code == BLD_E_INVALID)
		(*err)->code = BLD_E_EXISTS;
	return r;
}

int bld_api_containers_pause(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (lookup(req, &id, NULL, err) < 0)
		return -1;
	resp->status = MHD_HTTP_NO_CONTENT;
	return conflict(bld_runner_container_pause(req->ctx, id, err), err);
}

int bld_api_containers_unpause(struct bld_api_req *req, struct bld_api_resp *resp,
			       struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (lookup(req, &id, NULL, err) < 0)
		return -1;
	resp->status = MHD_HTTP_NO_CONTENT;
	return conflict(bld_runner_container_unpause(req->ctx, id, err), err);
}

int bld_api_containers_rename(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err)
{
	const char *name = bld_api_query(req, "name");
	resp->status = MHD_HTTP_NO_CONTENT;
	return bld_runner_container_rename(req->ctx, req->captures[0], name ? name : "", err);
}

int bld_api_containers_update(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err)
{
	cleanup_json json_t *b = NULL;
	cleanup_free char *id = NULL;
	if (bld_api_body_json(req, &b, err) < 0 || bld_api_container_find(req, &id, NULL, err) < 0 ||
	    bld_runner_container_update(req->ctx, id, b, err) < 0)
		return -1;
	resp->json = json_pack("{s:[]}", "Warnings");
	return 0;
}
