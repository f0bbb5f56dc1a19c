/*
 * tests/runner/test_caps.c — Docker's default capability set and --cap-add/--cap-drop.
 */
#include <criterion/criterion.h>

#include "runner/runner.h"

Test(runner_caps, default_set_is_dockers)
{
	cr_assert_eq(bld_runner_caps_default(), 0xa80425fbULL);
}

Test(runner_caps, add_and_drop)
{
	uint64_t m = 0;
	struct bld_error *err = NULL;
	char *add[] = {"SYS_ADMIN", "cap_net_admin", NULL};
	char *drop[] = {"CAP_CHOWN", NULL};
	cr_assert_eq(bld_runner_caps_compute(&m, add, drop, false, &err), 0);
	cr_assert_eq(m, (0xa80425fbULL | (1ULL << 21) | (1ULL << 12)) & ~1ULL);
	char *all[] = {"ALL", NULL};
	char *chown[] = {"CHOWN", NULL};
	cr_assert_eq(bld_runner_caps_compute(&m, chown, all, false, &err), 0);
	cr_assert_eq(m, 1ULL, "drop ALL then add CHOWN keeps CHOWN");
}

Test(runner_caps, unknown_name_is_invalid)
{
	uint64_t m = 0;
	struct bld_error *err = NULL;
	char *add[] = {"NOT_A_CAP", NULL};
	cr_assert_lt(bld_runner_caps_compute(&m, add, NULL, false, &err), 0);
	cr_assert_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
}

Test(runner_caps, signal_names)
{
	cr_assert_eq(bld_runner_signal_parse("TERM"), 15);
	cr_assert_eq(bld_runner_signal_parse("SIGKILL"), 9);
	cr_assert_eq(bld_runner_signal_parse("hup"), 1);
	cr_assert_eq(bld_runner_signal_parse("10"), 10);
	cr_assert_lt(bld_runner_signal_parse("NOPE"), 0);
}
