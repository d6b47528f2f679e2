/* Waiting that stays responsive to the signals that end a run.
 *
 * The order flow blocks SIGINT, SIGTERM and SIGHUP while challenges are
 * out, so that cleanup always runs; a wait then has to take such a signal
 * itself instead of sleeping through it. Both the ACME and the DNS layers
 * wait, so this lives below them. */
#ifndef ACMEHOOK_BASE_SLEEP_H
#define ACMEHOOK_BASE_SLEEP_H

#include <signal.h>

#include "base/err.h"

/* The signals that end a run: SIGINT, SIGTERM and SIGHUP. */
void sleep_fatal_signals(sigset_t *set);

/* Wait MS milliseconds, returning early (with -1 and E set, kind
 * ERR_INTERRUPTED) when one of the fatal signals arrives while blocked. */
int sleep_ms(long ms, struct error *e);
/* The same in seconds. */
int sleep_s(long seconds, struct error *e);

#endif
