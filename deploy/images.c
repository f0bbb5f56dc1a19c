/*
 * deploy/images.c — the images a project's services run: built from their build: section
 * (builder/) when asked or missing, pulled (registry/) when missing or asked, looked up in
 * the store otherwise. Each service's image ends up named in the store; its image ID goes
 * in the com.docker.compose.image label, so that a rebuilt or re-pulled image recreates
 * the service's containers.
 */
#include "builder/builder.h"
#include "deploy/deploy_int.h"
#include "registry/registry.h"

#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

char *bld_deploy_image_full_name(const char *name)
{
	struct bld_registry_ref r;
	cleanup_error struct bld_error *e = NULL;
	if (bld_registry_ref_parse(&r, name, &e) < 0)
		return xstrdup(name);
	char *full = bld_registry_ref_string(&r);
	bld_registry_ref_dispose(&r);
	return full;
}

/* The image by a name as docker reads it ("busybox" is docker.io/library/busybox:latest),
 * else by ID. */
static int find(struct bld_store *s, const char *name, struct bld_cache_image **out)
{
	cleanup_free char *full = bld_deploy_image_full_name(name);
	cleanup_error struct bld_error *e2 = NULL;
	if (bld_cache_image_load(s, full, out, &e2) == 0)
		return 0;
	cleanup_error struct bld_error *e3 = NULL;
	return bld_cache_image_load(s, name, out, &e3);
}

/* build: as `docker compose build` passes it to the builder. */
static int build(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *name,
		 const json_t *b, struct bld_error **err)
{
	cleanup_strv char **tags = NULL, **args = NULL, **labels = NULL;
	bld_strv_push(&tags, name);
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(b, "args"), k, v) {
		cleanup_free char *kv = json_is_string(v) ? xasprintf("%s=%s", k, json_string_value(v))
							  : xstrdup(k);
		bld_strv_push(&args, kv);
	}
	json_object_foreach(json_object_get(b, "labels"), k, v) {
		cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
		bld_strv_push(&labels, kv);
	}
	cleanup_free char *df = NULL, *abs = NULL;
	const char *ctxdir = json_is_string(b) ? json_string_value(b) : bld_json_get_str(b, "context");
	if (ctxdir && ctxdir[0] != '/' && t->working_dir)
		ctxdir = abs = xasprintf("%s/%s", t->working_dir, ctxdir);
	const char *dockerfile = bld_json_get_str(b, "dockerfile");
	if (dockerfile && dockerfile[0] != '/' && ctxdir)
		df = xasprintf("%s/%s", ctxdir, dockerfile);
	struct bld_builder_opts o = {
		.context = ctxdir ? ctxdir : ".",
		.dockerfile = df ? df : dockerfile,
		.tags = tags,
		.build_args = args,
		.labels = labels,
		.target = bld_json_get_str(b, "target"),
		.network = bld_json_get_str(b, "network"),
		.no_cache = json_is_true(json_object_get(b, "no_cache")),
		.pull = json_is_true(json_object_get(b, "pull")),
		.quiet = true,
		.progress = "quiet", /* its step is a line of compose's display */
	};
	char id[BLD_DIGEST_STR_LEN];
	return bld_builder_build(ctx, &o, id, err);
}

/* A pull whose own lines stay out of compose's output. */
static int pull(struct bld_ctx *ctx, struct bld_store *s, const char *name,
		struct bld_error **err)
{
	struct bld_registry_opts ro = {.config_dir = ctx->config_dir, .quiet = true};
	struct bld_registry_pull_result res;
	fflush(stdout);
	int saved = dup(1), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	dup2(null, 1);
	int r = bld_registry_pull(s, name, &ro, &res, err);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(null);
	if (r == 0)
		bld_registry_pull_result_dispose(&res);
	return r;
}

/* Whether service's image is to be built or pulled, as o and its pull_policy say; have:
 * the store has it. */
static void wants(const json_t *service, bool have, const struct bld_deploy_up_opts *o,
		  bool *build, bool *pull)
{
	bool b = json_object_get(service, "build") != NULL;
	const char *pp = bld_json_get_str(service, "pull_policy");
	*build = b && !o->no_build && (o->build || !have || (pp && !strcmp(pp, "build")));
	*pull = !b && !o->pull_never && (!have || o->pull_always || (pp && !strcmp(pp, "always")));
}

/* The image of one service: built or pulled as o says; *img the caller's. */
static int ensure(struct bld_ctx *ctx, struct bld_store *s, const struct bld_deploy_target *t,
		  const char *svc, const struct bld_deploy_up_opts *o,
		  struct bld_cache_image **img, struct bld_error **err)
{
	const json_t *service = json_object_get(json_object_get(t->project, "services"), svc);
	cleanup_free char *name = bld_deploy_image_name(t->name, svc, service);
	const json_t *b = json_object_get(service, "build");
	bool have = find(s, name, img) == 0, want_build, want_pull;
	wants(service, have, o, &want_build, &want_pull);
	if (!want_build && !want_pull)
		return have ? 0 : bld_error_refuse(err, BLD_E_NOTFOUND, "No such image: %s", name);
	bld_cache_image_free(steal_pointer(img));
	cleanup_free char *what = want_build ? xasprintf("Image %s", name) : xstrdup(svc);
	bld_deploy_event(ctx, what, want_build ? "Building" : "Pulling");
	int r = want_build ? build(ctx, t, name, b, err) : pull(ctx, s, name, err);
	if (r < 0) {
		bld_deploy_event(ctx, what, "Error");
		return bld_error_wrap(err, "service \"%s\": %s %s", svc,
				      want_build ? "build" : "pull", name);
	}
	bld_deploy_event(ctx, what, want_build ? "Built" : "Pulled");
	if (find(s, name, img) < 0)
		return bld_error_refuse(err, BLD_E_NOTFOUND, "No such image: %s", name);
	return 0;
}

/* The image of svc: the one another service of the same image name found already (cache),
 * else ensured; into ids. */
static int image_of(struct bld_ctx *ctx, struct bld_store *s, const struct bld_deploy_target *t,
		    const char *svc, const struct bld_deploy_up_opts *o, json_t *cache,
		    json_t *ids, struct bld_error **err)
{
	const json_t *service = json_object_get(json_object_get(t->project, "services"), svc);
	cleanup_free char *name = bld_deploy_image_name(t->name, svc, service);
	json_t *known = json_object_get(cache, name);
	if (known) {
		json_object_set(ids, svc, known);
		return 0;
	}
	struct bld_cache_image *img = NULL;
	int r = ensure(ctx, s, t, svc, o, &img, err);
	if (r == 0) {
		json_t *v = json_pack("{s:s, s:s}", "ref", img->name ? img->name : img->id, "id",
				      img->id);
		json_object_set(cache, name, v);
		json_object_set_new(ids, svc, v);
	}
	bld_cache_image_free(img);
	return r;
}

#define PULLS_MAX 4 /* pulls at a time, as compose v2's limit */

static int image_verb(struct bld_ctx *ctx, struct bld_store *s,
		      const struct bld_deploy_target *t, const char *svc,
		      const struct bld_deploy_image_opts *o, struct bld_error **err);

struct verb_jobs {
	const struct bld_deploy_target *t;
	const struct bld_deploy_image_opts *o;
	char **svcs;
};

/* In a child: the verb on svcs[i], in a store of its own. */
static int verb_job(struct bld_ctx *ctx, size_t i, void *payload, struct bld_error **err)
{
	const struct verb_jobs *j = payload;
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	int r = image_verb(ctx, s, j->t, j->svcs[i], j->o, err);
	bld_cache_store_free(s);
	return r;
}

/* The pulls (then the builds) of svcs that need one, in parallel: one service a distinct
 * image name, the builds after the pulls (a build may start FROM a pulled image). */
static int prepare(struct bld_ctx *ctx, struct bld_store *s, const struct bld_deploy_target *t,
		   char *const *svcs, const struct bld_deploy_up_opts *o, struct bld_error **err)
{
	cleanup_json json_t *seen = json_object();
	cleanup_strv char **pulls = NULL, **builds = NULL;
	for (size_t i = 0; svcs && svcs[i]; i++) {
		const json_t *service = json_object_get(json_object_get(t->project, "services"),
							svcs[i]);
		cleanup_free char *name = bld_deploy_image_name(t->name, svcs[i], service);
		struct bld_cache_image *img = NULL;
		bool have = find(s, name, &img) == 0;
		bld_cache_image_free(img);
		bool build, pull;
		wants(service, have, o, &build, &pull);
		if (json_object_get(seen, name))
			continue;
		json_object_set_new(seen, name, json_true());
		if (build)
			bld_strv_push(&builds, svcs[i]);
		else if (pull)
			bld_strv_push(&pulls, svcs[i]);
	}
	struct bld_deploy_image_opts pull = {.verb = BLD_DEPLOY_IMAGE_PULL},
				     build = {.verb = BLD_DEPLOY_IMAGE_BUILD};
	struct verb_jobs jp = {.t = t, .o = &pull, .svcs = pulls},
			 jb = {.t = t, .o = &build, .svcs = builds};
	size_t np = bld_strv_len(pulls), nb = bld_strv_len(builds);
	if (np && bld_deploy_parallel(ctx, np, PULLS_MAX, verb_job, &jp, err) < 0)
		return -1;
	return nb ? bld_deploy_parallel(ctx, nb, PULLS_MAX, verb_job, &jb, err) : 0;
}

int bld_deploy_images(struct bld_ctx *ctx, const struct bld_deploy_target *t, char *const *svcs,
		      const struct bld_deploy_up_opts *o, json_t **ids, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	cleanup_json json_t *cache = json_object();
	*ids = json_object();
	/* then every image looked up, nothing pulled or built again */
	struct bld_deploy_up_opts after = {.no_build = true, .pull_never = true};
	int r = prepare(ctx, s, t, svcs, o, err);
	for (size_t i = 0; r == 0 && svcs && svcs[i]; i++)
		r = image_of(ctx, s, t, svcs[i], &after, cache, *ids, err);
	bld_cache_store_free(s);
	if (r < 0) {
		(*err)->status = 1;
		json_decref(steal_pointer(ids));
	}
	return r;
}

/* `compose build`, `pull`, `push` of one service, as o->verb says; skipped when the service
 * has nothing for the verb (no build: section to build, a build: section to pull unless it
 * names an image, no image name to push). */
static int image_verb(struct bld_ctx *ctx, struct bld_store *s,
		      const struct bld_deploy_target *t, const char *svc,
		      const struct bld_deploy_image_opts *o, struct bld_error **err)
{
	const json_t *service = json_object_get(json_object_get(t->project, "services"), svc);
	const json_t *b = json_object_get(service, "build");
	cleanup_free char *name = bld_deploy_image_name(t->name, svc, service);
	struct bld_cache_image *img = NULL;
	if (o->verb == BLD_DEPLOY_IMAGE_BUILD && b) {
		struct bld_deploy_up_opts uo = {.build = true};
		int r = ensure(ctx, s, t, svc, &uo, &img, err);
		bld_cache_image_free(img);
		return r;
	}
	if (o->verb == BLD_DEPLOY_IMAGE_PULL && !b) {
		struct bld_deploy_up_opts uo = {.pull_always = true};
		int r = ensure(ctx, s, t, svc, &uo, &img, err);
		bld_cache_image_free(img);
		return r < 0 && o->ignore_failures ? 0 : r;
	}
	if (o->verb != BLD_DEPLOY_IMAGE_PUSH || !bld_json_get_str(service, "image") || !b)
		return 0;
	struct bld_registry_opts ro = {.config_dir = ctx->config_dir, .quiet = true};
	char digest[BLD_DIGEST_STR_LEN];
	cleanup_free char *what = xasprintf("Image %s", name);
	bld_deploy_event(ctx, what, "Pushing");
	if (bld_registry_push(s, name, &ro, digest, err) < 0) {
		bld_deploy_event(ctx, what, "Error");
		return bld_error_wrap(err, "service \"%s\": push %s", svc, name);
	}
	bld_deploy_event(ctx, what, "Pushed");
	return 0;
}

int bld_deploy_image_verb(struct bld_ctx *ctx, const struct bld_deploy_target *t,
			  const struct bld_deploy_image_opts *o, struct bld_error **err)
{
	cleanup_strv char **svcs = NULL;
	if (bld_deploy_services(t, false, &svcs, err) < 0)
		return -1;
	struct verb_jobs j = {.t = t, .o = o, .svcs = svcs};
	size_t n = bld_strv_len(svcs);
	int r = n ? bld_deploy_parallel(ctx, n, PULLS_MAX, verb_job, &j, err) : 0;
	if (r < 0 && *err)
		(*err)->status = 1;
	return r;
}
