/*
 * deploy/norm_links.c — the attributes of a service that are lists of structured entries:
 * ports, volumes, devices, networks, depends_on, extra_hosts, environment, in compose-go's long
 * form (ParsePortConfig, ParseVolume, transformDependsOn, normalizeNetworks, HostsList,
 * MappingWithEquals resolved from the project's environment).
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <string.h>

int bld_deploy_norm_ports(json_t **v, const struct bld_deploy_norm_opts *o,
			  struct bld_error **err)
{
	cleanup_json json_t *n = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(*v, i, e) {
		cleanup_free char *t = json_is_object(e) ? NULL : bld_deploy_scalar_text(e);
		if (t && bld_deploy_port_parse(n, t, err) < 0 && !o->raw)
			return -BLD_E_INVALID;
		if (t && o->raw && *err) { /* left as written */
			json_array_append(n, e);
			bld_error_free(steal_pointer(err));
		}
		if (t)
			continue;
		json_t *p = json_deep_copy(e);
		json_t *pub = json_object_get(p, "published");
		cleanup_free char *pt = pub ? bld_deploy_scalar_text(pub) : NULL;
		if (pt)
			json_object_set_new(p, "published", json_string(pt));
		if (!json_object_get(p, "protocol"))
			json_object_set_new(p, "protocol", json_string("tcp"));
		if (!json_object_get(p, "mode"))
			json_object_set_new(p, "mode", json_string("ingress"));
		json_array_append_new(n, p);
	}
	json_decref(*v);
	*v = steal_pointer(&n);
	bld_deploy_order_list(*v, bld_deploy_order_port);
	return 0;
}

/* path.Clean of a target; a bind's source made absolute. */
static int volume_long(json_t *vol, const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	const char *target = bld_json_get_str(vol, "target");
	const char *type = bld_json_get_str(vol, "type");
	const char *src = bld_json_get_str(vol, "source");
	if (target) {
		cleanup_free char *clean = bld_deploy_path_clean(xstrdup(target));
		json_object_set_new(vol, "target", json_string(clean));
	}
	if (type && !strcmp(type, "bind") && src) {
		cleanup_free char *abs = bld_deploy_norm_abs(o, src);
		json_object_set_new(vol, "source", json_string(abs));
	}
	json_t *tmpfs = json_object_get(vol, "tmpfs");
	json_t *size = json_object_get(tmpfs, "size");
	if (size && !o->raw) {
		cleanup_free char *t = bld_deploy_scalar_text(size);
		int64_t b = 0;
		if (!t || bld_deploy_bytes_parse(t, &b) < 0)
			return bld_error_set(err, BLD_E_INVALID, "invalid size: '%s'", t ? t : "");
		cleanup_free char *go = xasprintf("%lld", (long long)b); /* UnitBytes: a string */
		json_object_set_new(tmpfs, "size", json_string(go));
	}
	bld_deploy_order_member(vol, "bind", bld_deploy_order_bind);
	return 0;
}

/* Each string item of *v through parse (a short syntax), the others copied; at index i of
 * the result, after parse, then(item) when given. */
static int norm_items(json_t **v, int (*parse)(json_t **, const char *, struct bld_error **),
		      int (*then)(json_t *, const struct bld_deploy_norm_opts *,
				  struct bld_error **),
		      const struct bld_deploy_norm_opts *o, struct bld_error **err)
{
	cleanup_json json_t *n = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(*v, i, e) {
		json_t *item = NULL;
		if (json_is_string(e) && parse(&item, json_string_value(e), err) < 0 && !o->raw)
			return bld_error_wrap(err, "%zu", i);
		if (o->raw)
			bld_error_free(steal_pointer(err));
		json_array_append_new(n, item ? item : json_deep_copy(e));
		if (then && then(json_array_get(n, i), o, err) < 0)
			return bld_error_wrap(err, "%zu", i);
	}
	json_decref(*v);
	*v = steal_pointer(&n);
	return 0;
}

int bld_deploy_norm_volumes(json_t **v, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err)
{
	if (norm_items(v, bld_deploy_volume_parse, volume_long, o, err) < 0)
		return -BLD_E_INVALID;
	bld_deploy_order_list(*v, bld_deploy_order_volume);
	return 0;
}

int bld_deploy_norm_devices(json_t **v, const struct bld_deploy_norm_opts *o,
			    struct bld_error **err)
{
	return norm_items(v, bld_deploy_device_parse, NULL, o, err);
}

/* A list of names or a map into a map name -> null or settings. */
int bld_deploy_norm_networks(json_t **v, const struct bld_deploy_norm_opts *o,
			     struct bld_error **err)
{
	if (json_is_array(*v)) {
		json_t *m = json_object();
		size_t i;
		json_t *e;
		json_array_foreach(*v, i, e)
			json_object_set_new(m, json_string_value(e), json_null());
		json_decref(*v);
		*v = m;
	}
	bld_deploy_order_map_values_of(*v, bld_deploy_order_svc_network);
	return 0;
}

int bld_deploy_norm_depends_on(json_t **v, const struct bld_deploy_norm_opts *o,
			       struct bld_error **err)
{
	json_t *m = json_object();
	size_t i;
	const char *k;
	json_t *e;
	json_array_foreach(*v, i, e)
		json_object_set_new(m, json_string_value(e), json_object());
	json_object_foreach(json_is_object(*v) ? *v : NULL, k, e)
		json_object_set_new(m, k, json_deep_copy(e));
	json_object_foreach(m, k, e) {
		if (!json_object_get(e, "condition"))
			json_object_set_new(e, "condition", json_string("service_started"));
		if (!json_object_get(e, "required"))
			json_object_set_new(e, "required", json_true());
	}
	json_decref(*v);
	*v = m;
	bld_deploy_order_map_values_of(*v, bld_deploy_order_depends);
	return 0;
}

/* HostsList: "host:ip", "host=ip" or a map, printed as sorted "host=ip". */
int bld_deploy_norm_extra_hosts(json_t **v, const struct bld_deploy_norm_opts *o,
				struct bld_error **err)
{
	cleanup_json json_t *n = json_array();
	size_t i;
	const char *k;
	json_t *e;
	json_object_foreach(json_is_object(*v) ? *v : NULL, k, e) {
		cleanup_free char *ip = bld_deploy_scalar_text(e);
		cleanup_free char *t = xasprintf("%s=%s", k, ip ? ip : "");
		json_array_append_new(n, json_string(t));
	}
	json_array_foreach(*v, i, e) {
		const char *s = json_string_value(e);
		const char *sep = s ? strpbrk(s, "=:") : NULL;
		if (!sep)
			return bld_error_set(err, BLD_E_INVALID, "invalid additional host, missing"
					     " IP address: %s", s ? s : "");
		cleanup_free char *t = xasprintf("%.*s=%s", (int)(sep - s), s, sep + 1);
		json_array_append_new(n, json_string(t));
	}
	json_decref(*v);
	*v = bld_deploy_sorted_strings(steal_pointer(&n));
	return 0;
}

