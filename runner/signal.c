/*
 * runner/signal.c — signal names as docker takes them ("TERM", "SIGKILL", "9", any name the
 * kernel has), for stop, kill and --stop-signal. Calls nothing else of runner/.
 */
#include "runner/runner_int.h"

#include <signal.h>
#include <string.h>
#include <strings.h>

int bld_runner_signal_parse(const char *s)
{
	static const struct {
		const char *n;
		int sig;
	} t[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
		 {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP},
		 {"CONT", SIGCONT}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH}, {"PIPE", SIGPIPE}};
	long v;
	if (bld_parse_long(s, 1, 64, &v) == 0)
		return (int)v;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(t); i++)
		if (strcasecmp(s, t[i].n) == 0)
			return t[i].sig;
	/* the rest of the kernel's names (docker knows them all) */
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		const char *n = sigabbrev_np(sig);
		if (n && strcasecmp(s, n) == 0)
			return sig;
	}
	return -1;
}
