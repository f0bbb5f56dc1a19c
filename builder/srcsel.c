/*
 * builder/srcsel.c — which context files a COPY/ADD source names: a path (a symlink at the
 * end followed inside the context, as BuildKit does) or a wildcard pattern with Go's
 * filepath.Match rules (`*`, `?`, `[...]`, `\` escapes; `*` stops at `/`, dotfiles match),
 * and the fingerprints of exactly those files for the step's cache key.
 *
 * Paths never leave the context: "..", a leading "/" and link targets are resolved as if
 * the context root were "/". It copies nothing (copy.c does).
 */
#include "builder/builder_int.h"

#include <fnmatch.h>

#define MAX_LINK_HOPS 40

bool bld_builder_ctx_has_wildcard(const char *p) { return strpbrk(p, "*?[") != NULL; }

/* A user's path made relative to the root: "/a/../b/" -> "b", "/" or "." -> "". */
char *bld_builder_ctx_rel(const char *path)
{
	cleanup_free char *rooted = xasprintf("/%s", path);
	char *clean = bld_path_clean(rooted);
	memmove(clean, clean + 1, strlen(clean));
	return clean;
}

/* Follows a symlink entry to what it names inside the context; NULL when dangling. */
static struct bld_builder_ctx_entry *follow(struct bld_builder_context *c,
					    struct bld_builder_ctx_entry *e, char **path)
{
	for (int hops = 0; e && S_ISLNK(e->mode); hops++) {
		if (hops >= MAX_LINK_HOPS)
			return NULL;
		char *slash = strrchr(*path, '/');
		cleanup_free char *dir = slash ? xstrndup(*path, (size_t)(slash - *path)) : xstrdup("");
		cleanup_free char *joined = e->link[0] == '/' ? xstrdup(e->link)
							      : xasprintf("%s/%s", dir, e->link);
		free(*path);
		*path = bld_builder_ctx_rel(joined);
		if (!**path)
			return NULL; /* the root itself: handled by the caller as a directory */
		e = bld_builder_ctx_lookup(c, *path);
	}
	return e;
}

static void add_source(struct bld_builder_ctx_sources *s, struct bld_builder_context *c,
		       const char *name, const char *path, struct bld_builder_ctx_entry *e)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	struct bld_builder_ctx_source *x = &s->v[s->n++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	x->path = xstrdup(path);
	x->ent = e;
	x->is_dir = !e || S_ISDIR(e->mode);
	if (x->is_dir)
		bld_builder_ctx_subtree(c, path, &x->first, &x->end);
}

/* One matched path: the root, a file, a directory, or a link followed to one of those. */
static int add_path(struct bld_builder_ctx_sources *s, struct bld_builder_context *c,
		    const char *rel, const char *shown, struct bld_error **err)
{
	if (!*rel) {
		add_source(s, c, "", "", NULL);
		return 0;
	}
	cleanup_free char *path = xstrdup(rel);
	struct bld_builder_ctx_entry *e = bld_builder_ctx_lookup(c, path);
	if (e && S_ISLNK(e->mode)) {
		e = follow(c, e, &path);
		if (!e && !*path) {
			add_source(s, c, rel, "", NULL);
			return 0;
		}
	}
	if (!e)
		return bld_error_set(err, BLD_E_NOTFOUND, "\"/%s\": not found", shown);
	add_source(s, c, rel, path, e);
	return 0;
}

/* A pattern that matches nothing selects nothing: BuildKit copies with AllowEmptyWildcard, so
 * `COPY maybe-there* /dst/` succeeds (and makes no /dst) when no file matches. */
static int add_pattern(struct bld_builder_ctx_sources *s, struct bld_builder_context *c,
		       const char *pat, struct bld_error **err)
{
	for (size_t i = 0; i < c->n_ents; i++) {
		const char *p = c->ents[i].path;
		if (fnmatch(pat, p, FNM_PATHNAME) != 0)
			continue;
		if (add_path(s, c, p, p, err) < 0)
			return -1;
	}
	return 0;
}

int bld_builder_ctx_select(struct bld_builder_context *c, char *const *patterns,
			   struct bld_builder_ctx_sources *out, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->lock);
	int r = bld_builder_ctx_walk(c, err);
	for (size_t i = 0; r == 0 && patterns && patterns[i]; i++) {
		cleanup_free char *rel = bld_builder_ctx_rel(patterns[i]);
		if (bld_builder_ctx_has_wildcard(rel))
			r = add_pattern(out, c, rel, err);
		else
			r = add_path(out, c, rel, rel, err);
	}
	pthread_mutex_unlock(&c->lock);
	if (r < 0) {
		bld_builder_ctx_sources_dispose(out);
		return r;
	}
	return 0;
}

void bld_builder_ctx_sources_dispose(struct bld_builder_ctx_sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].path);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* What explain.c keeps of a file: its path, mode, owner, fingerprint and link target. */
static void record_entry(json_t *rec, const struct bld_builder_ctx_entry *e)
{
	cleanup_free char *label = xasprintf("file %s", e->path);
	bld_builder_explain_add(rec, label,
				json_pack("[I, I, I, s, s?]", (json_int_t)e->mode, (json_int_t)e->uid,
					  (json_int_t)e->gid, e->fp, e->link));
}

/* (path relative to the source, fingerprint) of one file into the key. */
static int key_entry(struct bld_builder_context *c, struct bld_xxh *h, json_t *rec,
		     struct bld_builder_ctx_entry *e, size_t skip, struct bld_error **err)
{
	int r = bld_builder_ctx_fingerprint(c, e, err);
	if (r < 0)
		return bld_error_wrap(err, "%s", e->path);
	bld_xxh_update_str(h, e->path + skip);
	bld_xxh_update_str(h, e->fp);
	if (rec)
		record_entry(rec, e);
	return 0;
}

int bld_builder_ctx_sources_hash(struct bld_builder_context *c,
				 const struct bld_builder_ctx_sources *s, struct bld_xxh *h,
				 struct bld_error **err)
{
	return bld_builder_ctx_sources_hash_excluding(c, s, NULL, h, NULL, err);
}

/* Whether e (a non-directory) is left out by --exclude patterns, relative to its source. */
static int left_out(const struct bld_parser_dockerignore *ex, const struct bld_builder_ctx_entry *e,
		    const char *rel, bool *out, struct bld_error **err)
{
	*out = false;
	if (!ex || S_ISDIR(e->mode) || !*rel)
		return 0;
	return bld_parser_dockerignore_match(ex, rel, out, err);
}

int bld_builder_ctx_sources_hash_excluding(struct bld_builder_context *c,
					   const struct bld_builder_ctx_sources *s,
					   const struct bld_parser_dockerignore *ex,
					   struct bld_xxh *h, json_t *rec, struct bld_error **err)
{
	int r = 0;
	bool out = false;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; r == 0 && i < s->n; i++) {
		const struct bld_builder_ctx_source *x = &s->v[i];
		bld_xxh_update_str(h, x->name);
		bld_xxh_update_str(h, x->is_dir ? "dir" : "file");
		if (x->ent && (r = left_out(ex, x->ent, x->name, &out, err)) == 0 && !out)
			r = key_entry(c, h, rec, x->ent, strlen(x->ent->path), err);
		size_t skip = *x->path ? strlen(x->path) + 1 : 0;
		for (size_t j = x->first; r == 0 && x->is_dir && j < x->end; j++) {
			struct bld_builder_ctx_entry *e = &c->ents[j];
			if ((r = left_out(ex, e, e->path + skip, &out, err)) == 0 && !out)
				r = key_entry(c, h, rec, e, skip, err);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}
