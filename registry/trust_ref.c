/*
 * registry/trust_ref.c — the docker-reference normaliser the trust policy compares
 * identities with: a signature's critical.identity.docker-reference and a policy's
 * dockerReference / dockerRepository / prefixes are expanded the way distribution/reference
 * does ("busybox" -> "docker.io/library/busybox", "index.docker.io" -> "docker.io").
 *
 * It only splits and expands; it is not the registry client's reference parser and does
 * not decide where an image is pulled from.
 */
#include "registry/trust_int.h"

#include <ctype.h>

#define REF_MAX 4096

/* Whether the first path component names a registry host rather than a namespace. */
static bool is_domain(const char *comp, size_t n)
{
	if (n == 9 && strncmp(comp, "localhost", 9) == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (comp[i] == '.' || comp[i] == ':' || isupper((unsigned char)comp[i]))
			return true;
	return false;
}

/* Repository path characters as distribution allows them (lower case, separators). */
static bool path_ok(const char *p)
{
	if (!*p || *p == '/' || bld_str_has_suffix(p, "/") || strstr(p, "//"))
		return false;
	for (; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    !strchr("._-/", *p))
			return false;
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (; *t; t++)
		if (!isalnum((unsigned char)*t) && !strchr("._-", *t))
			return false;
	return true;
}

/* Splits "name[:tag]" (the digest already cut off) into out->name and out->tag. */
static int split_name(struct trust_ref *out, char *s, struct bld_error **err)
{
	char *slash = strrchr(s, '/');
	char *colon = strrchr(slash ? slash : s, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_ok(colon + 1))
			return bld_error_set(err, BLD_E_INVALID, "invalid tag in reference");
		out->tag = xstrdup(colon + 1);
	}
	slash = strchr(s, '/');
	const char *domain = "docker.io", *path = s;
	cleanup_free char *dom = NULL;
	if (slash && is_domain(s, (size_t)(slash - s))) {
		dom = xstrndup(s, (size_t)(slash - s));
		domain = strcmp(dom, "index.docker.io") == 0 ? "docker.io" : dom;
		path = slash + 1;
	}
	if (!path_ok(path))
		return bld_error_set(err, BLD_E_INVALID, "invalid repository name in reference");
	bool library = strcmp(domain, "docker.io") == 0 && !strchr(path, '/');
	out->name = xasprintf("%s/%s%s", domain, library ? "library/" : "", path);
	return 0;
}

int trust_ref_parse(struct trust_ref *out, const char *s, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s || strlen(s) > REF_MAX)
		return bld_error_set(err, BLD_E_INVALID, "invalid reference format");
	cleanup_free char *copy = xstrdup(s);
	char *at = strchr(copy, '@');
	if (at) {
		*at = '\0';
		if (!bld_digest_valid(at + 1))
			return bld_error_set(err, BLD_E_INVALID, "invalid digest in reference %s",
					     s);
		out->digest = xstrdup(at + 1);
	}
	if (split_name(out, copy, err) < 0) {
		trust_ref_dispose(out);
		return bld_error_wrap(err, "%s", s);
	}
	return 0;
}

void trust_ref_dispose(struct trust_ref *r)
{
	free(r->name);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}
