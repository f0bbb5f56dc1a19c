/*
 * cache/layer_verify.c — layer directories that survive a power loss. A layer directory is a
 * cache of its blob written without fsync (syncing a hundred megabytes of small files would
 * cost a pull more than its download), so its state is recorded on it, in the xattr
 * user.bld.layer, before it is renamed into place:
 *   "boot <boot id> <unix time>"  complete, written in that boot, not known to be on disk;
 *   "durable"                      complete, and synced after it was.
 * A directory is used as is when it is durable or was written in this boot (a crash of bld
 * alone loses nothing the kernel holds). Any other one, written before the machine last
 * started and never synced, or without a record (an older bld; a crash before the record
 * reached the disk), is compared with a fresh extraction of its blob — file list, types,
 * modes, owners, sizes, link targets and contents — and either synced and marked durable
 * when equal, or replaced by the fresh extraction. A directory of this boot older than the
 * kernel's writeback delay is synced and marked durable when next used, which costs little
 * by then. `bld system check --layers` makes the same comparison for every layer.
 *
 * On a filesystem without user xattrs nothing can be recorded: directories are used as is.
 * It does not extract (unpack.c) nor decide which layers an image needs.
 */
#include "cache/cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define LAYER_XATTR "user.bld.layer"
#define DURABLE "durable"
#define SYNC_AFTER_S 120 /* well past the kernel's default writeback delay (30 s) */
#define NAMES_MAX ((size_t)1 << 20)
#define DEPTH_MAX 512
#define CMP_BUF ((size_t)64 << 10)

static pthread_once_t boot_once = PTHREAD_ONCE_INIT;
static char boot[64];

static void read_boot_id(void)
{
	cleanup_free char *s = NULL;
	if (bld_fs_read_file("/proc/sys/kernel/random/boot_id", 256, &s, NULL, NULL) < 0)
		return; /* then every unsynced directory counts as written before this boot */
	snprintf(boot, sizeof(boot), "%.*s", (int)strcspn(s, "\n"), s);
}

static const char *boot_id(void)
{
	pthread_once(&boot_once, read_boot_id);
	return boot;
}

void bld_cache_layer_mark(int dirfd)
{
	const char *b = boot_id();
	char v[128];
	int n = snprintf(v, sizeof(v), "boot %s %lld", *b ? b : "unknown", (long long)time(NULL));
	if (fsetxattr(dirfd, LAYER_XATTR, v, (size_t)n, 0) < 0)
		bld_debug("layer: state not recorded: %s", strerror(errno));
}

enum layer_state { LAYER_USE, LAYER_SYNC, LAYER_VERIFY };

static enum layer_state state_of(int dirfd)
{
	char v[128];
	ssize_t n = fgetxattr(dirfd, LAYER_XATTR, v, sizeof(v) - 1);
	if (n < 0)
		return errno == ENOTSUP || errno == EOPNOTSUPP ? LAYER_USE : LAYER_VERIFY;
	v[n] = '\0';
	if (strcmp(v, DURABLE) == 0)
		return LAYER_USE;
	const char *b = boot_id();
	size_t bl = strlen(b);
	if (!bl || strncmp(v, "boot ", 5) != 0 || strncmp(v + 5, b, bl) != 0 || v[5 + bl] != ' ')
		return LAYER_VERIFY;
	long long t = strtoll(v + 6 + bl, NULL, 10);
	return time(NULL) - t > SYNC_AFTER_S ? LAYER_SYNC : LAYER_USE;
}

/* Makes what the directory's filesystem holds durable, then says so on the directory. */
static void make_durable(int dirfd)
{
	if (syncfs(dirfd) < 0) {
		bld_debug("layer: syncfs: %s", strerror(errno));
		return;
	}
	if (fsetxattr(dirfd, LAYER_XATTR, DURABLE, strlen(DURABLE), 0) < 0)
		bld_debug("layer: state not recorded: %s", strerror(errno));
}

/* ------------------------------------------------------------------ comparison */

static char *differ(const char *path, const char *name, const char *what)
{
	return xasprintf("%s/%s: %s", strcmp(path, "/") == 0 ? "" : path, name, what);
}

static bool same_bytes(int a, int b)
{
	cleanup_free char *ba = xmalloc(CMP_BUF), *bb = xmalloc(CMP_BUF);
	for (off_t off = 0;;) {
		ssize_t na = pread(a, ba, CMP_BUF, off), nb = pread(b, bb, CMP_BUF, off);
		if (na < 0 || na != nb || memcmp(ba, bb, (size_t)na) != 0)
			return false;
		if (na == 0)
			return true;
		off += na;
	}
}

static bool same_content(int pa, int pb, const char *name)
{
	cleanup_close int a = openat(pa, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int b = openat(pb, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return a >= 0 && b >= 0 && same_bytes(a, b);
}

static bool same_link(int pa, int pb, const char *name)
{
	char la[4097], lb[4097];
	ssize_t na = readlinkat(pa, name, la, sizeof(la)), nb = readlinkat(pb, name, lb, sizeof(lb));
	return na >= 0 && na == nb && memcmp(la, lb, (size_t)na) == 0;
}

static char *compare_dir(int a, int b, const char *path, int depth);

/* How entry name differs between the directories a (the layer) and b (the blob), or NULL. */
static char *compare_entry(int a, int b, const char *path, const char *name, int depth)
{
	struct stat sa, sb;
	if (fstatat(a, name, &sa, AT_SYMLINK_NOFOLLOW) < 0)
		return differ(path, name, "cannot be read");
	if (fstatat(b, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return differ(path, name, "not in the blob");
	if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
		return differ(path, name, "file type differs");
	if ((sa.st_mode & 07777) != (sb.st_mode & 07777))
		return differ(path, name, "mode differs");
	if (sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid)
		return differ(path, name, "owner differs");
	if (S_ISREG(sa.st_mode) && sa.st_size != sb.st_size)
		return differ(path, name, "size differs");
	if (S_ISREG(sa.st_mode) && !same_content(a, b, name))
		return differ(path, name, "content differs");
	if (S_ISLNK(sa.st_mode) && !same_link(a, b, name))
		return differ(path, name, "link target differs");
	if ((S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) && sa.st_rdev != sb.st_rdev)
		return differ(path, name, "device differs");
	if (!S_ISDIR(sa.st_mode))
		return NULL;
	if (depth >= DEPTH_MAX)
		return differ(path, name, "too deep");
	cleanup_close int da = openat(a, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int db = openat(b, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (da < 0 || db < 0)
		return differ(path, name, "cannot be read");
	cleanup_free char *sub = strcmp(path, "/") == 0 ? xasprintf("/%s", name)
						       : xasprintf("%s/%s", path, name);
	return compare_dir(da, db, sub, depth + 1);
}

/* The names of both directories side by side (sorted), then each entry both have. */
static char *compare_dir(int a, int b, const char *path, int depth)
{
	char **na = NULL, **nb = NULL;
	char *why = NULL;
	if (bld_fs_sorted_names(a, NAMES_MAX, &na) < 0 || bld_fs_sorted_names(b, NAMES_MAX, &nb) < 0)
		why = xasprintf("%s: cannot be read", path);
	size_t i = 0, k = 0;
	while (!why && ((na && na[i]) || (nb && nb[k]))) {
		int c = !(na && na[i]) ? 1 : !(nb && nb[k]) ? -1 : strcmp(na[i], nb[k]);
		if (c < 0)
			why = differ(path, na[i], "not in the blob");
		else if (c > 0)
			why = differ(path, nb[k], "missing");
		else
			why = compare_entry(a, b, path, na[i], depth);
		i += c <= 0;
		k += c >= 0;
	}
	bld_strv_free(na);
	bld_strv_free(nb);
	return why;
}

/* ------------------------------------------------------------------ verify and repair */

/* Puts the fresh extraction tmp in the place of layers/hex; the old one goes. */
static int replace(struct bld_store *s, const char *tmp, const char *hex, struct bld_error **err)
{
	if (renameat2(s->layers_fd, tmp, s->layers_fd, hex, RENAME_EXCHANGE) < 0) {
		cleanup_free char *old = bld_path_join(s->layers, hex);
		if (bld_fs_rm_rf(old, err) < 0)
			return -1;
		if (renameat(s->layers_fd, tmp, s->layers_fd, hex) < 0 && errno != EEXIST &&
		    errno != ENOTEMPTY)
			return bld_error_sys(err, errno, "rename layer %s", hex);
	}
	return 0; /* tmp now names the damaged directory (or nothing) */
}

/*
 * Compares layers/hex with a fresh extraction of its blob; *problem is what differs first
 * (NULL when nothing does). An equal directory is synced and marked durable; a different one
 * is replaced by the fresh extraction when repair is set.
 */
static int verify(struct bld_store *s, const char *hex, const char *blob, const char *diff_id,
		  bool repair, char **problem, struct bld_error **err)
{
	*problem = NULL;
	cleanup_free char *tmp = bld_cache_layer_tmpdir(s, blob, err);
	if (!tmp)
		return -1;
	cleanup_free char *tpath = bld_path_join(s->layers, tmp);
	cleanup_close int bfd = bld_cache_blob_open(s, blob, err);
	int r = bfd < 0 ? -1 : bld_cache_layer_extract_fd(bfd, tpath, diff_id, err);
	cleanup_close int a = openat(s->layers_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int b = openat(s->layers_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r == 0 && (a < 0 || b < 0))
		r = bld_error_sys(err, errno, "open layer %s", hex);
	if (r == 0)
		*problem = compare_dir(a, b, "/", 0);
	if (r == 0 && !*problem)
		make_durable(a);
	if (r == 0 && *problem && repair) {
		bld_cache_layer_mark(b);
		r = replace(s, tmp, hex, err);
	}
	bld_fs_rm_rf(tpath, NULL);
	return r;
}

int bld_cache_layer_ensure(struct bld_store *s, const char *hex, const char *blob,
			   const char *diff_id, struct bld_error **err)
{
	cleanup_close int fd = openat(s->layers_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open layer %s", hex);
	enum layer_state st = state_of(fd);
	if (st == LAYER_USE)
		return 0;
	if (st == LAYER_SYNC) {
		make_durable(fd);
		return 0;
	}
	cleanup_free char *problem = NULL;
	if (verify(s, hex, blob, diff_id, true, &problem, err) < 0)
		return -1;
	if (problem)
		bld_warn("layer %.12s was damaged (%s); extracted again from its blob", hex, problem);
	else
		bld_debug("layer %.12s: checked against its blob after a restart", hex);
	return 0;
}

/* ------------------------------------------------------------------ system check --layers */

struct lcheck {
	struct bld_store *s;
	bool repair;
	bld_cache_check_fn fn;
	void *payload;
	struct bld_cache_layer_check_stats *st;
	char **seen; /* chain IDs (hex) checked already */
};

static void lcheck_report(struct lcheck *c, const char *msg)
{
	c->st->problems++;
	if (c->fn)
		c->fn(msg, c->payload);
}

static void lcheck_layer(struct lcheck *c, const struct bld_cache_layer *l, const char *chain,
			 const char *owner)
{
	const char *hex = bld_cache_hex(chain);
	struct stat st;
	for (size_t i = 0; c->seen && c->seen[i]; i++)
		if (strcmp(c->seen[i], hex) == 0)
			return;
	bld_strv_push(&c->seen, hex);
	if (fstatat(c->s->layers_fd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return; /* not unpacked: nothing to check */
	c->st->layers++;
	cleanup_free char *problem = NULL, *msg = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (verify(c->s, hex, l->digest, l->diff_id, c->repair, &problem, &e) < 0)
		msg = xasprintf("layer %s (%s of %s) cannot be checked: %s", chain, l->digest, owner,
				e->msg);
	else if (problem)
		msg = xasprintf("layer %s (%s of %s) is damaged: %s%s", chain, l->digest, owner,
				problem, c->repair ? "; extracted again" : "");
	if (!msg)
		return;
	c->st->damaged += problem != NULL;
	c->st->repaired += problem && c->repair;
	lcheck_report(c, msg);
}

/* The unpacked layers of one image (an image that cannot be read is bld_cache_check's). */
static void lcheck_image(struct lcheck *c, const struct bld_cache_desc *d)
{
	struct bld_cache_image *img = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_image_load_digest(c->s, d->digest, &img, &e) < 0)
		return;
	cleanup_free struct bld_cache_layer *v = NULL;
	size_t n = 0;
	int r = bld_cache_image_layer_list(img, &v, &n, &e);
	char chain[BLD_DIGEST_STR_LEN];
	for (size_t i = 0; r == 0 && i < n; i++) {
		bld_cache_layer_chain_id(i ? chain : NULL, v[i].diff_id, chain);
		lcheck_layer(c, &v[i], chain, d->name ? d->name : d->digest);
	}
	bld_cache_image_free(img);
}

int bld_cache_layers_check(struct bld_store *s, bool repair, bld_cache_check_fn fn,
			   void *payload, struct bld_cache_layer_check_stats *st,
			   struct bld_error **err)
{
	memset(st, 0, sizeof(*st));
	struct lcheck c = {.s = s, .repair = repair, .fn = fn, .payload = payload, .st = st};
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	if (bld_cache_ref_list_all(s, &v, &n, err) < 0)
		return bld_error_wrap(err, "index.json");
	for (size_t i = 0; i < n; i++)
		lcheck_image(&c, &v[i]);
	bld_cache_desc_list_free(v, n);
	bld_strv_free(c.seen);
	return 0;
}
