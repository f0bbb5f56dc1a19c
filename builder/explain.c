/*
 * builder/explain.c — why a step was not CACHED. Each step that misses has the inputs of its
 * key written beside the build cache (cache/inputs/<key>: labelled paths and fingerprints,
 * hashes of values, never file contents), and each build notes the key of every step under
 * the name of its Dockerfile and target (cache/last/<name>). A miss is explained by the
 * first input that differs from the inputs of the same step in the last build: a file
 * (content, mode, owner, link target; added or removed), a build arg or env value, the base
 * image, the instruction's text, or the miss of the step before it, which it inherits.
 *
 * Inputs are labelled pairs: ["file a.txt", [mode, uid, gid, fingerprint, link]],
 * ["build arg V", hash], ["base image REF", image ID], ["instruction", hash], ...  What a
 * stage's key took in between two layer steps (FROM, ENV, ARG and the other metadata
 * instructions) collects in the stage's pending list and goes with the next step's inputs.
 *
 * Costs on a rebuild that hits everywhere: one small file read and the pending lists; the
 * inputs of a step are gathered (its key computed a second time) only when it misses.
 * Nothing here decides a hit or a miss: the keys are stage.c's, copy.c's and mounts.c's.
 */
#include "builder/builder_int.h"

#include <sys/stat.h>

struct bld_builder_explain {
	pthread_mutex_t lock;
	char name[BLD_XXH_HEX_LEN + 1]; /* of the Dockerfile and target: the LAST note */
	json_t *last;                   /* step id -> key of the last build (NULL: not read) */
	json_t *now;                    /* step id -> key of this build */
	char **lines;                   /* "[2/3] COPY a /a: file a: content changed" */
};

void bld_builder_explain_open(struct bld_builder_job *b)
{
	struct bld_builder_explain *x = xcalloc(1, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
	const struct bld_builder_context *c = b->bctx;
	struct bld_xxh *h = bld_xxh_new();
	bld_xxh_update_str(h, "explain v1");
	bld_xxh_update_str(h, c->tmpdir ? c->spec : c->dir);
	bld_xxh_update_str(h, b->o->dockerfile ? b->o->dockerfile : "");
	bld_xxh_update_str(h, c->dockerfile_name);
	bld_xxh_update_str(h, b->stages[b->target].name ? b->stages[b->target].name : "");
	char idx[24];
	snprintf(idx, sizeof(idx), "%zu", b->target);
	bld_xxh_update_str(h, idx);
	bld_xxh_final(h, x->name);
	x->now = json_object();
	b->xp = x;
}

/* The last build's keys, read once, under x->lock. */
static json_t *last_keys(struct bld_builder_job *b)
{
	struct bld_builder_explain *x = b->xp;
	if (x->last)
		return x->last;
	cleanup_free char *data = NULL;
	struct bld_error *e = NULL;
	json_t *j = NULL;
	if (bld_cache_build_note_get(b->store, BLD_CACHE_NOTE_LAST, x->name, &data, &e) == 0)
		bld_json_load_buf(&j, data, strlen(data), NULL);
	bld_error_free(e);
	x->last = json_is_object(j) ? j : json_object();
	if (j && x->last != j)
		json_decref(j);
	return x->last;
}

void bld_builder_explain_note(struct bld_builder_stage *st, const char *label, json_t *value)
{
	if (!st->xpending)
		st->xpending = json_array();
	json_array_append_new(st->xpending, json_pack("[s, o]", label, value));
}

void bld_builder_explain_note_hash(struct bld_builder_stage *st, const char *label,
				   const char *value)
{
	char hex[BLD_XXH_HEX_LEN + 1];
	bld_xxh_digest(value, strlen(value), hex);
	bld_builder_explain_note(st, label, json_string(hex));
}

void bld_builder_explain_add(json_t *rec, const char *label, json_t *value)
{
	if (rec)
		json_array_append_new(rec, json_pack("[s, o]", label, value));
	else
		json_decref(value);
}

static void step_id(const struct bld_builder_stage *st, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%d", st->name ? st->name : "", st->vertex);
	if (!st->name)
		snprintf(buf, n, "%d/%d", st->index, st->vertex);
}

void bld_builder_explain_step(struct bld_builder_job *b, struct bld_builder_stage *st,
			      const char *name, const char *key)
{
	char id[96];
	step_id(st, id, sizeof(id));
	pthread_mutex_lock(&b->xp->lock);
	json_object_set_new(b->xp->now, id, json_string(key));
	pthread_mutex_unlock(&b->xp->lock);
	memcpy(st->xparent, key, sizeof(st->xparent));
	free(st->xparent_name);
	st->xparent_name = xstrdup(name);
	json_decref(st->xpending);
	st->xpending = NULL;
}

/* ------------------------------------------------------------------ comparing */

static const char *file_change(json_t *o, json_t *n)
{
	json_int_t om = json_integer_value(json_array_get(o, 0));
	json_int_t nm = json_integer_value(json_array_get(n, 0));
	if ((om & S_IFMT) != (nm & S_IFMT))
		return "type changed";
	if (om != nm)
		return "mode changed";
	if (!json_equal(json_array_get(o, 1), json_array_get(n, 1)) ||
	    !json_equal(json_array_get(o, 2), json_array_get(n, 2)))
		return "owner changed";
	if (!json_equal(json_array_get(o, 4), json_array_get(n, 4)))
		return "link target changed";
	return "content changed";
}

/* What the label's change is called: "file a: mode changed", "build arg V changed". */
static char *change_text(const char *label, json_t *o, json_t *n)
{
	if (!o)
		return xasprintf("%s added", label);
	if (!n)
		return xasprintf("%s removed", label);
	if (bld_str_has_prefix(label, "file "))
		return xasprintf("%s: %s", label, file_change(o, n));
	if (bld_str_has_prefix(label, "base image ") && json_is_string(o) && json_is_string(n))
		return xasprintf("%s: %s -> %s", label, json_string_value(o), json_string_value(n));
	return xasprintf("%s changed", label);
}

/* The first own input of now that differs from old, or NULL; *inherited when the parent did. */
static char *first_change(json_t *old, json_t *now, bool *inherited)
{
	cleanup_json json_t *om = json_object();
	cleanup_json json_t *nm = json_object();
	size_t i;
	json_t *p;
	json_array_foreach(old, i, p)
		json_object_set(om, json_string_value(json_array_get(p, 0)), json_array_get(p, 1));
	json_array_foreach(now, i, p)
		json_object_set(nm, json_string_value(json_array_get(p, 0)), json_array_get(p, 1));
	*inherited = false;
	json_array_foreach(now, i, p) {
		const char *l = json_string_value(json_array_get(p, 0));
		json_t *o = json_object_get(om, l), *n = json_array_get(p, 1);
		if (o && json_equal(o, n))
			continue;
		if (strcmp(l, "parent step") == 0) {
			*inherited = true;
			continue;
		}
		return change_text(l, o, n);
	}
	json_array_foreach(old, i, p) {
		const char *l = json_string_value(json_array_get(p, 0));
		if (!json_object_get(nm, l))
			return change_text(l, json_array_get(p, 1), NULL);
	}
	return NULL;
}

/* The explanation of a miss of the step whose inputs are now (its key was key). */
static char *explain(struct bld_builder_job *b, struct bld_builder_stage *st, const char *key,
		     json_t *now)
{
	if (st->no_cache)
		return xstrdup("--no-cache");
	char id[96];
	step_id(st, id, sizeof(id));
	pthread_mutex_lock(&b->xp->lock);
	const char *prev = json_string_value(json_object_get(last_keys(b), id));
	cleanup_free char *pk = prev ? xstrdup(prev) : NULL;
	pthread_mutex_unlock(&b->xp->lock);
	if (!pk)
		return xstrdup("no earlier build of this step");
	if (strcmp(pk, key) == 0)
		return xstrdup("its result is no longer in the cache");
	cleanup_free char *data = NULL;
	struct bld_error *e = NULL;
	json_t *old = NULL;
	if (bld_cache_build_note_get(b->store, BLD_CACHE_NOTE_INPUTS, pk, &data, &e) == 0)
		bld_json_load_buf(&old, data, strlen(data), NULL);
	bld_error_free(e);
	if (!json_is_array(old)) {
		json_decref(old);
		return xstrdup("the earlier build's inputs were not recorded");
	}
	bool inherited = false;
	cleanup_free char *own = first_change(old, now, &inherited);
	json_decref(old);
	const char *pn = st->xparent_name ? st->xparent_name : "the step before";
	if (own && inherited)
		return xasprintf("%s; and inherits the miss of %s", own, pn);
	if (own)
		return steal_pointer(&own);
	if (inherited)
		return xasprintf("inherits the miss of %s", pn);
	return xstrdup("an input that is not recorded changed (a mount or RUN option)");
}

int bld_builder_explain_miss(struct bld_builder_job *b, struct bld_builder_stage *st, int v,
			     const char *name, const char *key, json_t *own,
			     struct bld_error **err)
{
	cleanup_json json_t *now = json_array();
	if (st->xparent[0])
		json_array_append_new(now, json_pack("[s, s]", "parent step", st->xparent));
	if (st->xpending)
		json_array_extend(now, st->xpending);
	json_array_extend(now, own);
	cleanup_free char *why = explain(b, st, key, now);
	bld_builder_progress_line(b, v, "cache miss: %s", why);
	cleanup_free char *line = xasprintf("%s: %s", name, why);
	pthread_mutex_lock(&b->xp->lock);
	bld_strv_push(&b->xp->lines, line);
	pthread_mutex_unlock(&b->xp->lock);
	cleanup_free char *s = bld_json_dump_canonical(now);
	return bld_cache_build_note_put(b->store, BLD_CACHE_NOTE_INPUTS, key, s, err);
}

/* ------------------------------------------------------------------ the end */

int bld_builder_explain_finish(struct bld_builder_job *b, struct bld_error **err)
{
	struct bld_builder_explain *x = b->xp;
	if (!x)
		return 0;
	for (size_t i = 0; b->o->explain && x->lines && x->lines[i]; i++)
		fprintf(stderr, "explain: %s\n", x->lines[i]);
	if (b->o->explain && !x->lines)
		fprintf(stderr, "explain: every step was CACHED\n");
	json_t *last = last_keys(b);
	cleanup_json json_t *merged = json_deep_copy(last);
	json_object_update(merged, x->now);
	if (json_equal(merged, last))
		return 0;
	cleanup_free char *s = bld_json_dump_canonical(merged);
	return bld_cache_build_note_put(b->store, BLD_CACHE_NOTE_LAST, x->name, s, err);
}

void bld_builder_explain_free(struct bld_builder_explain *x)
{
	if (!x)
		return;
	json_decref(x->last);
	json_decref(x->now);
	bld_strv_free(x->lines);
	pthread_mutex_destroy(&x->lock);
	free(x);
}
