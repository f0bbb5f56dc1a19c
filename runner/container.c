/*
 * runner/container.c — a container comes into being: its config.json in docker inspect's shape
 * (the image's defaults, host config, mounts and log config resolved), a generated or checked
 * unique name under the store-wide containers lock, its first state.json (the directory
 * appears whole or not at all); and renaming.
 *
 * It does not run anything: monitor.c owns a running container, client.c talks to it. The
 * state directory itself (reading, listing, lookup by id, prefix or name) is state.c's.
 */
#include "runner/runner_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

void bld_runner_random_hex(char *out, size_t nbytes)
{
	unsigned char b[32];
	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		for (size_t i = 0; i < nbytes; i++)
			b[i] = (unsigned char)(rand() ^ (int)getpid());
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/*
 * A docker-style "adjective_scientist" name: from the id's first bits on the first try, from
 * fresh random bits with a digit appended on a retry (docker's namesgenerator does the same
 * when a name is taken).
 */
static char *generate_name(const char *id, int attempt)
{
	static const char *const adj[] = {"admiring", "brave",   "clever", "eager",  "focused",
					  "gallant",  "happy",   "jolly",  "keen",   "lucid",
					  "modest",   "nifty",   "quirky", "serene", "vibrant"};
	static const char *const who[] = {"babbage", "curie",  "darwin", "euler",  "feynman",
					  "galois",  "hopper", "knuth",  "lovelace", "noether",
					  "pascal",  "ritchie", "shannon", "turing", "wozniak"};
	char hex[9];
	if (attempt == 0)
		snprintf(hex, sizeof(hex), "%.8s", id);
	else
		bld_runner_random_hex(hex, 4);
	unsigned v = (unsigned)strtoul(hex, NULL, 16);
	const char *a = adj[v % BLD_ARRAY_SIZE(adj)], *w = who[(v / 16) % BLD_ARRAY_SIZE(who)];
	if (attempt == 0)
		return xasprintf("%s_%s", a, w);
	return xasprintf("%s_%s%u", a, w, (v >> 8) % 10);
}

/* Takes the store-wide container lock (names must stay unique); returns the fd. */
int bld_runner_containers_lock(struct bld_ctx *ctx, struct bld_error **err)
{
	cleanup_free char *dir = bld_runner_containers_dir(ctx);
	if (bld_fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return bld_error_sys(err, errno, "open %s", dir);
	/* each container's directory in a block group of its own (common/topdir.c says why) */
	int r = bld_fs_mark_topdir(dfd);
	if (r < 0)
		bld_debug("containers directory not marked top-level: %s", strerror(-r));
	int fd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return bld_error_sys(err, e, "lock %s/.lock", dir);
	}
	return fd;
}

static json_t *strv_json(char *const *v) { return bld_json_strv(v); }

/* "on-failure:3" -> {"Name":"on-failure","MaximumRetryCount":3}. */
static int restart_json(const char *s, json_t **out, struct bld_error **err)
{
	cleanup_free char *name = xstrdup(s && *s ? s : "no");
	long max = 0;
	char *colon = strchr(name, ':');
	if (colon) {
		*colon++ = 0;
		if (strcmp(name, "on-failure") != 0 || bld_parse_long(colon, 0, 1 << 30, &max) < 0)
			return bld_error_set(err, BLD_E_INVALID, "invalid restart policy: %s", s);
	}
	if (strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
	    strcmp(name, "on-failure"))
		return bld_error_set(err, BLD_E_INVALID, "invalid restart policy: %s", s);
	*out = json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t)max);
	return 0;
}

static json_t *ports_json(const struct bld_runner_container_config *c)
{
	json_t *o = json_object();
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct bld_runner_port *p = &c->ports[i];
		char key[32], hp[16];
		snprintf(key, sizeof(key), "%d/%s", p->ctr_port, p->proto);
		snprintf(hp, sizeof(hp), "%d", p->host_port);
		json_t *arr = json_object_get(o, key);
		if (!arr) {
			arr = json_array();
			json_object_set_new(o, key, arr);
		}
		json_array_append_new(arr, json_pack("{s:s, s:s}", "HostIp", p->host_ip,
						     "HostPort", p->host_port ? hp : ""));
	}
	return o;
}

static json_t *config_section(const struct bld_runner_container_config *c, const char *hostname)
{
	json_t *cfg = json_pack("{s:s, s:s, s:b, s:b, s:b, s:o, s:s, s:o}", "Hostname", hostname,
				"User", c->user ? c->user : "", "Tty", c->tty, "OpenStdin",
				c->interactive, "AttachStdout", true, "Env", strv_json(c->env),
				"WorkingDir", c->workdir ? c->workdir : "", "Labels",
				bld_json_kv_object(c->labels));
	json_object_set_new(cfg, "Cmd", c->cmd ? strv_json(c->cmd) : json_null());
	json_object_set_new(cfg, "Entrypoint",
			    c->entrypoint_set ? strv_json(c->entrypoint) : json_null());
	json_object_set_new(cfg, "Image", json_string(c->image ? c->image : ""));
	return cfg;
}

static json_t *host_section(const struct bld_runner_container_config *c, json_t *restart)
{
	return json_pack("{s:o, s:o, s:b, s:b, s:b, s:o, s:o, s:s, s:I, s:I, s:I, s:s, s:o, s:b,"
			 " s:o, s:b, s:o}",
			 "Binds", strv_json(c->binds), "Tmpfs", strv_json(c->tmpfs),
			 "ReadonlyRootfs", c->readonly, "Init", c->init, "Privileged",
			 c->privileged, "CapAdd", strv_json(c->cap_add), "CapDrop",
			 strv_json(c->cap_drop), "Seccomp", c->seccomp ? c->seccomp : "",
			 "Memory", (json_int_t)c->memory, "NanoCpus",
			 (json_int_t)c->cpu_milli * 1000000, "PidsLimit",
			 (json_int_t)c->pids_limit, "NetworkMode",
			 c->network ? c->network : "bridge", "PortBindings", ports_json(c),
			 "PublishAllPorts", c->publish_all, "RestartPolicy", restart, "AutoRemove",
			 c->auto_remove, "SecurityOpt",
			 c->no_new_privs ? json_pack("[s]", "no-new-privileges") : json_null());
}

static json_t *initial_state(void)
{
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s, s:i, s:i, s:b}",
			 "Status", "created", "Running", false, "Paused", false, "Restarting",
			 false, "OOMKilled", false, "Dead", false, "Pid", 0, "ExitCode", 0,
			 "Error", "", "StartedAt", "0001-01-01T00:00:00Z", "FinishedAt",
			 "0001-01-01T00:00:00Z", "MonitorPid", 0, "RestartCount", 0, "ManualStop",
			 false);
}

static int check_name(struct bld_ctx *ctx, const char *name, struct bld_error **err)
{
	for (const char *p = name; *p; p++)
		if (!(isalnum((unsigned char)*p) || (p > name && strchr("_.-", *p))))
			return bld_error_set(err, BLD_E_INVALID,
					     "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
					     name);
	cleanup_strv char **ids = bld_runner_container_ids(ctx);
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_free char *n = bld_runner_container_name(ctx, ids[i]);
		if (n && strcmp(n, name) == 0)
			return bld_error_set(err, BLD_E_EXISTS,
					     "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.",
					     name, ids[i]);
	}
	return 0;
}

/* Whether check_name failed because the name is in use; that error is then dropped. */
static bool name_taken(struct bld_error **err)
{
	if (!err || !*err || (*err)->code != BLD_E_EXISTS)
		return false;
	bld_error_free(*err);
	*err = NULL;
	return true;
}

/* The new container's directory, made whole as .new-<id> and renamed into place: a kill -9
 * before the rename leaves no container without its config (invisible to ps and compose, its
 * name still taken), only a .new- directory that the next creation sweeps. */
static int write_new(struct bld_ctx *ctx, const char *id, json_t *doc, struct bld_error **err)
{
	cleanup_free char *top = bld_runner_containers_dir(ctx);
	cleanup_free char *tmp = xasprintf("%s/.new-%s", top, id);
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	/* under the lock, which each creation holds while its .new- directory exists */
	bld_runner_sweep(top, ".new-");
	if (mkdir(tmp, 0700) < 0)
		return bld_error_sys(err, errno, "mkdir %s", tmp);
	cleanup_json json_t *st = initial_state();
	int r = bld_runner_json_write(tmp, "state.json", st, err);
	bld_test_point("container-create");
	if (r == 0)
		r = bld_runner_config_write(tmp, doc, err);
	if (r == 0 && rename(tmp, dir) < 0)
		r = bld_error_sys(err, errno, "rename %s", dir);
	if (r < 0)
		bld_fs_rm_rf(tmp, NULL);
	return r;
}

/* --ipc/--pid container:NAME: a container of that name exists (it must run when this one
 * starts: nsjoin.c). */
static int check_donors(struct bld_ctx *ctx, json_t *hc, struct bld_error **err)
{
	const char *modes[] = {bld_json_get_str(hc, "IpcMode"), bld_json_get_str(hc, "PidMode")};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(modes); i++) {
		cleanup_free char *id = NULL;
		if (modes[i] && bld_str_has_prefix(modes[i], "container:") &&
		    bld_runner_container_lookup(ctx, modes[i] + 10, &id, err) < 0)
			return -1;
	}
	return 0;
}

int bld_runner_container_create(struct bld_ctx *ctx, const struct bld_runner_container_config *c,
				char **id_out, struct bld_error **err)
{
	char id[65];
	bld_runner_random_hex(id, 32);
	cleanup_json json_t *restart = NULL;
	cleanup_json json_t *logcfg = NULL;
	cleanup_json json_t *resolved = NULL;
	if (restart_json(c->restart, &restart, err) < 0 ||
	    bld_runner_log_config(c->log_driver, c->log_opts, &logcfg, err) < 0 ||
	    bld_runner_image_resolve(ctx, c, &resolved, err) < 0)
		return -1;
	cleanup_free char *name = c->name ? xstrdup(c->name) : generate_name(id, 0);
	char hn[13];
	snprintf(hn, sizeof(hn), "%.12s", id);
	char now[40];
	bld_runner_now_str(now);
	cleanup_json json_t *doc =
		json_pack("{s:s, s:s, s:o, s:o}", "Id", id, "Created", now, "Config",
			  config_section(c, c->hostname ? c->hostname : hn), "HostConfig",
			  host_section(c, steal_pointer(&restart)));
	json_object_set_new(doc, "Name", json_sprintf("/%s", name));
	json_object_set_new(json_object_get(doc, "HostConfig"), "LogConfig",
			    steal_pointer(&logcfg));
	/* the image's Env merged with -e belongs in Config, as docker inspect shows it */
	json_object_set(json_object_get(doc, "Config"), "Env", json_object_get(resolved, "Env"));
	json_object_del(resolved, "Env");
	if (json_object_get(resolved, "Healthcheck")) /* the merged check, also in Config */
		json_object_set(json_object_get(doc, "Config"), "Healthcheck",
				json_object_get(resolved, "Healthcheck"));
	json_object_del(resolved, "Healthcheck");
	json_object_del(resolved, "ImageConfig");
	json_object_update(doc, resolved);
	int r = bld_runner_hostcfg_merge(doc, c, err);
	if (r == 0)
		r = bld_runner_netcfg_create(ctx, doc, c, err);
	if (r == 0)
		r = check_donors(ctx, json_object_get(doc, "HostConfig"), err);
	if (r == 0)
		r = bld_runner_mounts_resolve(ctx, doc, err);
	if (r == 0)
		r = bld_runner_mounts_api(ctx, doc, err);
	int lock = r < 0 ? -1 : bld_runner_containers_lock(ctx, err);
	if (lock >= 0) {
		r = check_name(ctx, name, err);
		/* a generated name that is taken is drawn again, never an error */
		for (int i = 1; r < 0 && !c->name && i < 64 && name_taken(err); i++) {
			free(name);
			name = generate_name(id, i);
			json_object_set_new(doc, "Name", json_sprintf("/%s", name));
			r = check_name(ctx, name, err);
		}
		if (r == 0)
			r = write_new(ctx, id, doc, err);
		close(lock);
		if (r == 0)
			bld_runner_event(ctx, doc, "create", NULL);
	} else {
		r = -1;
	}
	if (r < 0)
		return r;
	*id_out = xstrdup(id);
	return 0;
}

/* docker's container name pattern, [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters at least). */
static bool valid_name(const char *name)
{
	if (!isalnum((unsigned char)name[0]) || !name[1])
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

/* The rename itself; the caller holds the containers lock. */
static int rename_locked(struct bld_ctx *ctx, const char *ref, const char *name,
			 struct bld_error **err)
{
	cleanup_free char *id = NULL;
	if (bld_runner_container_lookup(ctx, ref, &id, err) < 0)
		return -1;
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_json json_t *cfg = NULL;
	if (bld_runner_json_read(dir, "config.json", &cfg, err) < 0)
		return -1;
	const char *old = bld_json_get_str(cfg, "Name");
	int r = 0;
	/* docker's order: the same name, then the pattern, then a conflict */
	if (old && strcmp(old[0] == '/' ? old + 1 : old, name) == 0)
		r = bld_error_set(err, BLD_E_INVALID,
				  "Renaming a container with the same name as its current name");
	else if (!valid_name(name))
		r = bld_error_set(err, BLD_E_INVALID,
				  "Error when allocating new name: Invalid container name (/%s), only "
				  "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
				  name);
	else if (check_name(ctx, name, err) < 0)
		r = bld_error_wrap(err, "Error when allocating new name");
	cleanup_free char *old_attr = xasprintf("oldName=%s", old ? old : "");
	if (r == 0) {
		json_object_set_new(cfg, "Name", json_sprintf("/%s", name));
		r = bld_runner_config_write(dir, cfg, err);
	}
	if (r == 0)
		bld_runner_event(ctx, cfg, "rename", old_attr, NULL);
	return r;
}

int bld_runner_container_rename(struct bld_ctx *ctx, const char *ref, const char *new_name,
				struct bld_error **err)
{
	const char *name = new_name[0] == '/' ? new_name + 1 : new_name;
	int lock = bld_runner_containers_lock(ctx, err);
	if (lock < 0)
		return -1;
	int r = rename_locked(ctx, ref, name, err);
	close(lock);
	/* docker answers every refusal with exit status 1 */
	enum bld_error_code c = r < 0 && err && *err ? (*err)->code : BLD_E_SYSTEM;
	if (c == BLD_E_NOTFOUND || c == BLD_E_INVALID || c == BLD_E_EXISTS)
		(*err)->status = 1;
	return r;
}

void bld_runner_container_config_dispose(struct bld_runner_container_config *c)
{
	free(c->name);
	free(c->image);
	free(c->image_ref);
	free(c->rootfs);
	bld_strv_free(c->entrypoint);
	bld_strv_free(c->cmd);
	bld_strv_free(c->env);
	free(c->workdir);
	free(c->user);
	free(c->hostname);
	bld_strv_free(c->cap_add);
	bld_strv_free(c->cap_drop);
	free(c->seccomp);
	bld_strv_free(c->binds);
	bld_strv_free(c->tmpfs);
	free(c->network);
	json_decref(c->endpoints);
	bld_strv_free(c->links);
	free(c->ports);
	free(c->restart);
	bld_strv_free(c->labels);
	free(c->log_driver);
	bld_strv_free(c->log_opts);
	bld_strv_free(c->health.test);
	json_decref(c->host_extra);
	json_decref(c->config_extra);
	memset(c, 0, sizeof(*c));
}
