/*
 * api/api_int.h — what the files of api/ share: a request as the handlers see it (method,
 * path captures, query, JSON body, the client's API version), the response they fill in, the
 * routing table's entry, and the helpers that read docker's query conventions (booleans,
 * filters). No other module includes it.
 *
 * Files: server.c (sockets, the HTTP daemon, idle exit) over route.c (the table, version
 * prefixes, body and error handling) over the handlers (system.c, containers.c, images.c,
 * build.c...)
 * and util.c (query and JSON helpers the handlers share).
 */
#ifndef BLD_API_INT_H
#define BLD_API_INT_H

#include "api/api.h"

#include <jansson.h>
#include <microhttpd.h>

/* A request body is read into memory up to this (docker's JSON bodies are small; a build
 * context or an image tar will stream instead). Larger: 413. */
#define BLD_API_BODY_MAX ((size_t)16 << 20)
/* An upload (a build context) is spooled to a file up to this; larger: 413. */
#define BLD_API_UPLOAD_MAX ((size_t)2 << 30)
/* Path captures a route may have. */
#define BLD_API_CAPTURES_MAX 4

struct bld_api_req {
	struct bld_ctx *ctx;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;    /* without the /vX.Y prefix */
	int version_minor;   /* the client's 1.Y (BLD_API_VERSION_MAX's when unprefixed) */
	char *captures[BLD_API_CAPTURES_MAX]; /* the route's {name} parts, unescaped */
	const char *body;    /* NUL-terminated; "" when none */
	size_t body_len;
	int body_fd;         /* an upload route's body (borrowed, at its end), else -1 */
};

/* What a handler answers: status with JSON (json, or its text when the handler wrote it;
 * owned), or a response it made itself (a stream, an upgrade), or neither (status alone, an
 * empty body). */
struct bld_api_resp {
	unsigned status;
	json_t *json;
	bool json_lines; /* json is an array sent as one JSON document a line (a progress
			    stream: pull, push, build) */
	char *text; /* a JSON body already written (owned), sent as it is */
	struct MHD_Response *raw;
	int client; /* the connection's socket (set by route.c, -1 if unknown): a stream
		       watches it to end when the client hangs up */
};

/* A handler returns 0 with *resp filled, or < 0 with *err set: the error becomes docker's
 * {"message": ...} with the status its code maps to (route.c). */
typedef int (*bld_api_handler)(struct bld_api_req *req, struct bld_api_resp *resp,
			       struct bld_error **err);

struct bld_api_route {
	const char *method;
	/* "/containers/{}/json": {} captures one segment, {*} as many as the rest of the
	 * pattern leaves (image names have slashes) */
	const char *pattern;
	bld_api_handler fn;
};

/* route.c: the route for req's method and path (*route NULL when none; captures into req, the
 * caller frees them), req->path stripped of its /vX.Y prefix and req->version_minor set;
 * BLD_E_INVALID for a version outside the served range. */
int bld_api_route_find(struct bld_api_req *req, const struct bld_api_route **route,
		       struct bld_error **err);
/* The access handler MHD calls for every request, and its completion callback. */
enum MHD_Result bld_api_route_access(void *cls, struct MHD_Connection *conn, const char *url,
				     const char *method, const char *version,
				     const char *upload_data, size_t *upload_data_size,
				     void **con_cls);
void bld_api_route_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			     enum MHD_RequestTerminationCode toe);
/* A request refused with docker's {"message": msg} and status, before it is routed. */
enum MHD_Result bld_api_route_refuse(struct MHD_Connection *conn, unsigned status,
				     const char *msg);
/* The headers every response carries (Api-Version, Ostype, Server, Docker-Experimental). */
void bld_api_common_headers(struct MHD_Response *r);

/* util.c: docker's query conventions. */
/* A query argument (borrowed) or NULL. */
const char *bld_api_query(const struct bld_api_req *req, const char *key);
/* "1", "true", "True" -> true; absent, "", "0", "false" -> false (docker's boolValue). */
bool bld_api_query_bool(const struct bld_api_req *req, const char *key);
/* An integer argument: def when absent; BLD_E_INVALID when not a number. */
int bld_api_query_int(const struct bld_api_req *req, const char *key, long def, long *out,
		      struct bld_error **err);
/* The "filters" argument ({"key": {"value": true}} or the older {"key": ["value"]}) as
 * "key=value" strings (*out: caller frees, NULL when none); BLD_E_INVALID when malformed. */
int bld_api_query_filters(const struct bld_api_req *req, char ***out, struct bld_error **err);
/* The same over the argument's text f (NULL or "": none). */
int bld_api_filters_parse(const char *f, char ***out, struct bld_error **err);
/* An upload route's body (route.c spools it) as a descriptor of the caller's, at its start. */
int bld_api_body_file(const struct bld_api_req *req, struct bld_error **err);
/* The body as a JSON object (*out: caller's; an empty body is {}); BLD_E_INVALID. */
int bld_api_body_json(const struct bld_api_req *req, json_t **out, struct bld_error **err);
/* Every value of a repeated argument (docker's ?t=a&t=b), caller frees; NULL when none. */
char **bld_api_query_all(const struct bld_api_req *req, const char *key);
/* {"K": "V"} as "K=V" strings (caller frees; NULL when none). */
char **bld_api_kv_strv(const json_t *o);
/* The container the path's first capture names: its full ID (caller frees) and, with info,
 * its inspect object (caller's); BLD_E_NOTFOUND "No such container: ..." as docker's. */
int bld_api_container_find(const struct bld_api_req *req, char **id, json_t **info,
			   struct bld_error **err);
/* Unix seconds as docker's RFC 3339 with nanoseconds, UTC ("2024-01-02T03:04:05.0Z"); out
 * holds 40 bytes. */
void bld_api_time(char out[40], double secs);

/* create.c: POST /containers/create's body as the runner's config (c disposed by the caller
 * with bld_runner_container_config_dispose, its store and loaded image freed too); the image
 * must be in the store (BLD_E_NOTFOUND "No such image: ...", on which docker's CLI pulls). */
struct bld_runner_container_config;
int bld_api_create_config(struct bld_runner_container_config *c, struct bld_ctx *ctx,
			  const json_t *body, const char *name, struct bld_error **err);
/* images.c: the image name stands for in s (*img the caller's), or BLD_E_NOTFOUND in docker's
 * words, "No such image: NAME" (docker-py tells a missing image by them: compose then pulls). */
struct bld_store;
struct bld_cache_image;
int bld_api_image_find(struct bld_store *s, const char *name, struct bld_cache_image **img,
		       struct bld_error **err);
/* attach.c: starts the container id for an attach waiting for it (*handled), as `bld run`
 * starts one attached; *handled false when none waits. */
int bld_api_attach_start(struct bld_ctx *ctx, const char *id, bool *handled,
			 struct bld_error **err);
/* spawn.c: starts `bld __api KIND` for a request's work (an exec, an attach, a build) in a
 * process of its own, never a fork of the threaded service: its descriptors 0..n-1 are
 * fds[0..n-1] (-1: /dev/null), job (a JSON object) is read from descriptor n. BLD_E_SYSTEM
 * when it cannot start. */
int bld_api_spawn(pid_t *pid, const char *kind, const json_t *job, const int *fds, size_t n,
		  struct bld_error **err);
/* The children's side of those, by KIND, each with the job and stdio as its spawn made
 * them; each returns the child's exit status. */
int bld_api_exec_child(struct bld_ctx *ctx, const json_t *job);
int bld_api_attach_child(struct bld_ctx *ctx, const json_t *job);
int bld_api_build_child(struct bld_ctx *ctx, const json_t *job);
/* Sends data on sock, in a docker stream frame (stream 1 stdout, 2 stderr) unless raw;
 * false when the peer is gone. */
bool bld_api_frame_send(int sock, bool raw, int stream, const char *data, size_t n);

/* Relays two pipes (a process's stdout and stderr) to sock until both end or the client
 * hangs up (with stdin_ends, also once it ended its stdin and all of it was read), framed
 * unless raw; closes the pipes. */
void bld_api_relay(int out_r, int err_r, int sock, bool raw, bool stdin_ends);

/* stream.c: a chunked response (resp->raw) of what fn writes to wfd, fn running in a thread
 * of its own; a write fails once the client is gone. free_arg (may be NULL) frees arg when
 * both are done. */
typedef void (*bld_api_stream_fn)(int wfd, void *arg);
int bld_api_stream(struct bld_api_resp *resp, bld_api_stream_fn fn, void *arg,
		   void (*free_arg)(void *arg), struct bld_error **err);

/* An upgrade handler's work on the hijacked connection sock, run by bld_api_upgraded in a
 * thread of its own (TLS needs the handler to return), which then closes the connection. */
typedef void (*bld_api_upgrade_fn)(void *cls, int sock);
void bld_api_upgraded(bld_api_upgrade_fn fn, void *cls, int sock,
		      struct MHD_UpgradeResponseHandle *urh);

/* containers.c: one container as GET /containers/json shows it. */
struct bld_runner_container_info;
json_t *bld_api_container_summary(const struct bld_runner_container_info *c);
/* The JSON array (compact, a newline after it; caller frees) of the summaries of those of
 * v's n containers that keep says (running ones only unless all; at most limit when > 0), in
 * order; the summary of a container whose parsed files (the same objects) and status line
 * are those of the last call is that call's text. */
char *bld_api_container_summaries(const struct bld_runner_container_info *v, size_t n,
				  const bool *keep, bool all, long limit);
/* images.c: one image as GET /images/json shows it. */
struct bld_registry_image_names;
json_t *bld_api_image_summary(const struct bld_registry_image_names *im, int minor);

/* The handlers, by file. */
int bld_api_ping(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err);
int bld_api_version(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err);
int bld_api_info(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err);
int bld_api_containers_list(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err);
int bld_api_containers_create(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err);
int bld_api_containers_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			       struct bld_error **err);
int bld_api_containers_start(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err);
int bld_api_containers_stop(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err);
int bld_api_containers_kill(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err);
int bld_api_containers_delete(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err);
int bld_api_containers_wait(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err);
int bld_api_containers_logs(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err);
int bld_api_containers_attach(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err);
int bld_api_containers_resize(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err);
int bld_api_archive_head(struct bld_api_req *req, struct bld_api_resp *resp,
			 struct bld_error **err);
int bld_api_archive_get(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err);
int bld_api_archive_put(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err);
int bld_api_containers_export(struct bld_api_req *req, struct bld_api_resp *resp,
			      struct bld_error **err);
int bld_api_containers_changes(struct bld_api_req *req, struct bld_api_resp *resp,
			       struct bld_error **err);
int bld_api_images_get(struct bld_api_req *req, struct bld_api_resp *resp,
		       struct bld_error **err);
int bld_api_images_load(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err);
int bld_api_images_import(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err);
int bld_api_images_push(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err);
int bld_api_auth(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err);
int bld_api_system_df(struct bld_api_req *req, struct bld_api_resp *resp,
		      struct bld_error **err);
int bld_api_containers_top(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err);
int bld_api_images_history(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err);
int bld_api_containers_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err);
int bld_api_images_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			 struct bld_error **err);
int bld_api_volumes_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err);
int bld_api_networks_prune(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err);
int bld_api_containers_stats(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err);
int bld_api_networks_list(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_networks_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_networks_create(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_networks_delete(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_networks_connect(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_networks_disconnect(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_volumes_list(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_volumes_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_volumes_create(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_volumes_delete(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_exec_create(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err);
int bld_api_exec_start(struct bld_api_req *req, struct bld_api_resp *resp,
		       struct bld_error **err);
int bld_api_exec_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			 struct bld_error **err);
int bld_api_exec_resize(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err);
int bld_api_events(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err);
int bld_api_containers_restart(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_containers_pause(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_containers_unpause(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_containers_update(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_containers_rename(struct bld_api_req *req, struct bld_api_resp *resp,
		struct bld_error **err);
int bld_api_images_list(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err);
int bld_api_images_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err);
int bld_api_images_tag(struct bld_api_req *req, struct bld_api_resp *resp,
		       struct bld_error **err);
int bld_api_images_delete(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err);
int bld_api_images_create(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err);
int bld_api_build(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err);

#endif
