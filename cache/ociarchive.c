/*
 * cache/ociarchive.c — one stored image written as an OCI image layout tarball, the way
 * BuildKit's oci exporter writes it (`bld build --output type=oci`): oci-layout,
 * index.json naming the manifest (io.containerd.image.name and
 * org.opencontainers.image.ref.name when the image has a name) and blobs/sha256/<hex> for
 * the manifest, config and layers, exactly as stored. Entries are sorted by name, owned by
 * root with mode 0444 (directories 0755) and timestamp 0, so the same image always gives
 * the same bytes. skopeo's oci-archive: and bld load (archive.c) read it.
 *
 * It reads the store only; reading OCI archives back is archive.c's.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <sys/stat.h>

struct oa {
	struct archive *a;
	struct bld_store *s;
	struct bld_error **err;
};

static int oa_err(struct oa *w, const char *what)
{
	const char *m = archive_error_string(w->a);
	return bld_error_set(w->err, BLD_E_SYSTEM, "%s: %s", what, m ? m : "archive error");
}

static int oa_header(struct oa *w, const char *path, mode_t type, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0444);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	if (type == AE_IFREG)
		archive_entry_set_size(e, size);
	int r = archive_write_header(w->a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : oa_err(w, path);
}

static int oa_bytes(struct oa *w, const char *path, const char *data, size_t n)
{
	if (oa_header(w, path, AE_IFREG, (int64_t)n) < 0)
		return -1;
	if (n && archive_write_data(w->a, data, n) != (la_ssize_t)n)
		return oa_err(w, path);
	return 0;
}

/* blobs/sha256/<hex>, copied from the store (not re-verified: the store checked it). */
static int oa_blob(struct oa *w, const char *digest)
{
	cleanup_free char *path = xasprintf("blobs/sha256/%s", bld_cache_hex(digest));
	cleanup_close int fd = bld_cache_blob_open(w->s, digest, w->err);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return bld_error_sys(w->err, errno, "stat blob %s", digest);
	if (oa_header(w, path, AE_IFREG, st.st_size) < 0)
		return -1;
	char buf[65536];
	for (int64_t left = st.st_size; left > 0;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return bld_error_sys(w->err, n < 0 ? errno : EIO, "read blob %s", digest);
		if (archive_write_data(w->a, buf, (size_t)n) != n)
			return oa_err(w, path);
		left -= n;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The manifest's, config's and layers' digests, sorted, each once; NULL when a layer has
 * no valid digest (the archive could not hold it). */
static char **image_blobs(const struct bld_cache_image *img)
{
	char **v = NULL;
	bld_strv_push(&v, img->manifest_digest);
	bld_strv_push(&v, img->id);
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(img->manifest, "layers"), i, l) {
		const char *d = bld_json_get_str(l, "digest");
		if (!bld_digest_valid(d)) {
			bld_strv_free(v);
			return NULL;
		}
		bld_strv_push(&v, d);
	}
	size_t n = bld_strv_len(v);
	qsort(v, n, sizeof(char *), cmp_str);
	size_t k = 0;
	for (i = 0; i < n; i++) {
		if (k && strcmp(v[k - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	v[k] = NULL;
	return v;
}

/* index.json: the one manifest, with BuildKit's annotations when there is a name. */
static char *index_json(const struct bld_cache_image *img, const char *name)
{
	json_t *m = json_pack("{s:s, s:s, s:I}", "mediaType", img->manifest_media_type, "digest",
			      img->manifest_digest, "size", (json_int_t)img->manifest_size);
	const char *created = bld_json_get_str(img->config, "created");
	json_t *ann = json_object();
	if (name) {
		const char *slash = strrchr(name, '/');
		const char *colon = strrchr(slash ? slash : name, ':');
		json_object_set_new(ann, "io.containerd.image.name", json_string(name));
		if (colon && !strchr(name, '@'))
			json_object_set_new(ann, BLD_OCI_REF_NAME, json_string(colon + 1));
	}
	if (created)
		json_object_set_new(ann, "org.opencontainers.image.created", json_string(created));
	if (json_object_size(ann))
		json_object_set(m, "annotations", ann);
	json_decref(ann);
	json_t *idx = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType",
				BLD_MT_OCI_INDEX, "manifests", m);
	char *s = bld_json_dump_canonical(idx);
	json_decref(idx);
	return s;
}

static int oa_entries(struct oa *w, const struct bld_cache_image *img, const char *name)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	cleanup_strv char **blobs = image_blobs(img);
	if (!blobs)
		return bld_error_set(w->err, BLD_E_INVALID, "image %s: a layer has no valid digest",
				     img->id);
	int r = oa_header(w, "blobs/", AE_IFDIR, 0);
	if (r == 0)
		r = oa_header(w, "blobs/sha256/", AE_IFDIR, 0);
	for (size_t i = 0; r == 0 && blobs[i]; i++)
		r = oa_blob(w, blobs[i]);
	cleanup_free char *idx = index_json(img, name);
	if (r == 0)
		r = oa_bytes(w, "index.json", idx, strlen(idx));
	if (r == 0)
		r = oa_bytes(w, "oci-layout", layout, strlen(layout));
	return r;
}

int bld_cache_oci_archive_write(struct bld_store *s, const struct bld_cache_image *img,
				const char *name, int fd, struct bld_error **err)
{
	struct oa w = {.a = archive_write_new(), .s = s, .err = err};
	int r = archive_write_set_format_pax_restricted(w.a);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_per_block(w.a, 0);
	if (r == ARCHIVE_OK)
		r = archive_write_open_fd(w.a, fd);
	r = r == ARCHIVE_OK ? oa_entries(&w, img, name) : oa_err(&w, "tar writer");
	if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
		r = oa_err(&w, "finish archive");
	archive_write_free(w.a);
	return r < 0 ? bld_error_wrap(err, "write OCI archive") : 0;
}
