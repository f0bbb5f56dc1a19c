/*
 * builder/run.c — a RUN step: the command in the runner's sandbox (the same code path as
 * containers) over the stage's layers with a fresh upper directory, its output streamed as
 * progress lines (the last ones kept for the error), then the upper directory turned into a
 * layer. Mount points the sandbox had to create (/etc/hosts, /etc/resolv.conf,
 * /etc/hostname, /proc, /sys, /dev and --mount targets) are removed from the upper
 * directory when the image did not have them (stubs.c), so that the layer holds only what
 * the command wrote, as with BuildKit. A shebang heredoc's script is mounted read-only at
 * /dev/pipes; relative --mount targets are under WORKDIR; proxy build args reach the step.
 * Where no overlay can be mounted, the step runs on a copy of its layers made here and its
 * upper directory is that copy's diff (snapshot.c), the same as the overlay's.
 *
 * Step directories live under the build's scratch directory and are removed afterwards; the
 * compiled seccomp filter is kept in the store for the next step, as a container's is.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/stat.h>

#define TAIL_LINES 6

struct tail {
	char *lines[TAIL_LINES];
	size_t n;
};

static void tail_push(struct tail *t, const char *s, size_t len)
{
	if (t->n == TAIL_LINES) {
		free(t->lines[0]);
		memmove(t->lines, t->lines + 1, (TAIL_LINES - 1) * sizeof(char *));
		t->n--;
	}
	t->lines[t->n++] = xstrndup(s, len);
}

static void tail_dispose(struct tail *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
}

/* Relays the step's output line by line until the pipe closes. */
static void relay(struct bld_builder_job *b, int v, int fd, int64_t t0, struct tail *t)
{
	struct bld_buf line = BLD_BUF_INIT;
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && line.len < 4096) {
				bld_buf_addc(&line, buf[i]);
				continue;
			}
			if (buf[i] != '\n')
				continue;
			double s = (double)(bld_mono_ns() - t0) / 1e9;
			bld_builder_progress_output(b, v, s, bld_buf_str(&line));
			tail_push(t, bld_buf_str(&line), line.len);
			bld_buf_reset(&line);
		}
	}
	if (line.len) {
		double s = (double)(bld_mono_ns() - t0) / 1e9;
		bld_builder_progress_output(b, v, s, bld_buf_str(&line));
		tail_push(t, bld_buf_str(&line), line.len);
	}
	bld_buf_dispose(&line);
}

static int failed(struct bld_error **err, const struct bld_builder_run_req *rq, int code,
		  const struct tail *t)
{
	struct bld_buf cmd = BLD_BUF_INIT;
	for (size_t i = 0; rq->argv[i]; i++)
		bld_buf_printf(&cmd, "%s%s", i ? " " : "", rq->argv[i]);
	struct bld_buf last = BLD_BUF_INIT;
	for (size_t i = 0; i < t->n; i++)
		bld_buf_printf(&last, "%s%s", i ? " | " : "", t->lines[i]);
	bld_error_set(err, BLD_E_INVALID,
		      "process \"%s\" did not complete successfully: exit code: %d%s%s",
		      bld_buf_str(&cmd), code, t->n ? "; last output: " : "", bld_buf_str(&last));
	(*err)->status = code; /* docker's classic builder exits with it; callers may say 1 */
	bld_buf_dispose(&cmd);
	bld_buf_dispose(&last);
	return -1;
}

/* The --build-arg value for a proxy name in any case; of several spellings, the last in
 * byte order ("http_proxy" over "HTTP_PROXY"), as BuildKit iterates sorted keys. */
static const char *proxy_value(char *const *args, const char *name)
{
	size_t n = strlen(name);
	const char *best = NULL;
	for (size_t i = 0; args && args[i]; i++) {
		if (strncasecmp(args[i], name, n) != 0 || args[i][n] != '=')
			continue;
		if (!best || strncmp(args[i], best, n) >= 0)
			best = args[i];
	}
	return best ? best + n + 1 : NULL;
}

/*
 * The predefined proxy ARGs reach every RUN without being declared, as BuildKit's ProxyEnv:
 * a --build-arg named http_proxy, https_proxy, ftp_proxy, no_proxy or all_proxy in any case
 * gives the step both spellings (HTTP_PROXY and http_proxy) when not empty. They stay out
 * of the cache key and the history unless declared with ARG.
 */
void bld_builder_run_proxy_args(struct bld_builder_job *b, char ***env)
{
	static const char *const proxies[][2] = {{"HTTP_PROXY", "http_proxy"},
						 {"HTTPS_PROXY", "https_proxy"},
						 {"FTP_PROXY", "ftp_proxy"},
						 {"NO_PROXY", "no_proxy"},
						 {"ALL_PROXY", "all_proxy"}};
	for (size_t j = 0; j < BLD_ARRAY_SIZE(proxies); j++) {
		const char *v = proxy_value(b->build_args, proxies[j][1]);
		for (size_t k = 0; v && *v && k < 2; k++)
			bld_strv_env_set(env, proxies[j][k], v);
	}
}

static enum bld_runner_net_mode net_mode(const char *n)
{
	return strcmp(n, "none") == 0 ? BLD_RUNNER_NET_NONE : BLD_RUNNER_NET_HOST;
}

static int spawn_and_wait(struct bld_builder_job *b, struct bld_runner_spec *spec,
			  const struct bld_builder_run_req *rq, int *code, struct tail *t,
			  struct bld_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe");
	spec->stdout_fd = p[1];
	spec->stderr_fd = p[1];
	struct bld_runner_proc *proc = NULL;
	int64_t t0 = bld_mono_ns();
	int r = bld_runner_sandbox_spawn(&proc, spec, err);
	close(p[1]);
	if (r == 0)
		relay(b, rq->vertex, p[0], t0, t);
	close(p[0]);
	if (r < 0)
		return r;
	bool oom = false;
	r = bld_runner_proc_wait(proc, code, &oom, err);
	bld_runner_proc_free(proc);
	return r;
}

/*
 * A relative --mount target is under the working directory, as BuildKit joins it
 * (`--mount=target=.` binds the context at WORKDIR); the stubs to prune follow.
 */
static void resolve_targets(struct bld_builder_run_mounts *rm, const char *wd)
{
	for (size_t i = 0; i < rm->n; i++) {
		if (rm->v[i].target[0] == '/')
			continue;
		cleanup_free char *j = xasprintf("/%s/%s", wd, rm->v[i].target);
		free(rm->v[i].target);
		rm->v[i].target = bld_path_clean(j);
		if (i < bld_strv_len(rm->targets)) {
			free(rm->targets[i]);
			rm->targets[i] = xstrdup(rm->v[i].target);
		}
	}
}

/*
 * A shebang heredoc as BuildKit gives it: the body in a file of mode 0755, alone in the
 * directory pdir that is mounted read-only at /dev/pipes (so nothing of it reaches the
 * layer). *mv is the step's mounts plus that one; its strings are borrowed.
 */
static int pipes_mount(const char *pdir, const struct bld_builder_run_req *rq,
		       const struct bld_builder_run_mounts *rm, struct bld_runner_mount **mv,
		       size_t *n, struct bld_error **err)
{
	*mv = xcalloc(rm->n + 1, sizeof(**mv));
	if (rm->n)
		memcpy(*mv, rm->v, rm->n * sizeof(**mv));
	*n = rm->n;
	if (!rq->script)
		return 0;
	if (mkdir(pdir, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir %s", pdir);
	cleanup_free char *f = bld_path_join(pdir, rq->script_name);
	cleanup_close int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (fd < 0 || bld_fs_write_all(fd, rq->script, strlen(rq->script)) < 0 ||
	    fchmod(fd, 0755) < 0)
		return bld_error_sys(err, errno, "heredoc <<%s", rq->script_name);
	(*mv)[(*n)++] = (struct bld_runner_mount){.type = (char *)"bind",
						  .source = (char *)pdir,
						  .target = (char *)"/dev/pipes",
						  .readonly = true};
	return 0;
}

/* ------------------------------------------------------------------ a copied root */

/*
 * Where no overlay can be mounted (no overlayfs, rootless no fuse-overlayfs either, or
 * BLD_OVERLAY=copy) the step runs on a copy of its layers made here, in <dir>/rootfs, before
 * it starts, and its layer is what changed in that copy since, written as the overlay's upper
 * directory would hold it (snapshot.c, as --isolation=chroot's layers): the same layer.
 */
struct copied {
	char *root; /* NULL: the runner mounts an overlay */
	int fd;
	struct bld_builder_snap *snap;
};

static int copied_open(struct bld_builder_job *b, struct copied *c, const char *dir,
		       char *const *lowers, struct bld_error **err)
{
	if (bld_runner_overlay_kind(b->tmp) != BLD_RUNNER_OVERLAY_COPY)
		return 0;
	c->root = bld_path_join(dir, "rootfs");
	if (mkdir(c->root, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir %s", c->root);
	if (bld_runner_root_copy(lowers, c->root, err) < 0)
		return -1;
	c->fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->fd < 0)
		return bld_error_sys(err, errno, "open %s", c->root);
	return bld_builder_snap_take(&c->snap, c->fd, err);
}

/* The step's changes into the (new) upper directory: the copy's diff, or the overlay's own. */
static int copied_diff(struct copied *c, const char *dir, const char *upper,
		       struct bld_error **err)
{
	if (!c->root) { /* the runner fell back to a copy of its own: its changes are not here */
		cleanup_free char *own = bld_path_join(dir, "rootfs");
		if (access(own, F_OK) == 0)
			return bld_error_set(err, BLD_E_UNSUPPORTED,
					     "RUN: overlayfs could not be mounted over the step's "
					     "layers, so its changes cannot be read");
		return 0;
	}
	bool any = false;
	if (mkdir(upper, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir %s", upper);
	if (bld_builder_snap_diff(c->snap, c->fd, upper, &any, err) < 0)
		return bld_error_wrap(err, "commit layer");
	return 0;
}

static void copied_close(struct copied *c)
{
	bld_builder_snap_free(c->snap);
	if (c->fd >= 0)
		close(c->fd);
	free(c->root);
}

int bld_builder_run_spawn(struct bld_builder_job *b, struct bld_runner_spec *spec,
			  const struct bld_builder_run_req *rq, struct bld_error **err)
{
	int code = 0;
	struct tail t = {{0}, 0};
	/* the compiled seccomp filter kept where containers keep theirs ($BLD_ROOT/runner):
	 * compiling the default profile with libseccomp costs each step more than the rest of
	 * its start */
	cleanup_free char *cdir = bld_path_join(bld_cache_store_root(b->store), "runner");
	if (!spec->cache_dir)
		spec->cache_dir = cdir;
	int r = spawn_and_wait(b, spec, rq, &code, &t, err);
	if (r == 0 && code != 0)
		r = failed(err, rq, code, &t);
	tail_dispose(&t);
	return r;
}

int bld_builder_run_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			 const struct bld_builder_run_req *rq, struct bld_cache_layer *layer,
			 bool *layer_made, struct bld_error **err)
{
	cleanup_free char *dir = bld_builder_step_dir(b, err);
	if (!dir)
		return -1;
	cleanup_strv char **lowers = bld_builder_step_lowers(b, st);
	const char *wd = bld_builder_img_get_str(st->img, "WorkingDir");
	const char *user = bld_builder_img_get_str(st->img, "User");
	struct bld_builder_run_mounts rm;
	cleanup_strv char **env = bld_strv_dup(rq->env);
	bld_builder_run_proxy_args(b, &env);
	cleanup_free char *pdir = bld_path_join(dir, "pipes");
	cleanup_free struct bld_runner_mount *mv = NULL;
	size_t nmv = 0;
	if (bld_builder_run_mounts_prepare(b, st, rq, &rm, &env, err) < 0) {
		bld_builder_run_mounts_dispose(&rm);
		return -1;
	}
	resolve_targets(&rm, wd && *wd ? wd : "/");
	if (pipes_mount(pdir, rq, &rm, &mv, &nmv, err) < 0) {
		bld_builder_run_mounts_dispose(&rm);
		return -1;
	}
	struct bld_runner_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.lowers = lowers;
	spec.state_dir = dir;
	spec.argv = rq->argv;
	spec.env = env;
	spec.mounts = mv;
	spec.n_mounts = nmv;
	spec.cwd = wd && *wd ? wd : "/";
	/* root needs no passwd entry (images without /etc/passwd still run as 0:0) */
	spec.user = user && *user ? user : "0:0";
	spec.stdin_fd = -1;
	spec.hostname = "buildkitsandbox"; /* what BuildKit's RUN steps see */
	spec.build_step = true;             /* BuildKit's env and /etc/hosts */
	spec.extra_hosts = b->extra_hosts;  /* --add-host, after BuildKit's own lines */
	spec.shm_size = b->o->shm_size;
	spec.net = net_mode(rq->network);
	/* docker's device rules, as BuildKit's steps have them (steps of one process run at once) */
	static atomic_uint steps;
	cleanup_free char *cgroup = xasprintf(BLD_RUNNER_STEP_CGROUP "%d-%u", (int)getpid(),
					      atomic_fetch_add(&steps, 1));
	spec.cgroup_name = cgroup;
	struct copied cp = {NULL, -1, NULL};
	int r = copied_open(b, &cp, dir, lowers, err);
	spec.rootfs = cp.root;
	if (r == 0)
		r = bld_builder_run_spawn(b, &spec, rq, err);
	cleanup_free char *upper = bld_path_join(dir, "upper");
	if (r == 0)
		r = copied_diff(&cp, dir, upper, err);
	if (r == 0) {
		if (bld_rootless()) /* where fuse-overlayfs may have made it */
			bld_runner_overlay_tidy(upper, st->lowers);
		bld_builder_stubs_prune(upper, st->lowers, rm.targets);
		r = bld_builder_step_commit(b, st, upper, layer, layer_made, err);
	}
	bld_builder_run_mounts_dispose(&rm);
	copied_close(&cp);
	struct bld_error *e = NULL;
	bld_runner_sandbox_cleanup(dir, &e);
	bld_error_free(e);
	bld_fs_rm_rf(dir, &e);
	bld_error_free(e);
	return r;
}
