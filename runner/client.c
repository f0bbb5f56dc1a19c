/*
 * runner/client.c — what the bld command line does to containers: start one (forking its
 * monitor), wait for it, stop, kill, remove, list and inspect them, by reading their state
 * files and talking to their monitors over <dir>/monitor.sock (both through state.c).
 *
 * A running container whose monitor does not answer is reported as dead ("monitor died");
 * removing it kills what is left in its cgroups.
 */
#include "runner/runner_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

/* Reads "exited N" (or anything) from a monitor reply; -1 when it closed without a word. */
static int read_exit(int s)
{
	char buf[64] = {0};
	size_t len = 0;
	while (len < sizeof(buf) - 1) {
		ssize_t n = recv(s, buf + len, sizeof(buf) - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	int code;
	return sscanf(buf, "exited %d", &code) == 1 ? code : -1;
}

/* Waits up to ms for a process to go (the monitor finishing its last writes). */
static void wait_gone(pid_t pid, int ms)
{
	if (pid <= 0)
		return;
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return;
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	poll(&p, 1, ms);
	close(pfd);
}

static pid_t monitor_pid(struct bld_ctx *ctx, const char *id)
{
	cleanup_json json_t *st = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_container_load(ctx, id, NULL, &st, &e) < 0)
		return 0;
	return (pid_t)json_integer_value(json_object_get(st, "MonitorPid"));
}

/* The monitor of the container's last run, when it is still taking that run down (its
 * interfaces, leases, endpoints: a new run would collide with them, "create veth: File
 * exists"): waited for, up to 5 s. A pid taken over by another program is not waited for. */
static void wait_last_monitor(struct bld_ctx *ctx, const char *id)
{
	pid_t old = monitor_pid(ctx, id);
	if (old <= 0 || old == getpid())
		return;
	char path[64], exe[PATH_MAX], self[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)old);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	ssize_t m = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || m <= 0 || n != m || memcmp(exe, self, (size_t)n) != 0)
		return;
	wait_gone(old, 5000);
}

/* ------------------------------------------------------------------ start */

static pid_t attached_monitor;
/* --sig-proxy (docker's default: on) of the container started last */
static bool proxy_signals = true;

static void forward_signal(int sig)
{
	if (attached_monitor > 0)
		kill(attached_monitor, sig);
}

/* What the monitor is told of its attachment on its command line: "o" (out), "i" (in), "1"
 * and "2" (that stream dropped), "I" or "D" for our log level info or debug, "-" for
 * nothing. */
static void attach_flags(char out[8], const struct bld_runner_attach *a)
{
	size_t n = 0;
	if (a->out)
		out[n++] = 'o';
	if (a->in)
		out[n++] = 'i';
	if (a->drop_stdout)
		out[n++] = '1';
	if (a->drop_stderr)
		out[n++] = '2';
	if (bld_log_get_level() >= BLD_LOG_INFO)
		out[n++] = bld_log_get_level() == BLD_LOG_DEBUG ? 'D' : 'I';
	if (n == 0)
		out[n++] = '-';
	out[n] = 0;
}

int bld_runner_monitor_exec(int argc, char **argv)
{
	/* bld __monitor ID FLAGS DETACH-KEYS, from spawn_monitor: fd 3 is the report pipe */
	if (argc != 5 || fcntl(3, F_GETFD) < 0)
		return 125;
	const char *f = argv[3];
	struct bld_runner_attach at = {.out = strchr(f, 'o'), .in = strchr(f, 'i'),
				       .drop_stdout = strchr(f, '1'), .drop_stderr = strchr(f, '2'),
				       .detach_keys = argv[4][0] ? argv[4] : NULL};
	if (strchr(f, 'I') || strchr(f, 'D'))
		bld_log_set_level(strchr(f, 'D') ? BLD_LOG_DEBUG : BLD_LOG_INFO);
	struct bld_ctx ctx;
	cleanup_error struct bld_error *e = NULL;
	if (bld_ctx_init(&ctx, &e) < 0)
		return 125;
	fcntl(3, F_SETFD, FD_CLOEXEC);
	bld_runner_monitor_main(&ctx, argv[2], 3, &at);
}

/* Starts the container's monitor: this bld again (bld_runner_monitor_exec), a session of its
 * own, with the attached streams (or /dev/null) and the report pipe. Spawned rather than
 * forked, so that a threaded caller (the Engine API service) can start one: one way for both.
 * The starting bld does not wait for it (the kernel reaps it, see the caller) and exits
 * soon; the monitor is then init's. */
static int spawn_monitor(const char *id, const struct bld_runner_attach *a, int report,
			 struct bld_error **err)
{
	static const int caller[3] = {0, 1, 2};
	const int *io = a->stdio ? a->stdio : caller;
	int fds[4] = {a->in ? io[0] : -1, a->out && !a->drop_stdout ? io[1] : -1,
		      a->out && !a->drop_stderr ? io[2] : -1, report};
	char flags[8];
	attach_flags(flags, a);
	const char *args[] = {"__monitor", id, flags, a->detach_keys ? a->detach_keys : "", NULL};
	pid_t pid;
	return bld_runner_selfexe_spawn(&pid, args, fds, 4, true, err);
}

static int read_start_report(int fd, pid_t *monitor, struct bld_error **err)
{
	struct bld_runner_child_msg m;
	ssize_t n;
	while ((n = read(fd, &m, sizeof(m))) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(m))
		return bld_error_set(err, BLD_E_INTERNAL, "container monitor died while starting");
	m.msg[sizeof(m.msg) - 1] = 0;
	if (m.kind == 2) {
		*monitor = (pid_t)m.status;
		return 0;
	}
	int r = bld_error_set(err, m.code ? (enum bld_error_code)m.code : BLD_E_SYSTEM, "%s",
			      m.msg);
	(*err)->status = m.status;
	(*err)->sys_errno = m.errnum;
	return r;
}

int bld_runner_container_start(struct bld_ctx *ctx, const char *id,
			       const struct bld_runner_attach *attach, int *report_fd,
			       struct bld_error **err)
{
	*report_fd = -1;
	if (bld_runner_client_wait_fd_alive(ctx, id))
		return 0; /* already running: docker start does nothing */
	wait_last_monitor(ctx, id);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe");
	/* monitors exit on their own: no zombie of one while this bld still runs */
	struct sigaction sa = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
	sigaction(SIGCHLD, &sa, NULL);
	int r = spawn_monitor(id, attach, p[1], err);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return -1;
	}
	pid_t mon = 0;
	if (read_start_report(p[0], &mon, err) < 0) {
		close(p[0]);
		return -1;
	}
	attached_monitor = mon;
	proxy_signals = !attach->no_sig_proxy;
	if (attach->out)
		*report_fd = p[0];
	else
		close(p[0]);
	return 0;
}

/* The monitor closes its end of the report once nothing is left for the starter to wait
 * for: at once, or with --rm once the container is torn down and removed (docker run --rm
 * returns then). Nothing more is written: readable means closed. Up to 30 s. */
static void wait_closed(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, 30000) < 0 && errno == EINTR)
		;
}

int bld_runner_container_attach_wait(struct bld_ctx *ctx, const char *id, int report_fd,
				     int *exit_code, struct bld_error **err)
{
	/* sig-proxy: what reaches us goes to the container (through its monitor) */
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
	/* without it they end us as they would any program, and the container runs on */
	if (proxy_signals) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	sigaction(SIGWINCH, &sa, NULL);
	forward_signal(SIGWINCH);
	struct bld_runner_child_msg m;
	ssize_t n;
	while ((n = read(report_fd, &m, sizeof(m))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(m) && m.kind != 4)
		wait_closed(report_fd);
	close(report_fd);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	if (n != (ssize_t)sizeof(m))
		return bld_error_set(err, BLD_E_INTERNAL, "container monitor died");
	m.msg[sizeof(m.msg) - 1] = 0;
	if (m.kind == 0) {
		int r = bld_error_set(err, (enum bld_error_code)m.code, "%s", m.msg);
		(*err)->status = m.status;
		return r;
	}
	/* kind 4: detached with the detach keys, the container runs on (docker run: 0) */
	*exit_code = m.kind == 4 ? 0 : m.status;
	return 0;
}

int bld_runner_detach_keys(const char *spec, char out[16], struct bld_error **err)
{
	size_t n = 0;
	cleanup_free char *copy = xstrdup(spec);
	char *save = NULL;
	memset(out, 0, 16);
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		char c = 0;
		const char *ctl = strncasecmp(k, "ctrl-", 5) == 0 ? k + 5 : NULL;
		const char *sym = ctl && strlen(ctl) == 1 ? strchr("[\\]^_", ctl[0]) : NULL;
		if (strlen(k) == 1)
			c = k[0];
		else if (ctl && strlen(ctl) == 1 && isalpha((unsigned char)ctl[0]))
			c = (char)(tolower((unsigned char)ctl[0]) - 'a' + 1);
		else if (sym)
			c = (char)(27 + (sym - "[\\]^_"));
		if (!c || n == 15)
			return bld_error_set(err, BLD_E_INVALID, "Invalid detach keys (%s) provided",
					     spec);
		out[n++] = c;
	}
	if (n == 0)
		return bld_error_set(err, BLD_E_INVALID, "Invalid detach keys (%s) provided", spec);
	return 0;
}

/* ------------------------------------------------------------------ stop, kill, wait */

int bld_runner_container_stop(struct bld_ctx *ctx, const char *id, int timeout,
			      struct bld_error **err)
{
	cleanup_json json_t *cfg = NULL;
	if (bld_runner_container_load(ctx, id, &cfg, NULL, err) < 0)
		return -1;
	int sig = SIGTERM;
	/* --stop-signal (or the image's STOPSIGNAL, which create copies there), and for older
	 * containers the image's alone */
	json_t *c = json_object_get(cfg, "Config");
	const char *ss = bld_json_get_str(c, "StopSignal");
	if (!ss || !*ss)
		ss = bld_json_get_str(cfg, "ImageStopSignal");
	if (ss && *ss)
		sig = bld_runner_signal_parse(ss);
	json_t *st = json_object_get(c, "StopTimeout");
	if (timeout < 0)
		timeout = json_is_integer(st) ? (int)json_integer_value(st) : 10;
	char line[64];
	snprintf(line, sizeof(line), "stop %d %d\n", timeout, sig > 0 ? sig : SIGTERM);
	pid_t mon = monitor_pid(ctx, id);
	int s = bld_runner_client_send(ctx, id, line);
	if (s >= 0) { /* else not running */
		read_exit(s);
		close(s);
		wait_gone(mon, 2000);
		bld_runner_event(ctx, cfg, "stop", NULL);
	}
	return 0;
}

int bld_runner_container_kill(struct bld_ctx *ctx, const char *id, int sig,
			      struct bld_error **err)
{
	char line[32];
	snprintf(line, sizeof(line), "kill %d\n", sig);
	int s = bld_runner_client_send(ctx, id, line);
	if (s < 0)
		return bld_error_set(err, BLD_E_INVALID, "Cannot kill container: %s: container %s is not running",
				     id, id);
	char buf[16];
	if (recv(s, buf, sizeof(buf), 0) < 0)
		bld_debug("kill: %s", strerror(errno));
	close(s);
	return 0;
}

int bld_runner_container_resize(struct bld_ctx *ctx, const char *id, unsigned rows,
				unsigned cols, struct bld_error **err)
{
	char line[48];
	snprintf(line, sizeof(line), "resize %u %u\n", rows, cols);
	cleanup_close int s = bld_runner_client_send(ctx, id, line);
	if (s < 0)
		return bld_error_refuse(err, BLD_E_EXISTS, "Container %s is not running", id);
	char buf[16];
	if (bld_runner_client_readline(s, buf, sizeof(buf)) < 0)
		bld_debug("resize: the monitor did not answer");
	return 0;
}

/* The monitor's answer on s to "pause", "hold" or "unpause", with docker's refusals. */
static int freezer_reply(int s, const char *id, bool pause, struct bld_error **err)
{
	char buf[128] = "";
	size_t len = 0;
	ssize_t n = 0;
	while (s >= 0 && len < sizeof(buf) - 1 && !memchr(buf, '\n', len) &&
	       ((n = recv(s, buf + len, sizeof(buf) - 1 - len, 0)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	buf[strcspn(buf, "\n")] = 0;
	if (strcmp(buf, "ok") == 0)
		return 0;
	if (s < 0 || strcmp(buf, "error not running") == 0)
		return bld_error_refuse(err, BLD_E_INVALID, "Container %s is not running", id);
	if (strcmp(buf, "error already paused") == 0 || strcmp(buf, "error not paused") == 0)
		return bld_error_refuse(err, BLD_E_INVALID, "Container %s is %s", id,
					buf + strlen("error "));
	return bld_error_set(err, BLD_E_SYSTEM, "Cannot %s container %s: %s",
			     pause ? "pause" : "unpause", id,
			     *buf ? buf + strlen("error ") : "the monitor did not answer");
}

/* "pause"/"unpause" through the monitor. */
static int freezer_command(struct bld_ctx *ctx, const char *id, bool pause,
			   struct bld_error **err)
{
	cleanup_close int s = bld_runner_client_send(ctx, id, pause ? "pause\n" : "unpause\n");
	return freezer_reply(s, id, pause, err);
}

int bld_runner_container_pause_hold(struct bld_ctx *ctx, const char *id, int *hold,
				    struct bld_error **err)
{
	int s = bld_runner_client_send(ctx, id, "hold\n");
	*hold = -1;
	if (freezer_reply(s, id, true, err) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	*hold = s;
	return 0;
}

int bld_runner_container_pause_release(int hold, const char *id, struct bld_error **err)
{
	cleanup_close int s = hold;
	if (send(s, "unpause\n", 8, MSG_NOSIGNAL) < 0)
		return bld_error_sys(err, errno, "unpause container %s", id);
	return freezer_reply(s, id, false, err);
}

int bld_runner_container_pause(struct bld_ctx *ctx, const char *id, struct bld_error **err)
{
	return freezer_command(ctx, id, true, err);
}

int bld_runner_container_unpause(struct bld_ctx *ctx, const char *id, struct bld_error **err)
{
	return freezer_command(ctx, id, false, err);
}

int bld_runner_container_wait(struct bld_ctx *ctx, const char *id, int *exit_code,
			      struct bld_error **err)
{
	int s = bld_runner_client_wait_fd(ctx, id);
	if (s >= 0) {
		int code = read_exit(s);
		close(s);
		if (code >= 0) {
			*exit_code = code;
			return 0;
		}
	}
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load(ctx, id, NULL, &st, err) < 0)
		return -1;
	*exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	return 0;
}

char *bld_runner_container_started_at(struct bld_ctx *ctx, const char *id)
{
	cleanup_json json_t *st = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_container_load(ctx, id, NULL, &st, &e) < 0)
		return NULL;
	const char *s = bld_json_get_str(st, "StartedAt");
	return xstrdup(s ? s : "");
}

int bld_runner_container_wait_started(struct bld_ctx *ctx, const char *id, const char *before,
				      int timeout_ms, struct bld_error **err)
{
	int64_t end = bld_mono_ms() + timeout_ms;
	for (;;) {
		cleanup_json json_t *st = NULL;
		if (bld_runner_container_load(ctx, id, NULL, &st, err) < 0)
			return -1;
		const char *now = bld_json_get_str(st, "StartedAt");
		if (now && strcmp(now, before ? before : "") != 0)
			return 0;
		if (bld_mono_ms() >= end)
			return bld_error_set(err, BLD_E_CANCELED, "container %.12s did not start", id);
		usleep(10000);
	}
}

/* ------------------------------------------------------------------ remove */

/* The removal of each --rm container whose monitor was killed after it retired the
 * container's directory (.rm-<id>) and before it gave back what the container held: its
 * cgroups, anonymous volumes, leases, endpoints and pasta, then the directory. Taken by a
 * rename to .gone-<id> first, so that two removals never finish the same one. */
static void finish_retired(struct bld_ctx *ctx, const char *top)
{
	cleanup_strv char **names = NULL;
	DIR *d = opendir(top);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (bld_runner_retired_abandoned(top, de->d_name))
			bld_strv_push(&names, de->d_name);
	if (d)
		closedir(d);
	for (size_t i = 0; names && names[i]; i++) {
		const char *id = names[i] + 4;
		cleanup_free char *from = xasprintf("%s/%s", top, names[i]);
		cleanup_free char *gone = xasprintf("%s/.gone-%s", top, id);
		cleanup_json json_t *cfg = NULL, *st = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (rename(from, gone) < 0)
			continue;
		/* without its config, the monitor had finished all but the deletion */
		if (bld_runner_json_read(gone, "config.json", &cfg, &e) < 0 ||
		    bld_runner_json_read(gone, "state.json", &st, &e) < 0) {
			bld_fs_rm_rf(gone, NULL);
			continue;
		}
		cleanup_strv char **cgs = NULL;
		size_t j;
		json_t *v;
		json_array_foreach(json_object_get(st, "Cgroups"), j, v)
			bld_strv_push(&cgs, json_string_value(v));
		bld_runner_cgroup_destroy(cgs);
		bld_runner_ep_forget(ctx, id); /* the default bridge's lease too */
		if (bld_runner_container_remove_files(ctx, id, cfg, true, &e) == 0)
			bld_fs_rm_rf(gone, NULL);
	}
}

int bld_runner_container_remove_files(struct bld_ctx *ctx, const char *id, json_t *cfg,
				      bool volumes, struct bld_error **err)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(cfg, "Mounts"), i, m) {
		const char *name = bld_json_get_str(m, "Name");
		cleanup_error struct bld_error *e = NULL;
		if (volumes && name && json_is_true(json_object_get(m, "Anonymous")))
			bld_runner_volume_remove(ctx, name, true, &e);
	}
	/* what a monitor killed mid-run left on user networks (leases, endpoint files) */
	if (bld_runner_netcfg_user_networks(cfg))
		bld_runner_ep_forget(ctx, id);
	bld_runner_rootless_stack_forget(ctx, id); /* and its pasta */
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_free char *top = bld_runner_containers_dir(ctx);
	cleanup_free char *gone = xasprintf("%s/.gone-%s", top, id);
	/* renamed first: the container disappears at once, a removal running beside this one
	 * (another rm, the children of a killed compose down) finds it gone instead of half
	 * removed under it, and a kill -9 during the removal leaves no half container */
	if (rename(dir, gone) < 0) {
		if (errno != ENOENT)
			return bld_error_sys(err, errno, "rename %s", dir);
		bld_runner_event(ctx, cfg, "destroy", NULL); /* removed by the other one */
		return 0;
	}
	int r = bld_fs_rm_rf(gone, err);
	if (r == 0)
		bld_runner_event(ctx, cfg, "destroy", NULL);
	bld_runner_sweep(top, ".gone-"); /* what removals killed half-way left */
	finish_retired(ctx, top);        /* and the --rm containers whose monitor was killed */
	return r;
}

int bld_runner_container_remove(struct bld_ctx *ctx, const char *id, bool force, bool volumes,
				struct bld_error **err)
{
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	if (bld_runner_container_load(ctx, id, &cfg, &st, err) < 0)
		return -1;
	bool alive = bld_runner_client_wait_fd_alive(ctx, id);
	if (alive && !force)
		return bld_error_set(err, BLD_E_EXISTS,
				     "cannot remove container \"%s\": container is running: stop the container before removing or force remove",
				     bld_json_get_str(cfg, "Name") + 1);
	if (alive) {
		pid_t mon = (pid_t)json_integer_value(json_object_get(st, "MonitorPid"));
		int s = bld_runner_client_send(ctx, id, "stop 0 9\n");
		if (s >= 0) {
			read_exit(s);
			close(s);
		}
		wait_gone(mon, 3000);
	}
	/* a monitor that died leaves its cgroups: kill and remove what is there */
	char **cgs = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(st, "Cgroups"), i, v)
		bld_strv_push(&cgs, json_string_value(v));
	bld_runner_cgroup_destroy(cgs);
	bld_strv_free(cgs);
	if (access(dir, F_OK) == 0)
		return bld_runner_container_remove_files(ctx, id, cfg, volumes, err);
	return 0;
}

