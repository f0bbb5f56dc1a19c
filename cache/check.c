/*
 * cache/check.c — looking at the store without changing it: disk usage (bld system df) and
 * integrity (bld system check): every blob re-hashed against its name, and every blob an
 * image needs (manifest, config, layers) present. Damage is reported, never repaired here.
 */
#include "cache/cache_int.h"

#include <fcntl.h>
#include <sys/stat.h>

struct check {
	struct bld_store *s;
	bld_cache_check_fn fn;
	void *payload;
	struct bld_cache_check_stats *st;
};

static void report(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	c->st->problems++;
	if (c->fn)
		c->fn(msg, c->payload);
}

static void check_blob(const char *hex, void *payload)
{
	struct check *c = payload;
	struct bld_store *s = c->s;
	char want[BLD_DIGEST_STR_LEN], got[BLD_DIGEST_STR_LEN];
	snprintf(want, sizeof(want), "sha256:%.*s", BLD_SHA256_HEX_LEN, hex);
	if (!bld_digest_valid(want) || strlen(hex) != BLD_SHA256_HEX_LEN) {
		report(c, "unexpected file blobs/sha256/%s", hex);
		return;
	}
	c->st->blobs++;
	cleanup_close int fd = openat(s->blobs_fd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct bld_error *e = NULL;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || bld_sha256_file(fd, got, &e) < 0) {
		bld_error_free(e);
		c->st->damaged++;
		report(c, "blob %s cannot be read", want);
		return;
	}
	c->st->bytes += st.st_size;
	if (strcmp(got, want) != 0) {
		c->st->damaged++;
		report(c, "blob %s is damaged: its content has digest %s", want, got);
	}
}

static void need(struct bld_store *s, struct check *c, const char *digest, const char *what,
		 const char *owner)
{
	if (!bld_cache_blob_exists(s, digest)) {
		c->st->missing++;
		report(c, "blob %s (%s of %s) is missing", digest ? digest : "(invalid)", what, owner);
	}
}

/* Every blob a named or dangling image needs is there. */
static void check_image(struct bld_store *s, struct check *c, const struct bld_cache_desc *d)
{
	const char *owner = d->name ? d->name : d->digest;
	need(s, c, d->digest, "manifest", owner);
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (!bld_cache_blob_exists(s, d->digest))
		return;
	if (bld_cache_image_load_digest(s, d->digest, &img, &e) < 0) {
		if (e->code != BLD_E_NOTFOUND || !bld_str_has_prefix(e->msg, "no linux/amd64"))
			report(c, "image %s cannot be read: %s", owner, e->msg);
		bld_error_free(e);
		return;
	}
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(img->manifest, "layers"), i, l)
		need(s, c, bld_json_get_str(l, "digest"), "layer", owner);
	bld_cache_image_free(img);
}

int bld_cache_check(struct bld_store *s, bld_cache_check_fn fn, void *payload,
		    struct bld_cache_check_stats *st, struct bld_error **err)
{
	memset(st, 0, sizeof(*st));
	struct check c = {.s = s, .fn = fn, .payload = payload, .st = st};
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	if (r < 0)
		return bld_error_wrap(err, "index.json");
	bld_cache_each_entry(s->blobs_fd, check_blob, &c);
	for (size_t i = 0; i < n; i++)
		check_image(s, &c, &v[i]);
	bld_cache_desc_list_free(v, n);
	return 0;
}
