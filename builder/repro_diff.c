/*
 * builder/repro_diff.c — what differs between the two images of a reproducibility check
 * (repro.c), each in a store of its own: nothing when the manifests are the same; else, for
 * each layer whose digest differs, every file whose content, mode, owner, mtime, link target
 * or capability xattr differs, that is in one build only, or that comes in another order,
 * named with the step whose layer holds it (the image history's entry for that layer); and
 * the config's fields that differ. It reads the layers' tars (cache/) and never writes.
 */
#include "builder/builder_int.h"

#include <sys/stat.h>

#define REPRO_NAME "docker.io/library/bld-check-reproducible:latest"
#define REPRO_MAX_DIFFS 200

/* A layer's entries: path -> [order, mode, uid, gid, mtime s, mtime ns, content, link, caps]. */
static int read_layer(struct bld_store *s, const char *digest, json_t **out,
		      struct bld_error **err)
{
	cleanup_close int fd = bld_cache_blob_open(s, digest, err);
	if (fd < 0)
		return -1;
	struct bld_cache_tar_reader *r = NULL;
	if (bld_cache_tar_reader_new(&r, fd, err) < 0)
		return -1;
	json_t *m = json_object();
	struct bld_cache_tar_entry e;
	static __thread char buf[1 << 16];
	int rc;
	for (json_int_t i = 0; (rc = bld_cache_tar_reader_next(r, &e, err)) == 1; i++) {
		struct bld_xxh *h = bld_xxh_new();
		ssize_t n;
		while ((n = bld_cache_tar_reader_read(r, buf, sizeof(buf), err)) > 0)
			bld_xxh_update(h, buf, (size_t)n);
		char hex[BLD_XXH_HEX_LEN + 1], caps[BLD_XXH_HEX_LEN + 1] = "";
		bld_xxh_final(h, hex);
		if (e.caps)
			bld_xxh_digest(e.caps, e.caps_len, caps);
		const char *link = e.symlink ? e.symlink : e.hardlink;
		json_object_set_new(m, e.path,
				    json_pack("[I, I, I, I, I, I, s, s?, s]", i, (json_int_t)e.mode,
					      (json_int_t)e.uid, (json_int_t)e.gid, e.mtime_sec,
					      (json_int_t)e.mtime_nsec, hex, link, caps));
		if (n < 0) {
			rc = -1;
			break;
		}
	}
	bld_cache_tar_reader_free(r);
	if (rc < 0) {
		json_decref(m);
		return -1;
	}
	*out = m;
	return 0;
}

/* Why two entries of one path differ, or NULL when they do not (but for their order). */
static const char *entry_change(json_t *a, json_t *b)
{
	static const struct {
		size_t from, to;
		const char *what;
	} parts[] = {{6, 6, "content"}, {1, 1, "mode"}, {2, 3, "owner"}, {7, 7, "link target"},
		     {4, 5, "mtime"},   {8, 8, "xattr"}};
	for (size_t p = 0; p < BLD_ARRAY_SIZE(parts); p++)
		for (size_t i = parts[p].from; i <= parts[p].to; i++)
			if (!json_equal(json_array_get(a, i), json_array_get(b, i)))
				return parts[p].what;
	return NULL;
}

static void add_diff(struct bld_builder_repro *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_diff(struct bld_builder_repro *out, const char *fmt, ...)
{
	if (bld_strv_len(out->diffs) >= REPRO_MAX_DIFFS)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	bld_strv_push(&out->diffs, s);
	free(s);
}

/* The files that differ between two versions of one layer, made by step. */
static int diff_layer(struct bld_store *sa, struct bld_store *sb, const char *da, const char *db,
		      const char *step, struct bld_builder_repro *out, struct bld_error **err)
{
	cleanup_json json_t *a = NULL;
	cleanup_json json_t *b = NULL;
	if (read_layer(sa, da, &a, err) < 0 || read_layer(sb, db, &b, err) < 0)
		return -1;
	size_t before = bld_strv_len(out->diffs);
	const char *path;
	json_t *ea;
	bool order = false;
	json_object_foreach(a, path, ea) {
		json_t *eb = json_object_get(b, path);
		const char *why = eb ? entry_change(ea, eb) : "only in the first build";
		if (why)
			add_diff(out, "/%s: %s (layer of %s)", path, why, step);
		else if (!json_equal(json_array_get(ea, 0), json_array_get(eb, 0)))
			order = true;
	}
	json_object_foreach(b, path, ea)
		if (!json_object_get(a, path))
			add_diff(out, "/%s: only in the second build (layer of %s)", path, step);
	if (order)
		add_diff(out, "order of the entries differs (layer of %s)", step);
	if (bld_strv_len(out->diffs) == before)
		add_diff(out, "tar headers differ, files the same (layer of %s)", step);
	return 0;
}

/* The created_by of each history entry that made a layer, in layer order. */
static char **layer_steps(json_t *config)
{
	char **v = NULL;
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(config, "history"), i, h) {
		if (json_is_true(json_object_get(h, "empty_layer")))
			continue;
		const char *c = bld_json_get_str(h, "created_by");
		cleanup_free char *s = xstrdup(c ? c : "?");
		char *tail = strstr(s, " # buildkit");
		if (tail)
			*tail = '\0';
		bld_strv_push(&v, s);
	}
	return v;
}

/* Top-level config fields (and those of its "config") that differ. */
static void diff_config(json_t *a, json_t *b, struct bld_builder_repro *out)
{
	const char *k;
	json_t *v;
	json_object_foreach(a, k, v) {
		if (strcmp(k, "rootfs") == 0 || json_equal(v, json_object_get(b, k)))
			continue;
		add_diff(out, "image config: %s differs", k);
	}
	json_object_foreach(b, k, v)
		if (!json_object_get(a, k))
			add_diff(out, "image config: %s only in the second build", k);
}

static int compare_images(struct bld_store *sa, struct bld_store *sb,
			  const struct bld_cache_image *ia, const struct bld_cache_image *ib,
			  struct bld_builder_repro *out, struct bld_error **err)
{
	struct bld_cache_layer *la = NULL, *lb = NULL;
	size_t na = 0, nb = 0;
	int r = bld_cache_image_layer_list(ia, &la, &na, err);
	if (r == 0)
		r = bld_cache_image_layer_list(ib, &lb, &nb, err);
	cleanup_strv char **steps = layer_steps(ia->config);
	if (r == 0 && na != nb)
		add_diff(out, "%zu layers in the first build, %zu in the second", na, nb);
	for (size_t i = 0; r == 0 && na == nb && i < na; i++) {
		if (strcmp(la[i].digest, lb[i].digest) == 0)
			continue;
		const char *step = i < bld_strv_len(steps) ? steps[i] : "?";
		r = diff_layer(sa, sb, la[i].digest, lb[i].digest, step, out, err);
	}
	free(la);
	free(lb);
	if (r == 0 && strcmp(ia->id, ib->id) != 0)
		diff_config(ia->config, ib->config, out);
	if (r == 0 && !out->diffs)
		add_diff(out, "the manifests differ (%s, %s)", ia->manifest_digest,
			 ib->manifest_digest);
	return r;
}

int bld_builder_repro_compare(const char *root_a, const char *root_b,
			      struct bld_builder_repro *out, struct bld_error **err)
{
	struct bld_store *sa = NULL, *sb = NULL;
	struct bld_cache_image *ia = NULL, *ib = NULL;
	int r = bld_cache_store_open(&sa, root_a, err);
	if (r == 0)
		r = bld_cache_store_open(&sb, root_b, err);
	if (r == 0)
		r = bld_cache_image_load(sa, REPRO_NAME, &ia, err);
	if (r == 0)
		r = bld_cache_image_load(sb, REPRO_NAME, &ib, err);
	if (r == 0 && strcmp(ia->manifest_digest, ib->manifest_digest) == 0)
		memcpy(out->digest, ia->manifest_digest, sizeof(out->digest));
	else if (r == 0)
		r = compare_images(sa, sb, ia, ib, out, err);
	bld_cache_image_free(ia);
	bld_cache_image_free(ib);
	bld_cache_store_free(sa);
	bld_cache_store_free(sb);
	return r;
}
