/* ACME Renewal Information (RFC 9773): a certificate's identifier, the
 * renewal window the CA suggests for it, and when to ask again. The
 * parser is pure; ari_fetch does the one unauthenticated GET. Strings
 * in struct ari_window are owned by it and freed with ari_window_free,
 * which accepts NULL and a zeroed struct; outputs are written only on
 * success. */
#ifndef ACMEHOOK_ACME_ARI_H
#define ACMEHOOK_ACME_ARI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/err.h"

struct acme;

struct ari_window {
	time_t start, end;        /* suggestedWindow; start <= end */
	char *explanation;        /* explanationURL, or NULL */
	time_t next_check;        /* from Retry-After; 0 when the CA named none */
};

/* An RFC 3339 date-time such as "2026-01-02T03:04:05Z" or with a
 * fraction and a numeric offset, into *OUT (seconds since the epoch). */
int ari_time_parse(const char *text, time_t *out);

/* The renewalInfo answer TEXT (LEN bytes) from URL. A body that is not
 * JSON, a window without both dates, or one that ends before it starts
 * is an error naming URL and the fault. */
int ari_window_parse(const char *text, size_t len, const char *url, struct ari_window *out,
                     struct error *e);

/* Whether W says to renew at NOW. RANDOM (any value) picks the moment
 * inside the window, as RFC 9773 §4.2 asks, so that clients spread out:
 * due once that moment has passed, and always once the window has
 * started and that moment is behind; never before the window. *AT gets
 * the chosen moment. */
bool ari_window_due(const struct ari_window *w, time_t now, unsigned long random, time_t *at);

/* GET A's renewalInfo/CERT_ID. The Retry-After of the answer becomes
 * OUT->next_check. A CA without renewalInfo is an EXIT_OP error;
 * callers check acme_resource(A, "renewalInfo") first. */
int ari_fetch(struct acme *a, const char *cert_id, struct ari_window *out, struct error *e);

void ari_window_free(struct ari_window *w);

#endif
