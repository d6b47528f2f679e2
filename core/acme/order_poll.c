#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "acme/order_poll.h"
#include "base/log.h"
#include "base/retry.h"
#include "base/sleep.h"

time_t order_poll_retry_at(const struct acme_reply *r)
{
	char *ra = r ? http_header(&r->http, "Retry-After") : NULL;
	time_t at = 0;

	if (ra && retry_after_parse(ra, time(NULL), &at) < 0)
		at = 0;
	free(ra);
	return at;
}

long order_poll_wait_ms(long i, time_t at, time_t now)
{
	long ms = i < 16 ? ORDER_POLL_FIRST_MS << i : ORDER_POLL_CAP_MS;

	if (ms > ORDER_POLL_CAP_MS)
		ms = ORDER_POLL_CAP_MS;
	/* The CA's time comes first, however long: a client that polls
	 * before it gains nothing and costs the CA a request. */
	if (at > now) {
		long ra = at - now > ORDER_POLL_RETRY_AFTER_MAX_S ? ORDER_POLL_RETRY_AFTER_MAX_S
		                                                  : (long)(at - now);
		if (ra * 1000 > ms)
			ms = ra * 1000;
	}
	return ms;
}

/* E says the run's deadline comes before the next poll of URL (still ST)
 * may go out; AT is when the CA asked to be asked again, if it did. */
static int past_deadline(const struct acme *a, const char *what, const char *url,
                         enum obj_status st, time_t at, struct error *e)
{
	char when[80] = "";
	struct tm tm;

	if (at > a->deadline && gmtime_r(&at, &tm))
		strftime(when, sizeof(when), "; the CA asks to be tried again at %Y-%m-%d %H:%M:%S UTC",
		         &tm);
	err_set_kind(e, EXIT_OP, ERR_TIMEOUT,
	             "%s: %s is still %s at this run's time limit (--timeout)%s", what, url,
	             obj_status_name(st), when);
	if (at > a->deadline)
		err_set_retry_at(e, at);
	return -1;
}

static bool is_waiting(const enum obj_status *waiting, enum obj_status st)
{
	for (size_t k = 0; waiting[k] != OBJ_ST_NONE; k++)
		if (st == waiting[k])
			return true;
	return false;
}

int order_poll(struct acme *a, const char *what, const char *kind, const char *url,
               const enum obj_status *waiting, time_t at, struct acme_reply *out,
               enum obj_status *st, struct error *e)
{
	for (long i = 0; i < a->max_polls; i++) {
		struct acme_reply r = {0};
		time_t now = time(NULL);
		long ms = order_poll_wait_ms(i, at, now);

		/* The run's deadline (--timeout) bounds every wait: give up
		 * now rather than sleep past it, and say when the CA would
		 * have us come back. */
		if (a->deadline && (now + (ms + 999) / 1000 > a->deadline || at > a->deadline))
			return past_deadline(a, what, url, *st, at, e);
		if (a->log)
			log_msg(a->log, LVL_DEBUG, "%s: %s is %s; asking again in %ld ms", what, url,
			        obj_status_name(*st), ms);
		if (sleep_ms(ms, e) < 0)
			return -1;
		if (acme_post(a, what, url, NULL, &r, e) < 0)
			return -1;
		if (obj_status_of(r.json, kind, url, st, e) < 0) {
			acme_reply_free(&r);
			return -1;
		}
		if (!is_waiting(waiting, *st)) {
			*out = r;
			return 0;
		}
		at = order_poll_retry_at(&r);
		acme_reply_free(&r);
	}
	return err_set(e, EXIT_OP, "%s: still not done after %ld polls of %s", what, a->max_polls,
	               url);
}
