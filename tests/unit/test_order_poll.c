/* The schedule of polls while the CA works: soon at first, doubling, at
 * most about one a second after the first few, never before the CA's
 * Retry-After, and a Retry-After beyond what one run follows capped. */
#include <time.h>

#include "acme/order_poll.h"
#include "check.h"

static void schedule(void)
{
	long total = 0, before_1s = 0;

	CHECK(order_poll_wait_ms(0, 0, 1000) == ORDER_POLL_FIRST_MS);
	CHECK(order_poll_wait_ms(0, 0, 1000) <= 50);
	for (long i = 1; i < 8; i++) {
		long prev = order_poll_wait_ms(i - 1, 0, 1000), ms = order_poll_wait_ms(i, 0, 1000);
		CHECK(ms == (prev * 2 < ORDER_POLL_CAP_MS ? prev * 2 : ORDER_POLL_CAP_MS));
	}
	/* Far along, and far beyond what a shift could hold. */
	CHECK(order_poll_wait_ms(40, 0, 1000) == ORDER_POLL_CAP_MS);
	CHECK(order_poll_wait_ms(1000000, 0, 1000) == ORDER_POLL_CAP_MS);
	/* A handful of polls in the first second; once a second has gone
	 * by, at least a second between two polls. */
	for (long i = 0; total < 60000; i++) {
		long ms = order_poll_wait_ms(i, 0, 1000);
		if (total >= 1000)
			CHECK(ms >= 1000);
		total += ms;
		if (total <= 1000)
			before_1s++;
	}
	CHECK(before_1s >= 3 && before_1s <= 8);
}

static void retry_after(void)
{
	/* The CA's time is a floor under the schedule... */
	CHECK(order_poll_wait_ms(0, 1005, 1000) == 5000);
	CHECK(order_poll_wait_ms(20, 1001, 1000) == ORDER_POLL_CAP_MS);
	/* ...a time already past changes nothing... */
	CHECK(order_poll_wait_ms(2, 1000, 1000) == ORDER_POLL_FIRST_MS * 4);
	CHECK(order_poll_wait_ms(2, 900, 1000) == ORDER_POLL_FIRST_MS * 4);
	/* ...and one past what a run follows is capped. */
	CHECK(order_poll_wait_ms(0, 1000 + 100000, 1000) == ORDER_POLL_RETRY_AFTER_MAX_S * 1000);
}

int main(void)
{
	schedule();
	retry_after();
	return check_done();
}
