#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "base/retry.h"
#include "base/sleep.h"

/* Delays beyond a century are treated as a century, so adding one to the
 * clock cannot overflow. */
#define RETRY_AFTER_MAX_S (100LL * 366 * 24 * 3600)

void retry_init(struct retry *r, struct log *log, const char *what, time_t deadline)
{
	memset(r, 0, sizeof(*r));
	r->log = log;
	r->what = what;
	r->run_deadline = deadline != 0;
	r->deadline = deadline ? deadline : time(NULL) + RETRY_UNBOUNDED_MAX_S;
	r->attempt = 1;
}

int retry_after_parse(const char *value, time_t now, time_t *at)
{
	const char *p = value;
	long long n = 0;

	if (!value)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p >= '0' && *p <= '9') {
		for (; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > RETRY_AFTER_MAX_S)
				n = RETRY_AFTER_MAX_S;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			return -1;
		*at = now + (time_t)n;
		return 0;
	} else {
		/* The HTTP-date form (RFC 9110 §5.6.7), e.g.
		 * "Wed, 21 Oct 2015 07:28:00 GMT". */
		struct tm tm = {0};
		const char *end = strptime(p, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		time_t t;

		if (!end || *end)
			return -1;
		t = timegm(&tm);
		if (t == (time_t)-1)
			return -1;
		*at = t < now ? now : t;
		return 0;
	}
}

/* A multiplier between 0.8 and 1.2, so clients that failed together do
 * not come back together. */
static long jitter(long ms)
{
	uint32_t u = 0;

	if (getrandom(&u, sizeof(u), GRND_NONBLOCK) != (ssize_t)sizeof(u))
		return ms;
	return (long)((double)ms * (0.8 + 0.4 * ((double)u / 4294967296.0)));
}

static void format_time(time_t t, char *dst, size_t cap)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(dst, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(dst, cap, "%lld (Unix time)", (long long)t);
}

/* E becomes FAIL with FMT appended: why retrying stopped. */
static int give_up(struct error *e, const struct error *fail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int give_up(struct error *e, const struct error *fail, const char *fmt, ...)
{
	va_list ap;
	size_t o;

	if (err_isset(e))
		return -1;
	*e = *fail;
	if (!fmt)
		return -1;
	o = strlen(e->msg);
	va_start(ap, fmt);
	if (o + 1 < sizeof(e->msg))
		vsnprintf(e->msg + o, sizeof(e->msg) - o, fmt, ap);
	va_end(ap);
	return -1;
}

static bool server_trouble(long status)
{
	return status == 500 || status == 502 || status == 503 || status == 504;
}

long retry_time_left(const struct retry *r, long cap)
{
	time_t now = time(NULL);
	long left;

	if (!r->run_deadline)
		return cap;
	left = r->deadline > now ? (long)(r->deadline - now) : 1;
	return left < cap ? left : cap;
}

int retry_again(struct retry *r, const struct error *fail, const char *retry_after,
                bool repeatable, struct error *e)
{
	time_t now = time(NULL), at = 0;
	bool asked = retry_after_parse(retry_after, now, &at) == 0;
	bool limited = fail->http_status == 429 || fail->problem == ACME_PROB_RATE_LIMITED;
	char why[1100], when[64], wait[32];
	int cap = asked ? RETRY_PACED_MAX : RETRY_MAX_ATTEMPTS;
	long ms;

	if (fail->kind == ERR_ACME && fail->problem == ACME_PROB_BAD_NONCE) {
		/* RFC 8555 §6.5: send again with the nonce the rejection
		 * carried, at once; the CA did nothing. */
		if (r->bad_nonces >= RETRY_BAD_NONCE_MAX)
			return give_up(e, fail, " (%d nonces rejected in a row)", r->bad_nonces + 1);
		r->bad_nonces++;
		if (r->log)
			log_msg(r->log, LVL_DEBUG, "%s: badNonce, retrying", r->what ? r->what : "request");
		return 0;
	}
	if (fail->kind == ERR_UNREACHABLE) {
		/* Nothing was sent, so any request may go again; but a CA
		 * that takes no connection at all is more often a wrong
		 * address than a restart, so the user hears of it soon. */
		cap = RETRY_UNREACHABLE_MAX;
		snprintf(why, sizeof(why), "%s;", fail->msg);
	} else if (fail->kind == ERR_NETWORK || fail->kind == ERR_TIMEOUT) {
		if (!repeatable)
			return give_up(e, fail, NULL);
		snprintf(why, sizeof(why), "%s;", fail->msg);
	} else if ((fail->kind == ERR_HTTP || fail->kind == ERR_ACME) &&
	           (server_trouble(fail->http_status) || (limited && asked))) {
		snprintf(why, sizeof(why), "%s%s%s (HTTP %ld),", r->what ? r->what : "",
		         r->what ? ": " : "",
		         fail->http_status == 503 ? "CA busy" : limited ? "CA rate limit" : "CA error",
		         fail->http_status);
	} else {
		return give_up(e, fail, NULL);
	}
	if (asked && at > r->deadline) {
		/* The CA knows when it will take us again: keep its time, so
		 * the next run can be scheduled for it, and stop now instead
		 * of sleeping past what this run may spend. */
		format_time(at, when, sizeof(when));
		give_up(e, fail, "; the CA asks to be tried again at %s, %s", when,
		        r->run_deadline ? "after this run's time limit (--timeout)"
		                        : "later than this client waits for one request");
		err_set_retry_at(e, at);
		return -1;
	}
	if (r->attempt >= cap)
		return give_up(e, fail, " (gave up after %d attempts)", r->attempt);
	if (asked) {
		ms = (long)(at - now) * 1000;
	} else {
		ms = RETRY_FIRST_MS;
		for (int i = 1; i < r->attempt && ms < RETRY_CAP_MS; i++)
			ms *= 2;
		if (ms > RETRY_CAP_MS)
			ms = RETRY_CAP_MS;
		ms = jitter(ms);
	}
	if (now + (ms + 999) / 1000 > r->deadline)
		return give_up(e, fail, " (no time left for another attempt before %s)",
		               r->run_deadline ? "this run's time limit, --timeout"
		                               : "this client gives up on one request");
	if (ms % 1000 == 0)
		snprintf(wait, sizeof(wait), "%ld s", ms / 1000);
	else
		snprintf(wait, sizeof(wait), "%.1f s", (double)ms / 1000.0);
	r->attempt++;
	if (r->log)
		log_msg(r->log, LVL_INFO, "%s retrying in %s (attempt %d of %d)", why, wait,
		        r->attempt, cap);
	return sleep_ms(ms, e);
}

int retry_request(struct retry *r, struct http_client *c, const char *method, const char *url,
                  const char *const *headers, struct http_response *resp, struct error *e)
{
	for (;;) {
		struct http_response hr = {0};
		struct error fail = {0};
		char *ra = NULL;
		int rc;

		struct http_opts opts = {.timeout_seconds = retry_time_left(r, c->timeout_seconds)};

		if (http_request(c, method, url, headers, NULL, 0, &opts, &hr, &fail) == 0) {
			if (!server_trouble(hr.status) && hr.status != 429) {
				*resp = hr;
				return 0;
			}
			ra = http_header(&hr, "Retry-After");
			err_set_acme(&fail, NULL, hr.status, "%s %s: the server answered HTTP %ld",
			             method, url, hr.status);
		}
		rc = retry_again(r, &fail, ra, true, e);
		free(ra);
		http_response_free(&hr);
		if (rc < 0)
			return -1;
	}
}
