/*
 * registry/registry_int.h — what the files of registry/ share: the client state (scheme,
 * TLS settings, credentials, tokens per scope), one HTTP request/response shape used by
 * single requests and by the parallel blob transfers, and the auth and config parsers.
 *
 * No other module includes this file.
 */
#ifndef BLD_REGISTRY_INT_H
#define BLD_REGISTRY_INT_H

#include <curl/curl.h>

#include "registry/registry.h"

#define REG_MANIFEST_MAX ((size_t)4 << 20) /* manifests and indexes */
#define REG_CONFIG_MAX ((size_t)8 << 20)   /* image configs read whole */
#define REG_TOKEN_MAX ((size_t)64 << 10)   /* token service answers */
#define REG_ERRBODY_MAX ((size_t)64 << 10) /* error bodies kept for messages */
#define REG_HEADER_MAX 8192                /* one response header value */

#define REG_ACCEPT_MANIFESTS                                                                \
	"application/vnd.oci.image.index.v1+json, "                                         \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                       \
	"application/vnd.oci.image.manifest.v1+json, "                                      \
	"application/vnd.docker.distribution.manifest.v2+json"

/* ------------------------------------------------------------------ auth (auth.c) */

/* One WWW-Authenticate challenge. */
struct reg_challenge {
	char *scheme;  /* "bearer" or "basic", lower-cased */
	char *realm;
	char *service;
	char *scope;
	char *error; /* error="insufficient_scope" and the like */
};
void reg_challenge_dispose(struct reg_challenge *c);
/* Parses the first challenge of a WWW-Authenticate value (BLD_E_INVALID when malformed). */
int reg_challenge_parse(struct reg_challenge *out, const char *value, struct bld_error **err);

/* Credentials for one registry. */
struct reg_creds {
	char *user;
	char *secret;
	char *identity_token; /* docker's "identitytoken" (OAuth refresh token), or NULL */
};
void reg_creds_dispose(struct reg_creds *c);

/*
 * Looks up credentials for domain in docker's config.json under config_dir (credHelpers,
 * then credsStore, then auths). Returns 1 when found, 0 when there are none.
 */
int reg_creds_lookup(const char *config_dir, const char *domain, struct reg_creds *out,
		     struct bld_error **err);
/* The same over an already parsed config.json (for tests and login). */
int reg_creds_from_config(const struct json_t *cfg, const char *domain, struct reg_creds *out,
			  struct bld_error **err);
/* Runs docker-credential-<helper> <verb> with input on stdin; *out is its stdout. */
int reg_cred_helper_run(const char *helper, const char *verb, const char *input, char **out,
			struct bld_error **err);
/* A helper's "get" answer ({"Username": ..., "Secret": ...}; "<token>" as the user names an
 * identity token) into out: 1 with credentials, 0 without; BLD_E_INVALID when not JSON. */
int reg_cred_helper_parse(const char *helper, const char *text, struct reg_creds *out,
			  struct bld_error **err);
/* Decodes base64 "user:secret" as config.json's "auth" holds it. */
int reg_auth_decode(const char *b64, struct reg_creds *out, struct bld_error **err);
char *reg_auth_encode(const char *user, const char *secret);

/* ------------------------------------------------------------------ client (client.c) */

enum reg_auth_kind { REG_AUTH_UNKNOWN, REG_AUTH_NONE, REG_AUTH_BASIC, REG_AUTH_BEARER };

struct reg_token {
	char *scope;
	char *token;
};

struct bld_registry_client {
	char *domain;      /* "docker.io", "127.0.0.1:5000" */
	char *host;        /* API host: "registry-1.docker.io" */
	char *base;        /* "https://host" once known, else NULL */
	bool tls_verify;   /* verify certificates (false: --tls-verify=false or insecure list) */
	bool allow_http;   /* plain HTTP allowed after HTTPS fails */
	char *ca_file;     /* certs.d/<host>/ca.crt when present */
	char *cert_file;   /* certs.d/<host>/client.cert */
	char *key_file;    /* certs.d/<host>/client.key */
	char *config_dir;  /* docker config dir */
	bool creds_loaded;
	bool have_creds;
	struct reg_creds creds;
	enum reg_auth_kind auth;
	struct reg_challenge challenge; /* from the ping, for Bearer */
	struct reg_token *tokens;
	size_t ntokens;
	int token_requests; /* how many times a token was fetched (tests) */
	CURLSH *share;      /* connection, DNS and TLS session cache across handles */
};

/*
 * An independent copy of a client (scheme, credentials, tokens) for another thread: a
 * client and its curl share are used by one thread at a time.
 */
struct bld_registry_client *reg_client_clone(const struct bld_registry_client *c);

/* A response as the files of registry/ see it. */
struct reg_resp {
	long status;
	struct bld_buf body; /* capped by req.body_max; only for non-sink requests */
	char *www_auth;
	char *location;
	char *content_type;
	char *docker_digest;
	char *range;
	char *link; /* Link: <...>; rel="next" (tag list pages) */
	int64_t content_length; /* -1 when absent */
	long retry_after;       /* Retry-After in seconds; -1 when absent or a date */
};
void reg_resp_dispose(struct reg_resp *r);
/* Takes one response header line (as curl hands it over, CRLF included) into r: a status
 * line starts a new response; the headers the client uses are kept, capped. */
void reg_resp_header(struct reg_resp *r, const char *data, size_t n);
/* The token of a token service's JSON answer ("token", else "access_token"); caller frees.
 * BLD_E_INVALID when it is not JSON, BLD_E_AUTH when it holds no token. */
int reg_token_parse(const char *body, size_t len, char **out, struct bld_error **err);

/* Data sink for streamed response bodies (2xx only); returns < 0 to abort. */
typedef int (*reg_sink_fn)(const void *data, size_t n, void *payload);

struct reg_req {
	const char *method; /* GET, HEAD, PUT, POST, PATCH, DELETE */
	char *url;          /* absolute; owned by the request */
	const char *scope;  /* token scope, "repository:x/y:pull"; NULL: none */
	struct curl_slist *headers;
	const void *body;   /* upload from memory ... */
	size_t body_len;
	int body_fd;        /* ... or from a file (-1: none), from body_off for body_len bytes */
	int64_t body_off;
	size_t body_max;    /* response body cap (0: REG_ERRBODY_MAX) */
	reg_sink_fn sink;
	void *sink_payload;
	struct bld_error *sink_err; /* set by the sink to explain an abort */
	int64_t sink_bytes;
};
void reg_req_init(struct reg_req *r, const char *method, char *url, const char *scope);
void reg_req_dispose(struct reg_req *r);

/* Makes sure the client knows its base URL and auth kind (GET /v2/). */
int reg_client_ping(struct bld_registry_client *c, struct bld_error **err);
/* "base/v2/<repo>/<what>"; caller frees. */
char *reg_url(struct bld_registry_client *c, const char *repo, const char *what);
/* Sets up an easy handle for req/resp (TLS, auth header for req->scope, callbacks). */
int reg_easy_setup(struct bld_registry_client *c, CURL *h, struct reg_req *req,
		   struct reg_resp *resp, struct bld_error **err);
/*
 * Performs one request; on 401 it (re)authorises for req->scope from the challenge and
 * retries once. Transport failures are BLD_E_NETWORK; HTTP statuses come back in resp.
 */
int reg_do(struct bld_registry_client *c, struct reg_req *req, struct reg_resp *resp,
	   struct bld_error **err);
/* Drops the cached token for scope (after a 401 mid-transfer). */
void reg_token_forget(struct bld_registry_client *c, const char *scope);
/* Fetches (or reuses) a token for scope; BLD_E_AUTH for bad credentials. */
int reg_authorize(struct bld_registry_client *c, const char *scope,
		  const struct reg_challenge *ch, struct bld_error **err);
/* An error for an unexpected HTTP status, using the registry's JSON error body. */
int reg_status_error(const struct reg_resp *resp, enum bld_error_code fallback,
		     struct bld_error **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The first "code" of a registry error body ("MANIFEST_UNKNOWN"), or NULL; caller frees. */
char *reg_error_code(const struct reg_resp *resp);
/* Maps a failed curl transfer to a bld error (BLD_E_NETWORK, or BLD_E_AUTH for TLS trust). */
int reg_curl_error(struct bld_registry_client *c, CURLcode cc, const char *errbuf,
		   struct bld_error **err);
bool reg_curl_retryable(CURLcode cc);
#define REG_RETRY_AFTER_MAX_S 60 /* a longer Retry-After is cut to this */
/* The wait before a retry: backoff_ms, or longer when a 429 or 503 said Retry-After. */
int64_t reg_retry_wait_ms(long status, long retry_after, int64_t backoff_ms);
/* "repository:<repo>:<actions>"; caller frees. */
char *reg_scope(const char *repo, const char *actions);

/* HEAD a blob with the given token scope: 1 present, 0 absent (manifest.c). */
int reg_blob_head(struct bld_registry_client *c, const char *repo, const char *digest,
		  const char *scope, int64_t *size, struct bld_error **err);

/* ------------------------------------------------------------------ fetch (blobfetch.c) */

struct reg_progress;
/* bld_registry_blobs_fetch with progress: lines[i] is blob i's progress line (or -1). */
int reg_blobs_fetch(struct bld_registry_client *c, struct bld_store *s, const char *repo,
		    struct bld_registry_fetch *blobs, size_t n, struct reg_progress *prog,
		    const int *lines, struct bld_error **err);

/* ------------------------------------------------------------------ images (image.c) */

/* A descriptor inside a manifest or index. */
struct reg_desc {
	char *media_type;
	char digest[BLD_DIGEST_STR_LEN];
	int64_t size;
	char *os, *arch, *variant; /* index entries only */
};

/* An image manifest (OCI or Docker v2s2) or an index (OCI or Docker list), parsed. */
struct reg_manifest {
	bool is_index;
	struct reg_desc config;
	struct reg_desc *items; /* layers, or the index's manifests */
	size_t n;
};
void reg_manifest_dispose(struct reg_manifest *m);
/* Parses and checks a manifest or index; BLD_E_INVALID / BLD_E_UNSUPPORTED. */
int reg_manifest_parse(struct reg_manifest *out, const char *media_type, const char *data,
		       size_t len, struct bld_error **err);
bool reg_media_type_is_index(const char *mt);
/* Picks the entry for platform ("os/arch[/variant]", NULL: linux/amd64) from an index. */
int reg_platform_select(const struct reg_manifest *idx, const char *platform,
			const struct reg_desc **out, struct bld_error **err);

/*
 * Rewrites a Docker v2s2 manifest as an OCI manifest (same config and layer blobs, OCI
 * media types), as skopeo does when it copies into an OCI layout; *out is malloc'd.
 */
int reg_manifest_to_oci(const char *data, size_t len, char **out, size_t *out_len,
			struct bld_error **err);

/* ------------------------------------------------------------------ config (config.c) */

/* Whether the bld config file ($BLD_CONFIG or /etc/bld/config.json) lists domain in
 * "insecure-registries" (host, host:port, or an IPv4 CIDR). */
bool reg_config_insecure(const char *domain);

/*
 * Network patience: how often a blob download is tried and how long a connection may take
 * to open or stall. From the config file ("max-download-attempts" as in docker's
 * daemon.json, "connect-timeout" and "stall-timeout" in seconds), overridden by
 * $BLD_MAX_DOWNLOAD_ATTEMPTS, $BLD_CONNECT_TIMEOUT and $BLD_STALL_TIMEOUT. Read once.
 */
struct reg_net {
	long attempts;        /* default 5 */
	long connect_timeout; /* default 30 */
	long stall_timeout;   /* default 60 */
};
const struct reg_net *reg_config_net(void);

/* ------------------------------------------------------------------ progress (progress.c) */

struct reg_progress;
struct reg_progress *reg_progress_new(const struct bld_registry_opts *o);
/* reference.c: docker's "pull"/"push" image event for ref in the store's events journal */
void reg_image_event(struct bld_store *s, const struct bld_registry_ref *ref, const char *action);
void reg_progress_free(struct reg_progress *p);
/* Adds a line for id (12 hex digits shown) with a first status; returns its index. */
int reg_progress_add(struct reg_progress *p, const char *digest, const char *status);
void reg_progress_status(struct reg_progress *p, int idx, const char *status);
void reg_progress_bytes(struct reg_progress *p, int idx, int64_t done, int64_t total,
			const char *verb);
/* Prints a plain line above the bars (or as is). */
void reg_progress_line(struct reg_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
