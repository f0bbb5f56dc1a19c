/*
 * runner/user.c — resolves a Dockerfile/`-u` USER ("name", "uid", "name:group", "uid:gid")
 * against an image's /etc/passwd and /etc/group text, the way Docker does: a name must exist,
 * a number need not; supplementary groups are the groups that list the user, and only when
 * no group was given explicitly.
 *
 * Pure text in, numbers out: it reads no files (the sandbox reads them inside the new root).
 */
#include "runner/runner_int.h"

#include <errno.h>

#define FIELD_MAX 8

/* Splits one line into at most FIELD_MAX ':'-separated fields, in place. */
static size_t split_fields(char *line, char **f)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < FIELD_MAX; p++)
		if (*p == ':') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static bool is_number(const char *s, long *out)
{
	return s && *s && bld_parse_long(s, 0, 0x7fffffff, out) == 0;
}

/*
 * Calls match(fields) for each line of text with at least min_fields fields; stops at the
 * first match returning true. Works on a copy so the caller's text is untouched.
 */
typedef bool (*line_fn)(char **f, size_t n, void *payload);
static void each_line(const char *text, size_t min_fields, line_fn fn, void *payload)
{
	if (!text)
		return;
	cleanup_free char *copy = xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[FIELD_MAX];
		if (line[0] == '#')
			continue;
		size_t n = split_fields(line, f);
		if (n >= min_fields && fn(f, n, payload))
			return;
	}
}

struct pw_query {
	const char *name; /* or NULL */
	long uid;
	bool found;
	char pw_name[128];
	long p_uid, p_gid;
	char home[256];
};

static bool pw_match(char **f, size_t n, void *payload)
{
	struct pw_query *q = payload;
	long uid, gid;
	if (!is_number(f[2], &uid) || !is_number(f[3], &gid))
		return false;
	if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
		return false;
	q->found = true;
	snprintf(q->pw_name, sizeof(q->pw_name), "%s", f[0]);
	q->p_uid = uid;
	q->p_gid = gid;
	snprintf(q->home, sizeof(q->home), "%s", n > 5 && f[5][0] ? f[5] : "/");
	return true;
}

struct gr_query {
	const char *name; /* explicit group by name, or NULL */
	const char *member; /* collect groups listing this user */
	bool found;
	long gid;
	struct bld_runner_user *u;
};

static bool gr_match(char **f, size_t n, void *payload)
{
	struct gr_query *q = payload;
	long gid;
	if (!is_number(f[2], &gid))
		return false;
	if (q->name) {
		if (strcmp(f[0], q->name) != 0)
			return false;
		q->found = true;
		q->gid = gid;
		return true;
	}
	char *save = NULL;
	for (char *m = strtok_r(n > 3 ? f[3] : (char *)"", ",", &save); m;
	     m = strtok_r(NULL, ",", &save))
		if (strcmp(m, q->member) == 0 && q->u->n_groups < BLD_ARRAY_SIZE(q->u->groups)) {
			q->u->groups[q->u->n_groups++] = (gid_t)gid;
			break;
		}
	return false;
}

static int resolve_user_part(struct bld_runner_user *out, struct pw_query *q, const char *u,
			     const char *passwd, struct bld_error **err)
{
	long num;
	if (is_number(u, &num)) {
		q->uid = num;
		each_line(passwd, 4, pw_match, q);
		out->uid = (uid_t)num;
		out->gid = q->found ? (gid_t)q->p_gid : 0;
		snprintf(out->home, sizeof(out->home), "%s", q->found ? q->home : "/");
		return 0;
	}
	q->name = u;
	each_line(passwd, 4, pw_match, q);
	if (!q->found)
		return bld_error_set(err, BLD_E_NOTFOUND,
				     "unable to find user %s: no matching entries in passwd file",
				     u);
	out->uid = (uid_t)q->p_uid;
	out->gid = (gid_t)q->p_gid;
	snprintf(out->home, sizeof(out->home), "%s", q->home);
	return 0;
}

/* The primary group leads the supplementary list, as runc sets it. */
static void add_primary(struct bld_runner_user *u)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == u->gid)
			return;
	if (u->n_groups == BLD_ARRAY_SIZE(u->groups))
		u->n_groups--;
	memmove(u->groups + 1, u->groups, u->n_groups * sizeof(u->groups[0]));
	u->groups[0] = u->gid;
	u->n_groups++;
}

static int resolve(struct bld_runner_user *out, const char *spec, const char *passwd,
		   const char *group, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->home, sizeof(out->home), "/root");
	/* no USER is uid 0, as docker runs it: an image without /etc/passwd (FROM scratch) works */
	if (!spec || !*spec)
		spec = "0";
	cleanup_free char *copy = xstrdup(spec);
	char *g = strchr(copy, ':');
	if (g)
		*g++ = 0;
	struct pw_query q = {.name = NULL};
	if (resolve_user_part(out, &q, copy[0] ? copy : "0", passwd, err) < 0)
		return -1;
	long num;
	if (g && is_number(g, &num)) {
		out->gid = (gid_t)num;
	} else if (g && *g) {
		struct gr_query gq = {.name = g, .u = out};
		each_line(group, 3, gr_match, &gq);
		if (!gq.found)
			return bld_error_set(err, BLD_E_NOTFOUND,
					     "unable to find group %s: no matching entries in group file",
					     g);
		out->gid = (gid_t)gq.gid;
	} else if (q.found) {
		struct gr_query gq = {.member = q.pw_name, .u = out};
		each_line(group, 3, gr_match, &gq);
	}
	return 0;
}

int bld_runner_user_resolve(struct bld_runner_user *out, const char *spec, const char *passwd,
			    const char *group, struct bld_error **err)
{
	if (resolve(out, spec, passwd, group, err) < 0)
		return -1;
	add_primary(out);
	return 0;
}

/* BuildKit's executor: no user at all means 0:0 with no groups; the primary group is not
 * added to the supplementary ones (runc then sets exactly the groups listing the user). */
int bld_runner_user_resolve_step(struct bld_runner_user *out, const char *spec,
				 const char *passwd, const char *group, struct bld_error **err)
{
	if (resolve(out, spec, passwd, group, err) < 0)
		return -1;
	if (!spec || !*spec)
		out->n_groups = 0;
	return 0;
}

int bld_runner_user_add_groups(struct bld_runner_user *u, char *const *groups,
			       const char *group, struct bld_error **err)
{
	for (size_t i = 0; groups && groups[i]; i++) {
		long gid;
		if (!is_number(groups[i], &gid)) {
			struct gr_query gq = {.name = groups[i], .u = u};
			each_line(group, 3, gr_match, &gq);
			if (!gq.found)
				return bld_error_set(err, BLD_E_NOTFOUND,
						     "Unable to find group %s: no matching entries in "
						     "group file",
						     groups[i]);
			gid = gq.gid;
		}
		bool have = false;
		for (size_t k = 0; k < u->n_groups; k++)
			have = have || u->groups[k] == (gid_t)gid;
		if (!have && u->n_groups < BLD_ARRAY_SIZE(u->groups))
			u->groups[u->n_groups++] = (gid_t)gid;
	}
	return 0;
}
