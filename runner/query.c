/*
 * runner/query.c — read-only views of containers: `bld ps` lines, `bld inspect`'s object
 * and `bld port`'s list, computed from config.json and state.json. A container recorded as
 * running whose monitor no longer answers is shown as dead, with "monitor died" as its error.
 */
#include "runner/runner_int.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>

/* "3 seconds", "About a minute", "2 hours" — Docker's HumanDuration. */
static void human_duration(char *out, size_t n, double secs)
{
	if (secs < 1)
		snprintf(out, n, "Less than a second");
	else if (secs < 60)
		snprintf(out, n, "%d second%s", (int)secs, (int)secs == 1 ? "" : "s");
	else if (secs < 120)
		snprintf(out, n, "About a minute");
	else if (secs < 3600)
		snprintf(out, n, "%d minutes", (int)(secs / 60));
	else if (secs < 7200)
		snprintf(out, n, "About an hour");
	else if (secs < 48 * 3600)
		snprintf(out, n, "%d hours", (int)(secs / 3600));
	else
		snprintf(out, n, "%d days", (int)(secs / 86400));
}

/* Whether a state read from disk says a monitor should be there (running or restarting). */
static bool state_says_running(json_t *st)
{
	return json_is_true(json_object_get(st, "Running")) ||
	       json_is_true(json_object_get(st, "Restarting"));
}

/* Fixes up a state read from disk: running but monitor gone means dead. */
void bld_runner_state_effective(struct bld_ctx *ctx, const char *id, json_t *st)
{
	if (!state_says_running(st) || bld_runner_client_wait_fd_alive(ctx, id))
		return;
	json_object_set_new(st, "Status", json_string("dead"));
	json_object_set_new(st, "Running", json_false());
	json_object_set_new(st, "Restarting", json_false());
	json_object_set_new(st, "Dead", json_true());
	json_object_set_new(st, "Error", json_string("monitor died"));
}

int bld_runner_container_load_live(struct bld_ctx *ctx, const char *id, json_t **cfg,
				   json_t **st, struct bld_error **err)
{
	if (bld_runner_container_load(ctx, id, cfg, st, err) < 0)
		return -1;
	bld_runner_state_effective(ctx, id, *st);
	return 0;
}

int bld_runner_container_load_ref(struct bld_ctx *ctx, const char *ref, char **id, json_t **cfg,
				  json_t **st, struct bld_error **err)
{
	if (bld_runner_container_lookup(ctx, ref, id, err) < 0)
		return -1;
	return bld_runner_container_load_live(ctx, *id, cfg, st, err);
}

/* The time a state's status line counts from: StartedAt while it runs, else FinishedAt. */
static double status_since(json_t *st)
{
	const char *s = bld_json_get_str(st, "Status");
	if (!s || !strcmp(s, "created") || !strcmp(s, "restarting") || !strcmp(s, "dead"))
		return 0;
	bool up = !strcmp(s, "running") || !strcmp(s, "paused");
	return bld_runner_time_parse(bld_json_get_str(st, up ? "StartedAt" : "FinishedAt"));
}

/* docker's status line of st, since being status_since(st). */
static char *status_text(json_t *st, double since)
{
	const char *s = bld_json_get_str(st, "Status");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* to the nanosecond as since is: whole seconds made "Up 1 second" late by up to one */
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	char d[64];
	if (!s || strcmp(s, "created") == 0)
		return xstrdup("Created");
	if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0) {
		human_duration(d, sizeof(d), now - since);
		/* docker's State.String(): (Paused), else Health.String(): "health: starting" or the
		 * status itself */
		const char *h = bld_json_get_str(json_object_get(st, "Health"), "Status");
		if (s[0] == 'p' || !h)
			return xasprintf("Up %s%s", d, s[0] == 'p' ? " (Paused)" : "");
		return xasprintf("Up %s (%s%s)", d, strcmp(h, "starting") ? "" : "health: ", h);
	}
	if (strcmp(s, "restarting") == 0)
		return xasprintf("Restarting (%d)",
				 (int)json_integer_value(json_object_get(st, "ExitCode")));
	if (strcmp(s, "dead") == 0)
		return xstrdup("Dead");
	human_duration(d, sizeof(d), now - since);
	return xasprintf("Exited (%d) %s ago",
			 (int)json_integer_value(json_object_get(st, "ExitCode")), d);
}

static char *ports_text(json_t *st)
{
	struct bld_buf b = BLD_BUF_INIT;
	const char *key;
	json_t *arr;
	json_object_foreach(json_object_get(json_object_get(st, "NetworkSettings"), "Ports"), key,
			    arr) {
		size_t i;
		json_t *p;
		json_array_foreach(arr, i, p)
			bld_buf_printf(&b, "%s%s:%s->%s", b.len ? ", " : "",
				       bld_json_get_str(p, "HostIp"), bld_json_get_str(p, "HostPort"),
				       key);
	}
	return bld_buf_detach(&b);
}


/* The list's Command as docker's daemon makes it: the path, then the arguments, each holding a
 * space in single quotes ("sh -c 'exit 3'"). */
static char *list_command(json_t *cfg)
{
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_adds(&b, bld_json_get_str(cfg, "Path") ? bld_json_get_str(cfg, "Path") : "");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(cfg, "Args"), i, a) {
		const char *s = json_string_value(a);
		bld_buf_printf(&b, strchr(s ? s : "", ' ') ? " '%s'" : " %s", s ? s : "");
	}
	return bld_buf_detach(&b);
}

static void fill_info(struct bld_runner_container_info *in, const char *id, json_t *cfg,
		      json_t *st)
{
	snprintf(in->id, sizeof(in->id), "%s", id);
	const char *name = bld_json_get_str(cfg, "Name");
	in->name = xstrdup(name && name[0] == '/' ? name + 1 : (name ? name : ""));
	const char *img = bld_json_get_str(json_object_get(cfg, "Config"), "Image");
	in->image = xstrdup(img ? img : "");
	in->command = list_command(cfg);
	in->status_text = status_text(st, status_since(st));
	in->state = xstrdup(bld_json_get_str(st, "Status") ? bld_json_get_str(st, "Status") : "");
	in->ports = ports_text(st);
	in->created_at = bld_runner_time_parse(bld_json_get_str(cfg, "Created"));
	in->created = (int64_t)in->created_at;
	in->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	in->cfg_json = json_incref(cfg);
	in->state_json = json_incref(st);
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(json_object_get(cfg, "Config"), "Labels"), k, v) {
		cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
		bld_strv_push(&in->labels, kv);
	}
}

static int by_created_desc(const void *a, const void *b)
{
	const struct bld_runner_container_info *x = a, *y = b;
	/* to the nanosecond, as docker's: two made in the same second keep their order */
	return x->created_at < y->created_at ? 1 : (x->created_at > y->created_at ? -1 : 0);
}

/* Whether cfg's Config.Labels holds key=value (key NULL: every container). */
static bool labeled(json_t *cfg, const char *key, const char *value)
{
	if (!key)
		return true;
	const char *v = bld_json_get_str(json_object_get(json_object_get(cfg, "Config"), "Labels"),
					 key);
	return v && strcmp(v, value) == 0;
}

/* The files of container id in dir, unless its brief says it is not labelled key=value. */
static int read_files(const char *dir, const char *key, const char *value, json_t **cfg,
		      json_t **st)
{
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_config_read_brief_shared(dir, cfg, &e) < 0)
		return -1;
	if (labeled(*cfg, key, value) && bld_runner_json_read_shared(dir, "state.json", st, &e) == 0)
		return 0;
	json_decref(steal_pointer(cfg));
	return -1;
}

/* Container id's line into *out: the kept one while its directory (dir, stat()ed first) is
 * unchanged, else made from its files (and kept). False for a container being created or
 * removed right now (no complete files) or not labelled key=value. */
static bool line_of(struct bld_ctx *ctx, const char *id, const struct stat *dir,
		    const char *key, const char *value, struct bld_runner_container_info *out,
		    double *since)
{
	if (bld_runner_listed_get(id, dir, out, since)) {
		if (labeled(out->cfg_json, key, value))
			return true;
		bld_runner_container_info_dispose(out);
		return false;
	}
	cleanup_free char *path = bld_runner_container_dir(ctx, id);
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	if (read_files(path, key, value, &cfg, &st) < 0)
		return false;
	*since = status_since(st);
	fill_info(out, id, cfg, st);
	bld_runner_listed_keep(dir, out, *since);
	return true;
}

/* The line of a container whose state says it runs and whose monitor is not known to
 * listen, made again from its effective state (dead when its monitor does not answer). */
static void line_effective(struct bld_ctx *ctx, struct bld_runner_container_info *in)
{
	cleanup_json json_t *cfg = json_incref(in->cfg_json);
	cleanup_json json_t *st = json_copy(in->state_json); /* shared: changed in a copy */
	char id[sizeof(in->id)];
	memcpy(id, in->id, sizeof(id));
	bld_runner_state_effective(ctx, id, st);
	bld_runner_container_info_dispose(in);
	fill_info(in, id, cfg, st);
}

int bld_runner_container_list_labeled(struct bld_ctx *ctx, const char *key, const char *value,
				      struct bld_runner_container_info **out, size_t *n,
				      struct bld_error **err)
{
	cleanup_strv char **ids = bld_runner_container_ids(ctx);
	cleanup_free char *top = bld_runner_containers_dir(ctx);
	cleanup_close int topfd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	size_t cap = bld_strv_len(ids);
	struct bld_runner_container_info *v = xcalloc(cap ? cap : 1, sizeof(*v));
	size_t k = 0;
	/* monitors known to listen need no connect (which would wake each of them); asked for
	 * once a container says it runs, a dump costs more than a list of stopped ones */
	struct bld_runner_listening *alive = NULL;
	for (size_t i = 0; ids && ids[i] && topfd >= 0; i++) {
		struct stat dir;
		double since = 0;
		if (fstatat(topfd, ids[i], &dir, 0) < 0 ||
		    !line_of(ctx, ids[i], &dir, key, value, &v[k], &since))
			continue;
		struct bld_runner_container_info *c = &v[k++];
		if (state_says_running(c->state_json)) {
			if (!alive)
				alive = bld_runner_listening_load();
			cleanup_free char *path = bld_runner_container_dir(ctx, c->id);
			if (!bld_runner_listening_has(alive, path)) {
				line_effective(ctx, c);
				continue;
			}
		}
		free(c->status_text); /* it ages: made anew at each listing */
		c->status_text = status_text(c->state_json, since);
	}
	bld_runner_listening_free(alive);
	qsort(v, k, sizeof(*v), by_created_desc);
	*out = v;
	*n = k;
	return 0;
}

int bld_runner_container_list(struct bld_ctx *ctx, struct bld_runner_container_info **out,
			      size_t *n, struct bld_error **err)
{
	return bld_runner_container_list_labeled(ctx, NULL, NULL, out, n, err);
}

void bld_runner_container_info_free(struct bld_runner_container_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		bld_runner_container_info_dispose(&v[i]);
	free(v);
}

/* HostConfig.Tmpfs as docker shows it, {"/path": "options"} (stored as --tmpfs gave it, a
 * list of "/path[:options]"); null when there is none. */
static void tmpfs_map(json_t *hc)
{
	json_t *list = json_object_get(hc, "Tmpfs");
	if (!json_is_array(list))
		return;
	json_t *map = json_array_size(list) ? json_object() : json_null();
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *t = json_string_value(v) ? json_string_value(v) : "";
		const char *colon = strchr(t, ':');
		cleanup_free char *path = xstrndup(t, colon ? (size_t)(colon - t) : strlen(t));
		json_object_set_new(map, path, json_string(colon ? colon + 1 : ""));
	}
	json_object_set_new(hc, "Tmpfs", map);
}

int bld_runner_container_inspect(struct bld_ctx *ctx, const char *id, json_t **out,
				 struct bld_error **err)
{
	cleanup_json json_t *cfg = NULL;
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load_live(ctx, id, &cfg, &st, err) < 0)
		return -1;
	json_t *ns = json_object_get(st, "NetworkSettings");
	bool running = json_is_true(json_object_get(st, "Running"));
	json_object_set_new(cfg, "NetworkSettings",
			    running && json_object_get(ns, "Networks")
				    ? json_incref(ns)
				    : bld_runner_netcfg_settings(cfg, ns));
	json_object_set(cfg, "RestartCount", json_object_get(st, "RestartCount"));
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	const char *driver = bld_json_get_str(
		json_object_get(json_object_get(cfg, "HostConfig"), "LogConfig"), "Type");
	json_object_set_new(cfg, "LogPath", driver && strcmp(driver, "none") == 0
						    ? json_string("")
						    : json_sprintf("%s/%s-json.log", dir, id));
	json_object_set_new(cfg, "Image", json_string(bld_json_get_str(cfg, "ImageID")));
	tmpfs_map(json_object_get(cfg, "HostConfig"));
	static const char *const internal[] = {"MonitorPid", "Cgroups", "ManualStop",
					       "NetworkSettings", "RestartCount"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(internal); i++)
		json_object_del(st, internal[i]);
	json_object_set_new(cfg, "State", steal_pointer(&st));
	static const char *const hidden[] = {"NetworkingConfig", "Lowers", "ImageConfig",
					     "ImageWorkingDir", "ImageUser", "ImageExposedPorts",
					     "ImageStopSignal"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(hidden); i++)
		json_object_del(cfg, hidden[i]);
	*out = steal_pointer(&cfg);
	return 0;
}

int bld_runner_container_ports(struct bld_ctx *ctx, const char *id, char ***lines,
			       struct bld_error **err)
{
	cleanup_json json_t *st = NULL;
	if (bld_runner_container_load(ctx, id, NULL, &st, err) < 0)
		return -1;
	*lines = NULL;
	const char *key;
	json_t *arr;
	if (json_is_true(json_object_get(st, "Running")))
		json_object_foreach(json_object_get(json_object_get(st, "NetworkSettings"), "Ports"),
				    key, arr) {
			size_t i;
			json_t *p;
			json_array_foreach(arr, i, p) {
				cleanup_free char *l = xasprintf("%s -> %s:%s", key,
								 bld_json_get_str(p, "HostIp"),
								 bld_json_get_str(p, "HostPort"));
				bld_strv_push(lines, l);
			}
		}
	return 0;
}

char **bld_runner_container_images(struct bld_ctx *ctx, char ***containers)
{
	char **ids = xcalloc(1, sizeof(char *));
	if (containers)
		*containers = xcalloc(1, sizeof(char *));
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	struct bld_error *e = NULL;
	if (bld_runner_container_list(ctx, &v, &n, &e) < 0) {
		bld_error_free(e);
		return ids;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *c = NULL;
		if (bld_runner_container_inspect(ctx, v[i].id, &c, &e) < 0) {
			bld_error_free(e);
			e = NULL;
			continue;
		}
		const char *img = bld_json_get_str(c, "Image");
		if (bld_digest_valid(img)) {
			bld_strv_push(&ids, img);
			if (containers)
				bld_strv_push(containers, v[i].id);
		}
		json_decref(c);
	}
	bld_runner_container_info_free(v, n);
	return ids;
}
