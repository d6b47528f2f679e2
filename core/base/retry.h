/* Retrying requests to a server that is busy, briefly down or unreachable.
 *
 * A CA under load answers 503 or 429, a load balancer resets connections
 * or answers 500 and 502, and an unattended run has to ride through all of
 * them. One struct retry follows one logical request across its attempts:
 * what failed decides whether to go on (a connection failure or timeout,
 * 500/502/503/504, 429 or rateLimited with a Retry-After the run can
 * afford, badNonce), and the wait is the server's Retry-After or else an
 * exponential backoff with jitter. A 4xx other than these is never
 * retried. Every wait goes through sleep_ms, so the fatal signals end it.
 *
 * Repeating a request that may have reached the server is only safe when
 * the request is idempotent; the caller says so for each request. An
 * error status means the server did not act, so statuses are retried
 * either way. */
#ifndef ACMEHOOK_BASE_RETRY_H
#define ACMEHOOK_BASE_RETRY_H

#include <stdbool.h>
#include <time.h>

#include "base/err.h"
#include "base/http.h"

struct log;

/* Per request when backing off on our own. A badNonce in between does not
 * count, so behind a CA that rejects half its nonces an error is 40 % of
 * the answers that count when a quarter of all answers are errors; twelve
 * in a row then happen once in 60,000 requests, and the backoff (capped at
 * RETRY_CAP_MS, bounded by the run's deadline) keeps a real CA unhurried. */
#define RETRY_MAX_ATTEMPTS 12
#define RETRY_UNREACHABLE_MAX 4     /* no connection at all: 1 + 2 + 4 s of waiting */
#define RETRY_PACED_MAX 20          /* per request when the server sets the pace */
#define RETRY_BAD_NONCE_MAX 30      /* a CA may reject any nonce: 2^-30 at 50 % */
#define RETRY_FIRST_MS 1000         /* the first backoff; it doubles each time */
#define RETRY_CAP_MS 30000          /* the longest backoff */
#define RETRY_UNBOUNDED_MAX_S 600   /* without a deadline, how long one request may retry */

struct retry {
	struct log *log;   /* borrowed; may be NULL */
	const char *what;  /* borrowed: what the request does, for the wait lines */
	time_t deadline;   /* absolute: no wait ends later */
	bool run_deadline; /* the deadline is the run's, not RETRY_UNBOUNDED_MAX_S */
	int attempt;       /* the attempt in flight, from 1 */
	int bad_nonces;    /* badNonce rejections so far */
};

/* Start following one request. WHAT ("answering a challenge") and LOG
 * must outlive R. DEADLINE is an absolute time no wait may pass; 0: none,
 * and then the request retries for RETRY_UNBOUNDED_MAX_S at most. */
void retry_init(struct retry *r, struct log *log, const char *what, time_t deadline);

/* Parse a Retry-After VALUE, delta-seconds or an HTTP-date, into the
 * absolute time *AT (NOW plus the delay). Returns -1 when VALUE is
 * neither; *AT is then untouched. */
int retry_after_parse(const char *value, time_t now, time_t *at);

/* How long the next attempt may take, in seconds: CAP (the HTTP client's
 * own timeout), or less when the run's deadline comes first (at least 1).
 * A request never outlives the run. */
long retry_time_left(const struct retry *r, long cap);

/* The attempt failed with FAIL (a transport error, or the error made of
 * the server's answer, with http_status and the ACME problem set).
 * RETRY_AFTER is the answer's Retry-After value or NULL. REPEATABLE says
 * the request may be sent again after a transport failure that left it
 * unknown whether the server acted. Waits of our own (exponential backoff)
 * end after RETRY_MAX_ATTEMPTS attempts; waits the server asked for
 * (Retry-After) go on while they fit the deadline, up to RETRY_PACED_MAX
 * attempts, since a CA that says when to come back is pacing its clients.
 *
 * Returns 0 after waiting when the request should be sent again, with one
 * line at normal verbosity saying why and for how long. Returns -1 when it
 * should not: E then holds FAIL, with the reason appended when retrying
 * gave up (attempts used up, the deadline), and retry_at set when the
 * server asked for a wait past the deadline; or E says a signal ended the
 * wait (kind ERR_INTERRUPTED). */
int retry_again(struct retry *r, const struct error *fail, const char *retry_after,
                bool repeatable, struct error *e);

/* Perform an idempotent request (GET or HEAD) with retries; no body.
 * Returns 0 with RESP for any answer not worth retrying (the caller judges
 * its status), or -1 with E. */
int retry_request(struct retry *r, struct http_client *c, const char *method, const char *url,
                  const char *const *headers, struct http_response *resp, struct error *e);

#endif
