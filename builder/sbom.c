/*
 * builder/sbom.c — --sbom: the SPDX 2.3 document of a built image. Its packages are the OS
 * packages the image's package databases list (dpkg's status file, apk's installed file),
 * found in the target stage's layers from the top down as the image would show them; each
 * with name, version, source package, the licence where the database declares one (apk does,
 * dpkg does not: NOASSERTION) and a purl. Its files are the regular files the COPY and ADD
 * steps of the target stage put into their layers, with their sha256.
 *
 * The databases are read as text records (deb822 paragraphs, apk's "K:value" lines): a line
 * it does not know is skipped, never an error. The rpm database is not read.
 */
#include "builder/builder_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>

#define DB_MAX ((size_t)64 << 20)
#define FILES_MAX 100000
#define DEPTH_MAX 64

/* The file rel as the image shows it: the topmost layer that has it decides. */
static int image_file(struct bld_builder_stage *st, const char *rel, char **data, size_t *len,
		      struct bld_error **err)
{
	*data = NULL;
	for (size_t i = st->n_layers; i-- > 0;) {
		cleanup_free char *p = bld_path_join(st->lowers[i], rel);
		struct stat sb;
		if (lstat(p, &sb) < 0)
			continue;
		if (!S_ISREG(sb.st_mode))
			return 0; /* a whiteout, or something that is no database */
		return bld_fs_read_file(p, DB_MAX, data, len, err);
	}
	return 0;
}

/* os-release's ID (the purl namespace), "debian" when absent. */
static char *distro(struct bld_builder_stage *st, const char *fallback)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	cleanup_error struct bld_error *e = NULL;
	if (image_file(st, "etc/os-release", &data, &len, &e) < 0 || !data)
		image_file(st, "usr/lib/os-release", &data, &len, &e);
	for (char *l = data; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (bld_str_has_prefix(l, "ID="))
			return xstrndup(l + 3 + (l[3] == '"'), strcspn(l + 3 + (l[3] == '"'), "\""));
		l = nl ? nl + 1 : NULL;
	}
	return xstrdup(fallback);
}

/* A purl component with what purl reserves percent-encoded; caller frees. */
static char *purl_esc(const char *s)
{
	struct bld_buf b = BLD_BUF_INIT;
	for (; *s; s++)
		if (strchr(":/@?#%+ ", *s))
			bld_buf_printf(&b, "%%%02X", (unsigned char)*s);
		else
			bld_buf_addc(&b, *s);
	return bld_buf_detach(&b);
}

struct pkg {
	const char *name, *version, *source, *arch, *license;
};

/* One SPDX package; type "deb" or "apk". */
static json_t *pkg_json(const struct pkg *p, const char *type, const char *ns, size_t n)
{
	cleanup_free char *id = xasprintf("SPDXRef-Package-%s-%zu", type, n);
	cleanup_free char *en = purl_esc(p->name), *ev = purl_esc(p->version);
	cleanup_free char *purl = xasprintf("pkg:%s/%s/%s@%s%s%s", type, ns, en, ev,
					    p->arch ? "?arch=" : "", p->arch ? p->arch : "");
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:[{s:s,s:s,s:s}]}", "name",
			      p->name, "SPDXID", id, "versionInfo", p->version, "downloadLocation",
			      "NOASSERTION", "filesAnalyzed", 0, "licenseConcluded", "NOASSERTION",
			      "licenseDeclared", p->license ? p->license : "NOASSERTION",
			      "copyrightText", "NOASSERTION", "externalRefs", "referenceCategory",
			      "PACKAGE-MANAGER", "referenceType", "purl", "referenceLocator", purl);
	if (!j)
		abort();
	if (p->source) {
		cleanup_free char *si = xasprintf("built package from: %s", p->source);
		json_object_set_new(j, "sourceInfo", json_string(si));
	}
	return j;
}

/* Sets the field of p that a "Key: value" / "K:value" line names (keys: dpkg's, then apk's). */
static void pkg_field(struct pkg *p, const char *line, const char *const keys[5])
{
	const char **slot[] = {&p->name, &p->version, &p->source, &p->arch, &p->license};
	for (size_t i = 0; i < 5; i++) {
		size_t k = keys[i] ? strlen(keys[i]) : 0;
		if (k && strncmp(line, keys[i], k) == 0) {
			const char *v = line + k;
			while (*v == ' ')
				v++;
			*slot[i] = v;
		}
	}
}

/*
 * Packages of a database in data (modified in place): records separated by blank lines,
 * fields as keys names them; status_key, when set, keeps only records whose value of it
 * ends in " installed" (dpkg).
 */
static void db_packages(char *data, const char *const keys[5], const char *status_key,
			const char *type, const char *ns, json_t *out)
{
	struct pkg p = {0};
	const char *status = NULL;
	size_t sk = status_key ? strlen(status_key) : 0;
	for (char *l = data; l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (*l && *l != ' ' && *l != '\t') {
			pkg_field(&p, l, keys);
			if (sk && strncmp(l, status_key, sk) == 0)
				status = l + sk;
		}
		bool end = !*l || !nl;
		bool installed = !sk || (status && bld_str_has_suffix(status, " installed"));
		if (end && p.name && p.version && installed) {
			if (!p.source)
				p.source = p.name;
			json_array_append_new(out, pkg_json(&p, type, ns, json_array_size(out)));
		}
		if (end) {
			memset(&p, 0, sizeof(p));
			status = NULL;
		}
		l = nl ? nl + 1 : NULL;
	}
}

/* The OS packages of the image (dpkg, apk) into out. */
static int os_packages(struct bld_builder_stage *st, json_t *out, struct bld_error **err)
{
	static const char *const dpkg[5] = {"Package:", "Version:", "Source:", "Architecture:",
					    NULL};
	static const char *const apk[5] = {"P:", "V:", "o:", "A:", "L:"};
	cleanup_free char *deb = NULL, *alp = NULL;
	size_t len = 0;
	if (image_file(st, "var/lib/dpkg/status", &deb, &len, err) < 0 ||
	    image_file(st, "lib/apk/db/installed", &alp, &len, err) < 0)
		return -1;
	if (deb) {
		cleanup_free char *ns = distro(st, "debian");
		db_packages(deb, dpkg, "Status:", "deb", ns, out);
	}
	if (alp) {
		cleanup_free char *ns = distro(st, "alpine");
		db_packages(alp, apk, NULL, "apk", ns, out);
	}
	return 0;
}

struct walk {
	json_t *files;
	struct bld_error *err;
};

/* One regular file of a layer: its path in the image and its sha256. */
static void file_add(struct walk *w, int dirfd, const char *name, const char *path)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char dg[BLD_DIGEST_STR_LEN], sha1[41];
	if (fd < 0 || bld_sha1_sha256_file(fd, sha1, dg, &w->err) < 0) {
		if (fd < 0 && !w->err)
			bld_error_sys(&w->err, errno, "open %s", path);
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	cleanup_free char *id = xasprintf("SPDXRef-File-%zu", json_array_size(w->files));
	json_array_append_new(w->files,
			      /* SPDX 2.3 (8.4): a file's SHA1 is mandatory, others may follow */
			      json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s}]}", "fileName", path,
					"SPDXID", id, "checksums", "algorithm", "SHA1",
					"checksumValue", sha1, "algorithm", "SHA256",
					"checksumValue", dg + 7));
}

/* The regular files below dirfd (a layer directory), sorted, into w. */
static void walk_dir(struct walk *w, int dirfd, const char *prefix, int depth)
{
	char **names = NULL;
	if (depth > DEPTH_MAX || bld_fs_sorted_names(dirfd, FILES_MAX, &names) < 0)
		return;
	for (size_t i = 0; names && names[i] && !w->err; i++) {
		struct stat sb;
		cleanup_free char *path = xasprintf("%s/%s", prefix, names[i]);
		if (fstatat(dirfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(sb.st_mode) && json_array_size(w->files) < FILES_MAX)
			file_add(w, dirfd, names[i], path);
		if (!S_ISDIR(sb.st_mode))
			continue;
		int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			walk_dir(w, sub, path, depth + 1);
			close(sub);
		}
	}
	bld_strv_free(names);
}

/* Whether layer k of the stage was made by a COPY or ADD of this build (from its history). */
static bool copy_layer(struct bld_builder_stage *st, size_t k)
{
	json_t *hist = json_object_get(st->img, "history"), *e;
	size_t i, n = 0;
	const char *by = NULL;
	json_array_foreach(hist, i, e) {
		if (json_is_true(json_object_get(e, "empty_layer")))
			continue;
		if (n++ == k)
			by = bld_json_get_str(e, "created_by");
	}
	if (n != st->n_layers || k < st->n_base || !by)
		return false;
	return bld_str_has_prefix(by, "COPY ") || bld_str_has_prefix(by, "ADD ");
}

static int copied_files(struct bld_builder_stage *st, json_t *files, struct bld_error **err)
{
	struct walk w = {files, NULL};
	for (size_t k = 0; k < st->n_layers && !w.err; k++) {
		if (!copy_layer(st, k))
			continue;
		int fd = open(st->lowers[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return bld_error_sys(err, errno, "open %s", st->lowers[k]);
		walk_dir(&w, fd, "", 0);
		close(fd);
	}
	if (w.err) {
		bld_error_move(err, &w.err);
		return -1;
	}
	return 0;
}

/* DESCRIBES the image, which CONTAINS every package and file. */
static json_t *relationships(json_t *pkgs, json_t *files)
{
	json_t *rel = json_pack("[{s:s,s:s,s:s}]", "spdxElementId", "SPDXRef-DOCUMENT",
				"relationshipType", "DESCRIBES", "relatedSpdxElement",
				"SPDXRef-Image");
	json_t *lists[] = {pkgs, files}, *e;
	size_t i;
	for (size_t l = 0; l < 2; l++)
		json_array_foreach(lists[l], i, e) json_array_append_new(
		    rel, json_pack("{s:s,s:s,s:s}", "spdxElementId", "SPDXRef-Image",
				   "relationshipType", "CONTAINS", "relatedSpdxElement",
				   bld_json_get_str(e, "SPDXID")));
	return rel;
}

int bld_builder_sbom_new(struct bld_builder_job *b, json_t **out, struct bld_error **err)
{
	struct bld_builder_stage *st = &b->stages[b->target];
	json_t *pkgs = json_array(), *files = json_array();
	if (os_packages(st, pkgs, err) < 0 || copied_files(st, files, err) < 0) {
		json_decref(pkgs);
		json_decref(files);
		return -1;
	}
	const char *name = b->o->tags ? b->o->tags[0] : b->manifest_digest;
	cleanup_free char *created =
	    bld_builder_img_time(b->epoch >= 0 ? b->epoch : (int64_t)time(NULL));
	cleanup_free char *ns = xasprintf("urn:bld:spdx:%s", b->manifest_digest);
	json_t *rel = relationships(pkgs, files);
	json_array_insert_new(pkgs, 0,
			      json_pack("{s:s,s:s,s:s,s:b,s:[{s:s,s:s}]}", "name", name, "SPDXID",
					"SPDXRef-Image", "downloadLocation", "NOASSERTION",
					"filesAnalyzed", 0, "checksums", "algorithm", "SHA256",
					"checksumValue", b->manifest_digest + 7));
	*out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[s]},s:o,s:o,s:o}", "spdxVersion",
			 "SPDX-2.3", "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT", "name",
			 name, "documentNamespace", ns, "creationInfo", "created", created,
			 "creators", "Tool: bld-" BLD_VERSION, "packages", pkgs, "files", files,
			 "relationships", rel);
	if (!*out)
		abort();
	return 0;
}
