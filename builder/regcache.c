/*
 * builder/regcache.c — `--cache-to type=registry,ref=R` and `--cache-from type=registry,ref=R`:
 * the build-cache records a build used or made travel through a registry as an image whose
 * layers are the records' layers and whose config carries the records under "bld.cache",
 * so that CI machines share one cache. An import writes the records whose layers arrived;
 * its failure is a warning, as with docker, never a failed build.
 *
 * Transport is the registry client's (bld_registry_pull/push); records are cache/'s.
 */
#include "builder/builder_int.h"

#define CACHE_LABEL "org.bld.cache"

/* The ref of "type=registry,ref=R" (or a bare reference); NULL for other types. */
static char *cache_ref(const char *spec)
{
	if (!strchr(spec, '='))
		return xstrdup(spec);
	cleanup_free char *copy = xstrdup(spec);
	char *ref = NULL;
	bool registry = false;
	for (char *f = copy, *next; f; f = next) {
		next = strchr(f, ',');
		if (next)
			*next++ = '\0';
		if (strcmp(f, "type=registry") == 0)
			registry = true;
		else if (bld_str_has_prefix(f, "ref="))
			ref = f + 4;
	}
	return registry && ref ? xstrdup(ref) : NULL;
}

static char *full_name(const char *ref, struct bld_error **err)
{
	struct bld_registry_ref r;
	if (bld_registry_ref_parse(&r, ref, err) < 0)
		return NULL;
	char *s = bld_registry_ref_string(&r);
	bld_registry_ref_dispose(&r);
	return s;
}

void bld_builder_regcache_note(struct bld_builder_job *b, const char *key, const char *record_json)
{
	if (!b->o->cache_to)
		return;
	json_t *rec = NULL;
	struct bld_error *e = NULL;
	if (bld_json_load_buf(&rec, record_json, strlen(record_json), &e) < 0) {
		bld_error_free(e);
		return;
	}
	pthread_mutex_lock(&b->lock);
	if (!b->cache_export)
		b->cache_export = json_object();
	json_object_set_new(b->cache_export, key, rec);
	pthread_mutex_unlock(&b->lock);
}

/* The distinct layers the exported records name, in a stable order. */
static struct bld_cache_layer *export_layers(json_t *records, size_t *n)
{
	struct bld_cache_layer *v = NULL;
	*n = 0;
	const char *key;
	json_t *rec;
	json_object_foreach(records, key, rec) {
		json_t *l = json_object_get(rec, "layer");
		const char *d = bld_json_get_str(l, "digest"), *id = bld_json_get_str(l, "diff_id");
		const char *mt = bld_json_get_str(l, "media_type");
		bool seen = false;
		for (size_t i = 0; d && i < *n && !seen; i++)
			seen = strcmp(v[i].digest, d) == 0;
		if (!d || !id || !mt || seen || !bld_digest_valid(d) || !bld_digest_valid(id) ||
		    strlen(mt) >= sizeof(v->media_type))
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		memset(&v[*n], 0, sizeof(*v));
		memcpy(v[*n].digest, d, BLD_DIGEST_STR_LEN);
		memcpy(v[*n].diff_id, id, BLD_DIGEST_STR_LEN);
		memcpy(v[*n].media_type, mt, strlen(mt) + 1);
		v[*n].size = json_integer_value(json_object_get(l, "size"));
		(*n)++;
	}
	return v;
}

static int export_one(struct bld_builder_job *b, const char *spec, struct bld_error **err)
{
	cleanup_free char *ref = cache_ref(spec);
	if (!ref)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "--cache-to %s: only type=registry",
				     spec);
	cleanup_free char *name = full_name(ref, err);
	if (!name)
		return -1;
	json_t *records = b->cache_export ? b->cache_export : json_object();
	size_t n = 0;
	struct bld_cache_layer *layers = export_layers(records, &n);
	json_t *cfg = json_pack("{s:s, s:s, s:{s:{s:s}}, s:O}", "architecture", "amd64", "os",
				"linux", "config", "Labels", CACHE_LABEL, "v1", "bld.cache", records);
	char id[BLD_DIGEST_STR_LEN], md[BLD_DIGEST_STR_LEN];
	int r = bld_cache_image_write(b->store, cfg, layers, n, name, md, id, err);
	struct bld_registry_opts ro = {.config_dir = b->ctx->config_dir, .quiet = true};
	if (r == 0)
		r = bld_registry_push(b->store, name, &ro, md, err);
	struct bld_error *e = NULL;
	bld_cache_ref_delete(b->store, name, &e); /* the cache is no image of the user's */
	bld_error_free(e);
	json_decref(cfg);
	if (records != b->cache_export)
		json_decref(records);
	free(layers);
	return r < 0 ? bld_error_wrap(err, "--cache-to %s", ref) : 0;
}

int bld_builder_regcache_export(struct bld_builder_job *b, struct bld_error **err)
{
	for (size_t i = 0; b->o->cache_to && b->o->cache_to[i]; i++)
		if (export_one(b, b->o->cache_to[i], err) < 0)
			return -1;
	return 0;
}

/* Writes the records of a pulled cache image whose layers are in the store. */
static int import_records(struct bld_builder_job *b, const char *name, struct bld_error **err)
{
	struct bld_cache_image *img = NULL;
	if (bld_cache_image_load(b->store, name, &img, err) < 0)
		return -1;
	json_t *records = json_object_get(img->config, "bld.cache");
	const char *key;
	json_t *rec;
	int r = 0, n = 0;
	json_object_foreach(records, key, rec) {
		const char *d = bld_json_get_str(json_object_get(rec, "layer"), "digest");
		if (d && !bld_cache_blob_exists(b->store, d))
			continue;
		cleanup_free char *s = bld_json_dump_canonical(rec);
		if ((r = bld_cache_build_record_put(b->store, key, s, err)) < 0)
			break;
		n++;
	}
	bld_debug("imported %d build-cache records from %s", n, name);
	bld_cache_image_free(img);
	return r;
}

static int import_one(struct bld_builder_job *b, const char *spec, struct bld_error **err)
{
	cleanup_free char *ref = cache_ref(spec);
	if (!ref)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "only type=registry");
	cleanup_free char *name = full_name(ref, err);
	if (!name)
		return -1;
	struct bld_registry_opts ro = {.config_dir = b->ctx->config_dir, .quiet = true};
	struct bld_registry_pull_result pr;
	memset(&pr, 0, sizeof(pr));
	int r = bld_registry_pull(b->store, name, &ro, &pr, err);
	bld_registry_pull_result_dispose(&pr);
	if (r == 0)
		r = import_records(b, name, err);
	struct bld_error *e = NULL;
	bld_cache_ref_delete(b->store, name, &e);
	bld_error_free(e);
	return r;
}

void bld_builder_regcache_import(struct bld_builder_job *b)
{
	for (size_t i = 0; b->o->cache_from && b->o->cache_from[i]; i++) {
		struct bld_error *e = NULL;
		if (import_one(b, b->o->cache_from[i], &e) < 0)
			bld_warn("importing cache %s: %s", b->o->cache_from[i], e ? e->msg : "failed");
		bld_error_free(e);
	}
}
