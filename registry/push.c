/*
 * registry/push.c — docker push: the image a name points at in the store goes to its
 * registry. Layers and config first (skipped when present, mounted from another
 * repository of the same registry that holds the same image, uploaded otherwise), then the
 * manifest exactly as stored, under the tag, with its own media type. An index is pushed
 * with every child manifest the store holds.
 *
 * It does not build or convert manifests: what is stored is what is pushed, so digests
 * survive a pull → push round trip. A name that records the registry's original manifest
 * (a Docker v2s2 manifest pull.c stored as OCI) pushes that original, as long as it still
 * converts to exactly the stored manifest (same config and layers).
 */
#include "registry/registry_int.h"

#include <pthread.h>

#define PUSH_PARALLEL 4 /* layers uploaded at once, as docker's default of 5 */

struct push {
	struct bld_store *s;
	const struct bld_registry_opts *o;
	struct bld_registry_ref ref;
	struct bld_registry_client *c;
	struct reg_progress *prog;
	char *mount_from; /* another repository on the same registry with this image, or NULL */
	pthread_mutex_t lock; /* progress output and the layer queue of push_layers */
};

/* A repository on the same registry that a stored name with this digest came from. */
static char *find_mount_source(struct push *p, const char *digest)
{
	struct bld_cache_desc *all = NULL;
	size_t n = 0;
	if (bld_cache_ref_list(p->s, &all, &n, NULL) < 0)
		return NULL;
	char *found = NULL;
	for (size_t i = 0; i < n && !found; i++) {
		struct bld_registry_ref r;
		if (strcmp(all[i].digest, digest) != 0 || !all[i].name ||
		    bld_registry_ref_parse(&r, all[i].name, NULL) < 0)
			continue;
		if (strcmp(r.domain, p->ref.domain) == 0 && strcmp(r.path, p->ref.path) != 0)
			found = xstrdup(r.path);
		bld_registry_ref_dispose(&r);
	}
	bld_cache_desc_list_free(all, n);
	return found;
}

static void set_status(struct push *p, int line, const char *status)
{
	pthread_mutex_lock(&p->lock);
	reg_progress_status(p->prog, line, status);
	pthread_mutex_unlock(&p->lock);
}

/* Uploads one blob with client c (one client per thread); line is its progress line. */
static int push_blob(struct push *p, struct bld_registry_client *c, const struct reg_desc *d,
		     int line, struct bld_error **err)
{
	cleanup_close int fd = bld_cache_blob_open(p->s, d->digest, err);
	if (fd < 0)
		return bld_error_wrap(err, "push %s", d->digest);
	const char *how = NULL;
	if (bld_registry_blob_upload(c, p->ref.path, d->digest, fd, d->size, p->mount_from, &how,
				     err) < 0)
		return -1;
	if (strcmp(how, "exists") == 0) {
		set_status(p, line, "Layer already exists");
	} else if (strcmp(how, "mounted") == 0) {
		cleanup_free char *s = xasprintf("Mounted from %s", p->mount_from);
		set_status(p, line, s);
	} else {
		set_status(p, line, "Pushed");
	}
	return 0;
}

/* The layers of one manifest, shared by the upload threads. */
struct queue {
	struct push *p;
	const struct reg_manifest *m;
	const int *lines;
	size_t next;               /* next layer to take, top layer first */
	struct bld_error *err;     /* the first failure; the others stop taking work */
};

/* One upload thread: the shared queue and a copy of the client of its own. */
struct worker_arg {
	struct queue *q;
	struct bld_registry_client *c;
};

static void queue_fail(struct queue *q, struct bld_error **e)
{
	pthread_mutex_lock(&q->p->lock);
	if (!q->err)
		bld_error_move(&q->err, e);
	pthread_mutex_unlock(&q->p->lock);
	bld_error_free(*e);
	*e = NULL;
}

static void *worker(void *arg)
{
	struct worker_arg *w = arg;
	struct queue *q = w->q;
	struct push *p = q->p;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		bool stop = q->err || q->next >= q->m->n;
		size_t i = q->next++;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		struct bld_error *e = NULL;
		size_t k = q->m->n - 1 - i;
		if (push_blob(p, w->c, &q->m->items[k], q->lines[k], &e) < 0)
			queue_fail(q, &e);
	}
	return NULL;
}

/*
 * Uploads the layers of m, up to PUSH_PARALLEL at once, and meanwhile the config (when
 * given) from this thread. The threads' clients are copied before any upload starts, so
 * that they all carry the token p->c already holds.
 */
static int push_layers(struct push *p, const struct reg_manifest *m,
		       const struct reg_desc *config, struct bld_error **err)
{
	cleanup_free int *lines = xcalloc(m->n ? m->n : 1, sizeof(*lines));
	for (size_t i = m->n; i > 0; i--) /* docker lists the top layer first */
		lines[i - 1] = reg_progress_add(p->prog, m->items[i - 1].digest, "Preparing");
	struct queue q = {.p = p, .m = m, .lines = lines};
	pthread_t th[PUSH_PARALLEL];
	struct worker_arg wa[PUSH_PARALLEL];
	size_t nth = m->n < PUSH_PARALLEL ? m->n : PUSH_PARALLEL, started = 0;
	for (size_t i = 0; i < nth; i++)
		wa[i] = (struct worker_arg){&q, reg_client_clone(p->c)};
	for (; started < nth; started++)
		if (pthread_create(&th[started], NULL, worker, &wa[started]) != 0)
			break;
	struct bld_error *e = NULL;
	if (config && push_blob(p, p->c, config, -1, &e) < 0)
		queue_fail(&q, &e);
	if (started == 0 && m->n > 0)
		worker(&wa[0]); /* no thread could start: do it here */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < nth; i++)
		bld_registry_client_free(wa[i].c);
	if (!q.err)
		return 0;
	bld_error_move(err, &q.err);
	return -1;
}

/* Reads and parses a stored manifest or index. */
static int load(struct push *p, const char *digest, const char *media_type, char **data,
		size_t *len, struct reg_manifest *m, struct bld_error **err)
{
	if (bld_cache_blob_read(p->s, digest, REG_MANIFEST_MAX, data, len, err) < 0)
		return -1;
	return reg_manifest_parse(m, media_type, *data, *len, err);
}

/* Pushes one image manifest's blobs and then the manifest under ref (tag or digest). */
static int push_image(struct push *p, const char *digest, const char *media_type,
		      const char *ref, char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	struct reg_manifest m;
	if (load(p, digest, media_type, &data, &len, &m, err) < 0)
		return -1;
	/* a HEAD of the config first: it gets the push token that the upload threads copy; the
	 * config then goes up beside the layers */
	cleanup_free char *scope = reg_scope(p->ref.path, "pull,push");
	int r = reg_blob_head(p->c, p->ref.path, m.config.digest, scope, NULL, err);
	if (r >= 0)
		r = push_layers(p, &m, r == 1 ? NULL : &m.config, err);
	if (r == 0)
		r = bld_registry_manifest_put(p->c, p->ref.path, ref, data, len, media_type, out,
					      err);
	reg_manifest_dispose(&m);
	return r;
}

static int push_index(struct push *p, const char *digest, const char *media_type,
		      char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	struct reg_manifest m;
	if (load(p, digest, media_type, &data, &len, &m, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; r == 0 && i < m.n; i++) {
		char d[BLD_DIGEST_STR_LEN];
		if (!bld_cache_blob_exists(p->s, m.items[i].digest))
			r = bld_error_set(err, BLD_E_NOTFOUND,
					  "manifest %s of the index is not in the store",
					  m.items[i].digest);
		else
			r = push_image(p, m.items[i].digest, m.items[i].media_type,
				       m.items[i].digest, d, err);
	}
	const char *ref = p->ref.tag ? p->ref.tag : digest;
	if (r == 0)
		r = bld_registry_manifest_put(p->c, p->ref.path, ref, data, len, media_type, out,
					      err);
	reg_manifest_dispose(&m);
	return r;
}

/*
 * Points d at the original manifest that the name records when it is still the stored
 * image in the registry's form (pull.c: to_oci); anything else keeps d as it is.
 */
static void registry_form(struct push *p, struct bld_cache_desc *d)
{
	if (!d->orig_digest[0] || !d->orig_media_type || reg_media_type_is_index(d->media_type))
		return;
	cleanup_free char *data = NULL, *oci = NULL;
	size_t len = 0, oci_len = 0;
	if (bld_cache_blob_read(p->s, d->orig_digest, REG_MANIFEST_MAX, &data, &len, NULL) < 0 ||
	    strcmp(d->orig_media_type, BLD_MT_DOCKER_MANIFEST) != 0 ||
	    reg_manifest_to_oci(data, len, &oci, &oci_len, NULL) < 0)
		return;
	char dg[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(oci, oci_len, dg);
	if (strcmp(dg, d->digest) != 0)
		return;
	memcpy(d->digest, d->orig_digest, BLD_DIGEST_STR_LEN);
	free(d->media_type);
	d->media_type = steal_pointer(&d->orig_media_type);
	d->size = (int64_t)len;
	d->orig_digest[0] = '\0';
}

/* docker's RepoDigests after a push; the push itself succeeded, so a failure only warns. */
static void record_repo_digest(struct push *p, const char *name, const char *stored,
			       const char *pushed)
{
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_ref_set_repo_digest(p->s, name, stored, pushed, &e) < 0)
		bld_warn("record the pushed digest of %s: %s", name, e->msg);
}

static int run(struct push *p, char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	cleanup_free char *name = bld_registry_ref_string(&p->ref);
	cleanup_free char *fam = bld_registry_ref_familiar(&p->ref);
	struct bld_cache_desc d = {0};
	if (bld_cache_ref_get(p->s, name, &d, NULL) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND,
				     "an image does not exist locally with the tag: %s", fam);
	p->mount_from = find_mount_source(p, d.digest);
	char stored[BLD_DIGEST_STR_LEN];
	memcpy(stored, d.digest, sizeof(stored));
	registry_form(p, &d);
	cleanup_free char *repo = bld_registry_ref_name(&p->ref);
	reg_progress_line(p->prog, "The push refers to repository [%s]", repo);
	int r;
	if (reg_media_type_is_index(d.media_type))
		r = push_index(p, d.digest, d.media_type, out, err);
	else
		r = push_image(p, d.digest, d.media_type, p->ref.tag ? p->ref.tag : d.digest, out,
			       err);
	if (r == 0)
		reg_progress_line(p->prog, "%s: digest: %s size: %lld",
				  p->ref.tag ? p->ref.tag : "<none>", out, (long long)d.size);
	if (r == 0 && p->ref.tag)
		record_repo_digest(p, name, stored, out);
	bld_cache_desc_dispose(&d);
	return r;
}

int bld_registry_push(struct bld_store *s, const char *ref, const struct bld_registry_opts *o,
		      char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	static const struct bld_registry_opts defaults = {0};
	struct push p = {.s = s, .o = o ? o : &defaults, .lock = PTHREAD_MUTEX_INITIALIZER};
	if (bld_registry_ref_parse(&p.ref, ref, err) < 0)
		return -1;
	int r = bld_registry_client_new(&p.c, p.ref.domain, p.o, err);
	if (r == 0) {
		p.prog = reg_progress_new(p.o);
		r = run(&p, out, err);
	}
	if (r == 0)
		reg_image_event(s, &p.ref, "push");
	reg_progress_free(p.prog);
	free(p.mount_from);
	bld_registry_client_free(p.c);
	bld_registry_ref_dispose(&p.ref);
	return r;
}
