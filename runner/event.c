/*
 * runner/event.c — container events as docker's daemon records them: the actor is the
 * container's ID, its attributes are its labels, "image" (as the user named it) and "name",
 * with what the action adds (exitCode, signal, oldName). They go to the store's events
 * journal (cache/event.c). It reads nothing from disk: callers hand in the config.json
 * they hold, so that any file of runner/ may call it without a circle.
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <stdarg.h>

void bld_runner_event(struct bld_ctx *ctx, const json_t *cfg, const char *action, ...)
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
	va_list ap;
	va_start(ap, action);
	for (const char *extra; (extra = va_arg(ap, const char *));)
		bld_strv_push(&attrs, extra);
	va_end(ap);
	cleanup_error struct bld_error *e = NULL;
	if (bld_cache_event_append(ctx->root, "container", action, id, attrs, &e) < 0)
		bld_debug("event %s: %s", action, e->msg);
}
