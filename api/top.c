/*
 * api/top.c — GET /containers/{id}/top (docker top): the runner's table of the container's
 * processes (runner/top.c, what `bld top` prints) as docker's {"Titles", "Processes"}.
 */
#include "api/api_int.h"
#include "runner/runner.h"

int bld_api_containers_top(struct bld_api_req *req, struct bld_api_resp *resp,
			   struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (bld_api_container_find(req, &id, NULL, err) < 0)
		return -1;
	const char *ps = bld_api_query(req, "ps_args");
	cleanup_strv char **args = ps && *ps ? bld_strv_split(ps, " ") : NULL;
	struct bld_runner_top t;
	if (bld_runner_container_top(req->ctx, id, args, &t, err) < 0) {
		if ((*err)->code == BLD_E_INVALID && strstr((*err)->msg, "is not running"))
			(*err)->code = BLD_E_EXISTS; /* docker's 409 */
		return -1;
	}
	json_t *procs = json_array();
	for (size_t i = 0; i < t.n; i++)
		json_array_append_new(procs, bld_json_strv(t.rows[i]));
	resp->json = json_pack("{s:o, s:o}", "Titles", bld_json_strv(t.titles), "Processes",
			       procs);
	bld_runner_top_dispose(&t);
	return 0;
}
