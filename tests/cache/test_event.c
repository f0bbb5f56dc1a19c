/*
 * tests/cache/test_event.c — the events journal: records read back in order with docker's
 * fields, a journal past its cap rotates to one older generation (so it never grows without
 * bound) and a read from the past sees both, and an oversized attribute is shortened.
 */
#include <jansson.h>
#include <sys/stat.h>

#include "tests/cache/helpers.h"

struct seen {
	size_t n;
	int64_t last;
	bool ordered;
	char first_action[64];
};

static int count(const struct json_t *ev, void *payload)
{
	struct seen *s = payload;
	int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
	if (!s->n)
		snprintf(s->first_action, sizeof(s->first_action), "%s",
			 json_string_value(json_object_get(ev, "Action")));
	s->ordered = (s->n == 0 || t >= s->last) && (s->n == 0 || s->ordered);
	s->last = t;
	s->n++;
	return 0;
}

Test(cache_event, append_and_read_back)
{
	char *root = bld_fs_mkdtemp("bld-ev", NULL);
	char *attrs[] = {"name=web", "image=busybox", NULL};
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_event_append(root, "container", "start", "abc", attrs, &err), 0);
	cr_assert_eq(bld_cache_event_append(root, "image", "pull", "busybox:latest", NULL, &err), 0);
	struct seen s = {0};
	cr_assert_eq(bld_cache_event_read(root, 1, 0, -1, count, &s, &err), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.first_action, "start");
	char *p = xasprintf("%s/events/journal.jsonl", root);
	char *data = NULL;
	size_t len = 0;
	cr_assert_eq(bld_fs_read_file(p, 1 << 20, &data, &len, &err), 0);
	cr_assert(strstr(data, "\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"image\":\"busybox\","
			       "\"name\":\"web\"}}"), "%s", data);
	cr_assert(strstr(data, "\"from\":\"busybox\""));
	free(data);
	free(p);
	bld_fs_rm_rf(root, NULL);
	free(root);
}

Test(cache_event, rotates_at_its_cap)
{
	char *root = bld_fs_mkdtemp("bld-ev", NULL);
	char *big = xmalloc(8001);
	memset(big, 'x', 8000);
	big[8000] = 0;
	char *attr = xasprintf("blob=%s", big);
	char *attrs[] = {attr, NULL};
	struct bld_error *err = NULL;
	size_t n = (size_t)(2 * BLD_CACHE_EVENTS_MAX / 8000) + 50;
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(bld_cache_event_append(root, "volume", "create", "v", attrs, &err), 0);
	struct stat a, b;
	char *cur = xasprintf("%s/events/journal.jsonl", root);
	char *old = xasprintf("%s/events/journal.1.jsonl", root);
	cr_assert_eq(stat(cur, &a), 0);
	cr_assert_eq(stat(old, &b), 0, "rotated");
	cr_assert_leq(a.st_size, BLD_CACHE_EVENTS_MAX);
	cr_assert_leq(b.st_size, BLD_CACHE_EVENTS_MAX);
	struct seen s = {0};
	cr_assert_eq(bld_cache_event_read(root, 1, 0, -1, count, &s, &err), 0);
	/* the oldest went with the third generation; at least a full generation is kept */
	cr_assert_lt(s.n, n);
	cr_assert_geq(s.n * 8000, (size_t)BLD_CACHE_EVENTS_MAX, "%zu", s.n);
	cr_assert(s.ordered);
	free(cur);
	free(old);
	free(attr);
	free(big);
	bld_fs_rm_rf(root, NULL);
	free(root);
}

Test(cache_event, shortens_an_oversized_record)
{
	char *root = bld_fs_mkdtemp("bld-ev", NULL);
	char *big = xmalloc(BLD_CACHE_EVENT_MAX + 1);
	memset(big, 'y', BLD_CACHE_EVENT_MAX);
	big[BLD_CACHE_EVENT_MAX] = 0;
	char *attr = xasprintf("label=%s", big);
	char *attrs[] = {attr, NULL};
	struct bld_error *err = NULL;
	cr_assert_eq(bld_cache_event_append(root, "container", "create", "c", attrs, &err), 0);
	struct seen s = {0};
	cr_assert_eq(bld_cache_event_read(root, 1, 0, -1, count, &s, &err), 0);
	cr_assert_eq(s.n, 1);
	free(attr);
	free(big);
	bld_fs_rm_rf(root, NULL);
	free(root);
}
