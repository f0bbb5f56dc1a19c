/*
 * builder/progress.c — the build's progress in BuildKit's plain format: a numbered vertex
 * per step ("#3 [2/4] RUN make"), its output lines with the seconds since it started, and
 * "#3 CACHED", "#3 DONE 0.4s" or "#3 ERROR: ...". Lines of parallel stages interleave but
 * never mix within a line (one lock). With -q nothing is printed.
 *
 * It also picks the printer (--progress): the same calls feed progress_tty.c's live view
 * when stderr is a terminal (auto) or tty is asked for; then no plain line is printed.
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
	if (b->out) {
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
	if (!b->out)
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

void bld_builder_progress_cached(struct bld_builder_job *b, int v)
{
	if (b->tty)
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
