/*
 * deploy/emit.c — the normalised model written out as `docker compose config` (v2) writes
 * it: YAML through libyaml's emitter (2-space indent, maps and structs in the model's order,
 * strings that would read back as another type double-quoted, multi-line strings literal,
 * empty collections in flow style), JSON as Go's json.MarshalIndent (top-level keys sorted,
 * each service's command and entrypoint null when unset, <, > and & escaped), "$" doubled
 * when the model was interpolated; and the config hash of a service as compose v2 computes it
 * (sha256 of Go's compact JSON of the service without build, pull_policy, scale,
 * deploy.replicas, depends_on and profiles).
 *
 * It writes nothing by hand: libyaml emits the YAML, jansson the JSON.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <regex.h>
#include <string.h>
#include <yaml.h>

/* The scalars go-yaml would resolve to a null, bool, int or float (YAML 1.1 and 1.2 forms). */
static const char non_string_re[] =
	"^(~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|"
	"ON|off|Off|OFF|[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?|"
	"0x[0-9a-fA-F_]+|0o[0-7]+|0b[01_]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|"
	"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?)$";

struct emitter {
	yaml_emitter_t y;
	regex_t re;
	bool dollar; /* double "$" in strings */
};

static int emit(struct emitter *e, yaml_event_t *ev, struct bld_error **err)
{
	if (!yaml_emitter_emit(&e->y, ev))
		return bld_error_set(err, BLD_E_INTERNAL, "yaml emitter: %s",
				     e->y.problem ? e->y.problem : "failed");
	return 0;
}

static int emit_scalar(struct emitter *e, const char *s, yaml_scalar_style_t style,
		       struct bld_error **err)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     style);
	return emit(e, &ev, err);
}

static char *dollars_doubled(const char *s)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (; *s; s++)
		bld_buf_adds(&b, *s == '$' ? "$$" : (char[]){*s, 0});
	return bld_buf_detach(&b);
}

static int emit_string(struct emitter *e, const char *raw, struct bld_error **err)
{
	cleanup_free char *s = e->dollar ? dollars_doubled(raw) : xstrdup(raw);
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	if (!*s || regexec(&e->re, s, 0, NULL, 0) == 0)
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	return emit_scalar(e, s, style, err);
}

static int emit_value(struct emitter *e, const json_t *v, struct bld_error **err);

static int emit_mapping(struct emitter *e, const json_t *v, struct bld_error **err)
{
	yaml_event_t ev;
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
					    json_object_size(v) ? YAML_BLOCK_MAPPING_STYLE
								: YAML_FLOW_MAPPING_STYLE);
	if (emit(e, &ev, err) < 0)
		return -BLD_E_INTERNAL;
	const char *k;
	json_t *m;
	json_object_foreach((json_t *)v, k, m) {
		if (emit_string(e, k, err) < 0 || emit_value(e, m, err) < 0)
			return -BLD_E_INTERNAL;
	}
	yaml_mapping_end_event_initialize(&ev);
	return emit(e, &ev, err);
}

static int emit_sequence(struct emitter *e, const json_t *v, struct bld_error **err)
{
	yaml_event_t ev;
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
					     json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE
								: YAML_FLOW_SEQUENCE_STYLE);
	if (emit(e, &ev, err) < 0)
		return -BLD_E_INTERNAL;
	size_t i;
	json_t *m;
	json_array_foreach(v, i, m) {
		if (emit_value(e, m, err) < 0)
			return -BLD_E_INTERNAL;
	}
	yaml_sequence_end_event_initialize(&ev);
	return emit(e, &ev, err);
}

static int emit_value(struct emitter *e, const json_t *v, struct bld_error **err)
{
	if (json_is_object(v))
		return emit_mapping(e, v, err);
	if (json_is_array(v))
		return emit_sequence(e, v, err);
	if (json_is_string(v))
		return emit_string(e, json_string_value(v), err);
	if (json_is_null(v))
		return emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE, err);
	cleanup_free char *t = bld_deploy_scalar_text(v);
	return emit_scalar(e, t, YAML_PLAIN_SCALAR_STYLE, err);
}

static int write_buf(void *data, unsigned char *buffer, size_t size)
{
	return bld_buf_add(data, buffer, size) == 0;
}

/* Each of docs (an array) as one document of a stream. */
static int emit_stream(struct emitter *e, const json_t *docs, struct bld_error **err)
{
	yaml_event_t ev;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(e, &ev, err) < 0)
		return -BLD_E_INTERNAL;
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, i == 0);
		if (emit(e, &ev, err) < 0 || emit_value(e, doc, err) < 0)
			return -BLD_E_INTERNAL;
		yaml_document_end_event_initialize(&ev, 1);
		if (emit(e, &ev, err) < 0)
			return -BLD_E_INTERNAL;
	}
	yaml_stream_end_event_initialize(&ev);
	return emit(e, &ev, err);
}

int bld_deploy_yaml_stream(char **out, const json_t *docs, bool interpolated,
			   struct bld_error **err)
{
	struct emitter e = {.dollar = interpolated};
	struct bld_buf b = BLD_BUF_INIT;
	if (regcomp(&e.re, non_string_re, REG_EXTENDED | REG_NOSUB) != 0)
		return bld_error_set(err, BLD_E_INTERNAL, "yaml resolver pattern");
	yaml_emitter_initialize(&e.y);
	yaml_emitter_set_output(&e.y, write_buf, &b);
	yaml_emitter_set_indent(&e.y, 2);
	yaml_emitter_set_width(&e.y, -1);
	yaml_emitter_set_unicode(&e.y, 1);
	int r = emit_stream(&e, docs, err);
	yaml_emitter_delete(&e.y);
	regfree(&e.re);
	if (r < 0) {
		bld_buf_dispose(&b);
		return r;
	}
	*out = bld_buf_detach(&b);
	return 0;
}

int bld_deploy_config_yaml(char **out, const json_t *model, bool interpolated,
			   struct bld_error **err)
{
	cleanup_json json_t *one = json_pack("[O]", model);
	return bld_deploy_yaml_stream(out, one, interpolated, err);
}

/* A service as Go marshals ServiceConfig to JSON: no name, command/entrypoint always. */
static json_t *service_json(const json_t *svc)
{
	json_t *out = json_object();
	for (size_t i = 0; bld_deploy_order_service[i]; i++) {
		const char *k = bld_deploy_order_service[i];
		k += *k == '*';
		json_t *v = json_object_get(svc, k);
		bool always = !strcmp(k, "command") || !strcmp(k, "entrypoint");
		if (v || always)
			json_object_set(out, k, v ? v : json_null());
	}
	return out;
}

/* Go's HTML-safe escaping of what jansson wrote: <, > and & only occur inside strings. */
static char *go_escape(const char *s)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (; *s; s++) {
		if (*s == '<' || *s == '>' || *s == '&')
			bld_buf_printf(&b, "\\u%04x", (unsigned)*s);
		else
			bld_buf_addc(&b, *s);
	}
	return bld_buf_detach(&b);
}

static char *go_json(const json_t *v, size_t flags, bool dollar)
{
	cleanup_free char *raw = json_dumps(v, flags | JSON_ENCODE_ANY | JSON_REAL_PRECISION(7));
	if (!raw)
		abort();
	cleanup_free char *esc = go_escape(raw);
	return dollar ? dollars_doubled(esc) : steal_pointer(&esc);
}

char *bld_deploy_config_json(const json_t *model, bool interpolated)
{
	cleanup_json json_t *view = json_deep_copy(model);
	cleanup_json json_t *services = json_object();
	const char *k;
	json_t *svc;
	json_object_foreach(json_object_get(view, "services"), k, svc)
		json_object_set_new(services, k, interpolated ? service_json(svc) : json_incref(svc));
	json_object_set(view, "services", services);
	/* Go marshals the top level as a map: sorted, extensions among the rest */
	view = bld_deploy_sort_top(view);
	return go_json(view, JSON_INDENT(2), interpolated);
}

void bld_deploy_service_hash(const json_t *service, char out[65])
{
	static const char *const skipped[] = {"build", "pull_policy", "scale", "depends_on",
					      "profiles"};
	cleanup_json json_t *svc = service_json(service);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(skipped); i++)
		json_object_del(svc, skipped[i]);
	json_t *deploy = json_object_get(svc, "deploy");
	if (deploy) {
		json_t *d = json_deep_copy(deploy);
		json_object_del(d, "replicas");
		json_object_set_new(svc, "deploy", d);
	}
	cleanup_free char *js = go_json(svc, JSON_COMPACT, false);
	char digest[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(js, strlen(js), digest);
	memcpy(out, digest + 7, 65);
}
