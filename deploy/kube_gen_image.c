/*
 * deploy/kube_gen_image.c — the image each generated pod runs. A service's image: is
 * written as the compose file names it; a built one (build:) is the image bld built, by the
 * digest its registry has for it (recorded by push), never by a tag that can move: pushed
 * first when asked (as `compose push`, and signed as `bld push` signs when content trust is
 * on), written by tag only when allowed (--allow-tag) and then reported.
 */
#include "deploy/kube_gen_int.h"
#include "registry/registry.h"

#include <string.h>

/* Signs what the push of each built service put in its registry (the digest the store
 * recorded for the name), as `bld push` signs with content trust on. */
static int sign(struct kg *g, char *const *svcs, const struct bld_registry_trust_key *key,
		struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cache_store_open(&s, g->ctx->root, err) < 0)
		return -1;
	struct bld_registry_opts ro = {.config_dir = g->ctx->config_dir, .quiet = true};
	int r = 0;
	for (size_t i = 0; r == 0 && svcs[i]; i++) {
		cleanup_free char *name = bld_deploy_image_name(
			bld_json_get_str(g->project, "name"), svcs[i], kg_service(g, svcs[i]));
		cleanup_free char *full = bld_deploy_image_full_name(name);
		struct bld_cache_desc d = {0};
		char sig[BLD_DIGEST_STR_LEN];
		cleanup_error struct bld_error *e = NULL;
		if (bld_cache_ref_get(s, full, &d, &e) < 0)
			continue;
		if (d.repo_digest[0])
			r = bld_registry_trust_sign(full, d.repo_digest, key, &ro, sig, err);
		bld_cache_desc_dispose(&d);
	}
	bld_cache_store_free(s);
	return r;
}

/* Pushes the built services that name an image, as `compose push` does, signed when content
 * trust is on (BLD_TRUST_KEY, loaded first: trust on without a key pushes nothing). */
static int push(struct kg *g, struct bld_error **err)
{
	cleanup_strv char **svcs = NULL;
	const char *svc;
	json_t *s;
	json_object_foreach(json_object_get(g->project, "services"), svc, s)
		if (json_object_get(s, "build") && bld_json_get_str(s, "image"))
			bld_strv_push(&svcs, svc);
	if (!svcs)
		return 0;
	struct bld_registry_trust_key *key = NULL;
	const char *path = bld_registry_trust_default_key();
	if (bld_registry_trust_wanted(false, -1) && !path)
		return bld_error_set(err, BLD_E_INVALID, "--push: content trust is on but no "
				     "signing key: set BLD_TRUST_KEY");
	if (bld_registry_trust_wanted(false, -1) &&
	    bld_registry_trust_key_load_signer(&key, path, err) < 0)
		return -1;
	struct bld_deploy_target t = {
		.project = (json_t *)g->project,
		.name = bld_json_get_str(g->project, "name"),
		.services = svcs,
		.env = g->o->env,
	};
	struct bld_deploy_image_opts o = {.verb = BLD_DEPLOY_IMAGE_PUSH};
	int r = bld_deploy_image_verb(g->ctx, &t, &o, err);
	if (r == 0 && key)
		r = sign(g, svcs, key, err);
	bld_registry_trust_key_free(key);
	return r;
}

/* The built image of svc by its registry digest ("host/path@sha256:..."), or by its tag
 * when allowed. */
static int built_ref(struct kg *g, struct bld_store *s, const char *svc, char **out,
		     struct bld_error **err)
{
	cleanup_free char *name = bld_deploy_image_name(bld_json_get_str(g->project, "name"),
							svc, kg_service(g, svc));
	cleanup_free char *full = bld_deploy_image_full_name(name);
	struct bld_cache_desc d = {0};
	cleanup_error struct bld_error *e = NULL;
	bool have = bld_cache_ref_get(s, full, &d, &e) == 0;
	struct bld_registry_ref r;
	if (have && d.repo_digest[0] && bld_registry_ref_parse(&r, full, NULL) == 0) {
		*out = xasprintf("%s/%s@%s", r.domain, r.path, d.repo_digest);
		bld_registry_ref_dispose(&r);
		bld_cache_desc_dispose(&d);
		return 0;
	}
	if (have)
		bld_cache_desc_dispose(&d);
	const char *why = have ? "has no registry digest (not pushed)" : "is not built";
	if (!g->o->allow_tag)
		return bld_error_set(err, BLD_E_INVALID, "service %s: build: image %s %s: push it "
				     "(--push) or allow its tag (--allow-tag)", svc, name, why);
	kg_report(g, svc, "build", "image %s %s: written by its tag", name, why);
	*out = steal_pointer(&full);
	return 0;
}

int kg_images(struct kg *g, struct bld_error **err)
{
	if (g->o->push && push(g, err) < 0)
		return -1;
	struct bld_store *s = NULL;
	const char *svc;
	json_t *svc_def;
	int r = 0;
	json_object_foreach(json_object_get(g->project, "services"), svc, svc_def) {
		cleanup_free char *ref = NULL;
		if (!json_object_get(svc_def, "build")) {
			json_object_set(g->images, svc, json_object_get(svc_def, "image"));
			continue;
		}
		if (!s && (r = bld_cache_store_open(&s, g->ctx->root, err)) < 0)
			break;
		if ((r = built_ref(g, s, svc, &ref, err)) < 0)
			break;
		json_object_set_new(g->images, svc, json_string(ref));
	}
	bld_cache_store_free(s);
	return r;
}
