#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

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

static int err_vset(struct error *e, int exit_code, enum err_kind kind, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

static int err_vset(struct error *e, int exit_code, enum err_kind kind, const char *fmt,
                    va_list ap)
{
	char raw[sizeof(e->msg)];

	if (!e || e->exit_code)
		return -1;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	err_escape(e->msg, sizeof(e->msg), raw);
	e->exit_code = exit_code ? exit_code : EXIT_OP;
	e->kind = kind;
	e->problem = ACME_PROB_NONE;
	e->problem_type[0] = '\0';
	e->http_status = 0;
	e->retry_at = 0;
	return -1;
}

int err_set(struct error *e, int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, exit_code, ERR_GENERIC, fmt, ap);
	va_end(ap);
	return -1;
}

int err_set_kind(struct error *e, int exit_code, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, exit_code, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int err_set_errno(struct error *e, int exit_code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, exit_code, errnum == ENOSPC || errnum == EDQUOT ? ERR_NOSPACE : ERR_IO, fmt,
	         ap);
	va_end(ap);
	return -1;
}

int err_nomem(struct error *e)
{
	return err_set_kind(e, EXIT_OP, ERR_NOMEM, "out of memory");
}

enum acme_problem acme_problem_from_type(const char *type)
{
	static const struct {
		const char *type;
		enum acme_problem p;
	} known[] = {
		{"accountDoesNotExist", ACME_PROB_ACCOUNT_DOES_NOT_EXIST},
		{"unauthorized", ACME_PROB_UNAUTHORIZED},
		{"badNonce", ACME_PROB_BAD_NONCE},
		{"rateLimited", ACME_PROB_RATE_LIMITED},
	};

	if (!type)
		return ACME_PROB_NONE;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(type, known[i].type) == 0)
			return known[i].p;
	return ACME_PROB_OTHER;
}

int err_set_acme(struct error *e, const char *type, long status, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->exit_code)
		return -1;
	va_start(ap, fmt);
	err_vset(e, EXIT_OP, type ? ERR_ACME : ERR_HTTP, fmt, ap);
	va_end(ap);
	e->http_status = status;
	e->problem = acme_problem_from_type(type);
	if (type)
		err_escape(e->problem_type, sizeof(e->problem_type), type);
	return -1;
}

bool err_is_problem(const struct error *e, enum acme_problem p)
{
	return err_isset(e) && e->kind == ERR_ACME && e->problem == p;
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
	e->kind = ERR_GENERIC;
	e->problem = ACME_PROB_NONE;
	e->problem_type[0] = '\0';
	e->http_status = 0;
	e->retry_at = 0;
	e->msg[0] = '\0';
}

void err_set_retry_at(struct error *e, time_t at)
{
	if (err_isset(e))
		e->retry_at = at;
}

bool err_isset(const struct error *e)
{
	return e && e->exit_code != 0;
}
