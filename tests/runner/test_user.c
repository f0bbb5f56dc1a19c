/*
 * tests/runner/test_user.c — USER resolution against passwd/group text, Docker's rules.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "runner/runner.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "app:x:1000:1000:app:/home/app:/bin/sh\n"
			     "# comment\n"
			     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char group[] = "root:x:0:\napp:x:1000:\nextra:x:2000:app,other\nwheel:x:10:root\n";

struct user_case {
	char spec[32];
	int ok;
	unsigned uid, gid;
	unsigned groups[4];
	size_t n_groups;
	char home[32];
};

ParameterizedTestParameters(runner_user, resolve)
{
	static struct user_case cases[] = {
		{"", 1, 0, 0, {0, 10}, 2, "/root"},
		{"root", 1, 0, 0, {0, 10}, 2, "/root"},
		{"app", 1, 1000, 1000, {1000, 2000}, 2, "/home/app"},
		{"1000", 1, 1000, 1000, {1000, 2000}, 2, "/home/app"},
		{"app:extra", 1, 1000, 2000, {2000}, 1, "/home/app"},
		{"1234", 1, 1234, 0, {0}, 1, "/"},
		{"1234:4321", 1, 1234, 4321, {4321}, 1, "/"},
		{"nosuch", 0, 0, 0, {0}, 0, ""},
		{"app:nosuchgroup", 0, 0, 0, {0}, 0, ""},
	};
	return cr_make_param_array(struct user_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct user_case *c, runner_user, resolve)
{
	struct bld_runner_user u;
	struct bld_error *err = NULL;
	int r = bld_runner_user_resolve(&u, c->spec, passwd, group, &err);
	if (!c->ok) {
		cr_assert_lt(r, 0, "%s should fail", c->spec);
		cr_assert_eq(err->code, BLD_E_NOTFOUND);
		bld_error_free(err);
		return;
	}
	cr_assert_eq(r, 0, "%s: %s", c->spec, err ? err->msg : "");
	cr_assert_eq(u.uid, c->uid, "%s uid %u", c->spec, u.uid);
	cr_assert_eq(u.gid, c->gid, "%s gid %u", c->spec, u.gid);
	cr_assert_eq(u.n_groups, c->n_groups, "%s: %zu groups", c->spec, u.n_groups);
	for (size_t i = 0; i < c->n_groups; i++)
		cr_assert_eq(u.groups[i], c->groups[i], "%s group %zu", c->spec, i);
	cr_assert_str_eq(u.home, c->home);
}

Test(runner_user, no_files_means_numeric_only)
{
	struct bld_runner_user u;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_user_resolve(&u, "42:43", NULL, NULL, &err), 0);
	cr_assert_eq(u.uid, 42);
	cr_assert_eq(u.gid, 43);
	cr_assert_lt(bld_runner_user_resolve(&u, "app", NULL, NULL, &err), 0);
	bld_error_free(err);
}

/* No USER in an image without /etc/passwd (FROM scratch): root by number, as docker runs it. */
Test(runner_user, no_user_no_files_is_root)
{
	struct bld_runner_user u;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_user_resolve(&u, NULL, NULL, NULL, &err), 0);
	cr_assert_eq(u.uid, 0);
	cr_assert_eq(u.gid, 0);
	cr_assert_eq(bld_runner_user_resolve(&u, "", NULL, NULL, &err), 0);
	cr_assert_eq(u.uid, 0);
	cr_assert_lt(bld_runner_user_resolve(&u, "root", NULL, NULL, &err), 0);
	bld_error_free(err);
}

/* A RUN step as BuildKit runs it (checked against docker 20.10's BuildKit, tests/diff/README):
 * only the groups listing the user, the primary one not added, none at all without USER. */
Test(runner_user, build_step_groups_as_buildkit)
{
	struct bld_runner_user u;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_user_resolve_step(&u, "", passwd, group, &err), 0);
	cr_assert_eq(u.uid, 0);
	cr_assert_eq(u.n_groups, 0);
	cr_assert_str_eq(u.home, "/root");
	cr_assert_eq(bld_runner_user_resolve_step(&u, "root", passwd, group, &err), 0);
	cr_assert_eq(u.n_groups, 1);
	cr_assert_eq(u.groups[0], 10);
	cr_assert_eq(bld_runner_user_resolve_step(&u, "app", passwd, group, &err), 0);
	cr_assert_eq(u.gid, 1000);
	cr_assert_eq(u.n_groups, 1);
	cr_assert_eq(u.groups[0], 2000);
	cr_assert_eq(bld_runner_user_resolve_step(&u, "nobody", passwd, group, &err), 0);
	cr_assert_eq(u.n_groups, 0);
	cr_assert_eq(bld_runner_user_resolve_step(&u, "app:extra", passwd, group, &err), 0);
	cr_assert_eq(u.gid, 2000);
	cr_assert_eq(u.n_groups, 0);
	cr_assert_lt(bld_runner_user_resolve_step(&u, "nosuch", passwd, group, &err), 0);
	bld_error_free(err);
}

/* --group-add: names from the image's group file or numbers, each once, after the user's. */
Test(runner_user, group_add)
{
	struct bld_runner_user u;
	struct bld_error *err = NULL;
	char *add[] = {"extra", "4242", "2000", NULL};
	cr_assert_eq(bld_runner_user_resolve(&u, "0", passwd, group, &err), 0);
	size_t before = u.n_groups;
	cr_assert_eq(bld_runner_user_add_groups(&u, add, group, &err), 0);
	cr_assert_eq(u.n_groups, before + 2);
	cr_assert_eq(u.groups[before], 2000);
	cr_assert_eq(u.groups[before + 1], 4242);
	char *bad[] = {"nosuch", NULL};
	cr_assert_lt(bld_runner_user_add_groups(&u, bad, group, &err), 0);
	cr_assert_str_eq(err->msg, "Unable to find group nosuch: no matching entries in group file");
	bld_error_free(err);
}
