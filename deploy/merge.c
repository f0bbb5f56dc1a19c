/*
 * deploy/merge.c — one compose document merged over another, by the Compose Specification's
 * merge rules as compose-go's override package applies them: mappings merged key by key,
 * sequences appended, scalars replaced; and per attribute: command, entrypoint and
 * healthcheck.test replaced whole; environment, labels, dns, tmpfs, sysctls ... appended as
 * "KEY=VALUE" sequences (map or list alike; duplicates go in unicity.c); build as a string
 * or a mapping; depends_on and networks as a list or a mapping; logging options kept only
 * for the same driver; extra_hosts without repeats; ipam configs by subnet.
 *
 * Also the !reset and !override tags: their paths are removed from what was merged before.
 * Values are taken by reference from the overriding document, which must not be used after.
 */
#include "deploy/deploy_int.h"

typedef json_t *(*merger)(json_t *e, json_t *o, struct bld_deploy_path *p, struct bld_error **err);

static json_t *merge_yaml(json_t *e, json_t *o, struct bld_deploy_path *p, struct bld_error **err);

static json_t *merge_mappings(json_t *m, json_t *other, struct bld_deploy_path *p,
			      struct bld_error **err)
{
	const char *k;
	json_t *v;
	json_object_foreach(other, k, v) {
		json_t *e = json_object_get(m, k);
		if (!e) {
			json_object_set(m, k, v);
			continue;
		}
		bld_deploy_path_enter(p, k);
		json_t *merged = merge_yaml(e, v, p, err);
		bld_deploy_path_leave(p);
		if (!merged)
			return NULL;
		json_object_set_new(m, k, merged);
	}
	return json_incref(m);
}

/* A number or boolean as Go's %v prints it (a string as it is). */
static char *scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v)) {
		for (int prec = 1;; prec++) {
			char *s = xasprintf("%.*g", prec, json_real_value(v));
			if (prec >= 17 || strtod(s, NULL) == json_real_value(v))
				return s;
			free(s);
		}
	}
	return xstrdup(json_is_true(v) ? "true" : json_is_false(v) ? "false" : "");
}

static int cmp_strings(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_strings);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	return arr;
}

/* compose-go's convertIntoSequence: a mapping as sorted "k=v" strings ("k" for a null). */
static json_t *into_sequence(json_t *v)
{
	if (json_is_array(v))
		return json_copy(v);
	json_t *seq = json_array();
	if (json_is_string(v) || !json_is_object(v)) {
		if (json_is_string(v))
			json_array_append(seq, v);
		return seq;
	}
	const char *k;
	json_t *val;
	json_object_foreach(v, k, val) {
		if (json_is_null(val)) {
			json_array_append_new(seq, json_string(k));
			continue;
		}
		cleanup_json json_t *items = json_is_array(val) ? json_incref(val) : json_pack("[O]", val);
		for (size_t i = 0; i < json_array_size(items); i++) {
			cleanup_free char *text = scalar_text(json_array_get(items, i));
			cleanup_free char *kv = xasprintf("%s=%s", k, text);
			json_array_append_new(seq, json_string(kv));
		}
	}
	return sorted(seq);
}

static json_t *merge_to_sequence(json_t *e, json_t *o, struct bld_deploy_path *p,
				 struct bld_error **err)
{
	json_t *seq = into_sequence(e);
	cleanup_json json_t *more = into_sequence(o);
	json_array_extend(seq, more);
	return seq;
}

static json_t *merge_extra_hosts(json_t *e, json_t *o, struct bld_deploy_path *p,
				 struct bld_error **err)
{
	json_t *seq = into_sequence(e);
	cleanup_json json_t *more = into_sequence(o);
	for (size_t i = 0; i < json_array_size(more); i++) {
		json_t *h = json_array_get(more, i);
		bool seen = false;
		for (size_t j = 0; j < json_array_size(seq) && !seen; j++)
			seen = json_equal(json_array_get(seq, j), h);
		if (!seen)
			json_array_append(seq, h);
	}
	return seq;
}

static json_t *replace(json_t *e, json_t *o, struct bld_deploy_path *p, struct bld_error **err)
{
	return json_incref(o);
}

/* compose-go's convertIntoMapping: a list of names as a mapping name -> dflt (a copy each). */
static json_t *into_mapping(json_t *v, const json_t *dflt)
{
	if (!json_is_array(v))
		return json_is_object(v) ? json_copy(v) : json_object();
	json_t *m = json_object();
	for (size_t i = 0; i < json_array_size(v); i++)
		if (json_is_string(json_array_get(v, i)))
			json_object_set_new(m, json_string_value(json_array_get(v, i)),
					    dflt ? json_copy((json_t *)dflt) : json_null());
	return m;
}

static json_t *merge_as_mappings(json_t *e, json_t *o, const json_t *dflt,
				 struct bld_deploy_path *p, struct bld_error **err)
{
	cleanup_json json_t *right = into_mapping(e, dflt);
	cleanup_json json_t *left = into_mapping(o, dflt);
	return merge_mappings(right, left, p, err);
}

static json_t *merge_depends_on(json_t *e, json_t *o, struct bld_deploy_path *p,
				struct bld_error **err)
{
	cleanup_json json_t *dflt = json_pack("{sssb}", "condition", "service_started", "required", 1);
	return merge_as_mappings(e, o, dflt, p, err);
}

static json_t *merge_networks(json_t *e, json_t *o, struct bld_deploy_path *p,
			      struct bld_error **err)
{
	return merge_as_mappings(e, o, NULL, p, err);
}

static json_t *merge_build(json_t *e, json_t *o, struct bld_deploy_path *p, struct bld_error **err)
{
	cleanup_json json_t *right = json_is_string(e) ? json_pack("{sO}", "context", e) : json_copy(e);
	cleanup_json json_t *left = json_is_string(o) ? json_pack("{sO}", "context", o) : json_incref(o);
	if (!json_is_object(right) || !json_is_object(left))
		return json_incref(o);
	return merge_mappings(right, left, p, err);
}

static json_t *merge_logging(json_t *e, json_t *o, struct bld_deploy_path *p,
			     struct bld_error **err)
{
	json_t *d = json_object_get(o, "driver"), *c = json_object_get(e, "driver");
	if (!json_is_object(e) || !json_is_object(o))
		return json_incref(o);
	if (!d || !c || json_equal(d, c))
		return merge_mappings(e, o, p, err);
	return json_incref(o);
}

static bool same_subnet(json_t *a, json_t *b)
{
	json_t *x = json_object_get(a, "subnet"), *y = json_object_get(b, "subnet");
	return x == y || (x && y && json_equal(x, y));
}

static long index_by_subnet(json_t *configs, json_t *c)
{
	for (size_t i = 0; i < json_array_size(configs); i++)
		if (same_subnet(json_array_get(configs, i), c))
			return (long)i;
	return -1;
}

/* compose-go's mergeIPAMConfig: configs of the same subnet merged, others added. */
static json_t *merge_ipam_config(json_t *e, json_t *o, struct bld_deploy_path *p,
				 struct bld_error **err)
{
	if (!json_is_array(e) || !json_is_array(o))
		return json_incref(o);
	json_t *out = json_array();
	for (size_t i = 0; i < json_array_size(e); i++) {
		cleanup_json json_t *right = into_mapping(json_array_get(e, i), NULL);
		for (size_t j = 0; j < json_array_size(o); j++) {
			json_t *left = json_array_get(o, j);
			if (!same_subnet(left, right) && index_by_subnet(out, left) < 0) {
				json_array_append(out, left);
				continue;
			}
			cleanup_json json_t *merged = merge_mappings(right, left, p, err);
			long at = index_by_subnet(out, merged);
			if (at >= 0)
				json_array_set_new(out, (size_t)at, json_deep_copy(merged));
			else
				json_array_append_new(out, json_deep_copy(merged));
		}
	}
	return out;
}

static const struct {
	const char *pattern;
	merger fn;
} specials[] = {
	{"networks.*.ipam.config", merge_ipam_config},
	{"networks.*.labels", merge_to_sequence},
	{"volumes.*.labels", merge_to_sequence},
	{"services.*.annotations", merge_to_sequence},
	{"services.*.build", merge_build},
	{"services.*.build.args", merge_to_sequence},
	{"services.*.build.additional_contexts", merge_to_sequence},
	{"services.*.build.extra_hosts", merge_extra_hosts},
	{"services.*.build.labels", merge_to_sequence},
	{"services.*.command", replace},
	{"services.*.depends_on", merge_depends_on},
	{"services.*.deploy.labels", merge_to_sequence},
	{"services.*.dns", merge_to_sequence},
	{"services.*.dns_opt", merge_to_sequence},
	{"services.*.dns_search", merge_to_sequence},
	{"services.*.entrypoint", replace},
	{"services.*.env_file", merge_to_sequence},
	{"services.*.label_file", merge_to_sequence},
	{"services.*.environment", merge_to_sequence},
	{"services.*.extra_hosts", merge_extra_hosts},
	{"services.*.healthcheck.test", replace},
	{"services.*.labels", merge_to_sequence},
	{"services.*.volumes.*.volume.labels", merge_to_sequence},
	{"services.*.logging", merge_logging},
	{"services.*.networks", merge_networks},
	{"services.*.sysctls", merge_to_sequence},
	{"services.*.tmpfs", merge_to_sequence},
	{"services.*.ulimits.*", replace},
};

/* e merged with o at p: a new reference, or NULL with *err set. */
static json_t *merge_yaml(json_t *e, json_t *o, struct bld_deploy_path *p, struct bld_error **err)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(specials); i++)
		if (bld_deploy_path_match(p, specials[i].pattern))
			return specials[i].fn(e, o, p, err);
	if (json_is_null(o))
		return json_incref(e);
	if ((json_is_object(e) && !json_is_object(o)) || (json_is_array(e) && !json_is_array(o))) {
		cleanup_free char *path = bld_deploy_path_dotted(p);
		bld_error_set(err, BLD_E_INVALID, "cannot override %s", path);
		return NULL;
	}
	if (json_is_object(e))
		return merge_mappings(e, o, p, err);
	if (json_is_array(e)) {
		json_t *seq = json_copy(e);
		json_array_extend(seq, o);
		return seq;
	}
	return json_incref(o);
}

int bld_deploy_merge(json_t *base, json_t *over, const char *root, struct bld_error **err)
{
	struct bld_deploy_path p = {.n = 0};
	cleanup_free char *r = xstrdup(root ? root : "");
	cleanup_strv char **parts = bld_strv_split(r, ".");
	for (size_t i = 0; parts && parts[i]; i++)
		bld_deploy_path_enter(&p, parts[i]);
	json_t *m = merge_mappings(base, over, &p, err);
	if (!m)
		return -BLD_E_INVALID;
	json_decref(m);
	return 0;
}

/* The next part of a JSON Pointer at *s, unescaped; *s moves past it. */
static char *pointer_part(const char **s)
{
	const char *end = strchrnul(*s, '/');
	struct bld_buf b = BLD_BUF_INIT;
	for (const char *c = *s; c < end; c++) {
		if (*c == '~' && (c[1] == '0' || c[1] == '1'))
			bld_buf_addc(&b, *++c == '0' ? '~' : '/');
		else
			bld_buf_addc(&b, *c);
	}
	*s = *end ? end + 1 : end;
	return bld_buf_detach(&b);
}

/* Removes the mapping member at pointer from target (compose-go removes nothing from a
 * sequence). */
static void remove_at(json_t *target, const char *pointer)
{
	const char *s = pointer + (*pointer == '/');
	json_t *v = target;
	while (json_is_object(v) && *pointer) {
		cleanup_free char *part = pointer_part(&s);
		if (!*s && s[-1] != '/') {
			json_object_del(v, part);
			return;
		}
		v = json_object_get(v, part);
	}
}

void bld_deploy_reset_apply(json_t *target, const struct bld_deploy_doc *doc)
{
	for (size_t i = 0; i < json_array_size(doc->resets); i++)
		remove_at(target, json_string_value(json_array_get(doc->resets, i)));
	for (size_t i = 0; i < json_array_size(doc->overrides); i++)
		remove_at(target, json_string_value(json_array_get(doc->overrides, i)));
}
