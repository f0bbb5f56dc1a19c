/*
 * builder/named.c — named build contexts: buildx's --build-context NAME=VALUE as the
 * Dockerfile frontend (1.4+) uses them. VALUE is read as buildx reads it: docker-image://REF
 * (docker-image://scratch: nothing), oci-layout://PATH[:TAG][@DIGEST] (an image of an OCI
 * layout directory), a git URL (file:// too, as `bld build` takes one), else a local
 * directory relative to the current directory. NAME is matched as BuildKit matches it
 * (bld_builder_named_find): a stage of that name is replaced by the context, and FROM,
 * COPY --from and RUN --mount from= that name no stage take it instead of an image.
 *
 * Each context is loaded as a stage once, the first time a step needs it: an image as FROM
 * loads one (its config with it); a directory or a checkout as one layer of its files
 * (owned by root, modes and times kept, its own .dockerignore applied) on an empty config,
 * keyed by the fingerprints of those files, so that a changed file invalidates the steps
 * that use the context and no others. COPY --from a directory reads its files in place
 * (copy.c, through src_ctx), keyed by exactly the files it copies.
 *
 * It does not decide when a name stands for a stage or an image (stage.c, workspace.c).
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <sys/mman.h>
#include <time.h>

static struct bld_builder_named *named_slot(struct bld_builder_job *b, const char *name)
{
	for (size_t i = 0; i < b->n_named; i++)
		if (strcmp(b->named[i].name, name) == 0)
			return &b->named[i]; /* buildx keeps the last value of a name */
	b->named = xrealloc(b->named, (b->n_named + 1) * sizeof(*b->named));
	struct bld_builder_named *n = &b->named[b->n_named++];
	memset(n, 0, sizeof(*n));
	n->name = xstrdup(name);
	return n;
}

static void named_clear(struct bld_builder_named *n)
{
	free(n->value);
	free(n->ref);
	free(n->digest);
	free(n->tag);
	bld_builder_context_free(n->files);
	bld_builder_stage_dispose(&n->st);
	n->value = n->ref = n->digest = n->tag = NULL;
	n->files = NULL;
	n->loaded = false;
}

/* A local directory as buildx checks it, then opened with its .dockerignore. */
static int open_dir(struct bld_builder_job *b, struct bld_builder_named *n, const char *statdir,
		    struct bld_error **err)
{
	struct stat sb;
	if (stat(n->value, &sb) < 0)
		return bld_error_set(err, errno == ENOENT ? BLD_E_NOTFOUND : BLD_E_SYSTEM,
				     "failed to get build context %s: stat %s: %s", n->name,
				     n->value,
				     errno == ENOENT ? "no such file or directory" : strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return bld_error_set(err, BLD_E_INVALID,
				     "failed to get build context path %s: not a directory", n->value);
	n->kind = BLD_BUILDER_NAMED_DIR;
	(void)b;
	return bld_builder_context_open_files(&n->files, n->value, statdir, err);
}

/* oci-layout://PATH[:TAG][@DIGEST] as buildx cuts it (TAG "latest" when none). */
static int oci_value(struct bld_builder_named *n, const char *spec, struct bld_error **err)
{
	const char *at = strchr(spec, '@');
	char *loc = at ? xstrndup(spec, (size_t)(at - spec)) : xstrdup(spec);
	char *colon = strchr(loc, ':');
	n->tag = xstrdup(colon ? colon + 1 : "latest");
	if (colon)
		*colon = '\0';
	n->ref = loc;
	n->kind = BLD_BUILDER_NAMED_OCI;
	n->digest = at ? xstrdup(at + 1) : NULL;
	if (n->digest && !bld_digest_valid(n->digest))
		return bld_error_set(err, BLD_E_INVALID, "failed to get build context %s: invalid "
				     "digest %s", n->name, n->digest);
	struct stat sb;
	if (stat(loc, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return bld_error_set(err, BLD_E_NOTFOUND, "failed to get build context %s: %s: "
				     "not an OCI layout directory", n->name, loc);
	return 0;
}

static bool is_http(const char *v)
{
	return bld_str_has_prefix(v, "http://") || bld_str_has_prefix(v, "https://");
}

/* What VALUE names, and its files opened (a git URL is checked out now). */
static int named_value(struct bld_builder_job *b, struct bld_builder_named *n,
		       const char *statdir, struct bld_error **err)
{
	const char *v = n->value;
	if (bld_str_has_prefix(v, "docker-image://")) {
		n->ref = xstrdup(v + strlen("docker-image://"));
		n->kind = strcmp(n->ref, "scratch") == 0 ? BLD_BUILDER_NAMED_SCRATCH
							  : BLD_BUILDER_NAMED_IMAGE;
		return 0;
	}
	if (bld_str_has_prefix(v, "oci-layout://"))
		return oci_value(n, v + strlen("oci-layout://"), err);
	if (bld_str_has_prefix(v, "target:"))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "failed to get build context %s: %s: unsupported context source",
				     n->name, v);
	if (bld_builder_git_is_url(v)) {
		n->kind = BLD_BUILDER_NAMED_GIT;
		if (bld_builder_context_open_files(&n->files, v, NULL, err) < 0)
			return bld_error_wrap(err, "failed to get build context %s", n->name);
		if (n->files->commit)
			bld_builder_attest_dep(b, v, "sha1", n->files->commit);
		return 0;
	}
	if (is_http(v)) /* BuildKit downloads one file there: bld has no such context */
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "failed to get build context %s: %s: only git URLs are "
				     "supported",
				     n->name, v);
	return open_dir(b, n, statdir, err);
}

int bld_builder_named_open(struct bld_builder_job *b, struct bld_error **err)
{
	char *const *v = b->o->build_contexts;
	cleanup_free char *statdir = xasprintf("%s/cache/context", b->ctx->root);
	for (size_t i = 0; v && v[i]; i++) {
		const char *eq = strchr(v[i], '=');
		if (!eq)
			return bld_error_set(err, BLD_E_INVALID,
					     "invalid context value: %s, expected key=value", v[i]);
		cleanup_free char *raw = xstrndup(v[i], (size_t)(eq - v[i]));
		cleanup_free char *name = NULL;
		if (bld_builder_named_name(raw, &name, err) < 0)
			return bld_error_wrap(err, "invalid context name %s", raw);
		struct bld_builder_named *n = named_slot(b, name);
		named_clear(n);
		n->value = xstrdup(eq + 1);
		if (named_value(b, n, statdir, err) < 0)
			return -1;
	}
	return 0;
}

/* The history entry BuildKit's exporter gives a layer no instruction made. */
static void history_for_layer(struct bld_builder_job *b, json_t *img, const char *what)
{
	cleanup_free char *now =
	    bld_builder_img_time(b->epoch >= 0 ? b->epoch : (int64_t)time(NULL));
	bld_builder_img_history(img, now, what, false);
	json_t *h = json_object_get(img, "history");
	json_object_set_new(json_array_get(h, json_array_size(h) - 1), "comment",
			    json_string("buildkit.exporter.image.v0"));
}

/*
 * A directory or checkout as one layer of its files. The layer is recorded under the key of
 * those files (their fingerprints), so that the next build with the same files takes it
 * again instead of copying them (1: CACHED); that key also goes into h.
 */
static int load_files(struct bld_builder_job *b, struct bld_builder_named *n, int v,
		      struct bld_xxh *h, struct bld_error **err)
{
	struct bld_builder_stage *st = &n->st;
	st->img = bld_builder_img_empty("linux", "amd64");
	char *all[] = {".", NULL};
	struct bld_builder_ctx_sources s;
	if (bld_builder_ctx_select(n->files, all, &s, err) < 0)
		return -1;
	struct bld_xxh *hk = bld_xxh_new();
	bld_xxh_update_str(hk, "named context files v1");
	int r = bld_builder_ctx_sources_hash(n->files, &s, hk, err);
	bld_builder_ctx_sources_dispose(&s);
	char key[BLD_XXH_HEX_LEN + 1];
	bld_xxh_final(hk, key);
	bld_xxh_update_str(h, key);
	struct bld_builder_copy_req rq = {.srcs = all, .dest = (char *)"/", .src_ctx = n->files};
	struct bld_cache_layer l;
	bool made = r == 0 && !b->o->no_cache && bld_builder_layer_record_get(b, key, &l);
	bool reused = made;
	if (!reused && r == 0) {
		bld_builder_progress_line(b, v, "transferring %s", n->value);
		r = bld_builder_copy_step(b, st, &rq, &l, &made, err);
		if (r == 0 && made)
			bld_builder_layer_record_put(b, key, &l);
	}
	if (r == 0 && made)
		r = bld_builder_stage_push_layer(b, st, &l, err);
	if (r == 0 && made)
		history_for_layer(b, st->img, n->value);
	return r < 0 ? r : reused;
}

/*
 * The digest an oci-layout context names: the one given, else index.json's manifest whose
 * org.opencontainers.image.ref.name is the tag, else its only manifest (buildx's
 * resolveDigest).
 */
static int oci_resolve(const struct bld_builder_named *n, char digest[BLD_DIGEST_STR_LEN],
		       struct bld_error **err)
{
	const char *found = n->digest;
	cleanup_json json_t *idx = NULL;
	cleanup_free char *path = bld_path_join(n->ref, "index.json");
	if (!found && bld_json_load_file(&idx, path, BLD_CTX_IGNORE_MAX, err) < 0)
		return bld_error_wrap(err, "oci-layout %s", n->ref);
	json_t *ms = json_object_get(idx, "manifests"), *m;
	size_t i;
	json_array_foreach(ms, i, m) {
		json_t *ann = json_object_get(m, "annotations");
		const char *rn = bld_json_get_str(ann, "org.opencontainers.image.ref.name");
		if (!found && rn && strcmp(rn, n->tag) == 0)
			found = bld_json_get_str(m, "digest");
	}
	if (!found && json_array_size(ms) == 1)
		found = bld_json_get_str(json_array_get(ms, 0), "digest");
	if (!found || !bld_digest_valid(found))
		return bld_error_set(err, BLD_E_NOTFOUND, "oci-layout %s: no image tagged %s",
				     n->ref, n->tag);
	snprintf(digest, BLD_DIGEST_STR_LEN, "%s", found);
	return 0;
}

/* Whether an entry of the store's index holds digest. */
static bool digest_held(const struct bld_cache_desc *d, size_t n, const char *digest)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].digest, digest) == 0)
			return true;
	return false;
}

/*
 * An image of an OCI layout directory: its blobs stored (through bld_cache_load, as the
 * layout's tar), its layers and config taken; the unnamed entries that load made are
 * dropped again, since the layout is only read (its blobs stay until a prune).
 */
static int load_oci(struct bld_builder_job *b, struct bld_builder_named *n, struct bld_xxh *h,
		    struct bld_error **err)
{
	char digest[BLD_DIGEST_STR_LEN];
	if (oci_resolve(n, digest, err) < 0)
		return -1;
	struct bld_cache_desc *before = NULL;
	size_t nb = 0;
	if (bld_cache_ref_list_all(b->store, &before, &nb, err) < 0)
		return -1;
	struct bld_cache_loaded *v = NULL;
	size_t nv = 0;
	cleanup_close int fd = memfd_create("oci-layout", MFD_CLOEXEC);
	int r = fd < 0 ? bld_error_sys(err, errno, "memfd_create")
		       : bld_cache_dir_tar_write(n->ref, fd, -1, err);
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = bld_error_sys(err, errno, "seek");
	if (r == 0)
		r = bld_cache_load(b->store, fd, &v, &nv, err);
	struct bld_cache_image *img = NULL;
	if (r == 0)
		r = bld_cache_image_load_digest(b->store, digest, &img, err);
	if (r == 0)
		r = bld_builder_stage_take_image(b, &n->st, n->value, img, h, err);
	bld_cache_image_free(img);
	for (size_t i = 0; i < nv; i++) {
		struct bld_error *e = NULL;
		if (!digest_held(before, nb, v[i].digest))
			bld_cache_ref_delete_digest(b->store, v[i].digest, &e);
		bld_error_free(e);
	}
	bld_cache_loaded_free(v, nv);
	bld_cache_desc_list_free(before, nb);
	return r;
}

static int load(struct bld_builder_job *b, struct bld_builder_named *n, struct bld_error **err)
{
	bld_builder_stage_dispose(&n->st);
	int64_t t0 = bld_mono_ns();
	int v = n->kind == BLD_BUILDER_NAMED_SCRATCH
		    ? 0
		    : bld_builder_progress_vertex(b, "[context %s] %s", n->name,
						  n->kind == BLD_BUILDER_NAMED_DIR
						      ? "load from client"
						  : n->kind == BLD_BUILDER_NAMED_OCI
						      ? "OCI load from client"
						      : n->value);
	struct bld_xxh *h = bld_xxh_new();
	bld_xxh_update_str(h, "named context v1");
	int r = 0;
	if (n->kind == BLD_BUILDER_NAMED_SCRATCH) {
		n->st.img = bld_builder_img_empty("linux", "amd64");
		bld_xxh_update_str(h, "scratch");
	} else if (n->kind == BLD_BUILDER_NAMED_IMAGE) {
		r = bld_builder_stage_from_image(b, &n->st, n->ref, v, h, err);
	} else if (n->kind == BLD_BUILDER_NAMED_OCI) {
		r = load_oci(b, n, h, err);
	} else {
		r = load_files(b, n, v, h, err);
	}
	bld_xxh_final(h, n->st.key);
	if (r < 0) {
		if (v)
			bld_builder_progress_error(b, v, (*err)->msg);
		return bld_error_wrap(err, "[context %s] %s", n->name, n->value);
	}
	if (v && r > 0)
		bld_builder_progress_cached(b, v);
	else if (v)
		bld_builder_progress_done(b, v, t0);
	return 0;
}

int bld_builder_named_load(struct bld_builder_job *b, struct bld_builder_named *n,
			   struct bld_error **err)
{
	pthread_mutex_lock(&b->named_lock);
	int r = n->loaded ? 0 : load(b, n, err);
	if (r == 0)
		n->loaded = true;
	pthread_mutex_unlock(&b->named_lock);
	return r;
}

void bld_builder_named_dispose(struct bld_builder_job *b)
{
	for (size_t i = 0; i < b->n_named; i++) {
		named_clear(&b->named[i]);
		free(b->named[i].name);
	}
	free(b->named);
	b->named = NULL;
	b->n_named = 0;
}
