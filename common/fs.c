/*
 * common/fs.c — file helpers that keep the store safe: capped reads, atomic writes
 * (temporary file, fsync, rename, fsync of the directory), mkdir -p, an rm -rf that stays on
 * one filesystem and never follows links, and path resolution confined inside a root
 * directory. Paths from users and archives go through bld_fs_open_in_root, never through
 * string joins checked afterwards.
 */
#include "common/common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int bld_fs_read_fd(int fd, size_t max, char **out, size_t *len, struct bld_error **err)
{
	struct bld_buf b = BLD_BUF_INIT;
	char tmp[65536];
	b.max = max;
	for (;;) {
		ssize_t r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			bld_buf_dispose(&b);
			return bld_error_sys(err, errno, "read");
		}
		if (r == 0)
			break;
		if (bld_buf_add(&b, tmp, (size_t)r) < 0) {
			bld_buf_dispose(&b);
			return bld_error_set(err, BLD_E_INVALID, "larger than %zu bytes", max);
		}
	}
	if (len)
		*len = b.len;
	*out = bld_buf_detach(&b);
	return 0;
}

int bld_fs_open_read(const char *path, struct bld_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return bld_error_set(err, BLD_E_NOTFOUND, "%s: no such file or directory", path);
	return bld_error_sys(err, errno, "open %s", path);
}

int bld_fs_read_file(const char *path, size_t max, char **out, size_t *len,
		     struct bld_error **err)
{
	cleanup_close int fd = bld_fs_open_read(path, err);
	if (fd < 0)
		return fd; /* the error's code */
	int r = bld_fs_read_fd(fd, max, out, len, err);
	if (r < 0)
		return bld_error_wrap(err, "%s", path);
	return 0;
}

int bld_fs_fsync_dir(int dirfd) { return fsync(dirfd) < 0 ? -errno : 0; }

int bld_fs_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bld_fs_write_atomic(int dirfd, const char *name, const void *data, size_t n, mode_t mode,
			struct bld_error **err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp-%d-%lx", name, (int)getpid(),
					    (unsigned long)random());
	cleanup_close int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return bld_error_sys(err, errno, "create %s", tmp);
	int r = bld_fs_write_all(fd, data, n);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return bld_error_sys(err, -r, "write %s", name);
	}
	(void)bld_fs_fsync_dir(dirfd);
	return 0;
}

int bld_fs_mkdir_p(const char *path, mode_t mode, struct bld_error **err)
{
	struct stat st;
	/* Nearly always there already, or only the last component is missing: one or two
	 * calls, not a mkdir per component (bld run made 90). */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (mkdir(path, mode) == 0)
		return 0;
	cleanup_free char *p = xstrdup(path);
	size_t n = errno == ENOENT ? strlen(p) : 0;
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return bld_error_sys(err, errno, "mkdir %s", p);
		p[i] = c;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return bld_error_set(err, BLD_E_INVALID, "%s: not a directory", path);
	return 0;
}

static int rm_at(int dirfd, const char *name, dev_t dev, int depth)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (st.st_dev != dev || depth > 4096)
		return -EXDEV;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d)) && r == 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = rm_at(fd, de->d_name, dev, depth + 1);
	}
	closedir(d);
	if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

int bld_fs_rm_rf(const char *path, struct bld_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : bld_error_sys(err, errno, "stat %s", path);
	int r = rm_at(AT_FDCWD, path, st.st_dev, 0);
	if (r < 0)
		return bld_error_sys(err, -r, "remove %s", path);
	return 0;
}

/* ------------------------------------------------------------------ confinement */

static int openat2_probe = 0; /* 0 unknown, 1 works, -1 missing: a cached kernel probe */

/* A stack of directory descriptors from the root down to the current directory. */
struct walk {
	int fds[256];
	int depth; /* fds[0] is the root (borrowed), fds[1..depth] are owned */
};

static void walk_reset(struct walk *w)
{
	while (w->depth > 0)
		close(w->fds[w->depth--]);
}

/*
 * Component walk for kernels without openat2: every component opened with O_NOFOLLOW
 * relative to its parent; symlinks read and spliced into the rest of the path; ".." pops
 * the stack but never above the root; an absolute link target restarts at the root.
 */
static int open_in_root_walk(int rootfd, const char *path, int flags, mode_t mode)
{
	struct walk w = {.fds = {rootfd}, .depth = 0};
	struct bld_buf rest = BLD_BUF_INIT;
	bld_buf_adds(&rest, path);
	int links = 0, r = -ENOENT;
	for (;;) {
		char *p = rest.data;
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		char comp[256];
		if (len >= sizeof(comp)) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		char *tail = p + len;
		while (*tail == '/')
			tail++;
		bool last = *tail == '\0';
		int cur = w.fds[w.depth];
		if (len == 0 || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			if (strcmp(comp, "..") == 0 && w.depth > 0)
				close(w.fds[w.depth--]);
			if (last) {
				r = openat(w.fds[w.depth], ".", flags | O_CLOEXEC, mode);
				r = r < 0 ? -errno : r;
				break;
			}
			memmove(rest.data, tail, strlen(tail) + 1);
			continue;
		}
		char target[4096];
		ssize_t tl = readlinkat(cur, comp, target, sizeof(target) - 1);
		if (tl >= 0 && !(last && (flags & O_NOFOLLOW))) {
			if (++links > 40) {
				r = -ELOOP;
				break;
			}
			target[tl] = '\0';
			if (target[0] == '/')
				walk_reset(&w);
			char *nrest = xasprintf("%s/%s", target, tail);
			bld_buf_reset(&rest);
			bld_buf_adds(&rest, nrest);
			free(nrest);
			continue;
		}
		if (last) {
			r = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			r = r < 0 ? -errno : r;
			break;
		}
		if (w.depth + 1 >= (int)BLD_ARRAY_SIZE(w.fds)) {
			r = -ENAMETOOLONG;
			break;
		}
		int nfd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			r = -errno;
			break;
		}
		w.fds[++w.depth] = nfd;
		memmove(rest.data, tail, strlen(tail) + 1);
	}
	walk_reset(&w);
	bld_buf_dispose(&rest);
	return r;
}

int bld_fs_open_in_root_fallback(int rootfd, const char *path, int flags, mode_t mode)
{
	return open_in_root_walk(rootfd, path, flags, mode);
}

int bld_fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	if (openat2_probe >= 0) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		const char *rel = path;
		while (*rel == '/')
			rel++;
		/* EAGAIN: a rename or mount anywhere on the system raced with resolving ".."
		 * (the kernel cannot then vouch for confinement); frequent on a busy machine.
		 * Retried, then left to the walk, which never asks the kernel to resolve "..". */
		long fd = -1;
		for (int tries = 0; tries < 16; tries++) {
			fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
			if (fd >= 0 || errno != EAGAIN)
				break;
		}
		if (fd >= 0) {
			openat2_probe = 1;
			return (int)fd;
		}
		if (errno == EAGAIN)
			return open_in_root_walk(rootfd, path, flags, mode);
		if (errno != ENOSYS || openat2_probe == 1)
			return -errno;
		openat2_probe = -1;
	}
	return open_in_root_walk(rootfd, path, flags, mode);
}

char *bld_path_clean(const char *path)
{
	bool rooted = path[0] == '/';
	size_t n = strlen(path);
	char *out = xmalloc(n + 2);
	size_t w = 0;
	if (rooted)
		out[w++] = '/';
	size_t base = w; /* ".." never climbs above this point */
	size_t i = 0;
	while (i < n) {
		if (path[i] == '/') {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && path[j] != '/')
			j++;
		size_t len = j - i;
		if (len == 1 && path[i] == '.') {
			/* skip */
		} else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (w > base) {
				while (w > base && out[w - 1] != '/')
					w--;
				if (w > base)
					w--;
				/* a previous ".." that could not be removed stays */
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				base = w;
			}
		} else {
			if (w > (rooted ? 1 : 0) && out[w - 1] != '/')
				out[w++] = '/';
			memcpy(out + w, path + i, len);
			w += len;
		}
		i = j;
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *bld_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (!*b)
		return xstrndup(a, la);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

char *bld_fs_mkdtemp(const char *prefix, struct bld_error **err)
{
	const char *tmp = getenv("TMPDIR");
	char *p = xasprintf("%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	if (!mkdtemp(p)) {
		int e = errno;
		free(p);
		bld_error_sys(err, e, "mkdtemp");
		return NULL;
	}
	return p;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bld_fs_sorted_names(int dirfd, size_t max, char ***out)
{
	*out = NULL;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			bld_strv_push(&v, de->d_name);
			n++;
		}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(char *), cmp_names);
	*out = v;
	return 0;
}

bool bld_fs_dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}
