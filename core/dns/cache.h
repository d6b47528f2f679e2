/* Lookups a DNS client remembers for its life, which is one run: the zone
 * of a name (the SOA walk), the nameservers of a zone and where an alias
 * points. Within a run these do not change, and an order with many names
 * in one zone would otherwise ask the same questions once per name and
 * again for every update and propagation check. Failures are never
 * remembered, so a lookup that failed is tried again. Private to
 * core/dns/; the client owns its cache. Like the client, not for use by
 * two threads at once. */
#ifndef ACMEHOOK_DNS_CACHE_H
#define ACMEHOOK_DNS_CACHE_H

#include <stddef.h>

enum dns_cache_kind {
	DNS_CACHE_ZONE,           /* name -> its zone, asked of SERVER */
	DNS_CACHE_SERVERS,        /* zone -> its nameservers' "IP:PORT" */
	DNS_CACHE_ALIAS,          /* name -> the end of its CNAME/DNAME chain */
};

struct dns_cache;

/* NULL when out of memory: the client then works without one. */
struct dns_cache *dns_cache_new(void);
void dns_cache_free(struct dns_cache *c);

/* The values remembered for KIND, NAME and SERVER (NULL: the resolvers), a
 * NULL-terminated vector borrowed until the cache is freed; NULL when
 * nothing is remembered or C is NULL. NAME is compared as given: callers
 * pass normalised (lower-case, no final dot) names. */
char *const *dns_cache_get(const struct dns_cache *c, enum dns_cache_kind kind,
			   const char *name, const char *server);

/* Remember VALUES (copied) for KIND, NAME and SERVER. Remembering is an
 * optimisation: running out of memory leaves the cache as it was, and C may
 * be NULL. */
void dns_cache_put(struct dns_cache *c, enum dns_cache_kind kind, const char *name,
		   const char *server, char *const *values);

#endif
