/*
 * tests/runner/test_listed.c — a container's listing line kept while its directory stays the
 * same: used again while nothing in the directory changed, not once a file was renamed into
 * it (how every write of the store lands), and never kept for a directory changed just now.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner/runner_int.h"

static void line(struct bld_runner_container_info *c, const char *id, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->name = xstrdup(name);
	c->image = xstrdup("busybox");
	c->command = xstrdup("true");
	c->status_text = xstrdup("Created");
	c->state = xstrdup("created");
	c->ports = xstrdup("");
	bld_strv_push(&c->labels, "a=b");
	c->cfg_json = json_object();
	c->state_json = json_object();
}

/* The directory's stat after its times were set to sec (settled when in the past). */
static struct stat aged(const char *d, time_t sec, long nsec)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
	cr_assert_eq(utimensat(AT_FDCWD, d, ts, 0), 0);
	struct stat st;
	cr_assert_eq(stat(d, &st), 0);
	return st;
}

Test(runner_listed, kept_while_the_directory_is_unchanged)
{
	char d[] = "/tmp/bld-test-listed.XXXXXX";
	cr_assert_not_null(mkdtemp(d));
	struct bld_runner_container_info in, out;
	line(&in, "c0ffee", "web");
	struct stat st = aged(d, time(NULL) - 60, 500);
	bld_runner_listed_keep(&st, &in, 42.5);
	double since = 0;
	cr_assert(bld_runner_listed_get("c0ffee", &st, &out, &since), "kept");
	cr_expect_str_eq(out.name, "web");
	cr_expect_eq(out.cfg_json, in.cfg_json, "the same parsed files");
	cr_expect_str_eq(out.labels[0], "a=b");
	cr_expect_eq(since, 42.5);
	bld_runner_container_info_dispose(&out);
	cr_expect_not(bld_runner_listed_get("0ther", &st, &out, &since), "another container");
	/* a file renamed into the directory */
	cleanup_free char *tmp = xasprintf("%s/.state.json.tmp", d);
	cleanup_free char *dst = xasprintf("%s/state.json", d);
	FILE *f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs("{}", f);
	fclose(f);
	cr_assert_eq(rename(tmp, dst), 0);
	struct stat now;
	cr_assert_eq(stat(d, &now), 0);
	cr_expect_not(bld_runner_listed_get("c0ffee", &now, &out, &since),
		      "a rename in the directory: made again");
	bld_runner_listed_drop();
	unlink(dst);
	rmdir(d);
	bld_runner_container_info_dispose(&in);
}

Test(runner_listed, fresh_directory_is_not_kept)
{
	char d[] = "/tmp/bld-test-listed.XXXXXX";
	cr_assert_not_null(mkdtemp(d));
	struct bld_runner_container_info in, out;
	line(&in, "beef", "db");
	double since = 0;
	/* changed "now" (a minute ahead, so that a slow machine cannot age it) */
	struct stat st = aged(d, time(NULL) + 60, 500);
	bld_runner_listed_keep(&st, &in, 0);
	cr_expect_not(bld_runner_listed_get("beef", &st, &out, &since),
		      "a directory changed within a timestamp tick");
	/* whole-second timestamps: a second ago is within their tick */
	st = aged(d, time(NULL) - 1, 0);
	bld_runner_listed_keep(&st, &in, 0);
	cr_expect_not(bld_runner_listed_get("beef", &st, &out, &since),
		      "a second ago, on a filesystem of whole seconds");
	bld_runner_listed_drop();
	rmdir(d);
	bld_runner_container_info_dispose(&in);
}

/* Sets dir/name's times to a minute ago: settled, so that runner/jcache.c keeps its parse. */
static void settle(const char *dir, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	struct timespec ts[2] = {{time(NULL) - 60, 500}, {time(NULL) - 60, 500}};
	cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

Test(runner_listed, a_listing_by_label_leaves_the_kept_parses_whole)
{
	char root[] = "/tmp/bld-test-listed.XXXXXX";
	cr_assert_not_null(mkdtemp(root));
	struct bld_ctx ctx = {.root = root};
	const char *id = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";
	cleanup_free char *dir = xasprintf("%s/containers/%s", root, id);
	cr_assert_eq(bld_fs_mkdir_p(dir, 0700, NULL), 0);
	cleanup_json json_t *cfg = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "Name", "/one",
					     "Created", "2026-01-02T03:04:05Z", "Config", "Image",
					     "busybox", "Labels", "k", "v");
	cleanup_json json_t *st = json_pack("{s:s}", "Status", "created");
	cr_assert_eq(bld_runner_config_write(dir, cfg, NULL), 0);
	cr_assert_eq(bld_runner_json_write(dir, "state.json", st, NULL), 0);
	settle(dir, "brief.json");
	cleanup_json json_t *brief = NULL;
	cr_assert_eq(bld_runner_json_read_shared(dir, "brief.json", &brief, NULL), 0);
	size_t refs = brief->refcount; /* the cache's and ours */
	struct bld_runner_container_info *v = NULL;
	size_t n = 9;
	cr_assert_eq(bld_runner_container_list_labeled(&ctx, "k", "other", &v, &n, NULL), 0);
	cr_expect_eq(n, 0, "not labelled k=other");
	bld_runner_container_info_free(v, n);
	cr_expect_eq(brief->refcount, refs, "the brief's parse left as it was");
	cr_assert_eq(bld_runner_container_list_labeled(&ctx, "k", "v", &v, &n, NULL), 0);
	cr_expect_eq(n, 1);
	cr_expect_str_eq(n ? v[0].name : "", "one");
	bld_runner_container_info_free(v, n);
	bld_runner_listed_drop();
	bld_runner_json_shared_drop();
	const char *names[] = {"config.json", "brief.json", "state.json"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(names); i++) {
		cleanup_free char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	cleanup_free char *top = xasprintf("%s/containers", root);
	rmdir(top);
	rmdir(root);
}
