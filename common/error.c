/*
 * common/error.c — the error contract: a failing function sets one struct bld_error, returns
 * its negative code, and callers add context on the way up. Only cli/ prints errors.
 * The first error set wins; wrapping never replaces a cause with a vaguer one.
 */
#include "common/common.h"

#include <errno.h>

static int set_v(struct bld_error **err, enum bld_error_code code, int errnum, const char *fmt,
		 va_list ap)
{
	if (!err || *err)
		return -(int)code;
	struct bld_error *e = xcalloc(1, sizeof(*e));
	e->code = code;
	e->sys_errno = errnum;
	char *msg = xvasprintf(fmt, ap);
	if (errnum) {
		e->msg = xasprintf("%s: %s", msg, strerror(errnum));
		free(msg);
	} else {
		e->msg = msg;
	}
	*err = e;
	return -(int)code;
}

int bld_error_set(struct bld_error **err, enum bld_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = set_v(err, code, 0, fmt, ap);
	va_end(ap);
	return r;
}

int bld_error_refuse(struct bld_error **err, enum bld_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = set_v(err, code, 0, fmt, ap);
	va_end(ap);
	if (err && *err && !(*err)->status)
		(*err)->status = 1;
	return r;
}

int bld_error_sys(struct bld_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = set_v(err, BLD_E_SYSTEM, errnum ? errnum : EIO, fmt, ap);
	va_end(ap);
	return r;
}

int bld_error_wrap(struct bld_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return -BLD_E_INTERNAL;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -(int)(*err)->code;
}

void bld_error_free(struct bld_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}

void bld_error_move(struct bld_error **dst, struct bld_error **src)
{
	if (!src || !*src)
		return;
	if (dst && !*dst) {
		*dst = *src;
	} else {
		bld_error_free(*src);
	}
	*src = NULL;
}
