/*
 * api/resources.c — the network and volume endpoints: list, inspect, create, delete, and a
 * network's connect and disconnect. Every one is a call `bld network ...` or `bld volume ...`
 * makes (runner/); the runner's objects are already docker's shapes, so only the request's
 * JSON is read here.
 */
#include "api/api_int.h"
#include "runner/runner.h"

int bld_api_networks_list(struct bld_api_req *req, struct bld_api_resp *resp,
			  struct bld_error **err)
{
	cleanup_strv char **filters = NULL;
	if (bld_api_query_filters(req, &filters, err) < 0)
		return -1;
	return bld_runner_network_filter(req->ctx, filters, &resp->json, err);
}

int bld_api_networks_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err)
{
	return bld_runner_network_inspect(req->ctx, req->captures[0], &resp->json, err);
}

/* IPAM.Config's member key of each entry, as a list (NULL when none). */
static char **ipam_values(const json_t *ipam, const char *key)
{
	char **out = NULL;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(ipam, "Config"), i, c) {
		const char *v = bld_json_get_str(c, key);
		if (v && *v)
			bld_strv_push(&out, v);
	}
	return out;
}

int bld_api_networks_create(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	cleanup_json json_t *b = NULL;
	if (bld_api_body_json(req, &b, err) < 0)
		return -1;
	json_t *ipam = json_object_get(b, "IPAM");
	cleanup_strv char **subnets = ipam_values(ipam, "Subnet");
	cleanup_strv char **gateways = ipam_values(ipam, "Gateway");
	cleanup_strv char **ranges = ipam_values(ipam, "IPRange");
	cleanup_strv char **labels = bld_api_kv_strv(json_object_get(b, "Labels"));
	cleanup_strv char **options = bld_api_kv_strv(json_object_get(b, "Options"));
	const char *driver = bld_json_get_str(b, "Driver");
	struct bld_runner_network_spec s = {
		.name = bld_json_get_str(b, "Name"),
		.driver = driver && *driver ? driver : NULL,
		.subnets = subnets, .gateways = gateways, .ip_ranges = ranges,
		.labels = labels, .options = options,
		.ipv6 = json_is_true(json_object_get(b, "EnableIPv6")),
		.internal = json_is_true(json_object_get(b, "Internal")),
		.attachable = json_is_true(json_object_get(b, "Attachable")),
	};
	if (!s.name || !*s.name)
		return bld_error_set(err, BLD_E_INVALID, "network name must be given");
	cleanup_free char *id = NULL;
	if (bld_runner_network_create(req->ctx, &s, &id, err) < 0)
		return -1;
	resp->status = MHD_HTTP_CREATED;
	resp->json = json_pack("{s:s, s:s}", "Id", id, "Warning", "");
	return 0;
}

int bld_api_networks_delete(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	resp->status = MHD_HTTP_NO_CONTENT;
	return bld_runner_network_remove(req->ctx, req->captures[0], err);
}

int bld_api_networks_connect(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err)
{
	cleanup_json json_t *b = NULL;
	if (bld_api_body_json(req, &b, err) < 0)
		return -1;
	json_t *ep = json_object_get(b, "EndpointConfig");
	json_t *ipam = json_object_get(ep, "IPAMConfig");
	cleanup_strv char **aliases = bld_json_to_strv(json_object_get(ep, "Aliases"));
	cleanup_strv char **links = bld_json_to_strv(json_object_get(ep, "Links"));
	const char *ip = bld_json_get_str(ipam, "IPv4Address");
	const char *ip6 = bld_json_get_str(ipam, "IPv6Address");
	struct bld_runner_net_attach o = {.aliases = aliases, .links = links,
					  .ip = ip && *ip ? ip : NULL,
					  .ip6 = ip6 && *ip6 ? ip6 : NULL};
	const char *ctr = bld_json_get_str(b, "Container");
	if (!ctr)
		return bld_error_set(err, BLD_E_INVALID, "a container must be given");
	return bld_runner_network_connect(req->ctx, req->captures[0], ctr, &o, err);
}

int bld_api_networks_disconnect(struct bld_api_req *req, struct bld_api_resp *resp,
				struct bld_error **err)
{
	cleanup_json json_t *b = NULL;
	if (bld_api_body_json(req, &b, err) < 0)
		return -1;
	const char *ctr = bld_json_get_str(b, "Container");
	if (!ctr)
		return bld_error_set(err, BLD_E_INVALID, "a container must be given");
	return bld_runner_network_disconnect(req->ctx, req->captures[0], ctr,
					     json_is_true(json_object_get(b, "Force")), err);
}

int bld_api_volumes_list(struct bld_api_req *req, struct bld_api_resp *resp,
			 struct bld_error **err)
{
	cleanup_strv char **names = NULL;
	if (bld_runner_volume_list(req->ctx, &names, err) < 0)
		return -1;
	json_t *vols = json_array();
	for (size_t i = 0; names && names[i]; i++) {
		json_t *v = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_volume_inspect(req->ctx, names[i], &v, &e) == 0)
			json_array_append_new(vols, v);
	}
	resp->json = json_pack("{s:o, s:n}", "Volumes", vols, "Warnings");
	return 0;
}

int bld_api_volumes_inspect(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	return bld_runner_volume_inspect(req->ctx, req->captures[0], &resp->json, err);
}

int bld_api_volumes_create(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err)
{
	cleanup_json json_t *b = NULL;
	if (bld_api_body_json(req, &b, err) < 0)
		return -1;
	const char *driver = bld_json_get_str(b, "Driver");
	if (driver && *driver && strcmp(driver, "local") != 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "plugin \"%s\" not found", driver);
	cleanup_strv char **labels = bld_api_kv_strv(json_object_get(b, "Labels"));
	cleanup_strv char **opts = bld_api_kv_strv(json_object_get(b, "DriverOpts"));
	const char *name = bld_json_get_str(b, "Name");
	cleanup_free char *made = NULL;
	if (bld_runner_volume_create_opts(req->ctx, name && *name ? name : NULL, labels, opts,
					  &made, err) < 0 ||
	    bld_runner_volume_inspect(req->ctx, made, &resp->json, err) < 0)
		return -1;
	resp->status = MHD_HTTP_CREATED;
	return 0;
}

int bld_api_volumes_delete(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err)
{
	resp->status = MHD_HTTP_NO_CONTENT;
	return bld_runner_volume_remove(req->ctx, req->captures[0],
					bld_api_query_bool(req, "force"), err);
}
