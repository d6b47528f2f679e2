/* Waiting for DNS changes to be visible (or gone) before the CA looks:
 * one wait per order, for all of its TXT records at once. */
#ifndef ACMEHOOK_DNS_PROPAGATION_H
#define ACMEHOOK_DNS_PROPAGATION_H

#include <stddef.h>

#include "base/err.h"
#include "dns/client.h"

enum dns_propagation { DNS_PROP_AUTHORITATIVE, DNS_PROP_RESOLVERS, DNS_PROP_NONE };

struct dns_propagation_cfg {
	enum dns_propagation mode;
	long timeout_seconds;     /* default 120 (when <= 0) */
	long interval_seconds;    /* default 2 (when <= 0) */
	long fixed_seconds;       /* DNS_PROP_NONE: just wait this long (certbot's --dns-propagation-seconds) */
};

struct dns_expect {
	const char *name;         /* borrowed, as are the others */
	const char *zone;         /* may be NULL: found with dns_zone_of */
	const char *value;
};

/* Wait until every expectation's TXT value is served: AUTHORITATIVE = by
 * every authoritative nameserver of its zone (dns_zone_servers); RESOLVERS =
 * by every resolver of c. One wait for all items. While waiting, logs
 * (LVL_INFO) which servers still lag for which names, at most once per ~10 s;
 * on timeout, the error (kind ERR_TIMEOUT) names the lagging server(s) and
 * names. Sleeps go through sleep_s (base/sleep.h), so SIGTERM interrupts
 * (kind ERR_INTERRUPTED). */
int dns_wait_propagation(const struct dns_client *c, const struct dns_propagation_cfg *cfg,
			 const struct dns_expect *items, size_t n, struct error *e);

/* Wait until none of the servers serves VALUE at NAME any more (used by
 * tests and the script test kit); same semantics. */
int dns_wait_gone(const struct dns_client *c, const struct dns_propagation_cfg *cfg,
		  const struct dns_expect *items, size_t n, struct error *e);

#endif
