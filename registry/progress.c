/*
 * registry/progress.c — docker-shaped transfer output on stdout: one line per layer
 * ("a1b2c3d4e5f6: Pull complete"). On a terminal the lines stay in place and show a bar
 * with bytes done; otherwise each status change is one plain line and byte counts are not
 * printed. Quiet mode prints nothing. With the options' progress_fn, the plain lines go to it
 * instead (the Engine API makes docker's JSON messages of them).
 */
#include "registry/registry_int.h"

#include <time.h>

#define BAR_WIDTH 50

struct line {
	char id[13];
	char *text;
	int64_t last_ms; /* last byte-progress redraw */
};

struct reg_progress {
	bool tty;
	bool quiet;
	void (*fn)(const char *id, const char *status, void *payload);
	void *payload;
	struct line *lines;
	int n;
};

struct reg_progress *reg_progress_new(const struct bld_registry_opts *o)
{
	struct reg_progress *p = xcalloc(1, sizeof(*p));
	p->fn = o->progress_fn;
	p->payload = o->progress_payload;
	p->tty = o->tty && !p->fn;
	p->quiet = o->quiet && !p->fn;
	return p;
}

void reg_progress_free(struct reg_progress *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		free(p->lines[i].text);
	free(p->lines);
	fflush(stdout);
	free(p);
}

/* Rewrites line idx in place (terminal) or prints it (plain). */
static void draw(struct reg_progress *p, int idx)
{
	struct line *l = &p->lines[idx];
	if (p->fn) {
		p->fn(l->id, l->text, p->payload);
		return;
	}
	if (!p->tty) {
		printf("%s: %s\n", l->id, l->text);
		fflush(stdout);
		return;
	}
	int up = p->n - idx;
	printf("\033[%dA\r\033[2K%s: %s\033[%dB\r", up, l->id, l->text, up);
	fflush(stdout);
}

int reg_progress_add(struct reg_progress *p, const char *digest, const char *status)
{
	if (!p || p->quiet)
		return -1;
	p->lines = xrealloc(p->lines, (size_t)(p->n + 1) * sizeof(*p->lines));
	struct line *l = &p->lines[p->n];
	memset(l, 0, sizeof(*l));
	const char *hex = strchr(digest, ':') ? strchr(digest, ':') + 1 : digest;
	snprintf(l->id, sizeof(l->id), "%.12s", hex);
	l->text = xstrdup(status);
	int idx = p->n++;
	if (p->tty) {
		printf("%s: %s\n", l->id, l->text);
		fflush(stdout);
	} else {
		draw(p, idx);
	}
	return idx;
}

void reg_progress_status(struct reg_progress *p, int idx, const char *status)
{
	if (!p || p->quiet || idx < 0 || idx >= p->n)
		return;
	free(p->lines[idx].text);
	p->lines[idx].text = xstrdup(status);
	draw(p, idx);
}

void reg_progress_bytes(struct reg_progress *p, int idx, int64_t done, int64_t total,
			const char *verb)
{
	if (!p || p->quiet || !p->tty || idx < 0 || idx >= p->n)
		return;
	int64_t t = bld_mono_ms();
	if (t - p->lines[idx].last_ms < 100 && done != total)
		return;
	p->lines[idx].last_ms = t;
	char bar[BAR_WIDTH + 1];
	int fill = total > 0 ? (int)(done * BAR_WIDTH / total) : 0;
	fill = fill > BAR_WIDTH ? BAR_WIDTH : fill;
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
	bar[BAR_WIDTH] = '\0';
	char a[32], b[32];
	bld_format_size(a, sizeof(a), (double)done);
	bld_format_size(b, sizeof(b), (double)total);
	free(p->lines[idx].text);
	p->lines[idx].text = xasprintf("%s [%s] %s/%s", verb, bar, a, b);
	draw(p, idx);
}

void reg_progress_line(struct reg_progress *p, const char *fmt, ...)
{
	if (p && p->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (p && p->fn) {
		cleanup_free char *line = xvasprintf(fmt, ap);
		va_end(ap);
		p->fn(NULL, line, p->payload);
		return;
	}
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}
