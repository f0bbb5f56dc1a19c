/*
 * cache/refs.c — names: the entries of oci/index.json. A named entry carries the fully
 * qualified reference in the org.opencontainers.image.ref.name annotation, which is what
 * skopeo (oci:DIR:NAME) and umoci look up; an entry without the annotation keeps an image
 * that lost its last name ("dangling", shown as <none> like docker does) until it is
 * removed or pruned. A named entry may also record the manifest as its registry serves it
 * (BLD_ANN_ORIG_*: registry/ stores a Docker v2s2 manifest as OCI and keeps the original),
 * which this file only carries along, and the digest the name's registry has for it
 * (BLD_ANN_REPO_DIGEST, docker's RepoDigests). Every change is a read-modify-write of index.json
 * under the index lock, written atomically; entries and annotations bld does not know are
 * kept as they are.
 *
 * This file knows nothing of what a manifest contains (image.c) nor of garbage (gc.c).
 */
#include "cache/cache_int.h"

#define NAME_MAX_LEN 512

void bld_cache_desc_dispose(struct bld_cache_desc *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->media_type);
	free(d->orig_media_type);
	memset(d, 0, sizeof(*d));
}

void bld_cache_desc_list_free(struct bld_cache_desc *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++)
		bld_cache_desc_dispose(&d[i]);
	free(d);
}

static const char *entry_name(const json_t *e)
{
	return bld_json_get_str(json_object_get(e, "annotations"), BLD_OCI_REF_NAME);
}

static const char *entry_digest(const json_t *e) { return bld_json_get_str(e, "digest"); }

/* Fills d from an index entry; false when the entry is not one bld can use. */
static bool entry_desc(const json_t *e, struct bld_cache_desc *d)
{
	const char *dg = entry_digest(e);
	const char *mt = bld_json_get_str(e, "mediaType");
	if (!bld_digest_valid(dg))
		return false;
	memset(d, 0, sizeof(*d));
	const char *name = entry_name(e);
	d->name = name ? xstrdup(name) : NULL;
	memcpy(d->digest, dg, BLD_DIGEST_STR_LEN);
	d->media_type = xstrdup(mt ? mt : BLD_MT_OCI_MANIFEST);
	json_t *sz = json_object_get(e, "size");
	d->size = json_is_integer(sz) ? (int64_t)json_integer_value(sz) : -1;
	json_t *ann = json_object_get(e, "annotations");
	const char *od = bld_json_get_str(ann, BLD_ANN_ORIG_DIGEST);
	const char *omt = bld_json_get_str(ann, BLD_ANN_ORIG_MEDIA_TYPE);
	if (od && omt && bld_digest_valid(od)) {
		memcpy(d->orig_digest, od, BLD_DIGEST_STR_LEN);
		d->orig_media_type = xstrdup(omt);
	}
	const char *rd = bld_json_get_str(ann, BLD_ANN_REPO_DIGEST);
	if (name && rd && bld_digest_valid(rd))
		memcpy(d->repo_digest, rd, BLD_DIGEST_STR_LEN);
	return true;
}

/* An entry for d (its name, when given, is name); the original-manifest record only named. */
static json_t *new_entry(const char *name, const struct bld_cache_desc *d)
{
	json_t *e = json_pack("{s:s, s:s, s:I}", "mediaType",
			      d->media_type ? d->media_type : BLD_MT_OCI_MANIFEST, "digest",
			      d->digest, "size", (json_int_t)d->size);
	if (!name)
		return e;
	json_t *ann = json_pack("{s:s}", BLD_OCI_REF_NAME, name);
	if (d->orig_digest[0] && d->orig_media_type) {
		json_object_set_new(ann, BLD_ANN_ORIG_DIGEST, json_string(d->orig_digest));
		json_object_set_new(ann, BLD_ANN_ORIG_MEDIA_TYPE, json_string(d->orig_media_type));
	}
	if (bld_digest_valid(d->repo_digest))
		json_object_set_new(ann, BLD_ANN_REPO_DIGEST, json_string(d->repo_digest));
	json_object_set_new(e, "annotations", ann);
	return e;
}

/* Index of the entry named name in the array, or -1. */
static ssize_t find_named(const json_t *arr, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		const char *n = entry_name(e);
		if (n && strcmp(n, name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static bool digest_referenced(const json_t *arr, const char *digest)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		const char *d = entry_digest(e);
		if (d && strcmp(d, digest) == 0)
			return true;
	}
	return false;
}

/* Drops unnamed entries for digest (the image is about to get a name). */
static void drop_dangling(json_t *arr, const char *digest)
{
	for (size_t i = json_array_size(arr); i-- > 0;) {
		json_t *e = json_array_get(arr, i);
		const char *d = entry_digest(e);
		if (!entry_name(e) && d && strcmp(d, digest) == 0)
			json_array_remove(arr, i);
	}
}

static int check_name(const char *name, struct bld_error **err)
{
	size_t n = strlen(name);
	if (n == 0 || n > NAME_MAX_LEN)
		return bld_error_set(err, BLD_E_INVALID, "invalid reference \"%.64s\"", name);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return bld_error_set(err, BLD_E_INVALID, "invalid reference \"%s\"", name);
	return 0;
}

/* The change itself, on a loaded index; the caller saves. */
static void set_in_index(json_t *arr, const char *name, const struct bld_cache_desc *d)
{
	const char *digest = d->digest;
	json_t *ne = new_entry(name, d);
	ssize_t at = name ? find_named(arr, name) : -1;
	if (at < 0) {
		if (name || !digest_referenced(arr, digest)) {
			if (name)
				drop_dangling(arr, digest);
			json_array_append(arr, ne);
		}
		json_decref(ne);
		return;
	}
	json_t *old = json_array_get(arr, (size_t)at);
	struct bld_cache_desc od;
	bool had = entry_desc(old, &od);
	drop_dangling(arr, digest);
	at = find_named(arr, name);
	json_array_set_new(arr, (size_t)at, ne);
	/* the image that lost this name stays, unnamed, unless another entry still holds it */
	if (had && strcmp(od.digest, digest) != 0 && !digest_referenced(arr, od.digest))
		json_array_append_new(arr, new_entry(NULL, &od));
	if (had)
		bld_cache_desc_dispose(&od);
}

/* Runs edit on index.json's "manifests" under the index lock and saves when it returns 0. */
static int index_update(struct bld_store *s, int (*edit)(json_t *arr, const void *arg,
							  struct bld_error **err),
			const void *arg, struct bld_error **err)
{
	int lk = bld_cache_index_lock(s, err);
	if (lk < 0)
		return lk;
	cleanup_json json_t *idx = NULL;
	int r = bld_cache_index_load(s, &idx, err);
	if (r == 0)
		r = edit(json_object_get(idx, "manifests"), arg, err);
	if (r == 0)
		r = bld_cache_index_save(s, idx, err);
	bld_cache_index_unlock(lk);
	return r;
}

struct named_desc {
	const char *name;
	const struct bld_cache_desc *d;
};

static int edit_set(json_t *arr, const void *arg, struct bld_error **err)
{
	const struct named_desc *nd = arg;
	set_in_index(arr, nd->name, nd->d);
	return 0;
}

int bld_cache_ref_set(struct bld_store *s, const char *name, const char *digest,
		      const char *media_type, int64_t size, struct bld_error **err)
{
	if (!digest || !bld_digest_valid(digest))
		return bld_error_set(err, BLD_E_NOTFOUND, "manifest %s is not in the store",
				     digest ? digest : "(null)");
	struct bld_cache_desc d = {.media_type = (char *)media_type, .size = size};
	memcpy(d.digest, digest, BLD_DIGEST_STR_LEN);
	return bld_cache_ref_set_desc(s, name, &d, err);
}

int bld_cache_ref_set_desc(struct bld_store *s, const char *name,
			   const struct bld_cache_desc *d, struct bld_error **err)
{
	const char *digest = d->digest;
	if (name && check_name(name, err) < 0)
		return -BLD_E_INVALID;
	if (!bld_cache_blob_exists(s, digest))
		return bld_error_set(err, BLD_E_NOTFOUND, "manifest %s is not in the store", digest);
	if (d->orig_digest[0] && !bld_cache_blob_exists(s, d->orig_digest))
		return bld_error_set(err, BLD_E_NOTFOUND, "manifest %s is not in the store",
				     d->orig_digest);
	struct bld_cache_desc e = *d;
	if (e.size < 0)
		e.size = bld_cache_blob_size(s, digest);
	struct named_desc nd = {name, &e};
	return index_update(s, edit_set, &nd, err);
}

int bld_cache_ref_get(struct bld_store *s, const char *name, struct bld_cache_desc *out,
		      struct bld_error **err)
{
	cleanup_json json_t *idx = NULL;
	int r = bld_cache_index_load(s, &idx, err);
	if (r < 0)
		return r;
	json_t *arr = json_object_get(idx, "manifests");
	ssize_t at = find_named(arr, name);
	if (at < 0 || !entry_desc(json_array_get(arr, (size_t)at), out))
		return bld_error_set(err, BLD_E_NOTFOUND, "no such image: %s", name);
	return 0;
}

struct repo_digest_edit {
	const char *name, *digest, *repo_digest;
	int done;
};

static int edit_repo_digest(json_t *arr, const void *arg, struct bld_error **err)
{
	struct repo_digest_edit *rd = (struct repo_digest_edit *)arg;
	ssize_t at = find_named(arr, rd->name);
	json_t *e = at < 0 ? NULL : json_array_get(arr, (size_t)at);
	const char *d = e ? entry_digest(e) : NULL;
	if (!d || strcmp(d, rd->digest) != 0)
		return 0;
	json_object_set_new(json_object_get(e, "annotations"), BLD_ANN_REPO_DIGEST,
			    json_string(rd->repo_digest));
	rd->done = 1;
	return 0;
}

int bld_cache_ref_set_repo_digest(struct bld_store *s, const char *name, const char *digest,
				  const char *repo_digest, struct bld_error **err)
{
	if (!bld_digest_valid(repo_digest))
		return bld_error_set(err, BLD_E_INVALID, "invalid digest %s", repo_digest);
	struct repo_digest_edit rd = {name, digest, repo_digest, 0};
	int r = index_update(s, edit_repo_digest, &rd, err);
	return r < 0 ? r : rd.done;
}

static int edit_delete(json_t *arr, const void *name, struct bld_error **err)
{
	ssize_t at = find_named(arr, name);
	if (at < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "no such image: %s", (const char *)name);
	json_array_remove(arr, (size_t)at);
	return 0;
}

int bld_cache_ref_delete(struct bld_store *s, const char *name, struct bld_error **err)
{
	return index_update(s, edit_delete, name, err);
}

static int edit_delete_digest(json_t *arr, const void *digest, struct bld_error **err)
{
	for (size_t i = json_array_size(arr); i-- > 0;) {
		const char *d = entry_digest(json_array_get(arr, i));
		if (d && strcmp(d, digest) == 0)
			json_array_remove(arr, i);
	}
	return 0;
}

int bld_cache_ref_delete_digest(struct bld_store *s, const char *digest, struct bld_error **err)
{
	return index_update(s, edit_delete_digest, digest, err);
}

static int list(struct bld_store *s, bool all, struct bld_cache_desc **out, size_t *n,
		struct bld_error **err)
{
	cleanup_json json_t *idx = NULL;
	int r = bld_cache_index_load(s, &idx, err);
	if (r < 0)
		return r;
	json_t *arr = json_object_get(idx, "manifests");
	struct bld_cache_desc *v = xcalloc(json_array_size(arr) + 1, sizeof(*v));
	size_t k = 0, i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		if ((all || entry_name(e)) && entry_desc(e, &v[k]))
			k++;
	}
	*out = v;
	*n = k;
	return 0;
}

int bld_cache_ref_list(struct bld_store *s, struct bld_cache_desc **out, size_t *n,
		       struct bld_error **err)
{
	return list(s, false, out, n, err);
}

int bld_cache_ref_list_all(struct bld_store *s, struct bld_cache_desc **out, size_t *n,
			   struct bld_error **err)
{
	return list(s, true, out, n, err);
}

int bld_cache_ref_find_digest(struct bld_store *s, const char *digest, struct bld_cache_desc *out,
		       struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	if (r < 0)
		return r;
	r = bld_error_set(err, BLD_E_NOTFOUND, "no index entry for %s", digest);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].digest, digest) != 0)
			continue;
		*out = v[i];
		memset(&v[i], 0, sizeof(v[i]));
		if (err && *err) {
			bld_error_free(*err);
			*err = NULL;
		}
		r = 0;
		break;
	}
	bld_cache_desc_list_free(v, n);
	return r;
}
