/*
 * registry/image.c — reading manifests and indexes (OCI and Docker v2 schema 2) into
 * descriptors, with every digest and size checked, and choosing a platform from an index
 * the way docker matches platforms (arm64 means arm64/v8, arm means arm/v7).
 *
 * It does no I/O.
 */
#include "registry/registry_int.h"

#include <jansson.h>

bool reg_media_type_is_index(const char *mt)
{
	return mt && (strcmp(mt, BLD_MT_OCI_INDEX) == 0 || strcmp(mt, BLD_MT_DOCKER_LIST) == 0);
}

static bool is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, BLD_MT_OCI_MANIFEST) == 0 || strcmp(mt, BLD_MT_DOCKER_MANIFEST) == 0);
}

static void desc_dispose(struct reg_desc *d)
{
	free(d->media_type);
	free(d->os);
	free(d->arch);
	free(d->variant);
	memset(d, 0, sizeof(*d));
}

void reg_manifest_dispose(struct reg_manifest *m)
{
	desc_dispose(&m->config);
	for (size_t i = 0; i < m->n; i++)
		desc_dispose(&m->items[i]);
	free(m->items);
	memset(m, 0, sizeof(*m));
}

static int desc_parse(struct reg_desc *d, const json_t *v, const char *what,
		      struct bld_error **err)
{
	const char *dg = bld_json_get_str(v, "digest");
	json_t *sz = json_object_get(v, "size");
	if (!dg || !bld_digest_valid(dg))
		return bld_error_set(err, BLD_E_INVALID, "%s has a missing or unsupported digest",
				     what);
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return bld_error_set(err, BLD_E_INVALID, "%s %s has no valid size", what, dg);
	memcpy(d->digest, dg, BLD_DIGEST_STR_LEN);
	d->size = json_integer_value(sz);
	const char *mt = bld_json_get_str(v, "mediaType");
	d->media_type = xstrdup(mt ? mt : "");
	json_t *p = json_object_get(v, "platform");
	if (p) {
		const char *os = bld_json_get_str(p, "os"), *arch = bld_json_get_str(p, "architecture");
		const char *var = bld_json_get_str(p, "variant");
		d->os = xstrdup(os ? os : "");
		d->arch = xstrdup(arch ? arch : "");
		d->variant = var ? xstrdup(var) : NULL;
	}
	return 0;
}

static int items_parse(struct reg_manifest *m, const json_t *arr, const char *what,
		       struct bld_error **err)
{
	if (!json_is_array(arr))
		return bld_error_set(err, BLD_E_INVALID, "manifest has no %s list", what);
	m->n = json_array_size(arr);
	m->items = xcalloc(m->n ? m->n : 1, sizeof(*m->items));
	for (size_t i = 0; i < m->n; i++)
		if (desc_parse(&m->items[i], json_array_get(arr, i), what, err) < 0)
			return -1;
	return 0;
}

static int parse_json(struct reg_manifest *out, const char *media_type, json_t *v,
		      struct bld_error **err)
{
	json_t *sv = json_object_get(v, "schemaVersion");
	if (json_is_integer(sv) && json_integer_value(sv) == 1)
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "docker image manifest schema 1 is not supported");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return bld_error_set(err, BLD_E_INVALID, "manifest has no schemaVersion 2");
	const char *mt = bld_json_get_str(v, "mediaType");
	/* both media types are the registry's words: quoted printable (errors are one line) */
	cleanup_free char *served = bld_str_printable(media_type ? media_type : "(none)", 256);
	if (mt && media_type && strcmp(mt, media_type) != 0) {
		cleanup_free char *says = bld_str_printable(mt, 256);
		return bld_error_set(err, BLD_E_INVALID,
				     "manifest says media type %s but was served as %s", says, served);
	}
	out->is_index = reg_media_type_is_index(media_type);
	if (out->is_index)
		return items_parse(out, json_object_get(v, "manifests"), "manifests", err);
	if (!is_manifest_type(media_type))
		return bld_error_set(err, BLD_E_UNSUPPORTED, "unsupported manifest media type %s",
				     served);
	if (desc_parse(&out->config, json_object_get(v, "config"), "config", err) < 0)
		return -1;
	return items_parse(out, json_object_get(v, "layers"), "layers", err);
}

int reg_manifest_parse(struct reg_manifest *out, const char *media_type, const char *data,
		       size_t len, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	json_t *v = NULL;
	if (bld_json_load_buf(&v, data, len, err) < 0)
		return bld_error_wrap(err, "manifest");
	if (!json_is_object(v)) {
		json_decref(v);
		return bld_error_set(err, BLD_E_INVALID, "manifest is not a json object");
	}
	int r = parse_json(out, media_type, v, err);
	json_decref(v);
	if (r < 0)
		reg_manifest_dispose(out);
	return r;
}

/* ------------------------------------------------------------------ platforms */

struct platform {
	char os[32], arch[32], variant[32];
};

static void normalise(struct platform *p)
{
	if (strcmp(p->arch, "x86_64") == 0 || strcmp(p->arch, "x86-64") == 0)
		snprintf(p->arch, sizeof(p->arch), "amd64");
	else if (strcmp(p->arch, "aarch64") == 0)
		snprintf(p->arch, sizeof(p->arch), "arm64");
	if (strcmp(p->arch, "arm64") == 0 && (!p->variant[0] || strcmp(p->variant, "8") == 0))
		snprintf(p->variant, sizeof(p->variant), "v8");
	if (strcmp(p->arch, "arm") == 0 && !p->variant[0])
		snprintf(p->variant, sizeof(p->variant), "v7");
}

static int platform_parse(struct platform *p, const char *s, struct bld_error **err)
{
	memset(p, 0, sizeof(*p));
	const char *a = strchr(s, '/');
	if (!a || a == s || !a[1] || strlen(s) >= sizeof(p->os) + sizeof(p->arch))
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid platform \"%s\": want os/arch[/variant]", s);
	snprintf(p->os, sizeof(p->os), "%.*s", (int)(a - s), s);
	const char *v = strchr(a + 1, '/');
	snprintf(p->arch, sizeof(p->arch), "%.*s", (int)(v ? v - a - 1 : (long)strlen(a + 1)),
		 a + 1);
	if (v)
		snprintf(p->variant, sizeof(p->variant), "%s", v + 1);
	normalise(p);
	return 0;
}

int reg_platform_select(const struct reg_manifest *idx, const char *platform,
			const struct reg_desc **out, struct bld_error **err)
{
	struct platform want;
	if (platform_parse(&want, platform ? platform : "linux/amd64", err) < 0)
		return -1;
	for (size_t i = 0; i < idx->n; i++) {
		const struct reg_desc *d = &idx->items[i];
		if (!d->os || !is_manifest_type(d->media_type))
			continue;
		struct platform have = {{0}, {0}, {0}};
		snprintf(have.os, sizeof(have.os), "%s", d->os);
		snprintf(have.arch, sizeof(have.arch), "%s", d->arch);
		snprintf(have.variant, sizeof(have.variant), "%s", d->variant ? d->variant : "");
		normalise(&have);
		if (strcmp(have.os, want.os) == 0 && strcmp(have.arch, want.arch) == 0 &&
		    strcmp(have.variant, want.variant) == 0) {
			*out = d;
			return 0;
		}
	}
	return bld_error_set(err, BLD_E_NOTFOUND,
			     "no matching manifest for %s/%s%s%s in the manifest list entries",
			     want.os, want.arch, want.variant[0] ? "/" : "", want.variant);
}

/* ------------------------------------------------------------------ conversion */

static const char *oci_type_for(const char *docker_type)
{
	static const char *const map[][2] = {
		{"application/vnd.docker.container.image.v1+json",
		 "application/vnd.oci.image.config.v1+json"},
		{"application/vnd.docker.image.rootfs.diff.tar.gzip",
		 "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
		 "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
		{"application/vnd.docker.image.rootfs.diff.tar",
		 "application/vnd.oci.image.layer.v1.tar"},
	};
	for (size_t i = 0; docker_type && i < BLD_ARRAY_SIZE(map); i++)
		if (strcmp(docker_type, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static void convert_desc(json_t *d)
{
	const char *oci = oci_type_for(bld_json_get_str(d, "mediaType"));
	if (oci)
		json_object_set_new(d, "mediaType", json_string(oci));
}

int reg_manifest_to_oci(const char *data, size_t len, char **out, size_t *out_len,
			struct bld_error **err)
{
	json_t *v = NULL;
	if (bld_json_load_buf(&v, data, len, err) < 0)
		return bld_error_wrap(err, "manifest");
	json_object_set_new(v, "mediaType", json_string(BLD_MT_OCI_MANIFEST));
	convert_desc(json_object_get(v, "config"));
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(v, "layers"), i, l)
		convert_desc(l);
	*out = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (!*out)
		return bld_error_set(err, BLD_E_INTERNAL, "cannot serialise manifest");
	*out_len = strlen(*out);
	return 0;
}
