/*
 * runner/brief.c — a container's config.json and its brief: brief.json beside it holds the
 * members of config.json that listings read (name, image, command, labels, creation, mounts,
 * network mode and ports, health check), a tenth of its size, so that `ps` and
 * GET /containers/json over many containers parse a little JSON per container instead of
 * every HostConfig member.
 *
 * The brief is never trusted on its own: it names the config.json it was made from (inode,
 * size, modification time of the file that was renamed into place) and is used only while
 * that file is the one there; otherwise config.json itself is read. So a brief cannot go
 * stale: a crash between the two renames, an older container without a brief, or a write
 * racing a read all fall back to config.json. Every writer of config.json goes through
 * bld_runner_config_write. It does not lock: callers that change config.json hold the
 * containers lock as before. A container's name, and the lookup of a reference by id, name
 * or id prefix, read the briefs too.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>

#define BRIEF_MAX (1 << 20)

/* The members of config.json that lists use (query.c, psfilter.c, deploy's waits, the API's
 * summary); of Config and HostConfig only these. */
static const char *const top_keys[] = {"Created", "Name",   "Path",		    "Args",
				       "ImageID", "Mounts", "NetworkingConfig", "ImageExposedPorts"};
static const char *const config_keys[] = {"Image", "Labels", "ExposedPorts", "Healthcheck"};
static const char *const host_keys[] = {"NetworkMode", "PortBindings"};

/* What identifies one version of config.json. */
static json_t *stamp_of(const struct stat *st)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "Ino", (json_int_t)st->st_ino, "Size",
			 (json_int_t)st->st_size, "Sec", (json_int_t)st->st_mtim.tv_sec, "Nsec",
			 (json_int_t)st->st_mtim.tv_nsec);
}

/* The members of from that keys name, into a new object. */
static json_t *pick(json_t *from, const char *const *keys, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(from, keys[i]);
		if (v)
			json_object_set(o, keys[i], v);
	}
	return o;
}

static json_t *brief_of(json_t *cfg, const struct stat *st)
{
	json_t *b = pick(cfg, top_keys, BLD_ARRAY_SIZE(top_keys));
	json_object_set_new(b, "Config", pick(json_object_get(cfg, "Config"), config_keys,
					      BLD_ARRAY_SIZE(config_keys)));
	json_object_set_new(b, "HostConfig", pick(json_object_get(cfg, "HostConfig"), host_keys,
						  BLD_ARRAY_SIZE(host_keys)));
	json_object_set_new(b, "BriefOf", stamp_of(st));
	return b;
}

int bld_runner_config_write(const char *dir, json_t *cfg, struct bld_error **err)
{
	cleanup_free char *tmp = xasprintf("%s/.config.json.tmp", dir);
	cleanup_free char *dst = xasprintf("%s/config.json", dir);
	struct stat st;
	if (json_dump_file(cfg, tmp, JSON_COMPACT) < 0 || stat(tmp, &st) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp); /* a disk that filled up keeps no half-written config */
		return bld_error_sys(err, e, "write %s", tmp);
	}
	/* the brief first: until the rename it names a file that is not config.json */
	cleanup_json json_t *brief = brief_of(cfg, &st);
	if (bld_runner_json_write(dir, "brief.json", brief, err) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, dst) < 0)
		return bld_error_sys(err, errno, "rename %s", dst);
	return 0;
}

/* Whether stamp (a brief's BriefOf) names the file st describes. */
static bool stamp_is(json_t *stamp, const struct stat *st)
{
	const json_int_t want[] = {(json_int_t)st->st_ino, (json_int_t)st->st_size,
				   (json_int_t)st->st_mtim.tv_sec, (json_int_t)st->st_mtim.tv_nsec};
	static const char *const keys[] = {"Ino", "Size", "Sec", "Nsec"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(stamp, keys[i]);
		if (!json_is_integer(v) || json_integer_value(v) != want[i])
			return false;
	}
	return true;
}

/* Whether the brief's stamp names the config.json in dir now. */
static bool brief_current(const char *dir, json_t *brief)
{
	cleanup_free char *path = xasprintf("%s/config.json", dir);
	struct stat st;
	return stat(path, &st) == 0 && stamp_is(json_object_get(brief, "BriefOf"), &st);
}

int bld_runner_config_read_brief(const char *dir, json_t **out, struct bld_error **err)
{
	cleanup_free char *path = xasprintf("%s/brief.json", dir);
	cleanup_json json_t *brief = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_json_load_file(&brief, path, BRIEF_MAX, &e) == 0 && brief_current(dir, brief)) {
		json_object_del(brief, "BriefOf");
		*out = steal_pointer(&brief);
		return 0;
	}
	return bld_runner_json_read(dir, "config.json", out, err);
}

int bld_runner_config_read_brief_shared(const char *dir, json_t **out, struct bld_error **err)
{
	cleanup_json json_t *brief = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_json_read_shared(dir, "brief.json", &brief, &e) == 0 &&
	    brief_current(dir, brief)) {
		*out = steal_pointer(&brief);
		return 0;
	}
	return bld_runner_json_read_shared(dir, "config.json", out, err);
}

/* Names and ids are looked up in the briefs. */
char *bld_runner_container_name(struct bld_ctx *ctx, const char *id)
{
	cleanup_free char *dir = bld_runner_container_dir(ctx, id);
	cleanup_json json_t *cfg = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_config_read_brief_shared(dir, &cfg, &e) < 0)
		return NULL;
	const char *n = bld_json_get_str(cfg, "Name");
	return n ? xstrdup(n[0] == '/' ? n + 1 : n) : NULL;
}

int bld_runner_container_lookup(struct bld_ctx *ctx, const char *ref, char **id,
				struct bld_error **err)
{
	cleanup_strv char **ids = bld_runner_container_ids(ctx);
	const char *want = ref[0] == '/' ? ref + 1 : ref;
	const char *prefix_hit = NULL;
	int prefix_hits = 0;
	for (size_t i = 0; ids && ids[i]; i++) {
		if (strcmp(ids[i], ref) == 0) {
			*id = xstrdup(ids[i]);
			return 0;
		}
		cleanup_free char *n = bld_runner_container_name(ctx, ids[i]);
		if (n && strcmp(n, want) == 0) {
			*id = xstrdup(ids[i]);
			return 0;
		}
		if (*ref && bld_str_has_prefix(ids[i], ref)) {
			prefix_hit = ids[i];
			prefix_hits++;
		}
	}
	if (prefix_hits == 1) {
		*id = xstrdup(prefix_hit);
		return 0;
	}
	if (prefix_hits > 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "multiple IDs found with provided prefix: %s", ref);
	return bld_error_set(err, BLD_E_NOTFOUND, "No such container: %s", ref);
}
