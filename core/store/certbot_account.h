/* certbot's accounts, read in place: certbot keeps one directory per
 * account under the server's directory,
 *   CONFIG/accounts/SERVER/ID/{regr.json, meta.json, private_key.json}
 * with the account URL in regr.json's "uri" and the key as a JWK. A
 * renewal file written by certbot names its account by ID. Nothing here
 * writes: the account stays certbot's, usable by both programs. */
#ifndef ACMEHOOK_STORE_CERTBOT_ACCOUNT_H
#define ACMEHOOK_STORE_CERTBOT_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "base/err.h"

/* Whether ID can name an account directory: 1 to 64 of [A-Za-z0-9_-].
 * certbot's are 32 hex digits. */
bool certbot_account_id_valid(const char *id);

/* The account URL of regr.json's LEN bytes at TEXT: a JSON object whose
 * "uri" is an https URL of printable ASCII (at most 2000 bytes), and whose
 * "body", when present, is an object. *URL is malloc'd. */
int certbot_regr_parse(const char *text, size_t len, char **url, struct error *e);

/* Load account ID of the server directory SERVER_DIR: its key from
 * private_key.json (a JWK; refused when group or others may read it) and
 * its URL from regr.json. Outputs are set only on success; the caller
 * frees *KEY and *URL. */
int certbot_account_load(const char *server_dir, const char *id, EVP_PKEY **key, char **url,
                         struct error *e);

/* The one certbot account of SERVER_DIR: 1 with its ID in ID (CAP bytes),
 * 0 when there is none, -1 (a usage error) when there are several. */
int certbot_account_sole(const char *server_dir, char *id, size_t cap, struct error *e);

#endif
