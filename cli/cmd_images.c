/*
 * cli/cmd_images.c — `bld images [-a] [-q] [--digests] [--no-trunc] [--format] [REPO[:TAG]]`:
 * one row per repository and tag, newest first, as docker prints them. Digest references
 * (name@sha256:...) fold into the tagged row of the same image, or make a <none> row;
 * unnamed images show as <none> <none>.
 */
#include "cli/image_util.h"

#include <fnmatch.h>
#include <jansson.h>
#include <time.h>

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Show all images (default hides intermediate images)", NULL},
	{"digests", 0, BLD_OPT_BOOL, NULL, "Show digests", NULL},
	{"filter", 'f', BLD_OPT_LIST, "filter", "Filter output based on conditions provided", NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Format output using a custom template", NULL},
	{"no-trunc", 0, BLD_OPT_BOOL, NULL, "Don't truncate output", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL, "Only show image IDs", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

struct row {
	char *repo, *tag, *digest;
	char id[BLD_DIGEST_STR_LEN];
	char entry[BLD_DIGEST_STR_LEN];
	int64_t created, size;
	char *created_str;
};

struct rows {
	struct row *v;
	size_t n;
};

static struct row *add_row(struct rows *rs)
{
	rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
	memset(&rs->v[rs->n], 0, sizeof(struct row));
	return &rs->v[rs->n++];
}

/* A digest reference joins a row of the same repository and image that has no digest yet
 * (or already shows this one: the digest the tag's pull or push recorded). */
static bool fold_digest(struct rows *rs, const char *repo, const char *digest, const char *entry)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct row *r = &rs->v[i];
		if (r->repo && strcmp(r->repo, repo) == 0 && strcmp(r->entry, entry) == 0 &&
		    (!r->digest || strcmp(r->digest, digest) == 0)) {
			if (!r->digest)
				r->digest = xstrdup(digest);
			return true;
		}
	}
	return false;
}

static void add_entry(struct bld_store *s, struct rows *rs, const struct bld_cache_desc *d)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (bld_cache_image_load_digest(s, d->digest, &img, &e) < 0) {
		bld_warn("image %s: %s", d->name ? d->name : d->digest, e->msg);
		bld_error_free(e);
		return;
	}
	char *repo = NULL, *tag = NULL, *digest = NULL;
	if (d->name)
		bld_cli_repo_tag(d->name, &repo, &tag, &digest);
	if (repo && tag && !digest && d->repo_digest[0])
		digest = xstrdup(d->repo_digest); /* what pull or push recorded for the tag */
	if (repo && digest && !tag && fold_digest(rs, repo, digest, d->digest)) {
		free(repo);
		free(digest);
		bld_cache_image_free(img);
		return;
	}
	struct row *r = add_row(rs);
	r->repo = repo;
	r->tag = tag;
	r->digest = digest;
	memcpy(r->id, img->id, sizeof(r->id));
	memcpy(r->entry, d->digest, sizeof(r->entry));
	const char *c = bld_json_get_str(img->config, "created");
	r->created_str = xstrdup(c ? c : "");
	r->created = bld_cli_parse_time(c);
	r->size = bld_cache_image_size(s, img);
	bld_cache_image_free(img);
}

/* docker shows a repository's digest on every tag of the image in that repository. */
static void share_digests(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct row *t = &rs->v[i];
		for (size_t j = 0; t->repo && t->tag && !t->digest && j < rs->n; j++) {
			const struct row *r = &rs->v[j];
			if (r->id[0] && r->digest && r->repo && !strcmp(t->repo, r->repo) &&
			    !strcmp(t->entry, r->entry))
				t->digest = xstrdup(r->digest);
		}
	}
}

/* Later digest references may fold into rows made after them: a second pass. */
static void refold(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct row *r = &rs->v[i];
		if (r->tag || !r->digest || !r->repo)
			continue;
		for (size_t j = 0; j < rs->n; j++) {
			struct row *t = &rs->v[j];
			if (j != i && t->tag && t->repo && !strcmp(t->repo, r->repo) &&
			    !strcmp(t->entry, r->entry) &&
			    (!t->digest || !strcmp(t->digest, r->digest))) {
				free(t->digest);
				t->digest = steal_pointer(&r->digest);
				free(r->repo);
				r->repo = NULL;
				r->id[0] = '\0'; /* dropped */
				break;
			}
		}
	}
}

static int by_created(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
}

static json_t *row_json(const struct row *r, bool notrunc)
{
	char id[13], size[32], at[64] = "";
	bld_cli_short_id(r->id, id);
	bld_cli_size(size, sizeof(size), r->size);
	time_t t = (time_t)r->created;
	struct tm tm;
	if (r->created >= 0 && gmtime_r(&t, &tm))
		strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	cleanup_free char *since = bld_cli_since(r->created_str);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers",
			 "N/A", "CreatedAt", at, "CreatedSince", since, "Digest",
			 r->digest ? r->digest : "<none>", "ID", notrunc ? r->id : id, "Repository",
			 r->repo ? r->repo : "<none>", "SharedSize", "N/A", "Size", size, "Tag",
			 r->tag ? r->tag : "<none>", "UniqueSize", "N/A", "VirtualSize", size);
}

static const char *const header_names[][2] = {
	{"Repository", "REPOSITORY"}, {"Tag", "TAG"},       {"Digest", "DIGEST"},
	{"ID", "IMAGE ID"},           {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"},
	{"Size", "SIZE"},             {"Containers", "CONTAINERS"}, {"VirtualSize", "VIRTUAL SIZE"},
	{"SharedSize", "SHARED SIZE"}, {"UniqueSize", "UNIQUE SIZE"},
};

static void print_rows(const struct rows *rs, const char *fmt, bool notrunc)
{
	bool table = !fmt || bld_str_has_prefix(fmt, "table");
	const char *tmpl = fmt ? (table ? fmt + 5 + strspn(fmt + 5, " ") : fmt) : NULL;
	if (!tmpl || !*tmpl)
		tmpl = "{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
	struct bld_cli_table t;
	size_t ncols = 1;
	for (const char *p = tmpl; (p = strstr(p, "\\t")); p += 2)
		ncols++;
	bld_cli_table_init(&t, ncols);
	if (table) {
		json_t *h = json_object();
		for (size_t i = 0; i < BLD_ARRAY_SIZE(header_names); i++)
			json_object_set_new(h, header_names[i][0], json_string(header_names[i][1]));
		cleanup_free char *line = bld_cli_template(tmpl, h);
		bld_cli_table_add_tabbed(&t, line);
		json_decref(h);
	}
	for (size_t i = 0; i < rs->n; i++) {
		if (!rs->v[i].id[0])
			continue;
		json_t *j = row_json(&rs->v[i], notrunc);
		cleanup_free char *line = bld_cli_template(tmpl, j);
		json_decref(j);
		if (table)
			bld_cli_table_add_tabbed(&t, line);
		else
			printf("%s\n", line);
	}
	if (table)
		bld_cli_table_print(stdout, &t);
	bld_cli_table_dispose(&t);
}

static bool row_matches(const struct row *r, const char *repo, const char *tag)
{
	if (!repo)
		return true;
	if (!r->repo || strcmp(r->repo, repo) != 0)
		return false;
	return !tag || (r->tag && strcmp(r->tag, tag) == 0);
}

static void filter_rows(struct rows *rs, const char *arg)
{
	if (!arg)
		return;
	char *repo = NULL, *tag = NULL, *digest = NULL;
	bld_cli_repo_tag(arg, &repo, &tag, &digest);
	const char *slash = strrchr(arg, '/');
	bool has_tag = strchr(slash ? slash : arg, ':') != NULL;
	for (size_t i = 0; i < rs->n; i++)
		if (!row_matches(&rs->v[i], repo, has_tag ? tag : NULL))
			rs->v[i].id[0] = '\0';
	free(repo);
	free(tag);
	free(digest);
}

/* --filter dangling=true|false and reference=PATTERN (docker's most used ones). */
static int apply_filters(struct rows *rs, char *const *filters, struct bld_error **err)
{
	for (size_t k = 0; filters && filters[k]; k++) {
		const char *f = filters[k];
		const char *eq = strchr(f, '=');
		if (!eq)
			return bld_error_set(err, BLD_E_INVALID, "bad format of filter (expected name=value)");
		bool dangling = bld_str_has_prefix(f, "dangling=");
		bool ref = bld_str_has_prefix(f, "reference=");
		if (!dangling && !ref)
			return bld_error_set(err, BLD_E_INVALID, "invalid filter '%.*s'", (int)(eq - f), f);
		bool want = strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0;
		for (size_t i = 0; i < rs->n; i++) {
			struct row *r = &rs->v[i];
			cleanup_free char *rt = xasprintf("%s:%s", r->repo ? r->repo : "<none>",
							  r->tag ? r->tag : "<none>");
			bool keep = dangling ? (!r->repo == want)
					     : r->repo && (fnmatch(eq + 1, rt, 0) == 0 ||
							   fnmatch(eq + 1, r->repo, 0) == 0);
			if (!keep)
				r->id[0] = '\0';
		}
	}
	return 0;
}

static void print_quiet(const struct rows *rs, bool notrunc)
{
	char **seen = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *r = &rs->v[i];
		bool dup = false;
		for (size_t k = 0; seen && seen[k] && !dup; k++)
			dup = strcmp(seen[k], r->id) == 0;
		if (!r->id[0] || dup)
			continue;
		bld_strv_push(&seen, r->id);
		char id[13];
		bld_cli_short_id(r->id, id);
		printf("%s\n", notrunc ? r->id : id);
	}
	bld_strv_free(seen);
}

static void print_all(const struct rows *rs, const struct bld_cli_args *a)
{
	bool notrunc = bld_cli_bool(a, "no-trunc");
	const char *fmt = bld_cli_str(a, "format");
	if (bld_cli_bool(a, "quiet"))
		print_quiet(rs, notrunc);
	else if (!fmt && bld_cli_bool(a, "digests"))
		print_rows(rs, "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t"
			       "{{.CreatedSince}}\\t{{.Size}}", notrunc);
	else
		print_rows(rs, fmt, notrunc);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	struct rows rs = {0};
	for (size_t i = 0; r == 0 && i < n; i++)
		add_entry(s, &rs, &v[i]);
	bld_cache_desc_list_free(v, n);
	bld_cache_store_free(s);
	if (r < 0)
		return r;
	refold(&rs);
	share_digests(&rs);
	qsort(rs.v, rs.n, sizeof(*rs.v), by_created);
	filter_rows(&rs, a->argc ? a->argv[0] : NULL);
	r = apply_filters(&rs, bld_cli_list(a, "filter"), err);
	if (r == 0)
		print_all(&rs, a);
	for (size_t i = 0; i < rs.n; i++) {
		free(rs.v[i].repo);
		free(rs.v[i].tag);
		free(rs.v[i].digest);
		free(rs.v[i].created_str);
	}
	free(rs.v);
	return r < 0 ? r : 0;
}

const struct bld_cli_cmd bld_cmd_images = {
	.name = "images",
	.usage = "[OPTIONS] [REPOSITORY[:TAG]]",
	.summary = "List images",
	.opts = opts,
	.max_args = 1,
	.run = run,
};
