/* One-line user-facing errors carried up the call chain.
 *
 * The innermost failure knows the value at fault, so the first message set
 * wins; callers that want context add it with err_prefix. The exit code
 * follows DESIGN.md: 1 a failed operation, 2 a usage or configuration error.
 */
#ifndef ACMEHOOK_ERR_H
#define ACMEHOOK_ERR_H

#include <stdbool.h>

enum { EXIT_OP = 1, EXIT_USAGE = 2 };

struct error {
	int exit_code;  /* 0 while no error is set */
	char msg[1024];
};

/* Set the error unless one is already set. Returns -1 so callers can
 * `return err_set(...)`. Control characters in the result are escaped. */
int err_set(struct error *e, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Put "PREFIX: " in front of the current message (if any). */
void err_prefix(struct error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_clear(struct error *e);
bool err_isset(const struct error *e);

/* Copy SRC into DST escaping control and non-ASCII bytes as \xNN, so text a
 * server sent cannot move the terminal's cursor. Always NUL-terminates. */
void err_escape(char *dst, size_t cap, const char *src);

#endif
