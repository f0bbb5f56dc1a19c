/*
 * builder/runchroot.c — a RUN step under --isolation=chroot, for builds inside an
 * unprivileged container (no CAP_SYS_ADMIN, no namespaces), the way kaniko and
 * `buildah --isolation chroot` build there: the command is chrooted into the stage's root, a
 * plain directory, with bld's own capabilities, network, hostname and seccomp filter, and
 * its layer is what changed in that root since a snapshot (snapshot.c, through the
 * workspace).
 *
 * Nothing can be mounted: /proc, /sys and /dev are what the image holds, and what a step
 * cannot do without them it cannot do here. So that ordinary scripts work, the device nodes
 * a shell expects (/dev/null ...) and /etc/hosts and /etc/resolv.conf are made in the root
 * when the image lacks them, before the snapshot, and removed after the layer: they never
 * enter it; so does a #! heredoc's script, at /dev/pipes/NAME as BuildKit mounts it. RUN
 * --mount (but a secret as env= alone) and --network=none are refused in one line; the
 * README lists these limits.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static const char *const mount_kinds[] = {"bind", "cache", "tmpfs", "secret", "ssh"};

/* The first RUN --mount that needs a mount (a secret given as env= alone does not). */
static const struct bld_parser_mount *needs_mount(const struct bld_builder_run_req *rq)
{
	for (size_t i = 0; i < rq->nmounts; i++) {
		const struct bld_parser_mount *pm = &rq->mounts[i];
		if (pm->type != BLD_PARSER_MOUNT_SECRET || !pm->env || pm->target)
			return pm;
	}
	return NULL;
}

/* What a chrooted step cannot have, in one line (stage.c adds the step and its line). */
static int refuse(const struct bld_builder_run_req *rq, struct bld_error **err)
{
	const struct bld_parser_mount *pm = needs_mount(rq);
	if (pm) {
		unsigned k = (unsigned)pm->type;
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "RUN --mount=type=%s: not available with --isolation=chroot "
				     "(it needs a mount)",
				     k < BLD_ARRAY_SIZE(mount_kinds) ? mount_kinds[k] : "?");
	}
	if (strcmp(rq->network, "none") == 0)
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "RUN --network=none: not available with --isolation=chroot (it "
				     "needs a network namespace)");
	return 0;
}

/* ------------------------------------------------------------------ stubs */

struct stubs {
	int rootfd;
	char *made[16]; /* paths made, in order (directories before what is in them) */
	size_t n;
};

static void note(struct stubs *s, const char *path)
{
	if (s->n < BLD_ARRAY_SIZE(s->made))
		s->made[s->n++] = xstrdup(path);
}

/* /dev/NAME like the host's, when the root has none (CAP_MKNOD: docker's default has it). */
static void stub_dev(struct stubs *s, const char *name)
{
	cleanup_free char *host = xasprintf("/dev/%s", name);
	cleanup_free char *in = xasprintf("dev/%s", name);
	struct stat hs, st;
	if (fstatat(s->rootfd, in, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT ||
	    stat(host, &hs) < 0 || !S_ISCHR(hs.st_mode))
		return;
	if (mknodat(s->rootfd, in, S_IFCHR | 0666, hs.st_rdev) < 0) {
		bld_debug("chroot: no %s: %s", host, strerror(errno));
		return;
	}
	if (fchmodat(s->rootfd, in, 0666, 0) < 0) /* the umask's bits: the node still works */
		bld_debug("chroot: chmod %s: %s", in, strerror(errno));
	note(s, in);
}

static void stub_file(struct stubs *s, const char *path, const char *data, mode_t mode)
{
	struct stat st;
	if (fstatat(s->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return;
	cleanup_close int fd =
	    openat(s->rootfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || bld_fs_write_all(fd, data, strlen(data)) < 0 || fchmod(fd, mode) < 0) {
		bld_debug("chroot: no /%s: %s", path, strerror(errno));
		return;
	}
	note(s, path);
}

/* A #! heredoc's script where BuildKit mounts it: /dev/pipes/NAME, mode 0755. */
static void stub_script(struct stubs *s, const struct bld_builder_run_req *rq)
{
	if (!rq->script)
		return;
	if (mkdirat(s->rootfd, "dev/pipes", 0755) == 0)
		note(s, "dev/pipes");
	cleanup_free char *p = xasprintf("dev/pipes/%s", rq->script_name);
	stub_file(s, p, rq->script, 0755);
}

/* Made in root where missing; only in directories the image has (but /dev). */
static void stubs_make(struct stubs *s, const char *root, const struct bld_builder_run_req *rq)
{
	static const char *const devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
	memset(s, 0, sizeof(*s));
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0)
		return;
	struct stat st;
	if (fstatat(s->rootfd, "dev", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
	    mkdirat(s->rootfd, "dev", 0755) == 0)
		note(s, "dev");
	for (size_t i = 0; i < BLD_ARRAY_SIZE(devs); i++)
		stub_dev(s, devs[i]);
	stub_script(s, rq);
	if (fstatat(s->rootfd, "etc", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return;
	/* BuildKit's /etc/hosts; the name resolution bld itself has */
	stub_file(s, "etc/hosts",
		  "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		  0644);
	cleanup_free char *resolv = NULL;
	size_t len = 0;
	struct bld_error *e = NULL;
	if (bld_fs_read_file("/etc/resolv.conf", 1 << 16, &resolv, &len, &e) == 0)
		stub_file(s, "etc/resolv.conf", resolv, 0644);
	bld_error_free(e);
}

static void stubs_remove(struct stubs *s)
{
	for (size_t i = s->n; i > 0; i--) {
		const char *p = s->made[i - 1];
		if (unlinkat(s->rootfd, p, 0) < 0 && (errno != EISDIR ||
						      unlinkat(s->rootfd, p, AT_REMOVEDIR) < 0))
			bld_debug("chroot: remove /%s: %s", p, strerror(errno));
		free(s->made[i - 1]);
	}
	if (s->rootfd >= 0)
		close(s->rootfd);
}

/* ------------------------------------------------------------------ the step */

static void chroot_spec(struct bld_runner_spec *spec, struct bld_builder_stage *st,
			const struct bld_builder_run_req *rq, char *const *env, const char *root)
{
	const char *wd = bld_builder_img_get_str(st->img, "WorkingDir");
	const char *user = bld_builder_img_get_str(st->img, "User");
	memset(spec, 0, sizeof(*spec));
	spec->chroot = true;
	spec->rootfs = root;
	spec->argv = rq->argv;
	spec->env = env;
	spec->cwd = wd && *wd ? wd : "/";
	/* root needs no passwd entry (images without /etc/passwd still run as 0:0) */
	spec->user = user && *user ? user : "0:0";
	spec->build_step = true;
}

int bld_builder_run_chroot(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const struct bld_builder_run_req *rq, struct bld_cache_layer *layer,
			   bool *layer_made, struct bld_error **err)
{
	if (refuse(rq, err) < 0)
		return -1;
	/* secrets as env= (all the mounts refuse() lets through) */
	cleanup_strv char **all = bld_strv_dup(rq->env);
	bld_builder_run_proxy_args(b, &all);
	struct bld_builder_run_mounts rm;
	int mr = bld_builder_run_mounts_prepare(b, st, rq, &rm, &all, err);
	bld_builder_run_mounts_dispose(&rm);
	const char *root = NULL;
	if (mr < 0 || bld_builder_stage_root(b, st, &root, err) < 0)
		return -1;
	struct stubs s;
	stubs_make(&s, root, rq);
	struct bld_builder_work w;
	int r = bld_builder_work_open(b, st, &w, err);
	cleanup_close int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct bld_runner_spec spec;
	chroot_spec(&spec, st, rq, all, root);
	spec.stdin_fd = devnull;
	if (r == 0)
		r = bld_builder_run_spawn(b, &spec, rq, err);
	if (r == 0)
		r = bld_builder_work_commit(b, st, &w, layer, layer_made, err);
	stubs_remove(&s);
	bld_builder_work_dispose(&w);
	return r;
}
