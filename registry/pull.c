/*
 * registry/pull.c — docker pull: resolve the reference, choose the platform's manifest
 * from an index, fetch config and layers into the store (fetch.c), store the manifest and
 * set the name last. Output follows docker's lines.
 *
 * Order is what makes failures harmless: nothing is named before every blob is in the
 * store and verified, and a failed fetch takes out the blobs it added.
 */
#include "registry/registry_int.h"

#include <jansson.h>
#include <time.h>

void bld_registry_pull_result_dispose(struct bld_registry_pull_result *r)
{
	free(r->name);
	memset(r, 0, sizeof(*r));
}

struct pull {
	struct bld_store *s;
	const struct bld_registry_opts *o;
	struct bld_registry_ref ref;
	struct bld_registry_client *c;
	struct reg_progress *prog;
	struct bld_registry_manifest top;   /* what the reference names */
	struct bld_registry_manifest image; /* the platform's image manifest */
	struct reg_manifest m;
	struct bld_registry_manifest orig; /* image before to_oci, when converted */
	int *lines; /* progress line of each fetched blob, -1 for none */
	size_t nlines;
};

/* Fetches what the reference names and, for an index, the platform's manifest. */
static int resolve(struct pull *p, struct bld_error **err)
{
	const char *what = p->ref.digest ? p->ref.digest : p->ref.tag;
	if (bld_registry_manifest_get(p->c, p->ref.path, what, &p->top, err) < 0)
		return -1;
	struct reg_manifest top;
	if (reg_manifest_parse(&top, p->top.media_type, p->top.data, p->top.len, err) < 0)
		return -1;
	if (!top.is_index) {
		p->m = top;
		p->image = p->top;
		p->image.data = xstrdup(p->top.data); /* image and top are disposed separately */
		p->image.media_type = xstrdup(p->top.media_type);
		return 0;
	}
	const struct reg_desc *d = NULL;
	int r = reg_platform_select(&top, p->o->platform, &d, err);
	if (r == 0)
		r = bld_registry_manifest_get(p->c, p->ref.path, d->digest, &p->image, err);
	reg_manifest_dispose(&top);
	if (r < 0)
		return -1;
	return reg_manifest_parse(&p->m, p->image.media_type, p->image.data, p->image.len, err);
}

/* Config and layers, each digest once (a writer per digest: duplicates would deadlock). */
static size_t wanted_blobs(struct pull *p, struct bld_registry_fetch *f, int *lines)
{
	size_t n = 0;
	f[n] = (struct bld_registry_fetch){p->m.config.digest, p->m.config.size, 0, false};
	lines[n++] = -1;
	for (size_t i = 0; i < p->m.n; i++) {
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(f[k].digest, p->m.items[i].digest) == 0;
		if (dup)
			continue;
		f[n] = (struct bld_registry_fetch){p->m.items[i].digest, p->m.items[i].size, 0, true};
		bool have = bld_cache_blob_exists(p->s, f[n].digest);
		lines[n] = reg_progress_add(p->prog, f[n].digest,
					    have ? "Already exists" : "Pulling fs layer");
		if (have)
			lines[n] = -1 - lines[n]; /* no "Pull complete" for this one */
		n++;
	}
	return n;
}

static int fetch_blobs(struct pull *p, int **lines_out, size_t *nl, struct bld_error **err)
{
	size_t cap = p->m.n + 1;
	cleanup_free struct bld_registry_fetch *f = xcalloc(cap, sizeof(*f));
	int *lines = xcalloc(cap, sizeof(*lines));
	size_t n = wanted_blobs(p, f, lines);
	*lines_out = lines;
	*nl = n;
	cleanup_free int *shown = xcalloc(n, sizeof(*shown));
	for (size_t i = 0; i < n; i++)
		shown[i] = lines[i] < -1 ? -1 : lines[i];
	return reg_blobs_fetch(p->c, p->s, p->ref.path, f, n, p->prog, shown, err);
}

/* Unpacks the image's layers for the runner (once per layer; cache/ skips what exists). */
static int unpack(struct pull *p, const char *digest, struct bld_error **err)
{
	struct bld_cache_image *img = NULL;
	if (bld_cache_image_load_digest(p->s, digest, &img, err) < 0)
		return -1;
	char **dirs = NULL;
	int r = bld_cache_image_layers(p->s, img, &dirs, err);
	bld_cache_layer_feeds_drop(p->s); /* those of layers that were there already */
	if (r == 0) /* records each layer's uncompressed size while its tree is in the cache */
		(void)bld_cache_image_size(p->s, img);
	bld_strv_free(dirs);
	bld_cache_image_free(img);
	return r;
}

/* What the name will point at: the stored manifest and, when converted, the original. */
static int store_manifests(struct pull *p, struct bld_cache_desc *nd, struct bld_error **err)
{
	if (bld_cache_blob_put(p->s, p->image.data, p->image.len, nd->digest, err) < 0)
		return -1;
	nd->media_type = p->image.media_type;
	nd->size = (int64_t)p->image.len;
	if (!p->orig.data)
		return 0;
	nd->orig_media_type = p->orig.media_type;
	return bld_cache_blob_put(p->s, p->orig.data, p->orig.len, nd->orig_digest, err);
}

/*
 * Stores the manifest, unpacks the layers, and points the name at it last; *updated when
 * the name moved.
 */
static int store_name(struct pull *p, const char *name, bool *updated, struct bld_error **err)
{
	struct bld_cache_desc nd = {0}; /* borrows the strings of p */
	if (store_manifests(p, &nd, err) < 0)
		return -1;
	const char *d = nd.digest;
	if (!p->ref.digest) /* docker's RepoDigests: what the tag resolved to in its repository */
		memcpy(nd.repo_digest, p->top.digest, BLD_DIGEST_STR_LEN);
	for (size_t i = 0; i < p->nlines; i++)
		if (p->lines[i] >= 0)
			reg_progress_status(p->prog, p->lines[i], "Extracting");
	int64_t t0 = bld_mono_ms();
	if (unpack(p, d, err) < 0)
		return -1;
	bld_debug("pull: layers unpacked in %lld ms", (long long)(bld_mono_ms() - t0));
	struct bld_cache_desc old = {0};
	cleanup_error struct bld_error *e = NULL;
	*updated = true;
	if (bld_cache_ref_get(p->s, name, &old, &e) == 0) {
		*updated = strcmp(old.digest, d) != 0;
		bool same = !*updated && strcmp(old.orig_digest, nd.orig_digest) == 0 &&
			    strcmp(old.repo_digest, nd.repo_digest) == 0;
		bld_cache_desc_dispose(&old);
		if (same)
			return 0;
	}
	return bld_cache_ref_set_desc(p->s, name, &nd, err);
}

static void print_header(struct pull *p)
{
	reg_progress_line(p->prog, "%s: Pulling from %s", p->ref.digest ? p->ref.digest : p->ref.tag,
			  p->ref.path);
}

/*
 * The store is an OCI image layout that skopeo and umoci read, and they only find OCI
 * manifests by name there: a Docker v2s2 manifest is stored as its OCI equivalent (same
 * blobs), as `skopeo copy docker://... oci:` does. The original is kept too and recorded
 * on the name, so that push sends it back unchanged (push.c) and the registry's digest is
 * the one printed.
 */
static int to_oci(struct pull *p, struct bld_error **err)
{
	if (strcmp(p->image.media_type, BLD_MT_DOCKER_MANIFEST) != 0)
		return 0;
	char *data = NULL;
	size_t len = 0;
	if (reg_manifest_to_oci(p->image.data, p->image.len, &data, &len, err) < 0)
		return -1;
	p->orig = p->image;
	p->image.data = data;
	p->image.len = len;
	p->image.media_type = xstrdup(BLD_MT_OCI_MANIFEST);
	bld_sha256_digest(data, len, p->image.digest);
	return 0;
}

static int run(struct pull *p, struct bld_registry_pull_result *out, struct bld_error **err)
{
	if (resolve(p, err) < 0 || to_oci(p, err) < 0)
		return -1;
	print_header(p);
	int64_t t0 = bld_mono_ms();
	if (fetch_blobs(p, &p->lines, &p->nlines, err) < 0)
		return -1;
	bld_debug("pull: blobs fetched and verified in %lld ms", (long long)(bld_mono_ms() - t0));
	out->name = bld_registry_ref_string(&p->ref);
	if (store_name(p, out->name, &out->updated, err) < 0)
		return -1;
	memcpy(out->digest, p->top.digest, BLD_DIGEST_STR_LEN);
	memcpy(out->manifest_digest, p->image.digest, BLD_DIGEST_STR_LEN);
	for (size_t i = 0; i < p->nlines; i++)
		if (p->lines[i] >= 0)
			reg_progress_status(p->prog, p->lines[i], "Pull complete");
	cleanup_free char *fam = bld_registry_ref_familiar(&p->ref);
	reg_progress_line(p->prog, "Digest: %s", out->digest);
	reg_progress_line(p->prog, "Status: %s for %s",
			  out->updated ? "Downloaded newer image" : "Image is up to date", fam);
	return 0;
}

int bld_registry_pull(struct bld_store *s, const char *ref, const struct bld_registry_opts *o,
		      struct bld_registry_pull_result *out, struct bld_error **err)
{
	static const struct bld_registry_opts defaults = {0};
	memset(out, 0, sizeof(*out));
	struct pull p = {.s = s, .o = o ? o : &defaults};
	if (bld_registry_ref_parse(&p.ref, ref, err) < 0)
		return -1;
	int r = bld_registry_client_new(&p.c, p.ref.domain, p.o, err);
	if (r == 0) {
		p.prog = reg_progress_new(p.o);
		const char *last = strrchr(ref, '/') ? strrchr(ref, '/') : ref;
		if (!strchr(last, ':') && !strchr(ref, '@'))
			reg_progress_line(p.prog, "Using default tag: latest");
		r = run(&p, out, err);
	}
	if (r == 0)
		reg_image_event(s, &p.ref, "pull");
	if (r < 0)
		bld_registry_pull_result_dispose(out);
	reg_progress_free(p.prog);
	free(p.lines);
	reg_manifest_dispose(&p.m);
	bld_registry_manifest_dispose(&p.top);
	bld_registry_manifest_dispose(&p.image);
	bld_registry_manifest_dispose(&p.orig);
	bld_registry_client_free(p.c);
	bld_registry_ref_dispose(&p.ref);
	return r;
}
