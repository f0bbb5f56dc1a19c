/*
 * builder/output.c — `bld build --output`: besides the store, the result goes to
 * type=local,dest=DIR (the target stage's filesystem, owners and modes kept),
 * type=tar,dest=FILE (that filesystem as one tar stream, as BuildKit's tar exporter writes
 * it), type=oci,dest=FILE (an OCI image layout tarball, BuildKit's oci exporter) or
 * type=docker,dest=FILE (a docker archive of the image, what `docker load` reads). A bare
 * path means type=local, a bare "-" type=tar,dest=-. dest=- is stdout for the archive types, refused when stdout is a
 * terminal (as docker refuses it). name= names the image in the oci or docker archive
 * (default: the first -t for oci, every -t for docker). type=image,name=REF[,push=true] names the image REF in the store (and pushes
 * it); type=registry is type=image with push=true.
 *
 * It reads the finished build only; nothing here changes the store.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>

struct out_spec {
	char *type;
	char *dest;
	char *name;
	bool push;
};

static int parse_output(const char *s, struct out_spec *o, struct bld_error **err)
{
	memset(o, 0, sizeof(*o));
	if (!strchr(s, '=')) { /* a path, or "-": a tar on stdout (docker's shorthands) */
		o->type = xstrdup(strcmp(s, "-") == 0 ? "tar" : "local");
		o->dest = xstrdup(s);
		return 0;
	}
	cleanup_free char *copy = xstrdup(s);
	for (char *f = copy, *next; f; f = next) {
		next = strchr(f, ',');
		if (next)
			*next++ = '\0';
		if (bld_str_has_prefix(f, "type="))
			o->type = xstrdup(f + 5);
		else if (bld_str_has_prefix(f, "dest="))
			o->dest = xstrdup(f + 5);
		else if (bld_str_has_prefix(f, "name="))
			o->name = xstrdup(f + 5);
		else if (bld_str_has_prefix(f, "push="))
			o->push = strcmp(f + 5, "true") == 0;
	}
	bool no_dest = o->type && (strcmp(o->type, "image") == 0 || strcmp(o->type, "registry") == 0);
	if (no_dest && !o->dest)
		o->dest = xstrdup("");
	if (o->type && o->dest)
		return 0;
	free(o->type);
	free(o->dest);
	free(o->name);
	bld_error_set(err, BLD_E_INVALID, "--output %s: type= and dest= are needed", s);
	return -1;
}

static int output_local(struct bld_builder_job *b, struct bld_builder_stage *st, const char *dest,
			struct bld_error **err)
{
	if (bld_fs_mkdir_p(dest, 0755, err) < 0)
		return -1;
	struct bld_builder_from_roots roots = {0};
	cleanup_free char *root = NULL;
	int r = bld_builder_stage_root_open(b, st, &roots, &root, err);
	int src = r == 0 ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int dst = r == 0 ? open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (r == 0 && (src < 0 || dst < 0))
		r = bld_error_sys(err, errno, "open %s", src < 0 ? root : dest);
	if (r == 0)
		r = bld_builder_copy_dir_into(src, dst, "/", false, 0, 0, true, err);
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	bld_builder_from_roots_close(&roots);
	return r;
}

/* The file an archive goes to: dest, or stdout for "-" unless it is a terminal. */
static int open_dest(const char *type, const char *dest, struct bld_error **err)
{
	if (strcmp(dest, "-") != 0) {
		int fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		return fd < 0 ? bld_error_sys(err, errno, "open %s", dest) : fd;
	}
	if (isatty(1))
		return bld_error_set(err, BLD_E_INVALID,
				     "dest file is required for %s exporter. refusing to write to "
				     "console", type);
	int fd = dup(1);
	return fd < 0 ? bld_error_sys(err, errno, "dup stdout") : fd;
}

static int output_tar(struct bld_builder_job *b, struct bld_builder_stage *st, const char *dest,
		      struct bld_error **err)
{
	cleanup_close int fd = open_dest("tar", dest, err);
	if (fd < 0)
		return -1;
	struct bld_builder_from_roots roots = {0};
	cleanup_free char *root = NULL;
	int r = bld_builder_stage_root_open(b, st, &roots, &root, err);
	if (r == 0)
		r = bld_cache_dir_tar_write(root, fd, b->epoch, err);
	bld_builder_from_roots_close(&roots);
	return r;
}

/* The full name the oci archive gives the image: name=, else the first -t, else none. */
static char *archive_name(struct bld_builder_job *b, const char *name)
{
	if (!name)
		name = b->o->tags ? b->o->tags[0] : NULL;
	struct bld_registry_ref r;
	struct bld_error *e = NULL;
	if (!name || bld_registry_ref_parse(&r, name, &e) < 0) {
		bld_error_free(e);
		return NULL;
	}
	char *full = bld_registry_ref_string(&r);
	bld_registry_ref_dispose(&r);
	return full;
}

static int output_image_archive(struct bld_builder_job *b, const struct out_spec *o, const char *id,
				struct bld_error **err)
{
	struct bld_cache_image *img = NULL;
	if (bld_cache_image_load(b->store, id, &img, err) < 0)
		return -1;
	cleanup_close int fd = open_dest(o->type, o->dest, err);
	int r = fd < 0 ? -1 : 0;
	cleanup_free char *name = r == 0 && strcmp(o->type, "oci") == 0 ? archive_name(b, o->name)
									   : NULL;
	/* type=docker: name= is the image's tag in manifest.json, as BuildKit's docker exporter */
	char *named[2] = {o->name, NULL};
	struct bld_cache_save_item item = {.img = img, .repo_tags = o->name ? named : b->o->tags};
	if (r == 0 && strcmp(o->type, "oci") == 0)
		r = bld_cache_oci_archive_write(b->store, img, name, fd, err);
	else if (r == 0)
		r = bld_cache_save(b->store, &item, 1, fd, err);
	bld_cache_image_free(img);
	return r;
}

/*
 * type=image / type=registry: the image written again under name= (the same config gives
 * the same image, in the --format asked for), then pushed with push=true.
 */
static int output_image(struct bld_builder_job *b, const struct out_spec *o, struct bld_error **err)
{
	bool push = o->push || strcmp(o->type, "registry") == 0;
	if (!o->name && push)
		return bld_error_set(err, BLD_E_INVALID, "type=%s: push needs name=", o->type);
	if (!o->name)
		return 0;
	struct bld_registry_ref ref;
	if (bld_registry_ref_parse(&ref, o->name, err) < 0)
		return bld_error_wrap(err, "invalid name \"%s\"", o->name);
	cleanup_free char *full = bld_registry_ref_string(&ref);
	bld_registry_ref_dispose(&ref);
	struct bld_builder_stage *st = &b->stages[b->target];
	char md[BLD_DIGEST_STR_LEN], id[BLD_DIGEST_STR_LEN];
	if (bld_cache_image_write_fmt(b->store, st->img, st->layers, st->n_layers, full,
				      b->o->docker_format, md, id, err) < 0)
		return -1;
	int v = bld_builder_progress_vertex(b, "exporting to %s", push ? "registry" : "image");
	bld_builder_progress_line(b, v, "naming to %s done", full);
	if (!push) {
		bld_builder_progress_done(b, v, bld_mono_ns());
		return 0;
	}
	int64_t t0 = bld_mono_ns();
	struct bld_registry_opts ro = {.config_dir = b->ctx->config_dir, .quiet = true};
	char pushed[BLD_DIGEST_STR_LEN];
	if (bld_registry_push(b->store, full, &ro, pushed, err) < 0)
		return bld_error_wrap(err, "push %s", full);
	bld_builder_progress_line(b, v, "pushing manifest for %s@%s done", full, pushed);
	bld_builder_progress_done(b, v, t0);
	return 0;
}

int bld_builder_build_output(struct bld_builder_job *b, const char *id, struct bld_error **err)
{
	struct out_spec o;
	if (parse_output(b->o->output, &o, err) < 0)
		return -1;
	int r;
	struct bld_builder_stage *st = &b->stages[b->target];
	if (strcmp(o.type, "local") == 0)
		r = output_local(b, st, o.dest, err);
	else if (strcmp(o.type, "tar") == 0)
		r = output_tar(b, st, o.dest, err);
	else if (strcmp(o.type, "docker") == 0 || strcmp(o.type, "oci") == 0)
		r = output_image_archive(b, &o, id, err);
	else if (strcmp(o.type, "image") == 0 || strcmp(o.type, "registry") == 0)
		r = output_image(b, &o, err);
	else
		r = bld_error_set(err, BLD_E_UNSUPPORTED, "--output type=%s is not supported", o.type);
	free(o.type);
	free(o.dest);
	free(o.name);
	return r < 0 ? bld_error_wrap(err, "--output") : 0;
}
