/*
 * common/printable.c — text from outside (a registry's error message, a parser's quote of
 * the bytes it choked on) made fit for an error line: bld prints every error as one line,
 * so control characters must not break it or drive the terminal. It does not judge content.
 */
#include "common/common.h"

char *bld_str_printable(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	struct bld_buf b = BLD_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			bld_buf_printf(&b, "\\x%02x", c);
		else
			bld_buf_addc(&b, (char)c);
	}
	if (s && s[n])
		bld_buf_adds(&b, "...");
	return b.data ? bld_buf_detach(&b) : xstrdup("");
}
