/*
 * registry/fetch.c — a plain HTTP(S) download for the builder (tarball-URL contexts, ADD of
 * a URL). libcurl lives in registry/, hence here. Redirects are followed, TLS is verified,
 * the body is capped, and an HTTP error status is an error.
 *
 * It knows no registry protocol and no authentication: that is the client's.
 */
#include "registry/registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_setup(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

struct sink {
	int fd;
	size_t max, total;
	int sys_errno;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *payload)
{
	struct sink *s = payload;
	size_t n = size * nmemb;
	if (s->total + n > s->max) {
		s->too_big = true;
		return 0;
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = write(s->fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->sys_errno = errno;
			return 0;
		}
		off += (size_t)w;
	}
	s->total += n;
	return n;
}

static int result(CURL *h, CURLcode rc, const struct sink *s, const char *url,
		  const char *curl_msg, struct bld_error **err)
{
	if (s->too_big)
		return bld_error_set(err, BLD_E_INVALID, "GET %s: larger than %zu bytes", url, s->max);
	if (s->sys_errno)
		return bld_error_sys(err, s->sys_errno, "GET %s: write", url);
	if (rc != CURLE_OK)
		return bld_error_set(err, BLD_E_NETWORK, "GET %s: %s", url,
				     *curl_msg ? curl_msg : curl_easy_strerror(rc));
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400)
		return bld_error_set(err, status == 404 ? BLD_E_NOTFOUND : BLD_E_NETWORK,
				     "GET %s: HTTP status %ld", url, status);
	return 0;
}

int bld_registry_fetch_url(const char *url, int fd, size_t max, int64_t *mtime,
			   struct bld_error **err)
{
	pthread_once(&curl_once, curl_setup);
	CURL *h = curl_easy_init();
	if (!h)
		return bld_error_set(err, BLD_E_INTERNAL, "curl_easy_init failed");
	struct sink s = {.fd = fd, .max = max};
	char msg[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, msg);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "bld");
	CURLcode rc = curl_easy_perform(h);
	int r = result(h, rc, &s, url, msg, err);
	if (r == 0 && mtime) {
		curl_off_t t = -1;
		curl_easy_getinfo(h, CURLINFO_FILETIME_T, &t);
		*mtime = t;
	}
	curl_easy_cleanup(h);
	return r;
}

int bld_registry_fetch_url_tmp(const char *dir, const char *url, size_t max,
			       struct bld_error **err)
{
	cleanup_close int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return bld_error_sys(err, errno, "temporary file in %s", dir);
	if (bld_registry_fetch_url(url, fd, max, NULL, err) < 0)
		return bld_error_wrap(err, "download %s", url);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return bld_error_sys(err, errno, "rewind download");
	return steal_fd(&fd);
}
