/*
 * parser/instructions.c — the validation pass: each raw AST node becomes a typed
 * instruction, or an error naming Dockerfile:LINE and the cause, following BuildKit's
 * instructions package (flag sets per instruction, argument counts, stage names, heredoc
 * sources, HEALTHCHECK values, SHELL in JSON form). Stages are cut at each FROM; global
 * ARGs before the first FROM are kept apart. Linking stages is graph.c's job.
 */
#include "parser/parser_int.h"

enum ftype { F_BOOL, F_STRING, F_STRINGS };

struct fspec {
	const char *name;
	enum ftype type;
};

struct fval {
	bool used;
	char *value;   /* F_BOOL: "true"/"false"; F_STRING: the value */
	char **values; /* F_STRINGS */
};

#define MAX_FLAGS 8

static void fvals_dispose(struct fval *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].value);
		bld_strv_free(v[i].values);
	}
}

static int flag_value(const struct fspec *sp, struct fval *v, const char *name,
		      const char *value, struct bld_error **err)
{
	if (v->used && sp->type != F_STRINGS)
		return bld_error_set(err, BLD_E_INVALID, "duplicate flag specified: %s", name);
	v->used = true;
	if (sp->type == F_BOOL) {
		if (value && !*value)
			return bld_error_set(err, BLD_E_INVALID, "missing a value on flag: %s", name);
		cleanup_free char *low = bld_parser_lower(value ? value : "", value ? strlen(value) : 0);
		if (strcmp(low, "true") && strcmp(low, "false") && *low)
			return bld_error_set(err, BLD_E_INVALID,
					     "expecting boolean value for flag %s, not: %s", name, value);
		free(v->value);
		v->value = xstrdup(strcmp(low, "false") ? "true" : "false");
		return 0;
	}
	if (!value)
		return bld_error_set(err, BLD_E_INVALID, "missing a value on flag: %s", name);
	if (sp->type == F_STRING) {
		free(v->value);
		v->value = xstrdup(value);
	} else {
		bld_strv_push(&v->values, value);
	}
	return 0;
}

/* BFlags.Parse: every flag must be one of spec, in its form. */
static int parse_flags(const struct bld_parser_node *n, const struct fspec *spec, size_t nspec,
		       struct fval *vals, struct bld_error **err)
{
	for (size_t i = 0; i < n->nflags; i++) {
		const char *a = n->flags[i].s;
		if (strcmp(a, "--") == 0)
			return 0;
		if (!bld_str_has_prefix(a, "--"))
			return bld_error_set(err, BLD_E_INVALID, "arg should start with -- : %s", a);
		const char *eq = strchr(a, '=');
		cleanup_free char *name = xstrndup(a, eq ? (size_t)(eq - a) : strlen(a));
		size_t k = 0;
		while (k < nspec && strcmp(spec[k].name, name + 2))
			k++;
		if (k == nspec)
			return bld_error_set(err, BLD_E_INVALID, "unknown flag: %s", name);
		if (flag_value(&spec[k], &vals[k], name, eq ? eq + 1 : NULL, err) < 0)
			return -1;
	}
	return 0;
}

static int no_flags(const struct bld_parser_node *n, struct bld_error **err)
{
	return parse_flags(n, NULL, 0, NULL, err);
}

static char **args_strv(const struct bld_parser_node *n)
{
	char **v = xcalloc(n->nargs + 1, sizeof(char *));
	for (size_t i = 0; i < n->nargs; i++)
		v[i] = xstrdup(n->args[i].s);
	return v;
}

/* handleJSONArgs: JSON args as they are, shell form joined by spaces. */
static char **cmdline(const struct bld_parser_node *n, size_t from)
{
	if (n->json || n->nargs <= from + 1) {
		char **v = xcalloc(n->nargs - from + 1, sizeof(char *));
		for (size_t i = from; i < n->nargs; i++)
			v[i - from] = xstrdup(n->args[i].s);
		return v;
	}
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = from; i < n->nargs; i++)
		bld_buf_printf(&b, "%s%s", i > from ? " " : "", n->args[i].s);
	char **v = xcalloc(2, sizeof(char *));
	v[0] = bld_buf_detach(&b);
	return v;
}

static int at_least_one(const char *cmd, struct bld_error **err)
{
	return bld_error_set(err, BLD_E_INVALID, "%s requires at least one argument", cmd);
}

static int exactly_one(const char *cmd, struct bld_error **err)
{
	return bld_error_set(err, BLD_E_INVALID, "%s requires exactly one argument", cmd);
}

static const char *const kind_names[] = {
	"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
	"USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER",
};

const char *bld_parser_kind_name(enum bld_parser_kind k)
{
	return (size_t)k < BLD_ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

static int kvs(struct bld_parser_instruction *in, const struct bld_parser_node *n,
	       const char *cmd, struct bld_error **err)
{
	if (no_flags(n, err) < 0)
		return -1;
	if (n->nargs == 0)
		return at_least_one(cmd, err);
	if (n->nargs % 3)
		return bld_error_set(err, BLD_E_INVALID, "Bad input to %s, too many arguments", cmd);
	in->kvs = xcalloc(n->nargs / 3, sizeof(*in->kvs));
	for (size_t j = 0; j < n->nargs; j += 3) {
		if (n->args[j].len == 0)
			return bld_error_set(err, BLD_E_INVALID, "%s names can not be blank", cmd);
		struct bld_parser_kv *kv = &in->kvs[in->nkvs++];
		kv->key = xstrdup(n->args[j].s);
		kv->value = xstrdup(n->args[j + 1].s);
		kv->has_value = true;
		kv->no_delim = n->args[j + 2].len == 0;
	}
	return 0;
}

static int parse_arg(struct bld_parser_instruction *in, const struct bld_parser_node *n,
		     struct bld_error **err)
{
	if (n->nargs == 0)
		return at_least_one("ARG", err);
	in->kvs = xcalloc(n->nargs, sizeof(*in->kvs));
	for (size_t i = 0; i < n->nargs; i++) {
		const char *a = n->args[i].s, *eq = strchr(a, '=');
		struct bld_parser_kv *kv = &in->kvs[in->nkvs++];
		if (eq == a)
			return bld_error_set(err, BLD_E_INVALID, "ARG names can not be blank");
		kv->key = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
		kv->value = eq ? xstrdup(eq + 1) : NULL;
		kv->has_value = eq != NULL;
	}
	return 0;
}

static bool valid_stage_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("-_.", *s)))
			return false;
	return true;
}

static int parse_from(struct bld_parser_instruction *in, const struct bld_parser_node *n,
		      struct bld_error **err)
{
	static const struct fspec spec[] = {{"platform", F_STRING}};
	struct fval v[1] = {{0}};
	if (n->nargs == 3 && strcasecmp(n->args[1].s, "as") == 0) {
		in->stage_name = bld_parser_lower(n->args[2].s, n->args[2].len);
		if (!valid_stage_name(in->stage_name)) {
			struct bld_buf q = BLD_BUF_INIT;
			bld_parser_quote(&q, n->args[2].s, n->args[2].len);
			bld_error_set(err, BLD_E_INVALID, "invalid name for build stage: %s, name "
				      "can't start with a number or contain symbols", bld_buf_str(&q));
			bld_buf_dispose(&q);
			return -1;
		}
	} else if (n->nargs != 1) {
		return bld_error_set(err, BLD_E_INVALID, "FROM requires either one or three arguments");
	}
	int r = parse_flags(n, spec, 1, v, err);
	if (r == 0) {
		in->base = xstrdup(n->args[0].s);
		in->platform = steal_pointer(&v[0].value);
	}
	fvals_dispose(v, 1);
	return r;
}

static const struct bld_parser_heredoc *heredoc_named(const struct bld_parser_node *n,
						      const char *name)
{
	const struct bld_parser_heredoc *found = NULL;
	for (size_t i = 0; i < n->nheredocs; i++)
		if (strcmp(n->heredocs[i].name, name) == 0)
			found = &n->heredocs[i]; /* the last one wins, as in a Go map */
	return found;
}

static int sources_and_dest(struct bld_parser_instruction *in, const struct bld_parser_node *n,
			    const char *cmd, struct bld_error **err)
{
	struct bld_parser_heredoc h;
	if (bld_parser_heredoc_parse_word(&h, n->args[n->nargs - 1].s, NULL) == 1) {
		bld_parser_heredoc_dispose(&h);
		return bld_error_set(err, BLD_E_INVALID, "%s cannot accept a heredoc as a destination",
				     cmd);
	}
	in->dest = xstrdup(n->args[n->nargs - 1].s);
	in->sources = xcalloc(n->nargs, sizeof(char *));
	in->contents = xcalloc(n->nargs, sizeof(*in->contents));
	size_t k = 0;
	for (size_t i = 0; i + 1 < n->nargs; i++) {
		if (bld_parser_heredoc_parse_word(&h, n->args[i].s, NULL) != 1) {
			in->sources[k++] = xstrdup(n->args[i].s);
			continue;
		}
		const struct bld_parser_heredoc *body = heredoc_named(n, h.name);
		struct bld_parser_source_content *c = &in->contents[in->ncontents++];
		const char *data = body ? body->content.s : "";
		size_t dlen = body ? body->content.len : 0;
		c->data = h.chomp ? bld_parser_heredoc_chomp(data, dlen) : xstrndup(data, dlen);
		c->path = steal_pointer(&h.name);
		c->expand = h.expand;
		bld_parser_heredoc_dispose(&h);
	}
	return 0;
}

static int parse_add_copy(struct bld_parser_instruction *in, const struct bld_parser_node *n,
			  bool add, struct bld_error **err)
{
	static const struct fspec aspec[] = {
		{"chown", F_STRING}, {"chmod", F_STRING}, {"link", F_BOOL}, {"keep-git-dir", F_BOOL},
		{"checksum", F_STRING}, {"unpack", F_BOOL}, {"exclude", F_STRINGS}};
	static const struct fspec cspec[] = {
		{"chown", F_STRING}, {"chmod", F_STRING}, {"link", F_BOOL}, {"from", F_STRING},
		{"exclude", F_STRINGS}, {"parents", F_BOOL}};
	const char *cmd = add ? "ADD" : "COPY";
	const struct fspec *spec = add ? aspec : cspec;
	size_t nspec = add ? BLD_ARRAY_SIZE(aspec) : BLD_ARRAY_SIZE(cspec);
	struct fval v[MAX_FLAGS] = {{0}};
	if (n->nargs < 2)
		return bld_error_set(err, BLD_E_INVALID, "%s requires at least two arguments, but only "
				     "one was provided. Destination could not be determined", cmd);
	int r = parse_flags(n, spec, nspec, v, err);
	if (r == 0)
		r = sources_and_dest(in, n, cmd, err);
	if (r == 0) {
		in->chown = steal_pointer(&v[0].value);
		in->chmod = steal_pointer(&v[1].value);
		in->link = v[2].value && !strcmp(v[2].value, "true");
		in->excludes = steal_pointer(&v[add ? 6 : 4].values);
		in->keep_git_dir = in->unpack = -1;
		if (add) {
			in->keep_git_dir = v[3].used ? !strcmp(v[3].value, "true") : -1;
			in->checksum = steal_pointer(&v[4].value);
			in->unpack = v[5].used ? !strcmp(v[5].value, "true") : -1;
		} else {
			in->from = steal_pointer(&v[3].value);
			in->parents = v[5].value && !strcmp(v[5].value, "true");
		}
	}
	fvals_dispose(v, nspec);
	return r;
}

static int run_mounts(struct bld_parser_instruction *in, char **values, struct bld_error **err)
{
	size_t n = bld_strv_len(values);
	in->mounts = xcalloc(n + 1, sizeof(*in->mounts));
	for (size_t i = 0; i < n; i++) {
		if (bld_parser_mount_parse(&in->mounts[i], values[i], err) < 0)
			return -1;
		in->nmounts++;
	}
	return 0;
}

static int parse_run(struct bld_parser_instruction *in, const struct bld_parser_node *n,
		     struct bld_error **err)
{
	static const struct fspec spec[] = {
		{"mount", F_STRINGS}, {"network", F_STRING}, {"security", F_STRING},
		{"device", F_STRINGS}};
	struct fval v[4] = {{0}};
	int r = parse_flags(n, spec, 4, v, err);
	if (r == 0)
		r = run_mounts(in, v[0].values, err);
	const char *net = v[1].value, *sec = v[2].value;
	if (r == 0 && net && strcmp(net, "default") && strcmp(net, "none") && strcmp(net, "host"))
		r = bld_error_set(err, BLD_E_INVALID, "invalid network mode \"%s\"", net);
	if (r == 0 && sec && strcmp(sec, "sandbox") && strcmp(sec, "insecure"))
		r = bld_error_set(err, BLD_E_INVALID, "security \"%s\" is not valid", sec);
	if (r == 0) {
		in->network = steal_pointer(&v[1].value);
		in->security = steal_pointer(&v[2].value);
		in->devices = steal_pointer(&v[3].values);
		in->args = cmdline(n, 0);
		in->prepend_shell = !n->json;
	}
	fvals_dispose(v, 4);
	return r;
}

static int parse_interval(const char *flag, const char *v, int64_t *out, struct bld_error **err)
{
	*out = 0;
	if (!v || !*v)
		return 0;
	if (bld_parser_duration(v, out) < 0)
		return bld_error_set(err, BLD_E_INVALID, "time: invalid duration \"%s\"", v);
	if (*out != 0 && *out < 1000000)
		return bld_error_set(err, BLD_E_INVALID, "Interval \"%s\" cannot be less than 1ms",
				     flag);
	return 0;
}

static int health_values(struct bld_parser_instruction *in, struct fval *v,
			 struct bld_error **err)
{
	if (parse_interval("interval", v[0].value, &in->interval_ns, err) < 0 ||
	    parse_interval("timeout", v[1].value, &in->timeout_ns, err) < 0 ||
	    parse_interval("start-period", v[2].value, &in->start_period_ns, err) < 0 ||
	    parse_interval("start-interval", v[3].value, &in->start_interval_ns, err) < 0)
		return -1;
	if (v[4].value && *v[4].value) {
		long retries;
		if (bld_parse_long(v[4].value, INT32_MIN, INT32_MAX, &retries) < 0)
			return bld_error_set(err, BLD_E_INVALID, "strconv.ParseInt: parsing \"%s\": "
					     "invalid syntax", v[4].value);
		if (retries < 0)
			return bld_error_set(err, BLD_E_INVALID, "--retries cannot be negative (%ld)",
					     retries);
		in->retries = (int)retries;
	}
	return 0;
}

static int parse_health(struct bld_parser_instruction *in, const struct bld_parser_node *n,
			struct bld_error **err)
{
	static const struct fspec spec[] = {
		{"interval", F_STRING}, {"timeout", F_STRING}, {"start-period", F_STRING},
		{"start-interval", F_STRING}, {"retries", F_STRING}};
	struct fval v[5] = {{0}};
	if (n->nargs == 0)
		return at_least_one("HEALTHCHECK", err);
	if (strcasecmp(n->args[0].s, "NONE") == 0) {
		if (n->nargs > 1)
			return bld_error_set(err, BLD_E_INVALID, "HEALTHCHECK NONE takes no arguments");
		in->health_none = true;
		bld_strv_push(&in->health_test, "NONE");
		return 0;
	}
	int r = parse_flags(n, spec, 5, v, err);
	if (r == 0 && strcasecmp(n->args[0].s, "CMD") != 0) {
		cleanup_free char *up = xstrdup(n->args[0].s);
		for (char *p = up; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		r = bld_error_set(err, BLD_E_INVALID, "Unknown type \"%s\" in HEALTHCHECK (try CMD)",
				  up);
	}
	if (r == 0 && n->nargs < 2)
		r = bld_error_set(err, BLD_E_INVALID, "Missing command after HEALTHCHECK CMD");
	if (r == 0) {
		char **cmd = cmdline(n, 1);
		bld_strv_push(&in->health_test, n->json ? "CMD" : "CMD-SHELL");
		for (char **c = cmd; *c; c++)
			bld_strv_push(&in->health_test, *c);
		bld_strv_free(cmd);
		r = health_values(in, v, err);
	}
	fvals_dispose(v, 5);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int parse_list(struct bld_parser_instruction *in, const struct bld_parser_node *n,
		      const char *cmd, struct bld_error **err)
{
	if (n->nargs == 0)
		return at_least_one(cmd, err);
	if (no_flags(n, err) < 0)
		return -1;
	in->args = args_strv(n);
	if (in->kind == BLD_PARSER_EXPOSE) {
		qsort(in->args, n->nargs, sizeof(char *), cmp_str);
		return 0;
	}
	for (size_t i = 0; i < n->nargs; i++) { /* VOLUME */
		char *v = in->args[i];
		size_t skip = strlen(v) - bld_parser_ltrim(v, strlen(v));
		size_t keep = bld_parser_rtrim(v + skip, strlen(v) - skip);
		memmove(v, v + skip, keep);
		v[keep] = '\0';
		if (!*v)
			return bld_error_set(err, BLD_E_INVALID,
					     "VOLUME specified can not be an empty string");
	}
	return 0;
}

static int parse_one(struct bld_parser_instruction *in, const struct bld_parser_node *n,
		     const char *cmd, bool flags, struct bld_error **err)
{
	if (n->nargs != 1)
		return exactly_one(cmd, err);
	if (flags && no_flags(n, err) < 0)
		return -1;
	in->args = args_strv(n);
	return 0;
}

static int parse_shell_form(struct bld_parser_instruction *in, const struct bld_parser_node *n,
			    struct bld_error **err)
{
	if (no_flags(n, err) < 0)
		return -1;
	in->args = cmdline(n, 0);
	in->prepend_shell = !n->json;
	if (in->kind != BLD_PARSER_SHELL)
		return 0;
	if (n->nargs == 0)
		return at_least_one("SHELL", err);
	if (!n->json)
		return bld_error_set(err, BLD_E_INVALID, "SHELL requires the arguments to be in JSON form");
	return 0;
}

/* `(?i)^\s*ONBUILD\s*` removed from the original line, heredocs appended */
static char *onbuild_expression(const struct bld_parser_node *n)
{
	const char *s = n->original.s;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\f' || *s == '\r')
		s++;
	if (strncasecmp(s, "onbuild", 7) == 0)
		s += 7;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\f' || *s == '\r')
		s++;
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_adds(&b, s);
	for (size_t i = 0; i < n->nheredocs; i++)
		bld_buf_printf(&b, "\n%s%s", n->heredocs[i].content.s, n->heredocs[i].name);
	return bld_buf_detach(&b);
}

static int parse_onbuild(struct bld_parser_instruction *in, const struct bld_parser_node *n,
			 struct bld_error **err)
{
	if (!n->sub)
		return at_least_one("ONBUILD", err);
	if (no_flags(n, err) < 0)
		return -1;
	const char *t = n->sub->cmd;
	if (strcmp(t, "onbuild") == 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	if (strcmp(t, "maintainer") == 0 || strcmp(t, "from") == 0)
		return bld_error_set(err, BLD_E_INVALID, "%s isn't allowed as an ONBUILD trigger",
				     strcmp(t, "from") ? "MAINTAINER" : "FROM");
	in->args = xcalloc(2, sizeof(char *));
	in->args[0] = onbuild_expression(n);
	return 0;
}

static int kind_of(const char *cmd, enum bld_parser_kind *k)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(kind_names); i++) {
		if (strcasecmp(kind_names[i], cmd) == 0) {
			*k = (enum bld_parser_kind)i;
			return 0;
		}
	}
	return -1;
}

static int dispatch(struct bld_parser_instruction *in, const struct bld_parser_node *n,
		    struct bld_error **err)
{
	switch (in->kind) {
	case BLD_PARSER_FROM: return parse_from(in, n, err);
	case BLD_PARSER_RUN: return parse_run(in, n, err);
	case BLD_PARSER_CMD:
	case BLD_PARSER_ENTRYPOINT:
	case BLD_PARSER_SHELL: return parse_shell_form(in, n, err);
	case BLD_PARSER_LABEL: return kvs(in, n, "LABEL", err);
	case BLD_PARSER_ENV: return kvs(in, n, "ENV", err);
	case BLD_PARSER_EXPOSE: return parse_list(in, n, "EXPOSE", err);
	case BLD_PARSER_VOLUME: return parse_list(in, n, "VOLUME", err);
	case BLD_PARSER_ADD: return parse_add_copy(in, n, true, err);
	case BLD_PARSER_COPY: return parse_add_copy(in, n, false, err);
	case BLD_PARSER_USER: return parse_one(in, n, "USER", true, err);
	case BLD_PARSER_WORKDIR: return parse_one(in, n, "WORKDIR", true, err);
	case BLD_PARSER_MAINTAINER: return parse_one(in, n, "MAINTAINER", true, err);
	case BLD_PARSER_STOPSIGNAL: return parse_one(in, n, "STOPSIGNAL", false, err);
	case BLD_PARSER_ARG: return parse_arg(in, n, err);
	case BLD_PARSER_ONBUILD: return parse_onbuild(in, n, err);
	case BLD_PARSER_HEALTHCHECK: return parse_health(in, n, err);
	}
	return bld_error_set(err, BLD_E_INTERNAL, "unhandled instruction");
}

static void fill_empty(struct bld_parser_instruction *in)
{
	if (!in->args)
		in->args = xcalloc(1, sizeof(char *));
	if (!in->sources)
		in->sources = xcalloc(1, sizeof(char *));
	if (!in->excludes)
		in->excludes = xcalloc(1, sizeof(char *));
	if (!in->devices)
		in->devices = xcalloc(1, sizeof(char *));
	if (!in->health_test)
		in->health_test = xcalloc(1, sizeof(char *));
}

int bld_parser_instruction_parse(struct bld_parser_instruction *out,
				 const struct bld_parser_node *node, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	out->node = node;
	out->start_line = node->start_line;
	out->end_line = node->end_line;
	out->keep_git_dir = out->unpack = -1;
	int r;
	if (kind_of(node->cmd, &out->kind) < 0 || strlen(node->keyword.s) != node->keyword.len)
		r = bld_error_set(err, BLD_E_INVALID, "unknown instruction: %s", node->keyword.s);
	else
		r = dispatch(out, node, err);
	fill_empty(out);
	return r;
}

void bld_parser_instruction_dispose(struct bld_parser_instruction *in)
{
	bld_strv_free(in->args);
	for (size_t i = 0; i < in->nkvs; i++) {
		free(in->kvs[i].key);
		free(in->kvs[i].value);
	}
	free(in->kvs);
	free(in->base);
	free(in->stage_name);
	free(in->platform);
	bld_strv_free(in->sources);
	for (size_t i = 0; i < in->ncontents; i++) {
		free(in->contents[i].path);
		free(in->contents[i].data);
	}
	free(in->contents);
	free(in->dest);
	free(in->from);
	free(in->chown);
	free(in->chmod);
	free(in->checksum);
	bld_strv_free(in->excludes);
	for (size_t i = 0; i < in->nmounts; i++)
		bld_parser_mount_dispose(&in->mounts[i]);
	free(in->mounts);
	free(in->network);
	free(in->security);
	bld_strv_free(in->devices);
	bld_strv_free(in->health_test);
	memset(in, 0, sizeof(*in));
}

void bld_parser_dockerfile_free(struct bld_parser_dockerfile *df)
{
	if (!df)
		return;
	for (size_t i = 0; i < df->nins; i++)
		bld_parser_instruction_dispose(&df->ins[i]);
	free(df->ins);
	for (size_t i = 0; i < df->nstages; i++) {
		struct bld_parser_stage *st = &df->stages[i];
		free(st->base);
		free(st->platform);
		free(st->deps);
		bld_strv_free(st->images);
	}
	free(df->stages);
	bld_strv_free(df->meta_env);
	free(df->name_index);
	free(df->replaced);
	bld_parser_ast_free(df->ast);
	free(df);
}

/* Cuts the instructions into stages at each FROM; only ARG may come before the first. */
static int cut_stages(struct bld_parser_dockerfile *df, struct bld_error **err)
{
	df->stages = xcalloc(df->nins + 1, sizeof(*df->stages));
	for (size_t i = 0; i < df->nins; i++) {
		struct bld_parser_instruction *in = &df->ins[i];
		if (in->kind == BLD_PARSER_FROM && df->nstages >= BLD_PARSER_MAX_STAGES)
			return bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: more than %d stages",
					     in->start_line, BLD_PARSER_MAX_STAGES);
		if (in->kind == BLD_PARSER_FROM) {
			struct bld_parser_stage *st = &df->stages[df->nstages];
			st->index = df->nstages++;
			st->name = in->stage_name;
			st->from = in;
			st->first = i + 1;
			st->base_stage = -1;
			continue;
		}
		if (df->nstages) {
			df->stages[df->nstages - 1].count++;
			continue;
		}
		if (in->kind == BLD_PARSER_ARG) {
			df->nmeta++;
			continue;
		}
		bld_error_set(err, BLD_E_INVALID, "no build stage in current context: %s before "
			      "the first FROM", bld_parser_kind_name(in->kind));
		return bld_error_wrap(err, "Dockerfile:%d", in->start_line);
	}
	if (df->nstages == 0)
		return bld_error_set(err, BLD_E_INVALID, "Dockerfile:%d: missing FROM: dockerfile "
				     "contains no stages to build",
				     df->nins ? df->ins[df->nins - 1].start_line : 1);
	return 0;
}

int bld_parser_dockerfile_new(struct bld_parser_dockerfile **out, const char *data, size_t len,
			      struct bld_error **err)
{
	struct bld_parser_dockerfile *df = xcalloc(1, sizeof(*df));
	*out = NULL;
	df->target = -1;
	int r = bld_parser_parse(&df->ast, data, len, err);
	if (r == 0)
		df->ins = xcalloc(df->ast->n + 1, sizeof(*df->ins));
	for (size_t i = 0; r == 0 && i < df->ast->n; i++) {
		r = bld_parser_instruction_parse(&df->ins[i], &df->ast->nodes[i], err);
		df->nins++;
		if (r < 0)
			bld_error_wrap(err, "Dockerfile:%d", df->ast->nodes[i].start_line);
	}
	if (r == 0)
		r = cut_stages(df, err);
	if (r < 0) {
		bld_parser_dockerfile_free(df);
		return r;
	}
	*out = df;
	return 0;
}
