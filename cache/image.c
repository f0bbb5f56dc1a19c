/*
 * cache/image.c — images in the store: finding one by name, ID, ID prefix or digest,
 * resolving an index or manifest list to its linux/amd64 manifest, reading manifest and
 * config (both verified against their digests), listing and unpacking its layers, and
 * writing a new image (config + OCI manifest, and a Docker v2s2 manifest beside it when
 * asked) for layers that are already stored.
 *
 * It does not fetch anything (registry/) and does not decide what is garbage (gc.c).
 */
#include "cache/cache_int.h"

#include <errno.h>

static bool mt_is_index(const char *mt)
{
	return mt && (strcmp(mt, BLD_MT_OCI_INDEX) == 0 || strcmp(mt, BLD_MT_DOCKER_LIST) == 0);
}

static int read_json(struct bld_store *s, const char *digest, size_t max, json_t **out,
		     size_t *len, struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t n = 0;
	int r = bld_cache_blob_read(s, digest, max, &data, &n, err);
	if (r < 0)
		return r;
	if (bld_json_load_buf(out, data, n, err) < 0 || !json_is_object(*out))
		return bld_error_wrap(err, "blob %s", digest);
	if (len)
		*len = n;
	return 0;
}

/* The linux/amd64 entry of an index whose manifest is in the store. */
static int pick_platform(struct bld_store *s, const json_t *index, char out[BLD_DIGEST_STR_LEN],
			 struct bld_error **err)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		json_t *p = json_object_get(m, "platform");
		const char *os = bld_json_get_str(p, "os"), *arch = bld_json_get_str(p, "architecture");
		const char *d = bld_json_get_str(m, "digest");
		if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, "amd64") == 0 &&
		    bld_cache_blob_exists(s, d)) {
			memcpy(out, d, BLD_DIGEST_STR_LEN);
			return 0;
		}
	}
	return bld_error_set(err, BLD_E_NOTFOUND, "no linux/amd64 image in the store for this index");
}

static int load_config(struct bld_store *s, struct bld_cache_image *img, struct bld_error **err)
{
	json_t *cfg = json_object_get(img->manifest, "config");
	const char *cd = bld_json_get_str(cfg, "digest");
	if (!bld_digest_valid(cd))
		return bld_error_set(err, BLD_E_INVALID, "manifest %s has no valid config",
				     img->manifest_digest);
	memcpy(img->id, cd, BLD_DIGEST_STR_LEN);
	return read_json(s, cd, BLD_CACHE_CONFIG_MAX, &img->config, NULL, err);
}

int bld_cache_image_load_digest(struct bld_store *s, const char *digest,
				struct bld_cache_image **out, struct bld_error **err)
{
	struct bld_cache_image *img = xcalloc(1, sizeof(*img));
	size_t len = 0;
	json_t *top = NULL;
	int r = read_json(s, digest, BLD_CACHE_MANIFEST_MAX, &top, &len, err);
	if (r == 0 && (mt_is_index(bld_json_get_str(top, "mediaType")) ||
		       json_is_array(json_object_get(top, "manifests")))) {
		memcpy(img->index_digest, digest, BLD_DIGEST_STR_LEN);
		r = pick_platform(s, top, img->manifest_digest, err);
		json_decref(top);
		top = NULL;
		if (r == 0)
			r = read_json(s, img->manifest_digest, BLD_CACHE_MANIFEST_MAX, &top, &len, err);
	} else if (r == 0) {
		memcpy(img->manifest_digest, digest, BLD_DIGEST_STR_LEN);
	}
	img->manifest = top;
	if (r == 0) {
		const char *mt = bld_json_get_str(top, "mediaType");
		img->manifest_media_type = xstrdup(mt ? mt : BLD_MT_OCI_MANIFEST);
		img->manifest_size = (int64_t)len;
		r = load_config(s, img, err);
	}
	if (r < 0) {
		bld_cache_image_free(img);
		return r;
	}
	*out = img;
	return 0;
}

void bld_cache_image_free(struct bld_cache_image *img)
{
	if (!img)
		return;
	if (img->manifest)
		json_decref(img->manifest);
	if (img->config)
		json_decref(img->config);
	free(img->name);
	free(img->manifest_media_type);
	free(img);
}

/* "sha256:abc", "abc": a hex prefix of at most 64 digits; returns the hex part or NULL. */
static const char *id_prefix(const char *s)
{
	const char *h = bld_str_has_prefix(s, "sha256:") ? s + 7 : s;
	size_t n = strlen(h);
	if (n == 0 || n > BLD_SHA256_HEX_LEN)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return NULL;
	return h;
}

/* Whether the entry d (a stored image) matches the ID prefix or digest hex. */
static bool entry_matches(struct bld_store *s, const struct bld_cache_desc *d, const char *hex,
			  char id[BLD_DIGEST_STR_LEN], char mdigest[BLD_DIGEST_STR_LEN])
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (bld_cache_image_load_digest(s, d->digest, &img, &e) < 0) {
		bld_error_free(e);
		return false;
	}
	bool full = strlen(hex) == BLD_SHA256_HEX_LEN;
	bool hit = bld_str_has_prefix(bld_cache_hex(img->id), hex) ||
		   (full && (strcmp(bld_cache_hex(d->digest), hex) == 0 ||
			     strcmp(bld_cache_hex(img->manifest_digest), hex) == 0));
	memcpy(id, img->id, BLD_DIGEST_STR_LEN);
	memcpy(mdigest, d->digest, BLD_DIGEST_STR_LEN);
	bld_cache_image_free(img);
	return hit;
}

static int find_by_id(struct bld_store *s, const char *hex, const char *orig,
		      struct bld_cache_image **out, struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	if (r < 0)
		return r;
	char found_id[BLD_DIGEST_STR_LEN] = "", found_digest[BLD_DIGEST_STR_LEN] = "";
	const char *name = NULL;
	for (size_t i = 0; i < n && r == 0; i++) {
		char id[BLD_DIGEST_STR_LEN], md[BLD_DIGEST_STR_LEN];
		if (!entry_matches(s, &v[i], hex, id, md))
			continue;
		if (found_id[0] && strcmp(found_id, id) != 0)
			r = bld_error_set(err, BLD_E_INVALID,
					  "%s is ambiguous: it matches more than one image", orig);
		memcpy(found_id, id, sizeof(id));
		if (!found_digest[0] || (!name && v[i].name))
			memcpy(found_digest, md, sizeof(md));
		if (!name && v[i].name)
			name = v[i].name;
	}
	if (r == 0 && !found_id[0])
		r = bld_error_set(err, BLD_E_NOTFOUND, "no such image: %s", orig);
	if (r == 0)
		r = bld_cache_image_load_digest(s, found_digest, out, err);
	if (r == 0 && name)
		(*out)->name = xstrdup(name);
	bld_cache_desc_list_free(v, n);
	return r;
}

int bld_cache_image_load(struct bld_store *s, const char *name_or_id,
			 struct bld_cache_image **out, struct bld_error **err)
{
	struct bld_cache_desc d;
	struct bld_error *e = NULL;
	if (bld_cache_ref_get(s, name_or_id, &d, &e) == 0) {
		int r = bld_cache_image_load_digest(s, d.digest, out, err);
		if (r == 0)
			(*out)->name = xstrdup(name_or_id);
		bld_cache_desc_dispose(&d);
		return r;
	}
	bool notfound = e->code == BLD_E_NOTFOUND;
	if (!notfound) {
		bld_error_move(err, &e);
		return -(*err)->code;
	}
	bld_error_free(e);
	const char *hex = id_prefix(name_or_id);
	if (!hex)
		return bld_error_set(err, BLD_E_NOTFOUND, "no such image: %s", name_or_id);
	return find_by_id(s, hex, name_or_id, out, err);
}

int bld_cache_image_layer_list(const struct bld_cache_image *img,
			       struct bld_cache_layer **out, size_t *n, struct bld_error **err)
{
	json_t *layers = json_object_get(img->manifest, "layers");
	json_t *diffs = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
	size_t k = json_array_size(layers);
	if ((layers && !json_is_array(layers)) || json_array_size(diffs) != k)
		return bld_error_set(err, BLD_E_INVALID,
				     "image %s: manifest and config disagree on the layers", img->id);
	struct bld_cache_layer *v = xcalloc(k + 1, sizeof(*v));
	for (size_t i = 0; i < k; i++) {
		json_t *l = json_array_get(layers, i);
		const char *d = bld_json_get_str(l, "digest");
		const char *di = json_string_value(json_array_get(diffs, i));
		const char *mt = bld_json_get_str(l, "mediaType");
		json_t *sz = json_object_get(l, "size");
		if (!bld_digest_valid(d) || !bld_digest_valid(di) || !json_is_integer(sz)) {
			free(v);
			return bld_error_set(err, BLD_E_INVALID, "image %s: bad layer %zu", img->id, i);
		}
		memcpy(v[i].digest, d, BLD_DIGEST_STR_LEN);
		memcpy(v[i].diff_id, di, BLD_DIGEST_STR_LEN);
		v[i].size = (int64_t)json_integer_value(sz);
		snprintf(v[i].media_type, sizeof(v[i].media_type), "%s", mt ? mt : BLD_MT_OCI_LAYER_GZ);
	}
	*out = v;
	*n = k;
	return 0;
}

int bld_cache_image_layers(struct bld_store *s, const struct bld_cache_image *img,
			   char ***dirs, struct bld_error **err)
{
	cleanup_free struct bld_cache_layer *v = NULL;
	size_t n = 0;
	int r = bld_cache_image_layer_list(img, &v, &n, err);
	if (r < 0)
		return r;
	char **out = xcalloc(n + 1, sizeof(char *));
	char chain[BLD_DIGEST_STR_LEN];
	for (size_t i = 0; i < n && r == 0; i++) {
		bld_cache_layer_chain_id(i ? chain : NULL, v[i].diff_id, chain);
		r = bld_cache_layer_unpack(s, v[i].digest, v[i].diff_id, chain, &out[i], err);
	}
	if (r < 0) {
		bld_strv_free(out);
		return bld_error_wrap(err, "image %.19s", img->id);
	}
	*dirs = out;
	return 0;
}

static json_t *descriptor(const char *mt, const char *digest, int64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size",
			 (json_int_t)size);
}

/* Stores a JSON value as canonical bytes; returns the size. */
static int64_t put_json(struct bld_store *s, const json_t *v, char d[BLD_DIGEST_STR_LEN],
			struct bld_error **err)
{
	cleanup_free char *data = bld_json_dump_canonical(v);
	size_t n = strlen(data);
	return bld_cache_blob_put(s, data, n, d, err) < 0 ? -1 : (int64_t)n;
}

/* The Docker v2s2 media type of an OCI layer type, or NULL when v2s2 has none (zstd). */
static const char *docker_layer_type(const char *oci)
{
	static const char *const map[][2] = {
		{BLD_MT_OCI_LAYER_GZ, BLD_MT_DOCKER_LAYER_GZ},
		{BLD_MT_OCI_LAYER, "application/vnd.docker.image.rootfs.diff.tar"},
		{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		 "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(map); i++)
		if (strcmp(oci, map[i][0]) == 0 || strcmp(oci, map[i][1]) == 0)
			return map[i][1];
	return NULL;
}

/*
 * The manifest listing config and layers, with OCI or Docker v2s2 media types. Both forms
 * are canonical JSON with the same keys in the same order, so the OCI form is exactly what
 * registry/ derives from the v2s2 one (pull.c's to_oci) and push recognises the pair.
 */
static json_t *manifest_for(const struct bld_cache_layer *layers, size_t n, const char *cd,
			    int64_t csize, bool docker, struct bld_error **err)
{
	json_t *mlayers = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *mt = layers[i].media_type[0] ? layers[i].media_type : BLD_MT_OCI_LAYER_GZ;
		if (docker && !docker_layer_type(mt)) {
			json_decref(mlayers);
			bld_error_set(err, BLD_E_UNSUPPORTED,
				      "layer %s (%s) has no Docker v2s2 media type", layers[i].digest, mt);
			return NULL;
		}
		json_array_append_new(mlayers, descriptor(docker ? docker_layer_type(mt) : mt,
							  layers[i].digest, layers[i].size));
	}
	return json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			 docker ? BLD_MT_DOCKER_MANIFEST : BLD_MT_OCI_MANIFEST, "config",
			 descriptor(docker ? BLD_MT_DOCKER_CONFIG : BLD_MT_OCI_CONFIG, cd, csize),
			 "layers", mlayers);
}

/* Stores the manifest(s) and names the image: the OCI form, and the v2s2 one beside it. */
static int put_manifests(struct bld_store *s, const struct bld_cache_layer *layers, size_t n,
			 const char *cd, int64_t csize, const char *name, bool docker,
			 char md[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	struct bld_cache_desc d = {.media_type = (char *)BLD_MT_OCI_MANIFEST};
	cleanup_json json_t *m = manifest_for(layers, n, cd, csize, false, err);
	cleanup_json json_t *dm = docker ? manifest_for(layers, n, cd, csize, true, err) : NULL;
	if (!m || (docker && !dm))
		return -1;
	d.size = put_json(s, m, d.digest, err);
	if (d.size < 0)
		return bld_error_wrap(err, "store manifest");
	memcpy(md, d.digest, BLD_DIGEST_STR_LEN);
	if (docker) {
		if (put_json(s, dm, d.orig_digest, err) < 0)
			return bld_error_wrap(err, "store manifest");
		d.orig_media_type = (char *)BLD_MT_DOCKER_MANIFEST;
		memcpy(md, d.orig_digest, BLD_DIGEST_STR_LEN);
	}
	return bld_cache_ref_set_desc(s, name, &d, err);
}

int bld_cache_image_write_fmt(struct bld_store *s, const struct json_t *config,
			      const struct bld_cache_layer *layers, size_t n, const char *name,
			      bool docker, char manifest_digest[BLD_DIGEST_STR_LEN],
			      char id[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (!bld_cache_blob_exists(s, layers[i].digest))
			return bld_error_set(err, BLD_E_NOTFOUND, "layer %s is not in the store",
					     layers[i].digest);
	cleanup_json json_t *cfg = json_deep_copy(config);
	json_t *diffs = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(diffs, json_string(layers[i].diff_id));
	json_object_set_new(cfg, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids", diffs));
	char cd[BLD_DIGEST_STR_LEN], md[BLD_DIGEST_STR_LEN];
	int64_t csize = put_json(s, cfg, cd, err);
	if (csize < 0)
		return bld_error_wrap(err, "store config");
	if (put_manifests(s, layers, n, cd, csize, name, docker, md, err) < 0)
		return -1;
	if (manifest_digest)
		memcpy(manifest_digest, md, sizeof(md));
	if (id)
		memcpy(id, cd, sizeof(cd));
	return 0;
}

int bld_cache_image_write(struct bld_store *s, const struct json_t *config,
			  const struct bld_cache_layer *layers, size_t n, const char *name,
			  char manifest_digest[BLD_DIGEST_STR_LEN], char id[BLD_DIGEST_STR_LEN],
			  struct bld_error **err)
{
	return bld_cache_image_write_fmt(s, config, layers, n, name, false, manifest_digest, id,
					 err);
}

/* Whether an index entry points at img's manifest or at the index it came through. */
static bool entry_is(const struct bld_cache_desc *d, const struct bld_cache_image *img)
{
	return strcmp(d->digest, img->manifest_digest) == 0 ||
	       (img->index_digest[0] && strcmp(d->digest, img->index_digest) == 0);
}

int bld_cache_image_names(struct bld_store *s, const struct bld_cache_image *img,
			  char ***names, struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list(s, &v, &n, err);
	if (r < 0)
		return r;
	char **out = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (entry_is(&v[i], img))
			bld_strv_push(&out, v[i].name);
	bld_cache_desc_list_free(v, n);
	*names = out;
	return 0;
}

/* "repo@digest" for a name: its own digest reference, else its recorded repo digest. */
static char *repo_digest_of(const struct bld_cache_desc *d)
{
	const char *at = strchr(d->name, '@');
	if (!at && !d->repo_digest[0])
		return NULL;
	size_t n = at ? (size_t)(at - d->name) : strlen(d->name);
	const char *slash = memrchr(d->name, '/', n);
	size_t base = slash ? (size_t)(slash - d->name) : 0;
	const char *colon = memchr(d->name + base, ':', n - base); /* the tag, after the path */
	if (colon)
		n = (size_t)(colon - d->name);
	return xasprintf("%.*s@%s", (int)n, d->name, at ? at + 1 : d->repo_digest);
}

/* Whether an entry names img: its manifest or index, or another manifest of the same
 * config (a Docker v2s2 pull stored beside the OCI one is the same image to docker). */
static bool same_image(struct bld_store *s, const struct bld_cache_desc *d,
		       const struct bld_cache_image *img)
{
	if (entry_is(d, img))
		return true;
	struct bld_cache_image *other = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_image_load_digest(s, d->digest, &other, &e) < 0)
		return false;
	bool same = strcmp(other->id, img->id) == 0;
	bld_cache_image_free(other);
	return same;
}

/* A tag name as it is (NULL for a digest name). */
static char *tag_of(const struct bld_cache_desc *d)
{
	return strchr(d->name, '@') ? NULL : xstrdup(d->name);
}

/* What fn makes of every name of img (NULL skipped), each once, in index order. */
static int collect(struct bld_store *s, const struct bld_cache_image *img,
		   char *(*fn)(const struct bld_cache_desc *), char ***out, struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list(s, &v, &n, err);
	if (r < 0)
		return r;
	char **list = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *x = fn(&v[i]);
		if (!x || !same_image(s, &v[i], img))
			continue;
		bool seen = false;
		for (size_t k = 0; !seen && list[k]; k++)
			seen = strcmp(list[k], x) == 0;
		if (!seen)
			bld_strv_push(&list, x);
	}
	bld_cache_desc_list_free(v, n);
	*out = list;
	return 0;
}

int bld_cache_image_repo_digests(struct bld_store *s, const struct bld_cache_image *img,
				 char ***out, struct bld_error **err)
{
	return collect(s, img, repo_digest_of, out, err);
}

int bld_cache_image_tags(struct bld_store *s, const struct bld_cache_image *img, char ***out,
			 struct bld_error **err)
{
	return collect(s, img, tag_of, out, err);
}

/* Entries still pointing at digest: all, and those that are not digest references. */
static void count_refs(struct bld_store *s, const char *digest, size_t *all, size_t *tags,
		       char ***digest_refs)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	*all = *tags = 0;
	if (bld_cache_ref_list_all(s, &v, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].digest, digest) != 0)
			continue;
		(*all)++;
		if (v[i].name && !strchr(v[i].name, '@'))
			(*tags)++;
		else if (v[i].name && digest_refs)
			bld_strv_push(digest_refs, v[i].name);
	}
	bld_cache_desc_list_free(v, n);
}

/* Untags one name; when no tag is left, its digest references and the entry go too. */
static int untag(struct bld_store *s, const char *name, const struct bld_cache_desc *d,
		 char ***untagged, char **deleted, struct bld_error **err)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	/* before the first goto: its cleanup must never see an uninitialised pointer */
	cleanup_strv char **drefs = NULL;
	size_t all = 0, tags = 0;
	if (bld_cache_image_load_digest(s, d->digest, &img, &e) < 0)
		bld_error_free(e);
	int r = bld_cache_ref_delete(s, name, err);
	if (r < 0)
		goto out;
	bld_strv_push(untagged, name);
	count_refs(s, d->digest, &all, &tags, &drefs);
	if (tags > 0)
		goto out;
	for (size_t i = 0; drefs && drefs[i]; i++)
		bld_strv_push(untagged, drefs[i]);
	r = bld_cache_ref_delete_digest(s, d->digest, err);
	if (r == 0)
		*deleted = xstrdup(img ? img->id : d->digest);
out:
	bld_cache_image_free(img);
	return r;
}

int bld_cache_image_remove(struct bld_store *s, const char *name_or_id, bool force,
			   char ***untagged, char **deleted, struct bld_error **err)
{
	*untagged = xcalloc(1, sizeof(char *));
	*deleted = NULL;
	struct bld_cache_desc d;
	struct bld_error *e = NULL;
	if (bld_cache_ref_get(s, name_or_id, &d, &e) == 0) {
		int r = untag(s, name_or_id, &d, untagged, deleted, err);
		bld_cache_desc_dispose(&d);
		return r;
	}
	bld_error_free(e);
	struct bld_cache_image *img = NULL;
	int r = bld_cache_image_load(s, name_or_id, &img, err);
	if (r < 0)
		return r;
	const char *entry = img->index_digest[0] ? img->index_digest : img->manifest_digest;
	size_t all = 0, tags = 0;
	count_refs(s, entry, &all, &tags, NULL);
	if (tags > 1 && !force) {
		r = bld_error_set(err, BLD_E_EXISTS,
				  "conflict: unable to delete %.12s (must be forced) - image is "
				  "referenced in multiple repositories", bld_cache_hex(img->id));
	} else {
		bld_strv_free(*untagged);
		r = bld_cache_image_names(s, img, untagged, err);
	}
	if (r == 0)
		r = bld_cache_ref_delete_digest(s, entry, err);
	if (r == 0)
		*deleted = xstrdup(img->id);
	bld_cache_image_free(img);
	return r;
}
