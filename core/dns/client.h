/* DNS transport and logic: queries to chosen servers, zone-cut discovery,
 * CNAME/DNAME following, RFC 2136 UPDATE with TSIG, and propagation waits.
 *
 * The wire format lives in dns.h (pure, fuzzed); this module owns sockets,
 * timeouts and the checks that tie a reply to its query. Every reply is read
 * into a fixed-size buffer, so a hostile server cannot make us allocate
 * without bound.
 */
#ifndef ACMEHOOK_DNS_CLIENT_H
#define ACMEHOOK_DNS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct log;

struct dns_client {
	struct log *log;          /* borrowed; may be NULL */
	char **resolvers;         /* owned, NULL-terminated "IP:PORT" strings */
	long timeout_seconds;     /* per exchange; default 5 */
	uint16_t ns_port;         /* port for nameservers found through NS records (53; tests use others) */
};

/* RESOLVERS: "IP", "IP:PORT" or "[IPv6]:PORT" strings (NULL: the nameserver
 * lines of /etc/resolv.conf). The strings are copied. A bad address is an
 * EXIT_USAGE error naming it. NS_PORT 0 means 53. */
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
 * reply checks: ID, question, source address/port; timeouts → error naming
 * the server. NXDOMAIN, SERVFAIL and REFUSED are not errors: rcode says it
 * and the caller decides. */
int dns_query(struct dns_client *c, const char *server, const char *name, const char *type,
	      struct dns_answer *out, struct error *e);
int dns_query_opt(struct dns_client *c, const char *server, const char *name, const char *type, long timeout_seconds, struct dns_answer *out, struct error *e); /* timeout_seconds <= 0: the client's default; never changes c */

/* Follow CNAME and DNAME from NAME (at most 16 steps; a loop is an error
 * naming it). *TARGET (malloc'd) is the final name (NAME itself when there is
 * no alias), lower case, no final dot. Asks the resolvers. */
int dns_follow(struct dns_client *c, const char *name, char **target, struct error *e);

/* The zone containing NAME: SOA walk asked at SERVER (NULL: resolvers) —
 * query SOA for NAME; answer SOA owner = zone, else authority SOA owner, else
 * strip the leftmost label and retry. *ZONE is malloc'd. */
int dns_zone_of(struct dns_client *c, const char *name, const char *server, char **zone,
		struct error *e);

/* Authoritative nameservers of ZONE: NS lookup at the resolvers, then A/AAAA
 * of each NS name (at the resolvers), as "IP:PORT" strings with c->ns_port;
 * NULL-terminated, free with dns_strv_free. Error if none. */
int dns_zone_servers(struct dns_client *c, const char *zone, char ***servers, struct error *e);
void dns_strv_free(char **v);

struct dns_update_req {
	const char *server;       /* "IP", "IP:PORT", "[IPv6]:PORT" (53 by default) */
	const char *zone;         /* NULL: dns_zone_of(name) at server */
	const char *name;         /* owner of the TXT record */
	const char *txt;          /* the value (<= 255 bytes: one character-string) */
	uint32_t ttl;             /* 0: 60 */
	bool add;                 /* true: add this RR; false: delete exactly this RR (class NONE), never the whole RRset */
	const char *key_name;     /* NULL: unsigned */
	const char *key_alg;      /* NULL or "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"
				   * (case-insensitive, a trailing "." accepted: certbot writes "HMAC-SHA512.") */
	const char *key_secret;   /* base64 */
	long timeout_seconds;     /* 0: c->timeout_seconds */
};

/* Send the UPDATE over TCP, TSIG-signed when key_name is set; verify the
 * signed reply. Errors name the rcode (REFUSED, NOTAUTH, NOTZONE, BADKEY,
 * BADSIG, BADTIME, SERVFAIL, ...) with the zone and server, e.g. "DNS UPDATE
 * of _acme-challenge.a.example in zone a.example at 127.0.0.1:5300 refused:
 * NOTAUTH (BADKEY)". The secret never reaches a log line or an error; the
 * caller registers it with log_add_secret. */
int dns_update_txt(struct dns_client *c, const struct dns_update_req *u, struct error *e);

enum dns_propagation { DNS_PROP_AUTHORITATIVE, DNS_PROP_RESOLVERS, DNS_PROP_NONE };

struct dns_propagation_cfg {
	enum dns_propagation mode;
	long timeout_seconds;     /* default 120 (when <= 0) */
	long interval_seconds;    /* default 2 (when <= 0) */
	long fixed_seconds;       /* DNS_PROP_NONE: just wait this long (certbot's --dns-propagation-seconds) */
};

struct dns_expect {
	const char *name;
	const char *zone;         /* may be NULL: found with dns_zone_of */
	const char *value;
};

/* Wait until every expectation's TXT value is served: AUTHORITATIVE = by
 * every authoritative nameserver of its zone (dns_zone_servers); RESOLVERS =
 * by every resolver of c. One wait for all items. While waiting, logs
 * (LVL_INFO) which servers still lag for which names, at most once per ~10 s;
 * on timeout, the error names the lagging server(s) and names. Sleeps go
 * through sleep_s (base/sleep.h), so SIGTERM interrupts. */
int dns_wait_propagation(struct dns_client *c, const struct dns_propagation_cfg *cfg,
			 const struct dns_expect *items, size_t n, struct error *e);

/* Wait until none of the servers serves VALUE at NAME any more (used by
 * tests and the script test kit); same semantics. */
int dns_wait_gone(struct dns_client *c, const struct dns_propagation_cfg *cfg,
		  const struct dns_expect *items, size_t n, struct error *e);

/* "NOERROR", "NXDOMAIN", "BADSIG", ...; "RCODE<n>" style text for unknown
 * values is not possible with a static string, so those give "UNKNOWN". */
const char *dns_rcode_name(int rcode);

#endif
