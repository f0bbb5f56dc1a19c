/*
 * deploy/extends.c — `extends`, as compose-go applies it to each document before the document
 * is merged: a service that extends another (in the same document, or in another file,
 * whose relative paths are first made absolute against that file's directory) starts as a
 * copy of it, loses what its own document tagged !reset or !override, and is merged over it
 * by the merge rules (merge.c). Chains are followed; a circle is refused.
 */
#include "deploy/deploy_int.h"

/* One step of the chain being followed: (file, service), and the step before it. */
struct chain {
	const char *file, *service;
	const struct chain *prev;
};

struct ext {
	struct bld_deploy_load *l;
	const json_t *env;
	const char *workdir; /* relative extends.file paths start here */
};

static int circle(const struct chain *c, const char *file, const char *service,
		  struct bld_error **err)
{
	struct bld_buf b = BLD_BUF_INIT;
	const struct chain *steps[64];
	size_t n = 0;
	for (const struct chain *s = c; s && n < BLD_ARRAY_SIZE(steps); s = s->prev)
		steps[n++] = s;
	bld_buf_printf(&b, "circular reference: %s in %s", steps[n - 1]->service,
		       steps[n - 1]->file);
	for (size_t i = n - 1; i-- > 0;)
		bld_buf_printf(&b, ", extends %s in %s", steps[i]->service, steps[i]->file);
	bld_buf_printf(&b, ", extends %s in %s", service, file);
	int r = bld_error_set(err, BLD_E_INVALID, "%s", bld_buf_str(&b));
	bld_buf_dispose(&b);
	return r;
}

static bool in_chain(const struct chain *c, const char *file, const char *service)
{
	for (; c; c = c->prev)
		if (strcmp(c->file, file) == 0 && strcmp(c->service, service) == 0)
			return true;
	return false;
}

static int apply_service(struct ext *x, const char *name, json_t *services, const char *file,
			 const struct bld_deploy_doc *doc, const struct chain *chain,
			 json_t **out, struct bld_error **err);

/* The documents of an extended file merged (not included, not extended), its paths absolute
 * against its directory; *tags gets the last document's !reset and !override paths. */
static int load_other(struct ext *x, const char *path, json_t **dict,
		      struct bld_deploy_doc *tags, struct bld_error **err)
{
	struct bld_deploy_doc *docs = NULL;
	size_t n = 0;
	struct bld_deploy_srcmap map;
	bld_deploy_srcmap_init(&map);
	int r = bld_deploy_file_docs(x->l, path, x->env, &map, &docs, &n, err);
	bld_deploy_srcmap_add_missing(&x->l->map, &map);
	bld_deploy_srcmap_dispose(&map);
	if (r < 0)
		return r;
	*dict = json_object();
	for (size_t i = 0; r == 0 && i < n; i++) {
		bld_deploy_reset_apply(*dict, &docs[i]);
		r = bld_deploy_merge(*dict, docs[i].root, "", err);
		if (r == 0)
			r = bld_deploy_unicity(*dict, err);
	}
	if (n > 0) {
		tags->resets = json_incref(docs[n - 1].resets);
		tags->overrides = json_incref(docs[n - 1].overrides);
	}
	bld_deploy_docs_free(docs, n);
	cleanup_free char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	bld_deploy_resolve_paths(*dict, *dir ? dir : "/");
	return r;
}

/* The services of the file a service extends, which must have ref. */
static int other_services(struct ext *x, const char *name, const char *ref, const char *from,
			  const char *path, json_t **services, struct bld_deploy_doc *tags,
			  struct bld_error **err)
{
	cleanup_json json_t *dict = NULL;
	if (load_other(x, path, &dict, tags, err) < 0)
		return -(*err)->code;
	json_t *s = json_object_get(dict, "services");
	if (!s)
		return bld_error_set(err, BLD_E_INVALID,
				     "cannot extend service \"%s\" in %s: no services section", name,
				     path);
	if (!json_is_object(s))
		return bld_error_set(err, BLD_E_INVALID,
				     "cannot extend service \"%s\" in %s: services must be a mapping",
				     name, path);
	if (!json_object_get(s, ref))
		return bld_error_set(err, BLD_E_INVALID,
				     "cannot extend service \"%s\" in %s: service \"%s\" not found in %s",
				     name, from, ref, path);
	*services = json_incref(s);
	return 0;
}

/* The service to extend: ref, and the file it is in when another (absolute). */
static int reference(struct ext *x, const char *name, json_t *ext, const char **ref,
		     char **file, struct bld_error **err)
{
	*file = NULL;
	if (json_is_string(ext)) {
		*ref = json_string_value(ext);
		return 0;
	}
	*ref = bld_json_get_str(ext, "service");
	if (!*ref)
		return bld_error_set(err, BLD_E_INVALID, "extends.%s.service is required", name);
	const char *f = bld_json_get_str(ext, "file");
	if (f)
		*file = bld_deploy_abs_path(x->workdir, f);
	return 0;
}

/* The copy of base that name starts from: what name's document reset is taken out of it. */
static json_t *starting_copy(json_t *base, const char *name, const struct bld_deploy_doc *doc)
{
	json_t *source = json_deep_copy(base);
	cleanup_json json_t *wrap = json_pack("{s{sO}}", "services", name, source);
	bld_deploy_reset_apply(wrap, doc);
	return source;
}

/* Where the base of name is: its services, its file and its document's tags. */
struct base {
	json_t *services;
	char *file;
	struct bld_deploy_doc tags;
};

static void base_dispose(struct base *b)
{
	json_decref(b->services);
	free(b->file);
	json_decref(b->tags.resets);
	json_decref(b->tags.overrides);
}

static int find_base(struct ext *x, const char *name, json_t *ext, json_t *services,
		     const char *file, const char **ref, struct base *b, struct bld_error **err)
{
	cleanup_free char *other = NULL;
	if (reference(x, name, ext, ref, &other, err) < 0)
		return -BLD_E_INVALID;
	if (other) {
		b->file = steal_pointer(&other);
		return other_services(x, name, *ref, file, b->file, &b->services, &b->tags, err);
	}
	if (!json_object_get(services, *ref))
		return bld_error_set(err, BLD_E_INVALID,
				     "cannot extend service \"%s\" in %s: service \"%s\" not found",
				     name, file, *ref);
	b->services = json_incref(services);
	b->file = xstrdup(file);
	return 0;
}

static int apply_service(struct ext *x, const char *name, json_t *services, const char *file,
			 const struct bld_deploy_doc *doc, const struct chain *chain,
			 json_t **out, struct bld_error **err)
{
	json_t *s = json_object_get(services, name), *ext = json_object_get(s, "extends");
	*out = NULL;
	if (!s || json_is_null(s))
		return 0;
	if (!json_is_object(s))
		return bld_error_set(err, BLD_E_INVALID, "services.%s must be a mapping", name);
	if (!ext) {
		*out = json_incref(s);
		return 0;
	}
	struct base b = {NULL, NULL, {NULL, NULL, NULL}};
	const char *ref = NULL;
	int r = find_base(x, name, ext, services, file, &ref, &b, err);
	if (r == 0 && in_chain(chain, b.file, name))
		r = circle(chain, b.file, name, err);
	struct chain next = {b.file, name, chain};
	cleanup_json json_t *base = NULL;
	if (r == 0)
		r = apply_service(x, ref, b.services, b.file, b.tags.resets ? &b.tags : doc, &next,
				  &base, err);
	if (r == 0 && !base)
		*out = json_incref(s);
	if (r == 0 && base) {
		cleanup_json json_t *merged = starting_copy(base, name, doc);
		r = bld_deploy_merge(merged, s, "services.x", err);
		json_object_del(merged, "extends");
		json_object_set(services, name, merged);
		*out = steal_pointer(&merged);
	}
	base_dispose(&b);
	return r;
}

int bld_deploy_extends_apply(struct bld_deploy_load *l, const char *file, const char *workdir,
			     const json_t *env, json_t *cfg, const struct bld_deploy_doc *doc,
			     struct bld_error **err)
{
	json_t *services = json_object_get(cfg, "services");
	if (!services)
		return 0;
	if (!json_is_object(services))
		return bld_error_set(err, BLD_E_INVALID, "services must be a mapping");
	struct ext x = {l, env, workdir};
	const char *name;
	json_t *s;
	void *tmp;
	json_object_foreach_safe(services, tmp, name, s) {
		cleanup_json json_t *merged = NULL;
		if (apply_service(&x, name, services, file, doc, NULL, &merged, err) < 0)
			return -(*err)->code;
	}
	return 0;
}
