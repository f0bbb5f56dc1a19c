/*
 * registry/client.c — one registry connection over libcurl: TLS settings (certs.d, the
 * insecure list, plain HTTP where docker allows it), the ping that learns scheme and auth
 * kind, Bearer tokens fetched once per scope and reused, basic credentials, and single
 * requests with one re-authorisation on 401.
 *
 * It knows nothing of manifests or blobs (manifest.c, blob.c) and never prints.
 */
#include "registry/registry_int.h"

#include <jansson.h>
#include <pthread.h>

#define CERTS_DIR_DEFAULT "/etc/docker/certs.d"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ------------------------------------------------------------------ requests */

void reg_resp_dispose(struct reg_resp *r)
{
	bld_buf_dispose(&r->body);
	free(r->www_auth);
	free(r->location);
	free(r->content_type);
	free(r->docker_digest);
	free(r->range);
	free(r->link);
	memset(r, 0, sizeof(*r));
}

void reg_req_init(struct reg_req *r, const char *method, char *url, const char *scope)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->url = url;
	r->scope = scope;
	r->body_fd = -1;
}

void reg_req_dispose(struct reg_req *r)
{
	free(r->url);
	curl_slist_free_all(r->headers);
	bld_error_free(r->sink_err);
	r->url = NULL;
	r->headers = NULL;
	r->sink_err = NULL;
}

struct xfer {
	struct reg_req *req;
	struct reg_resp *resp;
};

static void set_header(char **slot, const char *v, size_t n)
{
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	free(*slot);
	*slot = xstrndup(v, n < REG_HEADER_MAX ? n : REG_HEADER_MAX);
}

/* Retry-After as delta-seconds; an HTTP date is left to the caller's own backoff. */
static void parse_retry_after(struct reg_resp *r, const char *v, size_t vlen)
{
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	cleanup_free char *s = xstrndup(v, vlen);
	long secs;
	if (bld_parse_long(s, 0, 3600, &secs) == 0)
		r->retry_after = secs;
}

void reg_resp_header(struct reg_resp *r, const char *data, size_t n)
{
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after a redirect or 100-continue): forget the last one's */
		long st = 0;
		const char *sp = memchr(data, ' ', n);
		if (sp)
			st = strtol(sp + 1, NULL, 10);
		char **fields[] = {&r->www_auth, &r->location, &r->content_type,
				   &r->docker_digest, &r->range, &r->link};
		for (size_t i = 0; i < BLD_ARRAY_SIZE(fields); i++) {
			free(*fields[i]);
			*fields[i] = NULL;
		}
		r->status = st;
		r->content_length = -1;
		r->retry_after = -1;
		return;
	}
	const char *colon = memchr(data, ':', n);
	if (!colon)
		return;
	size_t klen = (size_t)(colon - data);
	const char *v = colon + 1;
	while (v < data + n && *v == ' ')
		v++;
	size_t vlen = (size_t)(data + n - v);
#define IS(k) (klen == strlen(k) && strncasecmp(data, k, klen) == 0)
	if (IS("www-authenticate") && !r->www_auth)
		set_header(&r->www_auth, v, vlen);
	else if (IS("location"))
		set_header(&r->location, v, vlen);
	else if (IS("content-type"))
		set_header(&r->content_type, v, vlen);
	else if (IS("docker-content-digest"))
		set_header(&r->docker_digest, v, vlen);
	else if (IS("range"))
		set_header(&r->range, v, vlen);
	else if (IS("link"))
		set_header(&r->link, v, vlen);
	else if (IS("content-length"))
		r->content_length = strtoll(v, NULL, 10);
	else if (IS("retry-after"))
		parse_retry_after(r, v, vlen);
#undef IS
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
	struct xfer *x = p;
	reg_resp_header(x->resp, data, size * nmemb);
	return size * nmemb;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
	struct xfer *x = p;
	size_t n = size * nmemb;
	if (x->req->sink && x->resp->status >= 200 && x->resp->status < 300) {
		if (x->req->sink(data, n, x->req->sink_payload) < 0)
			return 0;
		x->req->sink_bytes += (int64_t)n;
		return n;
	}
	x->resp->body.max = x->req->body_max ? x->req->body_max : REG_ERRBODY_MAX;
	return bld_buf_add(&x->resp->body, data, n) < 0 ? 0 : n;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *p)
{
	struct reg_req *req = p;
	size_t want = size * nmemb;
	if ((int64_t)want > (int64_t)req->body_len)
		want = req->body_len;
	if (want == 0)
		return 0;
	ssize_t r = pread(req->body_fd, buf, want, req->body_off);
	if (r < 0)
		return CURL_READFUNC_ABORT;
	req->body_off += r;
	req->body_len -= (size_t)r;
	return (size_t)r;
}

static void easy_done(CURL *h);

/* ------------------------------------------------------------------ tokens */

static const char *token_for(struct bld_registry_client *c, const char *scope)
{
	for (size_t i = 0; i < c->ntokens; i++)
		if (strcmp(c->tokens[i].scope, scope ? scope : "") == 0)
			return c->tokens[i].token;
	return NULL;
}

void reg_token_forget(struct bld_registry_client *c, const char *scope)
{
	for (size_t i = 0; i < c->ntokens; i++) {
		if (strcmp(c->tokens[i].scope, scope ? scope : "") != 0)
			continue;
		free(c->tokens[i].scope);
		free(c->tokens[i].token);
		c->tokens[i] = c->tokens[--c->ntokens];
		return;
	}
}

static void token_store(struct bld_registry_client *c, const char *scope, const char *token)
{
	reg_token_forget(c, scope);
	c->tokens = xrealloc(c->tokens, (c->ntokens + 1) * sizeof(*c->tokens));
	c->tokens[c->ntokens].scope = xstrdup(scope ? scope : "");
	c->tokens[c->ntokens].token = xstrdup(token);
	c->ntokens++;
}

static void load_creds(struct bld_registry_client *c)
{
	if (c->creds_loaded)
		return;
	c->creds_loaded = true;
	cleanup_error struct bld_error *e = NULL;
	int r = c->config_dir ? reg_creds_lookup(c->config_dir, c->domain, &c->creds, &e) : 0;
	if (r < 0)
		bld_warn("credentials for %s: %s", c->domain, e->msg);
	c->have_creds = r > 0;
}

/* "realm?service=S&scope=A&scope=B" (space-separated scopes become separate params). */
static char *token_url(CURL *h, const struct reg_challenge *ch, const char *scope)
{
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_adds(&b, ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	if (ch->service) {
		char *e = curl_easy_escape(h, ch->service, 0);
		bld_buf_printf(&b, "%cservice=%s", sep, e);
		curl_free(e);
		sep = '&';
	}
	cleanup_free char *scopes = xstrdup(scope ? scope : "");
	for (char *save = NULL, *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		char *e = curl_easy_escape(h, s, 0);
		bld_buf_printf(&b, "%cscope=%s", sep, e);
		curl_free(e);
		sep = '&';
	}
	return bld_buf_detach(&b);
}

int reg_token_parse(const char *body, size_t len, char **out, struct bld_error **err)
{
	json_t *v = NULL;
	if (bld_json_load_buf(&v, body, len, err) < 0)
		return bld_error_wrap(err, "token service answer");
	const char *t = bld_json_get_str(v, "token");
	if (!t || !*t)
		t = bld_json_get_str(v, "access_token");
	int r = 0;
	if (t && *t)
		*out = xstrdup(t);
	else
		r = bld_error_set(err, BLD_E_AUTH, "token service sent no token");
	json_decref(v);
	return r;
}

/* The OAuth2 form for an identity (refresh) token, as docker posts it; caller frees. */
static char *oauth_form(CURL *h, const struct reg_challenge *ch, const char *scope,
			const char *refresh)
{
	char *rt = curl_easy_escape(h, refresh, 0);
	char *sv = curl_easy_escape(h, ch->service ? ch->service : "", 0);
	char *sc = curl_easy_escape(h, scope ? scope : "", 0);
	char *form = xasprintf("grant_type=refresh_token&client_id=bld&service=%s&refresh_token=%s"
			       "%s%s",
			       sv, rt, scope ? "&scope=" : "", scope ? sc : "");
	curl_free(rt);
	curl_free(sv);
	curl_free(sc);
	return form;
}

/*
 * Sets up the token request: GET with basic credentials (user/password or anonymous), or
 * an OAuth2 POST of the refresh token when config.json holds an identity token.
 */
static int token_request(struct bld_registry_client *c, CURL *h, const struct reg_challenge *ch,
			 const char *scope, struct reg_req *req, struct reg_resp *resp,
			 char **form, struct bld_error **err)
{
	if (c->have_creds && c->creds.identity_token) {
		*form = oauth_form(h, ch, scope, c->creds.identity_token);
		reg_req_init(req, "POST", xstrdup(ch->realm), NULL);
		req->body = *form;
		req->body_len = strlen(*form);
		req->headers = curl_slist_append(req->headers,
						 "Content-Type: application/x-www-form-urlencoded");
	} else {
		reg_req_init(req, "GET", token_url(h, ch, scope), NULL);
	}
	req->body_max = REG_TOKEN_MAX;
	if (reg_easy_setup(c, h, req, resp, err) < 0)
		return -1;
	if (c->have_creds && c->creds.user && !c->creds.identity_token) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->creds.user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->creds.secret);
	}
	return 0;
}

static int token_fetch(struct bld_registry_client *c, const struct reg_challenge *ch,
		       const char *scope, char **out, struct bld_error **err)
{
	if (!ch->realm || !*ch->realm)
		return bld_error_set(err, BLD_E_AUTH, "bearer challenge without realm");
	if (!bld_str_has_prefix(ch->realm, "https://") && !bld_str_has_prefix(ch->realm, "http://"))
		return bld_error_set(err, BLD_E_AUTH, "token realm %s is not an http(s) url",
				     ch->realm);
	load_creds(c);
	CURL *h = curl_easy_init();
	struct reg_req req;
	struct reg_resp resp = {0};
	cleanup_free char *form = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int r = token_request(c, h, ch, scope, &req, &resp, &form, err);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = r == 0 ? curl_easy_perform(h) : CURLE_OK;
	c->token_requests++;
	if (r == 0 && cc != CURLE_OK)
		r = reg_curl_error(c, cc, errbuf, err);
	if (r == 0 && (resp.status == 401 || resp.status == 403 ||
		       (resp.status == 400 && c->have_creds && c->creds.identity_token)))
		r = bld_error_set(err, BLD_E_AUTH, "unauthorized: %s",
				  !c->have_creds ? "authentication required"
				  : c->creds.identity_token ? "identity token refused"
							    : "incorrect username or password");
	else if (r == 0 && resp.status != 200)
		r = reg_status_error(&resp, BLD_E_AUTH, err, "token service answered %ld",
				     resp.status);
	if (r == 0)
		r = reg_token_parse(resp.body.data, resp.body.len, out, err);
	easy_done(h);
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	curl_easy_cleanup(h);
	return r;
}

int reg_authorize(struct bld_registry_client *c, const char *scope,
		  const struct reg_challenge *ch, struct bld_error **err)
{
	cleanup_free char *tok = NULL;
	int r = token_fetch(c, ch ? ch : &c->challenge, scope, &tok, err);
	if (r < 0)
		return r;
	token_store(c, scope, tok);
	return 0;
}

/* ------------------------------------------------------------------ setup */

static void set_method(CURL *h, struct reg_req *req)
{
	const char *m = req->method;
	if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (req->body_fd >= 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, req);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	} else if (strcmp(m, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	}
}

static void set_tls(struct bld_registry_client *c, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if (c->ca_file) {
		/* docker adds certs.d CAs to the system pool: keep the system directory too */
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(h, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (c->cert_file && c->key_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	}
}

/* The Authorization header or basic credentials for req, fetching a token when needed. */
static int set_auth(struct bld_registry_client *c, CURL *h, struct reg_req *req,
		    struct bld_error **err)
{
	if (c->auth == REG_AUTH_BASIC) {
		load_creds(c);
		if (c->have_creds && c->creds.user) {
			curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(h, CURLOPT_USERNAME, c->creds.user);
			curl_easy_setopt(h, CURLOPT_PASSWORD, c->creds.secret);
		}
		return 0;
	}
	if (c->auth != REG_AUTH_BEARER)
		return 0;
	if (!token_for(c, req->scope) && reg_authorize(c, req->scope, NULL, err) < 0)
		return -1;
	cleanup_free char *hdr = xasprintf("Authorization: Bearer %s", token_for(c, req->scope));
	req->headers = curl_slist_append(req->headers, hdr);
	return 0;
}

int reg_easy_setup(struct bld_registry_client *c, CURL *h, struct reg_req *req,
		   struct reg_resp *resp, struct bld_error **err)
{
	struct xfer *x = xcalloc(1, sizeof(*x)); /* freed by reg_easy_done through PRIVATE */
	x->req = req;
	x->resp = resp;
	resp->content_length = -1;
	resp->retry_after = -1;
	const struct reg_net *net = reg_config_net();
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "bld");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, net->connect_timeout);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, net->stall_timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	set_tls(c, h);
	set_method(h, req);
	if (req->scope && set_auth(c, h, req, err) < 0)
		return -1;
	if (!req->scope && c->auth == REG_AUTH_BASIC)
		set_auth(c, h, req, err);
	req->headers = curl_slist_append(req->headers, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, req->headers);
	return 0;
}

/* Frees the per-transfer state reg_easy_setup hung on the handle. */
static void easy_done(CURL *h)
{
	struct xfer *x = NULL;
	curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&x);
	free(x);
	curl_easy_setopt(h, CURLOPT_PRIVATE, NULL);
}

bool reg_curl_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

int reg_curl_error(struct bld_registry_client *c, CURLcode cc, const char *errbuf,
		   struct bld_error **err)
{
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(cc);
	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
		return bld_error_set(err, BLD_E_AUTH, "tls: cannot verify %s: %s", c->host, why);
	/* a TLS hello answered by plain HTTP: docker's words for it */
	if (cc == CURLE_SSL_CONNECT_ERROR && strstr(why, "wrong version number"))
		return bld_error_set(err, BLD_E_NETWORK,
				     "cannot reach registry %s: http: server gave HTTP response to "
				     "HTTPS client", c->host);
	return bld_error_set(err, BLD_E_NETWORK, "cannot reach registry %s: %s", c->host, why);
}

/* One transfer, no auth retry. */
static int perform(struct bld_registry_client *c, struct reg_req *req, struct reg_resp *resp,
		   CURLcode *cc_out, struct bld_error **err)
{
	CURL *h = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	int r = reg_easy_setup(c, h, req, resp, err);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = CURLE_OK;
	if (r == 0)
		cc = curl_easy_perform(h);
	easy_done(h);
	curl_easy_cleanup(h);
	if (cc_out)
		*cc_out = cc;
	if (r == 0 && cc != CURLE_OK) {
		if (req->sink_err) {
			bld_error_move(err, &req->sink_err);
			return -1;
		}
		return reg_curl_error(c, cc, errbuf, err);
	}
	return r;
}

/* Re-authorises after a 401 with a Bearer challenge; 1 when a retry makes sense. */
static int reauth(struct bld_registry_client *c, struct reg_req *req, struct reg_resp *resp,
		  struct bld_error **err)
{
	if (c->auth != REG_AUTH_BEARER || !resp->www_auth)
		return 0;
	struct reg_challenge ch;
	if (reg_challenge_parse(&ch, resp->www_auth, NULL) < 0)
		return 0;
	int r = 0;
	if (strcmp(ch.scheme, "bearer") == 0) {
		reg_token_forget(c, req->scope);
		r = reg_authorize(c, req->scope, &ch, err) < 0 ? -1 : 1;
	}
	reg_challenge_dispose(&ch);
	return r;
}

#define REG_DO_TRIES 4
#define REG_DO_BACKOFF_MS 200

/* A GET/HEAD that failed in a way worth another try: 5xx, 429, or a broken connection. */
static bool worth_retry(const struct reg_req *req, int r, CURLcode cc,
			const struct reg_resp *resp)
{
	bool idempotent = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	if (!idempotent || req->sink_bytes > 0)
		return false;
	if (r < 0)
		return reg_curl_retryable(cc);
	return resp->status == 429 || (resp->status >= 500 && resp->status != 501);
}

int64_t reg_retry_wait_ms(long status, long retry_after, int64_t backoff_ms)
{
	long ra = retry_after > REG_RETRY_AFTER_MAX_S ? REG_RETRY_AFTER_MAX_S : retry_after;
	if ((status == 429 || status == 503) && (int64_t)ra * 1000 > backoff_ms)
		return (int64_t)ra * 1000;
	return backoff_ms;
}

/* One attempt: the request's own headers are kept for the next one. */
static int attempt_once(struct bld_registry_client *c, struct reg_req *req,
			struct reg_resp *resp, CURLcode *cc, struct bld_error **err)
{
	struct curl_slist *base = req->headers;
	req->headers = NULL;
	for (struct curl_slist *l = base; l; l = l->next)
		req->headers = curl_slist_append(req->headers, l->data);
	int r = perform(c, req, resp, cc, err);
	curl_slist_free_all(req->headers);
	req->headers = base;
	return r;
}

int reg_do(struct bld_registry_client *c, struct reg_req *req, struct reg_resp *resp,
	   struct bld_error **err)
{
	if (reg_client_ping(c, err) < 0)
		return -1;
	int64_t off = req->body_off;
	size_t blen = req->body_len;
	bool reauthed = false;
	for (int tries = 1;; tries++) {
		CURLcode cc = CURLE_OK;
		struct bld_error *e = NULL;
		int r = attempt_once(c, req, resp, &cc, &e);
		if (tries < REG_DO_TRIES && worth_retry(req, r, cc, resp)) {
			int64_t wait = reg_retry_wait_ms(resp->status, resp->retry_after,
							 REG_DO_BACKOFF_MS << (tries - 1));
			bld_debug("%s %s: retrying in %lld ms", req->method, req->url,
				  (long long)wait);
			bld_error_free(e);
			reg_resp_dispose(resp);
			usleep((useconds_t)wait * 1000);
			continue;
		}
		bld_error_move(err, &e);
		if (r < 0 || resp->status != 401 || reauthed || req->sink_bytes > 0)
			return r;
		r = reauth(c, req, resp, err);
		if (r <= 0)
			return r;
		reauthed = true;
		req->body_off = off;
		req->body_len = blen;
		reg_resp_dispose(resp);
	}
}

/* ------------------------------------------------------------------ ping */

static int ping_at(struct bld_registry_client *c, const char *scheme, struct reg_resp *resp,
		   CURLcode *cc, struct bld_error **err)
{
	struct reg_req req;
	reg_req_init(&req, "GET", xasprintf("%s://%s/v2/", scheme, c->host), NULL);
	enum reg_auth_kind saved = c->auth;
	c->auth = REG_AUTH_UNKNOWN; /* no credentials on the ping itself */
	int r = perform(c, &req, resp, cc, err);
	c->auth = saved;
	reg_req_dispose(&req);
	return r;
}

static int learn_auth(struct bld_registry_client *c, struct reg_resp *resp,
		      struct bld_error **err)
{
	if (resp->status == 200) {
		c->auth = REG_AUTH_NONE;
		return 0;
	}
	if (resp->status != 401)
		return reg_status_error(resp, BLD_E_NETWORK, err,
					"%s does not look like a registry: GET /v2/ answered %ld",
					c->host, resp->status);
	if (!resp->www_auth || reg_challenge_parse(&c->challenge, resp->www_auth, NULL) < 0)
		return bld_error_set(err, BLD_E_AUTH, "%s asks for authentication without a "
						      "usable challenge", c->host);
	if (strcmp(c->challenge.scheme, "bearer") == 0)
		c->auth = REG_AUTH_BEARER;
	else if (strcmp(c->challenge.scheme, "basic") == 0)
		c->auth = REG_AUTH_BASIC;
	else
		return bld_error_set(err, BLD_E_UNSUPPORTED, "%s asks for %s authentication",
				     c->host, c->challenge.scheme);
	return 0;
}

int reg_client_ping(struct bld_registry_client *c, struct bld_error **err)
{
	if (c->base)
		return 0;
	struct reg_resp resp = {0};
	CURLcode cc = CURLE_OK;
	cleanup_error struct bld_error *e = NULL;
	const char *scheme = "https";
	int r = ping_at(c, scheme, &resp, &cc, &e);
	/* plain HTTP only where allowed, and not when a certificate was actually refused */
	if (r < 0 && c->allow_http && cc != CURLE_PEER_FAILED_VERIFICATION) {
		reg_resp_dispose(&resp);
		bld_error_free(e);
		e = NULL;
		scheme = "http";
		r = ping_at(c, scheme, &resp, &cc, &e);
	}
	if (r < 0) {
		reg_resp_dispose(&resp);
		bld_error_move(err, &e);
		return -1;
	}
	r = learn_auth(c, &resp, err);
	reg_resp_dispose(&resp);
	if (r == 0)
		c->base = xasprintf("%s://%s", scheme, c->host);
	return r;
}

char *reg_url(struct bld_registry_client *c, const char *repo, const char *what)
{
	return xasprintf("%s/v2/%s/%s", c->base, repo, what);
}

char *reg_scope(const char *repo, const char *actions)
{
	return xasprintf("repository:%s:%s", repo, actions);
}

/* ------------------------------------------------------------------ errors */

char *reg_error_code(const struct reg_resp *resp)
{
	json_t *v = NULL;
	if (!resp->body.len || bld_json_load_buf(&v, resp->body.data, resp->body.len, NULL) < 0)
		return NULL;
	json_t *e0 = json_array_get(json_object_get(v, "errors"), 0);
	const char *code = bld_json_get_str(e0, "code");
	char *r = code ? xstrdup(code) : NULL;
	json_decref(v);
	return r;
}

/* "manifest unknown: manifest unknown" from the first error of a registry error body. */
static char *error_text(const struct reg_resp *resp)
{
	json_t *v = NULL;
	if (!resp->body.len || bld_json_load_buf(&v, resp->body.data, resp->body.len, NULL) < 0)
		return NULL;
	json_t *e0 = json_array_get(json_object_get(v, "errors"), 0);
	const char *code = bld_json_get_str(e0, "code"), *msg = bld_json_get_str(e0, "message");
	char *r = NULL;
	/* the registry's words go into bld's one-line error: printable, and not without end */
	if (msg) {
		cleanup_free char *lc = bld_str_printable(code ? code : "error", 64);
		for (char *p = lc; *p; p++)
			*p = *p == '_' ? ' ' : (char)(*p | 0x20);
		cleanup_free char *m = bld_str_printable(msg, 512);
		r = xasprintf("%s: %s", lc, m);
	} else if (bld_json_get_str(v, "details")) {
		r = bld_str_printable(bld_json_get_str(v, "details"), 512);
	}
	json_decref(v);
	return r;
}

int reg_status_error(const struct reg_resp *resp, enum bld_error_code fallback,
		     struct bld_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *what = xvasprintf(fmt, ap);
	va_end(ap);
	cleanup_free char *text = error_text(resp);
	enum bld_error_code code = fallback;
	if (resp->status == 404)
		code = BLD_E_NOTFOUND;
	else if (resp->status == 401 || resp->status == 403)
		code = BLD_E_AUTH;
	else if (resp->status >= 500)
		code = BLD_E_NETWORK;
	if (text)
		return bld_error_set(err, code, "%s: %s", what, text);
	return bld_error_set(err, code, "%s (http %ld)", what, resp->status);
}

/* ------------------------------------------------------------------ the client */

/* certs.d/<name>/ files: ca.crt (or any *.crt), client.cert, client.key. */
static void find_certs(struct bld_registry_client *c, const char *certs_dir)
{
	const char *names[] = {c->domain, c->host};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(names); i++) {
		cleanup_free char *d = xasprintf("%s/%s", certs_dir, names[i]);
		cleanup_free char *ca = xasprintf("%s/ca.crt", d);
		cleanup_free char *cert = xasprintf("%s/client.cert", d);
		cleanup_free char *key = xasprintf("%s/client.key", d);
		if (!c->ca_file && access(ca, R_OK) == 0)
			c->ca_file = steal_pointer(&ca);
		if (!c->cert_file && access(cert, R_OK) == 0 && access(key, R_OK) == 0) {
			c->cert_file = steal_pointer(&cert);
			c->key_file = steal_pointer(&key);
		}
	}
}

int bld_registry_client_new(struct bld_registry_client **out, const char *domain,
			    const struct bld_registry_opts *o, struct bld_error **err)
{
	static const struct bld_registry_opts defaults = {0};
	if (!o)
		o = &defaults;
	pthread_once(&curl_once, curl_init_once);
	struct bld_registry_client *c = xcalloc(1, sizeof(*c));
	c->domain = xstrdup(domain);
	c->host = xstrdup(bld_registry_api_host(domain));
	/* docker's rule: a registry on 127.0.0.0/8 (localhost, ::1) or in insecure-registries
	 * is reached over HTTPS without certificate checks, else plain HTTP; asking for
	 * verification (--tls-verify=true) requires HTTPS with a trusted certificate */
	bool local = bld_registry_domain_is_local(domain);
	bool insecure = o->tls_verify < 0 ||
			(o->tls_verify == 0 && (local || reg_config_insecure(domain)));
	c->tls_verify = !insecure;
	c->allow_http = insecure || (local && o->tls_verify == 0);
	const char *certs = o->certs_dir ? o->certs_dir : getenv("BLD_CERTS_DIR");
	find_certs(c, certs && *certs ? certs : CERTS_DIR_DEFAULT);
	c->config_dir = o->config_dir ? xstrdup(o->config_dir) : NULL;
	c->share = curl_share_init();
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	if (o->user && o->secret)
		bld_registry_client_set_creds(c, o->user, o->secret);
	*out = c;
	(void)err;
	return 0;
}

void bld_registry_client_free(struct bld_registry_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntokens; i++) {
		free(c->tokens[i].scope);
		free(c->tokens[i].token);
	}
	free(c->tokens);
	reg_creds_dispose(&c->creds);
	reg_challenge_dispose(&c->challenge);
	curl_share_cleanup(c->share);
	free(c->domain);
	free(c->host);
	free(c->base);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->config_dir);
	free(c);
}

struct bld_registry_client *reg_client_clone(const struct bld_registry_client *c)
{
	struct bld_registry_client *n = xcalloc(1, sizeof(*n));
	n->domain = xstrdup(c->domain);
	n->host = xstrdup(c->host);
	n->base = c->base ? xstrdup(c->base) : NULL;
	n->tls_verify = c->tls_verify;
	n->allow_http = c->allow_http;
#define DUP(f) n->f = c->f ? xstrdup(c->f) : NULL
	DUP(ca_file);
	DUP(cert_file);
	DUP(key_file);
	DUP(config_dir);
	DUP(creds.user);
	DUP(creds.secret);
	DUP(creds.identity_token);
	DUP(challenge.scheme);
	DUP(challenge.realm);
	DUP(challenge.service);
	DUP(challenge.scope);
	DUP(challenge.error);
#undef DUP
	n->creds_loaded = c->creds_loaded;
	n->have_creds = c->have_creds;
	n->auth = c->auth;
	for (size_t i = 0; i < c->ntokens; i++)
		token_store(n, c->tokens[i].scope, c->tokens[i].token);
	n->share = curl_share_init();
	curl_share_setopt(n->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(n->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(n->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	return n;
}

void bld_registry_client_set_creds(struct bld_registry_client *c, const char *user,
				   const char *secret)
{
	reg_creds_dispose(&c->creds);
	c->creds.user = xstrdup(user);
	c->creds.secret = xstrdup(secret);
	c->creds_loaded = true;
	c->have_creds = true;
}

int bld_registry_client_token_requests(const struct bld_registry_client *c)
{
	return c->token_requests;
}

int bld_registry_client_check(struct bld_registry_client *c, struct bld_error **err)
{
	if (reg_client_ping(c, err) < 0)
		return -1;
	if (c->auth == REG_AUTH_BEARER) {
		cleanup_free char *tok = NULL;
		return token_fetch(c, &c->challenge, NULL, &tok, err);
	}
	if (c->auth != REG_AUTH_BASIC)
		return 0;
	struct reg_req req;
	reg_req_init(&req, "GET", xasprintf("%s/v2/", c->base), NULL);
	struct reg_resp resp = {0};
	int r = perform(c, &req, &resp, NULL, err);
	if (r == 0 && resp.status == 401)
		r = bld_error_set(err, BLD_E_AUTH, "unauthorized: %s",
				  c->have_creds ? "incorrect username or password"
						: "authentication required");
	else if (r == 0 && resp.status != 200)
		r = reg_status_error(&resp, BLD_E_NETWORK, err, "GET /v2/");
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}
