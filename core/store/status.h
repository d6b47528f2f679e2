/* A lineage's status record: CONFIG/status/NAME.json, what the store
 * knows about a lineage beyond its files, such as a deploy that has not
 * succeeded yet. A JSON object, written atomically:
 *   {"version": 3, "deploy_pending": true, "deploy_error": "...",
 *    "issuer_changed": false, "updated": 1767225600}
 * "version" is the archive version the record is about; a record about
 * another version than live/ serves is stale. The last attempt to issue
 * the lineage is recorded apart (status_write_attempt):
 *   {"last_attempt": 1767225600, "last_outcome": "failed",
 *    "last_problem": "rateLimited", "last_error": "...",
 *    "next_attempt": 1767312000, "failures": 3, "backoff": true}
 * "next_attempt" is the time not to try again before: the time the CA
 * asked for, or, with "backoff", the end of the pause that renew takes
 * after failures in a row. "failures" counts the failed attempts since
 * the last success. "last_problem", "last_error", "failures" and
 * "backoff" belong to a failed attempt only, and are absent otherwise,
 * as is "next_attempt" when there is no time to wait for.
 * The renewal window the CA last suggested (RFC 9773) is recorded by
 * status_write_ari:
 *   {"ari_start": 1767225600, "ari_end": 1767398400,
 *    "ari_next_check": 1767247200}
 * "ari_next_check" is when the CA asked to be asked again (its
 * Retry-After), absent when it named no time.
 * What renew and certificates need to know about the live certificate,
 * so that a run with nothing due parses no certificate, is recorded by
 * status_write_facts:
 *   {"cert": {"version": 3, "names": ["example.com", "www.example.com"],
 *             "key_type": "ECDSA P-256", "issuer": "R11", "profile": "classic",
 *             "not_before": 1767225600, "not_after": 1775001600,
 *             "serial": "3a1f...", "ari_id": "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
 *             "file": "2049:131077:1233:1767225601.123456789"},
 *    "renewal": {"file": "2049:131080:702:1767225601.2", "server": "https://...",
 *                "no_ari_until": 1767312000}}
 * "cert.version" is the archive version the facts describe and
 * "cert.file" the identity of that certificate file (device, inode, size
 * and change time): facts whose version or file is not what live/ serves
 * are stale. "renewal" holds what the due decision takes from the renewal
 * file, valid while the file's identity is "renewal.file": its server,
 * and until when that server is known to offer no renewal information
 * (absent: ask). It is absent when the decision needs the renewal file
 * parsed (its names differ from the certificate's, say).
 * Keys this code does not know are kept when the record is rewritten, so
 * the format grows by adding keys. */
#ifndef ACMEHOOK_STORE_STATUS_H
#define ACMEHOOK_STORE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/err.h"

struct store;

struct lineage_status {
	int version;           /* 0: no record */
	bool deploy_pending;   /* the deploy steps of VERSION have not all succeeded */
	bool issuer_changed;   /* what the deploy steps are told when retried */
	char deploy_error[512];/* the last deploy failure, "" when none */
	time_t updated;        /* when the record was written */
	time_t last_attempt;   /* when the lineage was last attempted; 0: never */
	char last_outcome[32]; /* "issued", "renewed" or "failed"; "" when never */
	char last_problem[64]; /* the ACME problem type of the failure, "" when none */
	char last_error[512];  /* the failure's one-line message, "" when none */
	time_t next_attempt;   /* not before this time; 0: no wait */
	int failures;          /* failed attempts in a row; 0 after a success */
	bool backoff;          /* next_attempt is renew's own pause, not the CA's */
	time_t ari_start, ari_end; /* the last renewal window suggested; 0: none */
	time_t ari_next_check; /* ask for the window again from then; 0: any time */
};

#define STATUS_MARK_MAX 96 /* a file identity: "dev:ino:size:sec.nsec" */

/* The facts of a lineage's live certificate (the "cert" and "renewal"
 * keys above). */
struct lineage_facts {
	int version;             /* the archive version described; 0: no valid facts */
	char **names;            /* the certificate's DNS names, NULL-terminated; owned */
	char key_type[64];       /* as crypto_key_describe says it */
	char issuer[256];        /* the issuer's CN, or its O when it has no CN */
	char profile[64];        /* the profile it was ordered with; "" none */
	char serial[130];        /* lower-case hex */
	char ari_id[256];        /* RFC 9773 certID; "" when it has none */
	time_t not_before, not_after;
	char cert_mark[STATUS_MARK_MAX];    /* status_file_mark of the certificate */
	char renewal_mark[STATUS_MARK_MAX]; /* of the renewal file; "" no "renewal" key */
	char server[1024];       /* the renewal file's server */
	time_t no_ari_until;     /* SERVER offers no renewal information until then; 0: ask */
};
void status_facts_free(struct lineage_facts *f);

/* Parse the record TEXT into *ST and, when F is not NULL, its facts into
 * *F (version 0 when they are absent or malformed: a record whose facts
 * cannot be used is repaired, never trusted). A TEXT that is not a JSON
 * object, or whose "version" is not a version number, is an error naming
 * ORIGIN. Outputs are written only on success. */
int status_parse(const char *text, const char *origin, struct lineage_status *st,
                 struct lineage_facts *f, struct error *e);
/* A record holding ST and F (either may be NULL) as status_write,
 * status_write_attempt, status_write_ari and status_write_facts write it
 * (malloc'd); NULL when out of memory. */
char *status_format(const struct lineage_status *st, const struct lineage_facts *f);

/* The identity of the file PATH (following links) into DST: its device,
 * inode, size and change time, which any write, rename over, chmod or
 * chown changes. -1 when it cannot be stat'ed. */
int status_file_mark(const char *path, char *dst, size_t cap);

/* NAME's record and its facts, as status_read; a record that is missing
 * gives version 0 in both. F is released with status_facts_free. */
int status_read_all(const struct store *s, const char *name, struct lineage_status *st,
                    struct lineage_facts *f, struct error *e);
/* Record the facts F of NAME ("renewal" removed when F->renewal_mark is
 * empty); everything else is kept. A record that is not a JSON object is
 * replaced by one holding only F: it held nothing usable. */
int status_write_facts(const struct store *s, const char *name, const struct lineage_facts *f,
                       struct error *e);

/* Record a new version of NAME: the deploy fields of ST, as
 * status_write, and the facts F, as status_write_facts, in one write. */
int status_write_issued(const struct store *s, const char *name, const struct lineage_status *st,
                        const struct lineage_facts *f, struct error *e);

/* Record the end of an attempt that made a version of NAME live, in one
 * write: the deploy fields of ST as status_write, its attempt fields as
 * status_write_attempt, and, when F is not NULL, the facts F as
 * status_write_facts. */
int status_write_done(const struct store *s, const char *name, const struct lineage_status *st,
                      const struct lineage_facts *f, struct error *e);

/* Read NAME's record into *OUT; a missing record gives version 0 and
 * returns 0. A record that is not the JSON above is an error. */
int status_read(const struct store *s, const char *name, struct lineage_status *out,
                struct error *e);
/* Write NAME's record from ST (its UPDATED is set to now); other keys of
 * the record on disk are kept. */
int status_write(const struct store *s, const char *name, const struct lineage_status *st,
                 struct error *e);
/* Record an attempt of NAME from ST: its last_* fields and next_attempt
 * replace those on disk (empty or 0 ones are removed); everything else in
 * the record is kept, and a record is created when there is none. */
int status_write_attempt(const struct store *s, const char *name,
                         const struct lineage_status *st, struct error *e);
/* Record the renewal window of ST (ari_start, ari_end, ari_next_check;
 * a 0 ari_next_check is removed); everything else is kept. */
int status_write_ari(const struct store *s, const char *name, const struct lineage_status *st,
                     struct error *e);
/* CONFIG/status/NAME.json into DST (CAP bytes); -1 when too small. */
int status_path(const struct store *s, const char *name, char *dst, size_t cap);

#endif
