/*
 * deploy/kube_gen_vol.c — a project's storage as Kubernetes storage: named volumes as
 * PersistentVolumeClaims (or a StatefulSet's claim templates), anonymous volumes as
 * emptyDir, tmpfs as memory-backed emptyDir, secrets and configs as Secrets and ConfigMaps
 * mounted file by file at compose's targets with their modes, and bind mounts of small
 * read-only text files as ConfigMaps. Any other bind mount is a path on the host: written
 * as hostPath only when allowed, else reported, as is what Kubernetes cannot give (owners
 * of secret files, volume drivers).
 */
#include "deploy/kube_gen_int.h"

#include <string.h>
#include <sys/stat.h>

#define KG_DATA_MAX ((size_t)1 << 20) /* what one ConfigMap or Secret may hold */

char *kg_pvc_name(const struct kg *g, const char *vol)
{
	const json_t *v = json_object_get(json_object_get(g->project, "volumes"), vol);
	return kg_dns_name(bld_json_get_str(v, "name") ?: vol);
}

/* How many generated services mount the project volume vol. */
static size_t volume_users(const struct kg *g, const char *vol, size_t *sts)
{
	size_t n = 0, i;
	const char *svc;
	json_t *s, *m;
	*sts = 0;
	json_object_foreach(json_object_get(g->project, "services"), svc, s) {
		bool uses = false;
		json_array_foreach(json_object_get(s, "volumes"), i, m)
			uses = uses || !strcmp(bld_json_get_str(m, "source") ?: "", vol);
		n += uses;
		*sts += uses && !strcmp(bld_json_get_str(g->kinds, svc) ?: "", "StatefulSet");
	}
	return n;
}

/* A claim's spec: the size a volume label asks for, else --pvc-size, else 1Gi; ReadWriteMany
 * when several services share it, as they do on one machine. */
static json_t *claim_spec(const struct kg *g, const char *vol, size_t users)
{
	const json_t *v = json_object_get(json_object_get(g->project, "volumes"), vol);
	const char *size = bld_json_get_str(json_object_get(v, "labels"), KG_LABEL_PVC_SIZE);
	return json_pack("{s:[s], s:{s:{s:s}}}", "accessModes",
			 users > 1 ? "ReadWriteMany" : "ReadWriteOnce", "resources", "requests",
			 "storage", size ?: g->o->pvc_size ?: "1Gi");
}

static void report_volume(struct kg *g, const char *vol, const json_t *v, size_t users,
			  size_t sts)
{
	cleanup_free char *what = xasprintf("volume %s", vol);
	if (sts && users > 1)
		kg_report(g, NULL, what, "shared by %zu services: each StatefulSet replica has a "
			  "claim of its own, shared with no other pod", users);
	if (bld_json_get_str(v, "driver") && strcmp(bld_json_get_str(v, "driver"), "local"))
		kg_report(g, NULL, what, "driver %s: a PVC takes the cluster's storage class",
			  bld_json_get_str(v, "driver"));
	if (json_object_size(json_object_get(v, "driver_opts")))
		kg_report(g, NULL, what, "driver_opts: a PVC takes the cluster's storage class");
}

static int pvcs(struct kg *g)
{
	const char *vol;
	json_t *v;
	json_object_foreach(json_object_get(g->project, "volumes"), vol, v) {
		size_t sts, users = volume_users(g, vol, &sts);
		if (!users || json_is_true(json_object_get(v, "external")))
			continue;
		report_volume(g, vol, v, users, sts);
		if (sts == users) /* a StatefulSet's own claims */
			continue;
		cleanup_free char *name = kg_pvc_name(g, vol);
		json_t *pvc = kg_object(g, "v1", "PersistentVolumeClaim", name, NULL);
		json_object_set_new(pvc, "spec", claim_spec(g, vol, users));
		json_array_append_new(g->head, pvc);
	}
	return 0;
}

/* Whether some generated service uses the secret or config name (section "secrets"). */
static bool used(const struct kg *g, const char *section, const char *name)
{
	const char *svc;
	json_t *s, *r;
	size_t i;
	json_object_foreach(json_object_get(g->project, "services"), svc, s) {
		json_array_foreach(json_object_get(s, section), i, r)
			if (!strcmp(bld_json_get_str(r, "source") ?: "", name))
				return true;
	}
	return false;
}

/* The text a secret or config holds: its file, content or environment variable; 0 (and
 * *out NULL, reported) when the variable is not set. */
static int data_of(struct kg *g, const json_t *def, const char *what, char **out, size_t *len,
		   struct bld_error **err)
{
	const char *file = bld_json_get_str(def, "file");
	const char *content = bld_json_get_str(def, "content");
	const char *var = bld_json_get_str(def, "environment");
	if (file)
		return bld_fs_read_file(file, KG_DATA_MAX, out, len, err);
	if (var)
		content = g->o->env ? bld_json_get_str(g->o->env, var) : NULL;
	if (!content) {
		kg_report(g, NULL, what, "%s: not set: nothing to write", var ? var : "no value");
		return 0;
	}
	*out = xstrdup(content);
	*len = strlen(content);
	return 0;
}

/* The name of the Secret or ConfigMap of secret/config x: generated, or external. */
static char *store_name(const struct kg *g, const char *section, const char *x)
{
	const json_t *def = json_object_get(json_object_get(g->project, section), x);
	if (json_is_true(json_object_get(def, "external")))
		return kg_dns_name(bld_json_get_str(def, "name") ?: x);
	cleanup_free char *full = xasprintf("%s-%s-%s", g->project_name,
					    !strcmp(section, "secrets") ? "secret" : "config", x);
	return kg_dns_name(full);
}

/* A Secret (stringData) or ConfigMap (data) holding key: text; NULL (reported) when the
 * text is not UTF-8. */
static json_t *store_object(struct kg *g, const char *kind, const char *name, const char *key,
			    const char *text, size_t len, const char *what)
{
	json_t *val = json_stringn(text, len);
	if (!val) {
		kg_report(g, NULL, what, "binary data: only text is written");
		return NULL;
	}
	json_t *obj = kg_object(g, "v1", kind, name, NULL);
	json_object_set_new(obj, !strcmp(kind, "Secret") ? "stringData" : "data",
			    json_pack("{s:o}", key, val));
	return obj;
}

/* Every secret (section "secrets") or config a service uses, as a Secret or ConfigMap. */
static int stores(struct kg *g, const char *section, struct bld_error **err)
{
	const char *x;
	json_t *def;
	json_object_foreach(json_object_get(g->project, section), x, def) {
		cleanup_free char *what = xasprintf("%.*s %s", (int)strlen(section) - 1, section, x);
		cleanup_free char *name = store_name(g, section, x);
		if (!used(g, section, x))
			continue;
		if (json_is_true(json_object_get(def, "external"))) {
			kg_report(g, NULL, what, "external: %s %s must exist in the namespace",
				  !strcmp(section, "secrets") ? "the Secret" : "the ConfigMap", name);
			continue;
		}
		cleanup_free char *text = NULL;
		size_t len = 0;
		if (data_of(g, def, what, &text, &len, err) < 0)
			return bld_error_wrap(err, "%s", what);
		json_t *obj = !text ? NULL : store_object(g, !strcmp(section, "secrets") ? "Secret" : "ConfigMap",
					   name, x, text, len, what);
		if (obj)
			json_array_append_new(g->head, obj);
	}
	return 0;
}

int kg_volumes_objects(struct kg *g, struct bld_error **err)
{
	if (pvcs(g) < 0 || stores(g, "secrets", err) < 0)
		return -1;
	return stores(g, "configs", err);
}

/* ------------------------------------------------------------------ a pod's volumes */

/* Adds the pod volume {name, ...} unless the pod has one of that name. */
static void add_volume(json_t *vols, const char *name, const char *key, json_t *src)
{
	size_t i;
	json_t *v;
	json_array_foreach(vols, i, v) {
		if (!strcmp(bld_json_get_str(v, "name"), name)) {
			json_decref(src);
			return;
		}
	}
	json_array_append_new(vols, json_pack("{s:s, s:o}", "name", name, key, src));
}

static void add_mount(json_t *mounts, const char *name, const char *path, bool ro,
		      const char *sub)
{
	json_t *m = json_pack("{s:s, s:s}", "name", name, "mountPath", path);
	if (ro)
		json_object_set_new(m, "readOnly", json_true());
	if (sub)
		json_object_set_new(m, "subPath", json_string(sub));
	json_array_append_new(mounts, m);
}

/* "0440", 288 or "288" (compose's file mode) as an integer; -1 when absent. */
static json_int_t file_mode(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	const char *s = json_string_value(v);
	return s ? strtol(s, NULL, s[0] == '0' ? 8 : 10) : -1;
}

/* Each secret (section "secrets") or config of svc mounted at its target as one file. */
static void file_refs(struct kg *g, const char *svc, const char *section, json_t *vols,
		      json_t *mounts)
{
	bool secret = !strcmp(section, "secrets");
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(kg_service(g, svc), section), i, r) {
		const char *src = bld_json_get_str(r, "source") ?: "";
		const char *target = bld_json_get_str(r, "target");
		cleanup_free char *path = !target ? xasprintf(secret ? "/run/secrets/%s" : "/%s", src)
				 : target[0] != '/' ? xasprintf("/run/secrets/%s", target)
						    : xstrdup(target);
		cleanup_free char *store = store_name(g, section, src);
		/* one pod volume per reference: the same secret may be mounted twice, modes apart */
		cleanup_free char *name = xasprintf("%s-%zu", secret ? "secret" : "config", i);
		json_t *item = json_pack("{s:s, s:s}", "key", src, "path", src);
		json_int_t mode = file_mode(json_object_get(r, "mode"));
		if (mode >= 0)
			json_object_set_new(item, "mode", json_integer(mode & 0777));
		if (json_object_get(r, "uid") || json_object_get(r, "gid"))
			kg_report(g, svc, section, "%s: uid/gid: a pod's files belong to its fsGroup",
				  src);
		json_t *ref = json_pack("{s:s, s:[o]}", secret ? "secretName" : "name", store,
					"items", item);
		add_volume(vols, name, secret ? "secret" : "configMap", ref);
		add_mount(mounts, name, path, true, src);
	}
}

/* A read-only bind of a small text file as a ConfigMap of its own (1 when made). */
static int file_config(struct kg *g, const char *svc, const json_t *m, size_t idx,
		       json_t *vols, json_t *mounts)
{
	const char *src = bld_json_get_str(m, "source") ?: "";
	struct stat st;
	cleanup_free char *text = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	if (!json_is_true(json_object_get(m, "read_only")) || stat(src, &st) < 0 ||
	    !S_ISREG(st.st_mode) || (size_t)st.st_size > KG_FILE_MAX ||
	    bld_fs_read_file(src, KG_FILE_MAX, &text, &len, &e) < 0)
		return 0;
	cleanup_json json_t *utf8 = json_stringn(text, len);
	if (!utf8)
		return 0;
	cleanup_free char *raw = xasprintf("%s-%s-file-%zu", g->project_name, svc, idx);
	cleanup_free char *name = kg_dns_name(raw);
	json_t *cm = kg_object(g, "v1", "ConfigMap", name, svc);
	json_object_set_new(cm, "data", json_pack("{s:O}", "file", utf8));
	json_array_append_new(g->head, cm);
	add_volume(vols, name, "configMap", json_pack("{s:s}", "name", name));
	add_mount(mounts, name, bld_json_get_str(m, "target"), true, "file");
	return 1;
}

static void bind_mount(struct kg *g, const char *svc, const json_t *m, size_t idx, json_t *vols,
		       json_t *mounts)
{
	const char *src = bld_json_get_str(m, "source") ?: "";
	if (file_config(g, svc, m, idx, vols, mounts))
		return;
	if (!g->o->allow_hostpath) {
		kg_report(g, svc, "volumes", "%s: a path on the host: refused without "
			  "--allow-hostpath (only small read-only text files become ConfigMaps)",
			  src);
		return;
	}
	cleanup_free char *name = xasprintf("host-%zu", idx);
	add_volume(vols, name, "hostPath", json_pack("{s:s}", "path", src));
	add_mount(mounts, name, bld_json_get_str(m, "target"),
		  json_is_true(json_object_get(m, "read_only")), NULL);
}

/* A named volume: the project's PVC, or the StatefulSet's claim template of that name. */
static void named_volume(struct kg *g, const char *svc, const json_t *m, json_t *vols,
			 json_t *mounts, json_t *claims)
{
	const char *src = bld_json_get_str(m, "source");
	const json_t *def = json_object_get(json_object_get(g->project, "volumes"), src);
	cleanup_free char *name = kg_dns_name(src);
	cleanup_free char *pvc = kg_pvc_name(g, src);
	const json_t *opts = json_object_get(m, "volume");
	if (json_is_true(json_object_get(opts, "nocopy")))
		kg_report(g, svc, "volumes", "%s: nocopy: a claim is never filled from the image",
			  src);
	if (claims && !json_is_true(json_object_get(def, "external"))) {
		size_t sts, users = volume_users(g, src, &sts), i;
		json_t *c;
		bool have = false;
		json_array_foreach(claims, i, c)
			have = have || !strcmp(bld_json_get_str(json_object_get(c, "metadata"),
								 "name"), name);
		if (!have)
			json_array_append_new(claims, json_pack("{s:{s:s}, s:o}", "metadata", "name",
								name, "spec",
								claim_spec(g, src, users)));
	} else {
		add_volume(vols, name, "persistentVolumeClaim", json_pack("{s:s}", "claimName", pvc));
	}
	add_mount(mounts, name, bld_json_get_str(m, "target"),
		  json_is_true(json_object_get(m, "read_only")), bld_json_get_str(opts, "subpath"));
}

static json_t *memory_dir(const json_t *size)
{
	json_t *d = json_pack("{s:s}", "medium", "Memory");
	json_t *q = size ? kg_bytes_quantity(size) : NULL;
	if (q && strcmp(json_string_value(q), "0"))
		json_object_set_new(d, "sizeLimit", q);
	else
		json_decref(q);
	return d;
}

static void one_volume(struct kg *g, const char *svc, const json_t *m, size_t idx, json_t *vols,
		       json_t *mounts, json_t *claims)
{
	const char *type = bld_json_get_str(m, "type") ?: "";
	cleanup_free char *name = xasprintf("%s-%zu", type, idx);
	if (!strcmp(type, "volume") && bld_json_get_str(m, "source"))
		return named_volume(g, svc, m, vols, mounts, claims);
	if (!strcmp(type, "bind"))
		return bind_mount(g, svc, m, idx, vols, mounts);
	if (!strcmp(type, "volume")) { /* anonymous: lives as long as the pod */
		add_volume(vols, name, "emptyDir", json_object());
	} else if (!strcmp(type, "tmpfs")) {
		const json_t *t = json_object_get(m, "tmpfs");
		if (json_object_get(t, "mode"))
			kg_report(g, svc, "volumes", "%s: tmpfs mode: an emptyDir's mode is fixed",
				  bld_json_get_str(m, "target"));
		add_volume(vols, name, "emptyDir", memory_dir(json_object_get(t, "size")));
	} else {
		kg_report(g, svc, "volumes", "%s: a volume of type %s",
			  bld_json_get_str(m, "target") ?: "", type);
		return;
	}
	add_mount(mounts, name, bld_json_get_str(m, "target"),
		  json_is_true(json_object_get(m, "read_only")), NULL);
}

int kg_pod_volumes(struct kg *g, const char *svc, json_t *vols, json_t *mounts, json_t *claims,
		   struct bld_error **err)
{
	const json_t *s = kg_service(g, svc);
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(s, "volumes"), i, m)
		one_volume(g, svc, m, i, vols, mounts, claims);
	json_array_foreach(json_object_get(s, "tmpfs"), i, m) {
		const char *t = json_string_value(m) ?: "";
		const char *colon = strchr(t, ':');
		cleanup_free char *path = colon ? xstrndup(t, (size_t)(colon - t)) : xstrdup(t);
		cleanup_free char *name = xasprintf("tmpfs-t%zu", i);
		if (colon)
			kg_report(g, svc, "tmpfs", "%s: options: an emptyDir takes none", t);
		add_volume(vols, name, "emptyDir", memory_dir(NULL));
		add_mount(mounts, name, path, false, NULL);
	}
	if (json_object_get(s, "shm_size")) { /* /dev/shm of that size, as docker makes it */
		add_volume(vols, "dshm", "emptyDir", memory_dir(json_object_get(s, "shm_size")));
		add_mount(mounts, "dshm", "/dev/shm", false, NULL);
	}
	file_refs(g, svc, "secrets", vols, mounts);
	file_refs(g, svc, "configs", vols, mounts);
	return 0;
}
