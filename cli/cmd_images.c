/*
 * cli/cmd_images.c — `bld images [-a] [-q] [--digests] [--no-trunc] [--format] [REPO[:TAG]]`:
 * docker's rows, newest first: images are grouped by ID, their names by repository (tags,
 * and digests: digest names and what pulls and pushes recorded, cache/refs.c), and every
 * repository:tag is a row, one per digest of its repository with --digests; a repository
 * known only by digest gives <none> rows; unnamed images show as <none> <none>.
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
	char *repo, *tag, *digest; /* NULL shows "<none>" */
	char id[BLD_DIGEST_STR_LEN];
	int64_t created, size;
	const char *created_str; /* borrowed from its image */
	size_t seq;              /* ties in the sort keep the index order */
};

struct rows {
	struct row *v;
	size_t n;
};

static void add_row(struct rows *rs, const struct bld_registry_image_names *im, const char *repo, size_t rn,
		    const char *tag, const char *digest)
{
	rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
	struct row *r = &rs->v[rs->n];
	memset(r, 0, sizeof(*r));
	r->repo = repo ? xstrndup(repo, rn) : NULL;
	r->tag = tag ? xstrdup(tag) : NULL;
	r->digest = digest ? xstrdup(digest) : NULL;
	memcpy(r->id, im->id, sizeof(r->id));
	r->created = im->created;
	r->size = im->size;
	r->created_str = im->created_str;
	r->seq = rs->n++;
}

/* Whether pair ("repo\tx") belongs to the repository repo[0..rn). */
static bool in_repo(const char *pair, const char *repo, size_t rn)
{
	return strncmp(pair, repo, rn) == 0 && pair[rn] == '\t';
}

/* The rows of one repository's tag: one per digest of the repository with --digests. */
static void tag_rows(struct rows *rs, const struct bld_registry_image_names *im, const char *pair, bool digests)
{
	size_t rn = strcspn(pair, "\t");
	bool any = false;
	for (size_t k = 0; digests && im->digests && im->digests[k]; k++)
		if (in_repo(im->digests[k], pair, rn)) {
			add_row(rs, im, pair, rn, pair + rn + 1, im->digests[k] + rn + 1);
			any = true;
		}
	if (!any)
		add_row(rs, im, pair, rn, pair + rn + 1, NULL);
}

/*
 * docker's rows for an image: for every repository:tag one row (with --digests one per
 * digest of that repository); a repository known only by digests gets <none> rows (one per
 * digest with --digests, else one with an empty digest, as docker); no names, <none> <none>.
 */
static void image_rows(struct rows *rs, const struct bld_registry_image_names *im, bool digests)
{
	if (!im->tags && !im->digests) {
		add_row(rs, im, NULL, 0, NULL, NULL);
		return;
	}
	for (size_t i = 0; im->tags && im->tags[i]; i++)
		tag_rows(rs, im, im->tags[i], digests);
	for (size_t k = 0; im->digests && im->digests[k]; k++) {
		const char *p = im->digests[k];
		size_t rn = strcspn(p, "\t");
		bool tagged = false, earlier = false;
		for (size_t i = 0; im->tags && im->tags[i] && !tagged; i++)
			tagged = in_repo(im->tags[i], p, rn);
		for (size_t j = 0; j < k && !earlier; j++)
			earlier = in_repo(im->digests[j], p, rn);
		if (!tagged && (digests || !earlier))
			add_row(rs, im, p, rn, NULL, digests ? p + rn + 1 : "");
	}
}

static int by_created(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
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
	const char *tmpl = bld_cli_rows_template(
		fmt, "{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}");
	cleanup_json json_t *h = json_object();
	for (size_t i = 0; i < BLD_ARRAY_SIZE(header_names); i++)
		json_object_set_new(h, header_names[i][0], json_string(header_names[i][1]));
	cleanup_free char *header = bld_cli_template(tmpl, h);
	struct bld_cli_rows out;
	bld_cli_rows_begin(&out, fmt, header);
	for (size_t i = 0; i < rs->n; i++) {
		if (!rs->v[i].id[0])
			continue;
		json_t *j = row_json(&rs->v[i], notrunc);
		cleanup_free char *line = bld_cli_template(tmpl, j);
		json_decref(j);
		bld_cli_rows_add(&out, line);
	}
	bld_cli_rows_end(&out);
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
	bld_registry_repo_tag(arg, &repo, &tag, &digest);
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
		const char *eq = strchr(f, '='); /* there is one: bld_cli_filters_check */
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
	struct bld_registry_image_names *is = NULL;
	size_t n = 0;
	int r = bld_registry_images_list(s, &is, &n, err);
	bld_cache_store_free(s);
	struct rows rs = {0};
	for (size_t i = 0; r == 0 && i < n; i++)
		image_rows(&rs, &is[i], bld_cli_bool(a, "digests"));
	if (rs.n > 1) /* qsort of NULL is undefined even for 0 rows */
		qsort(rs.v, rs.n, sizeof(*rs.v), by_created);
	filter_rows(&rs, a->argc ? a->argv[0] : NULL);
	if (r == 0)
		r = bld_cli_filters_check(a, "-f, --filter", err);
	if (r == 0)
		r = apply_filters(&rs, bld_cli_list(a, "filter"), err);
	if (r == 0)
		print_all(&rs, a);
	for (size_t i = 0; i < rs.n; i++) {
		free(rs.v[i].repo);
		free(rs.v[i].tag);
		free(rs.v[i].digest);
	}
	free(rs.v);
	bld_registry_images_free(is, n);
	return r < 0 ? r : 0;
}

const struct bld_cli_cmd bld_cmd_images = {
	.name = "images",
	.usage = "[OPTIONS] [REPOSITORY[:TAG]]",
	.summary = "List images",
	.opts = opts,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"List the images",
		 "bld images"},
		{"Only the IDs of one repository's images",
		 "bld images -q app"},
		{"List the images without a tag",
		 "bld images --filter dangling=true"}),
};
