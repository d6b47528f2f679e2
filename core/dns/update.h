/* RFC 2136 UPDATEs of TXT records, signed with TSIG (RFC 8945): what
 * dns-01 plugins use to place and remove their challenge records, one
 * record or every record of one zone in one message. */
#ifndef ACMEHOOK_DNS_UPDATE_H
#define ACMEHOOK_DNS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "dns/client.h"

struct dns_update_req {
	const char *server;       /* "IP", "IP:PORT", "[IPv6]:PORT" (53 by default) */
	const char *zone;         /* NULL: dns_zone_of(name) at server */
	const char *name;         /* owner of the TXT record */
	const char *txt;          /* the value (<= 255 bytes: one character-string) */
	/* Several records in one message instead of NAME and TXT, when N > 0:
	 * NAMES[i] gets (or loses) TXTS[i]. All must lie in one zone (found from
	 * NAMES[0] when ZONE is NULL). */
	const char *const *names;
	const char *const *txts;
	size_t n;
	uint32_t ttl;             /* 0: 60 */
	bool add;                 /* true: add this RR; false: delete exactly this RR (class NONE), never the whole RRset */
	const char *key_name;     /* NULL: unsigned */
	const char *key_alg;      /* NULL or "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"
				   * (case-insensitive, a trailing "." accepted: certbot writes "HMAC-SHA512.") */
	const char *key_secret;   /* base64 */
	long timeout_seconds;     /* 0: c->timeout_seconds */
};

/* Send the UPDATE (one message, whatever N) over TCP, TSIG-signed when
 * key_name is set; verify the signed reply. The server applies all of its
 * records or none (RFC 2136 §3.7). Errors name the rcode (REFUSED, NOTAUTH, NOTZONE, BADKEY,
 * BADSIG, BADTIME, SERVFAIL, ...) with the zone and server, e.g. "DNS UPDATE
 * of _acme-challenge.a.example in zone a.example at 127.0.0.1:5300 refused:
 * NOTAUTH (BADKEY)"; a timeout is kind ERR_TIMEOUT, a connection failure
 * ERR_NETWORK. The secret never reaches a log line or an error; the caller
 * registers it with log_add_secret. All strings of U are borrowed. */
int dns_update_txt(const struct dns_client *c, const struct dns_update_req *u, struct error *e);

#endif
