/*
 * registry/upload.c — blobs to a registry: HEAD to skip what is there, a cross-repository
 * mount (POST ?mount=&from=), then a monolithic PUT for small blobs or PATCH chunks with
 * Content-Range followed by the closing PUT, which carries the last piece, for large ones.
 * An upload that fails on the way (a broken transfer, 5xx, 408, 429) is started again as a
 * new session, after a backoff that honours Retry-After.
 *
 * It reads blobs from descriptors it is given; it does not know the store (push.c does).
 */
#include "registry/registry_int.h"

#include <errno.h>
#include <sys/mman.h>

#define UPLOAD_CHUNK ((int64_t)16 << 20) /* larger blobs go in PATCH chunks of this size */
#define UPLOAD_BACKOFF_MS 500
#define UPLOAD_BACKOFF_MAX_MS 5000

/* Why the last request of an upload failed: its status (0: the transfer broke). */
struct hint {
	long status;
	long retry_after;
};

/* Notes why a request of the upload failed (r < 0: the transfer itself). */
static void note(struct hint *h, const struct reg_resp *resp, int r)
{
	h->status = r < 0 ? 0 : resp->status;
	h->retry_after = resp->retry_after;
}

/* An absolute upload URL from a Location header (which may be a path). */
static char *absolute(struct bld_registry_client *c, const char *loc)
{
	if (bld_str_has_prefix(loc, "http://") || bld_str_has_prefix(loc, "https://"))
		return xstrdup(loc);
	return xasprintf("%s%s%s", c->base, loc[0] == '/' ? "" : "/", loc);
}

/*
 * POST an upload; with from, ask for a mount first. Returns 1 when the blob was mounted,
 * 0 with *loc set to where the data goes.
 */
static int upload_start(struct bld_registry_client *c, const char *repo, const char *scope,
			const char *digest, const char *from, char **loc, struct hint *h,
			struct bld_error **err)
{
	cleanup_free char *what = from ? xasprintf("blobs/uploads/?mount=%s&from=%s", digest, from)
				       : xstrdup("blobs/uploads/");
	struct reg_req req;
	reg_req_init(&req, "POST", reg_url(c, repo, what), scope);
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status == 201 && from)
		r = 1;
	else if (r == 0 && resp.status == 202 && resp.location)
		*loc = absolute(c, resp.location);
	else if (r == 0)
		r = reg_status_error(&resp, BLD_E_NETWORK, err, "start upload to %s/%s",
				     c->domain, repo);
	if (r < 0)
		note(h, &resp, r);
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

/* Bytes [off, off+len) of fd as the octet-stream body of req. */
static void req_body(struct reg_req *req, int fd, int64_t off, int64_t len)
{
	req->headers = curl_slist_append(req->headers, "Content-Type: application/octet-stream");
	req->body_fd = fd;
	req->body_off = off;
	req->body_len = (size_t)len;
}

/* PATCH bytes [off, off+len) of fd to *loc; *loc moves to the next Location. */
static int upload_patch(struct bld_registry_client *c, const char *scope, char **loc, int fd,
			int64_t off, int64_t len, struct hint *h, struct bld_error **err)
{
	struct reg_req req;
	reg_req_init(&req, "PATCH", xstrdup(*loc), scope);
	cleanup_free char *cr = xasprintf("Content-Range: %lld-%lld", (long long)off,
					  (long long)(off + len - 1));
	req.headers = curl_slist_append(req.headers, cr);
	req_body(&req, fd, off, len);
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status == 202 && resp.location) {
		free(*loc);
		*loc = absolute(c, resp.location);
	} else if (r == 0) {
		r = reg_status_error(&resp, BLD_E_NETWORK, err, "upload chunk");
	}
	if (r < 0)
		note(h, &resp, r);
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

/* The closing PUT ?digest=, with the remaining bytes [off, off+len) as body. */
static int upload_put(struct bld_registry_client *c, const char *scope, const char *loc,
		      const char *digest, int fd, int64_t off, int64_t len, struct hint *h,
		      struct bld_error **err)
{
	struct reg_req req;
	reg_req_init(&req, "PUT", xasprintf("%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?',
					    digest),
		     scope);
	if (off > 0 && len > 0) { /* the final chunk of a chunked upload, as the spec shows it */
		cleanup_free char *cr = xasprintf("Content-Range: %lld-%lld", (long long)off,
						  (long long)(off + len - 1));
		req.headers = curl_slist_append(req.headers, cr);
	}
	req_body(&req, fd, off, len);
	struct reg_resp resp = {0};
	int r = reg_do(c, &req, &resp, err);
	if (r == 0 && resp.status != 201) {
		cleanup_free char *code = reg_error_code(&resp);
		r = reg_status_error(&resp, code && strcmp(code, "DIGEST_INVALID") == 0
						    ? BLD_E_DIGEST
						    : BLD_E_NETWORK,
				     err, "upload blob %s", digest);
	}
	if (r < 0)
		note(h, &resp, r);
	reg_resp_dispose(&resp);
	reg_req_dispose(&req);
	return r;
}

static int upload_data(struct bld_registry_client *c, const char *scope, char **loc,
		       const char *digest, int fd, int64_t size, struct hint *h,
		       struct bld_error **err)
{
	/* PATCH whole chunks while more than one remains; the rest (all of a small blob) goes
	 * with the closing PUT, which saves the registry a request, and a hash state and an
	 * fsync it writes after each one */
	int64_t off = 0;
	for (; size - off > UPLOAD_CHUNK; off += UPLOAD_CHUNK)
		if (upload_patch(c, scope, loc, fd, off, UPLOAD_CHUNK, h, err) < 0)
			return -1;
	return upload_put(c, scope, *loc, digest, fd, off, size - off, h, err);
}

/* One upload from its POST on: 1 mounted, 0 pushed. */
static int upload_once(struct bld_registry_client *c, const char *repo, const char *scope,
		       const char *digest, int fd, int64_t size, const char *mount_from,
		       struct hint *h, struct bld_error **err)
{
	cleanup_free char *loc = NULL;
	int r = upload_start(c, repo, scope, digest, mount_from, &loc, h, err);
	if (r != 0)
		return r;
	if (upload_data(c, scope, &loc, digest, fd, size, h, err) < 0)
		return bld_error_wrap(err, "push blob %s", digest);
	return 0;
}

/*
 * Uploads, starting the whole upload again (a new session, as docker does) after a broken
 * transfer, a 5xx, 408 or 429, with backoff and Retry-After, max-download-attempts times.
 */
static int upload_retrying(struct bld_registry_client *c, const char *repo, const char *scope,
			   const char *digest, int fd, int64_t size, const char *mount_from,
			   struct bld_error **err)
{
	for (long attempt = 1;; attempt++) {
		struct hint h = {.status = -1};
		cleanup_error struct bld_error *e = NULL;
		int r = upload_once(c, repo, scope, digest, fd, size, mount_from, &h, &e);
		if (r >= 0)
			return r;
		bool transient = (h.status == 0 && e->code == BLD_E_NETWORK) || h.status >= 500 ||
				 h.status == 429 || h.status == 408;
		if (!transient || attempt >= reg_config_net()->attempts) {
			bld_error_move(err, &e);
			return -1;
		}
		int64_t backoff = UPLOAD_BACKOFF_MS << (attempt - 1);
		int64_t wait = reg_retry_wait_ms(h.status, h.retry_after,
						 backoff > UPLOAD_BACKOFF_MAX_MS ? UPLOAD_BACKOFF_MAX_MS
										 : backoff);
		bld_debug("blob %s: %s; uploading again in %lld ms", digest, e->msg,
			  (long long)wait);
		usleep((useconds_t)wait * 1000);
	}
}

int bld_registry_blob_upload(struct bld_registry_client *c, const char *repo,
			     const char *digest, int fd, int64_t size, const char *mount_from,
			     const char **how, struct bld_error **err)
{
	const char *dummy;
	if (!how)
		how = &dummy;
	cleanup_free char *push_scope = reg_scope(repo, "pull,push");
	int r = reg_blob_head(c, repo, digest, push_scope, NULL, err);
	if (r != 0) {
		*how = "exists";
		return r < 0 ? r : 0;
	}
	if (mount_from && strcmp(mount_from, repo) == 0)
		mount_from = NULL;
	cleanup_free char *scope = mount_from
					   ? xasprintf("repository:%s:pull,push repository:%s:pull",
						       repo, mount_from)
					   : xstrdup(push_scope);
	r = upload_retrying(c, repo, scope, digest, fd, size, mount_from, err);
	if (r < 0)
		return r;
	*how = r == 1 ? "mounted" : "pushed";
	return 0;
}

int bld_registry_blob_upload_bytes(struct bld_registry_client *c, const char *repo,
				   const void *data, size_t n, char out[BLD_DIGEST_STR_LEN],
				   struct bld_error **err)
{
	bld_sha256_digest(data, n, out);
	cleanup_close int fd = memfd_create("bld-blob", MFD_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "memfd_create");
	const char *p = data;
	for (size_t left = n; left;) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return bld_error_sys(err, errno, "write blob");
		p += w;
		left -= (size_t)w;
	}
	return bld_registry_blob_upload(c, repo, out, fd, (int64_t)n, NULL, NULL, err);
}
