/*
 * runner/event.c — container events as docker's daemon records them: the actor is the
 * container's ID, its attributes are its labels, "image" (as the user named it) and "name",
 * with what the action adds (exitCode, signal, oldName). They go to the store's events
 * journal (cache/event.c). Callers hand in the config.json they hold; for a container named
 * by ID its config.json is read here directly (common/ only), so that any file of runner/
 * may call this one without a circle.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <sys/random.h>

#define CONFIG_MAX ((size_t)1 << 20) /* bytes of a config.json read back, as container.c */

static void record(struct bld_ctx *ctx, const json_t *cfg, const char *action,
		   char *const *more)
{
	const json_t *c = json_object_get(cfg, "Config");
	const char *id = bld_json_get_str(cfg, "Id"), *name = bld_json_get_str(cfg, "Name");
	if (!id)
		return;
	cleanup_strv char **attrs = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(c, "Labels"), k, v)
	{
		cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v) ? json_string_value(v) : "");
		bld_strv_push(&attrs, kv);
	}
	cleanup_free char *img = xasprintf("image=%s", bld_json_get_str(c, "Image") ? bld_json_get_str(c, "Image") : "");
	cleanup_free char *nm = xasprintf("name=%s", name ? name + (name[0] == '/') : "");
	bld_strv_push(&attrs, img);
	bld_strv_push(&attrs, nm);
	for (size_t i = 0; more && more[i]; i++)
		bld_strv_push(&attrs, more[i]);
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_event_append(ctx->root, "container", action, id, attrs, &e) < 0)
		bld_debug("event %s: %s", action, e->msg);
}

void bld_runner_event(struct bld_ctx *ctx, const json_t *cfg, const char *action, ...)
{
	cleanup_strv char **extras = NULL;
	va_list ap;
	va_start(ap, action);
	for (const char *extra; (extra = va_arg(ap, const char *));)
		bld_strv_push(&extras, extra);
	va_end(ap);
	record(ctx, cfg, action, extras);
}

void bld_runner_container_event(struct bld_ctx *ctx, const char *id, const char *action,
				char *const *attrs)
{
	cleanup_json json_t *cfg = NULL;
	cleanup_error struct bld_error *e = NULL;
	cleanup_free char *path = xasprintf("%s/containers/%s/config.json", ctx->root, id);
	if (bld_json_load_file(&cfg, path, CONFIG_MAX, &e) < 0)
		return;
	record(ctx, cfg, action, attrs);
}

void bld_runner_event_exec(struct bld_ctx *ctx, const json_t *cfg, const char *what,
			   char *const *argv, const char exec_id[65], int exit_code)
{
	cleanup_free char *id_attr = xasprintf("execID=%s", exec_id);
	if (!argv) {
		char code[32];
		snprintf(code, sizeof(code), "exitCode=%d", exit_code);
		bld_runner_event(ctx, cfg, what, id_attr, code, NULL);
		return;
	}
	/* docker's action: "exec_create: " and the command line, its words joined by spaces */
	struct bld_buf b = BLD_BUF_INIT;
	bld_buf_printf(&b, "%s:", what);
	for (size_t i = 0; argv[i]; i++)
		bld_buf_printf(&b, " %s", argv[i]);
	cleanup_free char *action = bld_buf_detach(&b);
	bld_runner_event(ctx, cfg, action, id_attr, NULL);
}

void bld_runner_exec_id(char out[65])
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		memset(b, 0, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

void bld_runner_event_volumes(struct bld_ctx *ctx, const json_t *cfg, bool mount)
{
	const char *id = bld_json_get_str(cfg, "Id");
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(cfg, "Mounts"), i, m) {
		const char *name = bld_json_get_str(m, "Name");
		if (!id || !name || strcmp(bld_json_get_str(m, "Type") ? bld_json_get_str(m, "Type") : "",
					   "volume") != 0)
			continue;
		cleanup_free char *c = xasprintf("container=%s", id);
		cleanup_free char *d = xasprintf("destination=%s", bld_json_get_str(m, "Destination"));
		cleanup_free char *rw = xasprintf("read/write=%s",
						  json_is_false(json_object_get(m, "RW")) ? "false" : "true");
		char *mounted[] = {c, d, "driver=local", "propagation=", rw, NULL};
		char *unmounted[] = {c, "driver=local", NULL};
		bld_cache_event_append(ctx->root, "volume", mount ? "mount" : "unmount", name,
				       mount ? mounted : unmounted, NULL);
	}
}
