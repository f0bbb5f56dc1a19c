/*
 * builder/add.c — what ADD does beyond COPY: a URL is downloaded (registry/fetch.c) and
 * written with mode 0600 and the Last-Modified time, unpacked only with --unpack=true; a git
 * URL is cloned (git.c) and its tree copied, .git only with --keep-git-dir; a local tar
 * archive from the context (plain, gzip, bzip2, xz, zstd) is unpacked into the destination
 * (cache/, where libarchive lives) with the owners the archive records (--chown's with
 * --chown, as current BuildKit gives them), unless --unpack=false. --checksum verifies a
 * download (sha256:...) or a git source's commit (a hex prefix of its ID), as BuildKit does;
 * it takes one remote source.
 *
 * Everything else is left to the COPY path (copy.c).
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>

#define ADD_URL_MAX ((size_t)8 << 30)

static bool is_http(const char *s)
{
	return bld_str_has_prefix(s, "http://") || bld_str_has_prefix(s, "https://");
}

bool bld_builder_add_is_remote(const struct bld_builder_copy_req *rq, const char *src)
{
	return rq->add && (is_http(src) || bld_builder_git_is_url(src));
}

static int tmpfile_fd(struct bld_error **err)
{
	const char *tmp = getenv("TMPDIR");
	int fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd < 0 ? bld_error_sys(err, errno, "create temporary file") : fd;
}

/* The file name a URL gives: the last path segment, without query or fragment. */
static char *url_name(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, "?#");
	cleanup_free char *path = xstrndup(p, n);
	char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return NULL;
	return xstrdup(slash + 1);
}

static int verify_checksum(int fd, const char *want, struct bld_error **err)
{
	char got[BLD_DIGEST_STR_LEN];
	lseek(fd, 0, SEEK_SET);
	if (bld_sha256_file(fd, got, err) < 0)
		return -1;
	if (strcmp(got, want) != 0)
		return bld_error_set(err, BLD_E_DIGEST, "digest mismatch %s: %s", got, want);
	return 0;
}

/* A tar archive (a context file, or a download with --unpack=true): unpacked into a scratch
 * directory, then copied in as BuildKit unpacks (solver/llbsolver/file/unpack.go): the
 * directories made for the destination get --chown's owner (root's without), one that exists
 * keeps its owner and mode (the archive's "./" entry is not applied), and the entries take
 * --chown's owner, or the archive's without it. */
static int add_tar(struct bld_builder_job *b, const struct bld_builder_copy_req *rq, int tarfd,
		   int rootfd, bool chown, uid_t uid, gid_t gid, struct bld_error **err)
{
	cleanup_free char *dir = bld_builder_step_dir(b, err);
	if (!dir)
		return -1;
	int r = bld_cache_archive_extract_fd(tarfd, dir, err);
	if (r == 0) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = fd < 0 ? bld_error_sys(err, errno, "open %s", dir)
			   : bld_builder_copy_dir_contents(fd, rootfd, rq->dest, chown, uid, gid,
							   true, err);
		if (fd >= 0)
			close(fd);
	}
	struct bld_error *e = NULL;
	bld_fs_rm_rf(dir, &e);
	bld_error_free(e);
	return r;
}

static int add_url(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
		   const char *url, int rootfd, bool chown, uid_t uid, gid_t gid, bool dest_dir,
		   struct bld_error **err)
{
	cleanup_close int fd = tmpfile_fd(err);
	if (fd < 0)
		return -1;
	int64_t mtime = -1;
	if (bld_registry_fetch_url(url, fd, ADD_URL_MAX, &mtime, err) < 0)
		return -1;
	if (rq->checksum && verify_checksum(fd, rq->checksum, err) < 0)
		return bld_error_wrap(err, "%s", url);
	char dg[BLD_DIGEST_STR_LEN];
	lseek(fd, 0, SEEK_SET);
	if (b->o->provenance && bld_sha256_file(fd, dg, err) < 0)
		return bld_error_wrap(err, "%s", url);
	if (b->o->provenance)
		bld_builder_attest_dep(b, url, "sha256", dg + 7);
	lseek(fd, 0, SEEK_SET);
	if (rq->unpack == 1 && bld_cache_archive_is_tar_fd(fd)) /* BuildKit's AttemptUnpack */
		return add_tar(b, rq, fd, rootfd, chown, uid, gid, err);
	cleanup_free char *name = url_name(url);
	cleanup_free char *dest = NULL;
	if (dest_dir && !name)
		return bld_error_set(err, BLD_E_INVALID, "cannot determine filename from url: %s",
				     url);
	dest = dest_dir ? bld_path_join(rq->dest, name) : bld_path_clean(rq->dest);
	if (mtime < 0)
		mtime = b->epoch >= 0 ? b->epoch : (int64_t)time(NULL);
	return bld_builder_copy_fd_into(fd, rootfd, dest, 0600, uid, gid, mtime, err);
}

static int add_git(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
		   const char *url, int rootfd, bool chown, uid_t uid, gid_t gid,
		   struct bld_error **err)
{
	cleanup_free char *dir = bld_builder_step_dir(b, err);
	if (!dir)
		return -1;
	cleanup_free char *sub = NULL, *commit = NULL;
	int r = bld_builder_git_checkout(url, dir, rq->keep_git_dir, &sub, &commit, err);
	if (r == 0 && rq->checksum && !bld_str_has_prefix(commit, rq->checksum))
		r = bld_error_set(err, BLD_E_DIGEST, "expected checksum to match %s, got %s",
				  rq->checksum, commit);
	if (r == 0)
		bld_builder_attest_dep(b, url, "sha1", commit);
	if (r == 0) {
		cleanup_free char *rel = bld_builder_ctx_rel(sub);
		cleanup_free char *src = *rel ? bld_path_join(dir, rel) : xstrdup(dir);
		int fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			r = bld_error_sys(err, errno, "open %s", sub);
		else
			r = bld_builder_copy_dir_into(fd, rootfd, rq->dest, chown, uid, gid, false,
						      err);
		if (fd >= 0)
			close(fd);
	}
	struct bld_error *e = NULL;
	bld_fs_rm_rf(dir, &e);
	bld_error_free(e);
	return r;
}

/* An open descriptor on a context file when it is a tar archive, else -1. */
static int context_tar(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
		       const char *src)
{
	if (rq->unpack == 0 || bld_builder_ctx_has_wildcard(src))
		return -1;
	cleanup_free char *rel = bld_builder_ctx_rel(src);
	if (!*rel)
		return -1;
	int fd = bld_fs_open_in_root(bld_builder_context_fd(b->bctx), rel, O_RDONLY, 0);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !bld_cache_archive_is_tar_fd(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --checksum as BuildKit's frontend allows it: one source, a URL or a git repository. */
static int check_checksum(const struct bld_builder_copy_req *rq, struct bld_error **err)
{
	if (!rq->checksum)
		return 0;
	if (bld_strv_len(rq->srcs) + rq->ncontents != 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "checksum can't be specified for multiple sources");
	if (!rq->srcs[0] || !bld_builder_add_is_remote(rq, rq->srcs[0]))
		return bld_error_set(err, BLD_E_INVALID, "checksum requires HTTP(S) or Git sources");
	const char *c = rq->checksum;
	if (bld_builder_git_is_url(rq->srcs[0]) && (!*c || c[strspn(c, "0123456789abcdefABCDEF")]))
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid checksum %s for Git URL, expected hex commit hash", c);
	return 0;
}

int bld_builder_add_special(struct bld_builder_job *b, const struct bld_builder_copy_req *rq,
			    int rootfd, bool chown, uid_t uid, gid_t gid, bool dest_dir,
			    char ***rest, struct bld_error **err)
{
	int r = check_checksum(rq, err);
	if (r < 0)
		return r;
	uid_t u = chown ? uid : 0;
	gid_t g = chown ? gid : 0;
	for (size_t i = 0; r == 0 && rq->srcs[i]; i++) {
		const char *s = rq->srcs[i];
		if (bld_builder_git_is_url(s)) {
			r = add_git(b, rq, s, rootfd, chown, u, g, err);
		} else if (is_http(s)) {
			r = add_url(b, rq, s, rootfd, chown, u, g, dest_dir, err);
		} else {
			int fd = context_tar(b, rq, s);
			if (fd < 0) {
				bld_strv_push(rest, s);
				continue;
			}
			r = add_tar(b, rq, fd, rootfd, chown, u, g, err);
			close(fd);
		}
	}
	return r;
}
