/* SPDX-License-Identifier: ISC */
/*
 * Errors: an int status returned up the stack and a struct gd_err filled
 * once, where the failure is found. The message buffer is fixed so the
 * error path never allocates; a message that does not fit is cut, not lost.
 */
#include <stdio.h>
#include <string.h>

#include "gitopsd/core.h"

int
gd_err_set(struct gd_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
gd_err_wrap(struct gd_err *err, const char *fmt, ...)
{
	char ctx[sizeof(err->msg)], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return GD_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* A long message is cut at the end; the context is what matters. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", ctx, old) < 0)
		err->msg[0] = '\0';
	return err->code;
}

void
gd_err_clear(struct gd_err *err)
{
	if (err == NULL)
		return;
	err->code = GD_OK;
	err->msg[0] = '\0';
}

const char *
gd_err_name(int code)
{
	switch (code) {
	case GD_OK:
		return "ok";
	case GD_EINVAL:
		return "invalid";
	case GD_ENOTFOUND:
		return "not found";
	case GD_ECONFLICT:
		return "conflict";
	case GD_EUPSTREAM:
		return "upstream";
	case GD_EINTERNAL:
		return "internal";
	case GD_EDENIED:
		return "denied";
	case GD_EUNAUTH:
		return "unauthenticated";
	case GD_ETOOBIG:
		return "too big";
	case GD_EUNAVAIL:
		return "unavailable";
	}
	return "unknown";
}
