/*
 * registry/push.c — docker push: the image a name points at in the store goes to its
 * registry. Layers and config first (skipped when present, mounted from another
 * repository of the same registry that holds the same image, uploaded otherwise), then the
 * manifest exactly as stored, under the tag, with its own media type. An index is pushed
 * with every child manifest the store holds.
 *
 * It does not build or convert manifests: what is stored is what is pushed, so digests
 * survive a pull → push round trip.
 */
#include "registry/registry_int.h"

struct push {
	struct bld_store *s;
	const struct bld_registry_opts *o;
	struct bld_registry_ref ref;
	struct bld_registry_client *c;
	struct reg_progress *prog;
	char *mount_from; /* another repository on the same registry with this image, or NULL */
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

static int push_blob(struct push *p, const struct reg_desc *d, bool show,
		     struct bld_error **err)
{
	cleanup_close int fd = bld_cache_blob_open(p->s, d->digest, err);
	if (fd < 0)
		return bld_error_wrap(err, "push %s", d->digest);
	int line = show ? reg_progress_add(p->prog, d->digest, "Preparing") : -1;
	const char *how = NULL;
	if (bld_registry_blob_upload(p->c, p->ref.path, d->digest, fd, d->size, p->mount_from,
				     &how, err) < 0)
		return -1;
	if (strcmp(how, "exists") == 0) {
		reg_progress_status(p->prog, line, "Layer already exists");
	} else if (strcmp(how, "mounted") == 0) {
		cleanup_free char *s = xasprintf("Mounted from %s", p->mount_from);
		reg_progress_status(p->prog, line, s);
	} else {
		reg_progress_status(p->prog, line, "Pushed");
	}
	return 0;
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
	int r = 0;
	for (size_t i = m.n; r == 0 && i > 0; i--) /* docker lists the top layer first */
		r = push_blob(p, &m.items[i - 1], true, err);
	if (r == 0)
		r = push_blob(p, &m.config, false, err);
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

static int run(struct push *p, char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	cleanup_free char *name = bld_registry_ref_string(&p->ref);
	cleanup_free char *fam = bld_registry_ref_familiar(&p->ref);
	struct bld_cache_desc d = {0};
	if (bld_cache_ref_get(p->s, name, &d, NULL) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND,
				     "an image does not exist locally with the tag: %s", fam);
	cleanup_free char *repo = bld_registry_ref_name(&p->ref);
	reg_progress_line(p->prog, "The push refers to repository [%s]", repo);
	p->mount_from = find_mount_source(p, d.digest);
	int r;
	if (reg_media_type_is_index(d.media_type))
		r = push_index(p, d.digest, d.media_type, out, err);
	else
		r = push_image(p, d.digest, d.media_type, p->ref.tag ? p->ref.tag : d.digest, out,
			       err);
	if (r == 0)
		reg_progress_line(p->prog, "%s: digest: %s size: %lld",
				  p->ref.tag ? p->ref.tag : "<none>", out, (long long)d.size);
	bld_cache_desc_dispose(&d);
	return r;
}

int bld_registry_push(struct bld_store *s, const char *ref, const struct bld_registry_opts *o,
		      char out[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	static const struct bld_registry_opts defaults = {0};
	struct push p = {.s = s, .o = o ? o : &defaults};
	if (bld_registry_ref_parse(&p.ref, ref, err) < 0)
		return -1;
	int r = bld_registry_client_new(&p.c, p.ref.domain, p.o, err);
	if (r == 0) {
		p.prog = reg_progress_new(p.o->tty, p.o->quiet);
		r = run(&p, out, err);
	}
	reg_progress_free(p.prog);
	free(p.mount_from);
	bld_registry_client_free(p.c);
	bld_registry_ref_dispose(&p.ref);
	return r;
}
