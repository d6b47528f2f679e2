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
 *    "next_attempt": 1767312000}
 * "next_attempt" is the time the CA asked not to be contacted before;
 * "last_problem" and "last_error" belong to a failed attempt only, and
 * are absent otherwise, as is "next_attempt" when the CA named no time.
 * The renewal window the CA last suggested (RFC 9773) is recorded by
 * status_write_ari:
 *   {"ari_start": 1767225600, "ari_end": 1767398400,
 *    "ari_next_check": 1767247200}
 * "ari_next_check" is when the CA asked to be asked again (its
 * Retry-After), absent when it named no time.
 * Keys this code does not
 * know are kept when the record is rewritten, so the format grows by
 * adding keys. */
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
	time_t next_attempt;   /* not before this time, the CA asked; 0: no wait */
	time_t ari_start, ari_end; /* the last renewal window suggested; 0: none */
	time_t ari_next_check; /* ask for the window again from then; 0: any time */
};

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
