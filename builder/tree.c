/*
 * builder/tree.c — writing files into a root, as COPY and ADD write them: a plan of (source
 * entry, destination) pairs, parents before children, put in place with BuildKit's ownership
 * and mode rules (--chown resolved in the root's own /etc/passwd and /etc/group, --chmod,
 * owners kept for --from), an existing entry replaced unless both are directories, and
 * directory times set again once their contents are in; --exclude's patterns applied while a
 * source directory is walked.
 *
 * Every destination is resolved inside the root (bld_fs_open_in_root), never by joining
 * strings. It knows nothing of steps, stages or the context: copy.c and add.c say what to copy.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------------ ownership and modes */

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
int bld_builder_tree_chown_resolve(int rootfd, const char *spec, struct bld_builder_tree_meta *m,
				   struct bld_error **err)
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

int bld_builder_tree_meta_init(struct bld_builder_tree_meta *m, int rootfd,
			       const struct bld_builder_copy_req *rq, struct bld_error **err)
{
	memset(m, 0, sizeof(*m));
	m->keep_owner = rq->from != NULL;
	if (rq->chown && *rq->chown &&
	    bld_builder_tree_chown_resolve(rootfd, rq->chown, m, err) < 0)
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
static int open_parent(int rootfd, const char *path, const struct bld_builder_tree_meta *m,
		       char **base)
{
	cleanup_free char *clean = bld_path_clean(path);
	char *slash = strrchr(clean, '/');
	*base = xstrdup(slash ? slash + 1 : clean);
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	return bld_builder_mkdirs_in_root(rootfd, *clean ? clean : "/", m->chown ? m->uid : 0,
					  m->chown ? m->gid : 0);
}

int bld_builder_mkdirs_in_root(int rootfd, const char *path, uid_t uid, gid_t gid)
{
	int fd = bld_fs_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd != -ENOENT)
		return fd;
	cleanup_free char *clean = bld_path_clean(path);
	char *slash = strrchr(clean, '/');
	if (!slash || !slash[1])
		return -ENOENT;
	*slash = '\0';
	int parent = bld_builder_mkdirs_in_root(rootfd, *clean ? clean : "/", uid, gid);
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

struct bld_builder_tree_item {
	int srcfd;	  /* directory the source path is relative to */
	const char *src;  /* relative source path ("" for the root itself) */
	struct stat st;	  /* the source's metadata */
	const char *link; /* symlink target */
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

static int set_meta(int dfd, const char *base, const struct bld_builder_tree_item *it,
		    const struct bld_builder_tree_meta *m)
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
static int set_meta_fd(int fd, const struct bld_builder_tree_item *it,
		       const struct bld_builder_tree_meta *m)
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

static int write_file(int dfd, const char *base, const struct bld_builder_tree_item *it,
		      const struct bld_builder_tree_meta *m, bool *no_cfr)
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
	const struct bld_builder_tree_meta *m;
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
static int put_entry(struct putter *pu, const char *dst, const struct bld_builder_tree_item *it)
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
static void fix_dir_time(int rootfd, const char *dst, const struct bld_builder_tree_item *it)
{
	int fd = bld_fs_open_in_root(rootfd, dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return;
	struct timespec ts[2] = {it->st.st_mtim, it->st.st_mtim};
	futimens(fd, ts);
	close(fd);
}

/* ------------------------------------------------------------------ plans */

void bld_builder_tree_plan_add(struct bld_builder_tree_plan *p, int srcfd, const char *src,
			       const struct stat *st, const char *link, const char *dst)
{
	p->it = xrealloc(p->it, (p->n + 1) * sizeof(*p->it));
	p->dst = xrealloc(p->dst, (p->n + 2) * sizeof(*p->dst));
	p->links = xrealloc(p->links, (p->n + 2) * sizeof(*p->links));
	p->links[p->n] = link ? xstrdup(link) : NULL;
	p->it[p->n] = (struct bld_builder_tree_item){
	    .srcfd = srcfd, .src = xstrdup(src), .st = *st, .link = p->links[p->n]};
	p->dst[p->n] = xstrdup(dst);
	p->n++;
	p->dst[p->n] = NULL;
}

void bld_builder_tree_plan_dispose(struct bld_builder_tree_plan *p)
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
static void plan_pop(struct bld_builder_tree_plan *p)
{
	p->n--;
	free((char *)p->it[p->n].src);
	free(p->dst[p->n]);
	free(p->links[p->n]);
	p->dst[p->n] = NULL;
}

/* ------------------------------------------------------------------ --exclude */

int bld_builder_tree_excl_init(struct bld_builder_tree_excl *x, char *const *patterns,
			       struct bld_error **err)
{
	memset(x, 0, sizeof(*x));
	if (!patterns || !patterns[0])
		return 0;
	if (bld_parser_dockerignore_new(&x->m, patterns, err) < 0)
		return bld_error_wrap(err, "--exclude");
	return 0;
}

void bld_builder_tree_excl_dispose(struct bld_builder_tree_excl *x)
{
	bld_parser_dockerignore_free(x->m);
	bld_builder_tree_plan_dispose(&x->pending);
	bld_error_free(x->err);
}

int bld_builder_tree_excl_match(struct bld_builder_tree_excl *x, const char *rel, bool *out,
				struct bld_error **err)
{
	*out = false;
	if (!x->m || !*rel)
		return 0;
	if (bld_parser_dockerignore_match(x->m, rel, out, err) < 0)
		return bld_error_wrap(err, "--exclude");
	return 0;
}

/* Forgets pending directories that are not above dst (the walk left them). */
void bld_builder_tree_excl_pending_trim(struct bld_builder_tree_excl *x, const char *dst)
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
void bld_builder_tree_excl_pending_flush(struct bld_builder_tree_excl *x,
					 struct bld_builder_tree_plan *p)
{
	for (size_t i = 0; i < x->pending.n; i++) {
		const struct bld_builder_tree_item *it = &x->pending.it[i];
		bld_builder_tree_plan_add(p, it->srcfd, it->src, &it->st, it->link,
					  x->pending.dst[i]);
	}
	while (x->pending.n)
		plan_pop(&x->pending);
}

int bld_builder_tree_plan_run(int rootfd, const struct bld_builder_tree_plan *p,
			      const struct bld_builder_tree_meta *m, struct bld_error **err)
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

static int walk_fs(struct bld_builder_tree_plan *p, int rootfd, const char *src, const char *dst,
		   struct bld_builder_tree_excl *ex, const char *rel, int depth)
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
		qsort(names, n, sizeof(char *), bld_builder_strcmp_p);
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		/* bld_path_join("/", x) would give "//x" */
		cleanup_free char *s = strcmp(src, "/") == 0 ? xasprintf("/%s", names[i])
							     : bld_path_join(src, names[i]);
		cleanup_free char *t = bld_path_join(dst, names[i]);
		cleanup_free char *rl = *rel ? bld_path_join(rel, names[i]) : xstrdup(names[i]);
		bool out = false;
		if (!ex->err && bld_builder_tree_excl_match(ex, rl, &out, &ex->err) < 0)
			r = -EINVAL;
		struct stat st;
		char link[4096] = "";
		if (r < 0 || fstatat(rootfd, s + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t l = readlinkat(rootfd, s + 1, link, sizeof(link) - 1);
			link[l > 0 ? l : 0] = '\0';
		}
		bld_builder_tree_excl_pending_trim(ex, t);
		if (out && !S_ISDIR(st.st_mode))
			continue;
		if (out && bld_parser_dockerignore_can_skip_dir(ex->m, rl))
			continue;
		if (!out)
			bld_builder_tree_excl_pending_flush(ex, p);
		bld_builder_tree_plan_add(out ? &ex->pending : p, rootfd, s + 1, &st,
					  S_ISLNK(st.st_mode) ? link : NULL, t);
		if (S_ISDIR(st.st_mode))
			r = walk_fs(p, rootfd, s, t, ex, rl, depth + 1);
	}
	bld_strv_free(names);
	return r;
}

/* A directory of a root walked into the plan below dst; errors as a bld_error. */
int bld_builder_tree_walk_root(struct bld_builder_tree_plan *p, int rootfd, const char *abs,
			       const char *dst, struct bld_builder_tree_excl *ex,
			       struct bld_error **err)
{
	int r = walk_fs(p, rootfd, abs, dst, ex, "", 0);
	bld_builder_tree_excl_pending_trim(ex, "");
	if (r < 0 && ex->err) {
		bld_error_move(err, &ex->err);
		return -1;
	}
	return r < 0 ? bld_error_sys(err, -r, "read %s", abs) : 0;
}

int bld_builder_copy_dir_contents(int srcdir, int rootfd, const char *dest, bool chown,
				  uid_t uid, gid_t gid, bool keep_owner, struct bld_error **err)
{
	struct bld_builder_tree_meta m = {
	    .chown = chown, .uid = uid, .gid = gid, .keep_owner = keep_owner};
	struct bld_builder_tree_excl ex = {0}; /* nothing excluded */
	struct bld_builder_tree_plan p = {0};
	cleanup_free char *d = bld_path_clean(dest);
	int r = walk_fs(&p, srcdir, "/", d, &ex, "", 0);
	if (r < 0)
		r = bld_error_sys(err, -r, "read source directory");
	if (r == 0) {
		int fd = bld_builder_mkdirs_in_root(rootfd, d, chown ? uid : 0, chown ? gid : 0);
		if (fd < 0)
			r = bld_error_sys(err, -fd, "mkdir %s", d);
		else
			close(fd);
	}
	if (r == 0)
		r = bld_builder_tree_plan_run(rootfd, &p, &m, err);
	bld_builder_tree_plan_dispose(&p);
	return r;
}

int bld_builder_copy_dir_into(int srcdir, int rootfd, const char *dest, bool chown, uid_t uid,
			      gid_t gid, bool keep_owner, struct bld_error **err)
{
	int r = bld_builder_copy_dir_contents(srcdir, rootfd, dest, chown, uid, gid, keep_owner,
					      err);
	/* with keep_owner, the source directory gives the destination its owner, mode and
	 * time */
	struct bld_builder_tree_meta m = {
	    .chown = chown, .uid = uid, .gid = gid, .keep_owner = keep_owner};
	struct bld_builder_tree_item root = {.srcfd = srcdir, .src = "."};
	cleanup_free char *d = bld_path_clean(dest);
	if (r == 0 && keep_owner && fstat(srcdir, &root.st) == 0) {
		int dfd = bld_fs_open_in_root(rootfd, d, O_RDONLY | O_DIRECTORY, 0);
		if (dfd >= 0) {
			int e = set_meta(dfd, ".", &root, &m);
			close(dfd);
			if (e < 0)
				r = bld_error_sys(err, -e, "set owner of %s", d);
		}
	}
	return r;
}

int bld_builder_copy_fd_into(int fd, int rootfd, const char *dest, mode_t mode, uid_t uid,
			     gid_t gid, int64_t mtime, struct bld_error **err)
{
	struct bld_builder_tree_meta m = {
	    .chown = true, .uid = uid, .gid = gid, .chmod = true, .mode = mode};
	struct bld_builder_tree_item it;
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

int bld_builder_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
