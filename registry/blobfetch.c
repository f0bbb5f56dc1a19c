/*
 * registry/blobfetch.c — blobs from a registry into the store, several at once (curl multi).
 *
 * Each blob goes through the store's blob writer for its digest: a partial file left by an
 * interrupted run is resumed with a Range request (and restarted when the server ignores
 * the range), 5xx answers and broken connections are retried with exponential backoff, and
 * the writer's commit verifies the digest. Blobs are committed only after every transfer
 * has finished; when any of them fails verification, the blobs this call committed are
 * taken out again, so that a failed pull adds nothing to the store.
 *
 * A layer asked to be unpacked (f->unpack) gets a feed when its download starts from
 * nothing: the layer is extracted from the partial file while the rest arrives (cache's
 * layer_feed.c), to its end as soon as its own download ends. The feed is handed to the
 * store only when every blob was committed, and freed (taking its extraction with it) on any
 * failure or when the download restarts.
 *
 * It does not decide which blobs a pull needs (pull.c).
 */
#include "registry/registry_int.h"

#include <errno.h>
#include <time.h>

#define MAX_PARALLEL 6
#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 5000
#define RECV_BUF (256L << 10)
#define STAGE_CAP ((size_t)256 << 10)

struct job {
	struct bld_registry_fetch *f;
	struct bld_cache_blob_writer *w;
	struct bld_cache_layer_feed *feed; /* unpacking while downloading, or NULL */
	struct reg_req req;
	struct reg_resp resp;
	uint8_t *stage;      /* body bytes not yet in the writer (curl hands over 16 KiB at a
			      * time: one write per STAGE_CAP instead of one per piece) */
	size_t staged;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	int attempts;
	int64_t start_off;   /* writer offset when this attempt started */
	int64_t not_before;  /* monotonic ms: backoff */
	bool restarted;      /* the server ignored our Range: writer restarted */
	bool downloaded;
	bool skip;           /* already in the store */
	struct bld_error *err;
	int line;            /* progress line */
	struct reg_progress *prog;
};

struct fetch {
	struct bld_registry_client *c;
	struct bld_store *s;
	const char *repo;
	char *scope;
	struct job *jobs;
	struct job **order; /* the jobs by size, largest first */
	size_t n;
	CURLM *multi;
	int running;
};

static void drop_feed(struct job *j)
{
	bld_cache_layer_feed_free(j->feed);
	j->feed = NULL;
}

/* The staged bytes into the writer, and the feed told how far the partial now goes. */
static int flush(struct job *j, struct bld_error **err)
{
	if (!j->staged)
		return 0;
	size_t n = j->staged;
	j->staged = 0;
	if (bld_cache_blob_writer_write(j->w, j->stage, n, err) < 0)
		return -1;
	bld_cache_layer_feed_offer(j->feed, bld_cache_blob_writer_offset(j->w), false);
	return 0;
}

/* Body data of a 2xx answer: staged for the writer (restarting it when Range was ignored). */
static int sink(const void *data, size_t n, void *payload)
{
	struct job *j = payload;
	if (j->resp.status == 200 && j->start_off > 0 && !j->restarted) {
		drop_feed(j); /* it read bytes that are now gone */
		j->staged = 0;
		if (bld_cache_blob_writer_restart(j->w, &j->req.sink_err) < 0)
			return -1;
		j->restarted = true;
	}
	if (!j->stage)
		j->stage = xmalloc(STAGE_CAP);
	for (const uint8_t *p = data; n;) {
		size_t k = STAGE_CAP - j->staged < n ? STAGE_CAP - j->staged : n;
		memcpy(j->stage + j->staged, p, k);
		j->staged += k;
		p += k;
		n -= k;
		if ((j->staged == STAGE_CAP || (j->feed && j->staged >= BLD_CACHE_FEED_FIRST &&
						bld_cache_blob_writer_offset(j->w) == 0)) &&
		    flush(j, &j->req.sink_err) < 0)
			return -1;
	}
	int64_t done = bld_cache_blob_writer_offset(j->w) + (int64_t)j->staged;
	if (j->f->size > 0 && done > j->f->size) {
		bld_error_set(&j->req.sink_err, BLD_E_DIGEST,
			      "blob %s is larger than the %lld bytes its manifest says",
			      j->f->digest, (long long)j->f->size);
		return -1;
	}
	reg_progress_bytes(j->prog, j->line, done, j->f->size, "Downloading");
	return 0;
}

static int job_start(struct fetch *fx, struct job *j, struct bld_error **err)
{
	reg_req_dispose(&j->req);
	reg_resp_dispose(&j->resp);
	cleanup_free char *what = xasprintf("blobs/%s", j->f->digest);
	reg_req_init(&j->req, "GET", reg_url(fx->c, fx->repo, what), fx->scope);
	j->start_off = bld_cache_blob_writer_offset(j->w);
	j->restarted = false;
	if (j->start_off > 0) {
		cleanup_free char *range = xasprintf("Range: bytes=%lld-", (long long)j->start_off);
		j->req.headers = curl_slist_append(j->req.headers, range);
	}
	j->req.sink = sink;
	j->req.sink_payload = j;
	j->h = curl_easy_init();
	j->errbuf[0] = '\0';
	if (reg_easy_setup(fx->c, j->h, &j->req, &j->resp, err) < 0) {
		void *x = NULL;
		curl_easy_getinfo(j->h, CURLINFO_PRIVATE, (char **)&x);
		free(x);
		curl_easy_cleanup(j->h);
		j->h = NULL;
		return -1;
	}
	curl_easy_setopt(j->h, CURLOPT_ERRORBUFFER, j->errbuf);
	/* a blob arrives in large reads: a sixteenth of the receive calls that curl's default
	 * 16 KiB buffer costs (curl 7.88 still hands the body to sink in pieces of 16 KiB) */
	curl_easy_setopt(j->h, CURLOPT_BUFFERSIZE, RECV_BUF);
	curl_multi_add_handle(fx->multi, j->h);
	fx->running++;
	return 0;
}

static void job_stop(struct fetch *fx, struct job *j)
{
	if (!j->h)
		return;
	curl_multi_remove_handle(fx->multi, j->h);
	void *x = NULL;
	curl_easy_getinfo(j->h, CURLINFO_PRIVATE, (char **)&x);
	free(x);
	curl_easy_cleanup(j->h);
	j->h = NULL;
	fx->running--;
}

/*
 * Schedules another attempt after a transient failure, no sooner than the answer's
 * Retry-After asks (429, 503), and says so on the layer's line as docker does; false when
 * the attempts ran out.
 */
static bool retry_later(struct job *j)
{
	if (++j->attempts >= reg_config_net()->attempts)
		return false;
	int64_t wait = BACKOFF_FIRST_MS << (j->attempts - 1);
	wait = reg_retry_wait_ms(j->resp.status, j->resp.retry_after,
				 wait > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait);
	j->not_before = bld_mono_ms() + wait;
	long secs = (long)((wait + 999) / 1000);
	cleanup_free char *msg = xasprintf("Retrying in %ld second%s", secs, secs == 1 ? "" : "s");
	reg_progress_status(j->prog, j->line, msg);
	bld_debug("blob %s: retrying in %lld ms", j->f->digest, (long long)wait);
	return true;
}

/* Decides what a finished transfer means: done, retry, or a failure in j->err. */
static void job_finished(struct fetch *fx, struct job *j, CURLcode cc)
{
	long st = j->resp.status;
	if (j->req.sink_err) {
		bld_error_move(&j->err, &j->req.sink_err);
	} else if (cc == CURLE_OK && (st == 200 || st == 206)) {
		j->downloaded = true;
		return;
	} else if (cc != CURLE_OK) {
		if (reg_curl_retryable(cc) && retry_later(j))
			return;
		reg_curl_error(fx->c, cc, j->errbuf, &j->err);
	} else if (st == 416) {
		drop_feed(j);
		bld_cache_blob_writer_restart(j->w, NULL); /* our partial is wrong: start over */
		if (retry_later(j))
			return;
		reg_status_error(&j->resp, BLD_E_NETWORK, &j->err, "blob %s", j->f->digest);
	} else if (st == 401) {
		reg_token_forget(fx->c, fx->scope);
		if (j->attempts == 0 && retry_later(j))
			return;
		reg_status_error(&j->resp, BLD_E_AUTH, &j->err, "blob %s", j->f->digest);
	} else if ((st >= 500 || st == 429 || st == 408) && retry_later(j)) {
		return;
	} else {
		reg_status_error(&j->resp, BLD_E_NETWORK, &j->err, "blob %s", j->f->digest);
	}
	j->f->status = -1;
}

static void job_done(struct fetch *fx, struct job *j, CURLcode cc)
{
	job_stop(fx, j);
	/* what arrived is kept, also from a broken transfer: a retry resumes after it */
	if (!j->req.sink_err)
		(void)flush(j, &j->req.sink_err);
	job_finished(fx, j, cc);
	if (!j->downloaded)
		return;
	/* the whole blob is in the partial: its extraction need not wait for the other
	 * downloads (it still counts only once every digest checked out) */
	bld_cache_layer_feed_offer(j->feed, bld_cache_blob_writer_offset(j->w), true);
	reg_progress_status(j->prog, j->line, "Verifying Checksum");
}

static void reap(struct fetch *fx)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(fx->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		for (size_t i = 0; i < fx->n; i++) {
			if (fx->jobs[i].h != m->easy_handle)
				continue;
			job_done(fx, &fx->jobs[i], m->data.result);
			break;
		}
	}
}

/* Larger blobs first (a layer's download decides when the pull ends; the config is tiny). */
static int by_size_desc(const void *a, const void *b)
{
	int64_t x = (*(struct job *const *)a)->f->size, y = (*(struct job *const *)b)->f->size;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Starts what may start now, the largest first: the first transfer gets the connection the
 * manifest came on, the others wait for new ones. Returns the ms until the next backoff ends
 * (or 100). */
static int64_t start_ready(struct fetch *fx, bool *pending, struct bld_error **err)
{
	int64_t now = bld_mono_ms(), next = 100;
	*pending = false;
	for (size_t i = 0; i < fx->n; i++) {
		struct job *j = fx->order[i];
		if (j->skip || j->downloaded || j->err || j->h)
			continue;
		*pending = true;
		if (j->not_before > now) {
			next = j->not_before - now < next ? j->not_before - now : next;
			continue;
		}
		if (fx->running >= MAX_PARALLEL)
			continue;
		if (job_start(fx, j, &j->err) < 0) {
			j->f->status = -1;
			continue;
		}
		*pending = true;
	}
	(void)err;
	return next;
}

static int run_transfers(struct fetch *fx, struct bld_error **err)
{
	for (;;) {
		bool pending;
		int64_t wait = start_ready(fx, &pending, err);
		if (!pending && fx->running == 0)
			return 0;
		int still = 0, before = fx->running;
		CURLMcode mc = curl_multi_perform(fx->multi, &still);
		reap(fx);
		/* poll only when nothing finished: a finished transfer must not wait for it */
		if (mc == CURLM_OK && fx->running == before)
			mc = curl_multi_poll(fx->multi, NULL, 0, (int)wait, NULL);
		if (mc != CURLM_OK)
			return bld_error_set(err, BLD_E_NETWORK, "transfer: %s",
					     curl_multi_strerror(mc));
	}
}

/* ------------------------------------------------------------------ commit */

/* Takes a blob this call committed out of the store again (a failed pull leaves nothing). */
static void forget_blob(struct bld_store *s, const char *digest)
{
	cleanup_free char *path = bld_cache_blob_path(s, digest);
	if (path && unlink(path) < 0 && errno != ENOENT)
		bld_warn("cannot remove %s: %s", path, strerror(errno));
}

static int commit_all(struct fetch *fx, struct bld_error **err)
{
	int r = 0;
	for (size_t i = 0; i < fx->n; i++) {
		struct job *j = &fx->jobs[i];
		if (j->skip || !j->downloaded)
			continue;
		char got[BLD_DIGEST_STR_LEN];
		if (bld_cache_blob_writer_commit(j->w, got, &j->err) < 0) {
			bld_error_wrap(&j->err, "blob %s", j->f->digest);
			j->f->status = -1;
			j->downloaded = false;
			r = -1;
			continue;
		}
		reg_progress_status(j->prog, j->line, "Download complete");
	}
	for (size_t i = 0; r == 0 && i < fx->n; i++) { /* every blob verified: feeds may count */
		bld_cache_layer_feed_publish(fx->s, fx->jobs[i].feed);
		fx->jobs[i].feed = NULL;
	}
	if (r == 0)
		return 0;
	for (size_t i = 0; i < fx->n; i++) {
		struct job *j = &fx->jobs[i];
		drop_feed(j);
		if (j->downloaded)
			forget_blob(fx->s, j->f->digest);
		if (j->err && !*err)
			bld_error_move(err, &j->err);
	}
	return -1;
}

/* ------------------------------------------------------------------ entry */

/* Unpacking during the download is only faster: when it cannot start, unpack comes later. */
static void start_feed(struct fetch *fx, struct job *j)
{
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_layer_feed_new(&j->feed, fx->s, j->f->digest, &e) < 0) {
		bld_debug("blob %s: no unpacking during download: %s", j->f->digest, e->msg);
		drop_feed(j);
	}
}

static int prepare(struct fetch *fx, struct reg_progress *prog, struct bld_error **err)
{
	for (size_t i = 0; i < fx->n; i++) {
		struct job *j = &fx->jobs[i];
		j->prog = prog;
		j->line = -1;
		j->f->status = 0;
		if (bld_cache_blob_exists(fx->s, j->f->digest)) {
			j->skip = true;
			continue;
		}
		if (bld_cache_blob_writer_new(&j->w, fx->s, j->f->digest, err) < 0)
			return -1;
		int64_t off = bld_cache_blob_writer_offset(j->w);
		if (j->f->size >= 0 && off > j->f->size && bld_cache_blob_writer_restart(j->w, err) < 0)
			return -1;
		if (j->f->size >= 0 && off == j->f->size && off > 0)
			j->downloaded = true; /* an earlier run got it all; commit verifies it */
		else if (j->f->unpack && off == 0)
			start_feed(fx, j);
	}
	return 0;
}

static void cleanup(struct fetch *fx)
{
	for (size_t i = 0; i < fx->n; i++) {
		struct job *j = &fx->jobs[i];
		job_stop(fx, j);
		drop_feed(j); /* before the writer: it reads the partial */
		bld_cache_blob_writer_free(j->w); /* keeps a resumable partial */
		reg_req_dispose(&j->req);
		reg_resp_dispose(&j->resp);
		bld_error_free(j->err);
		free(j->stage);
	}
	free(fx->jobs);
	free(fx->order);
	free(fx->scope);
	if (fx->multi)
		curl_multi_cleanup(fx->multi);
}

static int fetch_once(struct bld_registry_client *c, struct bld_store *s, const char *repo,
		      struct bld_registry_fetch *blobs, size_t n, struct reg_progress *prog,
		      const int *lines, struct bld_error **err)
{
	if (reg_client_ping(c, err) < 0)
		return -1;
	struct fetch fx = {.c = c, .s = s, .repo = repo, .n = n};
	fx.scope = reg_scope(repo, "pull");
	fx.jobs = xcalloc(n ? n : 1, sizeof(*fx.jobs));
	fx.order = xcalloc(n ? n : 1, sizeof(*fx.order));
	for (size_t i = 0; i < n; i++) {
		fx.jobs[i].f = &blobs[i];
		fx.order[i] = &fx.jobs[i];
	}
	qsort(fx.order, n, sizeof(*fx.order), by_size_desc);
	fx.multi = curl_multi_init();
	curl_multi_setopt(fx.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)MAX_PARALLEL);
	int r = prepare(&fx, prog, err);
	for (size_t i = 0; lines && i < n; i++)
		fx.jobs[i].line = lines[i];
	if (r == 0)
		r = run_transfers(&fx, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (fx.jobs[i].err) {
			bld_error_move(err, &fx.jobs[i].err);
			r = -1;
		}
	if (r == 0)
		r = commit_all(&fx, err);
	int e = r < 0 && err && *err ? (*err)->sys_errno : 0;
	for (size_t i = 0; (e == ENOSPC || e == EDQUOT) && i < n; i++)
		bld_cache_blob_writer_drop(fx.jobs[i].w); /* resuming would keep the disk full */
	cleanup(&fx);
	return r;
}

/* A digest mismatch discards what was downloaded; it is tried once more from nothing. */
int reg_blobs_fetch(struct bld_registry_client *c, struct bld_store *s, const char *repo,
		    struct bld_registry_fetch *blobs, size_t n, struct reg_progress *prog,
		    const int *lines, struct bld_error **err)
{
	cleanup_error struct bld_error *first = NULL;
	if (fetch_once(c, s, repo, blobs, n, prog, lines, &first) == 0)
		return 0;
	if (first->code != BLD_E_DIGEST) {
		bld_error_move(err, &first);
		return -1;
	}
	bld_warn("%s; downloading again", first->msg);
	return fetch_once(c, s, repo, blobs, n, prog, lines, err);
}

int bld_registry_blobs_fetch(struct bld_registry_client *c, struct bld_store *s,
			     const char *repo, struct bld_registry_fetch *blobs, size_t n,
			     struct bld_error **err)
{
	return reg_blobs_fetch(c, s, repo, blobs, n, NULL, NULL, err);
}
