/*
 * deploy/path.c — where a value sits in a compose document, as compose-go's tree.Path names
 * it: the keys from the top, "[]" for an item of a sequence. Patterns are dotted with "*"
 * for any one part ("services.*.ports.[].target"). Parts are borrowed from the document,
 * which must outlive the path.
 */
#include "deploy/deploy_int.h"

void bld_deploy_path_enter(struct bld_deploy_path *p, const char *part)
{
	assert(p->n < BLD_ARRAY_SIZE(p->parts));
	p->parts[p->n++] = part;
}

void bld_deploy_path_leave(struct bld_deploy_path *p)
{
	assert(p->n > 0);
	p->n--;
}

bool bld_deploy_path_match(const struct bld_deploy_path *p, const char *pattern)
{
	size_t i = 0;
	for (const char *s = pattern; i < p->n; i++) {
		size_t len = strcspn(s, ".");
		bool any = len == 1 && *s == '*';
		if (!any && (strlen(p->parts[i]) != len || strncmp(p->parts[i], s, len) != 0))
			return false;
		s += len;
		if (!*s)
			return i + 1 == p->n;
		s++;
	}
	return p->n == 0 && !*pattern;
}

char *bld_deploy_path_dotted(const struct bld_deploy_path *p)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			bld_buf_addc(&b, '.');
		bld_buf_adds(&b, p->parts[i]);
	}
	return bld_buf_detach(&b);
}

/* path made absolute against base and cleaned; "-" stays as it is. */
char *bld_deploy_abs_path(const char *base, const char *path)
{
	if (strcmp(path, "-") == 0)
		return xstrdup(path);
	if (path[0] == '/')
		return bld_path_clean(path);
	cleanup_free char *j = bld_path_join(base, path);
	return bld_path_clean(j);
}
