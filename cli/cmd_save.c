/*
 * cli/cmd_save.c — `bld save [-o FILE] IMAGE...`: images as a docker archive, to a file
 * (written under a temporary name and renamed, so a failed save leaves nothing) or to
 * stdout when it is not a terminal.
 */
#include "cli/image_util.h"

#include <errno.h>
#include <fcntl.h>

static const struct bld_cli_opt opts[] = {
	{"output", 'o', BLD_OPT_STRING, "string", "Write to a file, instead of STDOUT", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int write_out(struct bld_store *s, struct bld_cache_save_item *items, size_t n,
		     const char *out, struct bld_error **err)
{
	if (!out)
		return bld_cache_save(s, items, n, 1, err);
	cleanup_free char *tmp = xasprintf("%s.tmp-%d", out, (int)getpid());
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return bld_error_sys(err, errno, "create %s", out);
	int r = bld_cache_save(s, items, n, fd, err);
	if (r == 0 && (fsync(fd) < 0 || rename(tmp, out) < 0))
		r = bld_error_sys(err, errno, "write %s", out);
	if (r < 0)
		unlink(tmp);
	return r;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *out = bld_cli_str(a, "output");
	if (!out && isatty(1))
		return bld_error_set(err, BLD_E_INVALID, "cowardly refusing to save to a terminal. "
							 "Use the -o flag or redirect");
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	struct bld_cache_image **imgs = xcalloc((size_t)a->argc, sizeof(*imgs));
	struct bld_cache_save_item *items = xcalloc((size_t)a->argc, sizeof(*items));
	char ***tags = xcalloc((size_t)a->argc, sizeof(char **));
	int r = 0;
	for (int i = 0; r == 0 && i < a->argc; i++) {
		r = bld_registry_image_find(s, a->argv[i], &imgs[i], err);
		if (r < 0)
			break;
		char *t = bld_registry_save_tag(imgs[i], a->argv[i]);
		if (t)
			bld_strv_push(&tags[i], t);
		free(t);
		items[i].img = imgs[i];
		items[i].repo_tags = tags[i];
	}
	if (r == 0)
		r = write_out(s, items, (size_t)a->argc, out, err);
	for (int i = 0; r == 0 && i < a->argc; i++)
		bld_cache_image_event(s, "save", imgs[i]->id, imgs[i]->id);
	for (int i = 0; i < a->argc; i++) {
		bld_cache_image_free(imgs[i]);
		bld_strv_free(tags[i]);
	}
	free(imgs);
	free(items);
	free(tags);
	bld_cache_store_free(s);
	return r < 0 ? r : 0;
}

const struct bld_cli_cmd bld_cmd_save = {
	.name = "save",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Save one or more images to a tar archive (streamed to STDOUT by default)",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Write an image to a tar that docker load and bld load read",
		 "bld save -o app.tar app:1.0"},
		{"Compress it on the way",
		 "bld save app:1.0 | gzip > app.tar.gz"}),
};
