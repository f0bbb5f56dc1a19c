/*
 * deploy/schema.c — validation of a compose document (a jansson value) against the Compose
 * Specification's JSON Schema (deploy/compose-spec.json, compose-spec/compose-spec @ 170098b,
 * Apache-2.0, embedded in the binary and loaded with jansson on first use).
 *
 * It implements the JSON-Schema keywords that file and its draft use: $ref to #/definitions,
 * type, properties, patternProperties, additionalProperties, required, oneOf, anyOf, allOf,
 * not, enum, const, items, uniqueItems, minimum, maximum, pattern, minItems, maxItems,
 * format duration. Of every failure it reports the most specific one as compose-go does (the
 * deepest instance location; an unknown key counts one deeper), worded as compose-go words it
 * ("services.web additional properties 'foo' not allowed"), with the location as a list of keys
 * so that the caller can name the file and line. It parses nothing: the schema and the document
 * are jansson values, patterns are POSIX extended regular expressions (the schema's are).
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <regex.h>
#include <string.h>

__asm__(".section .rodata\n"
	".global bld_deploy_compose_spec\n"
	"bld_deploy_compose_spec:\n"
	".incbin \"deploy/compose-spec.json\"\n"
	".byte 0\n"
	".previous\n");
extern const char bld_deploy_compose_spec[];

#define SCHEMA_MAX_DEPTH 64 /* instance nesting the validator follows */
#define SCHEMA_MAX_REGEX 96 /* distinct patterns cached per validation */

struct failure {
	json_t *path; /* instance location: keys and indices as strings */
	char *key;    /* for an unknown key, that key: the location to show is its line */
	char *msg;
	int specificity;
};

struct validator {
	const json_t *root;
	const char *keys[SCHEMA_MAX_DEPTH];
	char idx[SCHEMA_MAX_DEPTH][24];
	int depth;
	struct {
		const char *pattern;
		regex_t re;
		bool ok;
	} regex[SCHEMA_MAX_REGEX];
	int nregex;
};

static int check(struct validator *v, const json_t *schema, const json_t *inst,
		 struct failure *f);

static void failure_dispose(struct failure *f)
{
	json_decref(f->path);
	free(f->msg);
	free(f->key);
	f->path = NULL;
	f->msg = NULL;
	f->key = NULL;
	f->specificity = -1;
}

/* Keeps the more specific of two failures in *into (the first on a tie, as compose-go). */
static void failure_merge(struct failure *into, struct failure *from)
{
	if (from->specificity > into->specificity) {
		failure_dispose(into);
		*into = *from;
		from->path = NULL;
		from->msg = NULL;
		from->key = NULL;
	}
	failure_dispose(from);
}

static int fail(struct validator *v, struct failure *f, int extra, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct validator *v, struct failure *f, int extra, const char *fmt, ...)
{
	struct failure n = {NULL, NULL, NULL, v->depth + extra};
	va_list ap;
	va_start(ap, fmt);
	n.msg = xvasprintf(fmt, ap);
	va_end(ap);
	n.path = json_array();
	for (int i = 0; i < v->depth; i++)
		json_array_append_new(n.path, json_string(v->keys[i]));
	failure_merge(f, &n);
	return -1;
}

static const char *type_of(const json_t *inst)
{
	switch (json_typeof(inst)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static bool type_is(const json_t *inst, const char *want)
{
	const char *t = type_of(inst);
	if (!strcmp(want, "number"))
		return json_is_number(inst);
	if (!strcmp(want, "integer") && json_is_real(inst)) {
		double d = json_real_value(inst);
		return d == (double)(long long)d;
	}
	return !strcmp(t, want);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* compose-go's wording of the wanted types: "mapping" for object, sorted, "a, b or c". */
static char *types_words(const json_t *types)
{
	cleanup_strv char **w = xmalloc((json_array_size(types) + 1) * sizeof(char *));
	size_t n = 0, i;
	json_t *t;
	json_array_foreach(types, i, t) {
		const char *s = json_string_value(t);
		w[n++] = xstrdup(!strcmp(s, "object") ? "mapping" : s);
	}
	w[n] = NULL;
	qsort(w, n, sizeof(char *), cmp_str);
	struct bld_buf b = BLD_BUF_INIT;
	for (i = 0; i < n; i++)
		bld_buf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", w[i]);
	return bld_buf_detach(&b);
}

static int check_type(struct validator *v, const json_t *want, const json_t *inst,
		      struct failure *f)
{
	if (json_is_string(want)) {
		if (type_is(inst, json_string_value(want)))
			return 0;
		const char *s = json_string_value(want);
		return fail(v, f, 0, "must be a %s", !strcmp(s, "object") ? "mapping" : s);
	}
	size_t i;
	json_t *t;
	json_array_foreach(want, i, t) {
		if (type_is(inst, json_string_value(t)))
			return 0;
	}
	cleanup_free char *words = types_words(want);
	return fail(v, f, 0, "must be a %s", words);
}

static const json_t *resolve_ref(struct validator *v, const char *ref)
{
	const char *prefix = "#/definitions/";
	if (strncmp(ref, prefix, strlen(prefix)))
		return NULL;
	return json_object_get(json_object_get(v->root, "definitions"), ref + strlen(prefix));
}

static bool pattern_matches(struct validator *v, const char *pattern, const char *s)
{
	int i;
	for (i = 0; i < v->nregex; i++)
		if (v->regex[i].pattern == pattern)
			break;
	if (i == v->nregex) {
		if (v->nregex == SCHEMA_MAX_REGEX)
			return false;
		v->regex[i].pattern = pattern;
		v->regex[i].ok = regcomp(&v->regex[i].re, pattern, REG_EXTENDED | REG_NOSUB) == 0;
		v->nregex++;
	}
	return v->regex[i].ok && regexec(&v->regex[i].re, s, 0, NULL, 0) == 0;
}

/* Runs a subschema on a member (key) or an item (index) one level down. */
static int check_child(struct validator *v, const json_t *schema, const json_t *inst,
		       const char *key, size_t index, struct failure *f)
{
	if (v->depth == SCHEMA_MAX_DEPTH)
		return fail(v, f, 0, "nested too deeply");
	if (!key) {
		snprintf(v->idx[v->depth], sizeof(v->idx[0]), "%zu", index);
		key = v->idx[v->depth];
	}
	v->keys[v->depth++] = key;
	int r = check(v, schema, inst, f);
	v->depth--;
	return r;
}

static char *quoted_list(char *const *keys)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = 0; keys && keys[i]; i++)
		bld_buf_printf(&b, "%s'%s'", i ? ", " : "", keys[i]);
	return bld_buf_detach(&b);
}

/* properties, patternProperties and additionalProperties over every member, in order. */
static int check_members(struct validator *v, const json_t *schema, const json_t *inst,
			 struct failure *f)
{
	const json_t *props = json_object_get(schema, "properties");
	const json_t *patterns = json_object_get(schema, "patternProperties");
	const json_t *additional = json_object_get(schema, "additionalProperties");
	cleanup_strv char **extra = xmalloc((json_object_size(inst) + 1) * sizeof(char *));
	size_t nextra = 0;
	int r = 0;
	const char *key, *pat;
	json_t *val, *sub;
	json_object_foreach((json_t *)inst, key, val) {
		bool matched = false;
		if ((sub = json_object_get(props, key))) {
			matched = true;
			r |= check_child(v, sub, val, key, 0, f);
		}
		json_object_foreach((json_t *)patterns, pat, sub) {
			if (!pattern_matches(v, pat, key))
				continue;
			matched = true;
			r |= check_child(v, sub, val, key, 0, f);
		}
		if (matched || !additional)
			continue;
		if (json_is_false(additional))
			extra[nextra++] = xstrdup(key);
		else
			r |= check_child(v, additional, val, key, 0, f);
	}
	extra[nextra] = NULL;
	if (nextra == 0)
		return r;
	cleanup_free char *list = quoted_list(extra);
	struct failure n = {NULL, NULL, NULL, -1};
	fail(v, &n, 1, "additional properties %s not allowed", list);
	n.key = xstrdup(extra[0]);
	failure_merge(f, &n);
	return -1;
}

static int check_required(struct validator *v, const json_t *req, const json_t *inst,
			  struct failure *f)
{
	cleanup_strv char **missing = xmalloc((json_array_size(req) + 1) * sizeof(char *));
	size_t n = 0, i;
	json_t *k;
	json_array_foreach(req, i, k) {
		if (!json_object_get(inst, json_string_value(k)))
			missing[n++] = xstrdup(json_string_value(k));
	}
	missing[n] = NULL;
	if (n == 0)
		return 0;
	cleanup_free char *list = quoted_list(missing);
	return fail(v, f, 0, "missing propert%s %s", n == 1 ? "y" : "ies", list);
}

static int check_object(struct validator *v, const json_t *schema, const json_t *inst,
			struct failure *f)
{
	int r = 0;
	const json_t *req = json_object_get(schema, "required");
	if (req)
		r |= check_required(v, req, inst, f);
	return r | check_members(v, schema, inst, f);
}

static int check_array(struct validator *v, const json_t *schema, const json_t *inst,
		       struct failure *f)
{
	const json_t *items = json_object_get(schema, "items");
	const json_t *min = json_object_get(schema, "minItems");
	const json_t *max = json_object_get(schema, "maxItems");
	size_t i, j, n = json_array_size(inst);
	int r = 0;
	if (min && (json_int_t)n < json_integer_value(min))
		r |= fail(v, f, 0, "minItems: got %zu, want %lld", n,
			  (long long)json_integer_value(min));
	if (max && (json_int_t)n > json_integer_value(max))
		r |= fail(v, f, 0, "maxItems: got %zu, want %lld", n,
			  (long long)json_integer_value(max));
	for (i = 0; items && json_is_object(items) && i < n; i++)
		r |= check_child(v, items, json_array_get(inst, i), NULL, i, f);
	if (!json_is_true(json_object_get(schema, "uniqueItems")))
		return r;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (json_equal(json_array_get(inst, i), json_array_get(inst, j)))
				return fail(v, f, 0, "items at %zu and %zu are equal", i, j);
	return r;
}

static char *number_text(const json_t *n)
{
	if (json_is_integer(n))
		return xasprintf("%lld", (long long)json_integer_value(n));
	return xasprintf("%g", json_number_value(n));
}

static int check_scalar(struct validator *v, const json_t *schema, const json_t *inst,
			struct failure *f)
{
	const json_t *min = json_object_get(schema, "minimum");
	const json_t *max = json_object_get(schema, "maximum");
	const json_t *pattern = json_object_get(schema, "pattern");
	const json_t *format = json_object_get(schema, "format");
	const char *s = json_string_value(inst);
	if (json_is_number(inst) && min && json_number_value(inst) < json_number_value(min)) {
		cleanup_free char *t = number_text(min);
		return fail(v, f, 0, "must be greater than or equal to %s", t);
	}
	if (json_is_number(inst) && max && json_number_value(inst) > json_number_value(max)) {
		cleanup_free char *t = number_text(max);
		return fail(v, f, 0, "must be less than or equal to %s", t);
	}
	if (s && pattern && !pattern_matches(v, json_string_value(pattern), s))
		return fail(v, f, 0, "'%s' does not match pattern '%s'", s,
			    json_string_value(pattern));
	if (s && json_is_string(format) && !strcmp(json_string_value(format), "duration") &&
	    bld_deploy_duration_parse(s, NULL) < 0)
		return fail(v, f, 0, "'%s' is not valid duration", s);
	return 0;
}

static char *values_words(const json_t *values)
{
	struct bld_buf b = BLD_BUF_INIT;
	size_t i;
	json_t *e;
	json_array_foreach(values, i, e) {
		cleanup_free char *t = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
		if (json_is_string(e))
			bld_buf_printf(&b, "%s'%s'", i ? ", " : "", json_string_value(e));
		else
			bld_buf_printf(&b, "%s%s", i ? ", " : "", t);
	}
	return bld_buf_detach(&b);
}

static int check_enum(struct validator *v, const json_t *schema, const json_t *inst,
		      struct failure *f)
{
	const json_t *values = json_object_get(schema, "enum");
	const json_t *c = json_object_get(schema, "const");
	size_t i;
	json_t *e;
	if (c && !json_equal(c, (json_t *)inst)) {
		cleanup_free char *t = json_dumps(c, JSON_ENCODE_ANY | JSON_COMPACT);
		return fail(v, f, 0, "value must be %s", t);
	}
	if (!values)
		return 0;
	json_array_foreach(values, i, e) {
		if (json_equal(e, (json_t *)inst))
			return 0;
	}
	cleanup_free char *words = values_words(values);
	return fail(v, f, 0, "value must be one of %s", words);
}

/* oneOf/anyOf/allOf/not: the failures of the branches count only when the keyword fails. */
static int check_combinators(struct validator *v, const json_t *schema, const json_t *inst,
			     struct failure *f)
{
	static const char *const words[] = {"oneOf", "anyOf", "allOf"};
	int r = 0;
	for (size_t w = 0; w < BLD_ARRAY_SIZE(words); w++) {
		const json_t *branches = json_object_get(schema, words[w]);
		if (!branches)
			continue;
		struct failure inner = {NULL, NULL, NULL, -1};
		size_t i, valid = 0, first = 0, second = 0;
		json_t *b;
		json_array_foreach(branches, i, b) {
			struct failure one = {NULL, NULL, NULL, -1};
			if (check(v, b, inst, &one) == 0) {
				second = valid == 1 ? i : second;
				first = valid == 0 ? i : first;
				valid++;
			}
			failure_merge(&inner, &one);
		}
		bool ok = w == 2 ? valid == json_array_size(branches) : valid > 0;
		if (w == 0 && valid > 1) {
			failure_dispose(&inner);
			r |= fail(v, f, 0, "valid against subschemas %zu and %zu from oneOf", first,
				  second);
			continue;
		}
		if (!ok)
			r = -1;
		if (ok)
			failure_dispose(&inner);
		else
			failure_merge(f, &inner);
	}
	const json_t *not = json_object_get(schema, "not");
	struct failure ignored = {NULL, NULL, NULL, -1};
	if (not && check(v, not, inst, &ignored) == 0)
		r |= fail(v, f, 0, "not failed");
	failure_dispose(&ignored);
	return r;
}

static int check(struct validator *v, const json_t *schema, const json_t *inst,
		 struct failure *f)
{
	if (json_is_boolean(schema))
		return json_is_true(schema) ? 0 : fail(v, f, 0, "not allowed");
	const char *ref = bld_json_get_str(schema, "$ref");
	if (ref) {
		const json_t *target = resolve_ref(v, ref);
		if (!target)
			return fail(v, f, 0, "unresolved schema reference %s", ref);
		return check(v, target, inst, f);
	}
	const json_t *type = json_object_get(schema, "type");
	if (type && check_type(v, type, inst, f) < 0)
		return -1;
	int r = check_enum(v, schema, inst, f);
	r |= check_combinators(v, schema, inst, f);
	if (json_is_object(inst))
		r |= check_object(v, schema, inst, f);
	else if (json_is_array(inst))
		r |= check_array(v, schema, inst, f);
	else
		r |= check_scalar(v, schema, inst, f);
	return r ? -1 : 0;
}

int bld_deploy_schema_get(json_t **out, struct bld_error **err)
{
	static json_t *schema;
	if (!schema) {
		cleanup_json json_t *s = NULL;
		if (bld_json_load_buf(&s, bld_deploy_compose_spec, strlen(bld_deploy_compose_spec),
				      err) < 0)
			return bld_error_wrap(err, "compose-spec.json");
		schema = steal_pointer(&s);
	}
	*out = json_incref(schema);
	return 0;
}

char *bld_deploy_path_text(const json_t *path)
{
	struct bld_buf b = BLD_BUF_INIT;
	size_t i;
	json_t *k;
	json_array_foreach(path, i, k) {
		bld_buf_printf(&b, "%s%s", i ? "." : "", json_string_value(k));
	}
	return bld_buf_detach(&b);
}

int bld_deploy_schema_check_with(const json_t *schema, const json_t *doc, json_t **where,
				 struct bld_error **err)
{
	struct validator v = {.root = schema};
	struct failure f = {NULL, NULL, NULL, -1};
	int r = check(&v, schema, doc, &f);
	for (int i = 0; i < v.nregex; i++)
		if (v.regex[i].ok)
			regfree(&v.regex[i].re);
	if (r == 0) {
		failure_dispose(&f);
		return 0;
	}
	cleanup_free char *path = bld_deploy_path_text(f.path);
	bld_error_set(err, BLD_E_INVALID, "%s%s%s", path, *path ? " " : "", f.msg);
	if (f.key)
		json_array_append_new(f.path, json_string(f.key));
	if (where)
		*where = json_incref(f.path);
	failure_dispose(&f);
	return -BLD_E_INVALID;
}

int bld_deploy_schema_check(const json_t *doc, json_t **where, struct bld_error **err)
{
	cleanup_json json_t *schema = NULL;
	if (bld_deploy_schema_get(&schema, err) < 0)
		return -BLD_E_INTERNAL;
	return bld_deploy_schema_check_with(schema, doc, where, err);
}
