/*
 * registry/reference.c — image references as docker reads them (distribution/reference's
 * grammar and its Docker Hub normalisation): splitting the domain from the path, "library/"
 * for single-component Docker Hub names, the default tag, validation of every part, and the
 * fully qualified and familiar spellings.
 *
 * It does not talk to any registry and does not resolve short names through search lists:
 * a short name always means docker.io, as it does for docker.
 */
#include "registry/registry_int.h"

#include <ctype.h>

#define NAME_TOTAL_MAX 255
#define TAG_MAX 128

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool valid_component(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_lower_alnum(s[j]))
			j++;
		size_t len = j - i;
		bool dashes = strspn(s + i, "-") >= len;
		bool ok = (len == 1 && (s[i] == '.' || s[i] == '_')) ||
			  (len == 2 && s[i] == '_' && s[i + 1] == '_') || dashes;
		if (!ok)
			return false;
		i = j;
	}
	return true;
}

static bool valid_path(const char *s, size_t n)
{
	size_t i = 0;
	while (i <= n) {
		const char *slash = memchr(s + i, '/', n - i);
		size_t end = slash ? (size_t)(slash - s) : n;
		if (!valid_component(s + i, end - i))
			return false;
		i = end + 1;
	}
	return true;
}

/* domain-name-component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool valid_host_label(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool valid_host(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '[') {
		if (s[n - 1] != ']' || n == 2)
			return false;
		for (size_t i = 1; i < n - 1; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
				return false;
		return true;
	}
	size_t i = 0;
	while (i <= n) {
		const char *dot = memchr(s + i, '.', n - i);
		size_t end = dot ? (size_t)(dot - s) : n;
		if (!valid_host_label(s + i, end - i))
			return false;
		i = end + 1;
	}
	return true;
}

/* domain: host [":" port] */
static bool valid_domain(const char *s)
{
	size_t n = strlen(s);
	const char *close = memrchr(s, ']', n);
	const char *colon = memrchr(s, ':', n);
	if (colon && close && colon < close)
		colon = NULL; /* the colons of an IPv6 address */
	if (!colon)
		return valid_host(s, n);
	const char *port = colon + 1;
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port))
		return false;
	return valid_host(s, (size_t)(colon - s));
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TAG_MAX || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	return true;
}

static bool all_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

static bool valid_digest(const char *d)
{
	if (bld_str_has_prefix(d, "sha256:"))
		return strlen(d) == 7 + 64 && all_lower_hex(d + 7, 64);
	if (bld_str_has_prefix(d, "sha512:"))
		return strlen(d) == 7 + 128 && all_lower_hex(d + 7, 128);
	return false;
}

/* docker's splitDockerDomain: the first component is a domain when it looks like one. */
static void split_domain(const char *name, char **domain, char **rest)
{
	const char *slash = strchr(name, '/');
	bool is_domain = false;
	if (slash) {
		size_t n = (size_t)(slash - name);
		bool has_upper = false;
		for (size_t i = 0; i < n; i++)
			has_upper |= isupper((unsigned char)name[i]) != 0;
		is_domain = memchr(name, '.', n) || memchr(name, ':', n) ||
			    (n == 9 && strncmp(name, "localhost", 9) == 0) || has_upper;
	}
	if (!is_domain) {
		*domain = xstrdup("docker.io");
		*rest = xstrdup(name);
	} else {
		*domain = xstrndup(name, (size_t)(slash - name));
		*rest = xstrdup(slash + 1);
	}
	if (strcmp(*domain, "index.docker.io") == 0) {
		free(*domain);
		*domain = xstrdup("docker.io");
	}
	if (strcmp(*domain, "docker.io") == 0 && !strchr(*rest, '/')) {
		char *r = xasprintf("library/%s", *rest);
		free(*rest);
		*rest = r;
	}
}

/* Splits "path[:tag][@digest]" in place; the pointers point into rest. */
static void split_tag_digest(char *rest, char **tag, char **digest)
{
	*tag = *digest = NULL;
	char *at = strchr(rest, '@');
	if (at) {
		*at = '\0';
		*digest = at + 1;
	}
	char *colon = strchr(rest, ':');
	if (colon) {
		*colon = '\0';
		*tag = colon + 1;
	}
}

static bool has_upper(const char *s)
{
	for (; *s; s++)
		if (isupper((unsigned char)*s))
			return true;
	return false;
}

static int check_parts(const char *s, const char *domain, const char *path, const char *tag,
		       const char *digest, struct bld_error **err)
{
	if (has_upper(path))
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid reference format: repository name (%s) must be "
				     "lowercase",
				     path);
	if (!valid_domain(domain) || !valid_path(path, strlen(path)))
		return bld_error_set(err, BLD_E_INVALID, "invalid reference format: %s", s);
	if (strlen(domain) + 1 + strlen(path) > NAME_TOTAL_MAX)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid reference format: repository name must not be "
				     "more than %d characters",
				     NAME_TOTAL_MAX);
	if (tag && !valid_tag(tag))
		return bld_error_set(err, BLD_E_INVALID, "invalid reference format: %s", s);
	if (digest && !valid_digest(digest))
		return bld_error_set(err, BLD_E_INVALID, "invalid reference format: %s", s);
	return 0;
}

int bld_registry_ref_parse(struct bld_registry_ref *out, const char *s, struct bld_error **err)
{
	return bld_registry_ref_parse_flags(out, s, 0, err);
}

int bld_registry_ref_parse_flags(struct bld_registry_ref *out, const char *s, unsigned flags,
				 struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	size_t n = strnlen(s, BLD_REGISTRY_REF_MAX + 1);
	if (n == 0 || n > BLD_REGISTRY_REF_MAX)
		return bld_error_set(err, BLD_E_INVALID, "invalid reference format");
	if (n == 64 && all_lower_hex(s, 64))
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid repository name (%s), cannot specify 64-byte "
				     "hexadecimal strings",
				     s);
	cleanup_free char *domain = NULL;
	cleanup_free char *rest = NULL;
	split_domain(s, &domain, &rest);
	char *tag, *digest;
	split_tag_digest(rest, &tag, &digest);
	if (check_parts(s, domain, rest, tag, digest, err) < 0)
		return -BLD_E_INVALID;
	out->domain = steal_pointer(&domain);
	out->path = xstrdup(rest);
	bool dflt = !tag && !digest && !(flags & BLD_REGISTRY_REF_NO_DEFAULT_TAG);
	out->tag = tag ? xstrdup(tag) : (dflt ? xstrdup("latest") : NULL);
	out->digest = digest ? xstrdup(digest) : NULL;
	return 0;
}

void bld_registry_ref_dispose(struct bld_registry_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

void bld_registry_ref_copy(struct bld_registry_ref *out, const struct bld_registry_ref *r)
{
	out->domain = xstrdup(r->domain);
	out->path = xstrdup(r->path);
	out->tag = r->tag ? xstrdup(r->tag) : NULL;
	out->digest = r->digest ? xstrdup(r->digest) : NULL;
}

static char *with_suffix(char *name, const struct bld_registry_ref *r)
{
	char *s = xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
			    r->digest ? "@" : "", r->digest ? r->digest : "");
	free(name);
	return s;
}

char *bld_registry_ref_name(const struct bld_registry_ref *r)
{
	return xasprintf("%s/%s", r->domain, r->path);
}

char *bld_registry_ref_familiar_name(const struct bld_registry_ref *r)
{
	if (strcmp(r->domain, "docker.io") != 0)
		return bld_registry_ref_name(r);
	const char *p = r->path;
	if (bld_str_has_prefix(p, "library/") && !strchr(p + 8, '/'))
		p += 8;
	return xstrdup(p);
}

char *bld_registry_ref_string(const struct bld_registry_ref *r)
{
	return with_suffix(bld_registry_ref_name(r), r);
}

char *bld_registry_ref_familiar(const struct bld_registry_ref *r)
{
	return with_suffix(bld_registry_ref_familiar_name(r), r);
}

const char *bld_registry_api_host(const char *domain)
{
	if (strcmp(domain, "docker.io") == 0 || strcmp(domain, "index.docker.io") == 0)
		return "registry-1.docker.io";
	return domain;
}

const char *bld_registry_auth_key(const char *domain)
{
	if (strcmp(domain, "docker.io") == 0 || strcmp(domain, "index.docker.io") == 0 ||
	    strcmp(domain, "registry-1.docker.io") == 0)
		return "https://index.docker.io/v1/";
	return domain;
}

char *bld_registry_server_domain(const char *server)
{
	const char *s = server;
	if (bld_str_has_prefix(s, "https://"))
		s += 8;
	else if (bld_str_has_prefix(s, "http://"))
		s += 7;
	size_t n = strcspn(s, "/");
	char *d = xstrndup(s, n);
	if (strcmp(d, "index.docker.io") == 0 || strcmp(d, "registry-1.docker.io") == 0) {
		free(d);
		d = xstrdup("docker.io");
	}
	return d;
}

bool bld_registry_domain_is_local(const char *domain)
{
	cleanup_free char *host = NULL;
	if (domain[0] == '[') {
		const char *close = strchr(domain, ']');
		host = close ? xstrndup(domain + 1, (size_t)(close - domain - 1)) : xstrdup("");
		return strcmp(host, "::1") == 0;
	}
	host = xstrndup(domain, strcspn(domain, ":"));
	if (strcmp(host, "localhost") == 0)
		return true;
	if (!bld_str_has_prefix(host, "127."))
		return false;
	/* 127.0.0.0/8: four numbers, each at most 255 */
	int parts = 0;
	for (char *p = host; *p; parts++) {
		size_t len = strspn(p, "0123456789");
		if (len == 0 || len > 3 || strtol(p, NULL, 10) > 255)
			return false;
		p += len;
		if (*p == '.')
			p++;
		else if (*p)
			return false;
	}
	return parts == 4;
}

void reg_image_event(struct bld_store *s, const struct bld_registry_ref *ref, const char *action)
{
	cleanup_free char *id = bld_registry_ref_familiar(ref);
	cleanup_free char *name = bld_registry_ref_familiar_name(ref);
	cleanup_free char *attr = xasprintf("name=%s", name);
	char *attrs[] = {attr, NULL};
	bld_cache_event_append(bld_cache_store_root(s), "image", action, id, attrs, NULL);
}
