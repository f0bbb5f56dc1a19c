/*
 * deploy/validate_model.c — compose-go's consistency checks on a normalised model
 * (loader/validate.go checkConsistency, graph/cycle.go): every service has an image or a
 * build; what a service names (depends_on, networks, volumes, secrets, configs,
 * network_mode service:) exists; exclusive attributes are not both set; depends_on has no
 * cycle. Errors are BLD_E_INVALID in compose-go's words, with the referring node's location.
 */
#include "deploy/deploy_int.h"

#include <jansson.h>
#include <string.h>

#define INVALID ": invalid compose project"

static int refuse(json_t **where, json_t *w, struct bld_error **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(json_t **where, json_t *w, struct bld_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (where)
		*where = w;
	else
		json_decref(w);
	return bld_error_set(err, BLD_E_INVALID, "%s", msg);
}

/* Each name that kind (a list of objects with "source", or a map) under a service refers to
 * must be a key of the top-level section top. */
static int check_refs(const json_t *model, const char *name, const json_t *svc,
		      const char *attr, const char *top, const char *what, json_t **where,
		      struct bld_error **err)
{
	const json_t *defined = json_object_get(model, top);
	const json_t *refs = json_object_get(svc, attr);
	size_t i;
	json_t *e;
	const char *k;
	json_array_foreach(refs, i, e) {
		const char *src = bld_json_get_str(e, "source");
		const char *type = bld_json_get_str(e, "type");
		if (!src || (type && strcmp(type, "volume")) || json_object_get(defined, src))
			continue;
		cleanup_free char *idx = xasprintf("%zu", i);
		return refuse(where, json_pack("[s, s, s, s]", "services", name, attr, idx), err,
			      "service \"%s\" refers to undefined %s %s" INVALID, name, what, src);
	}
	json_object_foreach((json_t *)(json_is_object(refs) ? refs : NULL), k, e) {
		if (json_object_get(defined, k))
			continue;
		return refuse(where, json_pack("[s, s, s, s]", "services", name, attr, k), err,
			      "service \"%s\" refers to undefined %s %s" INVALID, name, what, k);
	}
	return 0;
}

static int check_depends(const json_t *model, const char *name, const json_t *svc,
			 json_t **where, struct bld_error **err)
{
	const json_t *services = json_object_get(model, "services");
	const char *k;
	json_t *d;
	json_object_foreach(json_object_get(svc, "depends_on"), k, d) {
		if (json_object_get(services, k) || json_is_false(json_object_get(d, "required")))
			continue;
		return refuse(where, json_pack("[s, s, s, s]", "services", name, "depends_on", k),
			      err, "service \"%s\" depends on undefined service \"%s\"" INVALID, name,
			      k);
	}
	const char *mode = bld_json_get_str(svc, "network_mode");
	if (mode && !strncmp(mode, "service:", 8) && !json_object_get(services, mode + 8))
		return refuse(where, json_pack("[s, s, s]", "services", name, "network_mode"), err,
			      "service \"%s\" not found for network_mode 'service:%s'", mode + 8,
			      mode + 8);
	return 0;
}

static int check_service(const json_t *model, const char *name, const json_t *svc,
			 json_t **where, struct bld_error **err)
{
	const json_t *build = json_object_get(svc, "build");
	if (!build && !json_object_get(svc, "image") && !json_object_get(svc, "provider"))
		return refuse(where, json_pack("[s, s]", "services", name), err,
			      "service \"%s\" has neither an image nor a build context specified"
			      INVALID, name);
	if (bld_json_get_str(build, "dockerfile_inline") && json_object_get(build, "dockerfile"))
		return refuse(where, json_pack("[s, s, s]", "services", name, "build"), err,
			      "service \"%s\" declares mutualy exclusive dockerfile and "
			      "dockerfile_inline" INVALID, name);
	if (json_object_get(svc, "network_mode") && json_object_get(svc, "networks"))
		return refuse(where, json_pack("[s, s, s]", "services", name, "network_mode"), err,
			      "service %s declares mutually exclusive `network_mode` and `networks`"
			      INVALID, name);
	const char *test = json_string_value(
		json_array_get(json_object_get(json_object_get(svc, "healthcheck"), "test"), 0));
	if (test && strcmp(test, "CMD") && strcmp(test, "CMD-SHELL") && strcmp(test, "NONE"))
		return refuse(where, json_pack("[s, s, s]", "services", name, "healthcheck"), err,
			      "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or "
			      "\"NONE\"");
	if (check_refs(model, name, svc, "networks", "networks", "network", where, err) < 0 ||
	    check_depends(model, name, svc, where, err) < 0 ||
	    check_refs(model, name, svc, "volumes", "volumes", "volume", where, err) < 0 ||
	    check_refs(model, name, svc, "configs", "configs", "config", where, err) < 0 ||
	    check_refs(model, name, svc, "secrets", "secrets", "secret", where, err) < 0)
		return -BLD_E_INVALID;
	return 0;
}

/* Depth-first over depends_on; path holds the services being visited. */
static int visit(const json_t *services, const char *name, json_t *state, json_t *path,
		 json_t **where, struct bld_error **err)
{
	const char *st = bld_json_get_str(state, name);
	if (st && !strcmp(st, "done"))
		return 0;
	if (st) {
		struct bld_buf b = BLD_BUF_INIT;
		size_t i, from = 0;
		json_t *e;
		json_array_foreach(path, i, e)
			if (!strcmp(json_string_value(e), name))
				from = i;
		for (i = from; i < json_array_size(path); i++)
			bld_buf_printf(&b, "%s -> ", json_string_value(json_array_get(path, i)));
		cleanup_free char *chain = bld_buf_detach(&b);
		return refuse(where, json_pack("[s, s, s]", "services", name, "depends_on"), err,
			      "dependency cycle detected: %s%s", chain, name);
	}
	json_object_set_new(state, name, json_string("visiting"));
	json_array_append_new(path, json_string(name));
	const char *dep;
	json_t *d;
	json_object_foreach(json_object_get(json_object_get(services, name), "depends_on"), dep, d) {
		if (json_object_get(services, dep) &&
		    visit(services, dep, state, path, where, err) < 0)
			return -BLD_E_INVALID;
	}
	json_array_remove(path, json_array_size(path) - 1);
	json_object_set_new(state, name, json_string("done"));
	return 0;
}

int bld_deploy_validate_model(const json_t *model, json_t **where, struct bld_error **err)
{
	const json_t *services = json_object_get(model, "services");
	cleanup_json json_t *state = json_object();
	cleanup_json json_t *path = json_array();
	const char *name;
	json_t *svc;
	json_object_foreach((json_t *)services, name, svc) {
		if (check_service(model, name, svc, where, err) < 0)
			return -BLD_E_INVALID;
	}
	json_object_foreach((json_t *)services, name, svc) {
		if (visit(services, name, state, path, where, err) < 0)
			return -BLD_E_INVALID;
	}
	return 0;
}
