/*
 * registry/login.c — docker login/logout: check credentials against the registry, then
 * keep them where docker keeps them — a credsStore or credHelpers program, or the base64
 * "auth" entry of config.json, written atomically with mode 0600.
 *
 * Other keys of config.json are kept as they are.
 */
#include "registry/registry_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>

#define CONFIG_MAX ((size_t)1 << 20)

static int config_load(const char *dir, json_t **out, struct bld_error **err)
{
	cleanup_free char *path = xasprintf("%s/config.json", dir);
	if (access(path, F_OK) < 0) {
		*out = json_object();
		return 0;
	}
	if (bld_json_load_file(out, path, CONFIG_MAX, err) < 0)
		return bld_error_wrap(err, "read %s", path);
	if (!json_is_object(*out)) {
		json_decref(*out);
		return bld_error_set(err, BLD_E_INVALID, "%s is not a json object", path);
	}
	return 0;
}

static int config_save(const char *dir, json_t *cfg, struct bld_error **err)
{
	if (bld_fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	char *text = json_dumps(cfg, JSON_INDENT(1) | JSON_SORT_KEYS);
	cleanup_free char *body = xasprintf("%s\n", text);
	free(text);
	return bld_fs_write_atomic(dfd, "config.json", body, strlen(body), 0600, err);
}

static const char *helper_for(const json_t *cfg, const char *domain)
{
	const char *key = bld_registry_auth_key(domain);
	json_t *helpers = json_object_get(cfg, "credHelpers");
	const char *h = bld_json_get_str(helpers, key);
	if (!h)
		h = bld_json_get_str(helpers, domain);
	if (!h)
		h = bld_json_get_str(cfg, "credsStore");
	return h && *h ? h : NULL;
}

static int store(const char *dir, const char *domain, const char *user, const char *secret,
		 struct bld_error **err)
{
	json_t *cfg = NULL;
	if (config_load(dir, &cfg, err) < 0)
		return -1;
	const char *key = bld_registry_auth_key(domain);
	const char *helper = helper_for(cfg, domain);
	int r;
	if (helper) {
		json_t *in = json_pack("{s:s, s:s, s:s}", "ServerURL", key, "Username", user,
				       "Secret", secret);
		cleanup_free char *text = json_dumps(in, JSON_COMPACT);
		json_decref(in);
		cleanup_free char *out = NULL;
		r = reg_cred_helper_run(helper, "store", text, &out, err);
	} else {
		json_t *auths = json_object_get(cfg, "auths");
		if (!json_is_object(auths)) {
			auths = json_object();
			json_object_set_new(cfg, "auths", auths);
		}
		cleanup_free char *b64 = reg_auth_encode(user, secret);
		json_object_set_new(auths, key, json_pack("{s:s}", "auth", b64));
		r = config_save(dir, cfg, err);
	}
	json_decref(cfg);
	return r;
}

static char *server_domain(const char *server)
{
	return server && *server ? bld_registry_server_domain(server) : xstrdup("docker.io");
}

int bld_registry_login_check(const char *server, const char *user, const char *secret,
			     const struct bld_registry_opts *o, struct bld_error **err)
{
	if (!user || !*user)
		return bld_error_set(err, BLD_E_INVALID, "username is required");
	if (!secret || !*secret)
		return bld_error_set(err, BLD_E_INVALID, "password is required");
	cleanup_free char *domain = server_domain(server);
	struct bld_registry_client *c = NULL;
	int r = bld_registry_client_new(&c, domain, o, err);
	if (r == 0) {
		bld_registry_client_set_creds(c, user, secret);
		r = bld_registry_client_check(c, err);
	}
	bld_registry_client_free(c);
	if (r < 0)
		return bld_error_wrap(err, "login to %s", domain);
	return 0;
}

int bld_registry_login(const char *server, const char *user, const char *secret,
		       const struct bld_registry_opts *o, struct bld_error **err)
{
	if (!o || !o->config_dir)
		return bld_error_set(err, BLD_E_INTERNAL, "login without a config dir");
	if (bld_registry_login_check(server, user, secret, o, err) < 0)
		return -1;
	cleanup_free char *domain = server_domain(server);
	return store(o->config_dir, domain, user, secret, err);
}

/* Removes every auths entry that names domain; true when one was there. */
static bool drop_auths(json_t *cfg, const char *domain)
{
	json_t *auths = json_object_get(cfg, "auths");
	bool found = false;
	const char *k;
	json_t *v, *tmp;
	json_object_foreach_safe(auths, tmp, k, v)
	{
		cleanup_free char *d = bld_registry_server_domain(k);
		if (strcmp(d, domain) == 0) {
			json_object_del(auths, k);
			found = true;
		}
	}
	return found;
}

int bld_registry_logout(const char *server, const struct bld_registry_opts *o,
			struct bld_error **err)
{
	if (!o || !o->config_dir)
		return bld_error_set(err, BLD_E_INTERNAL, "logout without a config dir");
	cleanup_free char *domain = server_domain(server);
	json_t *cfg = NULL;
	if (config_load(o->config_dir, &cfg, err) < 0)
		return -1;
	const char *helper = helper_for(cfg, domain);
	int r = 0;
	if (helper) {
		cleanup_free char *out = NULL;
		cleanup_error struct bld_error *e = NULL;
		r = reg_cred_helper_run(helper, "erase", bld_registry_auth_key(domain), &out, &e);
		if (r < 0 && e->code == BLD_E_NOTFOUND)
			r = 1;
		else if (r < 0)
			bld_error_move(err, &e);
	}
	bool found = drop_auths(cfg, domain);
	if (found && r >= 0 && config_save(o->config_dir, cfg, err) < 0)
		r = -1;
	else if (!found && !helper)
		r = 1;
	json_decref(cfg);
	return r;
}
