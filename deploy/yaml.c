/*
 * deploy/yaml.c — YAML to jansson through libyaml's event API, as compose-go reads compose
 * files: every document of a stream, anchors and aliases (an alias is a deep copy, so no
 * two places share a node), merge keys `<<` (a mapping or a sequence of them; explicit
 * keys win, then earlier sources), `!reset` (the node is dropped and its path recorded)
 * and `!override` (kept, path recorded), duplicate keys refused, keys that are not strings
 * refused. The line of every node is recorded in the source map under its JSON Pointer
 * (a mapping member at its key's line).
 *
 * Bounded: nesting to BLD_DEPLOY_MAX_DEPTH, nodes (aliases expanded) to
 * BLD_DEPLOY_MAX_NODES per document, so an alias bomb fails fast. It does not interpret
 * anything compose-specific; scalars are typed by yaml_scalar.c.
 */
#include <yaml.h>

#include "deploy/deploy_int.h"

enum tag_kind { TAG_NONE, TAG_RESET, TAG_OVERRIDE };

struct yp {
	yaml_parser_t parser;
	const char *file;
	struct bld_deploy_srcmap *map;
	int fi;
	json_t *anchors;  /* name -> [node, node count, tag kind, [relative tagged paths]] */
	size_t nodes;     /* nodes made in this document, aliases expanded */
	struct bld_deploy_doc *doc;
	struct bld_buf path; /* JSON Pointer of the node being read */
	struct bld_buf dotted; /* the same as compose-go names it in errors: a.b[0].c */
	int depth;
	bool indexed;  /* paths start with the document's index ("/2/kind") */
	size_t doc_no; /* that index */
};

static int parse_node(struct yp *y, yaml_event_t *ev, json_t **out, struct bld_error **err);

static int fail(struct yp *y, size_t line0, struct bld_error **err, const char *what)
{
	return bld_error_set(err, BLD_E_INVALID, "%s:%zu: %s", y->file, line0 + 1, what);
}

static int next_event(struct yp *y, yaml_event_t *ev, struct bld_error **err)
{
	if (yaml_parser_parse(&y->parser, ev))
		return 0;
	const char *what = y->parser.problem ? y->parser.problem : "invalid YAML";
	return fail(y, y->parser.problem_mark.line, err, what);
}

static void set_path_len(struct yp *y, size_t len)
{
	y->path.len = len;
	if (y->path.data)
		y->path.data[len] = '\0';
}

static void set_dotted_len(struct yp *y, size_t len)
{
	y->dotted.len = len;
	if (y->dotted.data)
		y->dotted.data[len] = '\0';
}

static enum tag_kind tag_of(const yaml_char_t *tag)
{
	if (!tag)
		return TAG_NONE;
	if (strcmp((const char *)tag, "!reset") == 0)
		return TAG_RESET;
	if (strcmp((const char *)tag, "!override") == 0)
		return TAG_OVERRIDE;
	return TAG_NONE;
}

/* Records the node's path in the document's !reset or !override list. */
static void record_tag(struct yp *y, enum tag_kind t, const char *path)
{
	if (t == TAG_RESET)
		json_array_append_new(y->doc->resets, json_string(path));
	else if (t == TAG_OVERRIDE)
		json_array_append_new(y->doc->overrides, json_string(path));
}

static int count_node(struct yp *y, size_t n, size_t line0, struct bld_error **err)
{
	y->nodes += n;
	if (y->nodes > BLD_DEPLOY_MAX_NODES)
		return fail(y, line0, err, "document contains excessive aliasing");
	return 0;
}

static int parse_scalar(struct yp *y, yaml_event_t *ev, json_t **out, struct bld_error **err)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (tag && strcmp(tag, YAML_STR_TAG) == 0)
		plain = false;
	*out = bld_deploy_yaml_scalar((const char *)ev->data.scalar.value,
				      ev->data.scalar.length, plain);
	if (!*out)
		return fail(y, ev->start_mark.line, err, "invalid UTF-8 in a scalar");
	return count_node(y, 1, ev->start_mark.line, err);
}

/* The paths in list from index from on, relative to prefix (which they all start with). */
static json_t *relative_paths(json_t *list, size_t from, const char *prefix)
{
	json_t *rel = json_array();
	size_t pl = strlen(prefix);
	for (size_t i = from; i < json_array_size(list); i++)
		json_array_append_new(rel, json_string(json_string_value(json_array_get(list, i)) + pl));
	return rel;
}

static void remember_anchor(struct yp *y, const yaml_char_t *anchor, json_t *node, size_t count,
			    enum tag_kind t, size_t resets0, size_t overrides0)
{
	json_t *rel = json_pack("[oo]", relative_paths(y->doc->resets, resets0, bld_buf_str(&y->path)),
				relative_paths(y->doc->overrides, overrides0, bld_buf_str(&y->path)));
	json_object_set_new(y->anchors, (const char *)anchor,
			    json_pack("[OIio]", node ? node : json_null(), (json_int_t)count, t, rel));
}

static void replay_tags(struct yp *y, json_t *rel)
{
	for (size_t k = 0; k < 2; k++) {
		json_t *list = json_array_get(rel, k);
		for (size_t i = 0; i < json_array_size(list); i++) {
			cleanup_free char *p =
				xasprintf("%s%s", bld_buf_str(&y->path),
					  json_string_value(json_array_get(list, i)));
			record_tag(y, k == 0 ? TAG_RESET : TAG_OVERRIDE, p);
		}
	}
}

static int parse_alias(struct yp *y, yaml_event_t *ev, json_t **out, struct bld_error **err)
{
	json_t *a = json_object_get(y->anchors, (const char *)ev->data.alias.anchor);
	if (!a) {
		cleanup_free char *msg = xasprintf("unknown anchor '%s' referenced",
						   (const char *)ev->data.alias.anchor);
		return fail(y, ev->start_mark.line, err, msg);
	}
	if (count_node(y, (size_t)json_integer_value(json_array_get(a, 1)), ev->start_mark.line,
		       err) < 0)
		return -BLD_E_INVALID;
	enum tag_kind t = (enum tag_kind)json_integer_value(json_array_get(a, 2));
	record_tag(y, t, bld_buf_str(&y->path));
	if (t == TAG_RESET) {
		*out = NULL;
		return 0;
	}
	replay_tags(y, json_array_get(a, 3));
	*out = json_deep_copy(json_array_get(a, 0));
	return 0;
}

static int parse_sequence(struct yp *y, json_t **out, struct bld_error **err)
{
	cleanup_json json_t *arr = json_array();
	size_t mark = y->path.len, dmark = y->dotted.len;
	for (size_t i = 0;; i++) {
		yaml_event_t ev;
		if (next_event(y, &ev, err) < 0)
			return -BLD_E_INVALID;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		bld_deploy_path_push_index(&y->path, json_array_size(arr));
		bld_buf_printf(&y->dotted, "[%zu]", i);
		bld_deploy_srcmap_set(y->map, y->path.data, y->fi, (int)ev.start_mark.line + 1);
		json_t *item = NULL;
		int r = parse_node(y, &ev, &item, err);
		set_path_len(y, mark);
		set_dotted_len(y, dmark);
		if (r < 0)
			return r;
		if (item)
			json_array_append_new(arr, item);
	}
	*out = steal_pointer(&arr);
	return count_node(y, 1, 0, err);
}

/* A mapping key as a string: a scalar (or an alias of one) that resolves to a string. */
static int mapping_key(struct yp *y, yaml_event_t *ev, char **key, bool *merge,
		       struct bld_error **err)
{
	cleanup_json json_t *k = NULL;
	if (ev->type == YAML_SCALAR_EVENT) {
		bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		k = bld_deploy_yaml_scalar((const char *)ev->data.scalar.value,
					   ev->data.scalar.length, plain);
		*merge = plain && json_is_string(k) && strcmp(json_string_value(k), "<<") == 0;
	} else if (ev->type == YAML_ALIAS_EVENT) {
		json_t *a = json_object_get(y->anchors, (const char *)ev->data.alias.anchor);
		k = json_incref(json_array_get(a, 0));
	}
	if (!json_is_string(k)) {
		cleanup_free char *dump = k ? json_dumps(k, JSON_ENCODE_ANY) : xstrdup("a collection");
		cleanup_free char *msg = y->dotted.len ? xasprintf("non-string key in %s: %s",
								    y->dotted.data, dump ? dump : "?")
						       : xasprintf("non-string key at top level: %s",
								   dump ? dump : "?");
		return fail(y, ev->start_mark.line, err, msg);
	}
	*key = xstrdup(json_string_value(k));
	return 0;
}

/* The sources of a merge key: a mapping, or a sequence of mappings (earlier ones win). */
static int add_merge(struct yp *y, json_t *merges, json_t *v, size_t line0,
		     struct bld_error **err)
{
	if (json_is_object(v))
		return json_array_append(merges, v);
	for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++)
		if (!json_is_object(json_array_get(v, i)))
			return fail(y, line0, err, "map merge requires map or sequence of maps as the value");
	if (!json_is_array(v))
		return fail(y, line0, err, "map merge requires map or sequence of maps as the value");
	return json_array_extend(merges, v);
}

/* Merged keys go in after the explicit ones, which they never replace. */
static void apply_merges(struct yp *y, json_t *obj, json_t *merges, size_t line0)
{
	size_t mark = y->path.len;
	for (size_t i = 0; i < json_array_size(merges); i++) {
		const char *k;
		json_t *v;
		json_object_foreach(json_array_get(merges, i), k, v) {
			if (json_object_get(obj, k))
				continue;
			json_object_set(obj, k, v);
			bld_deploy_path_push(&y->path, k);
			bld_deploy_srcmap_set(y->map, y->path.data, y->fi, (int)line0 + 1);
			set_path_len(y, mark);
		}
	}
}

static int mapping_member(struct yp *y, json_t *obj, json_t *merges, yaml_event_t *kev,
			  struct bld_error **err)
{
	cleanup_free char *key = NULL;
	bool merge = false;
	size_t line0 = kev->start_mark.line, mark = y->path.len, dmark = y->dotted.len;
	int r = mapping_key(y, kev, &key, &merge, err);
	yaml_event_delete(kev);
	if (r < 0)
		return r;
	bld_deploy_path_push(&y->path, key);
	bld_buf_printf(&y->dotted, "%s%s", dmark ? "." : "", merge ? "" : key);
	const char *file;
	int line;
	if (json_object_get(obj, key) && bld_deploy_srcmap_find(y->map, y->path.data, &file, &line)) {
		cleanup_free char *msg = xasprintf("mapping key \"%s\" already defined at line %d",
						   key, line);
		return fail(y, line0, err, msg);
	}
	if (merge)
		set_path_len(y, mark);
	else
		bld_deploy_srcmap_set(y->map, y->path.data, y->fi, (int)line0 + 1);
	yaml_event_t vev;
	cleanup_json json_t *v = NULL;
	r = next_event(y, &vev, err);
	if (r == 0)
		r = parse_node(y, &vev, &v, err);
	set_path_len(y, mark);
	set_dotted_len(y, dmark);
	if (r < 0 || !v)
		return r;
	if (merge)
		return add_merge(y, merges, v, line0, err);
	return json_object_set_new(obj, key, steal_pointer(&v));
}

static int parse_mapping(struct yp *y, size_t line0, json_t **out, struct bld_error **err)
{
	cleanup_json json_t *obj = json_object();
	cleanup_json json_t *merges = json_array();
	for (;;) {
		yaml_event_t ev;
		if (next_event(y, &ev, err) < 0)
			return -BLD_E_INVALID;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (mapping_member(y, obj, merges, &ev, err) < 0)
			return -BLD_E_INVALID;
	}
	apply_merges(y, obj, merges, line0);
	*out = steal_pointer(&obj);
	return count_node(y, 1, line0, err);
}

static int parse_collection(struct yp *y, yaml_event_t *ev, json_t **out,
			    struct bld_error **err)
{
	size_t line0 = ev->start_mark.line;
	if (y->depth >= BLD_DEPLOY_MAX_DEPTH)
		return fail(y, line0, err, "nesting too deep");
	y->depth++;
	int r = ev->type == YAML_SEQUENCE_START_EVENT ? parse_sequence(y, out, err)
						      : parse_mapping(y, line0, out, err);
	y->depth--;
	return r;
}

/* Reads the node that starts with ev (which it deletes) into *out: NULL when the node is
 * tagged !reset. */
static int parse_node(struct yp *y, yaml_event_t *ev, json_t **out, struct bld_error **err)
{
	*out = NULL;
	if (ev->type == YAML_ALIAS_EVENT) {
		int r = parse_alias(y, ev, out, err);
		yaml_event_delete(ev);
		return r;
	}
	const yaml_char_t *anchor = NULL, *tag = NULL;
	if (ev->type == YAML_SCALAR_EVENT)
		anchor = ev->data.scalar.anchor, tag = ev->data.scalar.tag;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = ev->data.sequence_start.anchor, tag = ev->data.sequence_start.tag;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = ev->data.mapping_start.anchor, tag = ev->data.mapping_start.tag;
	cleanup_free char *anchor_name = anchor ? xstrdup((const char *)anchor) : NULL;
	enum tag_kind t = tag_of(tag);
	size_t nodes0 = y->nodes, resets0 = json_array_size(y->doc->resets);
	size_t overrides0 = json_array_size(y->doc->overrides);
	cleanup_json json_t *v = NULL;
	int r = ev->type == YAML_SCALAR_EVENT ? parse_scalar(y, ev, &v, err)
					      : parse_collection(y, ev, &v, err);
	yaml_event_delete(ev);
	if (r < 0)
		return r;
	record_tag(y, t, bld_buf_str(&y->path));
	if (anchor_name)
		remember_anchor(y, (const yaml_char_t *)anchor_name, t == TAG_RESET ? NULL : v,
				y->nodes - nodes0, t, resets0, overrides0);
	if (t != TAG_RESET)
		*out = steal_pointer(&v);
	return 0;
}

static int parse_document(struct yp *y, struct bld_deploy_doc *doc, struct bld_error **err)
{
	doc->resets = json_array();
	doc->overrides = json_array();
	y->doc = doc;
	y->nodes = 0;
	json_object_clear(y->anchors);
	set_path_len(y, 0);
	set_dotted_len(y, 0);
	if (y->indexed)
		bld_deploy_path_push_index(&y->path, y->doc_no);
	yaml_event_t ev;
	if (next_event(y, &ev, err) < 0)
		return -BLD_E_INVALID;
	bld_deploy_srcmap_set(y->map, bld_buf_str(&y->path), y->fi, (int)ev.start_mark.line + 1);
	if (parse_node(y, &ev, &doc->root, err) < 0)
		return -BLD_E_INVALID;
	if (!doc->root)
		doc->root = json_null();
	if (next_event(y, &ev, err) < 0)
		return -BLD_E_INVALID;
	yaml_event_delete(&ev); /* DOCUMENT-END: the parser allows nothing else here */
	return 0;
}

static int parse_stream(struct yp *y, struct bld_deploy_doc **docs, size_t *n,
			struct bld_error **err)
{
	for (;;) {
		yaml_event_t ev;
		if (next_event(y, &ev, err) < 0)
			return -BLD_E_INVALID;
		yaml_event_type_t type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			return 0;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue;
		*docs = xrealloc(*docs, (*n + 1) * sizeof(**docs));
		memset(&(*docs)[*n], 0, sizeof(**docs));
		(*n)++;
		y->doc_no = *n - 1;
		if (parse_document(y, &(*docs)[*n - 1], err) < 0)
			return -BLD_E_INVALID;
	}
}

static int parse(const char *data, size_t len, const char *file, bool indexed,
		 struct bld_deploy_srcmap *map, struct bld_deploy_doc **docs, size_t *n,
		 struct bld_error **err)
{
	struct yp y = {.file = file, .map = map, .anchors = json_object(), .indexed = indexed};
	y.fi = bld_deploy_srcmap_file(map, file);
	*docs = NULL;
	*n = 0;
	yaml_parser_initialize(&y.parser);
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)data, len);
	int r = parse_stream(&y, docs, n, err);
	yaml_parser_delete(&y.parser);
	json_decref(y.anchors);
	bld_buf_dispose(&y.path);
	bld_buf_dispose(&y.dotted);
	if (r < 0) {
		bld_deploy_docs_free(*docs, *n);
		*docs = NULL;
		*n = 0;
	}
	return r;
}

int bld_deploy_yaml_parse(const char *data, size_t len, const char *file,
			  struct bld_deploy_srcmap *map, struct bld_deploy_doc **docs, size_t *n,
			  struct bld_error **err)
{
	return parse(data, len, file, false, map, docs, n, err);
}

int bld_deploy_yaml_parse_indexed(const char *data, size_t len, const char *file,
				  struct bld_deploy_srcmap *map, struct bld_deploy_doc **docs,
				  size_t *n, struct bld_error **err)
{
	return parse(data, len, file, true, map, docs, n, err);
}

void bld_deploy_docs_free(struct bld_deploy_doc *docs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(docs[i].root);
		json_decref(docs[i].resets);
		json_decref(docs[i].overrides);
	}
	free(docs);
}
