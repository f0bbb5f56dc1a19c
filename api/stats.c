/*
 * api/stats.c — GET /containers/{id}/stats (docker stats): the runner's readings (the ones
 * `bld stats` takes, runner/stats.c) in docker's Linux stats object, one (stream=false: two
 * readings half a second apart, so that the client's CPU percentage has a previous one, as
 * docker's one-shot has) or one a second until the client goes or the container stops.
 *
 * system_cpu_usage is the reading's monotonic time multiplied by the online CPUs: the
 * client's CPU percentage (the container's CPU time over the system's, times the CPUs) is
 * then its CPU time over the wall time, as `bld stats` shows it.
 */
#include "api/api_int.h"
#include "runner/runner.h"

#include <time.h>

#define STATS_INTERVAL_MS 1000
#define ONE_SHOT_GAP_MS 500

struct stats_job {
	struct bld_ctx *ctx;
	char id[65];
	char name[256];
	bool stream;
};

static json_t *cpu_json(const struct bld_runner_stats *s, long ncpu)
{
	return json_pack("{s:{s:I, s:I, s:I}, s:I, s:i, s:{s:i, s:i, s:i}}", "cpu_usage",
			 "total_usage", (json_int_t)s->cpu_ns, "usage_in_kernelmode", (json_int_t)0,
			 "usage_in_usermode", (json_int_t)s->cpu_ns, "system_cpu_usage",
			 (json_int_t)(s->read_ns * (uint64_t)ncpu), "online_cpus", (int)ncpu,
			 "throttling_data", "periods", 0, "throttled_periods", 0, "throttled_time",
			 0);
}

/* docker's stats object from the reading cur and the one before (pre, zero when none). */
static json_t *stats_json(const struct stats_job *j, const struct bld_runner_stats *cur,
			  const struct bld_runner_stats *pre)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char now[40];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	bld_api_time(now, (double)ts.tv_sec + ts.tv_nsec / 1e9);
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:{s:I}, s:o, s:o, s:{s:I, s:I, s:{}},"
		" s:{s:[{s:i, s:i, s:s, s:I}, {s:i, s:i, s:s, s:I}]}, s:{s:{s:I, s:I}}}",
		"id", j->id, "name", j->name, "read", now, "preread", now, "pids_stats", "current",
		(json_int_t)cur->pids, "cpu_stats", cpu_json(cur, ncpu > 0 ? ncpu : 1),
		"precpu_stats", cpu_json(pre, ncpu > 0 ? ncpu : 1), "memory_stats", "usage",
		(json_int_t)cur->mem_usage, "limit", (json_int_t)cur->mem_limit, "stats",
		"blkio_stats", "io_service_bytes_recursive", "major", 0, "minor", 0, "op", "read",
		"value", (json_int_t)cur->blk_read, "major", 0, "minor", 0, "op", "write", "value",
		(json_int_t)cur->blk_write, "networks", "eth0", "rx_bytes", (json_int_t)cur->net_rx,
		"tx_bytes", (json_int_t)cur->net_tx);
}

static bool send_json(int wfd, json_t *o)
{
	cleanup_free char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	cleanup_free char *line = xasprintf("%s\n", text);
	return bld_fs_write_all(wfd, line, strlen(line)) == 0;
}

static void reader(int wfd, void *arg)
{
	struct stats_job *j = arg;
	struct bld_runner_stats pre = {0}, cur = {0};
	cleanup_error struct bld_error *e = NULL;
	if (!j->stream) {
		if (bld_runner_container_stats(j->ctx, j->id, &pre, &e) == 0)
			usleep(ONE_SHOT_GAP_MS * 1000);
		if (bld_runner_container_stats(j->ctx, j->id, &cur, &e) == 0)
			send_json(wfd, stats_json(j, &cur, &pre));
		return;
	}
	while (bld_runner_container_stats(j->ctx, j->id, &cur, &e) == 0 &&
	       send_json(wfd, stats_json(j, &cur, &pre))) {
		pre = cur;
		usleep(STATS_INTERVAL_MS * 1000);
	}
}

int bld_api_containers_stats(struct bld_api_req *req, struct bld_api_resp *resp,
			     struct bld_error **err)
{
	cleanup_free char *id = NULL;
	cleanup_json json_t *info = NULL;
	if (bld_api_container_find(req, &id, &info, err) < 0)
		return -1;
	struct stats_job *j = xcalloc(1, sizeof(*j));
	j->ctx = req->ctx;
	snprintf(j->id, sizeof(j->id), "%s", id);
	const char *name = bld_json_get_str(info, "Name");
	snprintf(j->name, sizeof(j->name), "%s", name ? name : "");
	const char *stream = bld_api_query(req, "stream");
	j->stream = !stream || bld_api_query_bool(req, "stream");
	if (bld_api_stream(resp, reader, j, free, err) < 0)
		return -1;
	MHD_add_response_header(resp->raw, "Content-Type", "application/json");
	return 0;
}
