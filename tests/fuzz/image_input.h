/*
 * tests/fuzz/image_input.h — one input of tests/fuzz/fuzz_image.c, shared with its
 * regression test (tests/cache/test_fuzz_regressions.c): image documents as the store
 * reads them back (manifests, indexes, configs stored as blobs) and image archives as
 * `bld load` reads them (docker-archive manifest.json, OCI index.json and blobs), each into
 * a fresh store in the sandbox.
 *
 * Input: byte 0 selects; the rest is a list of parts separated by NUL bytes, where "$N"
 * (N a digit) stands for the sha256 hex of part N's final bytes, so that documents can name
 * each other by digest (parts are finished from the last to the first: a part can name
 * only later ones, and an archive part its own content in its path).
 *   bit 0 clear — blobs: every part is stored as a blob; part 0 is named and then loaded,
 *     listed, sized, named, saved (docker archive and OCI archive; what was saved must load
 *     back into another store), garbage-collected and checked.
 *   bit 0 set — an archive: every part is "path\n" then the content, written as a tar
 *     entry (content "LINK:target" a symlink, "HARD:target" a hardlink); the archive is
 *     loaded with bld_cache_load, each loaded image's layers unpacked.
 * In both, content "TAR:" followed by an entry list (fuzz_store.c's format) becomes that
 * tar (a layer).
 *   bit 1 (archive) — gzip the archive.
 *   bit 2 (blobs) — part 0 is not a blob but the store's own oci/index.json (which other
 *     tools may edit): names are listed, loaded, set, removed, collected and checked.
 * Every step may fail cleanly; what must hold: no crash, leak or sanitizer report, a
 * failure carries an error, and the store's check finds no damaged blob afterwards (and,
 * after a successful load, no missing one either).
 */
#ifndef BLD_TEST_FUZZ_IMAGE_INPUT_H
#define BLD_TEST_FUZZ_IMAGE_INPUT_H

#include "tests/fuzz/store_input.h"

#define IMG_PARTS_MAX 16

struct img_part {
	char *path; /* archive mode */
	char *data;
	size_t len;
	char hex[BLD_SHA256_HEX_LEN + 1];
};

/* s with every "$N" (N < n) replaced by the hex of part N when that part is finished. */
static inline char *img_subst(const char *s, size_t len, struct img_part *p, size_t n,
			      size_t *out_len)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		size_t k = i + 1 < len ? (size_t)(s[i + 1] - '0') : n;
		if (s[i] == '$' && k < n && p[k].hex[0]) {
			bld_buf_adds(&b, p[k].hex);
			i++;
		} else {
			bld_buf_addc(&b, s[i]);
		}
	}
	*out_len = b.len;
	return b.data ? bld_buf_detach(&b) : xstrdup("");
}

/* The tar that an entry list describes, as bytes. */
static inline char *img_list_tar(const char *list, size_t *len)
{
	int fd = memfd();
	char *s = xstrdup(list);
	list_to_tar(s, fd);
	free(s);
	off_t n = lseek(fd, 0, SEEK_END);
	char *out = xmalloc((size_t)n + 1);
	if (pread(fd, out, (size_t)n, 0) != n)
		sb_die("pread");
	close(fd);
	*len = (size_t)n;
	return out;
}

/* Splits data into parts and finishes them from the last to the first. */
static inline size_t img_parts(const char *data, size_t size, bool archive, struct img_part *p)
{
	size_t n = 0;
	for (const char *s = data; s <= data + size && n < IMG_PARTS_MAX; n++) {
		const char *end = memchr(s, '\0', (size_t)(data + size - s));
		end = end ? end : data + size;
		p[n] = (struct img_part){.data = xstrndup(s, (size_t)(end - s)), .len = (size_t)(end - s)};
		s = end + 1;
	}
	for (size_t i = n; i-- > 0;) {
		char *raw = p[i].data, *body = raw;
		if (archive) {
			char *nl = strchr(raw, '\n');
			body = nl ? nl + 1 : raw + strlen(raw);
			p[i].path = xstrndup(raw, (size_t)(body - raw - (nl ? 1 : 0)));
		}
		size_t blen = p[i].len - (size_t)(body - raw);
		p[i].data = img_subst(body, blen, p, n, &p[i].len);
		if (bld_str_has_prefix(p[i].data, "TAR:")) {
			char *list = p[i].data;
			p[i].data = img_list_tar(list + 4, &p[i].len);
			free(list);
		}
		char dg[BLD_DIGEST_STR_LEN];
		bld_sha256_digest(p[i].data, p[i].len, dg);
		memcpy(p[i].hex, dg + 7, BLD_SHA256_HEX_LEN + 1);
		if (archive) {
			size_t plen;
			char *path = img_subst(p[i].path, strlen(p[i].path), p, n, &plen);
			free(p[i].path);
			p[i].path = path;
		}
		free(raw);
	}
	return n;
}

static inline void img_parts_free(struct img_part *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].path);
		free(p[i].data);
	}
}

/* A failing call must say why; returns whether it succeeded. */
static inline bool img_ok(int r, struct bld_error **err, char **broke, const char *what)
{
	if (r < 0 && !*err && !*broke)
		*broke = xasprintf("%s failed without an error", what);
	bld_error_free(*err);
	*err = NULL;
	return r >= 0;
}

struct img_check {
	struct bld_cache_check_stats st;
	char *first;
};

static inline void img_problem(const char *problem, void *payload)
{
	struct img_check *c = payload;
	if (!c->first)
		c->first = xstrdup(problem);
}

/* The store's own check: nothing damaged, and nothing missing when want_complete. */
static inline void img_check(struct bld_store *s, bool want_complete, char **broke,
			     const char *when)
{
	struct img_check c = {{0}, NULL};
	struct bld_error *err = NULL;
	if (img_ok(bld_cache_check(s, img_problem, &c, &c.st, &err), &err, broke, "check") &&
	    !*broke && (c.st.damaged || (want_complete && c.st.missing)))
		*broke = xasprintf("%s: the store's check fails: %s", when, c.first);
	free(c.first);
}

/* Loads what fd holds into a fresh store at root and unpacks every image loaded. */
static inline void img_load_into(const char *root, int fd, bool must_load, char **broke)
{
	struct bld_store *s = NULL;
	struct bld_error *err = NULL;
	if (bld_cache_store_open(&s, root, &err) < 0)
		sb_die(err->msg);
	struct bld_cache_loaded *v = NULL;
	size_t n = 0;
	bool loaded = img_ok(bld_cache_load(s, fd, &v, &n, &err), &err, broke, "load");
	if (must_load && !loaded && !*broke)
		*broke = xstrdup("what bld saved does not load");
	for (size_t i = 0; i < n; i++) {
		struct bld_cache_image *img = NULL;
		char **dirs = NULL;
		if (img_ok(bld_cache_image_load_digest(s, v[i].digest, &img, &err), &err, broke,
			   "image load") &&
		    img_ok(bld_cache_image_layers(s, img, &dirs, &err), &err, broke, "layers"))
			bld_strv_free(dirs);
		bld_cache_image_free(img);
	}
	img_check(s, loaded, broke, "after load");
	bld_cache_loaded_free(v, n);
	bld_cache_store_free(s);
	bld_fs_rm_rf(root, NULL);
}

/* Saves img both ways and loads each archive back into a fresh store. */
static inline void img_save_load(struct bld_store *s, const struct bld_cache_image *img,
				 const char *sandbox, char **broke)
{
	struct bld_error *err = NULL;
	cleanup_free char *root = xasprintf("%s/store2", sandbox);
	char *const tags[] = {"fuzz.example/x:latest", NULL};
	struct bld_cache_save_item item = {img, tags};
	for (int oci = 0; oci < 2 && !*broke; oci++) {
		int fd = memfd();
		int r = oci ? bld_cache_oci_archive_write(s, img, tags[0], fd, &err)
			    : bld_cache_save(s, &item, 1, fd, &err);
		if (img_ok(r, &err, broke, oci ? "oci archive" : "save")) {
			lseek(fd, 0, SEEK_SET);
			img_load_into(root, fd, true, broke);
		}
		close(fd);
	}
}

/* The sandbox's store, with the parts from index first on put into it as blobs. */
static inline struct bld_store *img_store_with(const char *sandbox, char **root,
					       struct img_part *p, size_t n, size_t first,
					       char **broke)
{
	*root = xasprintf("%s/store", sandbox);
	struct bld_store *s = NULL;
	struct bld_error *err = NULL;
	if (bld_cache_store_open(&s, *root, &err) < 0)
		sb_die(err->msg);
	char d[BLD_DIGEST_STR_LEN];
	for (size_t i = n; i-- > first;)
		img_ok(bld_cache_blob_put(s, p[i].data, p[i].len, d, &err), &err, broke, "put");
	return s;
}

static inline void img_blobs(const char *sandbox, struct img_part *p, size_t n, char **broke)
{
	cleanup_free char *root = NULL;
	struct bld_store *s = img_store_with(sandbox, &root, p, n, 0, broke);
	struct bld_error *err = NULL;
	char d[BLD_DIGEST_STR_LEN];
	snprintf(d, sizeof(d), "sha256:%s", p[0].hex);
	struct bld_cache_image *img = NULL, *byname = NULL;
	if (img_ok(bld_cache_image_load_digest(s, d, &img, &err), &err, broke, "load digest")) {
		struct bld_cache_layer *l = NULL;
		size_t nl = 0;
		if (img_ok(bld_cache_image_layer_list(img, &l, &nl, &err), &err, broke, "layer list"))
			free(l);
		(void)bld_cache_image_size(s, img);
		const char *mt = img->index_digest[0] ? "application/vnd.oci.image.index.v1+json"
						 : img->manifest_media_type;
		img_ok(bld_cache_ref_set(s, "fuzz.example/x:latest", d, mt, -1, &err), &err, broke,
		       "name");
		char **v = NULL;
		if (img_ok(bld_cache_image_repo_digests(s, img, &v, &err), &err, broke, "digests"))
			bld_strv_free(v);
		v = NULL;
		if (img_ok(bld_cache_image_tags(s, img, &v, &err), &err, broke, "tags"))
			bld_strv_free(v);
		if (img_ok(bld_cache_image_load(s, "fuzz.example/x:latest", &byname, &err), &err, broke,
			   "load name"))
			bld_cache_image_free(byname);
		img_save_load(s, img, sandbox, broke);
		bld_cache_image_free(img);
	}
	img_ok(bld_cache_gc(s, NULL, NULL, &err), &err, broke, "gc");
	img_check(s, false, broke, "after gc");
	bld_cache_store_free(s);
	bld_fs_rm_rf(root, NULL);
}

static inline void img_archive(const char *sandbox, unsigned sel, struct img_part *p, size_t n,
			       char **broke)
{
	int fd = memfd();
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (sel & 2)
		archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		sb_die("archive_write_open_fd");
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		bool sym = bld_str_has_prefix(p[i].data, "LINK:");
		bool hard = bld_str_has_prefix(p[i].data, "HARD:");
		archive_entry_set_pathname(e, p[i].path);
		archive_entry_set_filetype(e, sym ? AE_IFLNK : AE_IFREG);
		archive_entry_set_perm(e, 0644);
		if (sym)
			archive_entry_set_symlink(e, p[i].data + 5);
		else if (hard)
			archive_entry_set_hardlink(e, p[i].data + 5);
		else
			archive_entry_set_size(e, (la_int64_t)p[i].len);
		if (archive_write_header(a, e) == ARCHIVE_OK && p[i].len && !sym && !hard)
			archive_write_data(a, p[i].data, p[i].len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	cleanup_free char *root = xasprintf("%s/store", sandbox);
	img_load_into(root, fd, false, broke);
	close(fd);
}

static inline void img_index(const char *sandbox, struct img_part *p, size_t n, char **broke)
{
	cleanup_free char *root = NULL;
	struct bld_store *s = img_store_with(sandbox, &root, p, n, 1, broke);
	struct bld_error *err = NULL;
	char d[BLD_DIGEST_STR_LEN];
	cleanup_free char *oci = xasprintf("%s/oci", root);
	int ofd = open(oci, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ofd < 0 || bld_fs_write_atomic(ofd, "index.json", p[0].data, p[0].len, 0644, &err) < 0)
		sb_die("write index.json");
	close(ofd);
	struct bld_cache_desc *v = NULL;
	size_t nv = 0;
	if (img_ok(bld_cache_ref_list_all(s, &v, &nv, &err), &err, broke, "list")) {
		for (size_t i = 0; i < nv; i++) {
			struct bld_cache_image *img = NULL;
			const char *by = v[i].name ? v[i].name : v[i].digest;
			if (img_ok(bld_cache_image_load(s, by, &img, &err), &err, broke, "load")) {
				char **names = NULL;
				if (img_ok(bld_cache_image_names(s, img, &names, &err), &err, broke, "names"))
					bld_strv_free(names);
				(void)bld_cache_image_size(s, img);
			}
			bld_cache_image_free(img);
		}
		bld_cache_desc_list_free(v, nv);
	}
	struct bld_cache_usage u;
	img_ok(bld_cache_usage(s, &u, &err), &err, broke, "usage");
	if (n > 1) {
		snprintf(d, sizeof(d), "sha256:%s", p[1].hex);
		img_ok(bld_cache_ref_set(s, "fuzz.example/y:1", d, NULL, -1, &err), &err, broke, "set");
	}
	char **untagged = NULL, *deleted = NULL;
	/* the lists are the caller's also when the removal fails (as cli/ uses them) */
	img_ok(bld_cache_image_remove(s, "fuzz.example/x:latest", true, &untagged, &deleted, &err),
	       &err, broke, "remove");
	bld_strv_free(untagged);
	free(deleted);
	img_ok(bld_cache_gc(s, NULL, NULL, &err), &err, broke, "gc");
	img_check(s, false, broke, "after gc");
	bld_cache_store_free(s);
	bld_fs_rm_rf(root, NULL);
}

/* Runs one input in sandbox: NULL when every check held, else what broke (caller frees). */
static inline char *img_run(const char *sandbox, const uint8_t *data, size_t size)
{
	if (size < 1)
		return NULL;
	struct img_part p[IMG_PARTS_MAX];
	size_t n = img_parts((const char *)data + 1, size - 1, data[0] & 1, p);
	char *broke = NULL;
	if (data[0] & 1)
		img_archive(sandbox, data[0], p, n, &broke);
	else if (data[0] & 4)
		img_index(sandbox, p, n, &broke);
	else
		img_blobs(sandbox, p, n, &broke);
	img_parts_free(p, n);
	return broke;
}

#endif
