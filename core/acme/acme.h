/* The ACME transport (RFC 8555 §6): the directory, signed POSTs with
 * nonce handling and badNonce retries, POST-as-GET, and problem documents
 * turned into one-line errors. */
#ifndef ACMEHOOK_ACME_H
#define ACMEHOOK_ACME_H

#include <stdbool.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "base/http.h"
#include "acme/nonce.h"
#include "acme/objects.h"

struct log;

/* What a new order does with authorizations the CA holds valid already
 * (acme/order_fresh.h). */
enum acme_fresh {
	ACME_FRESH_OFF = 0, /* take them: nothing to validate for their names */
	ACME_FRESH_TRY,     /* deactivate them and order again; warn if that fails */
	ACME_FRESH_REQUIRE, /* the same, and fail if that fails */
};

/* One CA as one order (or one thread) sees it. A view (acme_view) shares
 * the directory and the nonce pool of the struct acme it was made from,
 * read-only apart from the pool, which is safe for concurrent use; the
 * account and the fields below it are the view's own. */
struct acme {
	struct http_client *http; /* borrowed */
	struct log *log;          /* borrowed */
	char *dir_url;            /* owned, or borrowed by a view */
	cJSON *dir;               /* the directory object as the CA sent it; ditto */
	struct obj_directory d;   /* its validated fields; ditto */
	struct nonce_pool *nonces; /* owned, or borrowed by a view */
	bool view;                /* made by acme_view: the four above are borrowed */
	EVP_PKEY *key;            /* borrowed account key; NULL until known */
	char *kid;                /* account URL once known */
	long max_polls;           /* bound on every polling loop */
	time_t deadline;          /* absolute end of the run's waits; 0: none */
	const char *profile;      /* borrowed: newOrder's "profile", or NULL */
	const char *replaces;     /* borrowed: newOrder's "replaces" (RFC 9773 §5), or NULL */
	enum acme_fresh fresh;    /* reused authorizations in new orders */
};

struct acme_reply {
	long status;
	cJSON *json;              /* parsed body when it is JSON, else NULL; a JSON
	                           * body with a \u0000 in a string is refused */
	struct http_response http;
	char *location;           /* Location header, if any */
};

/* Fetch the directory at URL (retried as base/retry.h says, with no
 * deadline yet). */
int acme_open(struct acme *a, struct http_client *http, struct log *log, const char *url,
              struct error *e);
/* No retry wait of A may end later than SECONDS from now; when the CA asks
 * for a longer one the request fails at once with the CA's time in the
 * error's retry_at. 0 or less: no limit beyond base/retry.h's own. Call it
 * after acme_open. */
void acme_set_deadline(struct acme *a, long seconds);
void acme_close(struct acme *a);
/* V: a view of BASE (opened, and outliving V) that makes its requests
 * with HTTP and logs to LOG, with no account yet. acme_close frees only
 * what is the view's own. */
void acme_view(struct acme *v, const struct acme *base, struct http_client *http,
               struct log *log);
/* The URL of directory resource NAME ("newAccount", ...), or NULL. */
const char *acme_resource(const struct acme *a, const char *name);
bool acme_eab_required(const struct acme *a);
const char *acme_terms(const struct acme *a);

/* POST PAYLOAD (NULL: POST-as-GET) to URL signed with the account key and
 * kid. A badNonce is retried with a fresh nonce, a busy or failing CA and
 * a lost connection as base/retry.h says; a problem document becomes an
 * error naming WHAT, the problem type and its detail. A POST-as-GET and a
 * challenge answer ("{}") are sent again after a reset or a timeout; any
 * other payload is not (the CA may have acted on it) unless nothing of it
 * was sent, and such a failure comes back with kind ERR_NETWORK or
 * ERR_TIMEOUT for the caller to recover from. */
int acme_post(struct acme *a, const char *what, const char *url, const char *payload,
              struct acme_reply *out, struct error *e);
/* The same, signed with KEY and its JWK instead of the account's kid (new
 * accounts, revocation by certificate key). */
int acme_post_jwk(struct acme *a, EVP_PKEY *key, const char *what, const char *url,
                  const char *payload, struct acme_reply *out, struct error *e);
void acme_reply_free(struct acme_reply *r);

/* Seconds the server asked us to wait (Retry-After), clamped to [1, 60];
 * DEFAULT_S when absent. */
long acme_retry_after(const struct acme_reply *r, long default_s);

/* The problem type of a failed reply, e.g. "unauthorized" (the
 * urn:ietf:params:acme:error: prefix removed), or NULL. */
const char *acme_problem_type(const cJSON *problem);
/* Format a problem document into DST: "TYPE: DETAIL" plus subproblems. */
void acme_problem_text(const cJSON *problem, char *dst, size_t cap);

#endif
