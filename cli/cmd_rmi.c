/*
 * cli/cmd_rmi.c — `bld rmi [-f] IMAGE...`: untags names and removes images as docker rmi
 * does ("Untagged: x", "Deleted: sha256:..."), then frees the blobs and unpacked layers
 * nothing needs any more. An image that fails does not stop the others; the exit status is
 * 1 when any failed. An image a container uses is refused unless forced; forced, its
 * layers stay as long as the container does.
 */
#include "cli/image_util.h"

static const struct bld_cli_opt opts[] = {
	{"force", 'f', BLD_OPT_BOOL, NULL, "Force removal of the image", NULL},
	{"no-prune", 0, BLD_OPT_BOOL, NULL, "Do not delete untagged parents", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* The exact stored name for arg when there is one (so that rmi NAME only untags). */
static char *stored_name(struct bld_store *s, const char *arg)
{
	char *full = NULL;
	struct bld_error *e = NULL;
	struct bld_cache_desc d;
	if (bld_cli_full_name(arg, &full, &e) < 0 || bld_cache_ref_get(s, full, &d, &e) < 0) {
		bld_error_free(e);
		free(full);
		return NULL;
	}
	bld_cache_desc_dispose(&d);
	return full;
}

/* docker refuses to remove an image a container uses unless forced. */
static int in_use(struct bld_store *s, const char *arg, char **used, char **cids,
		  struct bld_error **err)
{
	struct bld_cache_image *img = NULL;
	struct bld_error *e = NULL;
	if (bld_cli_image_find(s, arg, &img, &e) < 0) {
		bld_error_free(e);
		return 0;
	}
	int r = 0;
	for (size_t i = 0; used && used[i] && r == 0; i++)
		if (strcmp(used[i], img->id) == 0)
			r = bld_error_set(err, BLD_E_EXISTS,
					  "conflict: unable to remove repository reference \"%s\" "
					  "(must force) - container %.12s is using its referenced "
					  "image %.12s", arg, cids[i], img->id + 7);
	bld_cache_image_free(img);
	return r;
}

/* docker's untag (per name) and delete events; both name the image by its ID. */
static void image_events(struct bld_store *s, const char *id, char **untagged,
			 const char *deleted)
{
	for (size_t i = 0; *id && untagged && untagged[i]; i++)
		bld_cli_image_event(s, "untag", id, id);
	if (deleted)
		bld_cli_image_event(s, "delete", deleted, deleted);
}

static int remove_one(struct bld_store *s, const char *arg, bool force, char **used,
		      char **cids, struct bld_error **err)
{
	if (!force && in_use(s, arg, used, cids, err) < 0)
		return -1;
	cleanup_free char *name = stored_name(s, arg);
	cleanup_strv char **untagged = NULL;
	cleanup_free char *deleted = NULL;
	char id[BLD_DIGEST_STR_LEN] = "";
	struct bld_cache_image *img = NULL;
	if (bld_cli_image_find(s, arg, &img, NULL) == 0)
		snprintf(id, sizeof(id), "%s", img->id);
	bld_cache_image_free(img);
	int r = bld_cache_image_remove(s, name ? name : arg, force, &untagged, &deleted, err);
	if (r < 0) {
		if ((*err)->code == BLD_E_NOTFOUND) {
			bld_error_free(*err);
			*err = NULL;
			return bld_error_set(err, BLD_E_NOTFOUND, "no such image: %s", arg);
		}
		return r;
	}
	for (size_t i = 0; untagged && untagged[i]; i++) {
		cleanup_free char *f = bld_cli_familiar(untagged[i]);
		printf("Untagged: %s\n", f);
	}
	if (deleted)
		printf("Deleted: %s\n", deleted);
	image_events(s, id, untagged, deleted);
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	int rc = 0;
	cleanup_strv char **cids = NULL;
	cleanup_strv char **used = bld_cli_container_images(ctx, &cids);
	for (int i = 0; i < a->argc; i++) {
		struct bld_error *e = NULL;
		if (remove_one(s, a->argv[i], bld_cli_bool(a, "force"), used, cids, &e) < 0) {
			fflush(stdout);
			fprintf(stderr, "bld: %s\n", e->msg);
			bld_error_free(e);
			rc = 1;
		}
	}
	/* layers of images that containers still use stay, even for rmi -f */
	struct bld_cache_gc_opts o = {.keep = used};
	int r = bld_cache_gc(s, &o, NULL, err);
	bld_cache_store_free(s);
	return r < 0 ? r : rc;
}

const struct bld_cli_cmd bld_cmd_rmi = {
	.name = "rmi",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Remove one or more images",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Remove an image",
		 "bld rmi app:1.0"},
		{"Remove it even when containers use it",
		 "bld rmi -f app:1.0"}),
};
