/*
 * builder/ctxopen.c — opening a build context: deciding what PATH | URL | - names (docker's
 * rules), materialising it as a directory (the user's own, or a scratch directory for
 * stdin, git and URL contexts), reading the Dockerfile and the .dockerignore, and attaching
 * the persistent stat cache to a local directory.
 *
 * It does not walk or hash files (context.c) and does not clone (git.c). A scratch
 * directory it makes is always removed again by bld_builder_context_free.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

/* Reads the Dockerfile from an absolute or dirfd-relative path. */
static int read_dockerfile_at(struct bld_builder_context *c, int dirfd, const char *path,
			      const char *shown, struct bld_error **err)
{
	cleanup_close int fd = dirfd >= 0 ? bld_fs_open_in_root(dirfd, path, O_RDONLY, 0)
					  : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = dirfd >= 0 ? -fd : errno;
		if (e == ENOENT)
			return bld_error_set(err, BLD_E_NOTFOUND,
					     "failed to read dockerfile: open %s: no such file or "
					     "directory",
					     shown);
		return bld_error_sys(err, e, "failed to read dockerfile: open %s", shown);
	}
	free(c->dockerfile);
	c->dockerfile = NULL;
	int r = bld_fs_read_fd(fd, BLD_CTX_DOCKERFILE_MAX, &c->dockerfile, &c->dockerfile_len, err);
	if (r < 0)
		return bld_error_wrap(err, "failed to read dockerfile %s", shown);
	return 0;
}

static bool exists_at(int dirfd, const char *path)
{
	struct stat st;
	return fstatat(dirfd, path, &st, 0) == 0;
}

/*
 * The Dockerfile and the base its .dockerignore is looked up beside: `-f` relative to the
 * current directory for a local context, relative to the root for every other context.
 */
static int read_dockerfile(struct bld_builder_context *c, const char *given, char **dfpath,
			   struct bld_error **err)
{
	if (!given || !*given) {
		const char *name = "Dockerfile";
		if (!exists_at(c->rootfd, name) && exists_at(c->rootfd, "dockerfile"))
			name = "dockerfile";
		c->dockerfile_name = xstrdup(name);
		*dfpath = bld_path_join(c->dir, name);
		return read_dockerfile_at(c, c->rootfd, name, name, err);
	}
	c->dockerfile_name = xstrdup(given);
	if (c->kind == BLD_BUILDER_CONTEXT_DIR) {
		char *abs = given[0] == '/' ? xstrdup(given) : NULL;
		if (!abs) {
			char cwd[PATH_MAX];
			if (!getcwd(cwd, sizeof(cwd)))
				return bld_error_sys(err, errno, "getcwd");
			abs = bld_path_join(cwd, given);
		}
		*dfpath = abs;
		return read_dockerfile_at(c, -1, abs, given, err);
	}
	*dfpath = bld_path_join(c->dir, given);
	return read_dockerfile_at(c, c->rootfd, given, given, err);
}

/* A .dockerignore's text: `<Dockerfile>.dockerignore` first, then the root's. */
static int read_ignore(struct bld_builder_context *c, const char *dfpath, char **text,
		       struct bld_error **err)
{
	*text = NULL;
	if (dfpath) {
		cleanup_free char *p = xasprintf("%s.dockerignore", dfpath);
		struct bld_error *e = NULL;
		if (bld_fs_read_file(p, BLD_CTX_IGNORE_MAX, text, NULL, &e) == 0) {
			c->ignore_name = steal_pointer(&p);
			return 0;
		}
		bool missing = e->code == BLD_E_NOTFOUND;
		if (!missing) {
			bld_error_move(err, &e);
			return -1;
		}
		bld_error_free(e);
	}
	cleanup_close int fd = bld_fs_open_in_root(c->rootfd, ".dockerignore", O_RDONLY, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return bld_error_sys(err, -fd, "open .dockerignore");
	c->ignore_name = xstrdup(".dockerignore");
	return bld_fs_read_fd(fd, BLD_CTX_IGNORE_MAX, text, NULL, err);
}

static int make_scratch(struct bld_builder_context *c, struct bld_error **err)
{
	c->tmpdir = bld_fs_mkdtemp("bld-context", err);
	if (!c->tmpdir)
		return -1;
	c->dir = xstrdup(c->tmpdir);
	return 0;
}

/* An unnamed temporary file that vanishes with its descriptor. */
static int spool_file(struct bld_error **err)
{
	const char *tmp = getenv("TMPDIR");
	int fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return bld_error_sys(err, errno, "create temporary file");
	return fd;
}

static int copy_fd(int in, int out, size_t max, struct bld_error **err)
{
	char buf[65536];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bld_error_sys(err, errno, "read");
		if (n == 0)
			return 0;
		total += (size_t)n;
		if (total > max)
			return bld_error_set(err, BLD_E_INVALID, "larger than %zu bytes", max);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return bld_error_sys(err, errno, "write");
			off += w;
		}
	}
}

/*
 * What arrived on stdin or from a URL (spooled in fd): an archive (tar, possibly
 * compressed) becomes the context directory — unpacked by cache/, where libarchive lives —
 * and anything else is the Dockerfile of an empty context.
 */
static int take_spooled(struct bld_builder_context *c, int fd, bool *have_dockerfile,
			struct bld_error **err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return bld_error_sys(err, errno, "seek");
	if (bld_cache_archive_is_tar_fd(fd))
		return bld_cache_archive_extract_fd(fd, c->dir, err);
	if (bld_fs_read_fd(fd, BLD_CTX_DOCKERFILE_MAX, &c->dockerfile, &c->dockerfile_len,
			   err) < 0)
		return bld_error_wrap(err, "read dockerfile");
	c->dockerfile_name = xstrdup("Dockerfile");
	*have_dockerfile = true;
	return 0;
}

/* "-": a tar context or a Dockerfile alone on stdin, or in the upload c->in_fd. */
static int open_stdin(struct bld_builder_context *c, bool *have_dockerfile, struct bld_error **err)
{
	if (make_scratch(c, err) < 0)
		return -1;
	struct stat st;
	if (c->in_fd > 0 && fstat(c->in_fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (st.st_size > (off_t)BLD_CTX_STDIN_MAX)
			return bld_error_set(err, BLD_E_INVALID, "build context larger than %zu "
					     "bytes", (size_t)BLD_CTX_STDIN_MAX);
		return take_spooled(c, c->in_fd, have_dockerfile, err);
	}
	cleanup_close int fd = spool_file(err);
	if (fd < 0)
		return -1;
	if (copy_fd(c->in_fd, fd, BLD_CTX_STDIN_MAX, err) < 0)
		return bld_error_wrap(err, "read context from stdin");
	return take_spooled(c, fd, have_dockerfile, err);
}

/* A tarball (or a bare Dockerfile) behind an http(s) URL. */
static int open_url(struct bld_builder_context *c, bool *have_dockerfile, struct bld_error **err)
{
	if (make_scratch(c, err) < 0)
		return -1;
	cleanup_close int fd = spool_file(err);
	if (fd < 0)
		return -1;
	if (bld_registry_fetch_url(c->spec, fd, BLD_CTX_STDIN_MAX, NULL, err) < 0)
		return bld_error_wrap(err, "unable to prepare context");
	return take_spooled(c, fd, have_dockerfile, err);
}

static int open_git(struct bld_builder_context *c, struct bld_error **err)
{
	if (make_scratch(c, err) < 0)
		return -1;
	cleanup_free char *sub = NULL;
	if (bld_builder_git_checkout(c->spec, c->tmpdir, false, &sub, &c->commit, err) < 0)
		return bld_error_wrap(err, "unable to prepare context");
	if (*sub) {
		cleanup_free char *clean = bld_path_clean(sub);
		if (clean[0] == '/' || bld_str_has_prefix(clean, ".."))
			return bld_error_set(err, BLD_E_INVALID,
					     "unable to prepare context: subdirectory %s is outside "
					     "the repository",
					     sub);
		free(c->dir);
		c->dir = bld_path_join(c->tmpdir, clean);
	}
	return 0;
}

static int open_dir(struct bld_builder_context *c, struct bld_error **err)
{
	char real[PATH_MAX];
	struct stat st;
	if (!realpath(c->spec, real) || stat(real, &st) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND,
				     "unable to prepare context: path \"%s\" not found", c->spec);
	if (!S_ISDIR(st.st_mode))
		return bld_error_set(err, BLD_E_INVALID,
				     "unable to prepare context: context must be a directory: %s",
				     real);
	c->dir = xstrdup(real);
	return 0;
}

static bool is_url(const char *s)
{
	return bld_str_has_prefix(s, "http://") || bld_str_has_prefix(s, "https://");
}

static int open_root(struct bld_builder_context *c, bool *have_dockerfile, struct bld_error **err)
{
	int r;
	if (strcmp(c->spec, "-") == 0) {
		c->kind = BLD_BUILDER_CONTEXT_STDIN;
		r = open_stdin(c, have_dockerfile, err);
	} else if (bld_builder_git_is_url(c->spec)) {
		c->kind = BLD_BUILDER_CONTEXT_GIT;
		r = open_git(c, err);
	} else if (is_url(c->spec)) {
		c->kind = BLD_BUILDER_CONTEXT_URL;
		r = open_url(c, have_dockerfile, err);
	} else {
		c->kind = BLD_BUILDER_CONTEXT_DIR;
		r = open_dir(c, err);
	}
	if (r < 0)
		return r;
	c->rootfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		return bld_error_sys(err, errno, "unable to prepare context: open %s", c->dir);
	return 0;
}

/* A local directory keeps its stat cache under statcache_dir, one file per directory. */
static int attach_statcache(struct bld_builder_context *c, const char *statcache_dir,
			    struct bld_error **err)
{
	if (c->kind != BLD_BUILDER_CONTEXT_DIR || !statcache_dir)
		return bld_builder_statcache_load(&c->sc, NULL, err);
	char name[BLD_XXH_HEX_LEN + 1];
	bld_xxh_digest(c->dir, strlen(c->dir), name);
	if (bld_fs_mkdir_p(statcache_dir, 0700, err) < 0)
		return -1;
	cleanup_free char *file = bld_path_join(statcache_dir, name);
	return bld_builder_statcache_load(&c->sc, file, err);
}

static int open_all(struct bld_builder_context *c, const char *dockerfile,
		    const char *statcache_dir, struct bld_error **err)
{
	bool have_df = false;
	if (open_root(c, &have_df, err) < 0)
		return -1;
	bool df_stdin = dockerfile && strcmp(dockerfile, "-") == 0;
	if (df_stdin && c->kind == BLD_BUILDER_CONTEXT_STDIN)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid argument: can't use stdin for both build context "
				     "and dockerfile");
	cleanup_free char *dfpath = NULL;
	if (df_stdin) {
		c->dockerfile_name = xstrdup("Dockerfile");
		if (bld_fs_read_fd(0, BLD_CTX_DOCKERFILE_MAX, &c->dockerfile, &c->dockerfile_len,
				   err) < 0)
			return bld_error_wrap(err, "read dockerfile from stdin");
	} else if (!have_df && read_dockerfile(c, dockerfile, &dfpath, err) < 0) {
		return -1;
	}
	cleanup_free char *ignore = NULL;
	if (read_ignore(c, dfpath, &ignore, err) < 0)
		return bld_error_wrap(err, "read %s", c->ignore_name ? c->ignore_name : ".dockerignore");
	if (ignore && bld_builder_ctx_ignore_setup(&c->ign, ignore, err) < 0)
		return bld_error_wrap(err, "%s", c->ignore_name);
	return attach_statcache(c, statcache_dir, err);
}

int bld_builder_context_open_in(struct bld_builder_context **out, const char *spec,
				const char *dockerfile, const char *statcache_dir, int in_fd,
				struct bld_error **err)
{
	struct bld_builder_context *c = xcalloc(1, sizeof(*c));
	c->rootfd = -1;
	c->in_fd = in_fd;
	c->spec = xstrdup(spec);
	pthread_mutex_init(&c->lock, NULL);
	if (open_all(c, dockerfile, statcache_dir, err) < 0) {
		bld_builder_context_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int bld_builder_context_open(struct bld_builder_context **out, const char *spec,
			     const char *dockerfile, const char *statcache_dir,
			     struct bld_error **err)
{
	return bld_builder_context_open_in(out, spec, dockerfile, statcache_dir, 0, err);
}

int bld_builder_context_open_files(struct bld_builder_context **out, const char *spec,
				   const char *statcache_dir, struct bld_error **err)
{
	struct bld_builder_context *c = xcalloc(1, sizeof(*c));
	c->rootfd = -1;
	c->spec = xstrdup(spec);
	pthread_mutex_init(&c->lock, NULL);
	bool have_df = false;
	int r = open_root(c, &have_df, err);
	cleanup_free char *ignore = NULL;
	if (r == 0 && c->kind == BLD_BUILDER_CONTEXT_DIR)
		r = read_ignore(c, NULL, &ignore, err);
	if (r == 0 && ignore && bld_builder_ctx_ignore_setup(&c->ign, ignore, err) < 0)
		r = bld_error_wrap(err, "%s", c->ignore_name);
	if (r == 0)
		r = attach_statcache(c, statcache_dir, err);
	if (r < 0) {
		bld_builder_context_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* Once the whole context was walked, records of files no longer in it are dropped. */
static bool still_there(const char *path, void *payload)
{
	return bld_builder_ctx_lookup(payload, path) != NULL;
}

void bld_builder_context_free(struct bld_builder_context *c)
{
	if (!c)
		return;
	if (c->sc) {
		struct bld_error *e = NULL;
		if (bld_builder_statcache_save(c->sc, c->walked ? still_there : NULL, c, &e) < 0)
			bld_warn("build context: %s", e->msg);
		bld_error_free(e);
		bld_builder_statcache_free(c->sc);
	}
	if (c->ign.free)
		c->ign.free(c->ign.matcher);
	free(c->commit);
	for (size_t i = 0; i < c->n_ents; i++) {
		free(c->ents[i].path);
		free(c->ents[i].link);
	}
	free(c->ents);
	if (c->rootfd >= 0)
		close(c->rootfd);
	if (c->tmpdir) {
		struct bld_error *e = NULL;
		if (bld_fs_rm_rf(c->tmpdir, &e) < 0)
			bld_warn("build context: %s", e->msg);
		bld_error_free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->tmpdir);
	free(c->dir);
	free(c->spec);
	free(c->dockerfile);
	free(c->dockerfile_name);
	free(c->ignore_name);
	free(c);
}

const char *bld_builder_context_dockerfile(const struct bld_builder_context *c, size_t *len)
{
	if (len)
		*len = c->dockerfile_len;
	return c->dockerfile ? c->dockerfile : "";
}

const char *bld_builder_context_dockerfile_name(const struct bld_builder_context *c)
{
	return c->dockerfile_name;
}

const char *bld_builder_context_dir(const struct bld_builder_context *c) { return c->dir; }

int bld_builder_context_fd(const struct bld_builder_context *c) { return c->rootfd; }
