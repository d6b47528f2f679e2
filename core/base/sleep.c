#include <time.h>

#include "base/sleep.h"

void sleep_fatal_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

int sleep_s(long seconds, struct error *e)
{
	return sleep_ms(seconds * 1000, e);
}

int sleep_ms(long ms, struct error *e)
{
	sigset_t set;
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	int sig;

	sleep_fatal_signals(&set);
	/* The signals are blocked, so sigtimedwait consumes one that arrives
	 * instead of letting it kill us before cleanup. When they are not
	 * blocked, a signal's default action ends the process as usual. */
	sig = sigtimedwait(&set, NULL, &ts);
	if (sig > 0)
		return err_set_kind(e, EXIT_OP, ERR_INTERRUPTED, "interrupted by signal %d; cleaning up",
		                    sig);
	return 0;
}
