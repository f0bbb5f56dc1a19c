/*
 * runner/exec.c — `bld exec`: a new process in a running container's namespaces and cgroups,
 * with the container's security settings, its environment plus -e, its user and working
 * directory unless -u/-w say otherwise. The exec'd process is a child of the calling bld,
 * which relays a pty for -t and waits for it unless -d.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static volatile sig_atomic_t winch;
static void on_winch(int sig) { winch = sig; }

/* Copies our terminal's window size to the pty (at start and on SIGWINCH). */
static void copy_size(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Gives the pty the size of a record read from fd (an API client's resize); false once fd
 * ends. */
static bool take_size(int master, int fd)
{
	struct winsize ws;
	if (read(fd, &ws, sizeof(ws)) != (ssize_t)sizeof(ws))
		return false;
	ioctl(master, TIOCSWINSZ, &ws);
	return true;
}

static void relay(int master, pid_t child, bool in, int size_fd)
{
	char buf[16384];
	bool in_open = in;
	int size_open = size_fd > 0 ? size_fd : -1;
	struct sigaction sa = {.sa_handler = on_winch};
	sigaction(SIGWINCH, &sa, NULL);
	for (;;) {
		if (winch) {
			winch = 0;
			copy_size(master);
		}
		struct pollfd p[3] = {{.fd = master, .events = POLLIN},
				      {.fd = in_open ? 0 : -1, .events = POLLIN},
				      {.fd = size_open, .events = POLLIN}};
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents && !take_size(master, size_open))
			size_open = -1;
		if (p[0].revents) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0)
				break; /* EIO: every slave closed */
			if (write(1, buf, (size_t)n) < 0)
				break;
		}
		if (p[1].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else if (write(master, buf, (size_t)n) < 0)
				break;
		}
	}
	(void)child;
}

static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void exec_env(struct bld_runner_spec_holder *h, char **extra)
{
	char **env = NULL;
	for (size_t j = 0; h->env && h->env[j]; j++) {
		size_t k = strcspn(h->env[j], "=");
		bool replaced = false;
		for (size_t i = 0; extra && extra[i]; i++)
			if (strncmp(h->env[j], extra[i], k) == 0 &&
			    (extra[i][k] == '=' || extra[i][k] == 0))
				replaced = true;
		if (!replaced)
			bld_strv_push(&env, h->env[j]);
	}
	for (size_t i = 0; extra && extra[i]; i++)
		bld_strv_push(&env, extra[i]);
	bld_strv_free(h->env);
	h->env = env ? env : xcalloc(1, sizeof(char *));
	h->s.env = h->env;
}

int bld_runner_container_exec(struct bld_ctx *ctx, const char *id,
			      const struct bld_runner_exec_opts *o, int *exit_code,
			      struct bld_error **err)
{
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load_live(ctx, id, &cfg, &st, err) < 0)
		return -1;
	pid_t target = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	bool running = json_is_true(json_object_get(st, "Running"));
	if (!running || target <= 0)
		return bld_error_set(err, BLD_E_INVALID, "container %s is not running", id);
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	struct bld_runner_spec_holder h;
	bld_runner_spec_from_config(&h, cfg, dir);
	bld_strv_free(h.argv);
	h.argv = bld_strv_dup(o->argv);
	h.s.argv = h.argv;
	exec_env(&h, o->env);
	if (o->user)
		h.s.user = o->user;
	if (o->workdir)
		h.s.cwd = o->workdir;
	h.s.tty = o->tty;
	h.s.init = false;
	h.s.privileged = h.s.privileged || o->privileged;
	int master = -1, slave = -1;
	if (o->tty && openpty(&master, &slave, NULL, NULL, NULL) < 0) {
		bld_runner_spec_holder_dispose(&h);
		return bld_error_sys(err, errno, "openpty");
	}
	if (o->tty)
		copy_size(master);
	h.s.stdin_fd = o->tty ? slave : (o->interactive ? 0 : -1);
	h.s.stdout_fd = o->tty ? slave : (o->detach ? -1 : 1);
	h.s.stderr_fd = o->tty ? slave : (o->detach ? -1 : 2);
	pid_t child = -1;
	char exec_id[65];
	bld_runner_exec_id(exec_id);
	bld_runner_event_exec(ctx, cfg, "exec_create", h.argv, exec_id, 0);
	bld_runner_event_exec(ctx, cfg, "exec_start", h.argv, exec_id, 0);
	int r = bld_runner_sandbox_exec(&child, target, &h.s, err);
	bld_runner_spec_holder_dispose(&h);
	if (slave >= 0)
		close(slave);
	if (r < 0) {
		if (master >= 0)
			close(master);
		return r;
	}
	*exit_code = 0;
	if (o->detach)
		return 0;
	if (o->tty)
		relay(master, child, o->interactive, o->winsize_fd);
	if (master >= 0)
		close(master);
	*exit_code = wait_child(child);
	bld_runner_event_exec(ctx, cfg, "exec_die", NULL, exec_id, *exit_code);
	return 0;
}
