/*
 * runner/health.c — health checks as docker's daemon runs them (daemon/health.go), run by
 * the container's monitor instead: the check's config (the image's HEALTHCHECK merged with
 * --health-*), and the probes. A probe is the check's command run in the container's
 * namespaces and cgroups as `bld exec` runs one (Test ["CMD", ...] as is, ["CMD-SHELL", s]
 * through /bin/sh -c), with stdout and stderr together in one pipe; its exit code decides:
 * 0 healthy, anything else a failure, a probe past its timeout is killed and fails with -1.
 *
 * Schedule and states are docker's: the first probe one interval after the start (the start
 * interval, when one is set, while the start period lasts and no probe succeeded yet),
 * "starting" until the first success, failures inside the start period not counted,
 * "unhealthy" after `retries` failures in a row, the last five results kept in
 * State.Health.Log with their output (at most 4096 bytes, then "..."), a "health_status: S"
 * event at every change of status. Everything happens on the monitor's poll loop: no thread,
 * and a container without a check has no health state at all (no timer, no descriptor).
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define NS_PER_MS 1000000LL
#define DEFAULT_INTERVAL_NS (30 * 1000 * NS_PER_MS)
#define DEFAULT_TIMEOUT_NS (30 * 1000 * NS_PER_MS)
#define DEFAULT_RETRIES 3
#define MAX_OUTPUT 4096 /* docker's maxOutputLen */
#define MAX_LOG 5       /* docker's maxLogEntries */

struct bld_runner_health_mon {
	struct bld_ctx *ctx;
	json_t *cfg;   /* the container's config.json (borrowed from the monitor) */
	json_t *state; /* its state.json object (borrowed) */
	char *dir;
	int64_t interval, timeout, start_period, start_interval; /* ns */
	int retries;
	int64_t started;  /* monotonic ms of the container's start */
	int64_t next_at;  /* monotonic ms of the next probe; 0: none scheduled */
	pid_t probe;      /* running probe, or 0 */
	int out_fd;       /* its output, or -1 */
	int64_t deadline; /* monotonic ms when the probe times out */
	struct timespec probe_start;
	char out[MAX_OUTPUT];
	size_t out_len;
	bool truncated, timed_out;
	bool active; /* between _start and _stop: probes are scheduled */
	char exec_id[65]; /* the probe's, for docker's exec events */
};

/* ------------------------------------------------------------------ config */

static json_int_t dur_of(const json_t *hc, const char *key)
{
	return json_integer_value(json_object_get(hc, key));
}

int bld_runner_health_config(json_t **out, const json_t *image_hc,
			     const struct bld_runner_health *h, struct bld_error **err)
{
	static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
	int64_t mine[] = {h->interval, h->timeout, h->start_period, h->start_interval};
	/* the daemon's checks of what the user asked for (daemon/container.go) */
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++)
		if (mine[i] != 0 && mine[i] < NS_PER_MS)
			return bld_error_set(err, BLD_E_INVALID,
					     "%s in Healthcheck cannot be less than 1ms", keys[i]);
	if (h->retries < 0)
		return bld_error_set(err, BLD_E_INVALID, "Retries in Healthcheck cannot be negative");
	bool mine_set = h->test || h->retries;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++)
		mine_set |= mine[i] != 0;
	if (!mine_set && !image_hc) {
		*out = NULL;
		return 0;
	}
	/* docker's merge: what the user left out comes from the image; in docker's field order */
	json_t *o = json_object(), *test = json_array();
	if (h->test)
		for (size_t i = 0; h->test[i]; i++)
			json_array_append_new(test, json_string(h->test[i]));
	else if (json_object_get(image_hc, "Test"))
		json_array_extend(test, json_object_get(image_hc, "Test"));
	json_object_set_new(o, "Test", test);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++) {
		json_int_t v = mine[i] ? mine[i] : dur_of(image_hc, keys[i]);
		if (v)
			json_object_set_new(o, keys[i], json_integer(v));
	}
	json_int_t r = h->retries ? h->retries : dur_of(image_hc, "Retries");
	if (r)
		json_object_set_new(o, "Retries", json_integer(r));
	*out = o;
	return 0;
}

/* The probe's argv from Test; NULL when there is no check (none, NONE, empty). */
static char **probe_argv(const json_t *hc)
{
	const json_t *test = json_object_get(hc, "Test");
	const char *kind = json_string_value(json_array_get(test, 0));
	if (!kind || json_array_size(test) < 2)
		return NULL;
	char **v = NULL;
	if (strcmp(kind, "CMD-SHELL") == 0) {
		bld_strv_push(&v, "/bin/sh");
		bld_strv_push(&v, "-c");
		bld_strv_push(&v, json_string_value(json_array_get(test, 1)));
	} else if (strcmp(kind, "CMD") == 0) {
		for (size_t i = 1; i < json_array_size(test); i++)
			bld_strv_push(&v, json_string_value(json_array_get(test, i)));
	}
	return v;
}

/* ------------------------------------------------------------------ the monitor's side */

struct bld_runner_health_mon *bld_runner_health_new(struct bld_ctx *ctx, json_t *cfg,
						     json_t *state, const char *dir)
{
	const json_t *hc = json_object_get(json_object_get(cfg, "Config"), "Healthcheck");
	cleanup_strv char **argv = probe_argv(hc);
	if (!argv)
		return NULL;
	struct bld_runner_health_mon *h = xcalloc(1, sizeof(*h));
	h->ctx = ctx;
	h->cfg = cfg;
	h->state = state;
	h->dir = xstrdup(dir);
	h->out_fd = -1;
	h->interval = dur_of(hc, "Interval") ? dur_of(hc, "Interval") : DEFAULT_INTERVAL_NS;
	h->timeout = dur_of(hc, "Timeout") ? dur_of(hc, "Timeout") : DEFAULT_TIMEOUT_NS;
	h->start_period = dur_of(hc, "StartPeriod");
	h->start_interval = dur_of(hc, "StartInterval");
	h->retries = dur_of(hc, "Retries") > 0 ? (int)dur_of(hc, "Retries") : DEFAULT_RETRIES;
	return h;
}

static json_t *health_obj(struct bld_runner_health_mon *h)
{
	return json_object_get(h->state, "Health");
}

static const char *status_of(struct bld_runner_health_mon *h)
{
	const char *s = bld_json_get_str(health_obj(h), "Status");
	return s ? s : "starting";
}

/* docker's getInterval: the start interval while starting inside the start period. */
static int64_t next_interval_ms(struct bld_runner_health_mon *h)
{
	bool in_start = bld_mono_ms() - h->started < h->start_period / NS_PER_MS;
	if (in_start && h->start_interval && strcmp(status_of(h), "starting") == 0)
		return h->start_interval / NS_PER_MS;
	return h->interval / NS_PER_MS;
}

void bld_runner_health_start(struct bld_runner_health_mon *h)
{
	if (!h)
		return;
	h->active = true;
	h->started = bld_mono_ms();
	json_object_set_new(h->state, "Health", json_pack("{s:s, s:i, s:[]}", "Status", "starting",
							  "FailingStreak", 0, "Log"));
	h->next_at = h->started + next_interval_ms(h);
}

/* Time of day as docker writes a probe's Start and End. */
static json_t *time_json(const struct timespec *ts)
{
	char s[40];
	bld_runner_time_str(s, ts);
	return json_string(s);
}

/* docker's handleProbeResult: the log, the streak, the status and its event. */
static void record(struct bld_runner_health_mon *h, int exit_code, const char *output)
{
	json_t *hs = health_obj(h), *log = json_object_get(hs, "Log");
	struct timespec end;
	clock_gettime(CLOCK_REALTIME, &end);
	json_array_append_new(log, json_pack("{s:o, s:o, s:i, s:s}", "Start",
					     time_json(&h->probe_start), "End", time_json(&end),
					     "ExitCode", exit_code, "Output", output));
	while (json_array_size(log) > MAX_LOG)
		json_array_remove(log, 0);
	cleanup_free char *old = xstrdup(status_of(h));
	int streak = (int)json_integer_value(json_object_get(hs, "FailingStreak"));
	int64_t since_start = (h->probe_start.tv_sec * 1000 + h->probe_start.tv_nsec / NS_PER_MS) -
			      (int64_t)(bld_runner_time_parse(bld_json_get_str(h->state,
									      "StartedAt")) * 1000);
	if (exit_code == 0) {
		streak = 0;
		json_object_set_new(hs, "Status", json_string("healthy"));
	} else if (strcmp(old, "starting") != 0 || since_start >= h->start_period / NS_PER_MS) {
		if (++streak >= h->retries)
			json_object_set_new(hs, "Status", json_string("unhealthy"));
	}
	json_object_set_new(hs, "FailingStreak", json_integer(streak));
	if (strcmp(old, status_of(h)) != 0) {
		cleanup_free char *action = xasprintf("health_status: %s", status_of(h));
		bld_runner_event(h->ctx, h->cfg, action, NULL);
	}
}

/* The check's process in the container (pid 1 is target), its output into a pipe. */
static int spawn_probe(struct bld_runner_health_mon *h, pid_t target, struct bld_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe");
	struct bld_runner_spec_holder sh;
	bld_runner_spec_from_config(&sh, h->cfg, h->dir);
	bld_strv_free(sh.argv);
	sh.argv = probe_argv(json_object_get(json_object_get(h->cfg, "Config"), "Healthcheck"));
	sh.s.argv = sh.argv;
	sh.s.tty = false;
	sh.s.init = false;
	sh.s.stdin_fd = -1;
	sh.s.stdout_fd = sh.s.stderr_fd = p[1];
	bld_runner_exec_id(h->exec_id);
	bld_runner_event_exec(h->ctx, h->cfg, "exec_create", sh.argv, h->exec_id, 0);
	bld_runner_event_exec(h->ctx, h->cfg, "exec_start", sh.argv, h->exec_id, 0);
	int r = bld_runner_sandbox_exec(&h->probe, target, &sh.s, err);
	bld_runner_spec_holder_dispose(&sh);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		h->probe = 0;
		return r;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	h->out_fd = p[0];
	return 0;
}

static void start_probe(struct bld_runner_health_mon *h, pid_t target)
{
	clock_gettime(CLOCK_REALTIME, &h->probe_start);
	h->out_len = 0;
	h->truncated = h->timed_out = false;
	cleanup_error struct bld_error *e = NULL;
	if (spawn_probe(h, target, &e) < 0) {
		/* docker records a probe that could not start as a failure with its error */
		record(h, -1, e->msg);
		h->next_at = bld_mono_ms() + next_interval_ms(h);
		return;
	}
	h->deadline = bld_mono_ms() + h->timeout / NS_PER_MS;
	h->next_at = 0;
}

static void read_output(struct bld_runner_health_mon *h)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(h->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(h->out_fd);
				h->out_fd = -1;
			}
			return;
		}
		size_t room = MAX_OUTPUT - h->out_len, take = (size_t)n < room ? (size_t)n : room;
		memcpy(h->out + h->out_len, buf, take);
		h->out_len += take;
		h->truncated |= take < (size_t)n;
	}
}

/* Go's Duration.String() for whole milliseconds: "1s", "1.5s", "500ms", "1m30s". */
static void go_duration(char *out, size_t n, int64_t ns)
{
	int64_t ms = ns / NS_PER_MS;
	if (ms < 1000) {
		snprintf(out, n, "%lldms", (long long)ms);
		return;
	}
	char sec[32];
	int64_t s = ms / 1000, frac = ms % 1000;
	if (frac) {
		snprintf(sec, sizeof(sec), "%lld.%03lld", (long long)(s % 60), (long long)frac);
		sec[strlen(sec) - (frac % 100 ? (frac % 10 ? 0 : 1) : 2)] = 0;
	} else {
		snprintf(sec, sizeof(sec), "%lld", (long long)(s % 60));
	}
	if (s >= 3600)
		snprintf(out, n, "%lldh%lldm%ss", (long long)(s / 3600), (long long)(s % 3600 / 60), sec);
	else if (s >= 60)
		snprintf(out, n, "%lldm%ss", (long long)(s / 60), sec);
	else
		snprintf(out, n, "%ss", sec);
}

bool bld_runner_health_reaped(struct bld_runner_health_mon *h, pid_t pid, int wstatus)
{
	if (!h || !h->probe || pid != h->probe)
		return false;
	h->probe = 0;
	if (h->out_fd >= 0)
		read_output(h);
	if (h->out_fd >= 0)
		close(h->out_fd);
	h->out_fd = -1;
	int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	bld_runner_event_exec(h->ctx, h->cfg, "exec_die", NULL, h->exec_id, code);
	if (!h->timed_out) {
		cleanup_free char *o = xasprintf("%.*s%s", (int)h->out_len, h->out,
						 h->truncated ? "..." : "");
		record(h, code, o);
	}
	if (h->active)
		h->next_at = bld_mono_ms() + next_interval_ms(h);
	return true;
}

int bld_runner_health_pollfd(struct bld_runner_health_mon *h)
{
	return h ? h->out_fd : -1;
}

void bld_runner_health_readable(struct bld_runner_health_mon *h)
{
	if (h && h->out_fd >= 0)
		read_output(h);
}

int bld_runner_health_timeout(struct bld_runner_health_mon *h)
{
	if (!h)
		return -1;
	int64_t at = h->probe && !h->timed_out ? h->deadline : h->next_at;
	if (!at)
		return -1;
	int64_t left = at - bld_mono_ms();
	return left < 0 ? 0 : (left > 3600000 ? 3600000 : (int)left);
}

bool bld_runner_health_due(struct bld_runner_health_mon *h, pid_t target)
{
	if (!h)
		return false;
	int64_t now = bld_mono_ms();
	if (h->probe && !h->timed_out && now >= h->deadline) {
		/* docker: the probe is killed, the result is a failure with exit code -1 */
		char d[64];
		go_duration(d, sizeof(d), h->timeout);
		cleanup_free char *o = xasprintf("Health check exceeded timeout (%s)", d);
		h->timed_out = true;
		kill(h->probe, SIGKILL);
		record(h, -1, o);
		return true;
	}
	if (h->active && !h->probe && h->next_at && now >= h->next_at) {
		start_probe(h, target);
		return true;
	}
	return false;
}

void bld_runner_health_stop(struct bld_runner_health_mon *h)
{
	if (!h)
		return;
	if (h->probe)
		kill(h->probe, SIGKILL); /* reaped by the monitor's loop like any child */
	if (h->out_fd >= 0)
		close(h->out_fd);
	h->out_fd = -1;
	h->next_at = 0;
	h->active = false;
	h->timed_out = true; /* a result still to come is not recorded */
}

void bld_runner_health_resume(struct bld_runner_health_mon *h)
{
	if (!h || h->active)
		return;
	h->active = true;
	h->next_at = bld_mono_ms() + next_interval_ms(h);
}

void bld_runner_health_free(struct bld_runner_health_mon *h)
{
	if (!h)
		return;
	bld_runner_health_stop(h);
	free(h->dir);
	free(h);
}
