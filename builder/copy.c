/*
 * builder/copy.c — COPY, ADD and WORKDIR's directory: files from the build context (only
 * what .dockerignore lets through), from another stage or image (--from), from a URL or a
 * git repository (ADD), written into an overlay of the stage's layers with a fresh upper
 * directory that becomes the step's layer. BuildKit's rules: a directory source copies its
 * contents; several sources or a wildcard need a directory destination; context files
 * become root-owned unless --chown; modes and mtimes are kept unless --chmod; a final
 * symlink in a source path is followed; local tars are unpacked by ADD.
 *
 * Every destination path is resolved inside the new root (bld_fs_open_in_root), never by
 * joining strings. The overlay is mounted in the build's private mount namespace and
 * unmounted before the layer is written.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------------ the work overlay */

struct work {
	char *dir;    /* step directory: upper/ work/ merged/ */
	char *merged;
	char *upper;
	int rootfd;
	bool mounted;
};

static int work_mount_at(const char *target, char *const *lowers, const char *upper,
			 const char *workdir, struct bld_error **err)
{
	struct bld_buf o = BLD_BUF_INIT;
	bld_buf_adds(&o, "lowerdir=");
	size_t n = bld_strv_len(lowers);
	for (size_t i = n; i > 0; i--)
		bld_buf_printf(&o, "%s%s", i == n ? "" : ":", lowers[i - 1]);
	if (upper)
		bld_buf_printf(&o, ",upperdir=%s,workdir=%s", upper, workdir);
	size_t plain = o.len;
	/*
	 * volatile (Linux 5.10): no sync of the upper filesystem at unmount. Without it, the
	 * unmount before the layer is made waits for the writeback of everything dirty on that
	 * filesystem, other programs' writes included; the upper directory becomes a layer
	 * directory, which the store keeps as an unsynced cache of its (synced) blob anyway.
	 */
	if (upper)
		bld_buf_adds(&o, ",volatile");
	int r = mount("overlay", target, "overlay", 0, bld_buf_str(&o));
	if (r < 0 && errno == EINVAL && upper) { /* an older kernel */
		o.len = plain;
		o.data[plain] = '\0';
		r = mount("overlay", target, "overlay", 0, bld_buf_str(&o));
	}
	if (r < 0)
		r = bld_error_sys(err, errno, "mount overlay (%zu layers)", n);
	bld_buf_dispose(&o);
	return r;
}

/* An empty work with its step directory and merged/ path (not yet created). */
static int work_begin(struct bld_build *b, struct work *w, struct bld_error **err)
{
	memset(w, 0, sizeof(*w));
	w->rootfd = -1;
	w->dir = bld_step_dir(b, err);
	if (!w->dir)
		return -1;
	w->merged = bld_path_join(w->dir, "merged");
	return 0;
}

/* Mounts the overlay on w->merged and opens it as w->rootfd. */
static int work_mount(struct work *w, char *const *lowers, const char *wk, struct bld_error **err)
{
	if (work_mount_at(w->merged, lowers, w->upper, wk, err) < 0)
		return -1;
	w->mounted = true;
	w->rootfd = open(w->merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return w->rootfd < 0 ? bld_error_sys(err, errno, "open %s", w->merged) : 0;
}

/* A writable overlay over lowers with a fresh upper directory (the step's layer). */
static int work_open_on(struct bld_build *b, struct work *w, char *const *lowers,
			struct bld_error **err)
{
	if (work_begin(b, w, err) < 0)
		return -1;
	w->upper = bld_path_join(w->dir, "upper");
	cleanup_free char *wk = bld_path_join(w->dir, "work");
	if (mkdir(w->merged, 0755) < 0 || mkdir(w->upper, 0755) < 0 || mkdir(wk, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir in %s", w->dir);
	return work_mount(w, lowers, wk, err);
}

static int work_open(struct bld_build *b, struct bld_bstage *st, struct work *w,
		     struct bld_error **err)
{
	cleanup_strv char **lowers = bld_step_lowers(b, st);
	return work_open_on(b, w, lowers, err);
}

static void work_close(struct work *w)
{
	if (w->rootfd >= 0)
		close(w->rootfd);
	w->rootfd = -1;
	if (w->mounted && umount2(w->merged, MNT_DETACH) < 0)
		bld_warn("umount %s: %s", w->merged, strerror(errno));
	w->mounted = false;
}

static void work_dispose(struct work *w)
{
	work_close(w);
	if (w->dir) {
		struct bld_error *e = NULL;
		bld_fs_rm_rf(w->dir, &e);
		bld_error_free(e);
	}
	free(w->dir);
	free(w->merged);
	free(w->upper);
}

static int work_commit(struct bld_build *b, struct bld_bstage *st, struct work *w,
		       struct bld_cache_layer *l, bool *made, struct bld_error **err)
{
	work_close(w);
	return bld_step_commit(b, st, w->upper, l, made, err);
}

/* ------------------------------------------------------------------ ownership and modes */

struct meta {
	bool chown;
	uid_t uid;
	gid_t gid;
	bool chmod;
	mode_t mode;
	bool keep_owner; /* --from: owners as in the source */
};

static char *read_in_root(int rootfd, const char *path)
{
	int fd = bld_fs_open_in_root(rootfd, path, O_RDONLY, 0);
	if (fd < 0)
		return NULL;
	char *data = NULL;
	struct bld_error *e = NULL;
	if (bld_fs_read_fd(fd, 16u << 20, &data, NULL, &e) < 0)
		bld_error_free(e);
	close(fd);
	return data;
}

/*
 * --chown as BuildKit reads it (llb.WithUser, then the file op's readUser): a user named
 * alone takes the group /etc/passwd gives it, a uid alone the same number as group.
 */
static int resolve_chown(int rootfd, const char *spec, struct meta *m, struct bld_error **err)
{
	cleanup_free char *passwd = read_in_root(rootfd, "/etc/passwd");
	cleanup_free char *group = read_in_root(rootfd, "/etc/group");
	struct bld_runner_user u;
	if (bld_runner_user_resolve(&u, spec, passwd, group, err) < 0)
		return bld_error_wrap(err, "--chown %s", spec);
	m->chown = true;
	m->uid = u.uid;
	bool by_id = strspn(spec, "0123456789") == strlen(spec);
	m->gid = by_id ? (gid_t)u.uid : u.gid;
	return 0;
}

static int meta_init(struct meta *m, int rootfd, const struct bld_copy_req *rq,
		     struct bld_error **err)
{
	memset(m, 0, sizeof(*m));
	m->keep_owner = rq->from != NULL;
	if (rq->chown && *rq->chown && resolve_chown(rootfd, rq->chown, m, err) < 0)
		return -1;
	if (rq->chmod && *rq->chmod) {
		char *end = NULL;
		errno = 0;
		long v = strtol(rq->chmod, &end, 8);
		if (errno || !end || *end || v < 0 || v > 07777)
			return bld_error_set(err, BLD_E_INVALID, "invalid --chmod %s", rq->chmod);
		m->chmod = true;
		m->mode = (mode_t)v;
	}
	return 0;
}

/* ------------------------------------------------------------------ writing entries */

/* The directory that will hold path (created with owner/0755 when missing). */
static int open_parent(int rootfd, const char *path, const struct meta *m, char **base)
{
	cleanup_free char *clean = bld_path_clean(path);
	char *slash = strrchr(clean, '/');
	*base = xstrdup(slash ? slash + 1 : clean);
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	return bld_mkdirs_in_root(rootfd, *clean ? clean : "/", m->chown ? m->uid : 0,
				  m->chown ? m->gid : 0);
}

int bld_mkdirs_in_root(int rootfd, const char *path, uid_t uid, gid_t gid)
{
	int fd = bld_fs_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd != -ENOENT)
		return fd;
	cleanup_free char *clean = bld_path_clean(path);
	char *slash = strrchr(clean, '/');
	if (!slash || !slash[1])
		return -ENOENT;
	*slash = '\0';
	int parent = bld_mkdirs_in_root(rootfd, *clean ? clean : "/", uid, gid);
	if (parent < 0)
		return parent;
	int r = mkdirat(parent, slash + 1, 0755);
	if (r < 0 && errno != EEXIST)
		r = -errno;
	else if (r == 0 && fchownat(parent, slash + 1, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	else
		r = openat(parent, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r < 0 && r != -errno)
		r = -errno;
	close(parent);
	return r;
}

struct item {
	int srcfd;         /* directory the source path is relative to */
	const char *src;   /* relative source path ("" for the root itself) */
	struct stat st;    /* the source's metadata */
	const char *link;  /* symlink target */
};

/* Copies in to out; *no_cfr remembers that copy_file_range cannot work between the two. */
static int copy_data(int in, int out, bool *no_cfr)
{
	for (; !*no_cfr;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -errno;
		*no_cfr = true; /* nothing was copied: the plain loop starts from the beginning */
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(out, buf + o, (size_t)(n - o));
			if (w < 0)
				return -errno;
			o += w;
		}
	}
}

/* Removes whatever is in the way of a new non-directory entry. */
static void clear_slot(int dfd, const char *base, bool want_dir)
{
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (S_ISDIR(st.st_mode) && want_dir)
		return;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			char p[64];
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			char real[4096];
			ssize_t n = readlink(p, real, sizeof(real) - 1);
			close(fd);
			if (n > 0) {
				real[n] = '\0';
				struct bld_error *e = NULL;
				bld_fs_rm_rf(real, &e);
				bld_error_free(e);
			}
		}
		return;
	}
	unlinkat(dfd, base, 0);
}

static int set_meta(int dfd, const char *base, const struct item *it, const struct meta *m)
{
	uid_t uid = m->chown ? m->uid : (m->keep_owner ? it->st.st_uid : 0);
	gid_t gid = m->chown ? m->gid : (m->keep_owner ? it->st.st_gid : 0);
	if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(it->st.st_mode)) {
		mode_t mode = m->chmod ? m->mode : (it->st.st_mode & 07777);
		if (fchmodat(dfd, base, mode, 0) < 0)
			return -errno;
	}
	struct timespec ts[2] = {it->st.st_mtim, it->st.st_mtim};
	return utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* Owner, mode and times of a file just written, through its descriptor (no path lookups). */
static int set_meta_fd(int fd, const struct item *it, const struct meta *m)
{
	uid_t uid = m->chown ? m->uid : (m->keep_owner ? it->st.st_uid : 0);
	gid_t gid = m->chown ? m->gid : (m->keep_owner ? it->st.st_gid : 0);
	if (fchown(fd, uid, gid) < 0)
		return -errno;
	if (fchmod(fd, m->chmod ? m->mode : (it->st.st_mode & 07777)) < 0)
		return -errno;
	struct timespec ts[2] = {it->st.st_mtim, it->st.st_mtim};
	return futimens(fd, ts) < 0 ? -errno : 0;
}

/* Creates dfd/base anew: whatever was there is replaced only when the creation finds it. */
static int create_file(int dfd, const char *base)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int out = openat(dfd, base, flags, 0600);
	if (out < 0 && errno == EEXIST) {
		clear_slot(dfd, base, false);
		out = openat(dfd, base, flags, 0600);
	}
	return out < 0 ? -errno : out;
}

static int write_file(int dfd, const char *base, const struct item *it, const struct meta *m,
		      bool *no_cfr)
{
	int in = openat(it->srcfd, it->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	int out = create_file(dfd, base);
	int r = out < 0 ? out : copy_data(in, out, no_cfr);
	if (r == 0)
		r = set_meta_fd(out, it, m);
	close(in);
	if (out >= 0)
		close(out);
	return r;
}

static int make_dir(int dfd, const char *base)
{
	if (mkdirat(dfd, base, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	clear_slot(dfd, base, true); /* something else than a directory may be in the way */
	return mkdirat(dfd, base, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int make_symlink(int dfd, const char *base, const char *target)
{
	if (symlinkat(target, dfd, base) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	clear_slot(dfd, base, false);
	return symlinkat(target, dfd, base) < 0 ? -errno : 0;
}

/*
 * Where a plan writes: the directory of the entry before, kept open, since most entries land
 * where the one before did. Kept by its path in the root: an entry can only replace a child
 * of its own directory, never that directory or one above it, so the cached one stays what
 * its path names; any other path is resolved (and made) afresh.
 */
struct putter {
	int rootfd;
	const struct meta *m;
	char *dir; /* the cached directory's path inside the root */
	int dfd;
	bool no_cfr;
};

static void putter_drop(struct putter *pu)
{
	if (pu->dfd >= 0)
		close(pu->dfd);
	pu->dfd = -1;
	free(pu->dir);
	pu->dir = NULL;
}

/* The directory that holds dst, from the cache or opened (made) now; *base is dst's name. */
static int putter_parent(struct putter *pu, const char *dst, char **base)
{
	cleanup_free char *clean = bld_path_clean(dst);
	char *slash = strrchr(clean, '/');
	if (!slash)
		return -EINVAL;
	*base = xstrdup(slash + 1);
	*slash = '\0';
	const char *dir = *clean ? clean : "/";
	if (pu->dir && strcmp(pu->dir, dir) == 0)
		return pu->dfd;
	putter_drop(pu);
	cleanup_free char *ignored = NULL;
	int fd = open_parent(pu->rootfd, dst, pu->m, &ignored);
	if (fd < 0)
		return fd;
	pu->dfd = fd;
	pu->dir = xstrdup(dir);
	return fd;
}

/* One entry at the destination path dst (inside the root). */
static int put_entry(struct putter *pu, const char *dst, const struct item *it)
{
	cleanup_free char *base = NULL;
	int dfd = putter_parent(pu, dst, &base);
	if (dfd < 0)
		return dfd;
	if (S_ISREG(it->st.st_mode))
		return write_file(dfd, base, it, pu->m, &pu->no_cfr);
	int r;
	if (S_ISDIR(it->st.st_mode))
		r = make_dir(dfd, base);
	else if (S_ISLNK(it->st.st_mode))
		r = make_symlink(dfd, base, it->link);
	else
		return 0; /* devices, fifos and sockets are not copied */
	return r < 0 ? r : set_meta(dfd, base, it, pu->m);
}

/* Directory mtimes, set again once their contents are in place. */
static void fix_dir_time(int rootfd, const char *dst, const struct item *it)
{
	int fd = bld_fs_open_in_root(rootfd, dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return;
	struct timespec ts[2] = {it->st.st_mtim, it->st.st_mtim};
	futimens(fd, ts);
	close(fd);
}

/* ------------------------------------------------------------------ plans */

/* What one COPY writes: (item, destination) pairs, parents before children. */
struct plan {
	struct item *it;
	char **dst;
	char **links; /* owned link targets */
	size_t n;
};

static void plan_add(struct plan *p, int srcfd, const char *src, const struct stat *st,
		     const char *link, const char *dst)
{
	p->it = xrealloc(p->it, (p->n + 1) * sizeof(*p->it));
	p->dst = xrealloc(p->dst, (p->n + 2) * sizeof(*p->dst));
	p->links = xrealloc(p->links, (p->n + 2) * sizeof(*p->links));
	p->links[p->n] = link ? xstrdup(link) : NULL;
	p->it[p->n] = (struct item){
		.srcfd = srcfd, .src = xstrdup(src), .st = *st, .link = p->links[p->n]};
	p->dst[p->n] = xstrdup(dst);
	p->n++;
	p->dst[p->n] = NULL;
}

static void plan_dispose(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free((char *)p->it[i].src);
		free(p->dst[i]);
		free(p->links[i]);
	}
	free(p->it);
	free(p->dst);
	free(p->links);
	memset(p, 0, sizeof(*p));
}

/* Drops the last pair of a plan. */
static void plan_pop(struct plan *p)
{
	p->n--;
	free((char *)p->it[p->n].src);
	free(p->dst[p->n]);
	free(p->links[p->n]);
	p->dst[p->n] = NULL;
}

/* ------------------------------------------------------------------ --exclude */

/*
 * COPY/ADD --exclude as BuildKit applies it (fsutil's copier over moby/patternmatcher: the
 * rules of .dockerignore, "**", "!" exceptions in order, a directory excluding what is in
 * it): entries inside a directory source are matched by their path relative to that source,
 * a source itself (a named file or a wildcard match) by its path in the context or root. An
 * excluded directory is still walked, unless no exception can bring anything inside back, and
 * is created, with its own metadata, only before the first entry copied from inside it.
 */
struct excl {
	struct bld_parser_dockerignore *m; /* NULL: nothing is excluded */
	struct plan pending; /* excluded directories above the walk, outermost first */
	struct bld_error *err; /* a pattern that failed while matching, inside walk_fs */
};

static int excl_init(struct excl *x, char *const *patterns, struct bld_error **err)
{
	memset(x, 0, sizeof(*x));
	if (!patterns || !patterns[0])
		return 0;
	if (bld_parser_dockerignore_new(&x->m, patterns, err) < 0)
		return bld_error_wrap(err, "--exclude");
	return 0;
}

static void excl_dispose(struct excl *x)
{
	bld_parser_dockerignore_free(x->m);
	plan_dispose(&x->pending);
	bld_error_free(x->err);
}

static int excl_match(struct excl *x, const char *rel, bool *out, struct bld_error **err)
{
	*out = false;
	if (!x->m || !*rel)
		return 0;
	if (bld_parser_dockerignore_match(x->m, rel, out, err) < 0)
		return bld_error_wrap(err, "--exclude");
	return 0;
}

/* Forgets pending directories that are not above dst (the walk left them). */
static void pending_trim(struct excl *x, const char *dst)
{
	while (x->pending.n) {
		const char *d = x->pending.dst[x->pending.n - 1];
		size_t l = strlen(d);
		if (strncmp(dst, d, l) == 0 && dst[l] == '/')
			return;
		plan_pop(&x->pending);
	}
}

/* An entry is copied: the excluded directories above it are created first. */
static void pending_flush(struct excl *x, struct plan *p)
{
	for (size_t i = 0; i < x->pending.n; i++) {
		const struct item *it = &x->pending.it[i];
		plan_add(p, it->srcfd, it->src, &it->st, it->link, x->pending.dst[i]);
	}
	while (x->pending.n)
		plan_pop(&x->pending);
}

static void entry_stat(const struct bld_ctx_entry *e, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = e->mode;
	st->st_uid = e->uid;
	st->st_gid = e->gid;
	st->st_size = e->size;
	st->st_mtim.tv_sec = e->mtime_ns / 1000000000LL;
	st->st_mtim.tv_nsec = e->mtime_ns % 1000000000LL;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The destination of a source: into dest as a directory, or dest itself. */
static char *dest_for(const char *dest, bool dest_dir, const char *name, bool src_dir,
		      const char *parents_path)
{
	if (parents_path)
		return bld_path_join(dest, parents_path);
	if (src_dir)
		return bld_path_clean(dest);
	if (dest_dir)
		return bld_path_join(dest, base_of(name));
	return bld_path_clean(dest);
}

/* The index range of e's subtree ends here: the first entry after j outside it. */
static size_t subtree_end(struct bld_builder_context *c, size_t j, size_t end)
{
	size_t l = strlen(c->ents[j].path);
	size_t k = j + 1;
	while (k < end && strncmp(c->ents[k].path, c->ents[j].path, l) == 0 &&
	       c->ents[k].path[l] == '/')
		k++;
	return k;
}

/* The contents of a directory source, --exclude applied. */
static int plan_subtree(struct plan *p, struct bld_builder_context *c,
			const struct bld_ctx_source *x, const char *root, struct excl *ex,
			struct bld_error **err)
{
	int fd = bld_builder_context_fd(c);
	size_t skip = *x->path ? strlen(x->path) + 1 : 0;
	for (size_t j = x->first; j < x->end; j++) {
		const struct bld_ctx_entry *e = &c->ents[j];
		const char *rel = e->path + skip;
		bool out;
		if (excl_match(ex, rel, &out, err) < 0)
			return -1;
		struct stat st;
		entry_stat(e, &st);
		cleanup_free char *d = bld_path_join(root, rel);
		pending_trim(ex, d);
		if (out && S_ISDIR(e->mode) && bld_parser_dockerignore_can_skip_dir(ex->m, rel))
			j = subtree_end(c, j, x->end) - 1;
		else if (out && S_ISDIR(e->mode))
			plan_add(&ex->pending, fd, e->path, &st, e->link, d);
		if (out)
			continue;
		pending_flush(ex, p);
		plan_add(p, fd, e->path, &st, e->link, d);
	}
	pending_trim(ex, "");
	return 0;
}

static int plan_context(struct plan *p, struct bld_builder_context *c,
			const struct bld_ctx_sources *s, const struct bld_copy_req *rq,
			bool dest_dir, struct excl *ex, struct bld_error **err)
{
	int fd = bld_builder_context_fd(c);
	for (size_t i = 0; i < s->n; i++) {
		const struct bld_ctx_source *x = &s->v[i];
		bool out;
		if (excl_match(ex, x->name, &out, err) < 0)
			return -1;
		if (out)
			continue;
		cleanup_free char *root = dest_for(rq->dest, dest_dir, x->name, x->is_dir,
						   NULL);
		struct stat st;
		if (x->ent) {
			entry_stat(x->ent, &st);
			if (!x->is_dir || rq->parents)
				plan_add(p, fd, x->path, &st, x->ent->link, root);
		}
		if (x->is_dir && plan_subtree(p, c, x, root, ex, err) < 0)
			return -1;
	}
	return 0;
}

static int run_plan(int rootfd, const struct plan *p, const struct meta *m,
		    struct bld_error **err)
{
	struct putter pu = {.rootfd = rootfd, .m = m, .dfd = -1};
	for (size_t i = 0; i < p->n; i++) {
		int r = put_entry(&pu, p->dst[i], &p->it[i]);
		if (r < 0) {
			putter_drop(&pu);
			return bld_error_sys(err, -r, "copy %s to %s", p->it[i].src, p->dst[i]);
		}
	}
	putter_drop(&pu);
	for (size_t i = p->n; i > 0; i--)
		if (S_ISDIR(p->it[i - 1].st.st_mode))
			fix_dir_time(rootfd, p->dst[i - 1], &p->it[i - 1]);
	return 0;
}

/* ------------------------------------------------------------------ --parents */

/*
 * COPY --parents as BuildKit reads a source (dockerfile2llb's dispatchCopy): the directory
 * before a "/./" pivot (the context root without one) is copied, with only what the rest of
 * the path matches, as fsutil applies include patterns: .dockerignore's rules ("**" any number
 * of directories, a matched directory bringing its contents), so the path below the pivot is
 * kept under the destination and the directories on the way keep their metadata. A path
 * without wildcards must exist; a pattern that matches nothing copies nothing.
 */
static void parents_split(const char *src, char **base, char **pattern)
{
	const char *pv = strstr(src, "/./");
	cleanup_free char *b = pv ? xstrndup(src, (size_t)(pv - src)) : xstrdup("");
	*base = bld_ctx_rel(b);
	*pattern = bld_ctx_rel(pv ? pv + 3 : src);
}

/* The pattern as exclusions: everything but what it matches, then --exclude's own. */
static char **parents_excludes(const char *pattern, char *const *excludes)
{
	char **v = NULL;
	bld_strv_push(&v, "**");
	cleanup_free char *keep = xasprintf("!%s", pattern);
	bld_strv_push(&v, keep);
	for (size_t i = 0; excludes && excludes[i]; i++)
		bld_strv_push(&v, excludes[i]);
	return v;
}

/* ------------------------------------------------------------------ sources in a rootfs */

static int walk_fs(struct plan *p, int rootfd, const char *src, const char *dst,
		   struct excl *ex, const char *rel, int depth)
{
	if (depth > 256)
		return -ELOOP;
	int fd = bld_fs_open_in_root(rootfd, src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			bld_strv_push(&names, de->d_name);
	closedir(d);
	size_t n = bld_strv_len(names);
	if (n > 1) /* qsort of NULL is undefined even for 0 entries */
		qsort(names, n, sizeof(char *), bld_strcmp_p);
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		/* bld_path_join("/", x) would give "//x" */
		cleanup_free char *s = strcmp(src, "/") == 0 ? xasprintf("/%s", names[i])
							     : bld_path_join(src, names[i]);
		cleanup_free char *t = bld_path_join(dst, names[i]);
		cleanup_free char *rl = *rel ? bld_path_join(rel, names[i]) : xstrdup(names[i]);
		bool out = false;
		if (!ex->err && excl_match(ex, rl, &out, &ex->err) < 0)
			r = -EINVAL;
		struct stat st;
		char link[4096] = "";
		if (r < 0 || fstatat(rootfd, s + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t l = readlinkat(rootfd, s + 1, link, sizeof(link) - 1);
			link[l > 0 ? l : 0] = '\0';
		}
		pending_trim(ex, t);
		if (out && !S_ISDIR(st.st_mode))
			continue;
		if (out && bld_parser_dockerignore_can_skip_dir(ex->m, rl))
			continue;
		if (!out)
			pending_flush(ex, p);
		plan_add(out ? &ex->pending : p, rootfd, s + 1, &st,
			 S_ISLNK(st.st_mode) ? link : NULL, t);
		if (S_ISDIR(st.st_mode))
			r = walk_fs(p, rootfd, s, t, ex, rl, depth + 1);
	}
	bld_strv_free(names);
	return r;
}

/* A directory of a root walked into the plan below dst; errors as a bld_error. */
static int walk_root(struct plan *p, int rootfd, const char *abs, const char *dst,
		     struct excl *ex, struct bld_error **err)
{
	int r = walk_fs(p, rootfd, abs, dst, ex, "", 0);
	pending_trim(ex, "");
	if (r < 0 && ex->err) {
		bld_error_move(err, &ex->err);
		return -1;
	}
	return r < 0 ? bld_error_sys(err, -r, "read %s", abs) : 0;
}

/* Where fd (opened inside the root rootfd) is, relative to the root ("" the root); or NULL. */
static char *in_root_path(int rootfd, int fd)
{
	char a[64], b[64], root[4096], at[4096];
	snprintf(a, sizeof(a), "/proc/self/fd/%d", rootfd);
	snprintf(b, sizeof(b), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(a, root, sizeof(root) - 1);
	ssize_t m = readlink(b, at, sizeof(at) - 1);
	if (n <= 0 || m <= 0)
		return NULL;
	root[n] = at[m] = '\0';
	size_t l = strcmp(root, "/") == 0 ? 0 : (size_t)n;
	if (strncmp(at, root, l) != 0 || (at[l] != '/' && at[l] != '\0'))
		return NULL;
	return xstrdup(at[l] == '/' ? at + l + 1 : at + l);
}

/* One source in another root (symlinks followed inside it) into the plan. */
static int plan_rootfs_one(struct plan *p, int rootfd, const struct bld_copy_req *rq,
			   const char *rel, bool dest_dir, struct excl *ex, struct bld_error **err)
{
	bool out;
	if (excl_match(ex, rel, &out, err) < 0)
		return -1;
	if (out)
		return 0;
	cleanup_free char *abs = xasprintf("/%s", rel);
	int fd = bld_fs_open_in_root(rootfd, abs, O_PATH, 0);
	if (fd < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "\"/%s\": not found", rel);
	struct stat st;
	fstat(fd, &st);
	/* a symlink source is followed: what it resolved to, as a path in the root */
	cleanup_free char *real = in_root_path(rootfd, fd);
	close(fd);
	if (!real)
		return bld_error_set(err, BLD_E_NOTFOUND, "\"/%s\": not found", rel);
	cleanup_free char *d = dest_for(rq->dest, dest_dir, abs, S_ISDIR(st.st_mode), NULL);
	if (!S_ISDIR(st.st_mode)) {
		plan_add(p, rootfd, *real ? real : ".", &st, NULL, d);
		return 0;
	}
	cleanup_free char *real_abs = xasprintf("/%s", real);
	return walk_root(p, rootfd, real_abs, d, ex, err);
}

/*
 * The paths a source names in a root: itself, or what its wildcards match one segment at a
 * time (Go's filepath.Match, as BuildKit's), sorted; a directory's "." and ".." never.
 */
static void rootfs_glob(int rootfd, const char *dir, const char *rest, char ***out)
{
	size_t n = strcspn(rest, "/");
	cleanup_free char *seg = xstrndup(rest, n);
	const char *tail = rest[n] ? rest + n + 1 : NULL;
	if (!bld_ctx_has_wildcard(seg)) {
		cleanup_free char *next = *dir ? xasprintf("%s/%s", dir, seg) : xstrdup(seg);
		cleanup_free char *abs = xasprintf("/%s", next);
		int fd = bld_fs_open_in_root(rootfd, abs, O_PATH, 0);
		if (fd >= 0)
			close(fd);
		if (fd >= 0 && !tail)
			bld_strv_push(out, next);
		else if (fd >= 0)
			rootfs_glob(rootfd, next, tail, out);
		return;
	}
	cleanup_free char *abs = xasprintf("/%s", dir);
	int fd = bld_fs_open_in_root(rootfd, abs, O_RDONLY | O_DIRECTORY, 0);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	cleanup_strv char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    fnmatch(seg, de->d_name, 0) == 0)
			bld_strv_push(&names, de->d_name);
	closedir(d);
	size_t k = bld_strv_len(names);
	if (k > 1)
		qsort(names, k, sizeof(char *), bld_strcmp_p);
	for (size_t i = 0; i < k; i++) {
		cleanup_free char *next = *dir ? xasprintf("%s/%s", dir, names[i]) : xstrdup(names[i]);
		if (tail)
			rootfs_glob(rootfd, next, tail, out);
		else
			bld_strv_push(out, next);
	}
}

/* A --parents source in another root: its pivot directory, only what the pattern keeps. */
static int plan_rootfs_parents(struct plan *p, int rootfd, const struct bld_copy_req *rq,
			       const char *src, struct bld_error **err)
{
	cleanup_free char *base = NULL, *pattern = NULL;
	parents_split(src, &base, &pattern);
	cleanup_free char *abs = xasprintf("/%s", base);
	cleanup_free char *full = xasprintf("/%s%s%s", base, *base ? "/" : "", pattern);
	int fd = bld_fs_open_in_root(rootfd, bld_ctx_has_wildcard(pattern) ? abs : full, O_PATH, 0);
	if (fd < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "\"%s\": not found", full);
	close(fd);
	cleanup_strv char **exs = parents_excludes(pattern, rq->excludes);
	struct excl ex;
	int r = excl_init(&ex, exs, err);
	if (r == 0)
		r = walk_root(p, rootfd, abs, rq->dest, &ex, err);
	excl_dispose(&ex);
	return r;
}

/* COPY --from: each source, its wildcards expanded, into the plan. */
static int plan_rootfs(struct plan *p, int rootfd, const struct bld_copy_req *rq, bool dest_dir,
		       struct excl *ex, struct bld_error **err)
{
	for (size_t i = 0; rq->parents && rq->srcs[i]; i++)
		if (plan_rootfs_parents(p, rootfd, rq, rq->srcs[i], err) < 0)
			return -1;
	for (size_t i = 0; !rq->parents && rq->srcs[i]; i++) {
		cleanup_free char *rel = bld_ctx_rel(rq->srcs[i]);
		cleanup_strv char **m = NULL;
		if (bld_ctx_has_wildcard(rel))
			rootfs_glob(rootfd, "", rel, &m);
		else
			bld_strv_push(&m, rel);
		/* a wildcard that matches nothing copies nothing (BuildKit's AllowEmptyWildcard) */
		for (size_t j = 0; m && m[j]; j++)
			if (plan_rootfs_one(p, rootfd, rq, m[j], dest_dir || m[1], ex, err) < 0)
				return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ the steps */

static bool wants_dir(const struct bld_copy_req *rq)
{
	size_t n = bld_strv_len(rq->srcs) + rq->ncontents;
	size_t dl = strlen(rq->dest);
	if (dl && rq->dest[dl - 1] == '/')
		return true;
	/* a wildcard that matches one file copies it to dest itself (BuildKit's file op) */
	return n > 1;
}

static bool exists_dir(int rootfd, const char *path)
{
	int fd = bld_fs_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* A stage's root, mounted read-only. */
static int open_stage_root(struct bld_build *b, struct bld_bstage *src, struct work *fw,
			   struct bld_error **err)
{
	if (work_begin(b, fw, err) < 0)
		return -1;
	/* an overlay without upper needs two lowers: the empty one goes at the bottom */
	cleanup_strv char **lowers = NULL;
	bld_strv_push(&lowers, b->empty_dir);
	for (size_t i = 0; src->lowers && src->lowers[i]; i++)
		bld_strv_push(&lowers, src->lowers[i]);
	if (!src->lowers || !src->lowers[0])
		bld_strv_push(&lowers, b->empty_dir);
	if (mkdir(fw->merged, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir %s", fw->merged);
	return work_mount(fw, lowers, NULL, err);
}

/* A stage or image root, mounted read-only for COPY --from. */
static int open_from(struct bld_build *b, struct bld_bstage *st, const char *from,
		     struct work *fw, struct bld_error **err)
{
	struct bld_bstage *src = bld_stage_find(b, from, (size_t)st->index);
	if (src)
		return open_stage_root(b, src, fw, err);
	struct bld_bstage tmp;
	memset(&tmp, 0, sizeof(tmp));
	int r = bld_stage_from_image(b, &tmp, from, err);
	if (r == 0)
		r = open_stage_root(b, &tmp, fw, err);
	else
		memset(fw, 0, sizeof(*fw)), fw->rootfd = -1;
	bld_stage_dispose(&tmp);
	return r;
}

int bld_stage_root_open(struct bld_build *b, struct bld_bstage *st, struct bld_from_roots *roots,
			char **path, struct bld_error **err)
{
	struct work *fw = xcalloc(1, sizeof(*fw));
	roots->v = xrealloc(roots->v, (roots->n + 1) * sizeof(void *));
	roots->v[roots->n++] = fw;
	if (open_stage_root(b, st, fw, err) < 0)
		return -1;
	*path = xstrdup(fw->merged);
	return 0;
}

int bld_from_root_open(struct bld_build *b, struct bld_bstage *st, const char *from,
		       struct bld_from_roots *roots, char **path, struct bld_error **err)
{
	struct work *fw = xcalloc(1, sizeof(*fw));
	roots->v = xrealloc(roots->v, (roots->n + 1) * sizeof(void *));
	roots->v[roots->n++] = fw;
	if (open_from(b, st, from, fw, err) < 0)
		return -1;
	*path = xstrdup(fw->merged);
	return 0;
}

int bld_overlay_rw(struct bld_build *b, const char *src, struct bld_from_roots *roots,
		   char **path, struct bld_error **err)
{
	struct work *w = xcalloc(1, sizeof(*w));
	roots->v = xrealloc(roots->v, (roots->n + 1) * sizeof(void *));
	roots->v[roots->n++] = w;
	char *lowers[] = {(char *)src, NULL};
	if (work_open_on(b, w, lowers, err) < 0)
		return -1;
	*path = xstrdup(w->merged);
	return 0;
}

void bld_from_roots_close(struct bld_from_roots *roots)
{
	for (size_t i = 0; i < roots->n; i++) {
		work_dispose(roots->v[i]);
		free(roots->v[i]);
	}
	free(roots->v);
	memset(roots, 0, sizeof(*roots));
}

/* COPY --parents from the context. */

/*
 * The pivot directory of a --parents source (*s, one directory) and the matcher of what it
 * keeps (*ex); BLD_E_NOTFOUND for a plain path that is not there.
 */
static int parents_source(struct bld_builder_context *c, const char *src, char *const *excludes,
			  struct bld_ctx_sources *s, struct excl *ex, struct bld_error **err)
{
	cleanup_free char *base = NULL, *pattern = NULL;
	parents_split(src, &base, &pattern);
	cleanup_free char *full = *base ? bld_path_join(base, pattern) : xstrdup(pattern);
	char *pats[] = {full, NULL};
	if (!bld_ctx_has_wildcard(pattern)) {
		if (bld_ctx_select(c, pats, s, err) < 0)
			return -1;
		bld_ctx_sources_dispose(s);
	}
	pats[0] = *base ? base : ".";
	if (bld_ctx_select(c, pats, s, err) < 0)
		return -1;
	if (!s->v[0].is_dir) {
		bld_ctx_sources_dispose(s);
		return bld_error_set(err, BLD_E_INVALID, "--parents %s: \"/%s\" is not a directory",
				     src, base);
	}
	cleanup_strv char **exs = parents_excludes(pattern, excludes);
	if (excl_init(ex, exs, err) < 0) {
		bld_ctx_sources_dispose(s);
		return -1;
	}
	return 0;
}

static int copy_parents(struct bld_build *b, const struct bld_copy_req *rq, struct work *w,
			const struct meta *m, struct bld_error **err)
{
	struct plan p = {0};
	int r = 0;
	for (size_t i = 0; r == 0 && rq->srcs[i]; i++) {
		struct bld_ctx_sources s;
		struct excl ex;
		if (parents_source(b->bctx, rq->srcs[i], rq->excludes, &s, &ex, err) < 0) {
			r = -1;
			break;
		}
		r = plan_subtree(&p, b->bctx, &s.v[0], rq->dest, &ex, err);
		excl_dispose(&ex);
		bld_ctx_sources_dispose(&s);
	}
	if (r == 0)
		r = run_plan(w->rootfd, &p, m, err);
	plan_dispose(&p);
	return r;
}

static int copy_context(struct bld_build *b, const struct bld_copy_req *rq, struct work *w,
			const struct meta *m, bool dest_dir, struct bld_error **err)
{
	if (rq->parents)
		return copy_parents(b, rq, w, m, err);
	struct bld_ctx_sources s;
	if (bld_ctx_select(b->bctx, rq->srcs, &s, err) < 0)
		return -1;
	struct plan p = {0};
	struct excl ex;
	int r = excl_init(&ex, rq->excludes, err);
	if (r == 0)
		r = plan_context(&p, b->bctx, &s, rq, dest_dir || s.n > 1 || s.v[0].is_dir, &ex, err);
	if (r == 0)
		r = run_plan(w->rootfd, &p, m, err);
	excl_dispose(&ex);
	plan_dispose(&p);
	bld_ctx_sources_dispose(&s);
	return r;
}

static int copy_from(struct bld_build *b, struct bld_bstage *st, const struct bld_copy_req *rq,
		     struct work *w, const struct meta *m, bool dest_dir, struct bld_error **err)
{
	struct work fw;
	if (open_from(b, st, rq->from, &fw, err) < 0) {
		work_dispose(&fw);
		return -1;
	}
	struct plan p = {0};
	struct excl ex;
	int r = excl_init(&ex, rq->excludes, err);
	if (r == 0)
		r = plan_rootfs(&p, fw.rootfd, rq, dest_dir, &ex, err);
	if (r == 0)
		r = run_plan(w->rootfd, &p, m, err);
	excl_dispose(&ex);
	plan_dispose(&p);
	work_dispose(&fw);
	return r;
}

/* ------------------------------------------------------------------ heredoc sources */

int bld_copy_contents_expand(struct bld_copy_req *rq, const struct bld_parser_instruction *in,
			     char *const *env, struct bld_error **err)
{
	if (!rq->srcs) /* heredocs alone: an empty source list, never NULL */
		rq->srcs = xcalloc(1, sizeof(char *));
	rq->contents = xcalloc(in->ncontents + 1, sizeof(*rq->contents));
	for (size_t i = 0; i < in->ncontents; i++) {
		const struct bld_parser_source_content *c = &in->contents[i];
		struct bld_copy_content *o = &rq->contents[rq->ncontents++];
		o->name = xstrdup(c->path);
		if (!c->expand) {
			o->data = xstrdup(c->data);
			continue;
		}
		struct bld_parser_shell_result res;
		if (bld_parser_shell_process(&res, c->data, '\\', BLD_PARSER_SHELL_SKIP_QUOTES, env,
					     err) < 0)
			return bld_error_wrap(err, "heredoc <<%s", c->path);
		o->data = steal_pointer(&res.word);
		bld_parser_shell_result_dispose(&res);
	}
	return 0;
}

void bld_copy_contents_free(struct bld_copy_req *rq)
{
	for (size_t i = 0; i < rq->ncontents; i++) {
		free(rq->contents[i].name);
		free(rq->contents[i].data);
	}
	free(rq->contents);
	rq->contents = NULL;
	rq->ncontents = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Each heredoc becomes a file named after its word (BuildKit: Mkfile 0644 in scratch, then
 * copied like a context file), --chmod and --chown applied.
 */
static int copy_contents(struct bld_build *b, const struct bld_copy_req *rq, struct work *w,
			 const struct meta *m, bool dest_dir, struct bld_error **err)
{
	int64_t now = b->epoch >= 0 ? b->epoch : (int64_t)time(NULL);
	for (size_t i = 0; i < rq->ncontents; i++) {
		const struct bld_copy_content *c = &rq->contents[i];
		cleanup_close int fd = memfd_create("heredoc", MFD_CLOEXEC);
		if (fd < 0)
			return bld_error_sys(err, errno, "memfd_create");
		if (write_all(fd, c->data, strlen(c->data)) < 0)
			return bld_error_sys(err, errno, "heredoc <<%s", c->name);
		cleanup_free char *d = dest_for(rq->dest, dest_dir, c->name, false, NULL);
		if (bld_copy_fd_into(fd, w->rootfd, d, m->chmod ? m->mode : 0644,
				     m->chown ? m->uid : 0, m->chown ? m->gid : 0, now, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * A file destination that is a symlink in the tree, followed inside it to what it names
 * (BuildKit resolves the destination with fs.RootPath: COPY onto /etc/localtime writes the
 * zone file it links to, and a dangling link's target is created); NULL when dest is no link.
 */
static char *dest_through_links(int rootfd, const char *dest)
{
	cleanup_free char *path = bld_path_clean(dest);
	bool followed = false;
	for (int hops = 0; hops < 40 && strcmp(path, "/") != 0; hops++) {
		char *slash = strrchr(path, '/');
		cleanup_free char *dir = slash == path ? xstrdup("/")
						       : xstrndup(path, (size_t)(slash - path));
		int dfd = bld_fs_open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
		if (dfd < 0)
			break;
		char link[4096];
		ssize_t n = readlinkat(dfd, slash + 1, link, sizeof(link) - 1);
		close(dfd);
		if (n <= 0)
			break;
		link[n] = '\0';
		cleanup_free char *joined = link[0] == '/' ? xstrdup(link) : bld_path_join(dir, link);
		free(path);
		path = bld_path_clean(joined);
		followed = true;
	}
	return followed ? steal_pointer(&path) : NULL;
}

/* The copy into w's tree; --chown names are resolved in the tree idfd is the root of. */
static int copy_into(struct bld_build *b, struct bld_bstage *st, const struct bld_copy_req *rq,
		     struct work *w, int idfd, struct bld_error **err)
{
	struct meta m;
	if (meta_init(&m, idfd, rq, err) < 0)
		return -1;
	bool dest_dir = wants_dir(rq) || exists_dir(w->rootfd, rq->dest);
	struct bld_copy_req linked = *rq;
	cleanup_free char *through = dest_dir ? NULL : dest_through_links(w->rootfd, rq->dest);
	if (through) {
		linked.dest = through;
		rq = &linked;
	}
	struct bld_copy_req plain = *rq;
	cleanup_strv char **rest = NULL;
	char *none[] = {NULL};
	int r = 0;
	if (rq->add && !rq->from)
		r = bld_add_special(b, rq, w->rootfd, m.chown, m.uid, m.gid, dest_dir, &rest, err);
	if (rq->add && !rq->from)
		plain.srcs = rest ? rest : none;
	if (r == 0 && rq->from)
		r = copy_from(b, st, rq, w, &m, dest_dir, err);
	else if (r == 0 && plain.srcs[0])
		r = copy_context(b, &plain, w, &m, dest_dir, err);
	if (r == 0 && rq->ncontents)
		r = copy_contents(b, rq, w, &m, dest_dir, err);
	return r;
}

/* ------------------------------------------------------------------ --link */

/*
 * COPY/ADD --link as BuildKit makes it: the files are copied onto an empty tree, so nothing
 * of the layers below is read or followed (a symlinked directory of the base is replaced by
 * a real one in the merged image; the destination is a directory only when it ends in '/'
 * or there are several sources), and missing parents are made 0755, owned as --chown says
 * (fsutil's MkdirAll). The layer is also recorded under rq->link_key, which leaves the steps
 * before out: when one of them changes, the step's own key changes (the image after it is
 * a different chain) but the layer is taken from that record as it is, never made again.
 * A --chown naming a user is resolved in the stage's /etc/passwd and /etc/group: the link
 * key then includes the parent's key.
 */
static int link_reuse(struct bld_build *b, const struct bld_copy_req *rq,
		      struct bld_cache_layer *l)
{
	cleanup_free char *data = NULL;
	struct bld_error *e = NULL;
	json_t *rec = NULL;
	if (bld_cache_build_record_get(b->store, rq->link_key, &data, &e) < 0 ||
	    bld_json_load_buf(&rec, data, strlen(data), &e) < 0) {
		bld_error_free(e);
		return 0;
	}
	json_t *lj = json_object_get(rec, "layer");
	const char *d = bld_json_get_str(lj, "digest"), *id = bld_json_get_str(lj, "diff_id");
	const char *mt = bld_json_get_str(lj, "media_type");
	bool ok = d && id && mt && bld_digest_valid(d) && bld_digest_valid(id) &&
		  strlen(mt) < sizeof(l->media_type) && bld_cache_blob_exists(b->store, d);
	if (ok) {
		memset(l, 0, sizeof(*l));
		memcpy(l->digest, d, BLD_DIGEST_STR_LEN);
		memcpy(l->diff_id, id, BLD_DIGEST_STR_LEN);
		memcpy(l->media_type, mt, strlen(mt) + 1);
		l->size = json_integer_value(json_object_get(lj, "size"));
	}
	json_decref(rec);
	return ok;
}

static void link_record(struct bld_build *b, const struct bld_copy_req *rq,
			const struct bld_cache_layer *l)
{
	json_t *rec = json_pack("{s:i, s:b, s:{s:s, s:s, s:I, s:s}, s:[s]}", "v", 1, "link", 1,
				"layer", "digest", l->digest, "diff_id", l->diff_id, "size",
				(json_int_t)l->size, "media_type", l->media_type, "blobs",
				l->digest);
	cleanup_free char *s = bld_json_dump_canonical(rec);
	json_decref(rec);
	struct bld_error *e = NULL;
	if (bld_cache_build_record_put(b->store, rq->link_key, s, &e) < 0)
		bld_debug("record --link layer: %s", e->msg);
	bld_error_free(e);
}

static int link_step(struct bld_build *b, struct bld_bstage *st, const struct bld_copy_req *rq,
		     struct bld_cache_layer *layer, bool *made, struct bld_error **err)
{
	*made = false;
	if (!st->no_cache && link_reuse(b, rq, layer)) {
		*made = true;
		return 0;
	}
	struct work w, ids;
	memset(&ids, 0, sizeof(ids));
	ids.rootfd = -1;
	char *empty[] = {b->empty_dir, NULL};
	int r = work_open_on(b, &w, empty, err);
	int idfd = w.rootfd;
	if (r == 0 && rq->chown && *rq->chown) { /* users and groups of the layers below */
		r = open_stage_root(b, st, &ids, err);
		idfd = ids.rootfd;
	}
	if (r == 0)
		r = copy_into(b, st, rq, &w, idfd, err);
	work_dispose(&ids);
	if (r == 0)
		r = work_commit(b, st, &w, layer, made, err);
	if (r == 0 && *made)
		link_record(b, rq, layer);
	work_dispose(&w);
	return r;
}

int bld_copy_step(struct bld_build *b, struct bld_bstage *st, const struct bld_copy_req *rq,
		  struct bld_cache_layer *layer, bool *layer_made, struct bld_error **err)
{
	if (rq->link)
		return link_step(b, st, rq, layer, layer_made, err);
	struct work w;
	int r = work_open(b, st, &w, err);
	if (r == 0)
		r = copy_into(b, st, rq, &w, w.rootfd, err);
	if (r == 0)
		r = work_commit(b, st, &w, layer, layer_made, err);
	work_dispose(&w);
	return r;
}

int bld_mkdir_step(struct bld_build *b, struct bld_bstage *st, const char *path,
		   struct bld_cache_layer *layer, bool *layer_made, struct bld_error **err)
{
	struct work w;
	int r = work_open(b, st, &w, err);
	if (r == 0 && !exists_dir(w.rootfd, path)) {
		const char *user = bld_img_get_str(st->img, "User");
		struct meta m = {0};
		if (user && *user && resolve_chown(w.rootfd, user, &m, err) < 0)
			r = -1;
		int fd = r == 0 ? bld_mkdirs_in_root(w.rootfd, path, m.uid, m.gid) : -1;
		if (r == 0 && fd < 0)
			r = bld_error_sys(err, -fd, "mkdir %s", path);
		if (fd >= 0)
			close(fd);
	}
	if (r == 0)
		r = work_commit(b, st, &w, layer, layer_made, err);
	work_dispose(&w);
	return r;
}

/* The files each --parents source keeps decide the result. */
static int parents_key(struct bld_build *b, const struct bld_copy_req *rq, struct bld_xxh *h,
		       struct bld_error **err)
{
	for (size_t i = 0; rq->srcs[i]; i++) {
		struct bld_ctx_sources s;
		struct excl ex;
		if (parents_source(b->bctx, rq->srcs[i], rq->excludes, &s, &ex, err) < 0)
			return -1;
		int r = bld_ctx_sources_hash_excluding(b->bctx, &s, ex.m, h, err);
		excl_dispose(&ex);
		bld_ctx_sources_dispose(&s);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int copy_key_body(struct bld_build *b, struct bld_bstage *st,
			 const struct bld_copy_req *rq, struct bld_xxh *h, struct bld_error **err)
{
	bld_xxh_update_str(h, rq->chown);
	bld_xxh_update_str(h, rq->chmod);
	if (rq->parents) /* v2: the "/./" pivot and "**" (v1 kept the whole path) */
		bld_xxh_update_str(h, "--parents v2");
	for (size_t i = 0; i < rq->ncontents; i++) { /* heredocs: what expansion made of them */
		bld_xxh_update_str(h, rq->contents[i].name);
		bld_xxh_update_str(h, rq->contents[i].data);
	}
	if (rq->from) {
		/* a stage's key, or the image the name points at now (not the name: tags move) */
		struct bld_bstage *src = bld_stage_find(b, rq->from, (size_t)st->index);
		struct bld_cache_image *img = NULL;
		struct bld_error *e = NULL;
		if (!src && bld_cache_image_load(b->store, rq->from, &img, &e) == 0)
			bld_xxh_update_str(h, img->id);
		else
			bld_xxh_update_str(h, src ? src->key : rq->from);
		bld_cache_image_free(img);
		bld_error_free(e);
		return 0;
	}
	cleanup_strv char **local = NULL;
	if (rq->parents)
		return parents_key(b, rq, h, err);
	for (size_t i = 0; rq->srcs[i]; i++)
		if (!bld_add_is_remote(rq, rq->srcs[i]))
			bld_strv_push(&local, rq->srcs[i]);
	if (!local)
		return 0;
	struct bld_ctx_sources s;
	if (bld_ctx_select(b->bctx, local, &s, err) < 0)
		return -1;
	struct excl ex; /* excluded files never invalidate the step */
	int r = excl_init(&ex, rq->excludes, err);
	if (r == 0)
		r = bld_ctx_sources_hash_excluding(b->bctx, &s, ex.m, h, err);
	excl_dispose(&ex);
	bld_ctx_sources_dispose(&s);
	return r;
}

/* Whether --chown names a user or group that /etc/passwd or /etc/group must resolve. */
static bool chown_by_name(const char *spec)
{
	for (const char *p = spec; p && *p; p++)
		if ((*p < '0' || *p > '9') && *p != ':')
			return true;
	return false;
}

int bld_copy_key(struct bld_build *b, struct bld_bstage *st, struct bld_copy_req *rq,
		 struct bld_xxh *h, struct bld_error **err)
{
	if (!rq->link)
		return copy_key_body(b, st, rq, h, err);
	/* everything stage.c hashes but the parent's key, and the flags */
	struct bld_xxh *hl = bld_xxh_new();
	bld_xxh_update_str(hl, rq->add ? "ADD --link v1" : "COPY --link v1");
	for (size_t i = 0; rq->srcs[i]; i++)
		bld_xxh_update_str(hl, rq->srcs[i]);
	bld_xxh_update_str(hl, rq->dest);
	for (size_t i = 0; rq->excludes && rq->excludes[i]; i++)
		bld_xxh_update_str(hl, rq->excludes[i]);
	bool flags[] = {rq->parents, rq->keep_git_dir};
	bld_xxh_update(hl, flags, sizeof(flags));
	bld_xxh_update_str(hl, rq->checksum);
	bld_xxh_update_str(hl, rq->from);
	bld_xxh_update(hl, &b->epoch, sizeof(b->epoch)); /* timestamps clamped or not */
	if (chown_by_name(rq->chown)) /* resolved in the layers below: they matter then */
		bld_xxh_update_str(hl, st->key);
	int r = copy_key_body(b, st, rq, hl, err);
	bld_xxh_final(hl, rq->link_key);
	bld_xxh_update_str(h, rq->link_key);
	return r;
}

int bld_copy_dir_into(int srcdir, int rootfd, const char *dest, bool chown, uid_t uid, gid_t gid,
		      bool keep_owner, struct bld_error **err)
{
	struct meta m = {.chown = chown, .uid = uid, .gid = gid, .keep_owner = keep_owner};
	struct excl ex = {0}; /* nothing excluded */
	struct plan p = {0};
	cleanup_free char *d = bld_path_clean(dest);
	int r = walk_fs(&p, srcdir, "/", d, &ex, "", 0);
	if (r < 0)
		r = bld_error_sys(err, -r, "read source directory");
	if (r == 0) {
		int fd = bld_mkdirs_in_root(rootfd, d, chown ? uid : 0, chown ? gid : 0);
		if (fd < 0)
			r = bld_error_sys(err, -fd, "mkdir %s", d);
		else
			close(fd);
	}
	if (r == 0)
		r = run_plan(rootfd, &p, &m, err);
	/* an archive's "./" entry gives the destination its owner, mode and time */
	struct item root = {.srcfd = srcdir, .src = "."};
	if (r == 0 && keep_owner && fstat(srcdir, &root.st) == 0) {
		int dfd = bld_fs_open_in_root(rootfd, d, O_RDONLY | O_DIRECTORY, 0);
		if (dfd >= 0) {
			int e = set_meta(dfd, ".", &root, &m);
			close(dfd);
			if (e < 0)
				r = bld_error_sys(err, -e, "set owner of %s", d);
		}
	}
	plan_dispose(&p);
	return r;
}

int bld_copy_fd_into(int fd, int rootfd, const char *dest, mode_t mode, uid_t uid, gid_t gid,
		     int64_t mtime, struct bld_error **err)
{
	struct meta m = {.chown = true, .uid = uid, .gid = gid, .chmod = true, .mode = mode};
	struct item it;
	memset(&it, 0, sizeof(it));
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	it.srcfd = AT_FDCWD;
	it.src = self;
	it.st.st_mode = S_IFREG | mode;
	it.st.st_mtim.tv_sec = mtime;
	lseek(fd, 0, SEEK_SET);
	cleanup_free char *base = NULL;
	int dfd = open_parent(rootfd, dest, &m, &base);
	if (dfd < 0)
		return bld_error_sys(err, -dfd, "open parent of %s", dest);
	clear_slot(dfd, base, false);
	int out = openat(dfd, base, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool no_cfr = false;
	int r = out < 0 ? -errno : copy_data(fd, out, &no_cfr);
	if (out >= 0)
		close(out);
	if (r == 0)
		r = set_meta(dfd, base, &it, &m);
	close(dfd);
	return r < 0 ? bld_error_sys(err, -r, "write %s", dest) : 0;
}

int bld_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
