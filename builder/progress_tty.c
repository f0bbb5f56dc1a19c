/*
 * builder/progress_tty.c — the build's progress as BuildKit's tty view: a header
 * "[+] Building 3.2s (5/9)", one line per vertex " => [2/4] RUN make        1.2s" with
 * CACHED or ERROR before the name, status lines " => => resolve ..." and the tail of a
 * running step's output " => => # ...", redrawn in place (cursor up, erase line) by a
 * thread about ten times a second, and a final redraw ("FINISHED" on success). After a
 * failure the failing step's last output lines follow in a block, as BuildKit prints them.
 *
 * Events only change the state under the lock; a frame is bld_builder_ptty_render()'s, which is
 * pure (state, clock and width in; text out) so that tests can check it, and draw() puts it
 * on the terminal. What the plain format prints is progress.c's; this file never decides
 * which of the two is used.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <sys/ioctl.h>

#define TAIL_SHOWN 6  /* output lines shown under a running step */
#define TAIL_KEPT 10  /* output lines kept for the error block */
#define STATUS_KEPT 4 /* status lines kept per vertex */
#define LINE_MAX_BYTES 512
#define VERTICES_MAX 100000

enum vstate { V_RUNNING, V_DONE, V_CACHED, V_ERROR, V_CANCELED };

struct vtx {
	char *name;
	enum vstate st;
	int64_t start, end;
	char *status[STATUS_KEPT];
	size_t nstatus;
	char *tail[TAIL_KEPT];
	size_t ntail;
};

struct bld_builder_ptty {
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_t thread;
	bool has_thread, stop;
	int interval_ms;
	int64_t t0;
	struct vtx *v; /* by vertex number - 1 */
	size_t nv;
	size_t drawn; /* lines of the last frame, to move back over */
	int error_v;  /* the first vertex that failed, 0 when none */
	bool color;   /* SGR colors, as BuildKit's view has them (not with NO_COLOR) */
};

/* A printable copy of s, at most max bytes, never cutting a UTF-8 sequence. */
static char *clean_line(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	char *c = xstrndup(s, n);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

/* Display columns of a UTF-8 string (each code point one column). */
static size_t cols(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* The byte length of the longest prefix of s that fits in w columns. */
static size_t fit(const char *s, size_t w)
{
	size_t c = 0, i = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && c++ == w)
			break;
	}
	return i;
}

static void push_line(char **v, size_t *n, size_t cap, const char *s)
{
	if (*n == cap) {
		free(v[0]);
		memmove(v, v + 1, (cap - 1) * sizeof(char *));
		(*n)--;
	}
	v[(*n)++] = clean_line(s, LINE_MAX_BYTES);
}

static struct vtx *vtx_get(struct bld_builder_ptty *t, int v)
{
	if (v < 1 || (size_t)v > VERTICES_MAX)
		return NULL;
	if ((size_t)v > t->nv) {
		t->v = xrealloc(t->v, (size_t)v * sizeof(*t->v));
		memset(t->v + t->nv, 0, ((size_t)v - t->nv) * sizeof(*t->v));
		t->nv = (size_t)v;
	}
	return &t->v[v - 1];
}

/* One line: left text, then the time right-aligned at the width (left cut to fit). */
static void put_timed(struct bld_buf *o, const char *left, double secs, size_t width)
{
	char right[32];
	snprintf(right, sizeof(right), "%.1fs", secs);
	size_t rw = strlen(right) + 1;
	size_t room = width > rw ? width - rw : 0;
	size_t len = fit(left, room);
	bld_buf_add(o, left, len);
	for (size_t c = cols(left) < room ? cols(left) : room; c < room; c++)
		bld_buf_addc(o, ' ');
	bld_buf_printf(o, " %s\n", right);
}

static void put_plain(struct bld_buf *o, const char *prefix, const char *text, size_t width)
{
	cleanup_free char *s = xasprintf("%s%s", prefix, text);
	bld_buf_add(o, s, fit(s, width));
	bld_buf_addc(o, '\n');
}

/* A RUN step's output arrives as "SECONDS TEXT" (run.c's plain line); the rest is status. */
static const char *log_text(const char *line)
{
	const char *p = line;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == line || *p != '.' || !(p[1] >= '0' && p[1] <= '9'))
		return NULL;
	for (p++; *p >= '0' && *p <= '9'; p++)
		;
	return *p == ' ' ? p + 1 : NULL;
}

/* Appends each line of block wrapped in an SGR color (BuildKit: blue done, red error). */
static void paint(struct bld_buf *o, const char *block, const char *color)
{
	for (const char *p = block, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		if (color)
			bld_buf_adds(o, color);
		bld_buf_add(o, p, (size_t)(nl - p));
		bld_buf_adds(o, color ? "\x1b[0m\n" : "\n");
	}
}

static void render_vertex(struct bld_buf *out, const struct vtx *x, int64_t now, size_t width,
			  bool color)
{
	static const char *const tag[] = {"", "", "CACHED ", "ERROR ", "CANCELED "};
	static const char *const sgr[] = {NULL, "\x1b[34m", "\x1b[34m", "\x1b[31m", "\x1b[31m"};
	struct bld_buf o = BLD_BUF_INIT;
	cleanup_free char *left = xasprintf(" => %s%s", tag[x->st], x->name);
	int64_t end = x->st == V_RUNNING ? now : x->end;
	put_timed(&o, left, x->st == V_CACHED ? 0.0 : (double)(end - x->start) / 1e9, width);
	for (size_t i = 0; i < x->nstatus; i++)
		put_plain(&o, " => => ", x->status[i], width);
	size_t from = x->ntail > TAIL_SHOWN ? x->ntail - TAIL_SHOWN : 0;
	for (size_t i = from; x->st == V_RUNNING && i < x->ntail; i++)
		put_plain(&o, " => => # ", log_text(x->tail[i]), width);
	paint(out, bld_buf_str(&o), color ? sgr[x->st] : NULL);
	bld_buf_dispose(&o);
}

char *bld_builder_ptty_render(struct bld_builder_ptty *t, int64_t now, size_t width, bool finished)
{
	struct bld_buf o = BLD_BUF_INIT;
	size_t done = 0, seen = 0;
	for (size_t i = 0; i < t->nv; i++) {
		if (!t->v[i].name)
			continue;
		seen++;
		done += t->v[i].st != V_RUNNING;
	}
	bld_buf_printf(&o, "[+] Building %.1fs (%zu/%zu)%s\n", (double)(now - t->t0) / 1e9, done,
		       seen, finished && !t->error_v ? " FINISHED" : "");
	for (size_t i = 0; i < t->nv; i++)
		if (t->v[i].name)
			render_vertex(&o, &t->v[i], now, width < 20 ? 20 : width, t->color);
	return bld_buf_detach(&o);
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static void term_size(int fd, size_t *w, size_t *h)
{
	struct winsize ws;
	bool ok = ioctl(fd, TIOCGWINSZ, &ws) == 0;
	*w = ok && ws.ws_col > 0 ? ws.ws_col : 80;
	*h = ok && ws.ws_row > 0 ? ws.ws_row : 25;
}

/*
 * Draws a frame over the last one (the caller holds the lock). A live frame taller than
 * the terminal keeps its header and its last lines (the cursor cannot move back above the
 * screen); the final frame is drawn whole.
 */
static void draw(struct bld_builder_ptty *t, bool finished)
{
	size_t width, height;
	term_size(t->fd, &width, &height);
	cleanup_free char *frame = bld_builder_ptty_render(t, bld_mono_ns(), width, finished);
	size_t total = 0;
	for (const char *p = frame; (p = strchr(p, '\n')); p++)
		total++;
	size_t skip = !finished && total + 1 > height ? total + 1 - height : 0;
	struct bld_buf o = BLD_BUF_INIT;
	if (t->drawn)
		bld_buf_printf(&o, "\x1b[%zuA\r", t->drawn);
	size_t lines = 0, i = 0;
	for (char *p = frame, *nl; (nl = strchr(p, '\n')); p = nl + 1, i++) {
		if (i > 0 && i <= skip)
			continue;
		bld_buf_add(&o, p, (size_t)(nl - p));
		bld_buf_adds(&o, "\x1b[K\n");
		lines++;
	}
	bld_buf_adds(&o, "\x1b[J");
	write_all(t->fd, bld_buf_str(&o), o.len);
	bld_buf_dispose(&o);
	t->drawn = lines;
}

static void *ticker(void *arg)
{
	struct bld_builder_ptty *t = arg;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		draw(t, false);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t ns = ts.tv_nsec + (int64_t)t->interval_ms * 1000000;
		ts.tv_sec += ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		pthread_cond_timedwait(&t->cv, &t->lock, &ts);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct bld_builder_ptty *bld_builder_ptty_new(int fd, int interval_ms)
{
	struct bld_builder_ptty *t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->interval_ms = interval_ms;
	t->t0 = bld_mono_ns();
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->color = interval_ms > 0 && !getenv("NO_COLOR");
	if (interval_ms > 0)
		t->has_thread = pthread_create(&t->thread, NULL, ticker, t) == 0;
	return t;
}

void bld_builder_ptty_vertex(struct bld_builder_ptty *t, int v, const char *name)
{
	pthread_mutex_lock(&t->lock);
	struct vtx *x = vtx_get(t, v);
	if (x && !x->name) {
		x->name = clean_line(name, LINE_MAX_BYTES);
		x->start = bld_mono_ns();
	}
	pthread_mutex_unlock(&t->lock);
}

void bld_builder_ptty_line(struct bld_builder_ptty *t, int v, const char *line)
{
	pthread_mutex_lock(&t->lock);
	struct vtx *x = vtx_get(t, v);
	const char *log = log_text(line);
	if (x && log)
		push_line(x->tail, &x->ntail, TAIL_KEPT, line); /* seconds kept for the error */
	else if (x) /* "naming to X done": the view drops "done", as BuildKit's does */
		push_line(x->status, &x->nstatus, STATUS_KEPT, line);
	size_t n = x && !log && x->nstatus ? strlen(x->status[x->nstatus - 1]) : 0;
	if (n > 5 && strcmp(x->status[x->nstatus - 1] + n - 5, " done") == 0)
		x->status[x->nstatus - 1][n - 5] = '\0';
	pthread_mutex_unlock(&t->lock);
}

void bld_builder_ptty_end(struct bld_builder_ptty *t, int v, enum bld_builder_ptty_end how)
{
	pthread_mutex_lock(&t->lock);
	struct vtx *x = vtx_get(t, v);
	if (x && x->name && x->st == V_RUNNING) {
		x->st = how == BLD_PTTY_CACHED ? V_CACHED : how == BLD_PTTY_ERROR ? V_ERROR : V_DONE;
		x->end = bld_mono_ns();
		if (how == BLD_PTTY_ERROR && !t->error_v)
			t->error_v = v;
	}
	pthread_mutex_unlock(&t->lock);
}

/* BuildKit's block after a failed build: the step and its last output lines. */
static void error_block(struct bld_builder_ptty *t)
{
	const struct vtx *x = &t->v[t->error_v - 1];
	struct bld_buf o = BLD_BUF_INIT;
	bld_buf_printf(&o, "------\n > %s:\n", x->name);
	for (size_t i = 0; i < x->ntail; i++)
		bld_buf_printf(&o, "#%d %s\n", t->error_v, x->tail[i]);
	bld_buf_adds(&o, "------\n");
	write_all(t->fd, bld_buf_str(&o), o.len);
	bld_buf_dispose(&o);
}

void bld_builder_ptty_free(struct bld_builder_ptty *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->lock);
	if (t->has_thread)
		pthread_join(t->thread, NULL);
	for (size_t i = 0; i < t->nv; i++) { /* exporting and the like end with the build */
		if (t->v[i].name && t->v[i].st == V_RUNNING) {
			t->v[i].st = t->error_v ? V_CANCELED : V_DONE;
			t->v[i].end = bld_mono_ns();
		}
	}
	draw(t, true);
	if (t->error_v)
		error_block(t);
	for (size_t i = 0; i < t->nv; i++) {
		free(t->v[i].name);
		for (size_t k = 0; k < t->v[i].nstatus; k++)
			free(t->v[i].status[k]);
		for (size_t k = 0; k < t->v[i].ntail; k++)
			free(t->v[i].tail[k]);
	}
	free(t->v);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
