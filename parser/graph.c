/*
 * parser/graph.c — the instruction graph: global ARGs (with build-arg overrides) expanded
 * into FROM lines, stages found by name (lower-cased, as BuildKit) and index, edges for
 * FROM <earlier stage>, COPY --from=<stage|index> and RUN --mount=from=<stage>, the target
 * and which stages it needs. A --from or mount source that names no stage is an image, as
 * in BuildKit; a stage a named build context replaces has no edges. Cycles, unknown targets
 * and out-of-range indices are errors. Expansion is shell.c's; resolving images and running
 * anything is the builder's.
 */
#include "parser/parser_int.h"

#if defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__powerpc64__)
#define HOST_ARCH "ppc64le"
#elif defined(__riscv)
#define HOST_ARCH "riscv64"
#else
#define HOST_ARCH "amd64"
#endif

/* KEY=VALUE set or replaced in a vector (the last KEY wins for the shell anyway). */
static void env_set(char ***env, const char *key, const char *value)
{
	size_t klen = strlen(key);
	for (char **e = *env; e && *e; e++) {
		if (strncmp(*e, key, klen) == 0 && (*e)[klen] == '=') {
			free(*e);
			*e = xasprintf("%s=%s", key, value);
			return;
		}
	}
	char *kv = xasprintf("%s=%s", key, value);
	bld_strv_push(env, kv);
	free(kv);
}

static const char *build_arg(char *const *args, const char *key)
{
	size_t klen = strlen(key);
	for (char *const *a = args; a && *a; a++)
		if (strncmp(*a, key, klen) == 0 && (*a)[klen] == '=')
			return *a + klen + 1;
	return NULL;
}

static int meta_args(struct bld_parser_dockerfile *df, char *const *build_args,
		     struct bld_error **err)
{
	static const char *const builtin[][2] = {
		{"TARGETPLATFORM", "linux/" HOST_ARCH}, {"TARGETOS", "linux"},
		{"TARGETARCH", HOST_ARCH}, {"TARGETVARIANT", ""},
		{"BUILDPLATFORM", "linux/" HOST_ARCH}, {"BUILDOS", "linux"},
		{"BUILDARCH", HOST_ARCH}, {"BUILDVARIANT", ""},
	};
	bld_strv_free(df->meta_env);
	df->meta_env = NULL;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(builtin); i++)
		env_set(&df->meta_env, builtin[i][0], builtin[i][1]);
	for (size_t i = 0; i < df->nmeta; i++) {
		const struct bld_parser_instruction *in = &df->ins[i];
		for (size_t k = 0; k < in->nkvs; k++) {
			const struct bld_parser_kv *kv = &in->kvs[k];
			const char *given = build_arg(build_args, kv->key);
			cleanup_free char *v = NULL;
			if (given)
				v = xstrdup(given);
			else if (kv->has_value &&
				 bld_parser_shell_word(&v, kv->value, df->ast->escape, df->meta_env,
						       err) < 0)
				return bld_error_wrap(err, "Dockerfile:%d", in->start_line);
			if (v)
				env_set(&df->meta_env, kv->key, v);
		}
	}
	return 0;
}

static int expand_from(struct bld_parser_dockerfile *df, struct bld_parser_stage *st,
		       struct bld_error **err)
{
	const struct bld_parser_instruction *from = st->from;
	free(st->base);
	free(st->platform);
	st->base = st->platform = NULL;
	if (bld_parser_shell_word(&st->base, from->base, df->ast->escape, df->meta_env, err) < 0)
		return bld_error_wrap(err, "Dockerfile:%d", from->start_line);
	if (!*st->base)
		return bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: base name (%s) should not "
				     "be blank", from->start_line, from->base);
	if (!from->platform)
		return 0;
	if (bld_parser_shell_word(&st->platform, from->platform, df->ast->escape, df->meta_env,
				  err) < 0)
		return bld_error_wrap(err, "Dockerfile:%d: failed to process arguments for platform",
				      from->start_line);
	if (!*st->platform)
		return bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: empty platform value from "
				     "expression %s", from->start_line, from->platform);
	return 0;
}

/* Named stages sorted by (name, index): lookups are a binary search, the last one wins. */
struct name_idx {
	const char *name;
	size_t idx;
};

struct name_index {
	size_t n;
	struct name_idx v[]; /* sorted */
};

static int cmp_name_idx(const void *a, const void *b)
{
	const struct name_idx *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static void build_name_index(struct bld_parser_dockerfile *df)
{
	struct name_index *ix = xcalloc(1, sizeof(*ix) + (df->nstages + 1) * sizeof(ix->v[0]));
	for (size_t i = 0; i < df->nstages; i++)
		if (df->stages[i].name)
			ix->v[ix->n++] = (struct name_idx){df->stages[i].name, i};
	qsort(ix->v, ix->n, sizeof(ix->v[0]), cmp_name_idx);
	free(df->name_index);
	df->name_index = ix;
}

/* findStateByName: the last stage called name (case-insensitive), or -1. */
static long stage_by_name(const struct bld_parser_dockerfile *df, const char *name)
{
	const struct name_index *ix = df->name_index;
	const struct name_idx *v = ix->v;
	cleanup_free char *low = bld_parser_lower(name, strlen(name));
	size_t lo = 0, hi = ix->n;
	while (lo < hi) { /* first entry whose name is greater than low */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid].name, low) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && strcmp(v[lo - 1].name, low) == 0 ? (long)v[lo - 1].idx : -1;
}

static void add_dep(struct bld_parser_stage *st, size_t dep)
{
	for (size_t i = 0; i < st->ndeps; i++)
		if (st->deps[i] == dep)
			return;
	st->deps = xrealloc(st->deps, (st->ndeps + 1) * sizeof(*st->deps));
	st->deps[st->ndeps++] = dep;
}

/* Distinct images one stage may name; keeps the de-duplication below bounded. */
#define MAX_STAGE_IMAGES 4096

static int add_image(struct bld_parser_stage *st, const char *name, int line,
		     struct bld_error **err)
{
	size_t n = 0;
	for (char **i = st->images; i && *i; i++, n++)
		if (strcmp(*i, name) == 0)
			return 0;
	if (n >= MAX_STAGE_IMAGES)
		return bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: more than %d images in one "
				     "stage", line, MAX_STAGE_IMAGES);
	bld_strv_push(&st->images, name);
	return 0;
}

/* strconv.Atoi: optional sign, then decimal digits only */
static bool atoi_go(const char *s, long *out)
{
	const char *p = s + (*s == '+' || *s == '-');
	if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 18)
		return false;
	*out = strtol(s, NULL, 10);
	return true;
}

static int copy_from(struct bld_parser_dockerfile *df, struct bld_parser_stage *st,
		     const struct bld_parser_instruction *in, struct bld_error **err)
{
	long idx;
	if (strchr(in->from, '$')) {
		cleanup_free char *x = NULL;
		int r = bld_parser_shell_word(&x, in->from, df->ast->escape, NULL, err);
		if (r < 0 || strcmp(x, in->from) != 0) {
			if (r == 0)
				bld_error_set(err, BLD_E_INVALID, "variable expansion is not supported "
					      "for --from, define a new stage with FROM using ARG "
					      "from global scope as a workaround");
			return bld_error_wrap(err, "Dockerfile:%d", in->start_line);
		}
	}
	if (atoi_go(in->from, &idx)) {
		if (idx < 0 || (size_t)idx >= df->nstages)
			return bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: invalid stage index "
					     "%ld", in->start_line, idx);
		add_dep(st, (size_t)idx);
		return 0;
	}
	idx = stage_by_name(df, in->from);
	if (idx >= 0) {
		add_dep(st, (size_t)idx);
		return 0;
	}
	return add_image(st, in->from, in->start_line, err);
}

static int mount_from(struct bld_parser_dockerfile *df, struct bld_parser_stage *st,
		      const struct bld_parser_instruction *in, struct bld_error **err)
{
	for (size_t m = 0; m < in->nmounts; m++) {
		const char *from = in->mounts[m].from;
		if (!from || !*from)
			continue;
		long idx = stage_by_name(df, from);
		if (idx >= 0)
			add_dep(st, (size_t)idx);
		else if (add_image(st, from, in->start_line, err) < 0)
			return -1;
	}
	return 0;
}

/* One ONBUILD trigger of the base stage, run in st: its --from and mount sources count. */
static int trigger_edges(struct bld_parser_dockerfile *df, struct bld_parser_stage *st,
			 const char *expr, struct bld_error **err)
{
	struct bld_parser_ast *ast = NULL;
	struct bld_parser_instruction in;
	int r = bld_parser_parse(&ast, expr, strlen(expr), err);
	if (r == 0 && ast->n != 1)
		r = bld_error_set(err, BLD_E_INVALID, "onbuild trigger should be a single expression");
	if (r == 0) {
		r = bld_parser_instruction_parse(&in, &ast->nodes[0], err);
		if (r == 0 && in.kind == BLD_PARSER_COPY && in.from && *in.from)
			r = copy_from(df, st, &in, err);
		if (r == 0 && in.kind == BLD_PARSER_RUN)
			r = mount_from(df, st, &in, err);
		bld_parser_instruction_dispose(&in);
	}
	bld_parser_ast_free(ast);
	if (r < 0)
		bld_error_wrap(err, "Dockerfile:%d: ONBUILD trigger of stage %zu",
			       st->from->start_line, (size_t)st->base_stage);
	return r;
}

static int base_triggers(struct bld_parser_dockerfile *df, struct bld_parser_stage *st,
			 struct bld_error **err)
{
	const struct bld_parser_stage *base = &df->stages[st->base_stage];
	for (size_t k = 0; k < base->count; k++) {
		const struct bld_parser_instruction *in = &df->ins[base->first + k];
		if (in->kind == BLD_PARSER_ONBUILD && trigger_edges(df, st, in->args[0], err) < 0)
			return -1;
	}
	return 0;
}

static int stage_edges(struct bld_parser_dockerfile *df, size_t i, struct bld_error **err)
{
	struct bld_parser_stage *st = &df->stages[i];
	if (expand_from(df, st, err) < 0)
		return -1;
	st->base_stage = -1;
	st->replaced = df->replaced && df->replaced[i];
	if (st->replaced) /* a named context: neither its base nor its instructions are read */
		return 0;
	/* FROM <stage> only sees earlier stages, and compares case-sensitively (addState) */
	for (size_t j = 0; j < i; j++)
		if (df->stages[j].name && strcmp(df->stages[j].name, st->base) == 0)
			st->base_stage = (long)j;
	if (st->base_stage >= 0) {
		add_dep(st, (size_t)st->base_stage);
		if (base_triggers(df, st, err) < 0)
			return -1;
	}
	for (size_t k = 0; k < st->count; k++) {
		const struct bld_parser_instruction *in = &df->ins[st->first + k];
		if (in->kind == BLD_PARSER_COPY && in->from && *in->from &&
		    copy_from(df, st, in, err) < 0)
			return -1;
		if (in->kind == BLD_PARSER_RUN && mount_from(df, st, in, err) < 0)
			return -1;
	}
	return 0;
}

static const char *stage_label(const struct bld_parser_stage *st, char *buf, size_t n)
{
	if (st->name)
		return st->name;
	snprintf(buf, n, "stage-%zu", st->index);
	return buf;
}

/* Depth-first search; state 1 = on the path, 2 = done. */
static int visit(struct bld_parser_dockerfile *df, size_t i, unsigned char *state,
		 struct bld_error **err)
{
	if (state[i] == 2)
		return 0;
	if (state[i] == 1) {
		char buf[32];
		return bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: circular dependency "
				     "detected on stage: %s", df->stages[i].from->start_line,
				     stage_label(&df->stages[i], buf, sizeof(buf)));
	}
	state[i] = 1;
	for (size_t k = 0; k < df->stages[i].ndeps; k++)
		if (visit(df, df->stages[i].deps[k], state, err) < 0)
			return -1;
	state[i] = 2;
	return 0;
}

static void mark_needed(struct bld_parser_dockerfile *df, size_t i)
{
	if (df->stages[i].needed)
		return;
	df->stages[i].needed = true;
	for (size_t k = 0; k < df->stages[i].ndeps; k++)
		mark_needed(df, df->stages[i].deps[k]);
}

int bld_parser_graph_build(struct bld_parser_dockerfile *df, const char *target,
			   char *const *build_args, struct bld_error **err)
{
	if (meta_args(df, build_args, err) < 0)
		return -1;
	build_name_index(df);
	for (size_t i = 0; i < df->nstages; i++) {
		struct bld_parser_stage *st = &df->stages[i];
		free(st->deps);
		st->deps = NULL;
		st->ndeps = 0;
		bld_strv_free(st->images);
		st->images = xcalloc(1, sizeof(char *));
		st->needed = false;
		if (stage_edges(df, i, err) < 0)
			return -1;
	}
	cleanup_free unsigned char *state = xcalloc(df->nstages, 1);
	for (size_t i = 0; i < df->nstages; i++)
		if (visit(df, i, state, err) < 0)
			return -1;
	df->target = (long)df->nstages - 1;
	if (target && *target) {
		df->target = stage_by_name(df, target);
		if (df->target < 0)
			return bld_error_set(err, BLD_E_NOTFOUND, "target stage \"%s\" could not be "
					     "found", target);
	}
	mark_needed(df, (size_t)df->target);
	return 0;
}

int bld_parser_graph_dump(struct bld_buf *out, const struct bld_parser_dockerfile *df)
{
	char buf[32], buf2[32];
	int r = 0;
	if (df->target >= 0)
		r |= bld_buf_printf(out, "target: %s (stage %ld)\n",
				    stage_label(&df->stages[df->target], buf, sizeof(buf)),
				    df->target);
	for (size_t i = 0; i < df->nstages; i++) {
		const struct bld_parser_stage *st = &df->stages[i];
		r |= bld_buf_printf(out, "stage %zu %s (line %d)%s\n", i,
				    stage_label(st, buf, sizeof(buf)), st->from->start_line,
				    st->needed ? " needed" : "");
		if (st->replaced)
			r |= bld_buf_printf(out, "  replaced by a named context\n");
		else if (st->base_stage >= 0)
			r |= bld_buf_printf(out, "  base: stage %ld %s\n", st->base_stage,
					    stage_label(&df->stages[st->base_stage], buf2,
							sizeof(buf2)));
		else
			r |= bld_buf_printf(out, "  base: image %s\n", st->base ? st->base : "?");
		if (st->platform)
			r |= bld_buf_printf(out, "  platform: %s\n", st->platform);
		for (size_t k = 0; k < st->ndeps; k++)
			r |= bld_buf_printf(out, "  needs: stage %zu %s\n", st->deps[k],
					    stage_label(&df->stages[st->deps[k]], buf2, sizeof(buf2)));
		for (char **im = st->images; im && *im; im++)
			r |= bld_buf_printf(out, "  uses image: %s\n", *im);
	}
	return r ? -1 : 0;
}
