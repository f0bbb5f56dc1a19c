/*
 * deploy/logs.c — the merged logs of a project's containers, as compose v2 prints them:
 * each line led by "NAME  | " (the container's name without "<project>-", padded to the
 * longest, in compose's rainbow of colours on a terminal), and the attached `up` built on
 * it. One child per container reads that container's log through the runner (following
 * it while it runs) into a pipe; this process merges whole lines as they come.
 *
 * A line is never split between two prefixes; the order across containers is arrival
 * order, as compose's.
 */
#include "deploy/deploy_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_BYTES (1 << 20)

struct follower {
	const struct bld_deploy_ctr *c;
	char *prefix, *status_color;
	int fd[2]; /* stdout, stderr of the child; -1 when closed */
	struct bld_buf pending[2];
	bool reported;
};

const char *bld_deploy_short_name(const char *project, const char *name)
{
	size_t n = strlen(project);
	return strncmp(name, project, n) == 0 && name[n] == '-' ? name + n + 1 : name;
}

/* compose's rainbow: cyan, yellow, green, magenta, blue, then their intense forms. */
static const char *color(size_t i)
{
	static const char *const v[] = {"36", "33", "32", "35", "34",
					"36;1", "33;1", "32;1", "35;1", "34;1"};
	return v[i % BLD_ARRAY_SIZE(v)];
}

static void prefixes(const struct bld_deploy_target *t, struct follower *f, size_t n,
		     bool colors, bool none)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(bld_deploy_short_name(t->name, f[i].c->name));
		w = l > w ? l : w;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = bld_deploy_short_name(t->name, f[i].c->name);
		f[i].prefix = none     ? xstrdup("")
			      : colors ? xasprintf("\033[%sm%-*s | \033[0m", color(i), (int)w + 1, s)
				     : xasprintf("%-*s | ", (int)w + 1, s);
		f[i].status_color = xstrdup(colors ? color(i) : "");
	}
}

/* A child that writes c's log (followed while it runs) to the two pipes. */
static int spawn(struct bld_ctx *ctx, struct follower *f, const struct bld_runner_logs_opts *lo,
		 struct bld_error **err)
{
	int out[2], er[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe");
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return bld_error_sys(err, errno, "pipe");
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_IGN); /* ends when its container does */
		dup2(out[1], 1);
		dup2(er[1], 2);
		cleanup_error struct bld_error *e = NULL;
		int r = bld_runner_container_logs(ctx, f->c->id, lo, &e);
		fflush(NULL);
		_exit(r < 0 ? 1 : 0);
	}
	close(out[1]);
	close(er[1]);
	f->fd[0] = out[0];
	f->fd[1] = er[0];
	if (pid < 0) {
		close(out[0]);
		close(er[0]);
		return bld_error_sys(err, errno, "fork");
	}
	return 0;
}

/* Prints every complete line of what came on stream k of f. */
static void emit(struct follower *f, int k, bool flush_all)
{
	struct bld_buf *b = &f->pending[k];
	FILE *out = k ? stderr : stdout;
	char *start = b->data, *end = b->data + b->len, *nl;
	while (start < end && (nl = memchr(start, '\n', (size_t)(end - start)))) {
		fprintf(out, "%s%.*s\n", f->prefix, (int)(nl - start), start);
		start = nl + 1;
	}
	if (flush_all && start < end) {
		fprintf(out, "%s%.*s\n", f->prefix, (int)(end - start), start);
		start = end;
	}
	fflush(out);
	size_t rest = (size_t)(end - start);
	if (rest && start != b->data) /* nothing buffered yet: data is NULL */
		memmove(b->data, start, rest);
	b->len = rest;
}

/* Reads what is there on f's stream k; closes it at its end. */
static void drain(struct follower *f, int k)
{
	char buf[8192];
	ssize_t n = read(f->fd[k], buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		emit(f, k, true);
		close(f->fd[k]);
		f->fd[k] = -1;
		return;
	}
	bld_buf_add(&f->pending[k], buf, (size_t)n);
	emit(f, k, false);
}

static volatile sig_atomic_t interrupted;
static void on_int(int sig)
{
	(void)sig;
	interrupted++;
}

struct merge {
	struct bld_ctx *ctx;
	const struct bld_deploy_target *t;
	struct follower *f;
	size_t n;
	/* attach: what to do when a container's log ends (its container stopped) */
	void (*ended)(struct merge *m, struct follower *f);
	const struct bld_deploy_attach_opts *ao;
	const struct bld_deploy_state *st;
	pid_t stopper;
	int code;
	bool stopping;
};

/* Polls the open streams once; calls m->ended for each follower that just ended. */
static void step(struct merge *m)
{
	struct pollfd *p = xcalloc(2 * m->n + 1, sizeof(*p));
	size_t *who = xcalloc(2 * m->n + 1, sizeof(*who));
	nfds_t k = 0;
	for (size_t i = 0; i < m->n; i++)
		for (int s = 0; s < 2; s++)
			if (m->f[i].fd[s] >= 0) {
				who[k] = i * 2 + (size_t)s;
				p[k++] = (struct pollfd){.fd = m->f[i].fd[s], .events = POLLIN};
			}
	int r = poll(p, k, 200);
	for (nfds_t j = 0; r > 0 && j < k; j++)
		if (p[j].revents)
			drain(&m->f[who[j] / 2], (int)(who[j] % 2));
	for (size_t i = 0; i < m->n; i++) {
		struct follower *f = &m->f[i];
		if (f->fd[0] < 0 && f->fd[1] < 0 && !f->reported) {
			f->reported = true;
			if (m->ended)
				m->ended(m, f);
		}
	}
	free(p);
	free(who);
}

static bool open_streams(const struct merge *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->f[i].fd[0] >= 0 || m->f[i].fd[1] >= 0)
			return true;
	return false;
}

static int start_followers(struct merge *m, const struct bld_deploy_state *st, bool colors,
			   bool no_prefix, const struct bld_runner_logs_opts *lo,
			   struct bld_error **err)
{
	m->n = st->n;
	m->f = xcalloc(st->n + 1, sizeof(*m->f));
	for (size_t i = 0; i < st->n; i++) {
		m->f[i] = (struct follower){.c = &st->v[i], .fd = {-1, -1},
					    .pending = {BLD_BUF_INIT, BLD_BUF_INIT}};
		m->f[i].pending[0].max = m->f[i].pending[1].max = LINE_MAX_BYTES;
	}
	prefixes(m->t, m->f, m->n, colors, no_prefix);
	/* this process reaps its own children: the runner's SA_NOCLDWAIT would make a
	 * waitpid wait for every follower too */
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigaction(SIGCHLD, &sa, NULL);
	for (size_t i = 0; i < m->n; i++)
		if (spawn(m->ctx, &m->f[i], lo, err) < 0)
			return -1;
	return 0;
}

static void end_followers(struct merge *m)
{
	for (size_t i = 0; i < m->n; i++) {
		for (int s = 0; s < 2; s++) {
			if (m->f[i].fd[s] >= 0)
				close(m->f[i].fd[s]);
			bld_buf_dispose(&m->f[i].pending[s]);
		}
		free(m->f[i].prefix);
		free(m->f[i].status_color);
	}
	free(m->f);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int bld_deploy_logs(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		    const struct bld_deploy_state *st, const struct bld_deploy_logs_opts *o,
		    struct bld_error **err)
{
	struct bld_runner_logs_opts lo = {.follow = o->follow, .timestamps = o->timestamps,
					  .tail = o->tail, .since = o->since,
					  .until = o->until};
	struct merge m = {.ctx = ctx, .t = t};
	int r = start_followers(&m, st, bld_is_tty(1) && !o->no_color, o->no_prefix, &lo, err);
	while (r == 0 && open_streams(&m))
		step(&m);
	end_followers(&m);
	return r;
}

/* A child that stops every running container of st (the parent keeps merging their last
 * lines meanwhile). */
static void stop_all(struct merge *m)
{
	if (m->stopping)
		return;
	m->stopping = true;
	fflush(NULL);
	m->stopper = fork();
	if (m->stopper != 0)
		return;
	signal(SIGINT, SIG_IGN);
	struct bld_deploy_ctr **v = xcalloc(m->st->n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < m->st->n; i++)
		v[k++] = &m->st->v[i];
	cleanup_error struct bld_error *e = NULL;
	int r = bld_deploy_each(m->ctx, v, k, bld_deploy_stop_one, (void *)&m->ao->timeout, &e);
	fflush(NULL);
	_exit(r < 0 ? 1 : 0);
}

static void ended(struct merge *m, struct follower *f)
{
	int code = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_container_wait(m->ctx, f->c->id, &code, &e) < 0)
		code = -1;
	const char *name = bld_deploy_short_name(m->t->name, f->c->name);
	if (f->status_color[0])
		printf("\033[%sm%s exited with code %d\033[0m\n", f->status_color, name, code);
	else
		printf("%s exited with code %d\n", name, code);
	fflush(stdout);
	const char *from = m->ao->exit_from;
	bool first = !m->stopping;
	if ((from && strcmp(from, f->c->service) == 0) || (!from && first))
		m->code = code;
	if (m->ao->abort_on_exit && !m->stopping && !interrupted) {
		printf("Aborting on container exit...\n");
		stop_all(m);
	}
}

static bool listed(char *const *v, const char *s)
{
	for (size_t i = 0; v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* The containers of st whose logs the attached up follows: those of o->attach. The
 * entries are borrowed from st (free only .v). */
static void attached(const struct bld_deploy_state *st, const struct bld_deploy_attach_opts *o,
		     struct bld_deploy_state *out)
{
	*out = (struct bld_deploy_state){.v = xcalloc(st->n + 1, sizeof(*out->v))};
	for (size_t i = 0; i < st->n; i++)
		if (!o->attach || listed(o->attach, st->v[i].service))
			out->v[out->n++] = st->v[i];
}

int bld_deploy_attach(struct bld_ctx *ctx, const struct bld_deploy_target *t,
		      const struct bld_deploy_state *st, const struct bld_deploy_attach_opts *o,
		      int *code, struct bld_error **err)
{
	struct bld_runner_logs_opts lo = {.follow = true, .timestamps = o->timestamps,
					  .tail = -1};
	struct merge m = {.ctx = ctx, .t = t, .ended = ended, .ao = o, .st = st, .stopper = -1};
	struct sigaction sa = {.sa_handler = on_int}, old;
	sigaction(SIGINT, &sa, &old);
	sigaction(SIGTERM, &sa, NULL);
	interrupted = 0;
	struct bld_deploy_state shown;
	attached(st, o, &shown);
	struct bld_buf names = BLD_BUF_INIT;
	for (size_t i = 0; i < shown.n; i++)
		bld_buf_printf(&names, "%s%s", i ? ", " : "",
			       bld_deploy_short_name(t->name, shown.v[i].name));
	printf("Attaching to %s\n", bld_buf_str(&names));
	fflush(stdout);
	bld_buf_dispose(&names);
	int r = start_followers(&m, &shown, bld_is_tty(1) && !o->no_color, false, &lo, err);
	while (r == 0 && open_streams(&m)) {
		if (interrupted && !m.stopping) {
			fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
			stop_all(&m);
		}
		step(&m);
	}
	if (m.stopper > 0)
		waitpid(m.stopper, NULL, 0);
	end_followers(&m);
	free(shown.v);
	sigaction(SIGINT, &old, NULL);
	*code = interrupted ? 130 : (o->abort_on_exit || o->exit_from) ? m.code : 0;
	return r;
}
