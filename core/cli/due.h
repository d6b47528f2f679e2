/* When a lineage is due for renewal: by the renewal window its CA
 * suggests (ACME Renewal Information, RFC 9773) when the CA offers one,
 * and otherwise by how much of the certificate's lifetime is left. */
#ifndef ACMEHOOK_CLI_DUE_H
#define ACMEHOOK_CLI_DUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

struct engine;

/* Without renewal information: due when less than a third of the
 * lifetime from NOT_BEFORE to NOT_AFTER is left at NOW, or less than half
 * for lifetimes of 10 days or less, which leaves short-lived
 * certificates room for a failed attempt or two. */
bool due_by_lifetime(time_t not_before, time_t not_after, time_t now);

/* The renewal information identifier of NAME's live certificate
 * (malloc'd), or NULL when it cannot be read or has no authority key
 * identifier. */
char *due_live_cert_id(struct engine *eng, const char *name);

/* Ask the CA whose directory is SERVER for the renewal window of CERT, NAME's live
 * certificate (borrowed), unless a window it suggested is recorded and
 * the CA asked not to be asked again yet. Returns true with *DUE and WHY
 * (CAP bytes) set when there is a window; false when the CA offers no
 * renewal information or its answer is unusable (logged as a warning),
 * and the caller then judges by due_by_lifetime. */
bool due_by_window(struct engine *eng, const char *server, const char *name, X509 *cert,
                   bool *due, char *why, size_t cap);

#endif
