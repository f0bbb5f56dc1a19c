/*
 * tests/runner/test_brief.c — a container's brief beside config.json: written with it,
 * holding only the members listings read, and never used once config.json is another file
 * (replaced without it, or the brief left from a write that did not finish).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "runner/runner_int.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/bld-test-brief.XXXXXX");
	cr_assert_not_null(mkdtemp(d));
	return d;
}

static void rm_dir(const char *d)
{
	const char *names[] = {"config.json", "brief.json", ".config.json.tmp"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(names); i++) {
		cleanup_free char *p = xasprintf("%s/%s", d, names[i]);
		unlink(p);
	}
	rmdir(d);
}

static json_t *config(const char *name)
{
	return json_pack("{s:s, s:s, s:{s:s, s:[s]}, s:{s:s, s:[s]}, s:[s]}", "Name", name,
			 "Created", "2026-01-02T03:04:05.000000006Z", "Config", "Image", "busybox",
			 "Env", "A=1", "HostConfig", "NetworkMode", "none", "Binds", "/a:/b",
			 "Lowers", "/x");
}

Test(runner_brief, holds_what_lists_read)
{
	cleanup_free char *d = tmpdir();
	cleanup_json json_t *cfg = config("/one");
	cr_assert_eq(bld_runner_config_write(d, cfg, NULL), 0);
	cleanup_json json_t *b = NULL;
	cr_assert_eq(bld_runner_config_read_brief(d, &b, NULL), 0);
	cr_expect_str_eq(bld_json_get_str(b, "Name"), "/one");
	cr_expect_str_eq(bld_json_get_str(json_object_get(b, "Config"), "Image"), "busybox");
	cr_expect_str_eq(bld_json_get_str(json_object_get(b, "HostConfig"), "NetworkMode"),
			 "none");
	cr_expect_null(json_object_get(json_object_get(b, "HostConfig"), "Binds"),
		       "the brief, not config.json, was read");
	cr_expect_null(json_object_get(b, "Lowers"));
	cr_expect_null(json_object_get(b, "BriefOf"), "its stamp is not handed out");
	cleanup_json json_t *full = NULL;
	cr_assert_eq(bld_runner_json_read(d, "config.json", &full, NULL), 0);
	cr_expect(json_equal(full, cfg), "config.json is whole");
	rm_dir(d);
}

Test(runner_brief, stale_brief_is_not_used)
{
	cleanup_free char *d = tmpdir();
	cleanup_json json_t *one = config("/one");
	cleanup_json json_t *two = config("/two");
	cr_assert_eq(bld_runner_config_write(d, one, NULL), 0);
	/* config.json replaced by a writer that left the brief as it was */
	cr_assert_eq(bld_runner_json_write(d, "config.json", two, NULL), 0);
	cleanup_json json_t *b = NULL;
	cr_assert_eq(bld_runner_config_read_brief(d, &b, NULL), 0);
	cr_expect_str_eq(bld_json_get_str(b, "Name"), "/two");
	/* and a brief whose config.json never got renamed into place */
	cr_assert_eq(bld_runner_config_write(d, one, NULL), 0);
	cleanup_free char *brief = xasprintf("%s/brief.json", d);
	cleanup_free char *keep = xasprintf("%s/brief.keep", d);
	cr_assert_eq(rename(brief, keep), 0);
	cr_assert_eq(bld_runner_config_write(d, two, NULL), 0);
	cr_assert_eq(rename(keep, brief), 0);
	json_decref(b);
	b = NULL;
	cr_assert_eq(bld_runner_config_read_brief(d, &b, NULL), 0);
	cr_expect_str_eq(bld_json_get_str(b, "Name"), "/two");
	rm_dir(d);
}

Test(runner_brief, missing_brief_reads_config)
{
	cleanup_free char *d = tmpdir();
	cleanup_json json_t *one = config("/one");
	cr_assert_eq(bld_runner_json_write(d, "config.json", one, NULL), 0);
	cleanup_json json_t *b = NULL;
	cr_assert_eq(bld_runner_config_read_brief(d, &b, NULL), 0);
	cr_expect_str_eq(bld_json_get_str(b, "Name"), "/one");
	cr_expect_not_null(json_object_get(json_object_get(b, "HostConfig"), "Binds"));
	rm_dir(d);
}

Test(runner_brief, shared_brief_follows_config)
{
	cleanup_free char *d = tmpdir();
	cleanup_json json_t *one = config("/one");
	cleanup_json json_t *two = config("/two");
	cr_assert_eq(bld_runner_config_write(d, one, NULL), 0);
	cleanup_json json_t *b = NULL;
	cr_assert_eq(bld_runner_config_read_brief_shared(d, &b, NULL), 0);
	cr_expect_str_eq(bld_json_get_str(b, "Name"), "/one");
	cr_expect_null(json_object_get(json_object_get(b, "HostConfig"), "Binds"),
		       "the brief, not config.json, was read");
	/* config.json replaced by a writer that left the brief as it was */
	cr_assert_eq(bld_runner_json_write(d, "config.json", two, NULL), 0);
	json_decref(b);
	b = NULL;
	cr_assert_eq(bld_runner_config_read_brief_shared(d, &b, NULL), 0);
	cr_expect_str_eq(bld_json_get_str(b, "Name"), "/two");
	bld_runner_json_shared_drop();
	rm_dir(d);
}
