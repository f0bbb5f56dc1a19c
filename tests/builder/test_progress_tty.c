/*
 * tests/builder/test_progress_tty.c — frames of the tty progress view: header counts and
 * FINISHED, CACHED/ERROR tags, times right-aligned at the terminal width, status lines,
 * the tail of a running step's output (only while it runs), cutting to the width without
 * splitting a UTF-8 character, and control characters made harmless.
 */
#include <criterion/criterion.h>

#include "builder/builder_int.h"

/* The n-th line (0-based) of a frame, copied. */
static char *line_of(const char *frame, int n)
{
	const char *p = frame;
	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	cr_assert(p, "frame has no line %d:\n%s", n, frame);
	return xstrndup(p, strcspn(p, "\n"));
}

static int count_lines(const char *frame)
{
	int n = 0;
	for (const char *p = frame; (p = strchr(p, '\n')); p++)
		n++;
	return n;
}

Test(builder_progress_tty, header_vertices_and_times)
{
	struct bld_builder_ptty *t = bld_builder_ptty_new(-1, 0);
	bld_builder_ptty_vertex(t, 1, "[1/3] FROM docker.io/library/busybox:latest");
	bld_builder_ptty_end(t, 1, BLD_PTTY_DONE);
	bld_builder_ptty_vertex(t, 2, "[2/3] RUN echo hi");
	bld_builder_ptty_end(t, 2, BLD_PTTY_CACHED);
	bld_builder_ptty_vertex(t, 3, "[3/3] RUN make");
	char *f = bld_builder_ptty_render(t, bld_mono_ns() + 1500000000LL, 60, false);
	cr_assert_eq(count_lines(f), 4, "%s", f);
	cleanup_free char *h = line_of(f, 0), *l1 = line_of(f, 1), *l2 = line_of(f, 2),
			  *l3 = line_of(f, 3);
	cr_assert(bld_str_has_prefix(h, "[+] Building 1."), "%s", h);
	cr_assert(strstr(h, "s (2/3)") && !strstr(h, "FINISHED"), "%s", h);
	cr_assert(bld_str_has_prefix(l1, " => [1/3] FROM docker.io/library/busybox:latest "), "%s", l1);
	cr_assert(bld_str_has_prefix(l2, " => CACHED [2/3] RUN echo hi "), "%s", l2);
	cr_assert(bld_str_has_prefix(l3, " => [3/3] RUN make "), "%s", l3);
	for (int i = 1; i <= 3; i++) {
		cleanup_free char *l = line_of(f, i);
		cr_assert_eq(strlen(l), 60, "line %d not at the width: '%s'", i, l);
		cr_assert_eq(l[59], 's', "%s", l);
	}
	cr_assert(strstr(l2, " 0.0s"), "a cached step takes no time: %s", l2);
	cr_assert(strstr(l3, " 1.5s") || strstr(l3, " 1.6s"), "running time ticks: %s", l3);
	free(f);
	bld_builder_ptty_end(t, 3, BLD_PTTY_DONE);
	f = bld_builder_ptty_render(t, bld_mono_ns(), 60, true);
	cleanup_free char *h2 = line_of(f, 0);
	cr_assert(strstr(h2, "(3/3) FINISHED"), "%s", h2);
	free(f);
	bld_builder_ptty_free(t);
}

Test(builder_progress_tty, output_tail_only_while_running)
{
	struct bld_builder_ptty *t = bld_builder_ptty_new(-1, 0);
	bld_builder_ptty_vertex(t, 1, "[1/1] RUN for i in ...");
	bld_builder_ptty_line(t, 1, "resolve something");
	bld_builder_ptty_line(t, 1, "naming to docker.io/library/x:latest done");
	char buf[64];
	for (int i = 1; i <= 9; i++) {
		snprintf(buf, sizeof(buf), "0.%03d line %d", i, i);
		bld_builder_ptty_line(t, 1, buf);
	}
	char *f = bld_builder_ptty_render(t, bld_mono_ns(), 80, false);
	cr_assert(strstr(f, "\n => => resolve something\n"), "%s", f);
	cr_assert(strstr(f, "\n => => naming to docker.io/library/x:latest\n"), "no done: %s", f);
	cr_assert(!strstr(f, "# line 3\n"), "only the last six lines: %s", f);
	cr_assert(strstr(f, " => => # line 4\n") && strstr(f, " => => # line 9\n"), "%s", f);
	cr_assert(!strstr(f, "0.009"), "the seconds are not shown in the view: %s", f);
	cr_assert_eq(count_lines(f), 1 + 1 + 2 + 6, "%s", f);
	free(f);
	bld_builder_ptty_end(t, 1, BLD_PTTY_ERROR);
	f = bld_builder_ptty_render(t, bld_mono_ns(), 80, true);
	cr_assert(strstr(f, " => ERROR [1/1] RUN for i in ..."), "%s", f);
	cr_assert(!strstr(f, "# line"), "a finished step's output is gone: %s", f);
	cr_assert(!strstr(f, "FINISHED"), "a failed build is not FINISHED: %s", f);
	free(f);
	bld_builder_ptty_free(t);
}

Test(builder_progress_tty, cut_to_width_and_cleaned)
{
	struct bld_builder_ptty *t = bld_builder_ptty_new(-1, 0);
	bld_builder_ptty_vertex(t, 1,
				"[1/1] RUN echo \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 and a long tail of words");
	bld_builder_ptty_line(t, 1, "0.100 evil\x1b[2Jescape\rreturn");
	char *f = bld_builder_ptty_render(t, bld_mono_ns(), 30, false);
	cr_assert(!strchr(f, '\x1b') && !strchr(f, '\r'), "control characters pass: %s", f);
	cleanup_free char *l1 = line_of(f, 1);
	cr_assert(bld_str_has_prefix(l1, " => [1/1] RUN echo \xc3\xa9"), "%s", l1);
	for (const char *p = l1; *p; p++) /* no lone lead byte before the padding */
		if ((unsigned char)*p == 0xc3)
			cr_assert_eq((unsigned char)p[1] & 0xC0, 0x80, "%s", l1);
	cr_assert(bld_str_has_prefix(strrchr(l1, ' '), " 0."), "the time stays: %s", l1);
	free(f);
	bld_builder_ptty_free(t);
}
