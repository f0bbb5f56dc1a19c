/*
 * tests/api/test_containers_list.c — GET /containers/json's summaries kept between listings
 * (as their text): a container whose parsed files and status line did not change keeps its
 * summary, any change makes a new one, the listing's filters still apply, and the text is
 * one JSON array on one line.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "api/api_int.h"
#include "runner/runner.h"

static void info(struct bld_runner_container_info *c, const char *id, const char *name,
		 const char *status)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->name = xstrdup(name);
	c->image = xstrdup("busybox");
	c->command = xstrdup("true");
	c->status_text = xstrdup(status);
	c->state = xstrdup("exited");
	c->ports = xstrdup("");
	c->cfg_json = json_pack("{s:s, s:{s:s}}", "ImageID", "sha256:1", "HostConfig",
				"NetworkMode", "none");
	c->state_json = json_pack("{s:s}", "Status", "exited");
}

static const char *status_of(json_t *list, size_t i)
{
	return bld_json_get_str(json_array_get(list, i), "Status");
}

/* The listing's text, parsed (and checked to be one line). */
static json_t *summaries(const struct bld_runner_container_info *v, size_t n, const bool *keep,
			 bool all)
{
	cleanup_free char *text = bld_api_container_summaries(v, n, keep, all, -1);
	size_t len = strlen(text);
	cr_assert(len > 0 && strchr(text, '\n') == text + len - 1, "one line: %s", text);
	json_t *list = json_loads(text, 0, NULL);
	cr_assert(json_is_array(list), "%s", text);
	return list;
}

Test(api_containers_list, unchanged_container_keeps_its_summary)
{
	struct bld_runner_container_info *v = xcalloc(2, sizeof(*v));
	info(&v[0], "aaaa", "one", "Exited (0) 2 minutes ago");
	info(&v[1], "bbbb", "two", "Exited (1) 3 minutes ago");
	bool keep[2] = {true, true};
	json_t *a = summaries(v, 2, keep, true);
	cr_assert_eq(json_array_size(a), 2);
	cr_expect_str_eq(bld_json_get_str(json_array_get(a, 0), "Id"), "aaaa");
	/* a name that changed although the same parsed files were listed (which the runner never
	 * does): the kept summary shows the summary was not made again */
	free(v[1].name);
	v[1].name = xstrdup("other");
	json_t *b = summaries(v, 2, keep, true);
	cr_expect(json_equal(a, b), "made once");
	/* the status line moved on (a minute later), and another state.json was read */
	free(v[0].status_text);
	v[0].status_text = xstrdup("Exited (0) 3 minutes ago");
	json_decref(v[1].state_json);
	v[1].state_json = json_pack("{s:s}", "Status", "exited");
	json_t *c = summaries(v, 2, keep, true);
	cr_expect_str_eq(status_of(c, 0), "Exited (0) 3 minutes ago");
	json_t *names = json_object_get(json_array_get(c, 1), "Names");
	cr_expect_str_eq(json_string_value(json_array_get(names, 0)), "/other",
			 "made again from new files");
	/* filters: the second one alone, and none that does not run without all */
	keep[0] = false;
	json_t *d = summaries(v, 2, keep, true);
	cr_assert_eq(json_array_size(d), 1);
	cr_expect_str_eq(bld_json_get_str(json_array_get(d, 0), "Id"), "bbbb");
	json_t *e = summaries(v, 2, keep, false);
	cr_expect_eq(json_array_size(e), 0);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	json_decref(e);
	bld_runner_container_info_free(v, 2);
}
