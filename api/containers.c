/*
 * api/containers.c — the container endpoints: GET /containers/json (docker ps) from the
 * runner's list and filters, each container in docker's ContainerSummary shape.
 *
 * Which containers exist and what passes a filter is the runner's (the same calls `bld ps`
 * makes); only the JSON shape is made here.
 */
#include "api/api_int.h"
#include "runner/runner.h"

/* NetworkSettings.Ports of a state ({"80/tcp": [{HostIp, HostPort}]}) as the summary's
 * Ports: [{IP, PrivatePort, PublicPort, Type}]. */
static json_t *summary_ports(json_t *st)
{
	json_t *out = json_array();
	const char *key;
	json_t *binds;
	json_object_foreach(json_object_get(json_object_get(st, "NetworkSettings"), "Ports"), key,
			    binds) {
		char proto[8] = "tcp";
		long priv = strtol(key, NULL, 10);
		const char *slash = strchr(key, '/');
		if (slash)
			snprintf(proto, sizeof(proto), "%s", slash + 1);
		size_t i;
		json_t *b;
		json_array_foreach(binds, i, b) {
			const char *ip = bld_json_get_str(b, "HostIp");
			const char *hp = bld_json_get_str(b, "HostPort");
			json_array_append_new(
				out, json_pack("{s:s, s:I, s:I, s:s}", "IP", ip && *ip ? ip : "0.0.0.0",
					       "PrivatePort", (json_int_t)priv, "PublicPort",
					       (json_int_t)(hp ? strtol(hp, NULL, 10) : 0), "Type",
					       proto));
		}
	}
	return out;
}

/* One container as GET /containers/json shows it. */
static json_t *summary(const struct bld_runner_container_info *c)
{
	json_t *cfg = c->cfg_json, *st = c->state_json;
	json_t *host = json_object_get(cfg, "HostConfig");
	const char *mode = bld_json_get_str(host, "NetworkMode");
	const char *image_id = bld_json_get_str(cfg, "ImageID");
	json_t *networks = json_object_get(json_object_get(st, "NetworkSettings"), "Networks");
	json_t *mounts = json_object_get(cfg, "Mounts");
	return json_pack("{s:s, s:[s+], s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:{s:s},"
			 " s:{s:O}, s:O}",
			 "Id", c->id, "Names", "/", c->name, "Image", c->image, "ImageID",
			 image_id ? image_id : "", "Command", c->command, "Created",
			 (json_int_t)c->created, "Ports", summary_ports(st), "Labels",
			 bld_api_kv_object(c->labels), "State", c->state, "Status",
			 c->status_text, "HostConfig", "NetworkMode",
			 mode && *mode ? mode : "default", "NetworkSettings", "Networks",
			 networks ? networks : json_object(), "Mounts",
			 mounts ? mounts : json_array());
}

int bld_api_containers_list(struct bld_api_req *req, struct bld_api_resp *resp,
			    struct bld_error **err)
{
	cleanup_strv char **filters = NULL;
	long limit = -1;
	if (bld_api_query_filters(req, &filters, err) < 0 ||
	    bld_api_query_int(req, "limit", -1, &limit, err) < 0)
		return -1;
	bool all = bld_api_query_bool(req, "all") || limit > 0;
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	if (bld_runner_container_list(req->ctx, &v, &n, err) < 0)
		return -1;
	cleanup_free bool *keep = xcalloc(n ? n : 1, sizeof(bool));
	int r = bld_runner_container_filter(req->ctx, v, n, filters, keep, err);
	for (size_t i = 0; filters && filters[i]; i++)
		all |= bld_str_has_prefix(filters[i], "status=") ||
		       bld_str_has_prefix(filters[i], "exited=");
	json_t *out = json_array();
	for (size_t i = 0; r == 0 && i < n && (limit <= 0 || (long)json_array_size(out) < limit);
	     i++) {
		bool up = !strcmp(v[i].state, "running") || !strcmp(v[i].state, "paused") ||
			  !strcmp(v[i].state, "restarting");
		if (keep[i] && (all || up))
			json_array_append_new(out, summary(&v[i]));
	}
	bld_runner_container_info_free(v, n);
	if (r < 0) {
		json_decref(out);
		return -1;
	}
	resp->json = out;
	return 0;
}
