/*
 * builder/stage.c — one stage, from its FROM to its last instruction, the way BuildKit's
 * dockerfile frontend dispatches it: variables expanded with the parser's shell-word rules
 * where Docker expands them, metadata instructions applied to the config in memory, and
 * RUN/COPY/ADD/WORKDIR as cached steps: each gets a key (parent key, expanded instruction,
 * ARGs in scope, and for COPY/ADD the fingerprints of exactly what it copies), a hit reuses
 * the recorded layer and config ("CACHED"), a miss runs the step and records its result.
 * Build args follow BuildKit's dispatch state: ARG and ENV write one environment (the later
 * wins), a stage built FROM another starts with its build args, and history and progress
 * names are worded as BuildKit words them.
 *
 * A stage a named build context replaces runs nothing: it is the context (named.c), and so
 * is a FROM, --from or mount from= that names such a context rather than a stage.
 *
 * It does not run processes (run.c), copy files (copy.c) nor load base images and mount
 * overlays (workspace.c).
 */
#include "builder/builder_int.h"

#include <ctype.h>
#include <errno.h>

#define RECORD_V 1

/* ------------------------------------------------------------------ small helpers */

/* v's "K=V" (or "K") entries set in *env, replacing what was there. */
static void strv_set_all(char ***env, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++) {
		cleanup_free char *k = xstrndup(v[i], strcspn(v[i], "="));
		bld_strv_env_set(env, k, v[i] + strlen(k) + (v[i][strlen(k)] == '=' ? 1 : 0));
	}
}

/*
 * The stage's environment as BuildKit's LLB state holds it: the config's Env with the ARG
 * values set over it. Both ENV and ARG write to that one list, so the later of the two wins
 * (ENV then ARG of the same name: the ARG's value, for RUN and expansion, while the config
 * keeps the ENV's).
 */
char **bld_builder_stage_env(struct bld_builder_stage *st)
{
	char **env = bld_builder_img_env(st->img);
	strv_set_all(&env, st->arg_env);
	return env;
}

static int expand(struct bld_builder_job *b, struct bld_builder_stage *st, const char *word,
		  char **out, struct bld_error **err)
{
	cleanup_strv char **env = bld_builder_stage_env(st);
	return bld_parser_shell_word(out, word, b->escape, env, err);
}

static const char *step_name(struct bld_builder_job *b, struct bld_builder_stage *st, char *buf,
			     size_t n)
{
	if (b->n_stages > 1 && st->name)
		snprintf(buf, n, "[%s %d/%d]", st->name, st->vertex, st->nvertices);
	else if (b->n_stages > 1)
		snprintf(buf, n, "[stage-%d %d/%d]", st->index, st->vertex, st->nvertices);
	else
		snprintf(buf, n, "[%d/%d]", st->vertex, st->nvertices);
	return buf;
}

static char *now_str(struct bld_builder_job *b)
{
	return bld_builder_img_time(b->epoch >= 0 ? b->epoch : (int64_t)time(NULL));
}

/*
 * When a metadata step happened: with the step before it (or now, first in an image), so
 * that a rebuild from the cache gives the same image ID, as BuildKit's does.
 */
static char *meta_time(struct bld_builder_job *b, struct bld_builder_stage *st)
{
	const char *last = bld_builder_img_last_created(st->img);
	return last && b->epoch < 0 ? xstrdup(last) : now_str(b);
}

/* ------------------------------------------------------------------ layers */

/* ------------------------------------------------------------------ cache records */

static json_t *layer_json(const struct bld_cache_layer *l)
{
	return json_pack("{s:s, s:s, s:I, s:s}", "digest", l->digest, "diff_id", l->diff_id,
			 "size", (json_int_t)l->size, "media_type", l->media_type);
}

static bool layer_from_json(json_t *j, struct bld_cache_layer *l)
{
	const char *d = bld_json_get_str(j, "digest"), *id = bld_json_get_str(j, "diff_id");
	const char *mt = bld_json_get_str(j, "media_type");
	if (!d || !id || !mt || !bld_digest_valid(d) || !bld_digest_valid(id) ||
	    strlen(mt) >= sizeof(l->media_type))
		return false;
	memset(l, 0, sizeof(*l));
	memcpy(l->digest, d, BLD_DIGEST_STR_LEN);
	memcpy(l->diff_id, id, BLD_DIGEST_STR_LEN);
	memcpy(l->media_type, mt, strlen(mt) + 1);
	l->size = json_integer_value(json_object_get(j, "size"));
	return true;
}

/* Applies the record under key if there is a usable one: 1 hit, 0 miss. */
static int cache_apply(struct bld_builder_job *b, struct bld_builder_stage *st, const char *key,
		       struct bld_error **err)
{
	if (st->no_cache)
		return 0;
	cleanup_free char *data = NULL;
	struct bld_error *e = NULL;
	if (bld_cache_build_record_get(b->store, key, &data, &e) < 0) {
		bld_error_free(e);
		return 0;
	}
	json_t *rec = NULL;
	if (bld_json_load_buf(&rec, data, strlen(data), &e) < 0) {
		bld_error_free(e);
		return 0;
	}
	json_t *cfg = json_object_get(rec, "config"), *lj = json_object_get(rec, "layer");
	struct bld_cache_layer l;
	bool has_layer = json_is_object(lj);
	bool ok = json_is_object(cfg) && (!has_layer || (layer_from_json(lj, &l) &&
							 bld_cache_blob_exists(b->store, l.digest)));
	int r = 0;
	if (ok && has_layer)
		r = bld_builder_stage_push_layer(b, st, &l, err);
	if (ok && r == 0) {
		json_decref(st->img);
		st->img = json_deep_copy(cfg);
		bld_builder_regcache_note(b, key, data);
		r = 1;
	}
	json_decref(rec);
	return r;
}

static int cache_record(struct bld_builder_job *b, struct bld_builder_stage *st, const char *key,
			const struct bld_cache_layer *l, struct bld_error **err)
{
	json_t *rec = json_pack("{s:i, s:O, s:o, s:[]}", "v", RECORD_V, "config", st->img,
				"layer", l ? layer_json(l) : json_null(), "blobs");
	if (l)
		json_array_append_new(json_object_get(rec, "blobs"), json_string(l->digest));
	cleanup_free char *s = bld_json_dump_canonical(rec);
	json_decref(rec);
	bld_builder_regcache_note(b, key, s);
	return bld_cache_build_record_put(b->store, key, s, err);
}

/* ------------------------------------------------------------------ FROM */

/* A stage's state taken over from src (an earlier stage, or a named context). */
static void take_state(struct bld_builder_stage *st, const struct bld_builder_stage *src)
{
	st->img = json_deep_copy(src->img);
	st->layers = xmalloc((src->n_layers + 1) * sizeof(*st->layers));
	memcpy(st->layers, src->layers, src->n_layers * sizeof(*st->layers));
	st->n_layers = src->n_layers;
	st->n_base = src->n_base;
	st->lowers = bld_strv_dup(src->lowers);
	memcpy(st->chain, src->chain, sizeof(st->chain));
	/* BuildKit's derived stage starts from its base's state: build args included */
	st->args = bld_strv_dup(src->args);
	st->arg_env = bld_strv_dup(src->arg_env);
}

/*
 * The base: scratch, an earlier stage, a named context of that name (BuildKit looks scratch
 * up first), or an image (pulled when missing or with --pull).
 */
static int from_base(struct bld_builder_job *b, struct bld_builder_stage *st, const char *base,
		     int v, struct bld_xxh *h, struct bld_error **err)
{
	struct bld_builder_stage *src =
	    st->ps->base_stage >= 0 ? &b->stages[st->ps->base_stage] : NULL;
	bld_xxh_update_str(h, "FROM");
	if (!src && strcasecmp(base, "scratch") == 0) {
		st->img = bld_builder_img_empty("linux", "amd64");
		bld_xxh_update_str(h, "scratch");
		bld_builder_explain_note(st, "base image scratch", json_string("scratch"));
		return 0;
	}
	struct bld_builder_named *n = src ? NULL : bld_builder_named_find(b, base);
	if (n && bld_builder_named_load(b, n, err) < 0)
		return -1;
	if (n)
		src = &n->st;
	if (!src)
		return bld_builder_stage_from_image(b, st, base, v, h, err);
	take_state(st, src);
	bld_xxh_update_str(h, src->key);
	cleanup_free char *label = xasprintf("base stage %s", base);
	bld_builder_explain_note(st, label, json_string(src->key));
	return 0;
}

static int do_from(struct bld_builder_job *b, struct bld_builder_stage *st, struct bld_error **err)
{
	const char *base = st->ps->base;
	st->vertex = 1;
	char sn[64];
	int v =
	    bld_builder_progress_vertex(b, "%s FROM %s", step_name(b, st, sn, sizeof(sn)), base);
	int64_t t0 = bld_mono_ns();
	struct bld_xxh *h = bld_xxh_new();
	int r = from_base(b, st, base, v, h, err);
	char epoch[32];
	snprintf(epoch, sizeof(epoch), "%lld", (long long)b->epoch);
	bld_xxh_update_str(h, epoch);
	bld_xxh_final(h, st->key);
	if (r < 0)
		return -1;
	bld_builder_explain_note(st, "SOURCE_DATE_EPOCH", json_string(epoch));
	bld_builder_progress_done(b, v, t0);
	return 0;
}

/* ------------------------------------------------------------------ metadata */

/* ENV and LABEL: (key, value, separator) triples, expanded with the variables as they were
 * before the instruction (`ENV a=1 b=$a` gives b the old a, as docker does). */
static int do_pairs(struct bld_builder_job *b, struct bld_builder_stage *st,
		    const struct bld_parser_instruction *in, bool env, struct bld_buf *hist,
		    struct bld_error **err)
{
	cleanup_strv char **vars = bld_builder_stage_env(st);
	for (size_t i = 0; i < in->nkvs; i++) {
		cleanup_free char *k = NULL, *v = NULL;
		if (bld_parser_shell_word(&k, in->kvs[i].key, b->escape, vars, err) < 0 ||
		    bld_parser_shell_word(&v, in->kvs[i].value, b->escape, vars, err) < 0)
			return -1;
		if (env) {
			bld_builder_img_env_set(st->img, k, v);
			bld_strv_env_set(&st->arg_env, k, NULL); /* ENV after ARG wins */
		} else
			bld_builder_img_label(st->img, k, v);
		bld_buf_printf(hist, " %s=%s", k, v);
	}
	return 0;
}

/*
 * ARG as BuildKit's dispatchArg: the value is --build-arg's, else the default expanded with
 * the stage's environment as it is then (earlier names of the same ARG included), else the
 * global ARG's (or predefined platform ARG's) when there is no default. A value goes into
 * the environment over ENV; a declaration without any leaves the environment as it was.
 * History: "ARG K=V" with the value decided.
 */
static int do_arg(struct bld_builder_job *b, struct bld_builder_stage *st,
		  const struct bld_parser_instruction *in, struct bld_buf *hist,
		  struct bld_error **err)
{
	for (size_t i = 0; i < in->nkvs; i++) {
		const char *name = in->kvs[i].key;
		cleanup_free char *def = NULL;
		const char *val = bld_strv_env_get(b->build_args, name);
		if (!val && in->kvs[i].has_value && expand(b, st, in->kvs[i].value, &def, err) < 0)
			return -1;
		if (!val)
			val = in->kvs[i].has_value ? def : bld_strv_env_get(b->meta_args, name);
		cleanup_free char *kv = val ? xasprintf("%s=%s", name, val) : xstrdup(name);
		bld_strv_push(&st->args, kv);
		if (val)
			bld_strv_env_set(&st->arg_env, name, val);
		bld_buf_printf(hist, " %s", kv);
	}
	return 0;
}

static int do_cmdlike(struct bld_builder_job *b, struct bld_builder_stage *st,
		      const struct bld_parser_instruction *in, const char *key,
		      struct bld_error **err)
{
	cleanup_strv char **v = NULL;
	if (!in->prepend_shell) {
		v = bld_strv_dup(in->args);
	} else if (in->args[0]) {
		cleanup_strv char **sh = bld_builder_img_get_strv(st->img, "Shell");
		if (!sh) {
			bld_strv_push(&sh, "/bin/sh");
			bld_strv_push(&sh, "-c");
		}
		v = bld_strv_dup(sh);
		bld_strv_push(&v, in->args[0]);
	}
	if (!v)
		v = xcalloc(1, sizeof(*v));
	bld_builder_img_set_strv(st->img, key, v);
	if (strcmp(key, "Cmd") == 0)
		st->cmd_set = true;
	else if (!st->cmd_set)
		bld_builder_img_set_strv(st->img, "Cmd", NULL);
	return 0;
}

static int do_healthcheck(struct bld_builder_job *b, struct bld_builder_stage *st,
			  const struct bld_parser_instruction *in, struct bld_error **err)
{
	json_t *hc = json_object(), *test = json_array();
	for (size_t i = 0; in->health_test && in->health_test[i]; i++)
		json_array_append_new(test, json_string(in->health_test[i]));
	json_object_set_new(hc, "Test", test);
	const struct {
		const char *key;
		int64_t v;
	} durs[] = {{"Interval", in->interval_ns},
		    {"Timeout", in->timeout_ns},
		    {"StartPeriod", in->start_period_ns},
		    {"StartInterval", in->start_interval_ns}};
	for (size_t i = 0; !in->health_none && i < BLD_ARRAY_SIZE(durs); i++)
		if (durs[i].v)
			json_object_set_new(hc, durs[i].key, json_integer(durs[i].v));
	if (!in->health_none && in->retries)
		json_object_set_new(hc, "Retries", json_integer(in->retries));
	json_object_set_new(bld_builder_img_conf(st->img), "Healthcheck", hc);
	return 0;
}

static int do_expose(struct bld_builder_job *b, struct bld_builder_stage *st,
		     const struct bld_parser_instruction *in, struct bld_error **err)
{
	for (size_t i = 0; in->args[i]; i++) {
		cleanup_free char *p = NULL;
		if (expand(b, st, in->args[i], &p, err) < 0)
			return -1;
		const char *proto = strchr(p, '/') ? strchr(p, '/') + 1 : "tcp";
		cleanup_free char *num = xstrndup(p, strcspn(p, "/"));
		cleanup_free char *lproto = xstrdup(proto);
		for (char *c = lproto; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		long lo, hi;
		char *dash = strchr(num, '-');
		if (dash)
			*dash = '\0';
		if (bld_parse_long(num, 0, 65535, &lo) < 0 ||
		    bld_parse_long(dash ? dash + 1 : num, lo, 65535, &hi) < 0)
			return bld_error_set(err, BLD_E_INVALID, "invalid containerPort: %s", p);
		for (long x = lo; x <= hi; x++) {
			cleanup_free char *k = xasprintf("%ld/%s", x, lproto);
			bld_builder_img_add_set(st->img, "ExposedPorts", k);
		}
	}
	return 0;
}

static int do_volume(struct bld_builder_job *b, struct bld_builder_stage *st,
		     const struct bld_parser_instruction *in, struct bld_error **err)
{
	for (size_t i = 0; in->args[i]; i++) {
		cleanup_free char *p = NULL;
		if (expand(b, st, in->args[i], &p, err) < 0)
			return -1;
		if (!*p)
			return bld_error_set(err, BLD_E_INVALID, "VOLUME specified can not be an "
								 "empty string");
		bld_builder_img_add_set(st->img, "Volumes", p);
	}
	return 0;
}

/* USER, STOPSIGNAL, MAINTAINER: one expanded word into a string field. */
static int do_single(struct bld_builder_job *b, struct bld_builder_stage *st,
		     const struct bld_parser_instruction *in, const char *key, bool expand_it,
		     struct bld_error **err)
{
	if (!in->args[0])
		return bld_error_set(err, BLD_E_INVALID, "%s requires an argument",
				     bld_parser_kind_name(in->kind));
	cleanup_free char *v = NULL;
	if (expand_it && expand(b, st, in->args[0], &v, err) < 0)
		return -1;
	const char *val = v ? v : in->args[0];
	if (strcmp(key, "author") == 0)
		json_object_set_new(st->img, "author", json_string(val));
	else
		bld_builder_img_set_str(st->img, key, val);
	return 0;
}

static void quoted_list(struct bld_buf *h, char *const *v)
{
	bld_buf_adds(h, " [");
	for (size_t i = 0; v && v[i]; i++)
		bld_buf_printf(h, "%s\"%s\"", i ? " " : "", v[i]);
	bld_buf_adds(h, "]");
}

/* Metadata instructions: the config in memory, one empty-layer history entry. */
int bld_builder_stage_meta(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const struct bld_parser_instruction *in, struct bld_buf *hist,
			   struct bld_error **err)
{
	bld_buf_adds(hist, bld_parser_kind_name(in->kind));
	switch (in->kind) {
	case BLD_PARSER_ENV:
	case BLD_PARSER_LABEL:
		return do_pairs(b, st, in, in->kind == BLD_PARSER_ENV, hist, err);
	case BLD_PARSER_ARG:
		return do_arg(b, st, in, hist, err);
	case BLD_PARSER_CMD:
	case BLD_PARSER_ENTRYPOINT: {
		const char *key = in->kind == BLD_PARSER_CMD ? "Cmd" : "Entrypoint";
		int r = do_cmdlike(b, st, in, key, err);
		cleanup_strv char **v = bld_builder_img_get_strv(st->img, key);
		quoted_list(hist, v);
		return r;
	}
	case BLD_PARSER_SHELL:
		bld_builder_img_set_strv(st->img, "Shell", in->args);
		quoted_list(hist, in->args);
		return 0;
	case BLD_PARSER_ONBUILD:
		bld_builder_img_onbuild_add(st->img, in->args[0]);
		bld_buf_printf(hist, " %s", in->args[0]);
		return 0;
	default:
		break;
	}
	for (size_t i = 0; in->args[i]; i++)
		bld_buf_printf(hist, " %s", in->args[i]);
	switch (in->kind) {
	case BLD_PARSER_EXPOSE: return do_expose(b, st, in, err);
	case BLD_PARSER_VOLUME: return do_volume(b, st, in, err);
	case BLD_PARSER_USER: return do_single(b, st, in, "User", true, err);
	case BLD_PARSER_STOPSIGNAL: return do_single(b, st, in, "StopSignal", true, err);
	case BLD_PARSER_MAINTAINER: return do_single(b, st, in, "author", false, err);
	case BLD_PARSER_HEALTHCHECK: return do_healthcheck(b, st, in, err);
	default:
		return bld_error_set(err, BLD_E_INVALID, "unexpected instruction %s",
				     bld_parser_kind_name(in->kind));
	}
}

/* ------------------------------------------------------------------ layer steps */

static char **shell_argv(struct bld_builder_stage *st, const char *cmd)
{
	char **v = bld_builder_img_get_strv(st->img, "Shell");
	if (!v) {
		bld_strv_push(&v, "/bin/sh");
		bld_strv_push(&v, "-c");
	}
	bld_strv_push(&v, cmd);
	return v;
}

/* Whether the shell-form line is itself one heredoc word (`<<EOF`, `<<-EOF`, `<<'EOF'`). */
static bool lone_heredoc(const char *line)
{
	struct bld_parser_heredoc h;
	if (bld_parser_heredoc_parse_word(&h, line, NULL) != 1)
		return false;
	bld_parser_heredoc_dispose(&h);
	return true;
}

/*
 * The RUN command line as BuildKit's dispatchRun makes it: exec form as given, shell form
 * through SHELL. With heredocs, a line that is one heredoc word runs the body (tabs chomped
 * for <<-) as the script, or, when the body starts with "#!", the file /dev/pipes/NAME
 * (rq->script, mode 0755 in a read-only mount) through the shell; any other line gets each
 * body and terminator appended, for the shell to read as its own heredocs. The body is
 * never expanded by the builder: quoting the delimiter only matters to the shell.
 */
static void run_argv(struct bld_builder_stage *st, const struct bld_parser_instruction *in,
		     struct bld_builder_run_req *rq)
{
	const struct bld_parser_node *n = in->node;
	if (!in->prepend_shell) {
		rq->argv = bld_strv_dup(in->args);
		return;
	}
	const char *line = in->args[0] ? in->args[0] : "";
	if (n->nheredocs && lone_heredoc(line)) {
		const struct bld_parser_heredoc *h = &n->heredocs[0];
		cleanup_free char *body = h->chomp ? bld_parser_heredoc_chomp(h->content.s,
									      h->content.len)
						   : xstrdup(h->content.s);
		const char *os = bld_json_get_str(st->img, "os");
		if ((!os || strcmp(os, "windows") != 0) && bld_str_has_prefix(body, "#!")) {
			rq->script_name = xstrdup(h->name);
			rq->script = steal_pointer(&body);
			cleanup_free char *path = xasprintf("/dev/pipes/%s", h->name);
			rq->argv = shell_argv(st, path);
			return;
		}
		rq->argv = shell_argv(st, body);
		return;
	}
	struct bld_buf cmd = BLD_BUF_INIT;
	bld_buf_adds(&cmd, line);
	for (size_t i = 0; i < n->nheredocs; i++)
		bld_buf_printf(&cmd, "\n%s%s", n->heredocs[i].content.s, n->heredocs[i].name);
	rq->argv = shell_argv(st, bld_buf_str(&cmd));
	bld_buf_dispose(&cmd);
}

static void copy_req_init(struct bld_builder_copy_req *rq, const struct bld_parser_instruction *in)
{
	memset(rq, 0, sizeof(*rq));
	rq->from = in->from;
	rq->excludes = bld_strv_dup(in->excludes);
	rq->parents = in->parents;
	rq->link = in->link && !in->chmod; /* BuildKit: --link with --chmod copies in place */
	rq->add = in->kind == BLD_PARSER_ADD;
	rq->keep_git_dir = in->keep_git_dir == 1;
	rq->unpack = in->unpack;
	rq->checksum = in->checksum;
}

static void copy_req_dispose(struct bld_builder_copy_req *rq)
{
	bld_strv_free(rq->srcs);
	bld_strv_free(rq->excludes);
	free(rq->chown);
	free(rq->chmod);
	free(rq->dest);
	bld_builder_copy_contents_free(rq);
}

static int copy_req_expand(struct bld_builder_job *b, struct bld_builder_stage *st,
			   const struct bld_parser_instruction *in, struct bld_builder_copy_req *rq,
			   struct bld_error **err)
{
	cleanup_strv char **env = bld_builder_stage_env(st);
	if (bld_builder_copy_contents_expand(rq, in, env, err) < 0)
		return -1;
	/* BuildKit expands --chown and --chmod like the paths (CopyCommand.Expand) */
	if (in->chown && expand(b, st, in->chown, &rq->chown, err) < 0)
		return -1;
	if (in->chmod && expand(b, st, in->chmod, &rq->chmod, err) < 0)
		return -1;
	for (size_t i = 0; in->sources[i]; i++) {
		cleanup_free char *s = NULL;
		if (expand(b, st, in->sources[i], &s, err) < 0)
			return -1;
		bld_strv_push(&rq->srcs, s);
	}
	cleanup_free char *d = NULL;
	if (expand(b, st, in->dest, &d, err) < 0)
		return -1;
	const char *wd = bld_builder_img_get_str(st->img, "WorkingDir");
	bool slash = d[0] && d[strlen(d) - 1] == '/';
	if (d[0] == '/')
		rq->dest = xstrdup(d);
	else
		rq->dest = xasprintf("%s/%s%s", wd && *wd ? wd : "", d, slash ? "/" : "");
	return 0;
}

/* The instruction as written (flags, arguments, heredoc bodies) into a key. */
static void key_node(struct bld_xxh *h, const struct bld_parser_node *n)
{
	bld_xxh_update_str(h, n->cmd);
	for (size_t i = 0; i < n->nflags; i++)
		bld_xxh_update_str(h, n->flags[i].s);
	for (size_t i = 0; i < n->nargs; i++)
		bld_xxh_update_str(h, n->args[i].s);
	for (size_t i = 0; i < n->nheredocs; i++)
		bld_xxh_update_str(h, n->heredocs[i].content.s);
	bld_xxh_update(h, &n->json, sizeof(n->json));
}

struct step {
	const struct bld_parser_instruction *in;
	char *name; /* "[2/3] COPY a /a", for explain.c */
	struct bld_builder_run_req run;
	struct bld_builder_copy_req copy;
	char *workdir;
	struct bld_buf hist;
};

/* A hash of what a step's key took besides its files, as one of explain.c's inputs. */
static void record_hex(json_t *rec, const char *label, struct bld_xxh *x)
{
	char hex[BLD_XXH_HEX_LEN + 1];
	bld_xxh_final(x, hex);
	bld_builder_explain_add(rec, label, json_string(hex));
}

/*
 * explain.c's inputs of a step, besides the files (copy.c) and what came before it: the
 * instruction as written, a RUN's environment by name and its options and mounts, a COPY's
 * expanded paths and flags, a WORKDIR's directory.
 */
static int step_record(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
		       json_t *rec, struct bld_error **err)
{
	struct bld_xxh *x = bld_xxh_new();
	key_node(x, s->in->node);
	record_hex(rec, "instruction", x);
	if (s->in->kind == BLD_PARSER_WORKDIR) {
		bld_builder_explain_add(rec, "workdir", json_string(s->workdir));
		return 0;
	}
	if (s->in->kind != BLD_PARSER_RUN) {
		x = bld_xxh_new();
		for (size_t i = 0; s->copy.srcs[i]; i++)
			bld_xxh_update_str(x, s->copy.srcs[i]);
		bld_xxh_update_str(x, s->copy.dest);
		bld_xxh_update_str(x, s->copy.chown);
		bld_xxh_update_str(x, s->copy.chmod);
		record_hex(rec, "expanded sources, destination and flags", x);
		return 0;
	}
	for (size_t i = 0; s->run.env && s->run.env[i]; i++) {
		size_t kl = strcspn(s->run.env[i], "=");
		cleanup_free char *k = xstrndup(s->run.env[i], kl);
		bool arg = bld_strv_env_get(st->arg_env, k) != NULL;
		cleanup_free char *label = xasprintf("%s %s", arg ? "build arg" : "env", k);
		char hex[BLD_XXH_HEX_LEN + 1];
		bld_xxh_digest(s->run.env[i] + kl, strlen(s->run.env[i] + kl), hex);
		bld_builder_explain_add(rec, label, json_string(hex));
	}
	x = bld_xxh_new();
	bld_xxh_update_str(x, s->run.network);
	for (size_t i = 0; b->extra_hosts && b->extra_hosts[i]; i++)
		bld_xxh_update_str(x, b->extra_hosts[i]);
	bld_xxh_update(x, &b->o->shm_size, sizeof(b->o->shm_size));
	record_hex(rec, "RUN network, hosts and shm size", x);
	x = bld_xxh_new();
	int r = bld_builder_run_mounts_key(b, st, &s->run, x, err);
	record_hex(rec, "RUN mounts", x);
	return r;
}

/* The step's key; its inputs into rec too when rec is not NULL (explain.c). */
static int step_key(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
		    char key[BLD_XXH_HEX_LEN + 1], json_t *rec, struct bld_error **err)
{
	if (rec && step_record(b, st, s, rec, err) < 0)
		return -1;
	struct bld_xxh *h = bld_xxh_new();
	bld_xxh_update_str(h, st->key);
	key_node(h, s->in->node);
	int r = 0;
	if (s->in->kind == BLD_PARSER_RUN) {
		for (size_t i = 0; s->run.env && s->run.env[i]; i++)
			bld_xxh_update_str(h, s->run.env[i]);
		bld_xxh_update_str(h, s->run.network);
		for (size_t i = 0; b->extra_hosts && b->extra_hosts[i]; i++) /* as ExecOp's meta */
			bld_xxh_update_str(h, b->extra_hosts[i]);
		if (b->o->shm_size) /* keys of builds without --shm-size stay as they were */
			bld_xxh_update(h, &b->o->shm_size, sizeof(b->o->shm_size));
		r = bld_builder_run_mounts_key(b, st, &s->run, h, err);
	} else if (s->in->kind == BLD_PARSER_WORKDIR) {
		bld_xxh_update_str(h, s->workdir);
	} else {
		for (size_t i = 0; s->copy.srcs[i]; i++)
			bld_xxh_update_str(h, s->copy.srcs[i]);
		bld_xxh_update_str(h, s->copy.dest);
		r = bld_builder_copy_key(b, st, &s->copy, h, rec, err);
	}
	bld_xxh_final(h, key);
	return r;
}

static int step_exec(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
		     struct bld_cache_layer *l, bool *made, struct bld_error **err)
{
	if (s->in->kind == BLD_PARSER_RUN && b->chroot)
		return bld_builder_run_chroot(b, st, &s->run, l, made, err);
	if (s->in->kind == BLD_PARSER_RUN)
		return bld_builder_run_step(b, st, &s->run, l, made, err);
	if (s->in->kind == BLD_PARSER_WORKDIR)
		return bld_builder_mkdir_step(b, st, s->workdir, l, made, err);
	return bld_builder_copy_step(b, st, &s->copy, l, made, err);
}

static void run_history(struct bld_builder_stage *st, struct step *s)
{
	bld_buf_adds(&s->hist, "RUN");
	/* runCommandString: each name once, where it first came, with its value in the
	 * environment (an ENV's when one overrode the ARG), else the last ARG's own */
	cleanup_strv char **shown = NULL;
	for (size_t i = 0; st->args && st->args[i]; i++) {
		size_t kl = strcspn(st->args[i], "=");
		cleanup_free char *k = xstrndup(st->args[i], kl);
		const char *v = bld_strv_env_get(s->run.env, k);
		bld_strv_env_set(&shown, k, v ? v : st->args[i][kl] ? st->args[i] + kl + 1 : "");
	}
	size_t na = bld_strv_len(shown);
	if (na)
		bld_buf_printf(&s->hist, " |%zu", na);
	for (size_t i = 0; i < na; i++)
		bld_buf_printf(&s->hist, " %s", shown[i]);
	for (size_t i = 0; s->run.argv[i]; i++)
		bld_buf_printf(&s->hist, " %s", s->run.argv[i]);
}

static int prepare_workdir(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
			   struct bld_error **err)
{
	cleanup_free char *w = NULL;
	if (expand(b, st, s->in->args[0], &w, err) < 0)
		return -1;
	const char *cur = bld_builder_img_get_str(st->img, "WorkingDir");
	cleanup_free char *joined = w[0] == '/' ? xstrdup(w) : xasprintf("/%s/%s", cur ? cur : "", w);
	s->workdir = bld_path_clean(joined);
	bld_builder_img_set_str(st->img, "WorkingDir", s->workdir);
	bld_buf_printf(&s->hist, "WORKDIR %s", s->workdir);
	return 0;
}

/*
 * COPY/ADD: the request with sources, destination, --chown and --chmod expanded (as
 * BuildKit's CopyCommand.Expand does), and BuildKit's history text: the flags --parents,
 * --chown, --chmod (dockerfile 1.7.0 and later), the sources, the heredoc words, and the
 * destination as written after expansion (not joined to WORKDIR).
 */
static int prepare_copy(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
			struct bld_error **err)
{
	const struct bld_parser_instruction *in = s->in;
	copy_req_init(&s->copy, in);
	if (copy_req_expand(b, st, in, &s->copy, err) < 0)
		return -1;
	cleanup_free char *dest = NULL;
	if (expand(b, st, in->dest, &dest, err) < 0)
		return -1;
	bld_buf_adds(&s->hist, s->copy.add ? "ADD" : "COPY");
	if (in->parents)
		bld_buf_adds(&s->hist, " --parents");
	if (s->copy.chown && *s->copy.chown)
		bld_buf_printf(&s->hist, " --chown=%s", s->copy.chown);
	if (s->copy.chmod && *s->copy.chmod)
		bld_buf_printf(&s->hist, " --chmod=%s", s->copy.chmod);
	for (size_t i = 0; s->copy.srcs[i]; i++)
		bld_buf_printf(&s->hist, " %s", s->copy.srcs[i]);
	for (size_t i = 0; i < s->copy.ncontents; i++)
		bld_buf_printf(&s->hist, " <<%s", s->copy.contents[i].name);
	bld_buf_printf(&s->hist, " %s", dest);
	return 0;
}

/*
 * A --from or mount from= that names no earlier stage but a named context: loaded now, so
 * that the step's key and its roots see it; a directory or git context that COPY reads
 * goes to *files instead (read in place, keyed by the files copied).
 */
static int named_from(struct bld_builder_job *b, struct bld_builder_stage *st, const char *from,
		      struct bld_builder_context **files, struct bld_error **err)
{
	if (!from || !*from || bld_builder_stage_find(b, from, (size_t)st->index))
		return 0;
	struct bld_builder_named *n = bld_builder_named_find(b, from);
	if (!n)
		return 0;
	if (files && n->files) {
		*files = n->files;
		return 0;
	}
	return bld_builder_named_load(b, n, err);
}

static int prepare_named(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
			 struct bld_error **err)
{
	if (s->in->kind != BLD_PARSER_RUN) {
		if (named_from(b, st, s->copy.from, &s->copy.src_ctx, err) < 0)
			return -1;
		if (s->copy.src_ctx)
			s->copy.from = NULL;
		return 0;
	}
	for (size_t i = 0; i < s->run.nmounts; i++)
		if (named_from(b, st, s->run.mounts[i].from, NULL, err) < 0)
			return -1;
	return 0;
}

/* Fills what the step needs, expanded, and its history text. */
static int step_prepare(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
			int v, struct bld_error **err)
{
	const struct bld_parser_instruction *in = s->in;
	if (in->kind == BLD_PARSER_RUN) {
		run_argv(st, in, &s->run);
		s->run.env = bld_builder_stage_env(st);
		s->run.vertex = v;
		s->run.network = in->network ? in->network
					     : (b->o->network ? b->o->network : "default");
		s->run.mounts = in->mounts;
		s->run.nmounts = in->nmounts;
		run_history(st, s);
		return 0;
	}
	if (in->kind == BLD_PARSER_WORKDIR)
		return prepare_workdir(b, st, s, err);
	return prepare_copy(b, st, s, err);
}

static void step_dispose(struct step *s)
{
	bld_strv_free(s->run.argv);
	free(s->run.script_name);
	free(s->run.script);
	bld_strv_free(s->run.env);
	copy_req_dispose(&s->copy);
	free(s->workdir);
	free(s->name);
	bld_buf_dispose(&s->hist);
}

/* The step missed: its inputs gathered (its key computed again) for explain.c. */
static int explain_miss(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s,
			int v, const char *key, struct bld_error **err)
{
	cleanup_json json_t *own = json_array();
	char again[BLD_XXH_HEX_LEN + 1];
	if (step_key(b, st, s, again, own, err) < 0)
		return -1;
	return bld_builder_explain_miss(b, st, v, s->name, key, own, err);
}

static int step_run(struct bld_builder_job *b, struct bld_builder_stage *st, struct step *s, int v,
		    struct bld_error **err)
{
	char key[BLD_XXH_HEX_LEN + 1];
	if (step_key(b, st, s, key, NULL, err) < 0)
		return -1;
	int hit = cache_apply(b, st, key, err);
	if (hit < 0)
		return -1;
	if (hit) {
		bld_builder_progress_cached(b, v);
		memcpy(st->key, key, sizeof(key));
		bld_builder_explain_step(b, st, s->name, key);
		return 0;
	}
	if (explain_miss(b, st, s, v, key, err) < 0)
		return -1;
	int64_t t0 = bld_mono_ns();
	struct bld_cache_layer l;
	bool made = false;
	if (step_exec(b, st, s, &l, &made, err) < 0)
		return -1;
	if (made && bld_builder_stage_push_layer(b, st, &l, err) < 0)
		return -1;
	cleanup_free char *now = now_str(b);
	bld_buf_adds(&s->hist, " # buildkit");
	bld_builder_img_history(st->img, now, bld_buf_str(&s->hist), !made);
	if (cache_record(b, st, key, made ? &l : NULL, err) < 0)
		return -1;
	memcpy(st->key, key, sizeof(key));
	bld_builder_explain_step(b, st, s->name, key);
	bld_builder_progress_done(b, v, t0);
	return 0;
}

/*
 * What BuildKit adds to a lone-heredoc RUN's progress name: " (first line...)" of the body
 * as written, trimmed; NULL for every other step.
 */
static char *heredoc_summary(const struct bld_parser_instruction *in)
{
	if (in->kind != BLD_PARSER_RUN || !in->prepend_shell || !in->node->nheredocs ||
	    !lone_heredoc(in->args[0] ? in->args[0] : ""))
		return NULL;
	const char *d = in->node->heredocs[0].content.s, *e = d + strlen(d);
	while (d < e && isspace((unsigned char)*d))
		d++;
	while (e > d && isspace((unsigned char)e[-1]))
		e--;
	size_t first = strcspn(d, "\n");
	if (first > (size_t)(e - d))
		first = (size_t)(e - d);
	bool more = d + first < e;
	if (first && d[first - 1] == '\r' && more)
		first--;
	return xasprintf(" (%.*s%s)", (int)first, d, more ? "..." : "");
}

/*
 * The step's progress name as BuildKit gives it: the instruction as written (plus a lone
 * heredoc's summary) with the stage's variables expanded, a RUN's quotes and unset names
 * kept and its secret env mounts shown as "****", and the keyword upper-cased.
 */
static char *step_title(struct bld_builder_job *b, struct bld_builder_stage *st,
			const struct bld_parser_instruction *in)
{
	cleanup_free char *sum = heredoc_summary(in);
	cleanup_free char *text = xasprintf("%s%s", in->node->original.s, sum ? sum : "");
	cleanup_strv char **env = bld_builder_stage_env(st);
	bool run = in->kind == BLD_PARSER_RUN;
	for (size_t i = 0; run && i < in->nmounts; i++)
		if (in->mounts[i].type == BLD_PARSER_MOUNT_SECRET && in->mounts[i].env)
			bld_strv_env_set(&env, in->mounts[i].env, "****");
	unsigned flags = run ? BLD_PARSER_SHELL_RAW_QUOTES | BLD_PARSER_SHELL_SKIP_UNSET : 0;
	struct bld_parser_shell_result res;
	struct bld_error *e = NULL;
	char *t = text;
	if (bld_parser_shell_process(&res, text, b->escape, flags, env, &e) == 0) {
		t = steal_pointer(&res.word);
		bld_parser_shell_result_dispose(&res);
	} else {
		bld_error_free(e);
		text = NULL;
	}
	for (char *c = t; *c && *c != ' '; c++)
		*c = (char)toupper((unsigned char)*c);
	return t;
}

/* RUN, COPY, ADD, WORKDIR: a vertex, a key, and a cached or fresh layer. */
static int do_layer_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			 const struct bld_parser_instruction *in, struct bld_error **err)
{
	char sn[64];
	st->vertex++;
	const char *orig = in->node->original.s;
	cleanup_free char *title = step_title(b, st, in);
	int v = bld_builder_progress_vertex(b, "%s %s", step_name(b, st, sn, sizeof(sn)), title);
	struct step s;
	memset(&s, 0, sizeof(s));
	s.in = in;
	s.name = xasprintf("%s %s", step_name(b, st, sn, sizeof(sn)), title);
	int r = step_prepare(b, st, &s, v, err);
	if (r == 0 && b->n_named && s.in->kind != BLD_PARSER_WORKDIR)
		r = prepare_named(b, st, &s, err);
	if (r == 0)
		r = step_run(b, st, &s, v, err);
	if (r < 0 && *err)
		bld_builder_progress_error(b, v, (*err)->msg);
	if (r < 0)
		bld_error_wrap(err, "%s %s", step_name(b, st, sn, sizeof(sn)), orig);
	step_dispose(&s);
	return r;
}

static bool is_layer_step(enum bld_parser_kind k)
{
	return k == BLD_PARSER_RUN || k == BLD_PARSER_COPY || k == BLD_PARSER_ADD ||
	       k == BLD_PARSER_WORKDIR;
}

/* "K=V" entries into explain.c's pending inputs as "PREFIX K", the value hashed. */
static void note_values(struct bld_builder_stage *st, const char *prefix, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++) {
		size_t kl = strcspn(v[i], "=");
		cleanup_free char *label = xasprintf("%s %.*s", prefix, (int)kl, v[i]);
		bld_builder_explain_note_hash(st, label, v[i][kl] ? v[i] + kl + 1 : "");
	}
}

/*
 * What a metadata instruction put into the stage's key, for explain.c: the values of ARG
 * and ENV by name first (so that a changed build arg is named as such), then the text.
 */
static void note_meta(struct bld_builder_stage *st, const struct bld_parser_instruction *in,
		      const char *hist)
{
	if (in->kind == BLD_PARSER_ARG)
		note_values(st, "build arg", st->arg_env);
	if (in->kind == BLD_PARSER_ENV) {
		cleanup_strv char **env = bld_builder_img_env(st->img);
		note_values(st, "env", env);
	}
	cleanup_free char *label = xasprintf("instruction %s (line %d)",
					     bld_parser_kind_name(in->kind), in->start_line);
	bld_builder_explain_note_hash(st, label, hist);
}

/*
 * Classic progress: docker's legacy builder says "Using cache" for a metadata step it built
 * before. bld keeps, under the key a metadata step leads to, a record with neither config nor
 * layer (cache_apply never takes one) to tell it the next time.
 */
static void classic_meta_cache(struct bld_builder_job *b, struct bld_builder_stage *st,
			       const char *key)
{
	if (!b->classic)
		return;
	cleanup_free char *data = NULL;
	struct bld_error *e = NULL;
	if (!st->no_cache && bld_cache_build_record_get(b->store, key, &data, &e) == 0) {
		bld_builder_progress_cached(b, 0);
		return;
	}
	bld_error_free(e);
	e = NULL;
	if (bld_cache_build_record_put(b->store, key, "{\"blobs\":[],\"metadata\":true}", &e) < 0)
		bld_error_free(e);
}

/* Classic progress: docker's legacy builder adds --label as a last LABEL step (its key only
 * for the progress: the labels are the image's, build.c sets them). */
static void classic_labels(struct bld_builder_job *b, struct bld_builder_stage *st)
{
	if (!b->classic || (size_t)st->index != b->target || !b->o->labels || !b->o->labels[0])
		return;
	struct bld_buf line = BLD_BUF_INIT;
	bld_buf_adds(&line, "LABEL");
	for (size_t i = 0; b->o->labels[i]; i++)
		bld_buf_printf(&line, " %s", b->o->labels[i]);
	bld_builder_progress_step(b, bld_buf_str(&line));
	char key[BLD_XXH_HEX_LEN + 1];
	struct bld_xxh *h = bld_xxh_new();
	bld_xxh_update_str(h, st->key);
	bld_xxh_update_str(h, bld_buf_str(&line));
	bld_xxh_final(h, key);
	classic_meta_cache(b, st, key);
	bld_builder_progress_step_end(b, key);
	bld_buf_dispose(&line);
}

static int dispatch(struct bld_builder_job *b, struct bld_builder_stage *st,
		    const struct bld_parser_instruction *in, struct bld_error **err)
{
	if (is_layer_step(in->kind))
		return do_layer_step(b, st, in, err);
	struct bld_buf hist = BLD_BUF_INIT;
	int r = bld_builder_stage_meta(b, st, in, &hist, err);
	if (r == 0) {
		cleanup_free char *now = meta_time(b, st);
		bld_builder_img_history(st->img, now, bld_buf_str(&hist), true);
	}
	if (r == 0) {
		struct bld_xxh *h = bld_xxh_new();
		bld_xxh_update_str(h, st->key);
		bld_xxh_update_str(h, bld_buf_str(&hist));
		if (in->kind == BLD_PARSER_ARG)
			for (size_t i = 0; st->arg_env && st->arg_env[i]; i++)
				bld_xxh_update_str(h, st->arg_env[i]);
		bld_xxh_final(h, st->key);
		note_meta(st, in, bld_buf_str(&hist));
		classic_meta_cache(b, st, st->key);
	}
	bld_buf_dispose(&hist);
	return r;
}

static int fail_at(struct bld_builder_job *b, int line, struct bld_error **err)
{
	return bld_error_wrap(err, "%s:%d", bld_builder_context_dockerfile_name(b->bctx), line);
}

/* ONBUILD triggers of the base image run first, then leave the config. */
static int run_onbuild(struct bld_builder_job *b, struct bld_builder_stage *st,
		       struct bld_error **err)
{
	cleanup_strv char **trig = bld_builder_img_get_strv(st->img, "OnBuild");
	if (!trig || !trig[0])
		return 0;
	json_object_del(bld_builder_img_conf(st->img), "OnBuild");
	struct bld_buf text = BLD_BUF_INIT;
	for (size_t i = 0; trig[i]; i++)
		bld_buf_printf(&text, "%s\n", trig[i]);
	struct bld_parser_ast *ast = NULL;
	int r = bld_parser_parse(&ast, bld_buf_str(&text), text.len, err);
	bld_buf_dispose(&text);
	if (r < 0)
		return bld_error_wrap(err, "ONBUILD trigger");
	struct bld_parser_instruction *ins = xcalloc(ast->n + 1, sizeof(*ins));
	size_t parsed = 0;
	for (; r == 0 && parsed < ast->n; parsed++)
		r = bld_parser_instruction_parse(&ins[parsed], &ast->nodes[parsed], err);
	for (size_t i = 0; r == 0 && i < ast->n; i++)
		st->nvertices += is_layer_step(ins[i].kind);
	for (size_t i = 0; r == 0 && i < ast->n; i++)
		r = dispatch(b, st, &ins[i], err);
	for (size_t i = 0; i < parsed; i++)
		bld_parser_instruction_dispose(&ins[i]);
	free(ins);
	bld_parser_ast_free(ast);
	return r < 0 ? bld_error_wrap(err, "ONBUILD trigger") : 0;
}

/* A stage a named context stands for: the context's state; none of its instructions run. */
static int replaced_stage(struct bld_builder_job *b, struct bld_builder_stage *st,
			  struct bld_error **err)
{
	struct bld_builder_named *n = bld_builder_named_find(b, st->name);
	if (!n)
		return bld_error_set(err, BLD_E_INTERNAL, "stage %s: no named context", st->name);
	if (bld_builder_named_load(b, n, err) < 0)
		return -1;
	take_state(st, &n->st);
	memcpy(st->key, n->st.key, sizeof(st->key));
	st->built = true;
	return 0;
}

int bld_builder_stage_build(struct bld_builder_job *b, struct bld_builder_stage *st,
			    struct bld_error **err)
{
	if (st->ps->replaced)
		return replaced_stage(b, st, err);
	const struct bld_parser_instruction *ins = b->df->ins + st->ps->first;
	size_t n = st->ps->count;
	st->nvertices = 1;
	for (size_t i = 0; i < n; i++)
		st->nvertices += is_layer_step(ins[i].kind);
	bld_builder_progress_step(b, st->ps->from->node->original.s);
	if (do_from(b, st, err) < 0 || run_onbuild(b, st, err) < 0)
		return fail_at(b, st->ps->from->start_line, err);
	bld_builder_progress_step_end(b, st->key);
	for (size_t i = 0; i < n; i++) {
		bld_builder_progress_step(b, ins[i].node->original.s);
		if (dispatch(b, st, &ins[i], err) < 0)
			return fail_at(b, ins[i].start_line, err);
		bld_builder_progress_step_end(b, st->key);
	}
	classic_labels(b, st);
	st->built = true;
	return 0;
}
