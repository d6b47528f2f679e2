/* The record of an order in flight, kept in the work dir so that a run cut
 * short (a crash, a signal, a lost connection) resumes the order instead
 * of placing another one:
 *   WORK/orders/NAME.json     {"server": directory URL, "account": account
 *                              URL, "order": order URL, "identifiers":
 *                              [sorted lower-case names], "created": unix time}
 *   WORK/orders/NAME.key.pem  the certificate key the order's CSR is made of
 * Both are written 0600 in a 0700 directory, the key first, so a record
 * never names a key that is not there yet. The caller holds the lineage's
 * lock (store/lock.h) for every call that names a lineage. */
#ifndef ACMEHOOK_STORE_ORDERS_H
#define ACMEHOOK_STORE_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/err.h"

struct store;

/* Orders older than this are not resumed: CAs expire pending orders within
 * days (Let's Encrypt: 7), and a valid order that old would install a
 * certificate already part-way through its life. */
#define STORE_ORDER_MAX_AGE (7L * 24 * 3600)

struct order_record {
	char *server;         /* directory URL */
	char *account;        /* account URL (kid) */
	char *order;          /* order URL */
	char **identifiers;   /* sorted, lower-case; N_IDENTIFIERS entries */
	size_t n_identifiers;
	long long created;    /* unix time */
};

/* Free what R owns and zero it; NULL is fine. */
void store_order_free(struct order_record *r);

/* Fill *OUT with SERVER, ACCOUNT, ORDER, the N NAMES (copied, lower-cased
 * and sorted) and CREATED; all arguments are borrowed. */
int store_order_make(const char *server, const char *account, const char *order,
                     const char *const *names, size_t n, time_t created,
                     struct order_record *out, struct error *e);

/* The record as JSON text (malloc'd), or NULL when memory runs out. */
char *store_order_format(const struct order_record *r);
/* Parse TEXT into *OUT (written only on success). A record that is not the
 * format above (a missing or mistyped member, a URL that is not https,
 * unsorted or empty names) is refused with a message in E. */
int store_order_parse(const char *text, struct order_record *out, struct error *e);

/* True when R is for SERVER, ACCOUNT and exactly the N NAMES (compared
 * case-insensitively as a set) and is younger than STORE_ORDER_MAX_AGE at
 * NOW. */
bool store_order_matches(const struct order_record *r, const char *server, const char *account,
                         const char *const *names, size_t n, time_t now);

/* The path of NAME's recorded certificate key. Returns 0, or -1 when DST
 * (CAP bytes) is too small. */
int store_order_key_path(const struct store *s, const char *name, char *dst, size_t cap);

/* Record R for lineage NAME with the certificate key KEY_PEM. */
int store_order_save(const struct store *s, const char *name, const struct order_record *r,
                     const char *key_pem, struct error *e);
/* Load NAME's record into *OUT. Returns 1 when there is a usable one (its
 * key file is there too), 0 when there is none. A record that cannot be
 * read or parsed, or that has no key, is removed with its key and 0 is
 * returned with the reason in WHY (CAP bytes; "" when there was simply
 * none): a broken record costs one order, never a failed run. */
int store_order_load(const struct store *s, const char *name, struct order_record *out,
                     char *why, size_t cap);
/* Remove NAME's record, its key, and temporaries an interrupted write of
 * either left. Failures are ignored: what stays is discarded by the next
 * load. */
void store_order_remove(const struct store *s, const char *name);

#endif
