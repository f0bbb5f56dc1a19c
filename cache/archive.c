/*
 * cache/archive.c — image archives: `bld save` writes the docker-archive format (what
 * `docker save` writes and `docker load` and `skopeo copy docker-archive:` read:
 * manifest.json, repositories, <config>.json and uncompressed <diff id>/layer.tar), and
 * `bld load` reads docker archives (old and new docker save, skopeo's) and OCI archives
 * (index.json + blobs/). Loaded images enter the store as unnamed entries; the caller
 * names them (names in archives are familiar names, which only cli/ normalises).
 *
 * Every blob read from an archive is verified: configs against the layers' diff IDs, OCI
 * blobs against their path. Nothing here touches registries or image names.
 */
#include "cache/cache_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define MEM_FILE_MAX ((size_t)1 << 20)     /* files kept in memory (JSON, small blobs) */
#define MEM_TOTAL_MAX ((size_t)256 << 20)
#define ENTRIES_MAX 100000

/* ------------------------------------------------------------------ save */

static int arc_err(struct archive *a, const char *what, struct bld_error **err)
{
	const char *m = archive_error_string(a);
	return bld_error_set(err, BLD_E_SYSTEM, "%s: %s", what, m ? m : "archive error");
}

static int put_entry(struct archive *a, const char *path, int64_t size, mode_t type,
		     struct bld_error **err)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	if (type == AE_IFREG)
		archive_entry_set_size(e, size);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : arc_err(a, path, err);
}

static int put_bytes(struct archive *a, const char *path, const void *data, size_t n,
		     struct bld_error **err)
{
	int r = put_entry(a, path, (int64_t)n, AE_IFREG, err);
	if (r == 0 && n && archive_write_data(a, data, n) != (la_ssize_t)n)
		r = arc_err(a, path, err);
	return r;
}

static int put_fd(struct archive *a, const char *path, int fd, struct bld_error **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return bld_error_sys(err, errno, "stat %s", path);
	int r = put_entry(a, path, st.st_size, AE_IFREG, err);
	char buf[65536];
	while (r == 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bld_error_sys(err, errno, "read %s", path);
		if (n == 0)
			break;
		if (archive_write_data(a, buf, (size_t)n) != n)
			r = arc_err(a, path, err);
	}
	return r;
}

static int tee_fd(void *p, const void *buf, size_t n)
{
	const char *c = buf;
	int fd = *(int *)p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The layer's uncompressed tar in an unnamed file on the store's filesystem, verified. */
static int plain_layer(struct bld_store *s, const struct bld_cache_layer *l, int *out,
		       struct bld_error **err)
{
	cleanup_close int blob = bld_cache_blob_open(s, l->digest, err);
	if (blob < 0)
		return blob;
	cleanup_close int tmp = openat(s->ingest_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tmp < 0)
		return bld_error_sys(err, errno, "temporary file in %s", s->ingest);
	struct bld_cache_tarsrc t = {.tee = tee_fd, .payload = &tmp};
	char diff[BLD_DIGEST_STR_LEN];
	int r = bld_cache_tarsrc_open(&t, blob, err);
	if (r == 0)
		r = bld_cache_tarsrc_drain(&t, diff, err);
	bld_cache_tarsrc_dispose(&t);
	if (r == 0 && strcmp(diff, l->diff_id) != 0)
		r = bld_error_set(err, BLD_E_DIGEST, "layer %s does not match its diff id %s",
				  l->digest, l->diff_id);
	if (r == 0)
		*out = steal_fd(&tmp);
	return r;
}

static int save_layer(struct bld_store *s, struct archive *a, const struct bld_cache_layer *l,
		      struct bld_error **err)
{
	cleanup_free char *dir = xasprintf("%s/", bld_cache_hex(l->diff_id));
	cleanup_free char *path = xasprintf("%s/layer.tar", bld_cache_hex(l->diff_id));
	cleanup_free char *version = xasprintf("%s/VERSION", bld_cache_hex(l->diff_id));
	cleanup_close int fd = -1;
	int r = plain_layer(s, l, &fd, err);
	if (r == 0)
		r = put_entry(a, dir, 0, AE_IFDIR, err);
	if (r == 0)
		r = put_bytes(a, version, "1.0", 3, err);
	if (r == 0)
		r = put_fd(a, path, fd, err);
	return r;
}

struct saver {
	struct bld_store *s;
	struct archive *a;
	json_t *manifest; /* manifest.json */
	json_t *repos;    /* repositories */
	json_t *written;  /* diff id hex -> true */
};

/* "repo:tag" into repositories, pointing at the top layer as docker does. */
static void add_repo_tag(json_t *repos, const char *rt, const char *top)
{
	const char *slash = strrchr(rt, '/');
	const char *colon = strrchr(slash ? slash : rt, ':');
	if (!colon || strchr(rt, '@'))
		return;
	cleanup_free char *repo = xstrndup(rt, (size_t)(colon - rt));
	json_t *r = json_object_get(repos, repo);
	if (!r)
		json_object_set_new(repos, repo, r = json_object());
	json_object_set_new(r, colon + 1, json_string(top));
}

static int save_item(struct saver *v, const struct bld_cache_save_item *it, struct bld_error **err)
{
	cleanup_free struct bld_cache_layer *ls = NULL;
	size_t n = 0;
	int r = bld_cache_image_layer_list(it->img, &ls, &n, err);
	json_t *paths = json_array();
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *hex = bld_cache_hex(ls[i].diff_id);
		json_array_append_new(paths, json_sprintf("%s/layer.tar", hex));
		if (json_object_get(v->written, hex))
			continue;
		r = save_layer(v->s, v->a, &ls[i], err);
		json_object_set_new(v->written, hex, json_true());
	}
	cleanup_free char *cfg = NULL;
	size_t clen = 0;
	cleanup_free char *cpath = xasprintf("%s.json", bld_cache_hex(it->img->id));
	if (r == 0)
		r = bld_cache_blob_read(v->s, it->img->id, BLD_CACHE_CONFIG_MAX, &cfg, &clen, err);
	if (r == 0 && !json_object_get(v->written, cpath)) {
		r = put_bytes(v->a, cpath, cfg, clen, err);
		json_object_set_new(v->written, cpath, json_true());
	}
	/* one manifest.json item per image, holding every tag it is saved under */
	json_t *item = NULL, *x;
	size_t k;
	json_array_foreach(v->manifest, k, x)
		if (strcmp(bld_json_get_str(x, "Config"), cpath) == 0)
			item = x;
	if (!item) {
		item = json_pack("{s:s, s:n, s:o}", "Config", cpath, "RepoTags", "Layers", paths);
		json_array_append_new(v->manifest, item);
	} else {
		json_decref(paths);
	}
	for (size_t i = 0; it->repo_tags && it->repo_tags[i]; i++) {
		json_t *tags = json_object_get(item, "RepoTags");
		if (!json_is_array(tags))
			json_object_set_new(item, "RepoTags", tags = json_array());
		json_array_append_new(tags, json_string(it->repo_tags[i]));
		if (n)
			add_repo_tag(v->repos, it->repo_tags[i], bld_cache_hex(ls[n - 1].diff_id));
	}
	return r;
}

static int save_meta(struct saver *v, struct bld_error **err)
{
	cleanup_free char *m = json_dumps(v->manifest, JSON_COMPACT);
	cleanup_free char *r = json_dumps(v->repos, JSON_COMPACT);
	int rc = put_bytes(v->a, "manifest.json", m, strlen(m), err);
	if (rc == 0 && json_object_size(v->repos))
		rc = put_bytes(v->a, "repositories", r, strlen(r), err);
	return rc;
}

int bld_cache_save(struct bld_store *s, const struct bld_cache_save_item *items, size_t n,
		   int fd, struct bld_error **err)
{
	struct saver v = {.s = s, .a = archive_write_new(), .manifest = json_array(),
			  .repos = json_object(), .written = json_object()};
	int r = archive_write_set_format_pax_restricted(v.a) == ARCHIVE_OK &&
				archive_write_set_bytes_in_last_block(v.a, 1) == ARCHIVE_OK &&
				archive_write_open_fd(v.a, fd) == ARCHIVE_OK
			? 0
			: arc_err(v.a, "write archive", err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = save_item(&v, &items[i], err);
	if (r == 0)
		r = save_meta(&v, err);
	if (r == 0 && archive_write_close(v.a) != ARCHIVE_OK)
		r = arc_err(v.a, "finish archive", err);
	archive_write_free(v.a);
	json_decref(v.manifest);
	json_decref(v.repos);
	json_decref(v.written);
	return r;
}

/* ------------------------------------------------------------------ load */

struct afile {
	char *path;   /* cleaned, relative */
	char *link;   /* symlink target (cleaned, relative to the archive root) or NULL */
	char *data;   /* small files */
	size_t len;
	char digest[BLD_DIGEST_STR_LEN]; /* large files: already a blob; small: once stored */
};

struct loader {
	struct bld_store *s;
	struct archive *a;
	struct afile *files;
	size_t n;
	size_t mem;
	struct bld_error **err;
};

static struct afile *new_file(struct loader *l, const char *name)
{
	l->files = xrealloc(l->files, (l->n + 1) * sizeof(*l->files));
	struct afile *f = &l->files[l->n++];
	memset(f, 0, sizeof(*f));
	while (*name == '/')
		name++;
	f->path = bld_path_clean(name);
	return f;
}

static int read_small(struct loader *l, struct afile *f, int64_t size)
{
	l->mem += (size_t)size;
	if (l->mem > MEM_TOTAL_MAX)
		return bld_error_set(l->err, BLD_E_INVALID, "archive holds too much metadata");
	f->data = xmalloc((size_t)size + 1);
	la_ssize_t got = size ? archive_read_data(l->a, f->data, (size_t)size) : 0;
	if (got != size)
		return arc_err(l->a, f->path, l->err);
	f->len = (size_t)size;
	f->data[size] = '\0';
	return 0;
}

static int read_large(struct loader *l, struct afile *f)
{
	struct bld_cache_blob_writer *w = NULL;
	int r = bld_cache_blob_writer_new(&w, l->s, NULL, l->err);
	char buf[65536];
	while (r == 0) {
		la_ssize_t n = archive_read_data(l->a, buf, sizeof(buf));
		if (n < 0)
			r = arc_err(l->a, f->path, l->err);
		if (n <= 0)
			break;
		r = bld_cache_blob_writer_write(w, buf, (size_t)n, l->err);
	}
	if (r == 0)
		r = bld_cache_blob_writer_commit(w, f->digest, l->err);
	bld_cache_blob_writer_free(w);
	return r;
}

static int read_entry(struct loader *l, struct archive_entry *e)
{
	mode_t type = archive_entry_filetype(e);
	const char *name = archive_entry_pathname(e);
	if (!name || (type != AE_IFREG && type != AE_IFLNK && !archive_entry_hardlink(e)))
		return 0;
	if (l->n >= ENTRIES_MAX)
		return bld_error_set(l->err, BLD_E_INVALID, "archive has too many entries");
	struct afile *f = new_file(l, name);
	const char *target = archive_entry_hardlink(e);
	if (target || type == AE_IFLNK) {
		/* symlinks are relative to the entry's directory, hardlinks to the archive root */
		cleanup_free char *dir = target ? xstrdup("") : xstrdup(f->path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
		cleanup_free char *joined = target ? xstrdup(target)
					   : xasprintf("%s/%s", dir, archive_entry_symlink(e));
		f->link = bld_path_clean(joined[0] == '/' ? joined + 1 : joined);
		return 0;
	}
	int64_t size = archive_entry_size(e);
	return size >= 0 && (size_t)size <= MEM_FILE_MAX ? read_small(l, f, size) : read_large(l, f);
}

static struct afile *find_file(struct loader *l, const char *path)
{
	cleanup_free char *p = bld_path_clean(path);
	for (int hops = 0; hops < 16; hops++) {
		struct afile *f = NULL;
		for (size_t i = l->n; i-- > 0;)
			if (strcmp(l->files[i].path, p) == 0) {
				f = &l->files[i];
				break;
			}
		if (!f || !f->link)
			return f;
		free(p);
		p = xstrdup(f->link);
	}
	return NULL;
}

/* The file as a blob (small files are stored on first use). */
static int file_blob(struct loader *l, const char *path, char d[BLD_DIGEST_STR_LEN])
{
	struct afile *f = find_file(l, path);
	if (!f)
		return bld_error_set(l->err, BLD_E_INVALID, "archive lacks %s", path);
	if (!f->digest[0] && bld_cache_blob_put(l->s, f->data, f->len, f->digest, l->err) < 0)
		return -1;
	memcpy(d, f->digest, BLD_DIGEST_STR_LEN);
	return 0;
}

static int read_all(struct loader *l, int fd)
{
	l->a = archive_read_new();
	archive_read_support_filter_all(l->a);
	archive_read_support_format_tar(l->a);
	if (archive_read_open_fd(l->a, fd, 65536) != ARCHIVE_OK)
		return bld_error_set(l->err, BLD_E_INVALID, "not an image archive: %s",
				     archive_error_string(l->a));
	struct archive_entry *e;
	for (;;) {
		int ar = archive_read_next_header(l->a, &e);
		if (ar == ARCHIVE_EOF)
			return 0;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
			return bld_error_set(l->err, BLD_E_INVALID, "read archive: %s",
					     archive_error_string(l->a));
		if (read_entry(l, e) < 0)
			return -1;
	}
}

/* Media type (by the compression found) and diff ID of a layer blob. */
static int layer_info(struct bld_store *s, const char *digest, const char **mt,
		      char diff[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	cleanup_close int fd = bld_cache_blob_open(s, digest, err);
	if (fd < 0)
		return fd;
	unsigned char magic[4] = {0};
	if (pread(fd, magic, sizeof(magic), 0) < 0)
		return bld_error_sys(err, errno, "read %s", digest);
	if (magic[0] == 0x1f && magic[1] == 0x8b)
		*mt = BLD_MT_OCI_LAYER_GZ;
	else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
		*mt = "application/vnd.oci.image.layer.v1.tar+zstd";
	else
		*mt = BLD_MT_OCI_LAYER;
	struct bld_cache_tarsrc t = {0};
	int r = bld_cache_tarsrc_open(&t, fd, err);
	if (r == 0)
		r = bld_cache_tarsrc_drain(&t, diff, err);
	bld_cache_tarsrc_dispose(&t);
	return r;
}

static void add_loaded(struct bld_cache_loaded **v, size_t *n, const char *digest,
		       const char *mt, int64_t size, char **names)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	struct bld_cache_loaded *o = &(*v)[(*n)++];
	memset(o, 0, sizeof(*o));
	memcpy(o->digest, digest, BLD_DIGEST_STR_LEN);
	o->media_type = xstrdup(mt);
	o->size = size;
	o->names = names;
}

/* One manifest.json item: config and layers verified, an OCI manifest written for them. */
static int docker_item(struct loader *l, const json_t *item, struct bld_cache_loaded **out,
		       size_t *n)
{
	char cd[BLD_DIGEST_STR_LEN], md[BLD_DIGEST_STR_LEN];
	const char *cpath = bld_json_get_str(item, "Config");
	if (!cpath || file_blob(l, cpath, cd) < 0)
		return cpath ? -1 : bld_error_set(l->err, BLD_E_INVALID, "manifest.json: no Config");
	cleanup_free char *cdata = NULL;
	size_t clen = 0;
	cleanup_json json_t *cfg = NULL;
	if (bld_cache_blob_read(l->s, cd, BLD_CACHE_CONFIG_MAX, &cdata, &clen, l->err) < 0 ||
	    bld_json_load_buf(&cfg, cdata, clen, l->err) < 0)
		return -1;
	json_t *diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	json_t *paths = json_object_get(item, "Layers");
	if (json_array_size(paths) != json_array_size(diffs))
		return bld_error_set(l->err, BLD_E_INVALID, "%s: layers and diff ids disagree", cpath);
	json_t *layers = json_array();
	cleanup_json json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2,
					   "mediaType", BLD_MT_OCI_MANIFEST, "config", "mediaType",
					   BLD_MT_OCI_CONFIG, "digest", cd, "size", (json_int_t)clen,
					   "layers", layers);
	for (size_t i = 0; i < json_array_size(paths); i++) {
		char ld[BLD_DIGEST_STR_LEN], diff[BLD_DIGEST_STR_LEN];
		const char *mt = NULL;
		const char *lp = json_string_value(json_array_get(paths, i));
		if (!lp || file_blob(l, lp, ld) < 0 || layer_info(l->s, ld, &mt, diff, l->err) < 0)
			return lp ? -1 : bld_error_set(l->err, BLD_E_INVALID, "manifest.json: bad layer");
		if (strcmp(diff, json_string_value(json_array_get(diffs, i)) ?: "") != 0)
			return bld_error_set(l->err, BLD_E_DIGEST, "%s does not match diff id %s", lp,
					     json_string_value(json_array_get(diffs, i)));
		json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest",
							ld, "size",
							(json_int_t)bld_cache_blob_size(l->s, ld)));
	}
	cleanup_free char *mdata = bld_json_dump_canonical(m);
	if (bld_cache_blob_put(l->s, mdata, strlen(mdata), md, l->err) < 0 ||
	    bld_cache_ref_set(l->s, NULL, md, BLD_MT_OCI_MANIFEST, -1, l->err) < 0)
		return -1;
	char **names = NULL;
	size_t k;
	json_t *t;
	json_array_foreach(json_object_get(item, "RepoTags"), k, t)
		if (json_is_string(t))
			bld_strv_push(&names, json_string_value(t));
	add_loaded(out, n, md, BLD_MT_OCI_MANIFEST, (int64_t)strlen(mdata), names);
	return 0;
}

static int load_docker(struct loader *l, struct afile *mf, struct bld_cache_loaded **out,
		       size_t *n)
{
	cleanup_json json_t *items = NULL;
	if (bld_json_load_buf(&items, mf->data, mf->len, l->err) < 0 || !json_is_array(items))
		return bld_error_set(l->err, BLD_E_INVALID, "manifest.json is not a list");
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		if (docker_item(l, it, out, n) < 0)
			return bld_error_wrap(l->err, "manifest.json item %zu", i);
	return 0;
}

/* Every blobs/sha256/<hex> of an OCI archive, each verified against its name. */
static int oci_blobs(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct afile *f = &l->files[i];
		if (f->link || !bld_str_has_prefix(f->path, "blobs/sha256/"))
			continue;
		char want[BLD_DIGEST_STR_LEN], got[BLD_DIGEST_STR_LEN];
		snprintf(want, sizeof(want), "sha256:%.*s", BLD_SHA256_HEX_LEN, f->path + 13);
		if (file_blob(l, f->path, got) < 0)
			return -1;
		if (strcmp(want, got) != 0 || strlen(f->path + 13) != BLD_SHA256_HEX_LEN)
			return bld_error_set(l->err, BLD_E_DIGEST, "%s: content has digest %s",
					     f->path, got);
	}
	return 0;
}

/* An image index.json names must be whole in the store: manifest (of an index: the
 * linux/amd64 one, when there is one), config and every layer; an image that lacks a blob
 * is refused rather than stored half, to fail only when it is used. */
static int oci_complete(struct loader *l, const char *digest)
{
	struct bld_cache_image *img = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (!digest || !bld_digest_valid(digest))
		return bld_error_set(l->err, BLD_E_INVALID, "index.json names an invalid digest");
	if (bld_cache_image_load_digest(l->s, digest, &img, &e) < 0) {
		if (e->code == BLD_E_NOTFOUND && bld_str_has_prefix(e->msg, "no linux/amd64"))
			return 0; /* another platform's image: bld does not read it */
		return bld_error_set(l->err, e->code, "image %s: %s", digest, e->msg);
	}
	size_t i;
	json_t *layer;
	int r = 0;
	json_array_foreach(json_object_get(img->manifest, "layers"), i, layer) {
		const char *ld = bld_json_get_str(layer, "digest");
		if (!bld_cache_blob_exists(l->s, ld)) {
			r = bld_error_set(l->err, BLD_E_INVALID, "image %s: layer %s is not in the archive",
					  digest, ld ? ld : "(none)");
			break;
		}
	}
	bld_cache_image_free(img);
	return r;
}

static int load_oci(struct loader *l, struct afile *idxf, struct bld_cache_loaded **out,
		    size_t *n)
{
	cleanup_json json_t *idx = NULL;
	if (bld_json_load_buf(&idx, idxf->data, idxf->len, l->err) < 0 || oci_blobs(l) < 0)
		return bld_error_wrap(l->err, "OCI archive");
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(idx, "manifests"), i, m) {
		const char *d = bld_json_get_str(m, "digest");
		const char *mt = bld_json_get_str(m, "mediaType");
		json_t *ann = json_object_get(m, "annotations");
		const char *name = bld_json_get_str(ann, "io.containerd.image.name");
		name = name ? name : bld_json_get_str(ann, BLD_OCI_REF_NAME);
		if (oci_complete(l, d) < 0 || bld_cache_ref_set(l->s, NULL, d, mt ? mt : BLD_MT_OCI_MANIFEST, -1, l->err) < 0)
			return bld_error_wrap(l->err, "OCI archive");
		char **names = NULL;
		if (name)
			bld_strv_push(&names, name);
		add_loaded(out, n, d, mt ? mt : BLD_MT_OCI_MANIFEST, bld_cache_blob_size(l->s, d), names);
	}
	return 0;
}

static void loader_dispose(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->files[i].path);
		free(l->files[i].link);
		free(l->files[i].data);
	}
	free(l->files);
	if (l->a)
		archive_read_free(l->a);
}

void bld_cache_loaded_free(struct bld_cache_loaded *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].media_type);
		bld_strv_free(v[i].names);
	}
	free(v);
}

int bld_cache_load(struct bld_store *s, int fd, struct bld_cache_loaded **out, size_t *n,
		   struct bld_error **err)
{
	struct loader l = {.s = s, .err = err};
	*out = NULL;
	*n = 0;
	int r = read_all(&l, fd);
	struct afile *mf = r == 0 ? find_file(&l, "manifest.json") : NULL;
	struct afile *idx = r == 0 ? find_file(&l, "index.json") : NULL;
	if (r == 0 && mf && mf->data)
		r = load_docker(&l, mf, out, n);
	else if (r == 0 && idx && idx->data)
		r = load_oci(&l, idx, out, n);
	else if (r == 0)
		r = bld_error_set(err, BLD_E_INVALID,
				  "not a docker or OCI image archive (no manifest.json or index.json)");
	loader_dispose(&l);
	if (r < 0) {
		bld_cache_loaded_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return r;
}
