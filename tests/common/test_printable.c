/*
 * tests/common/test_printable.c — bld_str_printable: outside text quoted into an error line
 * keeps printable bytes (UTF-8 included), shows control characters as \xNN, and is cut.
 */
#include <criterion/criterion.h>

#include "common/common.h"

Test(common_printable, escapes_controls_and_cuts)
{
	char *s = bld_str_printable("a\x1b[31m\nb\x7f\xc3\xa9", 100);
	cr_expect_str_eq(s, "a\\x1b[31m\\x0ab\\x7f\xc3\xa9");
	free(s);
	s = bld_str_printable("abcdef", 3);
	cr_expect_str_eq(s, "abc...");
	free(s);
	s = bld_str_printable(NULL, 3);
	cr_expect_str_eq(s, "");
	free(s);
}
