/*
 * builder/commit.c — `bld commit`: a container's changes as a new image, the way docker's
 * daemon commits (CreateImageFromContainer, NewChildImage): the layer of its upper
 * directory (runner/changes.c) on top of its image's layers, the container's config laid
 * over the image's, `-c` instructions applied to it through the Dockerfile parser and the
 * builder's own instruction code (BuildFromConfig), and one history entry whose created_by
 * is the container's command. A container that changed nothing adds no layer, only an
 * empty_layer history entry, as docker's does.
 *
 * It names the image only once everything is stored; it does not record events (the
 * caller does).
 */
#include "builder/builder_int.h"

#include <time.h>

/* ------------------------------------------------------------------ -c changes */

static bool valid_change(enum bld_parser_kind k)
{
	switch (k) {
	case BLD_PARSER_CMD: case BLD_PARSER_ENTRYPOINT: case BLD_PARSER_ENV:
	case BLD_PARSER_EXPOSE: case BLD_PARSER_HEALTHCHECK: case BLD_PARSER_LABEL:
	case BLD_PARSER_ONBUILD: case BLD_PARSER_USER: case BLD_PARSER_VOLUME:
	case BLD_PARSER_WORKDIR:
		return true;
	default:
		return false;
	}
}

/* WORKDIR: relative to the current one, cleaned (docker's normalizeWorkdir). */
static int change_workdir(struct bld_builder_stage *st, const struct bld_parser_instruction *in,
			  struct bld_error **err)
{
	cleanup_strv char **env = bld_builder_stage_env(st);
	cleanup_free char *w = NULL;
	if (bld_parser_shell_word(&w, in->args[0] ? in->args[0] : "", '\\', env, err) < 0)
		return -1;
	const char *cur = bld_builder_img_get_str(st->img, "WorkingDir");
	cleanup_free char *joined = w[0] == '/' ? xstrdup(w) : bld_path_join(cur && *cur ? cur : "/", w);
	cleanup_free char *clean = bld_path_clean(joined);
	bld_builder_img_set_str(st->img, "WorkingDir", clean);
	return 0;
}

static int apply_node(struct bld_builder_job *b, struct bld_builder_stage *st,
		      const struct bld_parser_node *n, struct bld_error **err)
{
	struct bld_parser_instruction in;
	if (bld_parser_instruction_parse(&in, n, err) < 0)
		return -1;
	int r;
	if (!valid_change(in.kind)) {
		r = bld_error_refuse(err, BLD_E_INVALID, "%s is not a valid change command", n->cmd);
	} else if (in.kind == BLD_PARSER_WORKDIR) {
		r = change_workdir(st, &in, err);
	} else {
		struct bld_buf hist = BLD_BUF_INIT;
		r = bld_builder_stage_meta(b, st, &in, &hist, err);
		bld_buf_dispose(&hist);
	}
	bld_parser_instruction_dispose(&in);
	return r;
}

int bld_builder_config_changes(json_t *img, char *const *changes, struct bld_error **err)
{
	struct bld_builder_job b = {.escape = '\\', .epoch = -1};
	struct bld_builder_stage st = {.img = img};
	int r = 0;
	for (size_t i = 0; r == 0 && changes && changes[i]; i++) {
		struct bld_parser_ast *ast = NULL;
		r = bld_parser_parse(&ast, changes[i], strlen(changes[i]), err);
		for (size_t k = 0; r == 0 && k < ast->n; k++)
			r = apply_node(&b, &st, &ast->nodes[k], err);
		bld_parser_ast_free(ast);
		if (r < 0 && !(*err)->status)
			(*err)->status = 1;
	}
	bld_strv_free(st.args);
	bld_strv_free(st.arg_env);
	return r;
}

/* ------------------------------------------------------------------ the image */

/* docker's container Config: the image's, with what the container set over it. */
static json_t *merged_config(json_t *image_conf, json_t *ctr)
{
	json_t *c = json_is_object(image_conf) ? json_deep_copy(image_conf) : json_object();
	const char *k;
	json_t *v;
	json_object_foreach(ctr, k, v) {
		bool unset = json_is_null(v) || (json_is_string(v) && !*json_string_value(v));
		if (unset && json_object_get(c, k))
			continue;
		if (strcmp(k, "Labels") == 0 && json_is_object(json_object_get(c, k)))
			json_object_update(json_object_get(c, k), v);
		else
			json_object_set(c, k, v);
	}
	return c;
}

static char *created_by(json_t *conf)
{
	struct bld_buf b = BLD_BUF_INIT;
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(conf, "Cmd"), i, a)
		bld_buf_printf(&b, "%s%s", i ? " " : "", json_string_value(a));
	return bld_buf_detach(&b);
}

/* RFC 3339 with nanoseconds, as docker stamps a commit. */
static char *now_nano(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09ldZ", base, ts.tv_nsec);
}

/* The time and the history entry, once the layer is known (empty: none). */
static void add_history(json_t *img, const struct bld_builder_commit_opts *o, bool empty)
{
	cleanup_free char *now = now_nano();
	cleanup_free char *cmd = created_by(json_object_get(img, "container_config"));
	json_object_set_new(img, "created", json_string(now));
	json_t *h = json_object();
	json_object_set_new(h, "created", json_string(now));
	if (o->author && *o->author)
		json_object_set_new(h, "author", json_string(o->author));
	if (*cmd)
		json_object_set_new(h, "created_by", json_string(cmd));
	if (o->message && *o->message)
		json_object_set_new(h, "comment", json_string(o->message));
	if (empty)
		json_object_set_new(h, "empty_layer", json_true());
	json_t *hist = json_object_get(img, "history");
	if (!json_is_array(hist))
		json_object_set_new(img, "history", hist = json_array());
	json_array_append_new(hist, h);
}

/* The new image's config document, before the changes. */
static json_t *child_config(const struct bld_cache_image *base, json_t *ctr,
			    const struct bld_builder_commit_opts *o)
{
	json_t *img = bld_builder_img_from_base(base->config);
	json_t *cc = json_object_get(ctr, "Config");
	json_t *conf = merged_config(json_object_get(base->config, "config"), cc);
	json_object_set_new(img, "container_config", json_deep_copy(conf));
	json_object_set_new(img, "config", conf);
	json_object_set_new(img, "container", json_string(bld_json_get_str(ctr, "Id")));
	json_object_del(img, "author");
	if (o->author && *o->author)
		json_object_set_new(img, "author", json_string(o->author));
	return img;
}

static int write_image(struct bld_store *s, json_t *img, const struct bld_cache_image *base,
		       const struct bld_cache_layer *top, const char *name,
		       char id[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	struct bld_cache_layer *layers = NULL;
	size_t n = 0;
	if (bld_cache_image_layer_list(base, &layers, &n, err) < 0)
		return -1;
	if (top) {
		layers = xrealloc(layers, (n + 1) * sizeof(*layers));
		layers[n++] = *top;
	}
	int r = bld_cache_image_write(s, img, layers, n, name, NULL, id, err);
	free(layers);
	return r;
}

int bld_builder_commit(struct bld_ctx *ctx, struct bld_store *s,
		       const struct bld_builder_commit_opts *o, char id[BLD_DIGEST_STR_LEN],
		       struct bld_error **err)
{
	cleanup_free char *cid = NULL;
	json_t *ctr = NULL, *img = NULL;
	struct bld_cache_image *base = NULL;
	struct bld_cache_layer layer;
	bool empty = false;
	int r = bld_runner_container_lookup(ctx, o->container, &cid, err);
	if (r == 0)
		r = bld_runner_container_inspect(ctx, cid, &ctr, err);
	if (r < 0)
		(*err)->status = 1;
	if (r == 0)
		r = bld_cache_image_load(s, bld_json_get_str(ctr, "Image"), &base, err);
	if (r == 0) {
		img = child_config(base, ctr, o);
		r = bld_builder_config_changes(img, o->changes, err);
	}
	if (r == 0)
		r = bld_runner_container_commit_layer(ctx, s, cid, o->pause, &layer, &empty, err);
	if (r == 0) {
		add_history(img, o, empty);
		r = write_image(s, img, base, empty ? NULL : &layer, o->name, id, err);
	}
	if (img)
		json_decref(img);
	if (ctr)
		json_decref(ctr);
	bld_cache_image_free(base);
	return r;
}
