/*
 * cli/cmd_import.c — `bld import FILE|-|URL [REPOSITORY[:TAG]]`: a rootfs tarball (any
 * compression) becomes a one-layer image, as docker import does; --change applies
 * Dockerfile-style config instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE,
 * VOLUME, STOPSIGNAL). A URL source is downloaded by registry/'s HTTP client into an
 * unnamed temporary file in the store first.
 */
#include "cli/image_util.h"
#include "registry/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <time.h>

static const struct bld_cli_opt opts[] = {
	{"change", 'c', BLD_OPT_LIST, "list", "Apply Dockerfile instruction to the created image",
	 NULL},
	{"message", 'm', BLD_OPT_STRING, "string", "Set commit message for imported image", NULL},
	{"platform", 0, BLD_OPT_STRING, "string", "Set platform if server is multi-platform capable",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* CMD/ENTRYPOINT/VOLUME: a JSON array, else the shell form. */
static json_t *exec_form(const char *arg, bool shell)
{
	json_t *v = NULL;
	struct bld_error *e = NULL;
	if (arg[0] == '[' && bld_json_load_buf(&v, arg, strlen(arg), &e) == 0 && json_is_array(v))
		return v;
	bld_error_free(e);
	if (v)
		json_decref(v);
	if (shell)
		return json_pack("[s, s, s]", "/bin/sh", "-c", arg);
	return json_pack("[s]", arg);
}

static void set_kv(json_t *cfg, const char *field, const char *arg, bool env)
{
	const char *eq = strchr(arg, '=');
	const char *sp = strchr(arg, ' ');
	cleanup_free char *k = NULL, *v = NULL;
	if (eq && (!sp || eq < sp)) {
		k = xstrndup(arg, (size_t)(eq - arg));
		v = xstrdup(eq + 1);
	} else {
		k = xstrndup(arg, sp ? (size_t)(sp - arg) : strlen(arg));
		v = xstrdup(sp ? sp + 1 : "");
	}
	if (env) {
		json_t *a = json_object_get(cfg, "Env");
		if (!a)
			json_object_set_new(cfg, "Env", a = json_array());
		json_array_append_new(a, json_sprintf("%s=%s", k, v));
		return;
	}
	json_t *o = json_object_get(cfg, field);
	if (!o)
		json_object_set_new(cfg, field, o = json_object());
	json_object_set_new(o, k, json_string(v));
}

static int apply_change(json_t *cfg, const char *line, struct bld_error **err)
{
	size_t kl = strcspn(line, " \t");
	cleanup_free char *kw = xstrndup(line, kl);
	const char *arg = line + kl + strspn(line + kl, " \t");
	for (char *p = kw; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	if (!strcmp(kw, "CMD") || !strcmp(kw, "ENTRYPOINT"))
		json_object_set_new(cfg, !strcmp(kw, "CMD") ? "Cmd" : "Entrypoint", exec_form(arg, true));
	else if (!strcmp(kw, "ENV"))
		set_kv(cfg, "Env", arg, true);
	else if (!strcmp(kw, "LABEL"))
		set_kv(cfg, "Labels", arg, false);
	else if (!strcmp(kw, "WORKDIR") || !strcmp(kw, "USER") || !strcmp(kw, "STOPSIGNAL"))
		json_object_set_new(cfg, !strcmp(kw, "WORKDIR") ? "WorkingDir"
					 : !strcmp(kw, "USER")  ? "User"
								: "StopSignal",
				    json_string(arg));
	else if (!strcmp(kw, "EXPOSE") || !strcmp(kw, "VOLUME")) {
		bool expose = !strcmp(kw, "EXPOSE");
		json_t *o = json_object_get(cfg, expose ? "ExposedPorts" : "Volumes");
		if (!o)
			json_object_set_new(cfg, expose ? "ExposedPorts" : "Volumes", o = json_object());
		cleanup_free char *key = expose && !strchr(arg, '/') ? xasprintf("%s/tcp", arg) : xstrdup(arg);
		json_object_set_new(o, key, json_object());
	} else
		return bld_error_set(err, BLD_E_INVALID, "%s is not a valid change command", kw);
	return 0;
}

static char *now_rfc3339(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	long v = 0;
	time_t t = sde && bld_parse_long(sde, 0, INT32_MAX, &v) == 0 ? (time_t)v : time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

static json_t *make_config(struct bld_cli_args *a, const char *src, struct bld_error **err)
{
	cleanup_free char *now = now_rfc3339();
	const char *msg = bld_cli_str(a, "message");
	cleanup_free char *comment = msg ? xstrdup(msg) : xasprintf("Imported from %s", src);
	json_t *inner = json_object();
	char *const *changes = bld_cli_list(a, "change");
	for (size_t i = 0; changes && changes[i]; i++)
		if (apply_change(inner, changes[i], err) < 0) {
			json_decref(inner);
			return NULL;
		}
	return json_pack("{s:s, s:s, s:s, s:o, s:[{s:s, s:s, s:s}]}", "architecture", "amd64", "os",
			 "linux", "created", now, "config", inner, "history", "created", now,
			 "created_by", "", "comment", comment);
}

static int open_source(const char *root, const char *src, struct bld_error **err)
{
	if (strcmp(src, "-") == 0)
		return dup(0);
	if (bld_str_has_prefix(src, "http://") || bld_str_has_prefix(src, "https://"))
		return bld_registry_fetch_url_tmp(root, src, BLD_REGISTRY_IMPORT_MAX, err);
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bld_error_sys(err, errno, "open %s", src);
	return fd;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *src = a->argv[0];
	cleanup_free char *name = NULL;
	if (a->argc > 1 && bld_registry_full_name(a->argv[1], &name, err) < 0)
		return -1;
	const char *plat = bld_cli_str(a, "platform");
	if (plat && strcmp(plat, "linux/amd64") && strcmp(plat, "linux"))
		return bld_error_set(err, BLD_E_UNSUPPORTED, "platform %s is not supported", plat);
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	cleanup_close int fd = open_source(ctx->root, src, err);
	if (fd < 0) {
		bld_cache_store_free(s);
		return -1;
	}
	struct bld_cache_layer l;
	json_t *cfg = NULL;
	char id[BLD_DIGEST_STR_LEN];
	int r = bld_cache_layer_from_tar(s, fd, &l, err);
	if (r == 0 && !(cfg = make_config(a, src, err)))
		r = -1;
	if (r == 0)
		r = bld_cache_image_write(s, cfg, &l, 1, name, NULL, id, err);
	if (r == 0)
		bld_cache_image_event(s, "import", id, id);
	if (cfg)
		json_decref(cfg);
	bld_cache_store_free(s);
	if (r < 0)
		return bld_error_wrap(err, "import %s", src);
	printf("%s\n", id);
	return 0;
}

const struct bld_cli_cmd bld_cmd_import = {
	.name = "import",
	.usage = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
	.summary = "Import the contents from a tarball to create a filesystem image",
	.opts = opts,
	.min_args = 1,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Make an image of a root file system tar",
		 "bld import rootfs.tar base:1"},
		{"Set its command while importing it",
		 "bld import -c 'CMD [\"sh\"]' rootfs.tar busybox:local"}),
};
