/*
 * builder/progress.c — the build's progress in BuildKit's plain format: a numbered vertex
 * per step ("#3 [2/4] RUN make"), its output lines with the seconds since it started, and
 * "#3 CACHED", "#3 DONE 0.4s" or "#3 ERROR: ...". Lines of parallel stages interleave but
 * never mix within a line (one lock). With -q nothing is printed.
 *
 * It also picks the printer (--progress): the same calls feed progress_tty.c's live view
 * when stderr is a terminal (auto) or tty is asked for; then no plain line is printed. The
 * Engine API's POST /build asks for "classic": docker's legacy builder lines ("Step N/M :
 * INSTRUCTION", the step's output, " ---> Using cache", " ---> ID"), which docker's CLI
 * and its users read with BuildKit off.
 */
#include "builder/builder_int.h"

#include <time.h>

/* auto: the live view on a terminal that can draw it, as BuildKit decides. */
static bool want_tty(const char *mode, int fd)
{
	if (mode && strcmp(mode, "tty") == 0)
		return true;
	if (mode && *mode && strcmp(mode, "auto") != 0)
		return false;
	const char *term = getenv("TERM");
	return isatty(fd) && !(term && strcmp(term, "dumb") == 0);
}

void bld_builder_progress_start(struct bld_builder_job *b)
{
	/* also when quiet: the records of metadata steps are written all the same */
	b->classic = b->o->progress && strcmp(b->o->progress, "classic") == 0;
	if (b->out && want_tty(b->o->progress, fileno(b->out))) {
		fflush(b->out);
		b->tty = bld_builder_ptty_new(fileno(b->out), 100);
	}
}

void bld_builder_progress_finish(struct bld_builder_job *b, bool ok)
{
	bld_builder_ptty_free(b->tty);
	b->tty = NULL;
}

int bld_builder_progress_vertex(struct bld_builder_job *b, const char *fmt, ...)
{
	pthread_mutex_lock(&b->lock);
	int v = ++b->next_vertex;
	if (b->out && !b->classic) {
		va_list ap;
		va_start(ap, fmt);
		char *msg = xvasprintf(fmt, ap);
		va_end(ap);
		if (b->tty) {
			bld_builder_ptty_vertex(b->tty, v, msg);
		} else {
			fprintf(b->out, "\n#%d %s\n", v, msg);
			fflush(b->out);
		}
		free(msg);
	}
	pthread_mutex_unlock(&b->lock);
	return v;
}

void bld_builder_progress_line(struct bld_builder_job *b, int v, const char *fmt, ...)
{
	if (!b->out || b->classic)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (b->tty) {
		bld_builder_ptty_line(b->tty, v, msg);
		free(msg);
		return;
	}
	pthread_mutex_lock(&b->lock);
	fprintf(b->out, "#%d %s\n", v, msg);
	fflush(b->out);
	pthread_mutex_unlock(&b->lock);
	free(msg);
}

/* A classic line as it is, under the lock. */
static void classic_print(struct bld_builder_job *b, const char *fmt, ...)
{
	if (!b->classic || !b->out)
		return;
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&b->lock);
	vfprintf(b->out, fmt, ap);
	fflush(b->out);
	pthread_mutex_unlock(&b->lock);
	va_end(ap);
}

void bld_builder_progress_output(struct bld_builder_job *b, int v, double s, const char *text)
{
	if (b->classic)
		classic_print(b, "%s\n", text);
	else
		bld_builder_progress_line(b, v, "%.3f %s", s, text);
}

/* The classic count: every instruction of the needed stages, FROM included. */
static int classic_total(const struct bld_builder_job *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n_stages; i++)
		if (b->stages[i].needed && !b->stages[i].ps->replaced)
			n += 1 + b->stages[i].ps->count;
	return (int)n + (b->o->labels && b->o->labels[0]); /* --label: a LABEL step at the end */
}

void bld_builder_progress_step(struct bld_builder_job *b, const char *original)
{
	if (!b->classic)
		return;
	pthread_mutex_lock(&b->lock);
	if (!b->classic_total)
		b->classic_total = classic_total(b);
	int n = ++b->classic_step;
	pthread_mutex_unlock(&b->lock);
	classic_print(b, "Step %d/%d : %s\n", n, b->classic_total, original);
}

void bld_builder_progress_step_end(struct bld_builder_job *b, const char *key)
{
	classic_print(b, " ---> %.12s\n", key);
}

void bld_builder_progress_cached(struct bld_builder_job *b, int v)
{
	if (b->classic)
		classic_print(b, " ---> Using cache\n");
	else if (b->tty)
		bld_builder_ptty_end(b->tty, v, BLD_PTTY_CACHED);
	else
		bld_builder_progress_line(b, v, "CACHED");
}

void bld_builder_progress_done(struct bld_builder_job *b, int v, int64_t start_ns)
{
	double s = (double)(bld_mono_ns() - start_ns) / 1e9;
	if (b->tty)
		bld_builder_ptty_end(b->tty, v, BLD_PTTY_DONE);
	else
		bld_builder_progress_line(b, v, "DONE %.1fs", s);
}

void bld_builder_progress_error(struct bld_builder_job *b, int v, const char *msg)
{
	if (b->tty)
		bld_builder_ptty_end(b->tty, v, BLD_PTTY_ERROR);
	else
		bld_builder_progress_line(b, v, "ERROR: %s", msg);
}
