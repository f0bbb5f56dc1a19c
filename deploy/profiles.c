/*
 * deploy/profiles.c — which services a project runs: a service without profiles always; one
 * with profiles when one of them is active (--profile, else COMPOSE_PROFILES; "*" activates
 * all). Services named on the command line activate their own profiles, and then only they
 * and what they depend on stay, their depends_on trimmed to what stays (compose-go's
 * WithProfiles, WithServicesEnabled and WithSelectedServices).
 */
#include "deploy/deploy_int.h"

static bool has_profile(const json_t *svc, char *const *active)
{
	json_t *p = json_object_get(svc, "profiles");
	if (json_array_size(p) == 0)
		return true;
	for (size_t i = 0; active && active[i]; i++) {
		if (strcmp(active[i], "*") == 0)
			return true;
		for (size_t j = 0; j < json_array_size(p); j++)
			if (strcmp(active[i], json_string_value(json_array_get(p, j)) ?: "") == 0)
				return true;
	}
	return false;
}

/* The names a depends_on holds, list or mapping form. */
static char **depends_names(const json_t *d)
{
	char **out = NULL;
	for (size_t i = 0; json_is_array(d) && i < json_array_size(d); i++)
		if (json_is_string(json_array_get(d, i)))
			bld_strv_push(&out, json_string_value(json_array_get(d, i)));
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)d, k, v)
		bld_strv_push(&out, k);
	return out;
}

/* Marks name and, through depends_on, what it needs, in keep. */
static int keep_with_deps(json_t *services, const char *name, json_t *keep,
			  struct bld_error **err)
{
	if (json_object_get(keep, name))
		return 0;
	json_t *svc = json_object_get(services, name);
	if (!svc)
		return bld_error_refuse(err, BLD_E_NOTFOUND, "no such service: %s", name);
	json_object_set_new(keep, name, json_true());
	cleanup_strv char **deps = depends_names(json_object_get(svc, "depends_on"));
	for (size_t i = 0; deps && deps[i]; i++)
		if (json_object_get(services, deps[i]) &&
		    keep_with_deps(services, deps[i], keep, err) < 0)
			return -BLD_E_NOTFOUND;
	return 0;
}

/* depends_on without the services that do not stay. */
static void trim_depends(json_t *svc, const json_t *keep)
{
	json_t *d = json_object_get(svc, "depends_on");
	for (size_t i = json_array_size(d); i-- > 0;)
		if (!json_object_get(keep, json_string_value(json_array_get(d, i)) ?: ""))
			json_array_remove(d, i);
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(d, tmp, k, v) {
		if (!json_object_get(keep, k))
			json_object_del(d, k);
	}
}

/* The active profiles and those of the named services that they leave out. */
static char **active_profiles(const json_t *services, char *const *profiles,
			      char *const *selected)
{
	char **active = bld_strv_dup(profiles);
	for (size_t i = 0; selected && selected[i]; i++) {
		json_t *svc = json_object_get(services, selected[i]);
		json_t *p = json_object_get(svc, "profiles");
		if (!svc || has_profile(svc, profiles))
			continue;
		for (size_t j = 0; j < json_array_size(p); j++)
			if (json_is_string(json_array_get(p, j)))
				bld_strv_push(&active, json_string_value(json_array_get(p, j)));
	}
	return active;
}

int bld_deploy_profiles_apply(json_t *model, char *const *profiles, char *const *selected,
			      struct bld_error **err)
{
	json_t *services = json_object_get(model, "services");
	if (!json_is_object(services))
		return selected && *selected ? bld_error_refuse(err, BLD_E_NOTFOUND,
							      "no such service: %s", selected[0])
					     : 0;
	cleanup_strv char **active = active_profiles(services, profiles, selected);
	const char *name;
	json_t *svc;
	void *tmp;
	json_object_foreach_safe(services, tmp, name, svc) {
		if (!has_profile(svc, active))
			json_object_del(services, name);
	}
	if (!selected || !*selected)
		return 0;
	cleanup_json json_t *keep = json_object();
	for (size_t i = 0; selected[i]; i++)
		if (keep_with_deps(services, selected[i], keep, err) < 0)
			return -BLD_E_NOTFOUND;
	json_object_foreach_safe(services, tmp, name, svc) {
		if (!json_object_get(keep, name))
			json_object_del(services, name);
		else
			trim_depends(svc, keep);
	}
	return 0;
}
