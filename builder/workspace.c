/*
 * builder/workspace.c — where the steps of a build work: step directories under the build's
 * scratch directory, overlay mounts of a stage's layers (writable with a fresh upper directory
 * that becomes a step's layer, or read-only for COPY --from and RUN --mount from=), a step's
 * upper directory committed as a layer, and the stages themselves: looked up by name or index
 * (named build contexts too, once named.c loaded them), loaded from an image (verified under
 * content trust, pulled when missing), disposed.
 *
 * It is the layer the step files (copy.c, add.c, run.c, mounts.c, sshfwd.c) stand on and it
 * calls none of them. The overlays are mounted in the build's private mount namespace.
 * Under --isolation=chroot nothing is mounted: a stage's root is a plain directory copied
 * from its layers (kept up to date as layers are pushed), a step writes in it after a
 * snapshot, and its layer is the diff (snapshot.c); read-only roots are a finished stage's
 * own or a copy.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

static struct bld_builder_stage *named_stage(struct bld_builder_job *b, const char *name);

/* ------------------------------------------------------------------ the work overlay */

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
static int work_begin(struct bld_builder_job *b, struct bld_builder_work *w, struct bld_error **err)
{
	memset(w, 0, sizeof(*w));
	w->rootfd = -1;
	w->dir = bld_builder_step_dir(b, err);
	if (!w->dir)
		return -1;
	w->merged = bld_path_join(w->dir, "merged");
	return 0;
}

/* Mounts the overlay on w->merged and opens it as w->rootfd. */
static int work_mount(struct bld_builder_work *w, char *const *lowers, const char *wk,
		      struct bld_error **err)
{
	if (work_mount_at(w->merged, lowers, w->upper, wk, err) < 0)
		return -1;
	w->mounted = true;
	w->rootfd = open(w->merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return w->rootfd < 0 ? bld_error_sys(err, errno, "open %s", w->merged) : 0;
}

/* ------------------------------------------------------------------ --isolation=chroot */

/* w's root open as rootfd, and as it is now (the snapshot the layer is the diff of). */
static int chroot_snapshot(struct bld_builder_work *w, struct bld_error **err)
{
	w->rootfd = open(w->merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->rootfd < 0)
		return bld_error_sys(err, errno, "open %s", w->merged);
	return bld_builder_snap_take(&w->snap, w->rootfd, err);
}

/* A plain directory holding lowers, at w->merged. */
static int chroot_copy(struct bld_builder_work *w, char *const *lowers, struct bld_error **err)
{
	if (mkdir(w->merged, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir %s", w->merged);
	return bld_runner_root_copy(lowers, w->merged, err);
}

int bld_builder_stage_root(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const char **path, struct bld_error **err)
{
	if (!st->root) {
		char *d = xasprintf("%s/root-XXXXXX", b->tmp);
		if (!mkdtemp(d) || chmod(d, 0755) < 0) {
			int e = errno;
			free(d);
			return bld_error_sys(err, e, "mkdtemp in %s", b->tmp);
		}
		st->root = d;
		st->root_layers = 0;
	}
	/* the layers pushed since (cache hits, COPY --link), applied in order */
	size_t n = bld_strv_len(st->lowers);
	if (st->root_layers < n &&
	    bld_runner_root_copy(st->lowers + st->root_layers, st->root, err) < 0)
		return -1;
	st->root_layers = n;
	*path = st->root;
	return 0;
}

/* The stage's own root, written in place: its snapshot first. */
static int chroot_open(struct bld_builder_job *b, struct bld_builder_stage *st,
		       struct bld_builder_work *w, struct bld_error **err)
{
	const char *root = NULL;
	if (work_begin(b, w, err) < 0 || bld_builder_stage_root(b, st, &root, err) < 0)
		return -1;
	free(w->merged);
	w->merged = xstrdup(root);
	w->borrowed = true;
	return chroot_snapshot(w, err);
}

/* A finished stage's root is read where it is; any other is copied from its layers. */
static int chroot_open_stage(struct bld_builder_job *b, struct bld_builder_stage *src,
			     struct bld_builder_work *fw, struct bld_error **err)
{
	if (work_begin(b, fw, err) < 0)
		return -1;
	if (src->root && src->built && src->root_layers == bld_strv_len(src->lowers)) {
		free(fw->merged);
		fw->merged = xstrdup(src->root);
		fw->borrowed = true;
	} else if (chroot_copy(fw, src->lowers, err) < 0) {
		return -1;
	}
	fw->rootfd = open(fw->merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fw->rootfd < 0 ? bld_error_sys(err, errno, "open %s", fw->merged) : 0;
}

/* What changed since the snapshot, as an upper directory, committed as the step's layer. */
static int chroot_commit(struct bld_builder_job *b, struct bld_builder_stage *st,
			 struct bld_builder_work *w, struct bld_cache_layer *l, bool *made,
			 struct bld_error **err)
{
	*made = false;
	w->upper = bld_path_join(w->dir, "upper");
	bool any = false;
	if (mkdir(w->upper, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir %s", w->upper);
	if (bld_builder_snap_diff(w->snap, w->rootfd, w->upper, &any, err) < 0)
		return bld_error_wrap(err, "commit layer");
	if (!any)
		return 0;
	int r = bld_builder_step_commit(b, st, w->upper, l, made, err);
	/* the stage's root holds the layer stage.c pushes next: not applied to it again */
	if (r == 0 && *made && w->borrowed)
		st->root_ahead = true;
	return r;
}

/* ------------------------------------------------------------------ steps */

/* A writable overlay over lowers with a fresh upper directory (the step's layer). */
int bld_builder_work_open_on(struct bld_builder_job *b, struct bld_builder_work *w,
			     char *const *lowers, struct bld_error **err)
{
	if (work_begin(b, w, err) < 0)
		return -1;
	if (b->chroot)
		return chroot_copy(w, lowers, err) < 0 ? -1 : chroot_snapshot(w, err);
	w->upper = bld_path_join(w->dir, "upper");
	cleanup_free char *wk = bld_path_join(w->dir, "work");
	if (mkdir(w->merged, 0755) < 0 || mkdir(w->upper, 0755) < 0 || mkdir(wk, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir in %s", w->dir);
	return work_mount(w, lowers, wk, err);
}

int bld_builder_work_open(struct bld_builder_job *b, struct bld_builder_stage *st,
			  struct bld_builder_work *w, struct bld_error **err)
{
	if (b->chroot)
		return chroot_open(b, st, w, err);
	cleanup_strv char **lowers = bld_builder_step_lowers(b, st);
	return bld_builder_work_open_on(b, w, lowers, err);
}

static void work_close(struct bld_builder_work *w)
{
	if (w->rootfd >= 0)
		close(w->rootfd);
	w->rootfd = -1;
	if (w->mounted && umount2(w->merged, MNT_DETACH) < 0)
		bld_warn("umount %s: %s", w->merged, strerror(errno));
	w->mounted = false;
}

void bld_builder_work_dispose(struct bld_builder_work *w)
{
	work_close(w);
	bld_builder_snap_free(w->snap);
	w->snap = NULL;
	if (w->dir) {
		struct bld_error *e = NULL;
		bld_fs_rm_rf(w->dir, &e);
		bld_error_free(e);
	}
	free(w->dir);
	free(w->merged);
	free(w->upper);
}

int bld_builder_work_commit(struct bld_builder_job *b, struct bld_builder_stage *st,
			    struct bld_builder_work *w, struct bld_cache_layer *l, bool *made,
			    struct bld_error **err)
{
	if (b->chroot)
		return chroot_commit(b, st, w, l, made, err);
	work_close(w);
	return bld_builder_step_commit(b, st, w->upper, l, made, err);
}

/* A stage's root, mounted read-only. */
int bld_builder_work_open_stage(struct bld_builder_job *b, struct bld_builder_stage *src,
				struct bld_builder_work *fw, struct bld_error **err)
{
	if (b->chroot)
		return chroot_open_stage(b, src, fw, err);
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
int bld_builder_work_open_from(struct bld_builder_job *b, struct bld_builder_stage *st,
			       const char *from, struct bld_builder_work *fw,
			       struct bld_error **err)
{
	struct bld_builder_stage *src = bld_builder_stage_find(b, from, (size_t)st->index);
	if (!src)
		src = named_stage(b, from);
	if (src)
		return bld_builder_work_open_stage(b, src, fw, err);
	struct bld_builder_stage tmp;
	memset(&tmp, 0, sizeof(tmp));
	int r = bld_builder_stage_from_image(b, &tmp, from, 0, NULL, err);
	if (r == 0)
		r = bld_builder_work_open_stage(b, &tmp, fw, err);
	else
		memset(fw, 0, sizeof(*fw)), fw->rootfd = -1;
	bld_builder_stage_dispose(&tmp);
	return r;
}

int bld_builder_stage_root_open(struct bld_builder_job *b, struct bld_builder_stage *st,
				struct bld_builder_from_roots *roots, char **path,
				struct bld_error **err)
{
	struct bld_builder_work *fw = xcalloc(1, sizeof(*fw));
	roots->v = xrealloc(roots->v, (roots->n + 1) * sizeof(void *));
	roots->v[roots->n++] = fw;
	if (bld_builder_work_open_stage(b, st, fw, err) < 0)
		return -1;
	*path = xstrdup(fw->merged);
	return 0;
}

int bld_builder_from_root_open(struct bld_builder_job *b, struct bld_builder_stage *st,
			       const char *from, struct bld_builder_from_roots *roots, char **path,
			       struct bld_error **err)
{
	struct bld_builder_work *fw = xcalloc(1, sizeof(*fw));
	roots->v = xrealloc(roots->v, (roots->n + 1) * sizeof(void *));
	roots->v[roots->n++] = fw;
	if (bld_builder_work_open_from(b, st, from, fw, err) < 0)
		return -1;
	*path = xstrdup(fw->merged);
	return 0;
}

void bld_builder_from_key(struct bld_builder_job *b, struct bld_builder_stage *st,
			  const char *from, struct bld_xxh *h)
{
	struct bld_builder_stage *src = bld_builder_stage_find(b, from, (size_t)st->index);
	if (!src)
		src = named_stage(b, from);
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (!src && bld_cache_image_load(b->store, from, &img, &e) == 0)
		bld_xxh_update_str(h, img->id);
	else
		bld_xxh_update_str(h, src ? src->key : from);
	bld_cache_image_free(img);
	bld_error_free(e);
}

int bld_builder_overlay_rw(struct bld_builder_job *b, const char *src,
			   struct bld_builder_from_roots *roots, char **path,
			   struct bld_error **err)
{
	if (b->chroot)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "a writable mount of %s: not "
				     "available with --isolation=chroot", src);
	struct bld_builder_work *w = xcalloc(1, sizeof(*w));
	roots->v = xrealloc(roots->v, (roots->n + 1) * sizeof(void *));
	roots->v[roots->n++] = w;
	char *lowers[] = {(char *)src, NULL};
	if (bld_builder_work_open_on(b, w, lowers, err) < 0)
		return -1;
	*path = xstrdup(w->merged);
	return 0;
}

void bld_builder_from_roots_close(struct bld_builder_from_roots *roots)
{
	for (size_t i = 0; i < roots->n; i++) {
		bld_builder_work_dispose(roots->v[i]);
		free(roots->v[i]);
	}
	free(roots->v);
	memset(roots, 0, sizeof(*roots));
}

/* A fresh step directory under the build's scratch directory. */
char *bld_builder_step_dir(struct bld_builder_job *b, struct bld_error **err)
{
	char *d = xasprintf("%s/step-XXXXXX", b->tmp);
	if (!mkdtemp(d)) {
		bld_error_sys(err, errno, "mkdtemp %s", d);
		free(d);
		return NULL;
	}
	return d;
}

/* The lowers a step's overlay needs: the stage's, or an empty one for scratch. */
char **bld_builder_step_lowers(struct bld_builder_job *b, struct bld_builder_stage *st)
{
	if (st->lowers && st->lowers[0])
		return bld_strv_dup(st->lowers);
	char **v = NULL;
	bld_strv_push(&v, b->empty_dir);
	return v;
}

/*
 * Turns a step's upper directory into a layer, unless nothing changed; the directory itself
 * then becomes the layer's unpacked copy (no second extraction).
 */
int bld_builder_step_commit(struct bld_builder_job *b, struct bld_builder_stage *st,
			    const char *upper, struct bld_cache_layer *layer, bool *made,
			    struct bld_error **err)
{
	*made = false;
	if (bld_fs_dir_is_empty(upper))
		return 0;
	struct bld_cache_layer_opts lo = {.overlay = true, .source_date_epoch = b->epoch};
	if (bld_cache_layer_from_dir(b->store, upper, &lo, layer, err) < 0)
		return bld_error_wrap(err, "commit layer");
	*made = true;
	if (b->chroot) /* its entries are the stage root's own inodes: unpacked from the blob */
		return 0;
	char chain[BLD_DIGEST_STR_LEN];
	bld_cache_layer_chain_id(st->chain[0] ? st->chain : NULL, layer->diff_id, chain);
	cleanup_free char *dir = NULL;
	struct bld_error *e = NULL;
	if (bld_cache_layer_adopt(b->store, upper, chain, &dir, &e) < 0)
		bld_debug("%s (the layer will be unpacked instead)", e->msg);
	bld_error_free(e);
	return 0;
}

int bld_builder_named_name(const char *name, char **out, struct bld_error **err)
{
	struct bld_registry_ref r;
	if (bld_registry_ref_parse(&r, name, err) < 0)
		return -1;
	char *f = bld_registry_ref_familiar(&r);
	bld_registry_ref_dispose(&r);
	size_t n = strlen(f);
	if (n > 7 && strcmp(f + n - 7, ":latest") == 0)
		f[n - 7] = '\0';
	*out = f;
	return 0;
}

struct bld_builder_named *bld_builder_named_find(struct bld_builder_job *b, const char *name)
{
	if (!b->n_named)
		return NULL;
	cleanup_free char *key = NULL;
	struct bld_error *e = NULL;
	if (bld_builder_named_name(name, &key, &e) < 0) {
		bld_error_free(e);
		return NULL;
	}
	for (size_t i = 0; i < b->n_named; i++)
		if (strcmp(b->named[i].name, key) == 0)
			return &b->named[i];
	return NULL;
}

/* A named context a step loaded already (stage.c loads them before a step needs them). */
static struct bld_builder_stage *named_stage(struct bld_builder_job *b, const char *name)
{
	struct bld_builder_named *n = bld_builder_named_find(b, name);
	return n && n->loaded ? &n->st : NULL;
}

int bld_builder_layer_record_get(struct bld_builder_job *b, const char *key,
				 struct bld_cache_layer *l)
{
	cleanup_free char *data = NULL;
	struct bld_error *e = NULL;
	json_t *rec = NULL;
	if (bld_cache_build_record_get(b->store, key, &data, &e) < 0 ||
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

void bld_builder_layer_record_put(struct bld_builder_job *b, const char *key,
				  const struct bld_cache_layer *l)
{
	json_t *rec = json_pack("{s:i, s:b, s:{s:s, s:s, s:I, s:s}, s:[s]}", "v", 1, "link", 1,
				"layer", "digest", l->digest, "diff_id", l->diff_id, "size",
				(json_int_t)l->size, "media_type", l->media_type, "blobs",
				l->digest);
	cleanup_free char *s = bld_json_dump_canonical(rec);
	json_decref(rec);
	struct bld_error *e = NULL;
	if (bld_cache_build_record_put(b->store, key, s, &e) < 0)
		bld_debug("record layer %s: %s", key, e->msg);
	bld_error_free(e);
}

struct bld_builder_stage *bld_builder_stage_find(struct bld_builder_job *b, const char *name,
						 size_t before)
{
	for (size_t i = 0; i < before && i < b->n_stages; i++)
		if (b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0)
			return &b->stages[i];
	long idx;
	if (bld_parse_long(name, 0, (long)before - 1, &idx) == 0)
		return &b->stages[idx];
	return NULL;
}

int bld_builder_stage_push_layer(struct bld_builder_job *b, struct bld_builder_stage *st,
				 const struct bld_cache_layer *l, struct bld_error **err)
{
	char chain[BLD_DIGEST_STR_LEN];
	bld_cache_layer_chain_id(st->chain[0] ? st->chain : NULL, l->diff_id, chain);
	char *dir = NULL;
	if (bld_cache_layer_unpack(b->store, l->digest, l->diff_id, chain, &dir, err) < 0)
		return -1;
	st->layers = xrealloc(st->layers, (st->n_layers + 1) * sizeof(*st->layers));
	st->layers[st->n_layers++] = *l;
	bld_strv_push(&st->lowers, dir);
	free(dir);
	memcpy(st->chain, chain, sizeof(chain));
	if (st->root_ahead) /* chroot: the step made it in the root itself */
		st->root_layers = bld_strv_len(st->lowers);
	st->root_ahead = false;
	return 0;
}

void bld_builder_stage_dispose(struct bld_builder_stage *st)
{
	if (st->img)
		json_decref(st->img);
	free(st->layers);
	bld_strv_free(st->lowers);
	free(st->root); /* the directory goes with the build's scratch directory */
	bld_strv_free(st->args);
	bld_strv_free(st->arg_env);
	free(st->name);
	json_decref(st->xpending);
	free(st->xparent_name);
	memset(st, 0, sizeof(*st));
}

/*
 * The base image ref names, from the store, pulled when the store has none (or with --pull);
 * under content trust the image of the digest the policy accepts for ref (registry/).
 */
static int base_image(struct bld_builder_job *b, const char *full, int v,
		      struct bld_cache_image **out, struct bld_error **err)
{
	struct bld_registry_opts ro = {.config_dir = b->ctx->config_dir, .quiet = true};
	if (b->o->trust) {
		bld_builder_progress_line(b, v, "verify %s", full);
		return bld_registry_trust_use(b->store, full, b->o->signature_policy, &ro,
					      b->o->pull ? BLD_REGISTRY_PULL_ALWAYS
							 : BLD_REGISTRY_PULL_MISSING,
					      out, err);
	}
	cleanup_error struct bld_error *e = NULL;
	if (!b->o->pull && bld_cache_image_load(b->store, full, out, &e) == 0)
		return 0;
	struct bld_registry_pull_result pr;
	memset(&pr, 0, sizeof(pr));
	bld_builder_progress_line(b, v, "resolve %s", full);
	int r = bld_registry_pull(b->store, full, &ro, &pr, err);
	bld_registry_pull_result_dispose(&pr);
	return r < 0 ? r : bld_cache_image_load(b->store, full, out, err);
}

/*
 * The stage's base from an image: its layers unpacked as the stage's lowers and its config as
 * the stage's, pulled when the store has none (or with --pull), verified under content trust.
 * The image's ID goes into h (NULL: no key wanted); progress lines go to vertex v.
 */
int bld_builder_stage_from_image(struct bld_builder_job *b, struct bld_builder_stage *st,
				 const char *ref, int v, struct bld_xxh *h, struct bld_error **err)
{
	struct bld_registry_ref pr0;
	if (bld_registry_ref_parse(&pr0, ref, err) < 0)
		return -1;
	cleanup_free char *full = bld_registry_ref_string(&pr0);
	bld_registry_ref_dispose(&pr0);
	struct bld_cache_image *img = NULL;
	if (base_image(b, full, v, &img, err) < 0)
		return -1;
	int r = bld_builder_stage_take_image(b, st, full, img, h, err);
	bld_cache_image_free(img);
	return r;
}

int bld_builder_stage_take_image(struct bld_builder_job *b, struct bld_builder_stage *st,
				 const char *full, const struct bld_cache_image *img,
				 struct bld_xxh *h, struct bld_error **err)
{
	struct bld_cache_layer *ls = NULL;
	size_t n = 0;
	int r = bld_cache_image_layer_list(img, &ls, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = bld_builder_stage_push_layer(b, st, &ls[i], err);
	free(ls);
	if (r == 0) {
		st->img = bld_builder_img_from_base(img->config);
		st->n_base = st->n_layers;
		if (h)
			bld_xxh_update_str(h, img->id);
		if (h) {
			cleanup_free char *label = xasprintf("base image %s", full);
			bld_builder_explain_note(st, label, json_string(img->id));
		}
		bld_builder_attest_image(b, full, img);
	}
	return r;
}
