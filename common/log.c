/*
 * common/log.c — the log sink: lines to stderr, filtered by one verbosity level. This and
 * the level are the only mutable globals the program keeps (STYLE.md rule 15). And the
 * test stop point: a process that stops itself, once, where a test asks it to.
 */
#include "common/common.h"

#include <signal.h>

static enum bld_log_level log_level = BLD_LOG_WARN;

void bld_log_set_level(enum bld_log_level level) { log_level = level; }

enum bld_log_level bld_log_get_level(void) { return log_level; }

void bld_log(enum bld_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if (level > log_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "bld: %s: %s\n", names[level], msg);
	free(msg);
}

bool bld_is_tty(int fd)
{
	const char *term = getenv("TERM");
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd) == 1;
}

void bld_test_point(const char *name)
{
	const char *want = getenv("BLD_TEST_STOP_AT");
	if (want && strcmp(want, name) == 0) {
		unsetenv("BLD_TEST_STOP_AT"); /* once: a point passed again runs on */
		raise(SIGSTOP);
	}
}
