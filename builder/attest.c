/*
 * builder/attest.c — --provenance: the SLSA provenance v1 in-toto statement of a build, as
 * BuildKit's layout has it (buildDefinition with externalParameters and resolvedDependencies,
 * runDetails with the builder and the times), and the store of both documents beside the
 * image. Dependencies are recorded while the stages run (thread-safe, each once); the rest
 * is read from the job once the image is written. With SOURCE_DATE_EPOCH the times are that
 * instant, so that the same inputs give the same statement.
 *
 * It never changes the build: a dependency recorded or not, the image is the same.
 */
#include "builder/builder_int.h"

#include <time.h>

#define STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define SLSA_TYPE "https://slsa.dev/provenance/v1"
#define SPDX_TYPE "https://spdx.dev/Document"
#define BUILD_TYPE "https://github.com/bld-project/bld/blob/main/README.md#provenance"
#define DEFAULT_BUILDER_ID "urn:bld:builder"

void bld_builder_attest_dep(struct bld_builder_job *b, const char *uri, const char *alg,
			    const char *hex)
{
	if (!b->o->provenance)
		return;
	json_t *d = json_pack("{s:s}", "uri", uri);
	if (alg && hex)
		json_object_set_new(d, "digest", json_pack("{s:s}", alg, hex));
	pthread_mutex_lock(&b->attest_lock);
	if (!b->deps)
		b->deps = json_array();
	bool seen = false;
	size_t i;
	json_t *e;
	json_array_foreach(b->deps, i, e) seen = seen || json_equal(e, d);
	if (!seen)
		json_array_append(b->deps, d);
	pthread_mutex_unlock(&b->attest_lock);
	json_decref(d);
}

void bld_builder_attest_image(struct bld_builder_job *b, const char *full,
			      const struct bld_cache_image *img)
{
	if (!b->o->provenance)
		return;
	/* the digest the registry has for it: the name's record, else the index or manifest */
	const char *dg = img->index_digest[0] ? img->index_digest : img->manifest_digest;
	struct bld_cache_desc d;
	cleanup_error struct bld_error *e = NULL;
	bool named = bld_cache_ref_get(b->store, full, &d, &e) == 0;
	if (named && d.repo_digest[0] && strcmp(d.digest, dg) == 0)
		dg = d.repo_digest;
	struct bld_registry_ref r;
	cleanup_error struct bld_error *pe = NULL;
	cleanup_free char *uri = NULL;
	if (bld_registry_ref_parse(&r, full, &pe) == 0) {
		cleanup_free char *name = bld_registry_ref_name(&r);
		uri = xasprintf("pkg:docker/%s@%s?platform=linux%%2Famd64", name,
				r.tag ? r.tag : (dg + 7));
		bld_registry_ref_dispose(&r);
	}
	bld_builder_attest_dep(b, uri ? uri : full, "sha256", dg + 7);
	if (named)
		bld_cache_desc_dispose(&d);
}

static char *iso_time(int64_t t) { return bld_builder_img_time(t); }

/* "sha256:<hex>" of a listing of the context's files: path, mode and content fingerprint. */
static int context_digest(struct bld_builder_job *b, char out[BLD_DIGEST_STR_LEN],
			  struct bld_error **err)
{
	struct bld_builder_context *c = b->bctx;
	if (bld_builder_ctx_walk(c, err) < 0)
		return -1;
	struct bld_sha256 *h = bld_sha256_new();
	int r = 0;
	for (size_t i = 0; r == 0 && i < c->n_ents; i++) {
		struct bld_builder_ctx_entry *e = &c->ents[i];
		if (S_ISREG(e->mode))
			r = bld_builder_ctx_fingerprint(c, e, err);
		cleanup_free char *line = xasprintf("%o %s %s %s\n", (unsigned)e->mode, e->path,
						    S_ISREG(e->mode) ? e->fp : "",
						    e->link ? e->link : "");
		bld_sha256_update(h, line, strlen(line));
	}
	bld_sha256_final(h, out);
	return r;
}

/* externalParameters.configSource: where the Dockerfile came from, with a digest. */
static int config_source(struct bld_builder_job *b, json_t **out, struct bld_error **err)
{
	struct bld_builder_context *c = b->bctx;
	size_t len = 0;
	const char *text = bld_builder_context_dockerfile(c, &len);
	char dfd[BLD_DIGEST_STR_LEN];
	bld_sha256_digest(text, len, dfd);
	const char *path = b->o->dockerfile ? b->o->dockerfile : "Dockerfile";
	json_t *src = json_pack("{s:s}", "path", path);
	json_object_set_new(src, "dockerfileDigest", json_pack("{s:s}", "sha256", dfd + 7));
	if (c->kind == BLD_BUILDER_CONTEXT_GIT && c->commit) {
		json_object_set_new(src, "uri", json_string(c->spec));
		json_object_set_new(src, "digest", json_pack("{s:s}", "sha1", c->commit));
	} else if (c->kind == BLD_BUILDER_CONTEXT_DIR) {
		char cd[BLD_DIGEST_STR_LEN];
		if (context_digest(b, cd, err) < 0) {
			json_decref(src);
			return -1;
		}
		/* as given, not its absolute path: the statement stays the same in another
		 * checkout of the same files */
		json_object_set_new(src, "uri", json_string(c->spec));
		json_object_set_new(src, "digest", json_pack("{s:s}", "sha256", cd + 7));
	} else {
		json_object_set_new(src, "uri", json_string(c->spec));
	}
	*out = src;
	return 0;
}

/* externalParameters.request: what was asked (target, build args, platform). */
static json_t *request(struct bld_builder_job *b)
{
	json_t *args = json_object();
	for (size_t i = 0; b->build_args && b->build_args[i]; i++) {
		const char *kv = b->build_args[i];
		size_t k = strcspn(kv, "=");
		cleanup_free char *key = xasprintf("build-arg:%.*s", (int)k, kv);
		json_object_set_new(args, key, json_string(kv[k] ? kv + k + 1 : ""));
	}
	if (b->o->target)
		json_object_set_new(args, "target", json_string(b->o->target));
	return json_pack("{s:s,s:o,s:s}", "frontend", "dockerfile.v0", "args", args, "platform",
			 "linux/amd64");
}

/* Lines first..last (1-based) of the Dockerfile, as written; caller frees. */
static char *dockerfile_lines(struct bld_builder_job *b, int first, int last)
{
	size_t len = 0;
	const char *p = bld_builder_context_dockerfile(b->bctx, &len), *end = p + len;
	for (int ln = 1; ln < first && p < end; ln++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	const char *q = p;
	for (int ln = first; ln <= last && q < end; ln++) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		q = nl ? nl + 1 : end;
	}
	while (q > p && (q[-1] == '\n' || q[-1] == '\r'))
		q--;
	return xstrndup(p, (size_t)(q - p));
}

/* mode=max: every instruction of the stages built, with its stage and line. */
static json_t *steps(struct bld_builder_job *b)
{
	json_t *v = json_array();
	for (size_t i = 0; i < b->n_stages; i++) {
		const struct bld_parser_stage *ps = b->stages[i].ps;
		if (!b->stages[i].needed || ps->replaced)
			continue;
		for (size_t k = 0; k <= ps->count; k++) {
			const struct bld_parser_instruction *in =
			    k == 0 ? ps->from : &b->df->ins[ps->first + k - 1];
			cleanup_free char *text = dockerfile_lines(b, in->start_line, in->end_line);
			json_array_append_new(v, json_pack("{s:I,s:i,s:s}", "stage", (json_int_t)i,
							   "line", in->start_line, "instruction",
							   text));
		}
	}
	return v;
}

/* The statement's subject: the image by its manifest digest, named after its first tag. */
static json_t *subject(struct bld_builder_job *b)
{
	const char *tag = b->o->tags ? b->o->tags[0] : NULL;
	struct bld_registry_ref r;
	cleanup_error struct bld_error *e = NULL;
	cleanup_free char *name = NULL;
	if (tag && bld_registry_ref_parse(&r, tag, &e) == 0) {
		cleanup_free char *repo = bld_registry_ref_name(&r);
		name = xasprintf("pkg:docker/%s@%s?platform=linux%%2Famd64", repo,
				 r.tag ? r.tag : "latest");
		bld_registry_ref_dispose(&r);
	}
	return json_pack("[{s:s,s:{s:s}}]", "name", name ? name : "image", "digest", "sha256",
			 b->manifest_digest + 7);
}

/* An in-toto v1 statement about the image; takes predicate. */
static json_t *statement(struct bld_builder_job *b, const char *type, json_t *predicate)
{
	return json_pack("{s:s,s:o,s:s,s:o}", "_type", STATEMENT_TYPE, "subject", subject(b),
			 "predicateType", type, "predicate", predicate);
}

static int provenance(struct bld_builder_job *b, json_t **out, struct bld_error **err)
{
	json_t *src = NULL;
	if (config_source(b, &src, err) < 0)
		return -1;
	int64_t now = time(NULL);
	cleanup_free char *started = iso_time(b->epoch >= 0 ? b->epoch : b->started);
	cleanup_free char *finished = iso_time(b->epoch >= 0 ? b->epoch : now);
	json_t *internal = json_pack("{s:s}", "builderPlatform", "linux/amd64");
	if (b->o->provenance > 1)
		json_object_set_new(internal, "buildConfig", json_pack("{s:o}", "steps", steps(b)));
	json_t *deps = b->deps ? json_incref(b->deps) : json_array();
	json_t *pred = json_pack(
	    "{s:{s:s,s:{s:o,s:o},s:o,s:o},s:{s:{s:s,s:{s:s}},s:{s:s,s:s}}}", "buildDefinition",
	    "buildType", BUILD_TYPE, "externalParameters", "configSource", src, "request",
	    request(b), "internalParameters", internal, "resolvedDependencies", deps,
	    "runDetails", "builder", "id", b->o->builder_id ? b->o->builder_id : DEFAULT_BUILDER_ID,
	    "version", "bld", BLD_VERSION, "metadata", "startedOn", started, "finishedOn",
	    finished);
	if (!pred)
		abort();
	*out = statement(b, SLSA_TYPE, pred);
	return 0;
}

static int store(struct bld_builder_job *b, const char *kind, json_t *doc,
		 struct bld_error **err)
{
	cleanup_free char *s = bld_json_dump_canonical(doc);
	json_decref(doc);
	return bld_cache_attest_put(b->store, b->manifest_digest, kind, s, strlen(s), err);
}

int bld_builder_attest_write(struct bld_builder_job *b, struct bld_error **err)
{
	json_t *doc = NULL;
	int v = bld_builder_progress_vertex(b, "exporting attestations");
	if (b->o->provenance &&
	    (provenance(b, &doc, err) < 0 || store(b, "provenance", doc, err) < 0))
		return bld_error_wrap(err, "provenance");
	if (b->o->sbom &&
	    (bld_builder_sbom_new(b, &doc, err) < 0 ||
	     store(b, "sbom", statement(b, SPDX_TYPE, doc), err) < 0))
		return bld_error_wrap(err, "sbom");
	bld_builder_progress_line(b, v, "attestations of %s stored done", b->manifest_digest);
	return 0;
}
