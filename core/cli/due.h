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
struct settings;
struct lineage_status;
struct lineage_facts;

/* Without renewal information: due when less than a third of the
 * lifetime from NOT_BEFORE to NOT_AFTER is left at NOW, or less than half
 * for lifetimes of 10 days or less, which leaves short-lived
 * certificates room for a failed attempt or two. */
bool due_by_lifetime(time_t not_before, time_t not_after, time_t now);

/* The renewal information identifier of NAME's live certificate
 * (malloc'd), or NULL when it cannot be read or has no authority key
 * identifier. */
char *due_live_cert_id(struct engine *eng, const char *name);

/* Whether lineage NAME, whose effective settings are S, is due: when its
 * names changed, when the live certificate is unreadable, within the
 * renewal window its CA suggests, or, when it suggests none, when too
 * little of the lifetime is left. WHY (CAP bytes) says which. Records
 * what it learnt in NAME's status (status_write_facts) when the record
 * lacked it or was stale; the caller holds NAME's lock. */
bool due_lineage(struct engine *eng, const char *name, const struct settings *s, char *why,
                 size_t cap);

/* The light path of renew: true when NAME's status record alone shows it
 * is not due, with WHY (CAP bytes) saying until when. It reads the record
 * and the identities of two files (the live certificate and the renewal
 * file), parses neither, and asks nobody. False whenever that is not
 * certain: no record or a stale, malformed or disagreeing one, a deploy
 * pending, a renewal window or the CA's lack of one to ask about again, a
 * command line that changes the decision (--server, --force-renewal);
 * the caller then takes the full path. Not for dry runs, which treat
 * every lineage as due. What an interrupted run left behind is tidied by
 * the next run that takes the full path; an issuance interrupted after
 * its record was written leaves one about a version live/ does not
 * serve, which sends the next run there. */
bool due_settled(struct engine *eng, const char *name, char *why, size_t cap);

/* The facts of CERT, version VERSION of lineage NAME, into *F. With S,
 * NAME's effective settings, also its profile and, when this run's
 * command line leaves the renewal file's decision alone and that file
 * does not force renewals, the "renewal" facts. Release with status_facts_free. */
int due_facts_of(struct engine *eng, const char *name, const struct settings *s, X509 *cert,
                 int version, struct lineage_facts *f, struct error *e);

/* Whether the facts F describe what live/NAME serves now: its version,
 * and that version's certificate file unchanged. */
bool due_facts_live(struct engine *eng, const char *name, const struct lineage_facts *f);

/* When the next renew acts on a lineage with record ST and facts F (valid
 * ones), at NOW: the time, and in WHY (CAP bytes) the reason, one of
 * "renewal window" (the CA's, RFC 9773), "lifetime" (a third, or half, of
 * it left), "retry-after" (the CA asked to wait). KIND gets that word. */
time_t due_next_renewal(const struct lineage_status *st, const struct lineage_facts *f,
                        time_t now, const char **kind, char *why, size_t cap);

/* How long renew pauses a lineage after FAILURES failed attempts in a
 * row, in seconds: none after one (the next timer run retries), then an
 * hour, doubling up to a day, so a broken lineage does not hit the CA on
 * every run of an hourly cron job (CAs limit failed validations per
 * hour) while a fixed one is renewed within a day. */
time_t due_backoff(int failures);

#endif
