/*
 * deploy/files.c — a service's configs and secrets as compose v2 gives them to a container on
 * one machine. A file-based one is bind-mounted read-only at its target (a secret at
 * /run/secrets/<name> or under it when the target is relative, a config at /<name>), its
 * uid/gid/mode ignored with compose's warning. One from `environment` or `content` is
 * written into the created container before it starts, owned by its uid:gid (0:0) with its
 * mode (0444), as compose copies it. External ones are swarm's: refused in compose's words.
 */
#include "deploy/deploy_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <jansson.h>
#include <time.h>
#include <unistd.h>

/* kind: "secrets" or "configs" */
static char *target_of(const char *kind, const json_t *ref)
{
	const char *src = bld_json_get_str(ref, "source");
	const char *t = bld_json_get_str(ref, "target");
	const char *base = strcmp(kind, "secrets") == 0 ? "/run/secrets/" : "/";
	if (t && *t == '/')
		return xstrdup(t);
	return xasprintf("%s%s", base, t && *t ? t : src ? src : "");
}

/* uid and gid in decimal, mode in octal ("0440"), as the model holds them */
static long num_of(const json_t *ref, const char *key, int base, long dflt)
{
	json_t *x = json_object_get(ref, key);
	if (json_is_integer(x))
		return (long)json_integer_value(x);
	const char *s = json_string_value(x);
	char *end = NULL;
	errno = 0;
	long v = s && *s ? strtol(s, &end, base) : -1;
	return v >= 0 && errno == 0 && end && !*end ? v : dflt;
}

/* What each_file calls for one of a service's secrets or configs: kind "secrets" or
 * "configs", ref the service's entry, def the top-level definition (NULL when missing). */
typedef int (*file_fn)(const char *kind, const json_t *ref, const json_t *def, void *payload,
		       struct bld_error **err);

/* fn over the service's secrets, then its configs; stops at the first failure. */
static int each_file(const struct bld_deploy_target *t, const json_t *service, file_fn fn,
		     void *payload, struct bld_error **err)
{
	static const char *const kinds[] = {"secrets", "configs"};
	for (size_t k = 0; k < BLD_ARRAY_SIZE(kinds); k++) {
		const json_t *refs = json_object_get(service, kinds[k]);
		for (size_t i = 0; i < json_array_size(refs); i++) {
			const json_t *ref = json_array_get(refs, i);
			const char *src = bld_json_get_str(ref, "source");
			const json_t *def = json_object_get(
				json_object_get(t->project, kinds[k]), src ? src : "");
			if (fn(kinds[k], ref, def, payload, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* A file-based one as a read-only bind appended to the mounts (payload). */
static int mount_one(const char *kind, const json_t *ref, const json_t *def, void *payload,
		     struct bld_error **err)
{
	bool config = strcmp(kind, "configs") == 0;
	if (json_is_true(json_object_get(def, "external")))
		return bld_error_refuse(err, BLD_E_UNSUPPORTED, "unsupported external %s %s",
					config ? "config" : "secret",
					bld_json_get_str(ref, "source"));
	const char *file = bld_json_get_str(def, "file");
	if (!file)
		return 0;
	if (json_object_get(ref, "uid") || json_object_get(ref, "gid") ||
	    json_object_get(ref, "mode"))
		bld_warn("%s `uid`, `gid` and `mode` are not supported, they will be ignored",
			 config ? "config" : "secrets");
	cleanup_free char *dst = target_of(kind, ref);
	json_array_append_new(payload, json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source",
						 file, "Target", dst, "ReadOnly", 1));
	return 0;
}

int bld_deploy_files_mounts(const struct bld_deploy_target *t, const json_t *service,
			    json_t *hc, struct bld_error **err)
{
	cleanup_json json_t *mounts = json_array();
	if (each_file(t, service, mount_one, mounts, err) < 0)
		return -1;
	json_t *have = json_object_get(hc, "Mounts"); /* the volumes' (service.c) */
	if (json_is_array(have))
		json_array_extend(have, mounts);
	else if (json_array_size(mounts))
		json_object_set(hc, "Mounts", mounts);
	return 0;
}

/* One regular file at path (no leading '/') in a tar written to a new unlinked temp file. */
static int tar_one(const char *path, const char *data, long uid, long gid, long mode,
		   int *out, struct bld_error **err)
{
	char tmp[] = "/tmp/bld-files-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0)
		return bld_error_sys(err, errno, "mkstemp");
	unlink(tmp);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_uid(e, uid);
	archive_entry_set_gid(e, gid);
	archive_entry_set_size(e, (la_int64_t)strlen(data));
	archive_entry_set_mtime(e, time(NULL), 0);
	bool ok = archive_write_open_fd(a, fd) == ARCHIVE_OK &&
		  archive_write_header(a, e) == ARCHIVE_OK &&
		  archive_write_data(a, data, strlen(data)) == (la_ssize_t)strlen(data) &&
		  archive_write_close(a) == ARCHIVE_OK;
	archive_entry_free(e);
	archive_write_free(a);
	if (!ok || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return bld_error_set(err, BLD_E_SYSTEM, "writing %s: failed", path);
	}
	*out = fd;
	return 0;
}

struct inject {
	struct bld_ctx *ctx;
	const struct bld_deploy_target *t;
	const char *id;
};

/* One from environment or content written into the container (payload: struct inject). */
static int inject_one(const char *kind, const json_t *ref, const json_t *def, void *payload,
		      struct bld_error **err)
{
	const struct inject *in = payload;
	const char *content = bld_json_get_str(def, "content");
	const char *var = bld_json_get_str(def, "environment");
	if (!content && var)
		content = bld_json_get_str(in->t->env, var);
	if (!content && var)
		content = getenv(var) ? getenv(var) : "";
	if (!content)
		return 0;
	cleanup_free char *dst = target_of(kind, ref);
	int fd = -1;
	if (tar_one(dst + 1, content, num_of(ref, "uid", 10, 0), num_of(ref, "gid", 10, 0),
		    num_of(ref, "mode", 8, 0444), &fd, err) < 0)
		return -1;
	struct bld_runner_cp_opts o = {.container = in->id, .ctr_path = "/", .fd = fd,
				       .archive = true};
	int64_t bytes = 0;
	int rc = bld_runner_cp_to(in->ctx, &o, &bytes, err);
	close(fd);
	return rc < 0 ? bld_error_wrap(err, "%s %s", kind, bld_json_get_str(ref, "source")) : 0;
}

int bld_deploy_files_inject(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			    const json_t *service, const char *id, struct bld_error **err)
{
	struct inject in = {.ctx = ctx, .t = t, .id = id};
	return each_file(t, service, inject_one, &in, err);
}

void bld_deploy_files_export_env(const struct bld_deploy_target *t)
{
	const char *name;
	json_t *def;
	json_object_foreach(json_object_get(t->project, "secrets"), name, def) {
		const char *var = bld_json_get_str(def, "environment");
		const char *v = var ? bld_json_get_str(t->env, var) : NULL;
		if (v && !getenv(var))
			setenv(var, v, 0);
	}
}
