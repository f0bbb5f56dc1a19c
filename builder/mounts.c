/*
 * builder/mounts.c — RUN --mount as BuildKit gives it: type=cache (a directory under
 * $BLD_ROOT/cache/mounts/ kept between builds, keyed by id or target; with from= also by that
 * stage or image, whose source directory it starts as; sharing=locked holds a lock while the
 * step runs), type=bind (from the context or another stage, read-only
 * unless rw), type=tmpfs, and type=secret (from `--secret id=ID,src=FILE|env=VAR`, as a
 * read-only file or an environment variable), type=ssh (sshfwd.c). What a mount holds never
 * enters the layer; secrets and agents never enter a cache key.
 *
 * It prepares host-side sources and the runner's mount list; the sandbox does the mounting.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#define SECRET_MAX ((size_t)1 << 20)

/* "id=ID,src=FILE" | "id=ID,env=VAR" (type=file|env accepted) → its value. */
static int secret_value(struct bld_builder_job *b, const char *id, char **out, size_t *len,
			struct bld_error **err)
{
	for (size_t i = 0; b->o->secrets && b->o->secrets[i]; i++) {
		cleanup_free char *sid = NULL, *src = NULL, *env = NULL;
		cleanup_free char *spec = xstrdup(b->o->secrets[i]);
		for (char *f = spec, *next; f; f = next) {
			next = strchr(f, ',');
			if (next)
				*next++ = '\0';
			if (bld_str_has_prefix(f, "id="))
				sid = xstrdup(f + 3);
			else if (bld_str_has_prefix(f, "src=") || bld_str_has_prefix(f, "source="))
				src = xstrdup(strchr(f, '=') + 1);
			else if (bld_str_has_prefix(f, "env="))
				env = xstrdup(f + 4);
		}
		if (!sid || strcmp(sid, id) != 0)
			continue;
		if (env || (!src && getenv(id))) {
			const char *v = getenv(env ? env : id);
			if (!v)
				return bld_error_set(err, BLD_E_NOTFOUND, "secret %s: %s is not set", id,
						     env ? env : id);
			*out = xstrdup(v);
			*len = strlen(v);
			return 0;
		}
		return bld_fs_read_file(src ? src : id, SECRET_MAX, out, len, err);
	}
	return bld_error_set(err, BLD_E_NOTFOUND, "secret %s not found", id);
}

static void push_mount(struct bld_builder_run_mounts *rm, const char *type, const char *src,
		       const char *target, const char *opts, bool ro)
{
	rm->v = xrealloc(rm->v, (rm->n + 1) * sizeof(*rm->v));
	/* every field set: a RUN mount is never a volume to fill from the image (copy_up) */
	rm->v[rm->n++] = (struct bld_runner_mount){.type = xstrdup(type),
						   .source = src ? xstrdup(src) : NULL,
						   .target = xstrdup(target),
						   .options = opts ? xstrdup(opts) : NULL,
						   .readonly = ro};
	bld_strv_push(&rm->targets, target);
}

/* The source directory of a stage or image root open; errors name source as written. */
static int open_seed(struct bld_builder_job *b, struct bld_builder_stage *st,
		     const struct bld_parser_mount *pm, struct bld_builder_run_mounts *rm,
		     struct bld_error **err)
{
	cleanup_free char *root = NULL;
	if (bld_builder_from_root_open(b, st, pm->from, &rm->roots, &root, err) < 0)
		return -1;
	cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return bld_error_sys(err, errno, "open %s", root);
	cleanup_free char *rel = bld_builder_ctx_rel(pm->source ? pm->source : "/");
	int fd = bld_fs_open_in_root(rfd, *rel ? rel : "/", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return bld_error_sys(err, -fd, "cache mount source /%s in %s", rel, pm->from);
	return fd;
}

/*
 * A cache's first contents with from= (BuildKit makes the cache on top of that state and
 * mounts its source directory): the directory copied with its owners, modes and its own
 * metadata into a scratch name beside dir, then renamed into place, so that no step sees
 * half a seed. A cache that another step seeded meanwhile is kept.
 */
static int cache_seed(struct bld_builder_job *b, struct bld_builder_stage *st,
		      const struct bld_parser_mount *pm, const char *dir,
		      struct bld_builder_run_mounts *rm, struct bld_error **err)
{
	cleanup_close int src = open_seed(b, st, pm, rm, err);
	if (src < 0)
		return -1;
	cleanup_free char *tmp = xasprintf("%s.seed-XXXXXX", dir);
	if (!mkdtemp(tmp))
		return bld_error_sys(err, errno, "mkdtemp %s", tmp);
	int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = tfd < 0 ? bld_error_sys(err, errno, "open %s", tmp)
			: bld_builder_copy_dir_into(src, tfd, "/", false, 0, 0, true, err);
	if (tfd >= 0)
		close(tfd);
	if (r == 0 && rename(tmp, dir) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = bld_error_sys(err, errno, "seed cache mount from %s", pm->from);
	struct bld_error *e = NULL;
	if (access(tmp, F_OK) == 0)
		bld_fs_rm_rf(tmp, &e);
	bld_error_free(e);
	return r;
}

/*
 * The cache's directory: keyed by id (the target without one) as BuildKit's cache IDs are,
 * and with from= by that state too (BuildKit keys such a cache by id and the state's ref).
 */
static char *cache_dir(struct bld_builder_job *b, struct bld_builder_stage *st,
		       const struct bld_parser_mount *pm, const char *id)
{
	char h[BLD_XXH_HEX_LEN + 1];
	if (pm->from) {
		struct bld_xxh *x = bld_xxh_new();
		bld_xxh_update_str(x, id);
		bld_xxh_update_str(x, "from");
		bld_builder_from_key(b, st, pm->from, x);
		bld_xxh_final(x, h);
	} else {
		bld_xxh_digest(id, strlen(id), h);
	}
	return xasprintf("%s/cache/mounts/%s", b->ctx->root, h);
}

static int cache_mount(struct bld_builder_job *b, struct bld_builder_stage *st,
		       const struct bld_parser_mount *pm, struct bld_builder_run_mounts *rm,
		       struct bld_error **err)
{
	const char *id = pm->id && *pm->id ? pm->id : pm->target;
	cleanup_free char *dir = cache_dir(b, st, pm, id);
	cleanup_free char *parent = xasprintf("%s/cache/mounts", b->ctx->root);
	struct stat sb;
	bool fresh = stat(dir, &sb) < 0;
	if (fresh && pm->from) {
		if (bld_fs_mkdir_p(parent, 0755, err) < 0 || cache_seed(b, st, pm, dir, rm, err) < 0)
			return -1;
		fresh = false;
	}
	if (bld_fs_mkdir_p(dir, 0755, err) < 0)
		return -1;
	if (fresh && (chmod(dir, pm->has_mode ? (mode_t)pm->mode : 0755) < 0 ||
		      chown(dir, pm->has_uid ? (uid_t)pm->uid : 0, pm->has_gid ? (gid_t)pm->gid : 0) < 0))
		return bld_error_sys(err, errno, "prepare cache mount %s", id);
	if (pm->sharing && strcmp(pm->sharing, "locked") == 0) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			return bld_error_sys(err, errno, "lock cache mount %s", id);
		rm->locks = xrealloc(rm->locks, (rm->n_locks + 1) * sizeof(int));
		rm->locks[rm->n_locks++] = fd;
	}
	push_mount(rm, "bind", dir, pm->target, NULL, pm->readonly);
	return 0;
}

static int secret_mount(struct bld_builder_job *b, const struct bld_parser_mount *pm,
			struct bld_builder_run_mounts *rm, char ***env, struct bld_error **err)
{
	const char *id = pm->id ? pm->id : (pm->target ? strrchr(pm->target, '/') + 1 : NULL);
	if (!id || !*id)
		return bld_error_set(err, BLD_E_INVALID, "secret mount needs an id");
	cleanup_free char *val = NULL;
	size_t len = 0;
	struct bld_error *e = NULL;
	if (secret_value(b, id, &val, &len, &e) < 0) {
		if (!pm->required) {
			bld_error_free(e);
			return 0;
		}
		bld_error_move(err, &e);
		return -1;
	}
	if (pm->env) {
		cleanup_free char *kv = xasprintf("%s=%s", pm->env, val);
		bld_strv_push(env, kv);
		if (!pm->target)
			return 0;
	}
	cleanup_free char *dir = bld_builder_step_dir(b, err);
	if (!dir)
		return -1;
	cleanup_free char *file = bld_path_join(dir, "secret");
	cleanup_close int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
	if (fd < 0 || write(fd, val, len) != (ssize_t)len)
		return bld_error_sys(err, errno, "write secret %s", id);
	if (fchmod(fd, pm->has_mode ? (mode_t)pm->mode : 0400) < 0 ||
	    fchown(fd, pm->has_uid ? (uid_t)pm->uid : 0, pm->has_gid ? (gid_t)pm->gid : 0) < 0)
		return bld_error_sys(err, errno, "secret %s", id);
	cleanup_free char *target = pm->target ? xstrdup(pm->target)
					       : xasprintf("/run/secrets/%s", id);
	push_mount(rm, "bind", file, target, NULL, true);
	return 0;
}

static int prune_dir(struct bld_builder_context *c, int dfd, const char *view,
		     const char *prefix, int depth, struct bld_error **err);

/* One entry of the view: removed when the index lacks it, else its subtree pruned. */
static int prune_one(struct bld_builder_context *c, int dfd, const char *view,
		     const char *path, const char *name, int depth, struct bld_error **err)
{
	const struct bld_builder_ctx_entry *e = bld_builder_ctx_lookup(c, path);
	if (!e) {
		cleanup_free char *abs = bld_path_join(view, path);
		return bld_fs_rm_rf(abs, err);
	}
	if (!S_ISDIR(e->mode))
		return 0;
	cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return bld_error_sys(err, errno, "open %s", path);
	return prune_dir(c, sub, view, path, depth + 1, err);
}

/*
 * Removes from a writable view of the context what .dockerignore leaves out of the index
 * (overlay whiteouts: the context itself is never touched). BuildKit's context holds only
 * what the ignore file lets through, and so does a bind of it.
 */
static int prune_dir(struct bld_builder_context *c, int dfd, const char *view,
		     const char *prefix, int depth, struct bld_error **err)
{
	if (depth > BLD_CTX_MAX_DEPTH)
		return bld_error_set(err, BLD_E_INVALID, "context deeper than %d",
				     BLD_CTX_MAX_DEPTH);
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return bld_error_sys(err, errno, "read %s", *prefix ? prefix : ".");
	}
	cleanup_strv char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			bld_strv_push(&names, de->d_name);
	closedir(d);
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_free char *path = *prefix ? xasprintf("%s/%s", prefix, names[i])
						  : xstrdup(names[i]);
		if (prune_one(c, dfd, view, path, names[i], depth, err) < 0)
			return -1;
	}
	return 0;
}

/* A scratch overlay of the context without what .dockerignore excludes; *view its root. */
static int context_view(struct bld_builder_job *b, struct bld_builder_run_mounts *rm, char **view,
			struct bld_error **err)
{
	struct bld_builder_context *c = b->bctx;
	if (bld_builder_overlay_rw(b, bld_builder_context_dir(c), &rm->roots, view, err) < 0)
		return -1;
	cleanup_close int fd = open(*view, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", *view);
	pthread_mutex_lock(&c->lock);
	int r = bld_builder_ctx_walk(c, err);
	if (r == 0)
		r = prune_dir(c, fd, *view, "", 0, err);
	pthread_mutex_unlock(&c->lock);
	return r < 0 ? bld_error_wrap(err, "leave .dockerignore'd files out of the bind") : 0;
}

/*
 * A bind mount from the context (its directory, or a filtered view of it when a
 * .dockerignore applies) or from a stage's read-only root.
 */
static int bind_mount(struct bld_builder_job *b, struct bld_builder_stage *st,
		      const struct bld_parser_mount *pm, struct bld_builder_run_mounts *rm,
		      struct bld_error **err)
{
	cleanup_free char *rel = bld_builder_ctx_rel(pm->source ? pm->source : ".");
	cleanup_free char *root = NULL;
	bool scratch = false; /* root is a view whose writes are thrown away */
	if (pm->from) {
		if (bld_builder_from_root_open(b, st, pm->from, &rm->roots, &root, err) < 0)
			return -1;
	} else if (b->bctx->ign.matcher) {
		if (context_view(b, rm, &root, err) < 0)
			return -1;
		scratch = true;
	} else {
		root = xstrdup(bld_builder_context_dir(b->bctx));
	}
	cleanup_free char *src = *rel ? bld_path_join(root, rel) : xstrdup(root);
	struct stat sb;
	if (lstat(src, &sb) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "bind mount source \"/%s\": not found",
				     rel);
	if (pm->readonly || scratch) {
		push_mount(rm, "bind", src, pm->target, NULL, pm->readonly);
		return 0;
	}
	/* rw: writes land in a scratch overlay, never in the user's context */
	if (!S_ISDIR(sb.st_mode))
		return bld_error_set(err, BLD_E_UNSUPPORTED, "a writable bind of a file");
	cleanup_free char *view = NULL;
	if (bld_builder_overlay_rw(b, src, &rm->roots, &view, err) < 0)
		return -1;
	push_mount(rm, "bind", view, pm->target, NULL, false);
	return 0;
}

/*
 * An ssh agent at the target (BuildKit's default /run/buildkit/ssh_agent.N, N counting the
 * step's ssh mounts); SSH_AUTH_SOCK names the first one forwarded.
 */
static int ssh_mount(struct bld_builder_job *b, const struct bld_builder_run_req *rq, size_t i,
		     struct bld_builder_run_mounts *rm, char ***env, struct bld_error **err)
{
	const struct bld_parser_mount *pm = &rq->mounts[i];
	if (pm->source) /* BuildKit's frontend refuses it the same way */
		return bld_error_set(err, BLD_E_INVALID, "ssh does not support source");
	size_t n = 0; /* which ssh mount of the step this is */
	for (size_t j = 0; j < i; j++)
		n += rq->mounts[j].type == BLD_PARSER_MOUNT_SSH;
	struct bld_builder_ssh_fwd *f = NULL;
	int r = bld_builder_ssh_fwd_open(&f, b, pm, err);
	cleanup_free char *target = pm->target && *pm->target
					    ? xstrdup(pm->target)
					    : xasprintf("/run/buildkit/ssh_agent.%zu", n);
	if (r <= 0)
		return r;
	rm->ssh = xrealloc(rm->ssh, (rm->n_ssh + 1) * sizeof(*rm->ssh));
	rm->ssh[rm->n_ssh++] = f;
	push_mount(rm, "bind", bld_builder_ssh_fwd_socket(f), target, NULL, false);
	bool have = false;
	for (size_t k = 0; *env && (*env)[k]; k++)
		have = have || bld_str_has_prefix((*env)[k], "SSH_AUTH_SOCK=");
	if (!have) {
		cleanup_free char *kv = xasprintf("SSH_AUTH_SOCK=%s", target);
		bld_strv_push(env, kv);
	}
	return 0;
}

int bld_builder_run_mounts_prepare(struct bld_builder_job *b, struct bld_builder_stage *st,
				   const struct bld_builder_run_req *rq,
				   struct bld_builder_run_mounts *rm, char ***env,
				   struct bld_error **err)
{
	memset(rm, 0, sizeof(*rm));
	for (size_t i = 0; i < rq->nmounts; i++) {
		const struct bld_parser_mount *pm = &rq->mounts[i];
		int r = 0;
		switch (pm->type) {
		case BLD_PARSER_MOUNT_CACHE:
			r = cache_mount(b, st, pm, rm, err);
			break;
		case BLD_PARSER_MOUNT_SECRET:
			r = secret_mount(b, pm, rm, env, err);
			break;
		case BLD_PARSER_MOUNT_BIND:
			r = bind_mount(b, st, pm, rm, err);
			break;
		case BLD_PARSER_MOUNT_TMPFS: {
			cleanup_free char *o = pm->size ? xasprintf("size=%lld,mode=1777",
								    (long long)pm->size)
							: NULL;
			push_mount(rm, "tmpfs", NULL, pm->target, o, false);
			break;
		}
		case BLD_PARSER_MOUNT_SSH:
			r = ssh_mount(b, rq, i, rm, env, err);
			break;
		default:
			r = bld_error_set(err, BLD_E_UNSUPPORTED, "--mount type %d", (int)pm->type);
		}
		if (r < 0)
			return bld_error_wrap(err, "--mount %s",
					      pm->target ? pm->target
					      : pm->type == BLD_PARSER_MOUNT_SSH ? "type=ssh" : "");
	}
	return 0;
}

void bld_builder_run_mounts_dispose(struct bld_builder_run_mounts *rm)
{
	for (size_t i = 0; i < rm->n; i++) {
		free(rm->v[i].type);
		free(rm->v[i].source);
		free(rm->v[i].target);
		free(rm->v[i].options);
	}
	for (size_t i = 0; i < rm->n_locks; i++)
		close(rm->locks[i]);
	for (size_t i = 0; i < rm->n_ssh; i++)
		bld_builder_ssh_fwd_free(rm->ssh[i]);
	free(rm->ssh);
	bld_builder_from_roots_close(&rm->roots);
	free(rm->locks);
	free(rm->v);
	bld_strv_free(rm->targets);
	memset(rm, 0, sizeof(*rm));
}

int bld_builder_run_mounts_key(struct bld_builder_job *b, struct bld_builder_stage *st,
			       const struct bld_builder_run_req *rq, struct bld_xxh *h,
			       struct bld_error **err)
{
	for (size_t i = 0; i < rq->nmounts; i++) {
		const struct bld_parser_mount *pm = &rq->mounts[i];
		uint32_t t = pm->type;
		bld_xxh_update(h, &t, sizeof(t));
		bld_xxh_update_str(h, pm->target);
		bld_xxh_update_str(h, pm->id);
		bld_xxh_update_str(h, pm->from);
		bld_xxh_update_str(h, pm->source);
		bld_xxh_update_str(h, pm->env);
		if (pm->from) /* the state a bind shows or a cache starts from */
			bld_builder_from_key(b, st, pm->from, h);
		if (pm->type != BLD_PARSER_MOUNT_BIND || pm->from)
			continue;
		/* a bind from the context: its files decide the result, like COPY's */
		char *pats[] = {pm->source ? pm->source : ".", NULL};
		struct bld_builder_ctx_sources s;
		if (bld_builder_ctx_select(b->bctx, pats, &s, err) < 0)
			return -1;
		int r = bld_builder_ctx_sources_hash(b->bctx, &s, h, err);
		bld_builder_ctx_sources_dispose(&s);
		if (r < 0)
			return -1;
	}
	return 0;
}
