/*
 * deploy/images.c — the images a project's services run: built from their build: section
 * (builder/) when asked or missing, pulled (registry/) when missing or asked, looked up in
 * the store otherwise. Each service's image ends up named in the store; its image ID goes
 * in the com.docker.compose.image label, so that a rebuilt or re-pulled image recreates
 * the service's containers. A build: section becomes the builder's options as compose v2
 * makes BuildKit's (additional_contexts, extra_hosts, shm_size, ssh with project paths),
 * and a service whose build reads another's image is built after it.
 */
#include "builder/builder.h"
#include "deploy/deploy_int.h"
#include "registry/registry.h"

#include <errno.h>
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

/* K=V of each member of b's map key (K alone for a null value: taken from the environment). */
static void push_map(char ***v, const json_t *b, const char *key)
{
	const char *k;
	json_t *val;
	json_object_foreach(json_object_get(b, key), k, val) {
		cleanup_free char *kv = json_is_string(val) ? xasprintf("%s=%s", k, json_string_value(val))
							    : xstrdup(k);
		bld_strv_push(v, kv);
	}
}

static void push_list(char ***v, const json_t *b, const char *key)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(b, key), i, e)
		if (json_is_string(e))
			bld_strv_push(v, json_string_value(e));
}

/* build.secrets as --secret: the id is the target when one was given (else the name), the
 * value the top-level secret's file or environment variable, as compose v2 gives them. */
static int push_secrets(char ***v, const struct bld_deploy_target *t, const json_t *b,
			struct bld_error **err)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(b, "secrets"), i, e) {
		const char *src = bld_json_get_str(e, "source"), *tgt = bld_json_get_str(e, "target");
		cleanup_free char *dflt = xasprintf("/run/secrets/%s", src ? src : "");
		const char *id = tgt && strcmp(tgt, dflt) != 0 ? tgt : src;
		const json_t *def = json_object_get(json_object_get(t->project, "secrets"), src);
		const char *file = bld_json_get_str(def, "file"), *env = bld_json_get_str(def, "environment");
		cleanup_free char *abs = file && file[0] != '/' && t->working_dir
						 ? xasprintf("%s/%s", t->working_dir, file) : NULL;
		if (!file && !env)
			return bld_error_set(err, BLD_E_INVALID, "build.secrets %s: only secrets with "
						 "a file or an environment variable can be used",
					     src ? src : "");
		cleanup_free char *spec = file ? xasprintf("id=%s,src=%s", id, abs ? abs : file)
					       : xasprintf("id=%s,env=%s", id, env);
		bld_strv_push(v, spec);
	}
	return 0;
}

/* A service of the project, or NULL. */
static const json_t *service_of(const struct bld_deploy_target *t, const char *svc)
{
	return json_object_get(json_object_get(t->project, "services"), svc);
}

/* p made absolute against the project directory when relative (compose-go's paths). */
static char *project_path(const struct bld_deploy_target *t, const char *p)
{
	return p[0] != '/' && t->working_dir ? bld_path_join(t->working_dir, p) : xstrdup(p);
}

/* Whether an additional context is a path (not an image, URL, git repository or service). */
static bool context_is_path(const char *v)
{
	return !strstr(v, "://") && !bld_str_has_prefix(v, "service:") &&
	       !bld_str_has_prefix(v, "git@") && !bld_str_has_prefix(v, "github.com/");
}

/*
 * build.additional_contexts as --build-context NAME=VALUE, as compose v2 hands them to
 * BuildKit: "service:NAME" is that service's image (docker-image://, built before this one),
 * a relative path is the project directory's.
 */
static int push_contexts(char ***v, const struct bld_deploy_target *t, const json_t *b,
			 struct bld_error **err)
{
	const char *k;
	json_t *val;
	json_object_foreach(json_object_get(b, "additional_contexts"), k, val) {
		const char *s = json_string_value(val);
		if (!s)
			continue;
		const char *dep = bld_str_has_prefix(s, "service:") ? s + strlen("service:") : NULL;
		if (dep && !service_of(t, dep))
			return bld_error_set(err, BLD_E_INVALID, "build.additional_contexts %s: "
					     "service \"%s\" is not defined", k, dep);
		cleanup_free char *img = dep ? bld_deploy_image_name(t->name, dep, service_of(t, dep))
					     : NULL;
		cleanup_free char *val_s = dep ? xasprintf("docker-image://%s", img)
				       : context_is_path(s) ? project_path(t, s) : xstrdup(s);
		cleanup_free char *kv = xasprintf("%s=%s", k, val_s);
		bld_strv_push(v, kv);
	}
	return 0;
}

/* build.extra_hosts (list of "HOST:IP" or "HOST=IP", or a map of HOST to one IP or a list)
 * as --add-host HOST:IP. */
static void push_hosts(char ***v, const json_t *b)
{
	const json_t *eh = json_object_get(b, "extra_hosts");
	size_t i;
	json_t *e;
	json_array_foreach(eh, i, e) {
		const char *s = json_string_value(e);
		size_t n = s ? strcspn(s, "=") : 0;
		cleanup_free char *h = s && s[n] ? xasprintf("%.*s:%s", (int)n, s, s + n + 1) : NULL;
		if (s)
			bld_strv_push(v, h ? h : s);
	}
	const char *k;
	json_object_foreach((json_t *)eh, k, e) {
		for (size_t j = 0; j < (json_is_array(e) ? json_array_size(e) : 1); j++) {
			const char *ip = json_string_value(json_is_array(e) ? json_array_get(e, j) : e);
			cleanup_free char *h = ip ? xasprintf("%s:%s", k, ip) : NULL;
			if (h)
				bld_strv_push(v, h);
		}
	}
}

/* build.shm_size in bytes (the model holds it as a number or a size string), 0 unset. */
static int64_t shm_of(const json_t *b)
{
	const json_t *v = json_object_get(b, "shm_size");
	cleanup_free char *t = v ? bld_deploy_scalar_text(v) : NULL;
	int64_t n = 0;
	return t && bld_deploy_bytes_parse(t, &n) == 0 ? n : 0;
}

/* build.ssh as --ssh: the paths of "ID=PATH[,PATH]" from the project directory (compose v2). */
static void push_ssh(char ***v, const struct bld_deploy_target *t, const json_t *b)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(b, "ssh"), i, e) {
		const char *s = json_string_value(e), *eq = s ? strchr(s, '=') : NULL;
		if (!eq) {
			if (s)
				bld_strv_push(v, s);
			continue;
		}
		struct bld_buf o = BLD_BUF_INIT;
		bld_buf_printf(&o, "%.*s=", (int)(eq - s), s);
		cleanup_strv char **paths = bld_deploy_split(eq + 1, ',');
		for (size_t j = 0; paths && paths[j]; j++) {
			cleanup_free char *abs = project_path(t, paths[j]);
			bld_buf_printf(&o, "%s%s", j ? "," : "", abs);
		}
		bld_strv_push(v, bld_buf_str(&o));
		bld_buf_dispose(&o);
	}
}

/* platforms as --platform: the first one other than linux/amd64 (which the builder then
 * refuses), else linux/amd64; NULL when none is given. */
static const char *platform_of(const json_t *b)
{
	size_t i;
	json_t *e;
	const char *p = NULL;
	json_array_foreach(json_object_get(b, "platforms"), i, e) {
		p = json_string_value(e);
		if (p && strcmp(p, "linux/amd64") != 0)
			return p;
	}
	return p;
}

/* dockerfile_inline written to a temporary file, whose path goes to *path. */
static int inline_dockerfile(const char *text, char **path, struct bld_error **err)
{
	const char *dir = getenv("TMPDIR");
	char *tmp = xasprintf("%s/bld-dockerfile-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return bld_error_sys(err, errno, "mkstemp");
	}
	int r = bld_fs_write_all(fd, text, strlen(text));
	close(fd);
	if (r < 0) {
		unlink(tmp);
		free(tmp);
		return bld_error_sys(err, errno, "write dockerfile_inline");
	}
	*path = tmp;
	return 0;
}

/* The Dockerfile path: dockerfile_inline's temporary file (*tmp, to unlink), else dockerfile
 * under ctxdir when relative. */
static int dockerfile_of(const json_t *b, const char *ctxdir, char **df, char **tmp,
			 struct bld_error **err)
{
	const char *text = bld_json_get_str(b, "dockerfile_inline");
	if (text) {
		if (inline_dockerfile(text, tmp, err) < 0)
			return -1;
		*df = xstrdup(*tmp);
		return 0;
	}
	const char *dockerfile = bld_json_get_str(b, "dockerfile");
	if (dockerfile)
		*df = dockerfile[0] != '/' && ctxdir ? xasprintf("%s/%s", ctxdir, dockerfile)
						     : xstrdup(dockerfile);
	return 0;
}

/* build: as `docker compose build` passes it to the builder (what the builder cannot do
 * is warned about by bld_deploy_swarm_warnings). */
static int build(struct bld_ctx *ctx, const struct bld_deploy_target *t, const char *name,
		 const json_t *b, struct bld_error **err)
{
	cleanup_strv char **tags = NULL, **args = NULL, **labels = NULL, **secrets = NULL;
	cleanup_strv char **ssh = NULL, **cfrom = NULL, **cto = NULL, **ncf = NULL;
	cleanup_strv char **contexts = NULL, **hosts = NULL;
	bld_strv_push(&tags, name);
	push_list(&tags, b, "tags");
	push_map(&args, b, "args");
	push_map(&labels, b, "labels");
	push_ssh(&ssh, t, b);
	push_hosts(&hosts, b);
	push_list(&cfrom, b, "cache_from");
	push_list(&cto, b, "cache_to");
	push_list(&ncf, b, "no_cache_filter");
	cleanup_free char *df = NULL, *abs = NULL, *tmp = NULL;
	const char *ctxdir = json_is_string(b) ? json_string_value(b) : bld_json_get_str(b, "context");
	if (ctxdir && ctxdir[0] != '/' && t->working_dir)
		ctxdir = abs = xasprintf("%s/%s", t->working_dir, ctxdir);
	if (push_secrets(&secrets, t, b, err) < 0 || push_contexts(&contexts, t, b, err) < 0 ||
	    dockerfile_of(b, ctxdir, &df, &tmp, err) < 0)
		return bld_error_wrap(err, "service image %s", name);
	struct bld_builder_opts o = {
		.context = ctxdir ? ctxdir : ".",
		.dockerfile = df,
		.build_contexts = contexts,
		.add_hosts = hosts,
		.shm_size = shm_of(b),
		.tags = tags,
		.build_args = args,
		.labels = labels,
		.secrets = secrets,
		.ssh = ssh,
		.platform = platform_of(b),
		.cache_from = cfrom,
		.cache_to = cto,
		.no_cache_filter = ncf,
		.target = bld_json_get_str(b, "target"),
		.network = bld_json_get_str(b, "network"),
		.no_cache = json_is_true(json_object_get(b, "no_cache")),
		.pull = json_is_true(json_object_get(b, "pull")),
		.quiet = true,
		.progress = "quiet", /* its step is a line of compose's display */
	};
	char id[BLD_DIGEST_STR_LEN];
	int r = bld_builder_build(ctx, &o, id, err);
	if (tmp)
		unlink(tmp);
	return r;
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

int bld_deploy_image_ensure(struct bld_ctx *ctx, const char *name, bool always,
			    struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, ctx->root, err) < 0)
		return -1;
	struct bld_cache_image *img = NULL;
	bool have = find(s, name, &img) == 0;
	bld_cache_image_free(img);
	int r = have && !always ? 0 : pull(ctx, s, name, err);
	bld_cache_store_free(s);
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

/* Whether svc's build reads dep's image (build.additional_contexts "service:DEP"). */
static bool builds_from(const struct bld_deploy_target *t, const char *svc, const char *dep)
{
	const char *k;
	json_t *v;
	json_t *ac = json_object_get(json_object_get(service_of(t, svc), "build"),
				     "additional_contexts");
	json_object_foreach(ac, k, v) {
		const char *s = json_string_value(v);
		if (s && bld_str_has_prefix(s, "service:") && strcmp(s + strlen("service:"), dep) == 0)
			return true;
	}
	return false;
}

/* Whether j->svcs[i] must wait for one of the others not done yet. */
static bool waits(const struct verb_jobs *j, const bool *done, size_t i)
{
	for (size_t k = 0; j->svcs[k]; k++)
		if (!done[k] && builds_from(j->t, j->svcs[i], j->svcs[k]))
			return true;
	return false;
}

/*
 * The jobs of j->svcs in waves, each wave in parallel: a service whose build reads another
 * one's image (additional_contexts "service:NAME") comes after it, as compose v2 orders
 * them. A cycle is refused.
 */
static int run_ordered(struct bld_ctx *ctx, const struct verb_jobs *j, struct bld_error **err)
{
	size_t n = bld_strv_len(j->svcs), left = n;
	cleanup_free bool *done = xcalloc(n + 1, sizeof(bool));
	cleanup_free bool *now = xcalloc(n + 1, sizeof(bool));
	while (left) {
		cleanup_strv char **wave = NULL;
		for (size_t i = 0; i < n; i++) {
			now[i] = !done[i] && !waits(j, done, i);
			if (now[i])
				bld_strv_push(&wave, j->svcs[i]);
		}
		if (!wave)
			return bld_error_set(err, BLD_E_INVALID, "dependency cycle detected in the "
					     "build.additional_contexts of the services to build");
		struct verb_jobs w = {.t = j->t, .o = j->o, .svcs = wave};
		if (bld_deploy_parallel(ctx, bld_strv_len(wave), PULLS_MAX, verb_job, &w, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			left -= now[i];
			done[i] = done[i] || now[i];
		}
	}
	return 0;
}

/* The pulls (then the builds) of svcs that need one, in parallel: one service a distinct
 * image name, the builds after the pulls (a build may start FROM a pulled image), a build
 * after those whose images it reads (run_ordered). */
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
	return nb ? run_ordered(ctx, &jb, err) : 0;
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
	int r = !n ? 0
		: o->verb == BLD_DEPLOY_IMAGE_BUILD ? run_ordered(ctx, &j, err)
						    : bld_deploy_parallel(ctx, n, PULLS_MAX, verb_job, &j, err);
	if (r < 0 && *err)
		(*err)->status = 1;
	return r;
}
