/*
 * deploy/state.c — what the store holds of a project: its containers, read from their
 * com.docker.compose.* labels and their state, and the projects the store knows (`compose
 * ls`). The store is the only truth: nothing here is cached or written.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>

static const char *label(const struct bld_runner_container_info *c, const char *key)
{
	return bld_strv_env_get(c->labels, key);
}

static char *dup_or_empty(const char *s) { return xstrdup(s ? s : ""); }

static void fill(struct bld_deploy_ctr *d, const struct bld_runner_container_info *c)
{
	memcpy(d->id, c->id, sizeof(d->id));
	d->name = xstrdup(c->name[0] == '/' ? c->name + 1 : c->name);
	d->service = dup_or_empty(label(c, BLD_DEPLOY_L_SERVICE));
	long n = 0;
	const char *num = label(c, BLD_DEPLOY_L_NUMBER);
	if (num && bld_parse_long(num, 0, 1L << 30, &n) < 0)
		n = 0;
	d->number = (int)n;
	const char *oneoff = label(c, BLD_DEPLOY_L_ONEOFF);
	d->oneoff = oneoff && strcmp(oneoff, "True") == 0;
	d->hash = dup_or_empty(label(c, BLD_DEPLOY_L_HASH));
	d->image_digest = dup_or_empty(label(c, BLD_DEPLOY_L_IMAGE));
	d->state = dup_or_empty(c->state);
	json_t *h = json_object_get(c->state_json, "Health");
	d->health = dup_or_empty(bld_json_get_str(h, "Status"));
	d->exit_code = c->exit_code;
	d->created = c->created;
	d->info = c;
}

static int by_service(const void *a, const void *b)
{
	const struct bld_deploy_ctr *x = a, *y = b;
	int c = strcmp(x->service, y->service);
	return c ? c : x->number - y->number;
}

int bld_deploy_state_load(struct bld_ctx *ctx, const char *name, struct bld_deploy_state *out,
			  struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	/* a project's containers only: the others' state and monitors are not asked */
	if (bld_runner_container_list_labeled(ctx, name ? BLD_DEPLOY_L_PROJECT : NULL, name,
					      &out->infos, &out->n_infos, err) < 0)
		return -1;
	out->v = xcalloc(out->n_infos + 1, sizeof(*out->v));
	for (size_t i = 0; i < out->n_infos; i++) {
		const char *p = label(&out->infos[i], BLD_DEPLOY_L_PROJECT);
		if (p && (!name || strcmp(p, name) == 0))
			fill(&out->v[out->n++], &out->infos[i]);
	}
	qsort(out->v, out->n, sizeof(*out->v), by_service);
	return 0;
}

void bld_deploy_ctr_dispose(struct bld_deploy_ctr *c)
{
	free(c->name);
	free(c->service);
	free(c->hash);
	free(c->image_digest);
	free(c->state);
	free(c->health);
	memset(c, 0, sizeof(*c));
}

void bld_deploy_state_dispose(struct bld_deploy_state *s)
{
	for (size_t i = 0; i < s->n; i++)
		bld_deploy_ctr_dispose(&s->v[i]);
	free(s->v);
	bld_runner_container_info_free(s->infos, s->n_infos);
	memset(s, 0, sizeof(*s));
}

const char *bld_deploy_project_label(const struct bld_deploy_ctr *c)
{
	return label(c->info, BLD_DEPLOY_L_PROJECT);
}

/* Adds c's state to the project's entry of o ({Name, counts{state: n}, ConfigFiles}). */
static void count(json_t *o, const struct bld_deploy_ctr *c)
{
	const char *p = bld_deploy_project_label(c);
	json_t *e = json_object_get(o, p);
	if (!e) {
		const char *files = label(c->info, BLD_DEPLOY_L_FILES);
		e = json_pack("{s:s, s:{}, s:s}", "Name", p, "counts", "ConfigFiles",
			      files ? files : "");
		json_object_set_new(o, p, e);
	}
	json_t *counts = json_object_get(e, "counts");
	json_int_t n = json_integer_value(json_object_get(counts, c->state));
	json_object_set_new(counts, c->state, json_integer(n + 1));
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of o in name order (caller frees). */
static char **sorted_keys(json_t *o)
{
	char **v = xcalloc(1, sizeof(char *));
	const char *k;
	json_t *x;
	json_object_foreach(o, k, x)
		bld_strv_push(&v, k);
	qsort(v, bld_strv_len(v), sizeof(char *), by_str);
	return v;
}

/* "exited(1), running(2)" as compose ls prints it (states in name order). */
static char *status_text(json_t *counts)
{
	struct bld_buf b = BLD_BUF_INIT;
	cleanup_strv char **keys = sorted_keys(counts);
	for (size_t i = 0; keys[i]; i++)
		bld_buf_printf(&b, "%s%s(%lld)", b.len ? ", " : "", keys[i],
			       (long long)json_integer_value(json_object_get(counts, keys[i])));
	return bld_buf_detach(&b);
}

int bld_deploy_projects(struct bld_ctx *ctx, bool all, json_t **out, struct bld_error **err)
{
	struct bld_deploy_state st;
	if (bld_deploy_state_load(ctx, NULL, &st, err) < 0)
		return -1;
	cleanup_json json_t *by = json_object();
	for (size_t i = 0; i < st.n; i++)
		count(by, &st.v[i]);
	bld_deploy_state_dispose(&st);
	*out = json_array();
	cleanup_strv char **names = sorted_keys(by);
	for (size_t i = 0; names[i]; i++) {
		const char *k = names[i];
		json_t *e = json_object_get(by, k);
		json_t *counts = json_object_get(e, "counts");
		if (!all && !json_object_get(counts, "running"))
			continue;
		cleanup_free char *s = status_text(counts);
		json_array_append_new(*out, json_pack("{s:s, s:s, s:s}", "Name", k, "Status", s,
						      "ConfigFiles",
						      bld_json_get_str(e, "ConfigFiles")));
	}
	return 0;
}
