/*
 * api/build.c — POST /build, docker's classic build endpoint (what `DOCKER_BUILDKIT=0 docker
 * build` and docker-compose 1.29 call): its query (t, dockerfile, buildargs, target, labels,
 * nocache, pull, q, networkmode, platform, extrahosts, shmsize, remote) as bld_builder_opts,
 * the context the route spooled (a tar, possibly compressed, which the builder unpacks
 * confined to a scratch directory, as for `bld build -`), and the build's progress streamed
 * as docker's JSON messages: {"stream": ...} lines, {"aux": {"ID": ...}}, "Successfully
 * built" and "Successfully tagged" as the classic builder ends, {"errorDetail": ..., "error":
 * ...} when the build fails.
 *
 * The build runs in a child process (a bld of its own, spawn.c): it gets the private mount namespace `bld build` has,
 * waits for its RUN steps' processes (the service's own children are reaped by the kernel),
 * and a crash in it costs the service nothing. The builder prints the classic builder's
 * lines ("Step N/M : ...", " ---> Using cache", " ---> ID"), but bld commits no image and
 * runs no container per step: the IDs are its cache keys', there is no "Running in" nor
 * "Removing intermediate container", and rm and forcerm have nothing to do.
 */
#include "api/api_int.h"
#include "builder/builder.h"
#include "registry/registry.h"

#include <errno.h>
#include <fcntl.h>

/* What the build's child needs, owned (the request's strings end with its connection). */
struct build_job {
	struct bld_ctx *ctx;
	int fd; /* the spooled context, or -1 with a remote context */
	char *remote, *dockerfile, *target, *network, *platform;
	char **tags, **args, **labels, **hosts;
	bool no_cache, pull, quiet;
	int64_t shm;
};

static void job_free(void *arg)
{
	struct build_job *j = arg;
	if (j->fd >= 0)
		close(j->fd);
	free(j->remote);
	free(j->dockerfile);
	free(j->target);
	free(j->network);
	free(j->platform);
	bld_strv_free(j->tags);
	bld_strv_free(j->args);
	bld_strv_free(j->labels);
	bld_strv_free(j->hosts);
	free(j);
}

/* Writes one JSON message as a line; false once the client is gone. */
static bool send_msg(int fd, json_t *msg)
{
	cleanup_free char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return false;
	cleanup_free char *line = xasprintf("%s\n", text);
	return bld_fs_write_all(fd, line, strlen(line)) == 0;
}

static bool send_stream(int fd, const char *text, size_t n)
{
	/* a RUN step's output need not be UTF-8: sent as it is, as docker's daemon does */
	return send_msg(fd, json_pack("{s:o}", "stream", json_stringn_nocheck(text, n)));
}

/* The builder's progress FILE: every chunk it writes becomes a {"stream": ...} message. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	int fd = *(int *)cookie;
	return send_stream(fd, buf, n) ? (ssize_t)n : -1;
}

/* "K": V pairs of a JSON object argument as "K=V" strings into *out (null values skipped:
 * docker's nil build arg); BLD_E_INVALID when the argument is not such an object. */
static int json_kv_arg(const struct bld_api_req *req, const char *key, char ***out,
		       struct bld_error **err)
{
	const char *v = bld_api_query(req, key);
	if (!v || !*v)
		return 0;
	json_error_t je;
	cleanup_json json_t *o = json_loads(v, 0, &je);
	if (!json_is_object(o) && !json_is_null(o))
		return bld_error_set(err, BLD_E_INVALID, "invalid %s: %s", key, v);
	const char *k;
	json_t *val;
	json_object_foreach(o, k, val) {
		if (json_is_string(val)) {
			cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(val));
			bld_strv_push(out, kv);
		} else if (!json_is_null(val))
			return bld_error_set(err, BLD_E_INVALID, "invalid %s: %s", key, v);
	}
	return 0;
}

/* cachefrom names images to take cache from; bld's build cache is its own store's, so a
 * non-empty list is refused rather than ignored. */
static int check_cachefrom(const struct bld_api_req *req, struct bld_error **err)
{
	const char *v = bld_api_query(req, "cachefrom");
	if (!v || !*v)
		return 0;
	cleanup_json json_t *a = json_loads(v, 0, NULL);
	if (json_is_null(a) || (json_is_array(a) && json_array_size(a) == 0))
		return 0;
	return bld_error_set(err, BLD_E_UNSUPPORTED,
			     "cachefrom is not supported: bld builds from its own build cache");
}

static char *query_dup(const struct bld_api_req *req, const char *key)
{
	const char *v = bld_api_query(req, key);
	return v && *v ? xstrdup(v) : NULL;
}

/* The tags, each a valid reference (docker refuses the request before building). */
static int read_tags(const struct bld_api_req *req, struct build_job *j, struct bld_error **err)
{
	j->tags = bld_api_query_all(req, "t");
	for (size_t i = 0; j->tags && j->tags[i]; i++) {
		struct bld_registry_ref r;
		if (bld_registry_ref_parse(&r, j->tags[i], err) < 0)
			return -1;
		bld_registry_ref_dispose(&r);
	}
	return 0;
}

/* A remote context names a git repository or a URL, never a path of the service's host. */
static bool remote_ok(const char *r)
{
	static const char *const ok[] = {"http://", "https://", "git://", "git@", "ssh://"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ok); i++)
		if (bld_str_has_prefix(r, ok[i]))
			return true;
	return false;
}

static int read_job(const struct bld_api_req *req, struct build_job *j, struct bld_error **err)
{
	long shm = 0;
	if (read_tags(req, j, err) < 0 || json_kv_arg(req, "buildargs", &j->args, err) < 0 ||
	    json_kv_arg(req, "labels", &j->labels, err) < 0 || check_cachefrom(req, err) < 0 ||
	    bld_api_query_int(req, "shmsize", 0, &shm, err) < 0)
		return -1;
	j->shm = shm;
	j->remote = query_dup(req, "remote");
	if (j->remote && !remote_ok(j->remote))
		return bld_error_set(err, BLD_E_INVALID, "remote %s: not a git or http(s) URL",
				     j->remote);
	j->dockerfile = query_dup(req, "dockerfile");
	j->target = query_dup(req, "target");
	j->network = query_dup(req, "networkmode");
	j->platform = query_dup(req, "platform");
	j->hosts = bld_api_query_all(req, "extrahosts");
	j->no_cache = bld_api_query_bool(req, "nocache");
	j->pull = bld_api_query_bool(req, "pull");
	j->quiet = bld_api_query_bool(req, "q");
	if (!j->remote && req->body_fd < 0)
		return bld_error_set(err, BLD_E_INVALID, "no build context");
	j->fd = j->remote ? -1 : bld_api_body_file(req, err);
	return j->remote || j->fd >= 0 ? 0 : -1;
}

/* What the classic builder says after a build: the ID, then each tag. */
static void send_result(int fd, const struct build_job *j, const char *id)
{
	const char *hex = strchr(id, ':') ? strchr(id, ':') + 1 : id;
	if (j->quiet) {
		cleanup_free char *line = xasprintf("%s\n", id);
		send_stream(fd, line, strlen(line));
		return;
	}
	send_msg(fd, json_pack("{s:{s:s}}", "aux", "ID", id));
	cleanup_free char *built = xasprintf("Successfully built %.12s\n", hex);
	send_stream(fd, built, strlen(built));
	for (size_t i = 0; j->tags && j->tags[i]; i++) {
		cleanup_free char *full = NULL;
		if (bld_registry_full_name(j->tags[i], &full, NULL) < 0)
			continue;
		cleanup_free char *fam = bld_registry_familiar(full);
		cleanup_free char *line = xasprintf("Successfully tagged %s\n", fam);
		send_stream(fd, line, strlen(line));
	}
}

static void send_error(int fd, const struct bld_error *e)
{
	json_t *detail = json_pack("{s:s}", "message", e->msg);
	if (e->status)
		json_object_set_new(detail, "code", json_integer(e->status));
	send_msg(fd, json_pack("{s:o, s:s}", "errorDetail", detail, "error", e->msg));
}

/* The build, in the child: progress and the result as JSON messages on fd. */
static int child_build(int fd, struct build_job *j)
{
	cookie_io_functions_t io = {.write = cookie_write};
	FILE *out = fopencookie(&fd, "w", io);
	struct bld_builder_opts o = {
		.context = j->remote ? j->remote : "-", .context_fd = j->fd,
		.dockerfile = j->dockerfile, .tags = j->tags, .build_args = j->args,
		.target = j->target, .labels = j->labels, .network = j->network,
		.add_hosts = j->hosts, .shm_size = j->shm, .platform = j->platform,
		.no_cache = j->no_cache, .pull = j->pull, .quiet = j->quiet, .progress = "classic",
		.progress_out = out,
	};
	char id[BLD_DIGEST_STR_LEN];
	struct bld_error *e = NULL;
	int r = bld_builder_build(j->ctx, &o, id, &e);
	if (out)
		fclose(out);
	if (r == 0)
		send_result(fd, j, id);
	else
		send_error(fd, e);
	bld_error_free(e);
	return r == 0 ? 0 : 1;
}

/* j as its child's job (the context is the child's descriptor 4). */
static json_t *job_json(const struct build_job *j)
{
	return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:o, s:b, s:b, s:b, s:I}",
			 "remote", j->remote, "dockerfile", j->dockerfile, "target", j->target,
			 "network", j->network, "platform", j->platform, "tags",
			 bld_json_strv(j->tags), "args", bld_json_strv(j->args), "labels",
			 bld_json_strv(j->labels), "hosts", bld_json_strv(j->hosts), "no_cache",
			 j->no_cache, "pull", j->pull, "quiet", j->quiet, "shm", (json_int_t)j->shm);
}

static char *job_str(const json_t *job, const char *key)
{
	const char *v = bld_json_get_str(job, key);
	return v ? xstrdup(v) : NULL;
}

int bld_api_build_child(struct bld_ctx *ctx, const json_t *job)
{
	/* 3 the stream's pipe, 4 the context (/dev/null with a remote one) */
	struct build_job *j = xcalloc(1, sizeof(*j));
	*j = (struct build_job){
		.ctx = ctx, .remote = job_str(job, "remote"),
		.dockerfile = job_str(job, "dockerfile"), .target = job_str(job, "target"),
		.network = job_str(job, "network"), .platform = job_str(job, "platform"),
		.tags = bld_json_to_strv(json_object_get(job, "tags")),
		.args = bld_json_to_strv(json_object_get(job, "args")),
		.labels = bld_json_to_strv(json_object_get(job, "labels")),
		.hosts = bld_json_to_strv(json_object_get(job, "hosts")),
		.no_cache = json_is_true(json_object_get(job, "no_cache")),
		.pull = json_is_true(json_object_get(job, "pull")),
		.quiet = json_is_true(json_object_get(job, "quiet")),
		.shm = json_integer_value(json_object_get(job, "shm"))};
	j->fd = j->remote ? -1 : 4;
	int r = child_build(3, j);
	job_free(j);
	return r;
}

/* The stream's function: spawns the build's child (spawn.c) and leaves it the pipe. */
static void build_stream(int wfd, void *arg)
{
	struct build_job *j = arg;
	cleanup_json json_t *job = job_json(j);
	int io[5] = {-1, -1, 2, wfd, j->fd}; /* its warnings where the service's go */
	pid_t pid;
	cleanup_error struct bld_error *e = NULL;
	if (bld_api_spawn(&pid, "build", job, io, 5, &e) < 0) {
		struct bld_error f = {.code = BLD_E_SYSTEM, .msg = (char *)"cannot start the build"};
		send_error(wfd, &f);
	}
}

int bld_api_build(struct bld_api_req *req, struct bld_api_resp *resp, struct bld_error **err)
{
	struct build_job *j = xcalloc(1, sizeof(*j));
	j->ctx = req->ctx;
	j->fd = -1;
	if (read_job(req, j, err) < 0) {
		job_free(j);
		return -1;
	}
	if (bld_api_stream(resp, build_stream, j, job_free, err) < 0)
		return -1;
	MHD_add_response_header(resp->raw, "Content-Type", "application/json");
	return 0;
}
