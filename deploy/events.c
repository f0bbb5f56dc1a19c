/*
 * deploy/events.c — the progress of the runtime, as compose v2 shows it on stderr. Plain
 * (not a terminal, or --progress plain): one line an event, " Container p-web-1  Started".
 * On a terminal (or --progress tty): compose's display, redrawn in place at each event and,
 * as compose v2's, on a timer while a step works (its spinner turns, its time advances): a
 * title "[+] Running 2/3" (steps done of steps), then a line a step (container, network,
 * volume, image) with a spinner while it works, a check mark when done, its status and
 * its time on the right. The steps live in memory shared with the child processes that
 * parallel.c forks, so that the jobs running side by side draw one display; the timer is a
 * thread of the process that made the display, which allocates nothing (a child that
 * process clones meanwhile must find malloc's locks free).
 */
#include "deploy/deploy_int.h"

#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROWS_MAX 256
#define WHAT_MAX 160
#define STATUS_MAX 32
#define LINE_MAX_BYTES (WHAT_MAX + STATUS_MAX + 512) /* a row with its escapes and padding */
#define TICK_MS 100                                  /* compose v2's refresh rate */

enum row_state { ROW_WORKING, ROW_DONE, ROW_ERROR };

struct row {
	char what[WHAT_MAX];
	char status[STATUS_MAX];
	int64_t start_ms, end_ms;
	enum row_state state;
};

struct display {
	pthread_mutex_t lock; /* process-shared */
	int n, drawn;         /* rows, lines on screen to move up over */
	struct row rows[ROWS_MAX];
};

static struct display *shown;

static void start_timer(struct display *d);

/* The statuses that end a step (compose's Done events). */
static bool done(const char *status)
{
	static const char *const v[] = {"Created",  "Started", "Running", "Healthy",
					"Exited",   "Stopped", "Removed", "Recreated",
					"Built",    "Pulled",  "Restarted", "Killed",
					"Paused",   "Unpaused", "Pushed"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(v); i++)
		if (strcmp(status, v[i]) == 0)
			return true;
	return false;
}

void bld_deploy_progress_share(struct bld_ctx *ctx)
{
	if (shown || !ctx->tty || ctx->quiet)
		return;
	void *m = mmap(NULL, sizeof(*shown), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (m == MAP_FAILED)
		return;
	shown = m;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&shown->lock, &a);
	pthread_mutexattr_destroy(&a);
	start_timer(shown);
}

void bld_deploy_progress_end(struct bld_ctx *ctx)
{
	if (!shown)
		return;
	pthread_mutex_lock(&shown->lock);
	shown->n = shown->drawn = 0;
	pthread_mutex_unlock(&shown->lock);
}

static int columns(void)
{
	struct winsize ws;
	return ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
}

/* Appends to the fixed screen buffer, truncating at its end (nothing is allocated). */
struct screen {
	char buf[(ROWS_MAX + 1) * LINE_MAX_BYTES];
	size_t len;
};

static void put(struct screen *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct screen *sc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(sc->buf + sc->len, sizeof(sc->buf) - sc->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sc->len += (size_t)n < sizeof(sc->buf) - sc->len ? (size_t)n
								 : sizeof(sc->buf) - sc->len - 1;
}

/* One step's line: mark, what padded to pad, status, time right-aligned in width. */
static void draw_row(struct screen *sc, const struct row *r, int pad, int width, int64_t now)
{
	static const char *const spin[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
	const char *mark = r->state == ROW_DONE	   ? "\033[32m✔\033[0m"
			   : r->state == ROW_ERROR ? "\033[31m✘\033[0m"
						   : spin[(now / 100) % 10];
	const char *colour = r->state == ROW_ERROR ? "\033[31m" : "\033[34m";
	int64_t ms = (r->state == ROW_WORKING ? now : r->end_ms) - r->start_ms;
	char timer[32];
	snprintf(timer, sizeof(timer), "%lld.%llds", (long long)(ms / 1000),
		 (long long)(ms % 1000 / 100));
	int len = 3 + pad + 2 + (int)strlen(r->status);
	int gap = width - 1 - len - (int)strlen(timer);
	put(sc, "\033[2K %s %-*s  %s%s\033[0m%*s\033[34m%s\033[0m\n", mark, pad, r->what, colour,
	    r->status, gap > 1 ? gap : 1, "", timer);
}

/* The whole display again, over the one drawn before; under the lock. */
static void redraw(struct display *d)
{
	static struct screen sc; /* under the lock */
	int64_t now = bld_mono_ms();
	int pad = 0, ok = 0, width = columns();
	for (int i = 0; i < d->n; i++) {
		int w = (int)strlen(d->rows[i].what);
		pad = w > pad ? w : pad;
		ok += d->rows[i].state == ROW_DONE;
	}
	sc.len = 0;
	if (d->drawn)
		put(&sc, "\033[%dA", d->drawn);
	put(&sc, "\r\033[2K[+] Running %d/%d\n", ok, d->n);
	for (int i = 0; i < d->n; i++)
		draw_row(&sc, &d->rows[i], pad, width, now);
	d->drawn = d->n + 1;
	bld_fs_write_all(2, sc.buf, sc.len);
}

/* The timer: the display redrawn while a step works and it is on the screen. */
static void *tick(void *payload)
{
	struct display *d = payload;
	for (;;) {
		struct timespec ts = {0, TICK_MS * 1000000L};
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&d->lock);
		bool working = false;
		for (int i = 0; i < d->n && !working; i++)
			working = d->rows[i].state == ROW_WORKING;
		if (working && d->drawn)
			redraw(d);
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

/* Started once, by the process that made the display; signals stay the main thread's. */
static void start_timer(struct display *d)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	if (pthread_create(&t, NULL, tick, d) == 0)
		pthread_detach(t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The step what set to status, then the display redrawn. */
static void update(struct display *d, const char *what, const char *status)
{
	int i = 0;
	while (i < d->n && strcmp(d->rows[i].what, what) != 0)
		i++;
	if (i == d->n && d->n == ROWS_MAX)
		return;
	struct row *r = &d->rows[i];
	if (i == d->n) {
		memset(r, 0, sizeof(*r));
		snprintf(r->what, sizeof(r->what), "%s", what);
		r->start_ms = bld_mono_ms();
		d->n++;
	}
	snprintf(r->status, sizeof(r->status), "%s", status);
	r->state = done(status) ? ROW_DONE : strcmp(status, "Error") == 0 ? ROW_ERROR
									  : ROW_WORKING;
	if (r->state != ROW_WORKING) {
		r->end_ms = bld_mono_ms();
	} else if (r->end_ms) { /* a new step of a line done before */
		r->start_ms = bld_mono_ms();
		r->end_ms = 0;
	}
	redraw(d);
}

void bld_deploy_event(struct bld_ctx *ctx, const char *what, const char *status)
{
	if (ctx->quiet)
		return;
	if (!ctx->tty) {
		fprintf(stderr, " %s  %s\n", what, status);
		return;
	}
	bld_deploy_progress_share(ctx);
	if (!shown) {
		fprintf(stderr, " %s  %s\n", what, status);
		return;
	}
	pthread_mutex_lock(&shown->lock);
	update(shown, what, status);
	pthread_mutex_unlock(&shown->lock);
}
