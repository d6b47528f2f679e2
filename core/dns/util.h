/* Small helpers shared by the DNS client's files (transport, queries,
 * updates, propagation): optional logging, a monotonic clock, string
 * vectors and name normalisation. Private to core/dns/. */
#ifndef ACMEHOOK_DNS_UTIL_H
#define ACMEHOOK_DNS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/log.h"
#include "dns/client.h"
#include "dns/wire.h"

/* Log through LG when there is one: a client's log is optional. */
void dns_log(struct log *lg, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The seconds an exchange may take: TIMEOUT_S when positive, else the
 * client's, else 5. */
long dns_timeout(const struct dns_client *c, long timeout_s);

/* Milliseconds on the monotonic clock, for deadlines. */
long dns_now_ms(void);

/* Append a copy of S to the NULL-terminated vector *V of *N strings. -1 when
 * out of memory; *V stays a valid vector either way. */
int dns_strv_push(char ***v, size_t *n, const char *s);
bool dns_strv_has(char *const *v, const char *s);

/* *OUT (malloc'd): NAME lower-cased and without its final dot. A NAME that
 * is not a valid domain name is an EXIT_USAGE error calling it "invalid DNS
 * WHAT" ("name", "zone"). */
int dns_normal_name(const char *name, const char *what, char **out, struct error *e);
/* *OUT (malloc'd): the parent of NAME, lower case; NULL when NAME is a
 * top-level name (or not a name). -1 only when out of memory. */
int dns_parent_name(const char *name, char **out, struct error *e);

/* The owner name of RR in M, lower case, no final dot. */
int dns_rr_owner(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap);

#endif
