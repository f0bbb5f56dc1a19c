/*
 * builder/progress.c — the build's progress in BuildKit's plain format: a numbered vertex
 * per step ("#3 [2/4] RUN make"), its output lines with the seconds since it started, and
 * "#3 CACHED", "#3 DONE 0.4s" or "#3 ERROR: ...". Lines of parallel stages interleave but
 * never mix within a line (one lock). With -q nothing is printed.
 */
#include "builder/builder_int.h"

#include <time.h>

int64_t bld_progress_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int bld_progress_vertex(struct bld_build *b, const char *fmt, ...)
{
	pthread_mutex_lock(&b->lock);
	int v = ++b->next_vertex;
	if (b->out) {
		va_list ap;
		va_start(ap, fmt);
		char *msg = xvasprintf(fmt, ap);
		va_end(ap);
		fprintf(b->out, "\n#%d %s\n", v, msg);
		fflush(b->out);
		free(msg);
	}
	pthread_mutex_unlock(&b->lock);
	return v;
}

void bld_progress_line(struct bld_build *b, int v, const char *fmt, ...)
{
	if (!b->out)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&b->lock);
	fprintf(b->out, "#%d %s\n", v, msg);
	fflush(b->out);
	pthread_mutex_unlock(&b->lock);
	free(msg);
}

void bld_progress_cached(struct bld_build *b, int v) { bld_progress_line(b, v, "CACHED"); }

void bld_progress_done(struct bld_build *b, int v, int64_t start_ns)
{
	double s = (double)(bld_progress_now() - start_ns) / 1e9;
	bld_progress_line(b, v, "DONE %.1fs", s);
}

void bld_progress_error(struct bld_build *b, int v, const char *msg)
{
	bld_progress_line(b, v, "ERROR: %s", msg);
}
