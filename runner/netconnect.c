/*
 * runner/netconnect.c — `network connect` and `network disconnect`: a running container's
 * networks change live through its monitor (which owns its namespace: it makes or removes
 * the interface, the lease and the endpoint file, then records the change in the config and
 * state), a stopped one's only in its config, for its next start. Docker's refusals and
 * words; every refusal carries docker's exit status 1.
 *
 * Nothing here touches an interface or a lease itself: a bld killed at any moment leaves
 * either the old or the new config, and the monitor's work is the monitor's.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <unistd.h>

int bld_runner_netcfg_update(struct bld_ctx *ctx, const char *id, const char *net,
			     json_t *epcfg, json_t *mem, struct bld_error **err)
{
	cleanup_close int lock = bld_runner_containers_lock(ctx, err);
	if (lock < 0)
		return -1;
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_json json_t *cfg = NULL;
	if (bld_runner_json_read(dir, "config.json", &cfg, err) < 0)
		return -1;
	json_t *docs[] = {cfg, mem};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(docs) && docs[i]; i++) {
		json_t *nc = json_object_get(docs[i], "NetworkingConfig");
		if (!json_is_object(nc)) {
			nc = json_object();
			json_object_set_new(docs[i], "NetworkingConfig", nc);
		}
		json_t *eps = json_object_get(nc, "EndpointsConfig");
		if (!json_is_object(eps)) {
			eps = json_object();
			json_object_set_new(nc, "EndpointsConfig", eps);
		}
		if (epcfg)
			json_object_set_new(eps, net, json_deep_copy(epcfg));
		else
			json_object_del(eps, net);
	}
	return bld_runner_config_write(dir, cfg, err);
}

/* The network modes that take no other network, in docker's words. */
static int mode_refusal(json_t *cfg, struct bld_error **err)
{
	const char *mode = bld_json_get_str(json_object_get(cfg, "HostConfig"), "NetworkMode");
	if (mode && strcmp(mode, "host") == 0)
		return bld_error_set(err, BLD_E_INVALID, "container cannot be disconnected from host "
				     "network or connected to host network");
	if (mode && strcmp(mode, "none") == 0)
		return bld_error_set(err, BLD_E_INVALID, "container cannot be connected to multiple "
				     "networks with one of the networks in private (none) mode");
	if (mode && bld_str_has_prefix(mode, "container:"))
		return bld_error_set(err, BLD_E_INVALID, "container sharing network namespace with "
				     "another container or host cannot be connected to any other "
				     "network");
	return 0;
}

/* Sends one command line to the running container's monitor: 0 on "ok", else its error. */
static int ask_monitor(struct bld_ctx *ctx, const char *id, const char *line,
		       struct bld_error **err)
{
	cleanup_close int s = bld_runner_client_send(ctx, id, line);
	char reply[1024];
	if (s < 0)
		return bld_error_sys(err, -s, "container %s is not running", id);
	if (bld_runner_client_readline(s, reply, sizeof(reply)) < 0)
		return bld_error_set(err, BLD_E_SYSTEM, "container %s stopped meanwhile", id);
	if (strcmp(reply, "ok") == 0)
		return 0;
	return bld_error_set(err, BLD_E_INVALID, "%s",
			     bld_str_has_prefix(reply, "error ") ? reply + 6 : reply);
}

static json_t *endpoint_config(const struct bld_runner_net_attach *o)
{
	/* docker's CLI sends an (empty) IPAM config and driver options with every connect */
	json_t *ipam = json_object();
	json_t *ep = json_pack("{s:o, s:n, s:n, s:{}}", "IPAMConfig", ipam, "Links", "Aliases",
			       "DriverOpts");
	if (o->ip && *o->ip)
		json_object_set_new(ipam, "IPv4Address", json_string(o->ip));
	if (o->ip6 && *o->ip6)
		json_object_set_new(ipam, "IPv6Address", json_string(o->ip6));
	if (o->aliases && o->aliases[0])
		json_object_set_new(ep, "Aliases", bld_json_strv(o->aliases));
	if (o->links && o->links[0])
		json_object_set_new(ep, "Links", bld_json_strv(o->links));
	return ep;
}

static int connect_ref(struct bld_ctx *ctx, const char *net_ref, const char *ctr_ref,
		       const struct bld_runner_net_attach *o, struct bld_error **err)
{
	cleanup_json json_t *net = NULL;
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	cleanup_free char *id = NULL;
	if (bld_runner_network_load(ctx, net_ref, &net, err) < 0 ||
	    bld_runner_container_load_ref(ctx, ctr_ref, &id, &cfg, &st, err) < 0 || mode_refusal(cfg, err) < 0)
		return -1;
	cleanup_json json_t *ep = endpoint_config(o);
	const char *name = bld_json_get_str(net, "Name");
	/* the host and none networks take no endpoint: docker's words for their modes */
	if (name && (strcmp(name, "host") == 0 || strcmp(name, "none") == 0)) {
		json_t *as = json_pack("{s:{s:s}}", "HostConfig", "NetworkMode", name);
		int r = mode_refusal(as, err);
		json_decref(as);
		return r;
	}
	if (!json_is_true(json_object_get(st, "Running")))
		return bld_runner_netcfg_update(ctx, id, name, ep, NULL, err);
	cleanup_json json_t *req = json_pack("{s:s, s:O}", "Network", bld_json_get_str(net, "Id"),
					     "EndpointConfig", ep);
	cleanup_free char *body = json_dumps(req, JSON_COMPACT);
	cleanup_free char *line = xasprintf("connect %s\n", body);
	return ask_monitor(ctx, id, line, err);
}

int bld_runner_network_connect(struct bld_ctx *ctx, const char *net, const char *ctr,
			       const struct bld_runner_net_attach *o, struct bld_error **err)
{
	int r = connect_ref(ctx, net, ctr, o, err);
	if (r < 0 && err && *err)
		(*err)->status = 1;
	return r;
}

/* Whether the config names the network (by its name or id) among its endpoints. */
static bool configured(json_t *cfg, json_t *net)
{
	json_t *eps = json_object_get(json_object_get(cfg, "NetworkingConfig"), "EndpointsConfig");
	const char *mode = bld_json_get_str(json_object_get(cfg, "HostConfig"), "NetworkMode");
	const char *name = bld_json_get_str(net, "Name"), *nid = bld_json_get_str(net, "Id");
	return json_object_get(eps, name) || json_object_get(eps, nid) ||
	       (mode && (strcmp(mode, name) == 0 || strcmp(mode, nid) == 0));
}

static int disconnect_ref(struct bld_ctx *ctx, const char *net_ref, const char *ctr_ref,
			  struct bld_error **err)
{
	cleanup_json json_t *net = NULL;
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	cleanup_free char *id = NULL;
	if (bld_runner_container_load_ref(ctx, ctr_ref, &id, &cfg, &st, err) < 0 ||
	    bld_runner_network_load(ctx, net_ref, &net, err) < 0)
		return -1;
	const char *name = bld_json_get_str(net, "Name");
	if (!json_is_true(json_object_get(st, "Running"))) {
		if (!configured(cfg, net))
			return bld_error_set(err, BLD_E_INVALID,
					     "container %s is not connected to network %s", id,
					     net_ref);
		return bld_runner_netcfg_update(ctx, id, name, NULL, NULL, err);
	}
	cleanup_free char *line = xasprintf("disconnect %s\n", bld_json_get_str(net, "Id"));
	int r = ask_monitor(ctx, id, line, err);
	if (r < 0 && (*err)->code == BLD_E_INVALID &&
	    bld_str_has_prefix((*err)->msg, "container ")) {
		bld_error_free(*err);
		*err = NULL;
		return bld_error_set(err, BLD_E_INVALID,
				     "container %s is not connected to network %s", id, net_ref);
	}
	return r;
}

int bld_runner_network_disconnect(struct bld_ctx *ctx, const char *net, const char *ctr,
				  bool force, struct bld_error **err)
{
	(void)force; /* bld keeps no endpoint of a dead container: nothing more to force */
	int r = disconnect_ref(ctx, net, ctr, err);
	if (r < 0 && err && *err)
		(*err)->status = 1;
	return r;
}

int bld_runner_network_alias_add(struct bld_ctx *ctx, const char *net, const char *ctr,
				 char *const *aliases, struct bld_error **err)
{
	cleanup_json json_t *n = NULL;
	cleanup_free char *id = NULL;
	if (bld_runner_network_load(ctx, net, &n, err) < 0 ||
	    bld_runner_container_lookup(ctx, ctr, &id, err) < 0)
		return -1;
	cleanup_close int lock = bld_runner_networks_lock(ctx, err);
	if (lock < 0)
		return -1;
	cleanup_free char *ndir = bld_runner_network_dir(ctx, bld_json_get_str(n, "Id"));
	cleanup_free char *dir = xasprintf("%s/endpoints", ndir);
	cleanup_free char *name = xasprintf("%s.json", id);
	cleanup_json json_t *ep = NULL;
	if (bld_runner_json_read(dir, name, &ep, err) < 0)
		return bld_error_wrap(err, "container %s is not connected to network %s", ctr, net);
	json_t *al = json_object_get(ep, "Aliases");
	if (!json_is_array(al)) {
		al = json_array();
		json_object_set_new(ep, "Aliases", al);
	}
	for (size_t i = 0; aliases && aliases[i]; i++)
		json_array_append_new(al, json_string(aliases[i]));
	return bld_runner_json_write(dir, name, ep, err);
}
