/* One-line user-facing errors carried up the call chain, with their kind.
 *
 * The innermost failure knows the value at fault, so the first message set
 * wins; callers that want context add it with err_prefix. The exit code
 * follows DESIGN.md: 1 a failed operation, 2 a usage or configuration error.
 *
 * Code that must act on a failure (register again when the CA forgot the
 * account, retry on badNonce, tell a full disk from a bad path) decides on
 * the kind and the ACME problem, never on the message text, which is for
 * people and may change. */
#ifndef ACMEHOOK_BASE_ERR_H
#define ACMEHOOK_BASE_ERR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum { EXIT_OP = 1, EXIT_USAGE = 2 };

enum err_kind {
	ERR_GENERIC = 0,    /* nothing more specific is known */
	ERR_NOMEM,          /* an allocation failed */
	ERR_IO,             /* a local file or directory operation failed */
	ERR_NOSPACE,        /* the disk or a quota is full (ENOSPC, EDQUOT) */
	ERR_TIMEOUT,        /* a network exchange took too long */
	ERR_NETWORK,        /* a connection lost or reset on the way */
	ERR_UNREACHABLE,    /* no connection could be made: refused, or no such host */
	ERR_INTERRUPTED,    /* SIGINT, SIGTERM or SIGHUP arrived */
	ERR_HTTP,           /* the server answered an error status without a problem document */
	ERR_ACME,           /* the server answered an ACME problem document (see problem) */
};

/* The ACME problem types (RFC 8555 §6.7) the engine acts on; others are
 * ACME_PROB_OTHER, with the type's text kept in problem_type. */
enum acme_problem {
	ACME_PROB_NONE = 0,
	ACME_PROB_OTHER,
	ACME_PROB_ACCOUNT_DOES_NOT_EXIST,
	ACME_PROB_UNAUTHORIZED,
	ACME_PROB_BAD_NONCE,
	ACME_PROB_RATE_LIMITED,
};

struct error {
	int exit_code;            /* 0 while no error is set */
	enum err_kind kind;
	enum acme_problem problem;
	char problem_type[64];    /* ERR_ACME: "rateLimited", ... (urn prefix removed); else "" */
	long http_status;         /* ERR_HTTP and ERR_ACME: the response status */
	time_t retry_at;          /* when the server asked to be tried again; 0: it did not say */
	char msg[1024];
};

/* Set the error unless one is already set. Returns -1 so callers can
 * `return err_set(...)`. Control characters in the result are escaped. */
int err_set(struct error *e, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with a kind. */
int err_set_kind(struct error *e, int exit_code, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An ACME problem document of type TYPE (prefix removed; NULL: none) in a
 * reply of HTTP STATUS; kind ERR_ACME, or ERR_HTTP when TYPE is NULL. */
int err_set_acme(struct error *e, const char *type, long status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "out of memory", kind ERR_NOMEM. */
int err_nomem(struct error *e);
/* A failed local file operation with ERRNO: ERR_NOSPACE for ENOSPC and
 * EDQUOT, ERR_IO otherwise. The message is the caller's. */
int err_set_errno(struct error *e, int exit_code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Put "PREFIX: " in front of the current message (if any). */
void err_prefix(struct error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_clear(struct error *e);
/* Record AT as the time the server asked to be tried again, on a set error. */
void err_set_retry_at(struct error *e, time_t at);
bool err_isset(const struct error *e);
/* True when E is set and carries ACME problem P. */
bool err_is_problem(const struct error *e, enum acme_problem p);

/* The enum for an ACME problem type (prefix removed); NULL is NONE. */
enum acme_problem acme_problem_from_type(const char *type);

/* Copy SRC into DST escaping control and non-ASCII bytes as \xNN, so text a
 * server sent cannot move the terminal's cursor. Always NUL-terminates. */
void err_escape(char *dst, size_t cap, const char *src);

#endif
