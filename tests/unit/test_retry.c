/* The retry module's decisions: which failures are retried, how
 * Retry-After is read and when it wins, the caps on attempts, the deadline
 * and the CA's time kept in the error, and a signal ending a wait. Waits
 * are kept at zero (Retry-After: 0) so the test takes no time. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/retry.h"
#include "check.h"

static void status_error(struct error *f, const char *type, long status)
{
	err_clear(f);
	err_set_acme(f, type, status, "answering a challenge: the CA refused (HTTP %ld)", status);
}

static void parse_cases(void)
{
	time_t at = 0;

	CHECK(retry_after_parse("120", 1000, &at) == 0 && at == 1120);
	CHECK(retry_after_parse(" 5 ", 1000, &at) == 0 && at == 1005);
	CHECK(retry_after_parse("0", 1000, &at) == 0 && at == 1000);
	CHECK(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 0, &at) == 0 &&
	      at == 1445412480);
	/* A date in the past means now. */
	CHECK(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 2000000000, &at) == 0 &&
	      at == 2000000000);
	/* Absurd delays are bounded, not overflowed. */
	CHECK(retry_after_parse("99999999999999999999999", 1000, &at) == 0 && at > 1000);
	at = 7;
	CHECK(retry_after_parse("soon", 1000, &at) == -1 && at == 7);
	CHECK(retry_after_parse("12abc", 1000, &at) == -1 && at == 7);
	CHECK(retry_after_parse("", 1000, &at) == -1);
	CHECK(retry_after_parse(NULL, 1000, &at) == -1);
	CHECK(retry_after_parse("Wed, 21 Oct 2015 07:28:00", 0, &at) == -1);
}

static void never_retried(void)
{
	struct retry r;
	struct error f = {0}, e = {0};

	/* A 4xx other than 429 and badNonce: the CA refused for good. */
	retry_init(&r, NULL, "x", 0);
	status_error(&f, "malformed", 400);
	CHECK(retry_again(&r, &f, "0", true, &e) == -1);
	CHECK(e.kind == ERR_ACME && e.http_status == 400 && e.retry_at == 0);
	CHECK_STR(e.msg, f.msg);

	/* 429 with no time given: an unknown limit, not hammered. */
	err_clear(&e);
	status_error(&f, "rateLimited", 429);
	CHECK(retry_again(&r, &f, NULL, true, &e) == -1 && e.http_status == 429);

	/* A reset of a request that may have acted is not repeated. */
	err_clear(&e);
	err_clear(&f);
	err_set_kind(&f, EXIT_OP, ERR_NETWORK, "cannot reach https://ca.test/new-order: reset");
	CHECK(retry_again(&r, &f, NULL, false, &e) == -1);
	CHECK(e.kind == ERR_NETWORK);
	CHECK_STR(e.msg, "cannot reach https://ca.test/new-order: reset");

	/* 501 is not a passing state of the server. */
	err_clear(&e);
	status_error(&f, NULL, 501);
	CHECK(retry_again(&r, &f, "0", true, &e) == -1 && e.kind == ERR_HTTP);
}

static void retried(void)
{
	static const long statuses[] = {500, 502, 503, 504};
	struct retry r;
	struct error f = {0}, e = {0};

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		retry_init(&r, NULL, "x", 0);
		status_error(&f, NULL, statuses[i]);
		CHECK(retry_again(&r, &f, "0", true, &e) == 0 && !err_isset(&e));
		CHECK(r.attempt == 2);
	}
	retry_init(&r, NULL, "x", 0);
	status_error(&f, "rateLimited", 429);
	CHECK(retry_again(&r, &f, "0", true, &e) == 0 && !err_isset(&e));
	status_error(&f, "rateLimited", 403);
	CHECK(retry_again(&r, &f, "0", true, &e) == 0 && !err_isset(&e));

	/* A reset is repeated when the request is safe to repeat. */
	retry_init(&r, NULL, "x", 0);
	err_clear(&f);
	err_set_kind(&f, EXIT_OP, ERR_TIMEOUT, "cannot reach https://ca.test/authz: timed out");
	CHECK(retry_again(&r, &f, "0", true, &e) == 0 && !err_isset(&e));
}

static void caps(void)
{
	struct retry r;
	struct error f = {0}, e = {0};
	int n = 0;

	/* badNonce goes on at once, up to its own cap, counting apart. */
	retry_init(&r, NULL, "x", 0);
	status_error(&f, "badNonce", 400);
	while (retry_again(&r, &f, NULL, true, &e) == 0)
		n++;
	CHECK(n == RETRY_BAD_NONCE_MAX);
	CHECK(r.attempt == 1);
	CHECK(strstr(e.msg, "nonces rejected in a row") != NULL);

	/* The server's pace: up to RETRY_PACED_MAX attempts. */
	err_clear(&e);
	retry_init(&r, NULL, "x", 0);
	status_error(&f, "rateLimited", 503);
	for (n = 0; retry_again(&r, &f, "0", true, &e) == 0;)
		n++;
	CHECK(n == RETRY_PACED_MAX - 1);
	CHECK(strstr(e.msg, "(gave up after 20 attempts)") != NULL);
	CHECK(e.kind == ERR_ACME && e.http_status == 503 && e.retry_at == 0);
}

static void deadline(void)
{
	struct retry r;
	struct error f = {0}, e = {0};
	time_t now = time(NULL);

	/* The CA asks for longer than the run may take: stop, keep its time. */
	retry_init(&r, NULL, "x", now + 30);
	status_error(&f, "rateLimited", 503);
	CHECK(retry_again(&r, &f, "1000000000", true, &e) == -1);
	CHECK(e.kind == ERR_ACME && e.http_status == 503);
	CHECK(e.retry_at >= now + 1000000000 && e.retry_at <= time(NULL) + 1000000000);
	CHECK(strstr(e.msg, "the CA asks to be tried again at ") != NULL);
	CHECK(strstr(e.msg, " UTC, after this run's time limit (--timeout)") != NULL);

	/* An HTTP-date form names the same time. */
	err_clear(&e);
	retry_init(&r, NULL, "x", now + 30);
	status_error(&f, NULL, 503);
	CHECK(retry_again(&r, &f, "Sun, 06 Nov 2094 08:49:37 GMT", true, &e) == -1);
	CHECK(e.kind == ERR_HTTP && e.retry_at == 3939871777);
	CHECK(strstr(e.msg, "2094-11-06 08:49:37 UTC") != NULL);

	/* Without a run deadline, one request waits at most 10 minutes. */
	err_clear(&e);
	retry_init(&r, NULL, "x", 0);
	CHECK(retry_again(&r, &f, "601", true, &e) == -1 && e.retry_at != 0);
	CHECK(strstr(e.msg, "later than this client waits") != NULL);

	/* Our own backoff past the deadline: stop, no CA time to keep. */
	err_clear(&e);
	retry_init(&r, NULL, "x", 1);
	CHECK(retry_again(&r, &f, NULL, true, &e) == -1 && e.retry_at == 0);
	CHECK(strstr(e.msg, "no time left") != NULL);

	/* err_clear and a new error forget the time. */
	err_clear(&e);
	CHECK(e.retry_at == 0);
	err_set(&e, EXIT_OP, "x");
	err_set_retry_at(&e, 5);
	CHECK(e.retry_at == 5);
	err_clear(&e);
	err_set_retry_at(&e, 5);
	CHECK(e.retry_at == 0);
}

static void interrupted(void)
{
	struct retry r;
	struct error f = {0}, e = {0};
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGTERM);
	retry_init(&r, NULL, "x", 0);
	status_error(&f, NULL, 503);
	CHECK(retry_again(&r, &f, "5", true, &e) == -1);
	CHECK(e.kind == ERR_INTERRUPTED);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
	parse_cases();
	never_retried();
	retried();
	caps();
	deadline();
	interrupted();
	return check_done();
}
