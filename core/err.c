#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void err_escape(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	if (cap == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)src; p && *p; p++) {
		char tmp[5];
		size_t n;

		if (*p < 0x20 || *p == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
			n = 4;
		} else {
			tmp[0] = (char)*p;
			n = 1;
		}
		if (o + n >= cap)
			break;
		memcpy(dst + o, tmp, n);
		o += n;
	}
	dst[o] = '\0';
}

int err_set(struct error *e, int exit_code, const char *fmt, ...)
{
	char raw[sizeof(e->msg)];
	va_list ap;

	if (!e || e->exit_code)
		return -1;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	err_escape(e->msg, sizeof(e->msg), raw);
	e->exit_code = exit_code ? exit_code : EXIT_OP;
	return -1;
}

void err_prefix(struct error *e, const char *fmt, ...)
{
	char pre[256], out[sizeof(e->msg)];
	va_list ap;

	if (!e || !e->exit_code)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	/* Truncation is acceptable: the message stays one readable line. */
	if (snprintf(out, sizeof(out), "%s: ", pre) < (int)sizeof(out))
		strncat(out, e->msg, sizeof(out) - strlen(out) - 1);
	memcpy(e->msg, out, sizeof(out));
}

void err_clear(struct error *e)
{
	e->exit_code = 0;
	e->msg[0] = '\0';
}

bool err_isset(const struct error *e)
{
	return e && e->exit_code != 0;
}
