/*
 * api/exec.c — docker exec's three calls: POST /containers/{id}/exec makes an exec instance,
 * POST /exec/{id}/start runs it on the hijacked connection (or detached), GET /exec/{id}/json
 * tells whether it runs and its exit code; POST /exec/{id}/resize sizes its pty. The process
 * is the runner's, started as `bld exec` starts it (bld_runner_container_exec), in a child (a
 * bld of its own, spawn.c) whose stdin is the connection and whose stdout and stderr are pipes
 * relayed to it in docker's frames. A socket pair between the service and that child carries
 * the pty's sizes to it and its exit code back.
 *
 * Exec instances live in this process's memory only, as in docker's daemon: they are gone
 * with the service (a client uses one within seconds of making it). The table is capped.
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#define EXECS_MAX 1024

struct exec {
	char id[65], container[65];
	struct bld_runner_exec_opts o;
	bool out, err;
	bool started, running;
	int exit_code;
	int ctl;                /* the service's end of the child's socket pair while it runs */
	struct winsize size;    /* the size asked for (ConsoleSize, resize), 0x0: none */
	struct exec *next;
};

static pthread_mutex_t execs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct exec *execs;
static size_t n_execs;

/* The instance by ID (execs_lock held), or NULL. */
static struct exec *find(const char *id)
{
	struct exec *x = execs;
	while (x && strcmp(x->id, id) != 0)
		x = x->next;
	return x;
}

/* Drops the oldest finished instances beyond the cap (execs_lock held). */
static void trim(void)
{
	while (n_execs > EXECS_MAX) {
		struct exec **p = &execs, **last = NULL;
		for (; *p; p = &(*p)->next)
			if (!(*p)->running)
				last = p;
		if (!last)
			return;
		struct exec *x = *last;
		*last = x->next;
		bld_strv_free(x->o.argv);
		bld_strv_free(x->o.env);
		free((char *)x->o.user);
		free((char *)x->o.workdir);
		free(x);
		n_execs--;
	}
}

int bld_api_exec_create(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err)
{
	cleanup_free char *cid = NULL;
	cleanup_json json_t *info = NULL, *b = NULL;
	if (bld_api_container_find(req, &cid, &info, err) < 0 || bld_api_body_json(req, &b, err) < 0)
		return -1;
	if (!json_is_true(json_object_get(json_object_get(info, "State"), "Running")))
		return bld_error_set(err, BLD_E_EXISTS, "Container %s is not running", cid);
	struct exec *x = xcalloc(1, sizeof(*x));
	x->o.argv = bld_json_to_strv(json_object_get(b, "Cmd"));
	if (!x->o.argv) {
		free(x);
		return bld_error_set(err, BLD_E_INVALID, "No exec command specified");
	}
	x->o.env = bld_json_to_strv(json_object_get(b, "Env"));
	const char *u = bld_json_get_str(b, "User"), *w = bld_json_get_str(b, "WorkingDir");
	x->o.user = u && *u ? xstrdup(u) : NULL;
	x->o.workdir = w && *w ? xstrdup(w) : NULL;
	x->o.tty = json_is_true(json_object_get(b, "Tty"));
	x->o.interactive = json_is_true(json_object_get(b, "AttachStdin"));
	x->o.privileged = json_is_true(json_object_get(b, "Privileged"));
	x->out = json_is_true(json_object_get(b, "AttachStdout"));
	x->ctl = -1;
	json_t *cs = json_object_get(b, "ConsoleSize"); /* [rows, cols], API 1.42 */
	x->size.ws_row = (unsigned short)json_integer_value(json_array_get(cs, 0));
	x->size.ws_col = (unsigned short)json_integer_value(json_array_get(cs, 1));
	x->err = json_is_true(json_object_get(b, "AttachStderr"));
	snprintf(x->container, sizeof(x->container), "%s", cid);
	unsigned char rnd[32];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		abort();
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(x->id + 2 * i, 3, "%02x", rnd[i]);
	pthread_mutex_lock(&execs_lock);
	x->next = execs;
	execs = x;
	n_execs++;
	trim();
	pthread_mutex_unlock(&execs_lock);
	resp->status = MHD_HTTP_CREATED;
	resp->json = json_pack("{s:s}", "Id", x->id);
	return 0;
}

/* x as its child's job. */
static json_t *exec_job(const struct exec *x)
{
	return json_pack("{s:s, s:o, s:o, s:s?, s:s?, s:b, s:b, s:b, s:b}", "container",
			 x->container, "argv", bld_json_strv(x->o.argv), "env",
			 bld_json_strv(x->o.env), "user", x->o.user, "workdir", x->o.workdir,
			 "tty", x->o.tty, "interactive", x->o.interactive, "detach", x->o.detach,
			 "privileged", x->o.privileged);
}

int bld_api_exec_child(struct bld_ctx *ctx, const json_t *job)
{
	/* stdin the connection (or nothing), stdout and stderr the pipes, 3 the report socket */
	cleanup_strv char **argv = bld_json_to_strv(json_object_get(job, "argv"));
	cleanup_strv char **env = bld_json_to_strv(json_object_get(job, "env"));
	struct bld_runner_exec_opts o = {
		.argv = argv, .env = env, .user = bld_json_get_str(job, "user"),
		.workdir = bld_json_get_str(job, "workdir"),
		.tty = json_is_true(json_object_get(job, "tty")),
		.interactive = json_is_true(json_object_get(job, "interactive")),
		.detach = json_is_true(json_object_get(job, "detach")),
		.privileged = json_is_true(json_object_get(job, "privileged"))};
	const char *id = bld_json_get_str(job, "container");
	int code = 126;
	cleanup_error struct bld_error *e = NULL;
	o.winsize_fd = 3; /* the pty's sizes come on the report socket */
	if (!id || !argv || bld_runner_container_exec(ctx, id, &o, &code, &e) < 0) {
		fprintf(stderr, "%s\n", e ? e->msg : "bad exec job");
		code = e && e->status ? e->status : 126;
	}
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", code);
	return write(3, buf, (size_t)n) == n ? 0 : 1;
}

/* Runs x with its output relayed to sock (-1: detached, output dropped); records the exit. */
static void run_exec(struct bld_ctx *ctx, struct exec *x, int sock)
{
	int o[2] = {-1, -1}, e[2] = {-1, -1}, rep[2] = {-1, -1};
	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rep) < 0)
		return;
	int io[4] = {x->o.interactive ? sock : -1, x->out ? o[1] : -1,
		     x->err ? (x->o.tty ? o[1] : e[1]) : -1, rep[1]};
	cleanup_json json_t *job = exec_job(x);
	pid_t pid;
	cleanup_error struct bld_error *err = NULL;
	int r = bld_api_spawn(&pid, "exec", job, io, 4, &err);
	close(o[1]);
	close(e[1]);
	close(rep[1]);
	pthread_mutex_lock(&execs_lock);
	x->ctl = rep[0];
	if (x->size.ws_row && x->size.ws_col && x->o.tty)
		send(rep[0], &x->size, sizeof(x->size), MSG_DONTWAIT | MSG_NOSIGNAL);
	pthread_mutex_unlock(&execs_lock);
	if (sock >= 0)
		bld_api_relay(o[0], e[0], sock, x->o.tty, false);
	else {
		close(o[0]);
		close(e[0]);
	}
	char buf[16] = "";
	ssize_t n = r < 0 ? -1 : read(rep[0], buf, sizeof(buf) - 1);
	pthread_mutex_lock(&execs_lock);
	close(rep[0]);
	x->ctl = -1;
	x->exit_code = n > 0 ? (int)strtol(buf, NULL, 10) : 126;
	x->running = false;
	pthread_mutex_unlock(&execs_lock);
}

struct exec_start {
	struct bld_ctx *ctx;
	struct exec *x;
};

static void exec_work(void *cls, int sock)
{
	struct exec_start *s = cls;
	run_exec(s->ctx, s->x, sock);
	free(s);
}

static void exec_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls,
			  const char *extra_in, size_t extra_in_size, MHD_socket sock,
			  struct MHD_UpgradeResponseHandle *urh)
{
	bld_api_upgraded(exec_work, cls, sock, urh);
}

int bld_api_exec_start(struct bld_api_req *req, struct bld_api_resp *resp,
		       struct bld_error **err)
{
	cleanup_json json_t *b = NULL;
	if (bld_api_body_json(req, &b, err) < 0)
		return -1;
	pthread_mutex_lock(&execs_lock);
	struct exec *x = find(req->captures[0]);
	bool was = x && x->started;
	if (x)
		x->started = x->running = true;
	pthread_mutex_unlock(&execs_lock);
	if (!x)
		return bld_error_set(err, BLD_E_NOTFOUND, "No such exec instance: %s",
				     req->captures[0]);
	if (was)
		return bld_error_set(err, BLD_E_EXISTS, "Exec %s has already run", x->id);
	if (json_is_true(json_object_get(b, "Detach"))) {
		run_exec(req->ctx, x, -1); /* bld exec -d: the runner detaches it */
		resp->status = MHD_HTTP_OK;
		return 0;
	}
	struct exec_start *s = xcalloc(1, sizeof(*s));
	s->ctx = req->ctx;
	s->x = x;
	resp->raw = MHD_create_response_for_upgrade(exec_upgraded, s);
	MHD_add_response_header(resp->raw, "Upgrade", "tcp");
	MHD_add_response_header(resp->raw, "Connection", "Upgrade");
	MHD_add_response_header(resp->raw, "Content-Type",
				x->o.tty || req->version_minor < 42
					? "application/vnd.docker.raw-stream"
					: "application/vnd.docker.multiplexed-stream");
	resp->status = MHD_HTTP_SWITCHING_PROTOCOLS;
	return 0;
}

int bld_api_exec_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			 struct bld_error **err)
{
	pthread_mutex_lock(&execs_lock);
	struct exec *x = find(req->captures[0]);
	if (x)
		resp->json = json_pack(
			"{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:o, s:{s:s, s:o, s:s, s:b}, s:i}", "ID",
			x->id, "ContainerID", x->container, "Running", x->running, "OpenStdin",
			x->o.interactive, "OpenStdout", x->out, "OpenStderr", x->err, "CanRemove",
			false, "ExitCode", x->started && !x->running ? json_integer(x->exit_code)
								    : json_null(),
			"ProcessConfig", "entrypoint", x->o.argv[0], "arguments",
			bld_json_strv(x->o.argv + 1), "user", x->o.user ? x->o.user : "", "tty",
			x->o.tty, "Pid", 0);
	pthread_mutex_unlock(&execs_lock);
	if (!x)
		return bld_error_set(err, BLD_E_NOTFOUND, "No such exec instance: %s",
				     req->captures[0]);
	return 0;
}

int bld_api_exec_resize(struct bld_api_req *req, struct bld_api_resp *resp,
			struct bld_error **err)
{
	long h = 0, w = 0;
	if (bld_api_query_int(req, "h", 0, &h, err) < 0 || bld_api_query_int(req, "w", 0, &w, err) < 0)
		return -1;
	if (h < 0 || w < 0 || h > 65535 || w > 65535)
		return bld_error_set(err, BLD_E_INVALID, "invalid terminal size %ldx%ld", h, w);
	pthread_mutex_lock(&execs_lock);
	struct exec *x = find(req->captures[0]);
	if (x) {
		x->size = (struct winsize){.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
		/* before the start: sent then; after the end: nothing to size (docker's too) */
		if (x->ctl >= 0 && x->o.tty)
			send(x->ctl, &x->size, sizeof(x->size), MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	pthread_mutex_unlock(&execs_lock);
	if (!x)
		return bld_error_set(err, BLD_E_NOTFOUND, "No such exec instance: %s",
				     req->captures[0]);
	resp->status = MHD_HTTP_OK;
	return 0;
}
