/*
 * builder/output.c — `bld build --output`: besides the store, the result goes to
 * type=local,dest=DIR (the target stage's filesystem, owners and modes kept) or
 * type=docker,dest=FILE (a docker archive of the image, what `docker load` reads). A bare
 * path means type=local. type=tar and type=oci are refused as unsupported.
 *
 * It reads the finished build only; nothing here changes the store.
 */
#include "builder/builder_int.h"

#include <errno.h>
#include <fcntl.h>

struct out_spec {
	char *type;
	char *dest;
};

static int parse_output(const char *s, struct out_spec *o, struct bld_error **err)
{
	memset(o, 0, sizeof(*o));
	if (!strchr(s, '=')) {
		o->type = xstrdup("local");
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
	}
	if (!o->type || !o->dest)
		return bld_error_set(err, BLD_E_INVALID, "--output %s: type= and dest= are needed", s);
	return 0;
}

static int output_local(struct bld_build *b, struct bld_bstage *st, const char *dest,
			struct bld_error **err)
{
	if (bld_fs_mkdir_p(dest, 0755, err) < 0)
		return -1;
	struct bld_from_roots roots = {0};
	cleanup_free char *root = NULL;
	int r = bld_stage_root_open(b, st, &roots, &root, err);
	int src = r == 0 ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int dst = r == 0 ? open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (r == 0 && (src < 0 || dst < 0))
		r = bld_error_sys(err, errno, "open %s", src < 0 ? root : dest);
	if (r == 0)
		r = bld_copy_dir_into(src, dst, "/", false, 0, 0, true, err);
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	bld_from_roots_close(&roots);
	return r;
}

static int output_docker(struct bld_build *b, const char *id, const char *dest,
			 struct bld_error **err)
{
	struct bld_cache_image *img = NULL;
	if (bld_cache_image_load(b->store, id, &img, err) < 0)
		return -1;
	cleanup_close int fd = strcmp(dest, "-") == 0 ? dup(1)
						       : open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = fd < 0 ? bld_error_sys(err, errno, "open %s", dest) : 0;
	struct bld_cache_save_item item = {.img = img, .repo_tags = b->o->tags};
	if (r == 0)
		r = bld_cache_save(b->store, &item, 1, fd, err);
	bld_cache_image_free(img);
	return r;
}

int bld_build_output(struct bld_build *b, const char *id, struct bld_error **err)
{
	struct out_spec o;
	if (parse_output(b->o->output, &o, err) < 0)
		return -1;
	int r;
	struct bld_bstage *st = &b->stages[b->target];
	if (strcmp(o.type, "local") == 0)
		r = output_local(b, st, o.dest, err);
	else if (strcmp(o.type, "docker") == 0)
		r = output_docker(b, id, o.dest, err);
	else
		r = bld_error_set(err, BLD_E_UNSUPPORTED, "--output type=%s is not supported", o.type);
	free(o.type);
	free(o.dest);
	return r < 0 ? bld_error_wrap(err, "--output") : 0;
}
