/*
 * builder/build.c — `bld build` from start to finish: the build's private mount namespace,
 * the context and its Dockerfile, build args (with SOURCE_DATE_EPOCH and the predefined
 * platform ARGs), --add-host's /etc/hosts lines, the stages and which of them the target needs, building those in order,
 * and writing the image with its names. Nothing is named in the store before the whole
 * build succeeded; the scratch directory is removed in every case. Each needed stage runs
 * in a thread of its own as soon as the stages it reads from are done, so independent
 * stages build at the same time.
 *
 * Stages and steps are stage.c's; RUN is run.c's; COPY/ADD are copy.c's and add.c's;
 * --build-context's named contexts are named.c's (opened here, before the graph is built,
 * because a context named like a stage replaces that stage).
 */
#include "builder/builder_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <time.h>

/* Mounts the builder makes vanish with the process, whatever happens to it. */
static void private_mounts(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	if (unshare(CLONE_NEWNS) < 0) {
		bld_debug("unshare(CLONE_NEWNS): %s", strerror(errno));
		return;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		bld_debug("make / private: %s", strerror(errno));
}

static const char *strv_lookup(char *const *v, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; v && v[i]; i++)
		if (strncmp(v[i], name, n) == 0 && v[i][n] == '=')
			return v[i] + n + 1;
	return NULL;
}

/* --build-arg K=V, or K alone for the value in bld's environment (skipped when unset). */
static void read_build_args(struct bld_builder_job *b)
{
	for (size_t i = 0; b->o->build_args && b->o->build_args[i]; i++) {
		const char *a = b->o->build_args[i];
		if (strchr(a, '=')) {
			bld_strv_push(&b->build_args, a);
			continue;
		}
		const char *v = getenv(a);
		if (v) {
			cleanup_free char *kv = xasprintf("%s=%s", a, v);
			bld_strv_push(&b->build_args, kv);
		}
	}
}

/*
 * --add-host HOST:IP as dockerd hands them to BuildKit (toBuildkitExtraHosts): split at the
 * first colon, host-gateway replaced by the default bridge's gateway, anything else must be
 * an IP address; then the /etc/hosts lines BuildKit's executor appends ("IP\tHOST").
 */
static int read_extra_hosts(struct bld_builder_job *b, struct bld_error **err)
{
	for (size_t i = 0; b->o->add_hosts && b->o->add_hosts[i]; i++) {
		const char *h = b->o->add_hosts[i], *colon = strchr(h, ':');
		unsigned char buf[16];
		char gw[INET6_ADDRSTRLEN] = "";
		if (colon && strcmp(colon + 1, "host-gateway") == 0) {
			bld_runner_host_gateway(b->ctx, gw);
			if (!gw[0])
				return bld_error_set(err, BLD_E_INVALID, "unable to derive the IP value "
						     "for host-gateway");
		}
		const char *ip = gw[0] ? gw : colon ? colon + 1 : "";
		if (!colon || colon == h || (!gw[0] && inet_pton(AF_INET, ip, buf) != 1 &&
					     inet_pton(AF_INET6, ip, buf) != 1))
			return bld_error_set(err, BLD_E_INVALID, "invalid host %s", h);
		cleanup_free char *line = xasprintf("%s\t%.*s", ip, (int)(colon - h), h);
		bld_strv_push(&b->extra_hosts, line);
	}
	return 0;
}

static int read_epoch(struct bld_builder_job *b, struct bld_error **err)
{
	const char *s = strv_lookup(b->build_args, "SOURCE_DATE_EPOCH");
	if (!s)
		s = getenv("SOURCE_DATE_EPOCH");
	b->epoch = -1;
	if (!s || !*s)
		return 0;
	long v;
	if (bld_parse_long(s, 0, 253402300799L, &v) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid SOURCE_DATE_EPOCH: %s", s);
	b->epoch = v;
	return 0;
}

/*
 * Each build's scratch directory (where COPY and RUN write their layers' trees) in a block
 * group of its own: thousands of files deleted nearby just before, by other programs or an
 * earlier prune, made a cold COPY of 10,000 files nine times slower (common/topdir.c).
 */
static void spread_builds(const char *tmproot)
{
	int fd = open(tmproot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = fd < 0 ? -errno : bld_fs_mark_topdir(fd);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		bld_debug("build: %s not marked top-level: %s", tmproot, strerror(-r));
}

/* The parser's stages, what the target needs, and which stages skip the cache. */
static void take_stages(struct bld_builder_job *b)
{
	struct bld_parser_dockerfile *df = b->df;
	b->n_stages = df->nstages;
	b->stages = xcalloc(df->nstages, sizeof(*b->stages));
	b->target = (size_t)df->target;
	b->meta_args = bld_strv_dup(df->meta_env);
	for (size_t i = 0; i < df->nstages; i++) {
		struct bld_builder_stage *st = &b->stages[i];
		st->index = (int)i;
		st->ps = &df->stages[i];
		st->name = df->stages[i].name ? xstrdup(df->stages[i].name) : NULL;
		st->needed = df->stages[i].needed;
		st->no_cache = b->o->no_cache;
		for (size_t j = 0; b->o->no_cache_filter && b->o->no_cache_filter[j]; j++)
			if (st->name && strcasecmp(st->name, b->o->no_cache_filter[j]) == 0)
				st->no_cache = true;
	}
}

/* Stages whose name a named context takes (BuildKit: the context replaces the stage). */
static void mark_replaced(struct bld_builder_job *b)
{
	struct bld_parser_dockerfile *df = b->df;
	if (!b->n_named || !df->nstages)
		return;
	free(df->replaced);
	df->replaced = xcalloc(df->nstages, sizeof(bool));
	for (size_t i = 0; i < df->nstages; i++)
		df->replaced[i] = df->stages[i].name && bld_builder_named_find(b, df->stages[i].name);
}

static int prepare(struct bld_builder_job *b, struct bld_error **err)
{
	cleanup_free char *statdir = xasprintf("%s/cache/context", b->ctx->root);
	if (bld_cache_store_open(&b->store, b->ctx->root, err) < 0)
		return -1;
	if (bld_builder_named_open(b, err) < 0)
		return -1;
	if (bld_builder_context_open_in(&b->bctx, b->o->context, b->o->dockerfile, statdir,
					b->o->context_fd, err) < 0)
		return -1;
	size_t len = 0;
	const char *text = bld_builder_context_dockerfile(b->bctx, &len);
	const char *name = bld_builder_context_dockerfile_name(b->bctx);
	if (bld_parser_dockerfile_new(&b->df, text, len, err) < 0)
		return bld_error_wrap(err, "failed to solve: %s", name);
	b->escape = b->df->ast->escape;
	read_build_args(b);
	if (read_extra_hosts(b, err) < 0 || read_epoch(b, err) < 0)
		return -1;
	mark_replaced(b);
	if (bld_parser_graph_build(b->df, b->o->target, b->build_args, err) < 0)
		return bld_error_wrap(err, "failed to solve");
	take_stages(b);
	bld_builder_explain_open(b);
	bld_builder_regcache_import(b);
	cleanup_free char *tmproot = xasprintf("%s/tmp", b->ctx->root);
	if (bld_fs_mkdir_p(tmproot, 0700, err) < 0)
		return -1;
	spread_builds(tmproot);
	b->tmp = xasprintf("%s/build-XXXXXX", tmproot);
	if (!mkdtemp(b->tmp)) {
		free(b->tmp);
		b->tmp = NULL;
		return bld_error_sys(err, errno, "mkdtemp in %s", tmproot);
	}
	b->empty_dir = bld_path_join(b->tmp, "empty");
	if (mkdir(b->empty_dir, 0755) < 0)
		return bld_error_sys(err, errno, "mkdir %s", b->empty_dir);
	return 0;
}

/* --label, the creation date, then the image and its names. */
static int write_image(struct bld_builder_job *b, char id[BLD_DIGEST_STR_LEN],
		       struct bld_error **err)
{
	struct bld_builder_stage *st = &b->stages[b->target];
	for (size_t i = 0; b->o->labels && b->o->labels[i]; i++) {
		const char *l = b->o->labels[i];
		cleanup_free char *k = xstrndup(l, strcspn(l, "="));
		bld_builder_img_label(st->img, k, l[strlen(k)] == '=' ? l + strlen(k) + 1 : "");
	}
	/* the last step's time: a rebuild from the cache is the same image (BuildKit's rule) */
	const char *last = bld_builder_img_last_created(st->img);
	cleanup_free char *created =
	    b->epoch >= 0 || !last
		? bld_builder_img_time(b->epoch >= 0 ? b->epoch : (int64_t)time(NULL))
		: xstrdup(last);
	json_object_set_new(st->img, "created", json_string(created));
	cleanup_strv char **names = NULL;
	for (size_t i = 0; b->o->tags && b->o->tags[i]; i++) {
		struct bld_registry_ref r;
		if (bld_registry_ref_parse(&r, b->o->tags[i], err) < 0)
			return bld_error_wrap(err, "invalid tag \"%s\"", b->o->tags[i]);
		char *full = bld_registry_ref_string(&r);
		bld_registry_ref_dispose(&r);
		bld_strv_push(&names, full);
		free(full);
	}
	if (bld_cache_image_write_fmt(b->store, st->img, st->layers, st->n_layers,
				      names ? names[0] : NULL, b->o->docker_format,
				      b->manifest_digest, id, err) < 0)
		return -1;
	for (size_t i = 1; names && names[i]; i++) {
		struct bld_cache_desc d;
		if (bld_cache_ref_get(b->store, names[0], &d, err) < 0)
			return -1;
		int r = bld_cache_ref_set_desc(b->store, names[i], &d, err); /* v2s2 form too */
		bld_cache_desc_dispose(&d);
		if (r < 0)
			return -1;
	}
	int v = bld_builder_progress_vertex(b, "exporting to image");
	bld_builder_progress_line(b, v, "writing image %s done", id);
	for (size_t i = 0; names && names[i]; i++)
		bld_builder_progress_line(b, v, "naming to %s done", names[i]);
	return 0;
}

static int write_iidfile(const char *path, const char *id, struct bld_error **err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return bld_error_sys(err, errno, "write iidfile %s", path);
	fputs(id, f);
	return fclose(f) == 0 ? 0 : bld_error_sys(err, errno, "write iidfile %s", path);
}

static void dispose(struct bld_builder_job *b)
{
	for (size_t i = 0; i < b->n_stages; i++)
		bld_builder_stage_dispose(&b->stages[i]);
	free(b->stages);
	if (b->tmp) {
		struct bld_error *e = NULL;
		bld_fs_rm_rf(b->tmp, &e);
		bld_error_free(e);
	}
	free(b->tmp);
	free(b->empty_dir);
	bld_strv_free(b->meta_args);
	bld_strv_free(b->build_args);
	bld_strv_free(b->extra_hosts);
	bld_parser_dockerfile_free(b->df);
	if (b->cache_export)
		json_decref(b->cache_export);
	bld_builder_context_free(b->bctx);
	bld_builder_named_dispose(b);
	bld_cache_store_free(b->store);
	if (b->deps)
		json_decref(b->deps);
	bld_builder_explain_free(b->xp);
	pthread_mutex_destroy(&b->lock);
	pthread_mutex_destroy(&b->named_lock);
	pthread_mutex_destroy(&b->attest_lock);
	pthread_mutex_destroy(&b->classic_lock);
}

/* ------------------------------------------------------------------ parallel stages */

struct sched {
	struct bld_builder_job *b;
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool *done;
	bool failed;
	struct bld_error *err; /* the first failure */
};

struct job {
	struct sched *s;
	struct bld_builder_stage *st;
};

static bool deps_ready(struct sched *s, const struct bld_builder_stage *st)
{
	for (size_t i = 0; i < st->ps->ndeps; i++)
		if (!s->done[st->ps->deps[i]])
			return false;
	return true;
}

/* One stage's thread: waits for the stages it reads from, builds, tells the others. */
static void *stage_thread(void *arg)
{
	struct job *j = arg;
	struct sched *s = j->s;
	pthread_mutex_lock(&s->m);
	while (!s->failed && !deps_ready(s, j->st))
		pthread_cond_wait(&s->cv, &s->m);
	bool go = !s->failed;
	pthread_mutex_unlock(&s->m);
	struct bld_error *e = NULL;
	if (s->b->classic) /* its steps numbered in order: one stage at a time */
		pthread_mutex_lock(&s->b->classic_lock);
	int r = go ? bld_builder_stage_build(s->b, j->st, &e) : 0;
	if (s->b->classic)
		pthread_mutex_unlock(&s->b->classic_lock);
	pthread_mutex_lock(&s->m);
	if (r < 0 && !s->failed) {
		s->failed = true;
		s->err = e;
		e = NULL;
	}
	s->done[j->st->index] = go && r == 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->m);
	bld_error_free(e);
	return NULL;
}

/* Builds every needed stage; independent ones run at the same time. */
static int build_stages(struct bld_builder_job *b, struct bld_error **err)
{
	struct sched s = {.b = b};
	pthread_mutex_init(&s.m, NULL);
	pthread_cond_init(&s.cv, NULL);
	s.done = xcalloc(b->n_stages, sizeof(bool));
	struct job *jobs = xcalloc(b->n_stages, sizeof(*jobs));
	pthread_t *tids = xcalloc(b->n_stages, sizeof(*tids));
	bool *started = xcalloc(b->n_stages, sizeof(bool));
	for (size_t i = 0; i < b->n_stages; i++) {
		if (!b->stages[i].needed)
			continue;
		jobs[i] = (struct job){.s = &s, .st = &b->stages[i]};
		started[i] = pthread_create(&tids[i], NULL, stage_thread, &jobs[i]) == 0;
		if (!started[i])
			stage_thread(&jobs[i]);
	}
	for (size_t i = 0; i < b->n_stages; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	int r = 0;
	if (s.failed) {
		bld_error_move(err, &s.err);
		r = -1;
	}
	pthread_cond_destroy(&s.cv);
	pthread_mutex_destroy(&s.m);
	free(s.done);
	free(jobs);
	free(tids);
	free(started);
	return r;
}

static bool quiet_progress(const struct bld_builder_opts *o)
{
	return o->quiet || (o->progress && strcmp(o->progress, "quiet") == 0);
}

int bld_builder_isolation(const char *want, const char **out, const char **why,
			  struct bld_error **err)
{
	if (why)
		*why = NULL;
	if (want && (strcmp(want, "oci") == 0 || strcmp(want, "chroot") == 0)) {
		*out = want;
		return 0;
	}
	if (want && *want && strcmp(want, "default") != 0)
		return bld_error_set(err, BLD_E_INVALID, "Unsupported isolation: \"%s\"", want);
	const char *w = NULL;
	*out = bld_runner_namespaces_available(&w) ? "oci" : "chroot";
	if (why)
		*why = w;
	return 0;
}

/*
 * --isolation, said in one line when default chose chroot; what chroot cannot do for a
 * whole build is refused here (a RUN's own flags in run.c).
 */
static int choose_isolation(const struct bld_builder_opts *o, bool *chroot_mode,
			    struct bld_error **err)
{
	const char *iso = NULL, *why = NULL;
	if (bld_builder_isolation(o->isolation, &iso, &why, err) < 0)
		return -1;
	*chroot_mode = iso && strcmp(iso, "chroot") == 0;
	if (why)
		bld_warn("namespaces are not available (%s): building with --isolation=chroot",
			 why);
	if (!*chroot_mode)
		return 0;
	const char *what = o->network && strcmp(o->network, "none") == 0 ? "--network=none"
			   : o->add_hosts && o->add_hosts[0]                 ? "--add-host"
			   : o->shm_size                                       ? "--shm-size"
									       : NULL;
	if (what)
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "%s: not available with --isolation=chroot (RUN steps share "
				     "bld's network, /etc and /dev)", what);
	return 0;
}

int bld_builder_build(struct bld_ctx *ctx, const struct bld_builder_opts *o,
		      char id[BLD_DIGEST_STR_LEN], struct bld_error **err)
{
	if (o->platform && *o->platform && strcmp(o->platform, "linux/amd64") != 0)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "platform %s: only linux/amd64 is "
							     "supported", o->platform);
	bool chroot_mode = false;
	if (choose_isolation(o, &chroot_mode, err) < 0)
		return -1;
	if (!chroot_mode)
		private_mounts();
	struct bld_builder_job b;
	memset(&b, 0, sizeof(b));
	b.chroot = chroot_mode;
	b.ctx = ctx;
	b.o = o;
	b.out = quiet_progress(o) ? NULL : o->progress_out ? o->progress_out : stderr;
	pthread_mutex_init(&b.lock, NULL);
	pthread_mutex_init(&b.named_lock, NULL);
	pthread_mutex_init(&b.attest_lock, NULL);
	pthread_mutex_init(&b.classic_lock, NULL);
	b.started = time(NULL);
	bld_builder_progress_start(&b);
	int r = prepare(&b, err);
	if (r == 0)
		r = build_stages(&b, err);
	if (b.xp) { /* also after a failed step: the keys of those done are the last build's */
		int rx = bld_builder_explain_finish(&b, r == 0 ? err : NULL);
		r = r == 0 ? rx : r;
	}
	if (r == 0)
		r = write_image(&b, id, err);
	if (r == 0 && (o->provenance || o->sbom))
		r = bld_builder_attest_write(&b, err);
	if (r == 0 && o->cache_to)
		r = bld_builder_regcache_export(&b, err);
	if (r == 0 && o->output && *o->output)
		r = bld_builder_build_output(&b, id, err);
	if (r == 0 && o->iidfile)
		r = write_iidfile(o->iidfile, id, err);
	bld_builder_progress_finish(&b, r == 0);
	dispose(&b);
	return r;
}
