/*
 * builder/sshfwd.c — RUN --mount=type=ssh: `bld build --ssh default|ID=SOCKET_OR_KEY[,...]`
 * forwarded into a step as BuildKit does. The step sees a socket at the mount's target
 * (default /run/buildkit/ssh_agent.N, N counting the step's ssh mounts) owned uid:gid with
 * mode (0600 root by default), and SSH_AUTH_SOCK names the first one. Behind it a relay
 * passes every connection on to the agent: the user's socket, or, for key files, a
 * private `ssh-agent` started for the step (its keys loaded with `ssh-add`) and stopped by
 * its PID afterwards. The relay is a child process, killed by its PID with the step.
 *
 * Nothing of it reaches a layer (the mount point is pruned like every mount target) or a
 * cache key (the socket path and keys never enter one). It does not parse the agent protocol.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define RELAY_CONNS 16      /* connections relayed at once */
#define AGENT_WAIT_MS 5000  /* for a started ssh-agent's socket to appear */

extern char **environ;

struct bld_builder_ssh_fwd {
	char *dir;        /* scratch directory: relay socket, private agent socket */
	char *sock;       /* the relay's socket, bound into the step */
	char *agent;      /* the agent's socket */
	pid_t agent_pid;  /* a private ssh-agent, or 0 */
	int listen_fd;
	pid_t relay_pid;  /* the relay process, or 0 */
};

/* ------------------------------------------------------------------ --ssh values */

/* The paths --ssh gives for id ("default" when the mount names none); NULL: not given. */
static char **ssh_paths(char *const *specs, const char *id, bool *given)
{
	*given = false;
	for (size_t i = 0; specs && specs[i]; i++) {
		const char *eq = strchr(specs[i], '=');
		size_t n = eq ? (size_t)(eq - specs[i]) : strlen(specs[i]);
		if (strlen(id) != n || strncmp(specs[i], id, n) != 0)
			continue;
		*given = true;
		char **v = NULL;
		if (!eq) { /* "default": the agent of bld's own environment */
			const char *s = getenv("SSH_AUTH_SOCK");
			if (s && *s)
				bld_strv_push(&v, s);
			return v;
		}
		cleanup_free char *list = xstrdup(eq + 1);
		for (char *p = list, *next; p; p = next) {
			next = strchr(p, ',');
			if (next)
				*next++ = '\0';
			if (*p)
				bld_strv_push(&v, p);
		}
		return v;
	}
	return NULL;
}

/* ------------------------------------------------------------------ a private agent */

static int spawn_wait(char *const argv[], char *const envp[], bool wait_it, pid_t *pid,
		      struct bld_error **err)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	int r = posix_spawnp(pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return bld_error_set(err, r == ENOENT ? BLD_E_NOTFOUND : BLD_E_SYSTEM,
				     "key files need ssh-agent (openssh-client): %s: %s", argv[0],
				     strerror(r));
	if (!wait_it)
		return 0;
	int st = 0;
	while (waitpid(*pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return bld_error_set(err, BLD_E_INVALID, "%s %s failed (status %d)", argv[0],
				     argv[1] ? argv[1] : "", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static void stop_agent(struct bld_builder_ssh_fwd *f)
{
	if (f->agent_pid <= 0)
		return;
	kill(f->agent_pid, SIGTERM);
	while (waitpid(f->agent_pid, NULL, 0) < 0 && errno == EINTR)
		;
	f->agent_pid = 0;
}

/* Starts `ssh-agent -D -a SOCK` (its own PID, in the foreground) and adds the keys. */
static int start_agent(struct bld_builder_ssh_fwd *f, char *const *keys, struct bld_error **err)
{
	f->agent = bld_path_join(f->dir, "agent.sock");
	char *argv[] = {"ssh-agent", "-D", "-a", f->agent, NULL};
	if (spawn_wait(argv, environ, false, &f->agent_pid, err) < 0)
		return -1;
	struct stat st;
	for (int ms = 0; stat(f->agent, &st) < 0; ms += 10) {
		if (ms >= AGENT_WAIT_MS || waitpid(f->agent_pid, NULL, WNOHANG) == f->agent_pid) {
			f->agent_pid = 0;
			return bld_error_set(err, BLD_E_SYSTEM, "ssh-agent did not start");
		}
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	cleanup_free char *env_sock = xasprintf("SSH_AUTH_SOCK=%s", f->agent);
	char *envp[] = {env_sock, "PATH=/usr/local/bin:/usr/bin:/bin", NULL};
	for (size_t i = 0; keys[i]; i++) {
		char *add[] = {"ssh-add", "-q", keys[i], NULL};
		pid_t pid;
		if (spawn_wait(add, envp, true, &pid, err) < 0)
			return bld_error_wrap(err, "load key %s", keys[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ the relay */

static int connect_unix(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Moves what is readable on from to to; false when the pair should close. */
static bool pass(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && errno == EINTR;
	for (ssize_t o = 0; o < n;) {
		ssize_t w = write(to, buf + o, (size_t)(n - o));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		o += w;
	}
	return true;
}

static void accept_one(struct bld_builder_ssh_fwd *f, int pairs[][2], size_t *n)
{
	int c = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	int a = *n < RELAY_CONNS ? connect_unix(f->agent) : -EMFILE;
	if (a < 0) {
		close(c);
		return;
	}
	pairs[*n][0] = c;
	pairs[*n][1] = a;
	(*n)++;
}

/*
 * The relay process: one poll loop over the listening socket and each (client, agent) pair.
 * It runs in a child forked from the build and makes system calls only (no allocation, no
 * locks), so that no thread of ours is ever inside libc when the sandbox clones its child.
 */
static _Noreturn void relay_main(struct bld_builder_ssh_fwd *f)
{
	int pairs[RELAY_CONNS][2];
	size_t n = 0;
	for (;;) {
		struct pollfd p[1 + 2 * RELAY_CONNS];
		p[0] = (struct pollfd){.fd = f->listen_fd, .events = POLLIN};
		for (size_t i = 0; i < n; i++) {
			p[1 + 2 * i] = (struct pollfd){.fd = pairs[i][0], .events = POLLIN};
			p[2 + 2 * i] = (struct pollfd){.fd = pairs[i][1], .events = POLLIN};
		}
		if (poll(p, 1 + 2 * n, -1) < 0 && errno != EINTR)
			_exit(1);
		for (size_t i = n; i > 0; i--) {
			size_t k = i - 1;
			bool ok = true;
			if (p[1 + 2 * k].revents)
				ok = pass(pairs[k][0], pairs[k][1]);
			if (ok && p[2 + 2 * k].revents)
				ok = pass(pairs[k][1], pairs[k][0]);
			if (ok)
				continue;
			close(pairs[k][0]);
			close(pairs[k][1]);
			memmove(pairs[k], pairs[k + 1], (n - k - 1) * sizeof(pairs[0]));
			n--;
		}
		if (p[0].revents & POLLIN)
			accept_one(f, pairs, &n);
	}
}

/* The relay's socket, owned and moded as the mount asks, and its process. */
static int start_relay(struct bld_builder_ssh_fwd *f, const struct bld_parser_mount *pm,
		       struct bld_error **err)
{
	f->sock = bld_path_join(f->dir, "ssh.sock");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(f->sock) >= sizeof(a.sun_path))
		return bld_error_set(err, BLD_E_INVALID, "ssh socket path too long: %s", f->sock);
	memcpy(a.sun_path, f->sock, strlen(f->sock) + 1);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0 || bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(f->listen_fd, 16) < 0)
		return bld_error_sys(err, errno, "ssh relay socket %s", f->sock);
	uid_t uid = pm->has_uid ? (uid_t)pm->uid : 0;
	gid_t gid = pm->has_gid ? (gid_t)pm->gid : 0;
	if (chown(f->sock, uid, gid) < 0 ||
	    chmod(f->sock, pm->has_mode ? (mode_t)pm->mode : 0600) < 0)
		return bld_error_sys(err, errno, "ssh relay socket %s", f->sock);
	pid_t pid = fork();
	if (pid < 0)
		return bld_error_sys(err, errno, "fork ssh relay");
	if (pid == 0) {
		/* keep no descriptor of the build (another step's pipe would never see EOF) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(f->listen_fd, 3) < 0)
			_exit(1);
		f->listen_fd = 3;
		close_range(4, ~0U, 0);
		relay_main(f);
	}
	f->relay_pid = pid;
	return 0;
}

/* ------------------------------------------------------------------ public */

void bld_builder_ssh_fwd_free(struct bld_builder_ssh_fwd *f)
{
	if (!f)
		return;
	if (f->relay_pid > 0) {
		kill(f->relay_pid, SIGKILL);
		while (waitpid(f->relay_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	stop_agent(f);
	if (f->dir) {
		struct bld_error *e = NULL;
		bld_fs_rm_rf(f->dir, &e);
		bld_error_free(e);
	}
	free(f->dir);
	free(f->sock);
	free(f->agent);
	free(f);
}

/* Sockets are forwarded as they are; anything else is a key for a private agent. */
static int pick_agent(struct bld_builder_ssh_fwd *f, char *const *paths, struct bld_error **err)
{
	struct stat st;
	if (paths[0] && !paths[1] && stat(paths[0], &st) == 0 && S_ISSOCK(st.st_mode)) {
		f->agent = xstrdup(paths[0]);
		return 0;
	}
	for (size_t i = 0; paths[i]; i++)
		if (stat(paths[i], &st) < 0)
			return bld_error_sys(err, errno, "--ssh %s", paths[i]);
		else if (S_ISSOCK(st.st_mode))
			return bld_error_set(err, BLD_E_INVALID,
					     "--ssh: a socket cannot be mixed with keys (%s)",
					     paths[i]);
	return start_agent(f, paths, err);
}

int bld_builder_ssh_fwd_open(struct bld_builder_ssh_fwd **out, struct bld_builder_job *b,
			     const struct bld_parser_mount *pm, struct bld_error **err)
{
	*out = NULL;
	const char *id = pm->id && *pm->id ? pm->id : "default";
	bool given = false;
	cleanup_strv char **paths = ssh_paths(b->o->ssh, id, &given);
	if (!paths || !paths[0]) {
		if (!pm->required)
			return 0; /* BuildKit: an optional ssh mount without an agent is left out */
		if (given)
			return bld_error_set(err, BLD_E_NOTFOUND,
					     "ssh %s: SSH_AUTH_SOCK is not set for --ssh %s", id,
					     id);
		return bld_error_set(err, BLD_E_NOTFOUND,
				     "no SSH key \"%s\" forwarded from the client (--ssh %s=...)",
				     id, id);
	}
	struct bld_builder_ssh_fwd *f = xcalloc(1, sizeof(*f));
	f->listen_fd = -1;
	f->dir = bld_builder_step_dir(b, err);
	int r = f->dir ? pick_agent(f, paths, err) : -1;
	if (r == 0)
		r = start_relay(f, pm, err);
	if (r < 0) {
		bld_builder_ssh_fwd_free(f);
		return bld_error_wrap(err, "ssh %s", id);
	}
	*out = f;
	return 1;
}

const char *bld_builder_ssh_fwd_socket(const struct bld_builder_ssh_fwd *f) { return f->sock; }
