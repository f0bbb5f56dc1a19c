/*
 * builder/copy.c — COPY, ADD and WORKDIR's directory: files from the build context (only
 * what .dockerignore lets through) or a named directory context, from another stage or
 * image (--from), from a URL or a git repository (ADD), written into an overlay of the
 * stage's layers with a fresh upper directory that becomes the step's layer. BuildKit's
 * rules: a directory source copies its contents; several sources or a wildcard need a
 * directory destination; context files become root-owned unless --chown; modes and mtimes
 * are kept unless --chmod; a final symlink in a source path is followed; local tars are
 * unpacked by ADD.
 *
 * Here is what to copy: the sources selected from the context, from a stage or image root
 * (wildcards, --parents, --exclude), heredoc contents, --link's own layer and the step's
 * cache key. How files are written into the root is tree.c's; the overlay the step writes
 * into, and the --from roots, are workspace.c's; ADD's URLs, git and archives are add.c's.
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

static void entry_stat(const struct bld_builder_ctx_entry *e, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = e->mode;
	st->st_uid = e->uid;
	st->st_gid = e->gid;
	st->st_size = e->size;
	st->st_mtim.tv_sec = e->mtime_ns / 1000000000LL;
	st->st_mtim.tv_nsec = e->mtime_ns % 1000000000LL;
}

/* The context files come from: a named one (--from a named directory) or the build's. */
static struct bld_builder_context *files_of(struct bld_builder_job *b,
					    const struct bld_builder_copy_req *rq)
{
	return rq->src_ctx ? rq->src_ctx : b->bctx;
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
static int plan_subtree(struct bld_builder_tree_plan *p, struct bld_builder_context *c,
			const struct bld_builder_ctx_source *x, const char *root,
			struct bld_builder_tree_excl *ex, struct bld_error **err)
{
	int fd = bld_builder_context_fd(c);
	size_t skip = *x->path ? strlen(x->path) + 1 : 0;
	for (size_t j = x->first; j < x->end; j++) {
		const struct bld_builder_ctx_entry *e = &c->ents[j];
		const char *rel = e->path + skip;
		bool out;
		if (bld_builder_tree_excl_match(ex, rel, &out, err) < 0)
			return -1;
		struct stat st;
		entry_stat(e, &st);
		cleanup_free char *d = bld_path_join(root, rel);
		bld_builder_tree_excl_pending_trim(ex, d);
		if (out && S_ISDIR(e->mode) && bld_parser_dockerignore_can_skip_dir(ex->m, rel))
			j = subtree_end(c, j, x->end) - 1;
		else if (out && S_ISDIR(e->mode))
			bld_builder_tree_plan_add(&ex->pending, fd, e->path, &st, e->link, d);
		if (out)
			continue;
		bld_builder_tree_excl_pending_flush(ex, p);
		bld_builder_tree_plan_add(p, fd, e->path, &st, e->link, d);
	}
	bld_builder_tree_excl_pending_trim(ex, "");
	return 0;
}

static int plan_context(struct bld_builder_tree_plan *p, struct bld_builder_context *c,
			const struct bld_builder_ctx_sources *s,
			const struct bld_builder_copy_req *rq, bool dest_dir,
			struct bld_builder_tree_excl *ex, struct bld_error **err)
{
	int fd = bld_builder_context_fd(c);
	for (size_t i = 0; i < s->n; i++) {
		const struct bld_builder_ctx_source *x = &s->v[i];
		bool out;
		if (bld_builder_tree_excl_match(ex, x->name, &out, err) < 0)
			return -1;
		if (out)
			continue;
		cleanup_free char *root = dest_for(rq->dest, dest_dir, x->name, x->is_dir,
						   NULL);
		struct stat st;
		if (x->ent) {
			entry_stat(x->ent, &st);
			if (!x->is_dir || rq->parents)
				bld_builder_tree_plan_add(p, fd, x->path, &st, x->ent->link, root);
		}
		if (x->is_dir && plan_subtree(p, c, x, root, ex, err) < 0)
			return -1;
	}
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
	*base = bld_builder_ctx_rel(b);
	*pattern = bld_builder_ctx_rel(pv ? pv + 3 : src);
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
static int plan_rootfs_one(struct bld_builder_tree_plan *p, int rootfd,
			   const struct bld_builder_copy_req *rq, const char *rel, bool dest_dir,
			   struct bld_builder_tree_excl *ex, struct bld_error **err)
{
	bool out;
	if (bld_builder_tree_excl_match(ex, rel, &out, err) < 0)
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
		bld_builder_tree_plan_add(p, rootfd, *real ? real : ".", &st, NULL, d);
		return 0;
	}
	cleanup_free char *real_abs = xasprintf("/%s", real);
	return bld_builder_tree_walk_root(p, rootfd, real_abs, d, ex, err);
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
	if (!bld_builder_ctx_has_wildcard(seg)) {
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
		qsort(names, k, sizeof(char *), bld_builder_strcmp_p);
	for (size_t i = 0; i < k; i++) {
		cleanup_free char *next = *dir ? xasprintf("%s/%s", dir, names[i]) : xstrdup(names[i]);
		if (tail)
			rootfs_glob(rootfd, next, tail, out);
		else
			bld_strv_push(out, next);
	}
}

/* A --parents source in another root: its pivot directory, only what the pattern keeps. */
static int plan_rootfs_parents(struct bld_builder_tree_plan *p, int rootfd,
			       const struct bld_builder_copy_req *rq, const char *src,
			       struct bld_error **err)
{
	cleanup_free char *base = NULL, *pattern = NULL;
	parents_split(src, &base, &pattern);
	cleanup_free char *abs = xasprintf("/%s", base);
	cleanup_free char *full = xasprintf("/%s%s%s", base, *base ? "/" : "", pattern);
	int fd = bld_fs_open_in_root(rootfd, bld_builder_ctx_has_wildcard(pattern) ? abs : full,
				     O_PATH, 0);
	if (fd < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "\"%s\": not found", full);
	close(fd);
	cleanup_strv char **exs = parents_excludes(pattern, rq->excludes);
	struct bld_builder_tree_excl ex;
	int r = bld_builder_tree_excl_init(&ex, exs, err);
	if (r == 0)
		r = bld_builder_tree_walk_root(p, rootfd, abs, rq->dest, &ex, err);
	bld_builder_tree_excl_dispose(&ex);
	return r;
}

/* COPY --from: each source, its wildcards expanded, into the plan. */
static int plan_rootfs(struct bld_builder_tree_plan *p, int rootfd,
		       const struct bld_builder_copy_req *rq, bool dest_dir,
		       struct bld_builder_tree_excl *ex, struct bld_error **err)
{
	for (size_t i = 0; rq->parents && rq->srcs[i]; i++)
		if (plan_rootfs_parents(p, rootfd, rq, rq->srcs[i], err) < 0)
			return -1;
	for (size_t i = 0; !rq->parents && rq->srcs[i]; i++) {
		cleanup_free char *rel = bld_builder_ctx_rel(rq->srcs[i]);
		cleanup_strv char **m = NULL;
		if (bld_builder_ctx_has_wildcard(rel))
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

static bool wants_dir(const struct bld_builder_copy_req *rq)
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

/* COPY --parents from the context. */

/*
 * The pivot directory of a --parents source (*s, one directory) and the matcher of what it
 * keeps (*ex); BLD_E_NOTFOUND for a plain path that is not there.
 */
static int parents_source(struct bld_builder_context *c, const char *src, char *const *excludes,
			  struct bld_builder_ctx_sources *s, struct bld_builder_tree_excl *ex,
			  struct bld_error **err)
{
	cleanup_free char *base = NULL, *pattern = NULL;
	parents_split(src, &base, &pattern);
	cleanup_free char *full = *base ? bld_path_join(base, pattern) : xstrdup(pattern);
	char *pats[] = {full, NULL};
	if (!bld_builder_ctx_has_wildcard(pattern)) {
		if (bld_builder_ctx_select(c, pats, s, err) < 0)
			return -1;
		bld_builder_ctx_sources_dispose(s);
	}
	pats[0] = *base ? base : ".";
	if (bld_builder_ctx_select(c, pats, s, err) < 0)
		return -1;
	if (!s->v[0].is_dir) {
		bld_builder_ctx_sources_dispose(s);
		return bld_error_set(err, BLD_E_INVALID, "--parents %s: \"/%s\" is not a directory",
				     src, base);
	}
	cleanup_strv char **exs = parents_excludes(pattern, excludes);
	if (bld_builder_tree_excl_init(ex, exs, err) < 0) {
		bld_builder_ctx_sources_dispose(s);
		return -1;
	}
	return 0;
}

static int copy_parents(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
			struct bld_builder_work *w, const struct bld_builder_tree_meta *m,
			struct bld_error **err)
{
	struct bld_builder_tree_plan p = {0};
	int r = 0;
	for (size_t i = 0; r == 0 && rq->srcs[i]; i++) {
		struct bld_builder_ctx_sources s;
		struct bld_builder_tree_excl ex;
		if (parents_source(files_of(b, rq), rq->srcs[i], rq->excludes, &s, &ex, err) < 0) {
			r = -1;
			break;
		}
		r = plan_subtree(&p, files_of(b, rq), &s.v[0], rq->dest, &ex, err);
		bld_builder_tree_excl_dispose(&ex);
		bld_builder_ctx_sources_dispose(&s);
	}
	if (r == 0)
		r = bld_builder_tree_plan_run(w->rootfd, &p, m, err);
	bld_builder_tree_plan_dispose(&p);
	return r;
}

static int copy_context(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
			struct bld_builder_work *w, const struct bld_builder_tree_meta *m,
			bool dest_dir, struct bld_error **err)
{
	if (rq->parents)
		return copy_parents(b, rq, w, m, err);
	struct bld_builder_context *c = files_of(b, rq);
	struct bld_builder_ctx_sources s;
	if (bld_builder_ctx_select(c, rq->srcs, &s, err) < 0)
		return -1;
	struct bld_builder_tree_plan p = {0};
	struct bld_builder_tree_excl ex;
	int r = bld_builder_tree_excl_init(&ex, rq->excludes, err);
	if (r == 0)
		r = plan_context(&p, c, &s, rq, dest_dir || s.n > 1 || s.v[0].is_dir, &ex, err);
	if (r == 0)
		r = bld_builder_tree_plan_run(w->rootfd, &p, m, err);
	bld_builder_tree_excl_dispose(&ex);
	bld_builder_tree_plan_dispose(&p);
	bld_builder_ctx_sources_dispose(&s);
	return r;
}

static int copy_from(struct bld_builder_job *b, struct bld_builder_stage *st,
		     const struct bld_builder_copy_req *rq, struct bld_builder_work *w,
		     const struct bld_builder_tree_meta *m, bool dest_dir, struct bld_error **err)
{
	struct bld_builder_work fw;
	if (bld_builder_work_open_from(b, st, rq->from, &fw, err) < 0) {
		bld_builder_work_dispose(&fw);
		return -1;
	}
	struct bld_builder_tree_plan p = {0};
	struct bld_builder_tree_excl ex;
	int r = bld_builder_tree_excl_init(&ex, rq->excludes, err);
	if (r == 0)
		r = plan_rootfs(&p, fw.rootfd, rq, dest_dir, &ex, err);
	if (r == 0)
		r = bld_builder_tree_plan_run(w->rootfd, &p, m, err);
	bld_builder_tree_excl_dispose(&ex);
	bld_builder_tree_plan_dispose(&p);
	bld_builder_work_dispose(&fw);
	return r;
}

/* ------------------------------------------------------------------ heredoc sources */

int bld_builder_copy_contents_expand(struct bld_builder_copy_req *rq,
				     const struct bld_parser_instruction *in, char *const *env,
				     struct bld_error **err)
{
	if (!rq->srcs) /* heredocs alone: an empty source list, never NULL */
		rq->srcs = xcalloc(1, sizeof(char *));
	rq->contents = xcalloc(in->ncontents + 1, sizeof(*rq->contents));
	for (size_t i = 0; i < in->ncontents; i++) {
		const struct bld_parser_source_content *c = &in->contents[i];
		struct bld_builder_copy_content *o = &rq->contents[rq->ncontents++];
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

void bld_builder_copy_contents_free(struct bld_builder_copy_req *rq)
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
static int copy_contents(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
			 struct bld_builder_work *w, const struct bld_builder_tree_meta *m,
			 bool dest_dir, struct bld_error **err)
{
	int64_t now = b->epoch >= 0 ? b->epoch : (int64_t)time(NULL);
	for (size_t i = 0; i < rq->ncontents; i++) {
		const struct bld_builder_copy_content *c = &rq->contents[i];
		cleanup_close int fd = memfd_create("heredoc", MFD_CLOEXEC);
		if (fd < 0)
			return bld_error_sys(err, errno, "memfd_create");
		if (write_all(fd, c->data, strlen(c->data)) < 0)
			return bld_error_sys(err, errno, "heredoc <<%s", c->name);
		cleanup_free char *d = dest_for(rq->dest, dest_dir, c->name, false, NULL);
		if (bld_builder_copy_fd_into(fd, w->rootfd, d, m->chmod ? m->mode : 0644,
					     m->chown ? m->uid : 0, m->chown ? m->gid : 0, now,
					     err) < 0)
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
static int copy_into(struct bld_builder_job *b, struct bld_builder_stage *st,
		     const struct bld_builder_copy_req *rq, struct bld_builder_work *w, int idfd,
		     struct bld_error **err)
{
	struct bld_builder_tree_meta m;
	if (bld_builder_tree_meta_init(&m, idfd, rq, err) < 0)
		return -1;
	bool dest_dir = wants_dir(rq) || exists_dir(w->rootfd, rq->dest);
	struct bld_builder_copy_req linked = *rq;
	cleanup_free char *through = dest_dir ? NULL : dest_through_links(w->rootfd, rq->dest);
	if (through) {
		linked.dest = through;
		rq = &linked;
	}
	struct bld_builder_copy_req plain = *rq;
	cleanup_strv char **rest = NULL;
	char *none[] = {NULL};
	int r = 0;
	if (rq->add && !rq->from)
		r = bld_builder_add_special(b, rq, w->rootfd, m.chown, m.uid, m.gid, dest_dir,
					    &rest, err);
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
static int link_step(struct bld_builder_job *b, struct bld_builder_stage *st,
		     const struct bld_builder_copy_req *rq, struct bld_cache_layer *layer,
		     bool *made, struct bld_error **err)
{
	*made = false;
	if (!st->no_cache && bld_builder_layer_record_get(b, rq->link_key, layer)) {
		*made = true;
		return 0;
	}
	struct bld_builder_work w, ids;
	memset(&ids, 0, sizeof(ids));
	ids.rootfd = -1;
	char *empty[] = {b->empty_dir, NULL};
	int r = bld_builder_work_open_on(b, &w, empty, err);
	int idfd = w.rootfd;
	if (r == 0 && rq->chown && *rq->chown) { /* users and groups of the layers below */
		r = bld_builder_work_open_stage(b, st, &ids, err);
		idfd = ids.rootfd;
	}
	if (r == 0)
		r = copy_into(b, st, rq, &w, idfd, err);
	bld_builder_work_dispose(&ids);
	if (r == 0)
		r = bld_builder_work_commit(b, st, &w, layer, made, err);
	if (r == 0 && *made)
		bld_builder_layer_record_put(b, rq->link_key, layer);
	bld_builder_work_dispose(&w);
	return r;
}

int bld_builder_copy_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			  const struct bld_builder_copy_req *rq, struct bld_cache_layer *layer,
			  bool *layer_made, struct bld_error **err)
{
	if (rq->link)
		return link_step(b, st, rq, layer, layer_made, err);
	struct bld_builder_work w;
	int r = bld_builder_work_open(b, st, &w, err);
	if (r == 0)
		r = copy_into(b, st, rq, &w, w.rootfd, err);
	if (r == 0)
		r = bld_builder_work_commit(b, st, &w, layer, layer_made, err);
	bld_builder_work_dispose(&w);
	return r;
}

int bld_builder_mkdir_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const char *path, struct bld_cache_layer *layer, bool *layer_made,
			   struct bld_error **err)
{
	struct bld_builder_work w;
	int r = bld_builder_work_open(b, st, &w, err);
	if (r == 0 && !exists_dir(w.rootfd, path)) {
		const char *user = bld_builder_img_get_str(st->img, "User");
		struct bld_builder_tree_meta m = {0};
		if (user && *user && bld_builder_tree_chown_resolve(w.rootfd, user, &m, err) < 0)
			r = -1;
		int fd = r == 0 ? bld_builder_mkdirs_in_root(w.rootfd, path, m.uid, m.gid) : -1;
		if (r == 0 && fd < 0)
			r = bld_error_sys(err, -fd, "mkdir %s", path);
		if (fd >= 0)
			close(fd);
	}
	if (r == 0)
		r = bld_builder_work_commit(b, st, &w, layer, layer_made, err);
	bld_builder_work_dispose(&w);
	return r;
}

/* The files each --parents source keeps decide the result. */
static int parents_key(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
		       struct bld_xxh *h, json_t *rec, struct bld_error **err)
{
	for (size_t i = 0; rq->srcs[i]; i++) {
		struct bld_builder_ctx_sources s;
		struct bld_builder_tree_excl ex;
		if (parents_source(files_of(b, rq), rq->srcs[i], rq->excludes, &s, &ex, err) < 0)
			return -1;
		int r = bld_builder_ctx_sources_hash_excluding(files_of(b, rq), &s, ex.m, h, rec,
							       err);
		bld_builder_tree_excl_dispose(&ex);
		bld_builder_ctx_sources_dispose(&s);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* explain.c's inputs of a COPY --from: what the key took of the stage or image. */
static void record_from(struct bld_builder_job *b, struct bld_builder_stage *st,
			const struct bld_builder_copy_req *rq, json_t *rec)
{
	char hex[BLD_XXH_HEX_LEN + 1];
	struct bld_xxh *x = bld_xxh_new();
	bld_builder_from_key(b, st, rq->from, x);
	bld_xxh_final(x, hex);
	cleanup_free char *label = xasprintf("--from=%s", rq->from);
	bld_builder_explain_add(rec, label, json_string(hex));
}

static int copy_key_body(struct bld_builder_job *b, struct bld_builder_stage *st,
			 const struct bld_builder_copy_req *rq, struct bld_xxh *h, json_t *rec,
			 struct bld_error **err)
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
		bld_builder_from_key(b, st, rq->from, h);
		if (rec)
			record_from(b, st, rq, rec);
		return 0;
	}
	cleanup_strv char **local = NULL;
	if (rq->parents)
		return parents_key(b, rq, h, rec, err);
	for (size_t i = 0; rq->srcs[i]; i++)
		if (!bld_builder_add_is_remote(rq, rq->srcs[i]))
			bld_strv_push(&local, rq->srcs[i]);
	if (!local)
		return 0;
	struct bld_builder_ctx_sources s;
	if (bld_builder_ctx_select(files_of(b, rq), local, &s, err) < 0)
		return -1;
	struct bld_builder_tree_excl ex; /* excluded files never invalidate the step */
	int r = bld_builder_tree_excl_init(&ex, rq->excludes, err);
	if (r == 0)
		r = bld_builder_ctx_sources_hash_excluding(files_of(b, rq), &s, ex.m, h, rec, err);
	bld_builder_tree_excl_dispose(&ex);
	bld_builder_ctx_sources_dispose(&s);
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

int bld_builder_copy_key(struct bld_builder_job *b, struct bld_builder_stage *st,
			 struct bld_builder_copy_req *rq, struct bld_xxh *h, json_t *rec,
			 struct bld_error **err)
{
	if (!rq->link)
		return copy_key_body(b, st, rq, h, rec, err);
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
	int r = copy_key_body(b, st, rq, hl, rec, err);
	bld_xxh_final(hl, rq->link_key);
	bld_xxh_update_str(h, rq->link_key);
	return r;
}
