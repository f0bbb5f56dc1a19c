/*
 * registry/names.c — images by the names docker gives them: a user's name normalised as a
 * pull would name it ("busybox" is docker.io/library/busybox:latest) and shown back the
 * familiar way, an image found by name first and by ID second, the store's images grouped
 * by ID with their tags and digests (docker images), one image as docker inspect shows it,
 * tagging and removal with docker's refusals and events. Both front ends call these, so
 * `bld images` and the Engine API's /images/json agree; neither prints here.
 */
#include "registry/registry.h"

#include <jansson.h>

int bld_registry_full_name(const char *arg, char **out, struct bld_error **err)
{
	struct bld_registry_ref r;
	int rc = bld_registry_ref_parse(&r, arg, err);
	if (rc < 0)
		return rc;
	*out = bld_registry_ref_string(&r);
	bld_registry_ref_dispose(&r);
	return 0;
}

char *bld_registry_familiar(const char *full)
{
	struct bld_registry_ref r;
	struct bld_error *e = NULL;
	if (bld_registry_ref_parse(&r, full, &e) < 0) {
		bld_error_free(e);
		return xstrdup(full);
	}
	char *f = bld_registry_ref_familiar(&r);
	bld_registry_ref_dispose(&r);
	return f;
}

void bld_registry_repo_tag(const char *full, char **repo, char **tag, char **digest)
{
	struct bld_registry_ref r;
	struct bld_error *e = NULL;
	*repo = *tag = *digest = NULL;
	if (bld_registry_ref_parse(&r, full, &e) < 0) {
		bld_error_free(e);
		*repo = xstrdup(full);
		return;
	}
	*repo = bld_registry_ref_familiar_name(&r);
	if (r.tag)
		*tag = xstrdup(r.tag);
	if (r.digest)
		*digest = xstrdup(r.digest);
	bld_registry_ref_dispose(&r);
}

int bld_registry_image_find(struct bld_store *s, const char *arg, struct bld_cache_image **out,
		       struct bld_error **err)
{
	cleanup_free char *full = NULL;
	struct bld_error *e = NULL;
	if (bld_registry_full_name(arg, &full, &e) == 0 &&
	    bld_cache_image_load(s, full, out, &e) == 0)
		return 0;
	bld_error_free(e);
	e = NULL;
	int r = bld_cache_image_load(s, arg, out, &e);
	if (r == 0)
		return 0;
	if (e->code == BLD_E_NOTFOUND) {
		bld_error_free(e);
		return bld_error_set(err, BLD_E_NOTFOUND, "no such image: %s", arg);
	}
	bld_error_move(err, &e);
	return r;
}

struct images {
	struct bld_registry_image_names *v;
	size_t n;
};

static struct bld_registry_image_names *image_for(struct bld_store *s, struct images *is,
			       const struct bld_cache_image *img)
{
	for (size_t i = 0; i < is->n; i++)
		if (strcmp(is->v[i].id, img->id) == 0)
			return &is->v[i];
	is->v = xrealloc(is->v, (is->n + 1) * sizeof(*is->v));
	struct bld_registry_image_names *im = &is->v[is->n++];
	memset(im, 0, sizeof(*im));
	memcpy(im->id, img->id, sizeof(im->id));
	const char *c = bld_json_get_str(img->config, "created");
	im->created_str = xstrdup(c ? c : "");
	im->created = bld_time_parse(c);
	im->size = bld_cache_image_size(s, img);
	im->labels = json_incref(json_object_get(json_object_get(img->config, "config"), "Labels"));
	return im;
}

static void push_pair(char ***v, const char *repo, const char *what)
{
	cleanup_free char *p = xasprintf("%s\t%s", repo, what);
	for (size_t i = 0; *v && (*v)[i]; i++)
		if (strcmp((*v)[i], p) == 0)
			return;
	bld_strv_push(v, p);
}

/* An index entry: its image, and its name as a tag or a digest of its repository (a tag
 * pulled or pushed also gives its repository the digest the registry has for it). */
static void add_entry(struct bld_store *s, struct images *is, const struct bld_cache_desc *d)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (bld_cache_image_load_digest(s, d->digest, &img, &e) < 0) {
		bld_warn("image %s: %s", d->name ? d->name : d->digest, e->msg);
		bld_error_free(e);
		return;
	}
	struct bld_registry_image_names *im = image_for(s, is, img);
	bld_cache_image_free(img);
	if (!d->name)
		return;
	cleanup_free char *repo = NULL, *tag = NULL, *digest = NULL;
	bld_registry_repo_tag(d->name, &repo, &tag, &digest);
	if (tag)
		push_pair(&im->tags, repo, tag);
	if (digest || d->repo_digest[0])
		push_pair(&im->digests, repo, digest ? digest : d->repo_digest);
}

void bld_registry_images_free(struct bld_registry_image_names *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].created_str);
		bld_strv_free(v[i].tags);
		bld_strv_free(v[i].digests);
		json_decref(v[i].labels);
	}
	free(v);
}

int bld_registry_images_list(struct bld_store *s, struct bld_registry_image_names **out,
			     size_t *n, struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t nd = 0;
	if (bld_cache_ref_list_all(s, &v, &nd, err) < 0)
		return -1;
	struct images is = {0};
	for (size_t i = 0; i < nd; i++)
		add_entry(s, &is, &v[i]);
	bld_cache_desc_list_free(v, nd);
	*out = is.v;
	*n = is.n;
	return 0;
}

json_t *bld_registry_config_json(const json_t *c)
{
	static const char *const keys[] = {"Hostname", "Domainname", "User", "AttachStdin",
		"AttachStdout", "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce",
		"Env", "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes", "WorkingDir",
		"Entrypoint", "OnBuild", "Labels", "StopSignal", "Shell"};
	static const char optional[] = "ExposedPorts Healthcheck ArgsEscaped StopSignal Shell";
	json_t *o = json_object();
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(c, keys[i]);
		if (v)
			json_object_set(o, keys[i], v);
		else if (strstr(optional, keys[i]))
			continue;
		else if (i >= 3 && i <= 9)
			json_object_set_new(o, keys[i], json_false());
		else if (!strcmp(keys[i], "Hostname") || !strcmp(keys[i], "Domainname") ||
			 !strcmp(keys[i], "User") || !strcmp(keys[i], "Image") ||
			 !strcmp(keys[i], "WorkingDir"))
			json_object_set_new(o, keys[i], json_string(""));
		else
			json_object_set_new(o, keys[i], json_null());
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)c, k, v)
		if (!json_object_get(o, k))
			json_object_set(o, k, v);
	return o;
}

/* docker's RepoTags and RepoDigests: the names of every manifest of this config (a v2s2
 * pull stored beside the OCI one is the same image), and the digests recorded for them. */
static void split_names(struct bld_store *s, const struct bld_cache_image *img, json_t *tags,
			json_t *digests)
{
	cleanup_strv char **names = NULL, **rds = NULL;
	if (bld_cache_image_tags(s, img, &names, NULL) < 0 ||
	    bld_cache_image_repo_digests(s, img, &rds, NULL) < 0)
		return;
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_free char *f = bld_registry_familiar(names[i]);
		json_array_append_new(tags, json_string(f));
	}
	for (size_t i = 0; rds && rds[i]; i++) {
		cleanup_free char *f = bld_registry_familiar(rds[i]);
		json_array_append_new(digests, json_string(f));
	}
}

static const char *str_or(const json_t *o, const char *k, const char *def)
{
	const char *v = bld_json_get_str(o, k);
	return v ? v : def;
}

/* docker's: a Comment the config lacks is its last history entry's (a commit's -m, an
 * import's message); a committed image names its Container and ContainerConfig. */
static void add_commit_fields(json_t *o, const json_t *c)
{
	json_t *h = json_object_get(c, "history");
	const char *last = bld_json_get_str(json_array_get(h, json_array_size(h) - 1), "comment");
	if (!*bld_json_get_str(o, "Comment") && json_array_size(h) && last)
		json_object_set_new(o, "Comment", json_string(last));
	if (bld_json_get_str(c, "container"))
		json_object_set_new(o, "Container", json_string(bld_json_get_str(c, "container")));
	json_t *cc = json_object_get(c, "container_config");
	if (json_is_object(cc))
		json_object_set_new(o, "ContainerConfig", bld_registry_config_json(cc));
}

json_t *bld_registry_image_json(struct bld_store *s, const struct bld_cache_image *img)
{
	json_t *tags = json_array(), *digests = json_array();
	split_names(s, img, tags, digests);
	const json_t *c = img->config;
	json_t *rootfs = json_object_get(c, "rootfs");
	json_t *layers = json_object_get(rootfs, "diff_ids");
	json_t *o = json_pack(
		"{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:{s:n, s:s}, "
		"s:{s:s, s:O}, s:{s:s}}",
		"Id", img->id, "RepoTags", tags, "RepoDigests", digests, "Parent", "", "Comment",
		str_or(c, "comment", ""), "Created", str_or(c, "created", ""), "DockerVersion",
		str_or(c, "docker_version", ""), "Author", str_or(c, "author", ""), "Config",
		bld_registry_config_json(json_object_get(c, "config")), "Architecture",
		str_or(c, "architecture", ""), "Os", str_or(c, "os", ""), "Size",
		(json_int_t)bld_cache_image_size(s, img), "GraphDriver", "Data", "Name", "overlay",
		"RootFS", "Type", "layers", "Layers", layers ? layers : json_array(), "Metadata",
		"LastTagTime", "0001-01-01T00:00:00Z");
	if (bld_json_get_str(c, "variant"))
		json_object_set_new(o, "Variant", json_string(bld_json_get_str(c, "variant")));
	add_commit_fields(o, c);
	return o;
}

int bld_registry_image_tag(struct bld_store *s, const char *source, const char *target_arg,
			   struct bld_error **err)
{
	cleanup_free char *target = NULL;
	if (bld_registry_full_name(target_arg, &target, err) < 0)
		return -1;
	struct bld_cache_image *img = NULL;
	struct bld_cache_desc d = {0};
	int r = bld_registry_image_find(s, source, &img, err);
	/* by name: that entry (two names can share the OCI manifest with different originals,
	 * e.g. --format oci and --format docker builds of the same image) */
	bool by_name = r == 0 && img->name && bld_cache_ref_get(s, img->name, &d, NULL) == 0;
	if (r == 0 && !by_name)
		r = bld_cache_ref_find_digest(
			s, img->index_digest[0] ? img->index_digest : img->manifest_digest, &d, err);
	d.repo_digest[0] = '\0'; /* a registry's digest belongs to the name it was pulled as */
	if (r == 0)
		r = bld_cache_ref_set_desc(s, target, &d, err); /* with its original manifest */
	cleanup_free char *fam = r == 0 ? bld_registry_familiar(target) : NULL;
	if (r == 0)
		bld_cache_image_event(s, "tag", img->id, fam);
	bld_cache_desc_dispose(&d);
	bld_cache_image_free(img);
	return r < 0 ? r : 0;
}

/* The exact stored name for arg when there is one (so that rmi NAME only untags). */
static char *stored_name(struct bld_store *s, const char *arg)
{
	char *full = NULL;
	struct bld_error *e = NULL;
	struct bld_cache_desc d;
	if (bld_registry_full_name(arg, &full, &e) < 0 || bld_cache_ref_get(s, full, &d, &e) < 0) {
		bld_error_free(e);
		free(full);
		return NULL;
	}
	bld_cache_desc_dispose(&d);
	return full;
}

/* docker refuses to remove an image a container uses unless forced; a name of an image that
 * has other names is only untagged, which docker allows. */
static int in_use(struct bld_store *s, const char *arg, char **used, char **cids,
		  struct bld_error **err)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (bld_registry_image_find(s, arg, &img, &e) < 0) {
		bld_error_free(e);
		return 0;
	}
	cleanup_free char *name = stored_name(s, arg);
	cleanup_strv char **tags = NULL;
	if (name && bld_cache_image_tags(s, img, &tags, NULL) == 0 && bld_strv_len(tags) > 1) {
		bld_cache_image_free(img);
		return 0;
	}
	int r = 0;
	for (size_t i = 0; used && used[i] && r == 0; i++)
		if (strcmp(used[i], img->id) == 0)
			r = bld_error_set(err, BLD_E_EXISTS,
					  "conflict: unable to remove repository reference \"%s\" "
					  "(must force) - container %.12s is using its referenced "
					  "image %.12s", arg, cids[i], img->id + 7);
	bld_cache_image_free(img);
	return r;
}

/* docker's untag (per name) and delete events; both name the image by its ID. */
static void image_events(struct bld_store *s, const char *id, char **untagged,
			 const char *deleted)
{
	for (size_t i = 0; *id && untagged && untagged[i]; i++)
		bld_cache_image_event(s, "untag", id, id);
	if (deleted)
		bld_cache_image_event(s, "delete", deleted, deleted);
}

int bld_registry_image_remove(struct bld_store *s, const char *arg, bool force, char **used,
			      char **cids, char ***untagged_out, char **deleted_out,
			      struct bld_error **err)
{
	if (!force && in_use(s, arg, used, cids, err) < 0)
		return -1;
	cleanup_free char *name = stored_name(s, arg);
	cleanup_strv char **untagged = NULL;
	cleanup_free char *deleted = NULL;
	char id[BLD_DIGEST_STR_LEN] = "";
	struct bld_cache_image *img = NULL;
	if (bld_registry_image_find(s, arg, &img, NULL) == 0)
		snprintf(id, sizeof(id), "%s", img->id);
	bld_cache_image_free(img);
	int r = bld_cache_image_remove(s, name ? name : arg, force, &untagged, &deleted, err);
	if (r < 0) {
		if ((*err)->code == BLD_E_NOTFOUND) {
			bld_error_free(*err);
			*err = NULL;
			return bld_error_set(err, BLD_E_NOTFOUND, "no such image: %s", arg);
		}
		return r;
	}
	image_events(s, id, untagged, deleted);
	for (size_t i = 0; untagged && untagged[i]; i++) {
		char *f = bld_registry_familiar(untagged[i]);
		free(untagged[i]);
		untagged[i] = f;
	}
	*untagged_out = steal_pointer(&untagged);
	*deleted_out = steal_pointer(&deleted);
	return 0;
}

/* Whether every one of docker's filters of key ("label=K[=V]" or "label!=K[=V]") matches
 * labels (its MatchKVList); *any: whether there was one. */
static bool labels_all(const json_t *labels, char *const *filters, const char *key, bool *any)
{
	size_t kl = strlen(key);
	*any = false;
	for (size_t i = 0; filters && filters[i]; i++) {
		if (strncmp(filters[i], key, kl) != 0 || filters[i][kl] != '=')
			continue;
		*any = true;
		const char *kv = filters[i] + kl + 1, *eq = strchr(kv, '=');
		cleanup_free char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
		const char *v = bld_json_get_str(labels, k);
		if (!v || (eq && strcmp(v, eq + 1) != 0))
			return false;
	}
	return true;
}

/* Whether the image config made was created after until (docker's until: an image without
 * a creation time is as old as can be). */
static bool made_after(const json_t *config, int64_t until)
{
	int64_t t;
	return bld_time_parse_ns(bld_json_get_str(config, "created"), &t) == 0 && t > until;
}

/* Whether the prune keeps the image of the entry digest: one a container uses (used: image
 * IDs), one made after until (when given), or one docker's label filters leave out (its
 * matchLabels). */
static bool prune_keeps(struct bld_store *s, const char *digest, char **used,
			char *const *filters, const int64_t *until)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (bld_cache_image_load_digest(s, digest, &img, &e) < 0) {
		bld_error_free(e);
		return false;
	}
	bool r = until && made_after(img->config, *until), any = false;
	for (size_t i = 0; used && used[i] && !r; i++)
		r = strcmp(used[i], img->id) == 0;
	const json_t *labels = json_object_get(json_object_get(img->config, "config"), "Labels");
	r = r || !labels_all(labels, filters, "label", &any);
	r = r || (labels_all(labels, filters, "label!", &any) && any);
	bld_cache_image_free(img);
	return r;
}

/* The key of filter ("label!=a=b": "label!"), its length. */
static size_t filter_key_len(const char *f)
{
	size_t n = strcspn(f, "=");
	return n > 0 && f[n - 1] == '!' ? n - 1 : n;
}

int bld_registry_image_prune_filters(char *const *filters, bool *all, const char **until,
				     struct bld_error **err)
{
	static const char *const keys[] = {"dangling", "label", "until", NULL};
	*until = NULL;
	for (size_t i = 0; filters && filters[i]; i++) {
		const char *f = filters[i];
		size_t k = 0, n = filter_key_len(f);
		while (keys[k] && (strlen(keys[k]) != n || strncmp(keys[k], f, n) != 0))
			k++;
		if (!keys[k])
			return bld_error_set(err, BLD_E_INVALID, "Invalid filter '%.*s'",
					     (int)strcspn(f, "="), f);
		const char *v = strchr(f, '=') ? strchr(f, '=') + 1 : "";
		if (bld_str_has_prefix(f, "until=")) {
			if (*until)
				return bld_error_set(err, BLD_E_INVALID,
						     "more than one until filter specified");
			*until = v;
		} else if (bld_str_has_prefix(f, "dangling=")) {
			if (!strcmp(v, "false") || !strcmp(v, "0"))
				*all = true;
			else if (strcmp(v, "true") != 0 && strcmp(v, "1") != 0)
				return bld_error_set(err, BLD_E_INVALID,
						     "Invalid filter 'dangling=[%s]'", v);
		}
	}
	return 0;
}

int bld_registry_image_prune(struct bld_store *s, bool all, char **used, char *const *filters,
			     const int64_t *until, bld_registry_prune_fn fn, void *arg,
			     struct bld_error **err)
{
	struct bld_cache_desc *v = NULL;
	size_t n = 0;
	int r = bld_cache_ref_list_all(s, &v, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if ((v[i].name && !all) || prune_keeps(s, v[i].digest, used, filters, until))
			continue; /* images containers use stay, as docker keeps them */
		cleanup_strv char **untagged = NULL;
		cleanup_free char *deleted = NULL;
		struct bld_error *e = NULL;
		if (bld_registry_image_remove(s, v[i].name ? v[i].name : v[i].digest, true, NULL,
					      NULL, &untagged, &deleted, &e) < 0) {
			bld_error_free(e); /* already gone with an earlier name */
			continue;
		}
		fn(arg, untagged, deleted);
	}
	bld_cache_desc_list_free(v, n);
	return r;
}

char *bld_registry_save_tag(const struct bld_cache_image *img, const char *arg)
{
	if (!img->name || strcmp(img->name, arg) == 0 || bld_str_has_prefix(img->name, "sha256:"))
		return img->name && strchr(arg, ':') ? bld_registry_familiar(img->name) : NULL;
	cleanup_free char *full = NULL;
	struct bld_error *e = NULL;
	if (bld_registry_full_name(arg, &full, &e) < 0 || strcmp(full, img->name) != 0) {
		bld_error_free(e);
		return NULL;
	}
	return bld_registry_familiar(img->name);
}

int bld_registry_load_name(struct bld_store *s, const struct bld_cache_loaded *l, char ***lines,
			   struct bld_error **err)
{
	bool named = false;
	for (size_t k = 0; l->names && l->names[k]; k++) {
		cleanup_free char *full = NULL;
		struct bld_error *e = NULL;
		if (bld_registry_full_name(l->names[k], &full, &e) < 0) {
			bld_warn("load: name %s ignored: %s", l->names[k], e->msg);
			bld_error_free(e);
			continue;
		}
		if (bld_cache_ref_set(s, full, l->digest, l->media_type, l->size, err) < 0)
			return -1;
		named = true;
		cleanup_free char *f = bld_registry_familiar(full);
		cleanup_free char *line = xasprintf("Loaded image: %s", f);
		bld_strv_push(lines, line);
	}
	struct bld_cache_image *img = NULL;
	if (bld_cache_image_load_digest(s, l->digest, &img, NULL) == 0) {
		if (!named) {
			cleanup_free char *line = xasprintf("Loaded image ID: %s", img->id);
			bld_strv_push(lines, line);
		}
		bld_cache_image_event(s, "load", img->id, img->id);
	}
	bld_cache_image_free(img);
	return 0;
}

size_t bld_registry_image_history(const struct bld_cache_image *img,
				  struct bld_registry_history_step **out)
{
	json_t *layers = json_object_get(img->manifest, "layers");
	json_t *hist = json_object_get(img->config, "history");
	/* no history recorded: one step per layer, as docker shows it */
	bool synth = json_array_size(hist) == 0;
	size_t n = synth ? json_array_size(layers) : json_array_size(hist);
	*out = xcalloc(n ? n : 1, sizeof(**out));
	size_t li = 0;
	for (size_t i = 0; i < n; i++) {
		struct bld_registry_history_step *s = &(*out)[i];
		json_t *h = synth ? NULL : json_array_get(hist, i);
		s->created = bld_json_get_str(synth ? img->config : h, "created");
		s->created_by = bld_json_get_str(h, "created_by");
		s->comment = bld_json_get_str(h, "comment");
		if (!json_is_true(json_object_get(h, "empty_layer")))
			s->size = json_integer_value(
				json_object_get(json_array_get(layers, li++), "size"));
	}
	return n;
}
