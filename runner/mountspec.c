/*
 * runner/mountspec.c — the mounts a container asks for in the Engine API's own terms, checked
 * as docker's daemon checks them when it creates the container and turned into entries of
 * doc.Mounts (what the sandbox mounts and inspect shows): HostConfig.Mounts (--mount: bind,
 * volume, tmpfs) and HostConfig.VolumesFrom (the bind and volume mounts of other containers).
 * Finally no two mounts may share a destination ("Duplicate mount point").
 *
 * -v and --tmpfs are volume.c's; named volumes are created there.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <sys/stat.h>

static int bad_mount(struct bld_error **err, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad_mount(struct bld_error **err, const char *type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *why = xvasprintf(fmt, ap);
	va_end(ap);
	return bld_error_set(err, BLD_E_INVALID, "invalid mount config for type \"%s\": %s", type,
			     why);
}

static bool valid_propagation(const char *p)
{
	static const char *const ok[] = {"private", "rprivate", "shared",
					 "rshared", "slave",    "rslave"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ok); i++)
		if (strcmp(p, ok[i]) == 0)
			return true;
	return false;
}


static int api_bind(json_t *m, json_t *mounts, struct bld_error **err)
{
	const char *src = bld_json_get_str(m, "Source");
	const char *dst = bld_json_get_str(m, "Target");
	const char *prop = bld_json_get_str(json_object_get(m, "BindOptions"), "Propagation");
	struct stat st;
	if (!src || !*src)
		return bad_mount(err, "bind", "field Source must not be empty");
	if (src[0] != '/' || stat(src, &st) < 0)
		return bad_mount(err, "bind", "bind source path does not exist: %s", src);
	if (prop && *prop && !valid_propagation(prop))
		return bad_mount(err, "bind", "invalid propagation mode: %s", prop);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind", "Source", src,
			      "Destination", dst, "Mode", "", "RW",
			      !json_is_true(json_object_get(m, "ReadOnly")), "Propagation",
			      prop && *prop ? prop : "rprivate");
	if (json_is_true(json_object_get(json_object_get(m, "BindOptions"), "NonRecursive")))
		json_object_set_new(o, "NonRecursive", json_true());
	json_array_append_new(mounts, o);
	return 0;
}

static int api_volume(struct bld_ctx *ctx, json_t *m, json_t *mounts, struct bld_error **err)
{
	const char *src = bld_json_get_str(m, "Source");
	json_t *vo = json_object_get(m, "VolumeOptions");
	bool nocopy = json_is_true(json_object_get(vo, "NoCopy"));
	const char *driver = bld_json_get_str(json_object_get(vo, "DriverConfig"), "Name");
	if (driver && *driver && strcmp(driver, "local"))
		return bld_error_set(err, BLD_E_NOTFOUND, "create %s: error looking up volume plugin "
				     "%s: plugin \"%s\" not found", src ? src : "", driver, driver);
	cleanup_strv char **labels = NULL;
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(vo, "Labels"), key, v) {
		cleanup_free char *kv = xasprintf("%s=%s", key, json_string_value(v));
		bld_strv_push(&labels, kv);
	}
	cleanup_free char *name = NULL;
	if (bld_runner_volume_create(ctx, src, labels, &name, err) < 0)
		return -1;
	cleanup_free char *data = bld_runner_volume_data_dir(ctx, name);
	json_array_append_new(
		mounts, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:b}", "Type",
				  "volume", "Name", name, "Source", data, "Destination",
				  bld_json_get_str(m, "Target"), "Driver", "local", "Mode", "z",
				  "RW", !json_is_true(json_object_get(m, "ReadOnly")),
				  "Propagation", "", "Anonymous", !src || !*src, "CopyData",
				  !nocopy));
	return 0;
}

/* tmpfs-size and tmpfs-mode as the data of the mount ("size=N,mode=O"). */
static int api_tmpfs(json_t *m, json_t *mounts, struct bld_error **err)
{
	const char *src = bld_json_get_str(m, "Source");
	if (src && *src)
		return bad_mount(err, "tmpfs", "field Source must not be specified");
	json_t *to = json_object_get(m, "TmpfsOptions");
	json_int_t size = json_integer_value(json_object_get(to, "SizeBytes"));
	json_int_t mode = json_integer_value(json_object_get(to, "Mode"));
	if (size < 0)
		return bad_mount(err, "tmpfs", "invalid tmpfs size");
	struct bld_buf o = BLD_BUF_INIT;
	if (size > 0)
		bld_buf_printf(&o, "size=%lld", (long long)size);
	if (mode > 0)
		bld_buf_printf(&o, "%smode=%llo", o.len ? "," : "", (unsigned long long)mode);
	cleanup_free char *opts = bld_buf_detach(&o);
	json_array_append_new(mounts,
			      json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "Type", "tmpfs",
					"Source", "", "Destination", bld_json_get_str(m, "Target"),
					"Mode", "", "RW",
					!json_is_true(json_object_get(m, "ReadOnly")),
					"Propagation", "", "Options", opts));
	return 0;
}

static int api_mount(struct bld_ctx *ctx, json_t *m, json_t *mounts, struct bld_error **err)
{
	const char *type = bld_json_get_str(m, "Type");
	const char *dst = bld_json_get_str(m, "Target");
	bool known = type && (!strcmp(type, "bind") || !strcmp(type, "volume") ||
			      !strcmp(type, "tmpfs"));
	if (!known)
		return bad_mount(err, type ? type : "", "mount type unknown");
	if (!dst || !*dst)
		return bad_mount(err, type, "field Target must not be empty");
	if (dst[0] != '/')
		return bad_mount(err, type, "invalid mount path: '%s' mount path must be absolute",
				 dst);
	if (type[0] == 'b')
		return api_bind(m, mounts, err);
	if (type[0] == 'v')
		return api_volume(ctx, m, mounts, err);
	return api_tmpfs(m, mounts, err);
}

static bool has_destination(json_t *mounts, const char *dst)
{
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m) {
		const char *d = bld_json_get_str(m, "Destination");
		if (d && strcmp(d, dst) == 0)
			return true;
	}
	return false;
}

/* One --volumes-from value, "CONTAINER[:ro|:rw]": its binds and volumes, with the mode
 * given, at the destinations this container does not mount itself. */
static int volumes_from(struct bld_ctx *ctx, const char *spec, json_t *own, json_t *mounts,
			struct bld_error **err)
{
	cleanup_free char *ref = xstrdup(spec);
	char *colon = strchr(ref, ':');
	if (colon)
		*colon++ = 0;
	if (colon && strcmp(colon, "ro") && strcmp(colon, "rw"))
		return bld_error_set(err, BLD_E_INVALID, "invalid mode for volumes-from: %s",
				     colon);
	cleanup_free char *id = NULL;
	cleanup_json json_t *cfg = NULL;
	if (bld_runner_container_lookup(ctx, ref, &id, err) < 0 ||
	    bld_runner_container_load(ctx, id, &cfg, NULL, err) < 0)
		return -1;
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(cfg, "Mounts"), i, m) {
		const char *type = bld_json_get_str(m, "Type");
		const char *dst = bld_json_get_str(m, "Destination");
		if (!type || !strcmp(type, "tmpfs") || !dst || has_destination(own, dst) ||
		    has_destination(mounts, dst))
			continue;
		json_t *copy = json_deep_copy(m);
		if (colon)
			json_object_set_new(copy, "RW", json_boolean(colon[1] == 'w'));
		/* the volume belongs to the container it came from: not removed with this one */
		json_object_set_new(copy, "Anonymous", json_false());
		json_array_append_new(mounts, copy);
	}
	return 0;
}

int bld_runner_mounts_api(struct bld_ctx *ctx, json_t *doc, struct bld_error **err)
{
	json_t *hc = json_object_get(doc, "HostConfig");
	json_t *mounts = json_object_get(doc, "Mounts");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(hc, "Mounts"), i, v)
		if (api_mount(ctx, v, mounts, err) < 0)
			return -1;
	cleanup_json json_t *from = json_array();
	json_array_foreach(json_object_get(hc, "VolumesFrom"), i, v)
		if (volumes_from(ctx, json_string_value(v), mounts, from, err) < 0)
			return -1;
	json_array_extend(mounts, from);
	/* volumes are local directories: a volume driver has nothing to serve them */
	const char *vd = bld_json_get_str(hc, "VolumeDriver");
	json_array_foreach(mounts, i, v) {
		const char *type = bld_json_get_str(v, "Type");
		if (vd && *vd && strcmp(vd, "local") && type && strcmp(type, "volume") == 0)
			return bld_error_set(err, BLD_E_NOTFOUND, "create %s: error looking up volume "
					     "plugin %s: plugin \"%s\" not found",
					     bld_json_get_str(v, "Name"), vd, vd);
	}
	json_array_foreach(mounts, i, v) {
		const char *dst = bld_json_get_str(v, "Destination");
		for (size_t k = i + 1; k < json_array_size(mounts); k++) {
			const char *d2 = bld_json_get_str(json_array_get(mounts, k), "Destination");
			if (dst && d2 && strcmp(dst, d2) == 0)
				return bld_error_set(err, BLD_E_INVALID, "Duplicate mount point: %s",
						     dst);
		}
	}
	return 0;
}
