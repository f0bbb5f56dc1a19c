/*
 * cache/imgsize.c — image sizes as docker reports them: the uncompressed size of each layer
 * (docker's overlay2 counts the unpacked layer directory: every entry but directories,
 * hardlinked files once) summed over the image's layers. A layer's size is counted while it
 * is extracted (unpack.c) or, where that could not tell (an entry replaced an earlier one),
 * computed once by a walk of its unpacked directory under layers/, and recorded on that
 * directory as the xattr user.bld.size, so that `bld images` reads one xattr per layer and
 * never a blob; the record goes with the directory when GC removes it.
 *
 * It does not unpack anything: a layer that is not unpacked counts its compressed size.
 */
#include "cache/cache_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define SIZE_XATTR "user.bld.size"

/* Inodes of multiply linked files already counted (a layer has few). */
struct seen {
	ino_t *v;
	size_t n, cap;
};

static bool seen_add(struct seen *s, ino_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == ino)
			return false;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = ino;
	return true;
}

/* docker's directory.Size under dirfd: sizes of non-directories, hardlinks once. */
static int64_t walk(int dirfd, struct seen *seen, int depth)
{
	DIR *d = depth < BLD_CACHE_SIZE_DEPTH_MAX ? fdopendir(dirfd) : NULL;
	if (!d) {
		close(dirfd);
		return 0;
	}
	int64_t sum = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				sum += walk(fd, seen, depth + 1);
		} else if (st.st_size > 0 && (st.st_nlink < 2 || seen_add(seen, st.st_ino))) {
			sum += st.st_size;
		}
	}
	closedir(d);
	return sum;
}

int64_t bld_cache_layer_dir_size(struct bld_store *s, const char *chain_id)
{
	if (!bld_digest_valid(chain_id))
		return -1;
	int fd = openat(s->layers_fd, bld_cache_hex(chain_id),
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[32];
	ssize_t n = fgetxattr(fd, SIZE_XATTR, buf, sizeof(buf) - 1);
	long v = -1;
	if (n > 0) {
		buf[n] = '\0';
		if (bld_parse_long(buf, 0, LONG_MAX, &v) == 0) {
			close(fd);
			return (int64_t)v;
		}
	}
	struct seen seen = {0};
	int keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	int64_t size = walk(fd, &seen, 0);
	free(seen.v);
	if (keep >= 0) {
		bld_cache_layer_size_record(keep, size);
		close(keep);
	}
	return size;
}

void bld_cache_layer_size_record(int dirfd, int64_t size)
{
	/* best effort: without user xattrs (old tmpfs) the walk is simply repeated */
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lld", (long long)size);
	(void)fsetxattr(dirfd, SIZE_XATTR, buf, (size_t)len, 0);
}

int64_t bld_cache_image_size(struct bld_store *s, const struct bld_cache_image *img)
{
	struct bld_cache_layer *v = NULL;
	size_t n = 0;
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_image_layer_list(img, &v, &n, &e) < 0)
		return 0;
	int64_t sum = 0;
	char chain[BLD_DIGEST_STR_LEN];
	for (size_t i = 0; i < n; i++) {
		bld_cache_layer_chain_id(i ? chain : NULL, v[i].diff_id, chain);
		int64_t sz = bld_cache_layer_dir_size(s, chain);
		sum += sz >= 0 ? sz : v[i].size;
	}
	free(v);
	return sum;
}

/* ------------------------------------------------------------------ docker system df */

/* An image's layers (chain IDs, their sizes) while the df is made. */
struct df_image {
	char id[BLD_DIGEST_STR_LEN];
	char **chains;
	int64_t *sizes;
	size_t n;
};

/* img's layers into d. */
static void df_layers(struct bld_store *s, const struct bld_cache_image *img, struct df_image *d)
{
	struct bld_cache_layer *ls = NULL;
	size_t n = 0;
	cleanup_error struct bld_error *e = NULL;
	snprintf(d->id, sizeof(d->id), "%s", img->id);
	if (bld_cache_image_layer_list(img, &ls, &n, &e) < 0)
		return;
	d->sizes = xcalloc(n ? n : 1, sizeof(*d->sizes));
	char chain[BLD_DIGEST_STR_LEN];
	for (size_t i = 0; i < n; i++) {
		bld_cache_layer_chain_id(i ? chain : NULL, ls[i].diff_id, chain);
		bld_strv_push(&d->chains, chain);
		int64_t sz = bld_cache_layer_dir_size(s, chain);
		d->sizes[d->n++] = sz >= 0 ? sz : ls[i].size;
	}
	free(ls);
}

/* Every image of s once (by ID), with its layers. */
static void df_images(struct bld_store *s, struct df_image **out, size_t *n)
{
	struct bld_cache_desc *v = NULL;
	size_t nv = 0;
	*out = NULL;
	*n = 0;
	if (bld_cache_ref_list_all(s, &v, &nv, NULL) < 0)
		return;
	cleanup_strv char **seen = NULL;
	*out = xcalloc(nv ? nv : 1, sizeof(**out));
	for (size_t i = 0; i < nv; i++) {
		struct bld_cache_image *img = NULL;
		struct bld_error *e = NULL;
		if (bld_cache_image_load_digest(s, v[i].digest, &img, &e) < 0) {
			bld_error_free(e);
			continue;
		}
		if (!bld_strv_has(seen, img->id)) {
			bld_strv_push(&seen, img->id);
			df_layers(s, img, &(*out)[(*n)++]);
		}
		bld_cache_image_free(img);
	}
	bld_cache_desc_list_free(v, nv);
}

/* How many of the images have chain. */
static size_t df_users(const struct df_image *v, size_t n, const char *chain)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += bld_strv_has(v[i].chains, chain);
	return k;
}

int bld_cache_images_df(struct bld_store *s, char *const *used, struct bld_cache_image_df **out,
			size_t *n, int64_t *layers_size)
{
	struct df_image *v = NULL;
	size_t nv = 0;
	df_images(s, &v, &nv);
	cleanup_strv char **counted = NULL;
	*layers_size = 0;
	*out = xcalloc(nv ? nv : 1, sizeof(**out));
	*n = nv;
	for (size_t i = 0; i < nv; i++) {
		struct bld_cache_image_df *d = &(*out)[i];
		snprintf(d->id, sizeof(d->id), "%s", v[i].id);
		d->active = bld_strv_has(used, v[i].id);
		for (size_t k = 0; k < v[i].n; k++) {
			d->size += v[i].sizes[k];
			if (df_users(v, nv, v[i].chains[k]) > 1)
				d->shared += v[i].sizes[k];
			if (!bld_strv_has(counted, v[i].chains[k])) {
				bld_strv_push(&counted, v[i].chains[k]);
				*layers_size += v[i].sizes[k];
			}
		}
	}
	for (size_t i = 0; i < nv; i++) {
		bld_strv_free(v[i].chains);
		free(v[i].sizes);
	}
	free(v);
	return 0;
}

int64_t bld_cache_images_df_reclaimable(const struct bld_cache_image_df *v, size_t n,
					int64_t layers_size)
{
	int64_t used = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].active)
			used += v[i].size - v[i].shared;
	return layers_size - used > 0 ? layers_size - used : 0;
}
