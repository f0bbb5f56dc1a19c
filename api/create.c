/*
 * api/create.c — POST /containers/create's body (Config, HostConfig, NetworkingConfig) as the
 * struct bld_runner_container_config the CLI's run options fill: the fields the runner takes
 * as its own members (image, command, environment, mounts, ports, limits, restart policy,
 * logging, health check, networks) are read here; every other HostConfig and Config member
 * that carries a value goes to the runner as it is (host_extra, config_extra), in the API's
 * own shape, which the runner checks as docker's daemon does (runner/hostcfg.c).
 *
 * It decides nothing the runner decides: defaults, refusals and the stored document are the
 * runner's, as for `bld create`.
 */
#include "api/api_int.h"
#include "registry/registry.h"
#include "runner/runner.h"

/* The members read into the config's own fields, left out of host_extra/config_extra. */
static const char *const host_own[] = {
	"AutoRemove", "ReadonlyRootfs", "Init",  "Privileged", "CapAdd",       "CapDrop",
	"SecurityOpt", "Memory",        "NanoCpus", "PidsLimit", "Binds",      "Tmpfs",
	"NetworkMode", "Links",         "PortBindings", "PublishAllPorts", "RestartPolicy",
	"LogConfig",  NULL};
static const char *const config_own[] = {
	"Image", "Cmd", "Entrypoint", "Env", "WorkingDir", "User", "Hostname", "Tty",
	"OpenStdin", "Labels", "Healthcheck", "AttachStdin", "AttachStdout", "AttachStderr",
	"StdinOnce", "ArgsEscaped", NULL};

static bool listed(const char *const *v, const char *key)
{
	for (size_t i = 0; v[i]; i++)
		if (strcmp(v[i], key) == 0)
			return true;
	return false;
}

/* Whether a value is docker's "not given": null, "", 0, false, [] or {}. */
static bool unset(const json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) ||
	       (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_integer(v) && json_integer_value(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

/* The members of o that are not own and carry a value (NULL when none). */
static json_t *extra(const json_t *o, const char *const *own)
{
	json_t *out = NULL;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (listed(own, k) || unset(v))
			continue;
		if (!out)
			out = json_object();
		json_object_set(out, k, v);
	}
	return out;
}

static char *str_dup(const json_t *o, const char *key)
{
	const char *s = bld_json_get_str(o, key);
	return s && *s ? xstrdup(s) : NULL;
}

/* PortBindings {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} as the runner's ports. */
static int ports(struct bld_runner_container_config *c, const json_t *pb, struct bld_error **err)
{
	const char *key;
	json_t *binds;
	json_object_foreach((json_t *)pb, key, binds) {
		long ctr = 0, host = 0;
		cleanup_free char *num = xstrndup(key, strcspn(key, "/"));
		const char *proto = strchr(key, '/') ? strchr(key, '/') + 1 : "tcp";
		if (bld_parse_long(num, 1, 65535, &ctr) < 0 || strlen(proto) > 3)
			return bld_error_set(err, BLD_E_INVALID, "invalid port specification: \"%s\"",
					     key);
		size_t i;
		json_t *b;
		json_array_foreach(binds, i, b) {
			const char *hp = bld_json_get_str(b, "HostPort"), *ip = bld_json_get_str(b, "HostIp");
			if (hp && *hp && bld_parse_long(hp, 0, 65535, &host) < 0)
				return bld_error_set(err, BLD_E_INVALID, "invalid hostPort: %s", hp);
			c->ports = xrealloc(c->ports, (c->n_ports + 1) * sizeof(*c->ports));
			struct bld_runner_port *p = &c->ports[c->n_ports++];
			memset(p, 0, sizeof(*p));
			snprintf(p->host_ip, sizeof(p->host_ip), "%s", ip ? ip : "");
			snprintf(p->proto, sizeof(p->proto), "%s", proto);
			p->ctr_port = (int)ctr;
			p->host_port = hp && *hp ? (int)host : 0;
		}
	}
	return 0;
}

/* RestartPolicy {"Name", "MaximumRetryCount"} as run --restart's string. */
static char *restart(const json_t *rp)
{
	const char *name = bld_json_get_str(rp, "Name");
	json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
	if (!name || !*name)
		return NULL;
	if (strcmp(name, "on-failure") == 0 && max > 0)
		return xasprintf("on-failure:%lld", (long long)max);
	return xstrdup(name);
}

/* Config.Healthcheck into the runner's (durations are nanoseconds in both). */
static void health(struct bld_runner_health *h, const json_t *hc)
{
	if (!hc)
		return;
	h->test = bld_json_to_strv(json_object_get(hc, "Test"));
	h->interval = json_integer_value(json_object_get(hc, "Interval"));
	h->timeout = json_integer_value(json_object_get(hc, "Timeout"));
	h->start_period = json_integer_value(json_object_get(hc, "StartPeriod"));
	h->start_interval = json_integer_value(json_object_get(hc, "StartInterval"));
	h->retries = (int)json_integer_value(json_object_get(hc, "Retries"));
}

/* SecurityOpt: no-new-privileges and seccomp=unconfined; the rest is docker's to refuse. */
static int security(struct bld_runner_container_config *c, const json_t *opts,
		    struct bld_error **err)
{
	size_t i;
	json_t *v;
	json_array_foreach((json_t *)opts, i, v) {
		const char *o = json_string_value(v);
		if (!o)
			continue;
		if (!strcmp(o, "no-new-privileges") || !strcmp(o, "no-new-privileges:true") ||
		    !strcmp(o, "no-new-privileges=true"))
			c->no_new_privs = true;
		else if (!strcmp(o, "seccomp=unconfined") || !strcmp(o, "seccomp:unconfined"))
			c->seccomp = xstrdup("unconfined");
		else if (!bld_str_has_prefix(o, "label"))
			return bld_error_set(err, BLD_E_UNSUPPORTED,
					     "security option %s is not supported", o);
	}
	return 0;
}

static void config_fields(struct bld_runner_container_config *c, const json_t *cfg)
{
	c->image = str_dup(cfg, "Image");
	c->cmd = bld_json_to_strv(json_object_get(cfg, "Cmd"));
	json_t *ep = json_object_get(cfg, "Entrypoint");
	if (json_is_array(ep)) {
		c->entrypoint_set = true;
		c->entrypoint = xcalloc(json_array_size(ep) + 1, sizeof(char *));
		size_t i, k = 0;
		json_t *v;
		json_array_foreach(ep, i, v)
			if (json_string_value(v) && (*json_string_value(v) || i > 0))
				c->entrypoint[k++] = xstrdup(json_string_value(v));
	}
	c->env = bld_json_to_strv(json_object_get(cfg, "Env"));
	c->workdir = str_dup(cfg, "WorkingDir");
	c->user = str_dup(cfg, "User");
	c->hostname = str_dup(cfg, "Hostname");
	c->tty = json_is_true(json_object_get(cfg, "Tty"));
	c->interactive = json_is_true(json_object_get(cfg, "OpenStdin"));
	c->labels = bld_api_kv_strv(json_object_get(cfg, "Labels"));
	health(&c->health, json_object_get(cfg, "Healthcheck"));
	c->config_extra = extra(cfg, config_own);
}

static int host_fields(struct bld_runner_container_config *c, const json_t *hc,
		       struct bld_error **err)
{
	c->auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));
	c->readonly = json_is_true(json_object_get(hc, "ReadonlyRootfs"));
	c->init = json_is_true(json_object_get(hc, "Init"));
	c->privileged = json_is_true(json_object_get(hc, "Privileged"));
	c->cap_add = bld_json_to_strv(json_object_get(hc, "CapAdd"));
	c->cap_drop = bld_json_to_strv(json_object_get(hc, "CapDrop"));
	c->memory = json_integer_value(json_object_get(hc, "Memory"));
	c->cpu_milli = json_integer_value(json_object_get(hc, "NanoCpus")) / 1000000;
	c->pids_limit = json_integer_value(json_object_get(hc, "PidsLimit"));
	c->binds = bld_json_to_strv(json_object_get(hc, "Binds"));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(hc, "Tmpfs"), k, v) {
		const char *o = json_string_value(v);
		cleanup_free char *t = o && *o ? xasprintf("%s:%s", k, o) : xstrdup(k);
		bld_strv_push(&c->tmpfs, t);
	}
	const char *mode = bld_json_get_str(hc, "NetworkMode");
	c->network = mode && *mode && strcmp(mode, "default") ? xstrdup(mode) : NULL;
	c->links = bld_json_to_strv(json_object_get(hc, "Links"));
	c->publish_all = json_is_true(json_object_get(hc, "PublishAllPorts"));
	c->restart = restart(json_object_get(hc, "RestartPolicy"));
	json_t *lc = json_object_get(hc, "LogConfig");
	c->log_driver = str_dup(lc, "Type");
	c->log_opts = bld_api_kv_strv(json_object_get(lc, "Config"));
	c->host_extra = extra(hc, host_own);
	if (c->auto_remove && c->restart && strcmp(c->restart, "no") != 0)
		return bld_error_set(err, BLD_E_INVALID, "conflicting options: cannot specify both "
				     "--restart and --rm");
	return ports(c, json_object_get(hc, "PortBindings"), err) < 0 ||
			       security(c, json_object_get(hc, "SecurityOpt"), err) < 0
		       ? -1
		       : 0;
}

/* Config.Volumes, which `docker run -v /PATH` sends: an anonymous volume at each path that no
 * bind mount already covers, as docker's daemon makes them. */
static void anonymous_volumes(struct bld_runner_container_config *c, const json_t *volumes)
{
	const char *path;
	json_t *v;
	json_object_foreach((json_t *)volumes, path, v) {
		bool bound = false;
		for (size_t i = 0; c->binds && c->binds[i] && !bound; i++) {
			const char *b = c->binds[i], *colon = strchr(b, ':');
			const char *dst = colon ? colon + 1 : b;
			size_t n = strcspn(dst, ":");
			bound = strlen(path) == n && strncmp(dst, path, n) == 0;
		}
		if (!bound && path[0] == '/')
			bld_strv_push(&c->binds, path);
	}
}

/* The image, as docker's daemon looks it up (not pulled: the client pulls on a 404). */
static int image(struct bld_runner_container_config *c, struct bld_ctx *ctx,
		 struct bld_error **err)
{
	if (!c->image)
		return bld_error_set(err, BLD_E_INVALID, "Config cannot be empty in order to "
				     "create a container");
	if (bld_cache_store_open(&c->store, ctx->root, err) < 0)
		return -1;
	if (bld_api_image_find(c->store, c->image, &c->loaded, err) < 0)
		return -1;
	c->image_ref = xstrdup(c->loaded->name ? c->loaded->name : c->loaded->id);
	return 0;
}

int bld_api_create_config(struct bld_runner_container_config *c, struct bld_ctx *ctx,
			  const json_t *body, const char *name, struct bld_error **err)
{
	memset(c, 0, sizeof(*c));
	json_t *hc = json_object_get(body, "HostConfig");
	json_t *eps = json_object_get(json_object_get(body, "NetworkingConfig"), "EndpointsConfig");
	config_fields(c, body);
	c->name = name && *name ? xstrdup(name) : NULL;
	if (json_object_size(eps))
		c->endpoints = json_incref(eps);
	if (c->workdir && c->workdir[0] != '/')
		return bld_error_set(err, BLD_E_INVALID, "the working directory '%s' is invalid, it "
				     "needs to be an absolute path", c->workdir);
	if (hc && host_fields(c, hc, err) < 0)
		return -1;
	anonymous_volumes(c, json_object_get(body, "Volumes"));
	return image(c, ctx, err);
}
