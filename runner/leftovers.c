/*
 * runner/leftovers.c — what commands killed half-way leave beside the containers and
 * volumes, which no listing or lookup sees (their names start with a dot):
 *   containers/.new-<id>            a creation (container.c), swept by the next creation;
 *   containers/.gone-<id>           a removal (client.c), swept by the next removal;
 *   containers/.rm-<id>             a --rm container whose monitor died before it deleted
 *                                   the directory it had retired (monitor.c);
 *   volumes/.new-<pid>-<name>,
 *   volumes/.gone-<pid>-<name>      a volume's creation or removal (volume.c).
 * An entry is a leftover once no one can be at it: the volume's process is gone, the .rm-
 * container's monitor is gone, and a .new- or .gone- container directory has not changed
 * for a minute (a creation or removal takes milliseconds, and removing entries changes the
 * directory's mtime). `system check` counts them here; the next removal finishes the .rm-
 * ones (client.c).
 */
#include "runner/runner_int.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#define QUIET_SECONDS 60

/* The monitor named in dir/state.json runs and is this container's (`bld __monitor ID`). */
static bool monitor_alive(const char *dir, const char *id)
{
	cleanup_json json_t *st = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_json_read(dir, "state.json", &st, &e) < 0)
		return false;
	json_int_t pid = json_integer_value(json_object_get(st, "MonitorPid"));
	if (pid <= 0 || bld_runner_proc_start((pid_t)pid) == 0)
		return false;
	cleanup_free char *path = xasprintf("/proc/%lld/cmdline", (long long)pid), *cmd = NULL;
	size_t len;
	if (bld_fs_read_file(path, 4096, &cmd, &len, &e) < 0)
		return false;
	/* the arguments, NUL-separated: "__monitor" then the id */
	for (size_t i = 0; i + 10 < len; i += strlen(cmd + i) + 1)
		if (strcmp(cmd + i, "__monitor") == 0)
			return strcmp(cmd + i + 10, id) == 0;
	return false;
}

static bool quiet_for_a_while(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0 && time(NULL) - sb.st_mtime >= QUIET_SECONDS;
}

bool bld_runner_retired_abandoned(const char *top, const char *name)
{
	if (!bld_str_has_prefix(name, ".rm-"))
		return false; /* every container of a removal's listing: no allocation for them */
	cleanup_free char *path = xasprintf("%s/%s", top, name);
	return !monitor_alive(path, name + 4);
}

static bool container_leftover(const char *top, const char *path, const char *name)
{
	if (bld_str_has_prefix(name, ".rm-"))
		return bld_runner_retired_abandoned(top, name);
	return (bld_str_has_prefix(name, ".new-") || bld_str_has_prefix(name, ".gone-")) &&
	       quiet_for_a_while(path);
}

static bool volume_leftover(const char *name)
{
	long pid = 0;
	return (sscanf(name, ".new-%ld-", &pid) == 1 || sscanf(name, ".gone-%ld-", &pid) == 1) &&
	       pid > 0 && bld_runner_proc_start((pid_t)pid) == 0;
}

/* The number of leftovers in dir (is_volumes: which kind). */
static int64_t scan(const char *dir, bool is_volumes)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int64_t n = 0;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] != '.' || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		cleanup_free char *p = xasprintf("%s/%s", dir, de->d_name);
		if (is_volumes ? volume_leftover(de->d_name) : container_leftover(dir, p, de->d_name))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

void bld_runner_leftovers_count(struct bld_ctx *ctx, struct bld_runner_leftover_stats *st)
{
	cleanup_free char *ctrs = bld_runner_containers_dir(ctx);
	cleanup_free char *vols = xasprintf("%s/volumes", ctx->root);
	st->containers = scan(ctrs, false);
	st->volumes = scan(vols, true);
}
