/* The DNS client: queries to chosen servers, zone-cut discovery and
 * CNAME/DNAME following. Signed UPDATEs are in dns/update.h, propagation
 * waits in dns/propagation.h.
 *
 * The wire format lives in dns/wire.h (pure, fuzzed); the client owns
 * sockets, timeouts and the checks that tie a reply to its query. Every
 * reply is read into a fixed-size buffer, so a hostile server cannot make
 * us allocate without bound.
 *
 * A dns_client is configuration, plus the lookups it remembers for its
 * life (dns/cache.h: zones, nameservers, aliases; one client serves one
 * run). One client may be shared by several users (plugin instances, say)
 * as long as they call it one at a time; a per-call timeout goes through
 * dns_query_opt instead of through the client. */
#ifndef ACMEHOOK_DNS_CLIENT_H
#define ACMEHOOK_DNS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct log;
struct dns_cache;

struct dns_client {
	struct log *log;          /* borrowed; may be NULL */
	char **resolvers;         /* owned, NULL-terminated "IP:PORT" strings */
	long timeout_seconds;     /* per exchange; default 5 */
	uint16_t ns_port;         /* port for nameservers found through NS records (53; tests use others) */
	struct dns_cache *cache;  /* owned; NULL: nothing is remembered */
};

/* RESOLVERS: "IP", "IP:PORT" or "[IPv6]:PORT" strings (NULL: the nameserver
 * lines of /etc/resolv.conf). The strings are copied. A bad address is an
 * EXIT_USAGE error naming it. NS_PORT 0 means 53. The client starts with an
 * empty cache, freed by dns_client_free. */
int dns_client_init(struct dns_client *c, const char *const *resolvers, uint16_t ns_port,
		    struct log *log, struct error *e);
void dns_client_free(struct dns_client *c);

struct dns_answer {
	int rcode;                /* full rcode */
	bool authoritative;       /* AA bit */
	size_t n;
	char **values;            /* owned; presentation RDATA of answer-section records of the asked
				   * type: TXT = strings concatenated (raw bytes, no quotes); names
				   * without final dot; SOA "mname rname serial refresh retry expire
				   * minimum"; A/AAAA text */
	char **owners;            /* owned; owner names (lower case, no final dot) */
	char *soa_owner;          /* owned; owner of an SOA in the authority section, if any (for zone finding) */
};
void dns_answer_free(struct dns_answer *a);

/* TYPE is "TXT","NS","SOA","CNAME","DNAME","A","AAAA". SERVER NULL: try the
 * resolvers in order. UDP with EDNS0 (4096), TCP fallback when truncated;
 * reply checks: ID, question, source address/port. NXDOMAIN, SERVFAIL and
 * REFUSED are not errors: rcode says it and the caller decides. Errors name
 * the server; a timeout is kind ERR_TIMEOUT, a socket or connection failure
 * ERR_NETWORK. *OUT is the caller's, freed with dns_answer_free. */
int dns_query(const struct dns_client *c, const char *server, const char *name, const char *type,
	      struct dns_answer *out, struct error *e);

/* dns_query with a timeout for this call only: TIMEOUT_SECONDS per
 * exchange, or the client's when <= 0 (dns_query passes 0). */
int dns_query_opt(const struct dns_client *c, const char *server, const char *name,
		  const char *type, long timeout_seconds, struct dns_answer *out, struct error *e);

/* Follow CNAME and DNAME from NAME (at most 16 steps; a loop is an error
 * naming it). *TARGET (malloc'd) is the final name (NAME itself when there is
 * no alias), lower case, no final dot. Asks the resolvers, once a client. */
int dns_follow(const struct dns_client *c, const char *name, char **target, struct error *e);

/* The zone containing NAME: SOA walk asked at SERVER (NULL: resolvers) —
 * query SOA for NAME; answer SOA owner = zone, else authority SOA owner, else
 * strip the leftmost label and retry. *ZONE is malloc'd. Remembered per
 * name and server for the client's life. */
int dns_zone_of(const struct dns_client *c, const char *name, const char *server, char **zone,
		struct error *e);

/* Authoritative nameservers of ZONE: NS lookup at the resolvers, then A/AAAA
 * of each NS name (at the resolvers), as "IP:PORT" strings with c->ns_port;
 * NULL-terminated, free with dns_strv_free. Error if none. Remembered per
 * zone for the client's life. */
int dns_zone_servers(const struct dns_client *c, const char *zone, char ***servers,
		     struct error *e);
void dns_strv_free(char **v);

/* "NOERROR", "NXDOMAIN", "BADSIG", ...; "RCODE<n>" style text for unknown
 * values is not possible with a static string, so those give "UNKNOWN". */
const char *dns_rcode_name(int rcode);

#endif
