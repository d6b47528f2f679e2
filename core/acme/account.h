/* ACME accounts (RFC 8555 §7.3): reuse the stored account for a server,
 * find it by key when only the key survived, or create it, with External
 * Account Binding when the CA requires it. Nothing is written unless the
 * CA accepted the account. */
#ifndef ACMEHOOK_ACCT_H
#define ACMEHOOK_ACCT_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base/err.h"

struct acme;
struct store;
struct log;

struct acct_params {
	const char *email;            /* may be NULL */
	int agree_tos;
	const char *eab_kid;          /* NULL: no EAB */
	const unsigned char *eab_key; /* decoded HMAC key */
	size_t eab_key_len;
	const char *eab_alg;          /* HS256, HS384, HS512 */
	const char *key_type;         /* new accounts: ec256, ec384, rsa2048, rsa3072, rsa4096 */
	int interactive;              /* may ask on the terminal (no -n, stdin a tty) */
	const char *account_id;       /* --account or a renewal file's "account": one of
	                               * acmehook's accounts (acct_list's ids), or certbot's
	                               * CONFIG/accounts/SERVER/ID; NULL: the only one */
};

/* The directory holding the account of the server at DIR_URL:
 * CONFIG/accounts/HOST[:PORT]/PATH, each part reduced to safe characters. */
int acct_dir(const struct store *s, const char *dir_url, char *dst, size_t cap, struct error *e);

/* Load or create the account for A's server (with P->account_id: load
 * that certbot account, never create one); on success A->key and A->kid
 * are set (A owns the key through *KEY_OUT, which the caller frees).
 * Creation holds the account's lock (store_lock_account), so runs started
 * together wait for the first one and then use the account it made. */
int acct_ensure(struct acme *a, const struct store *s, const struct acct_params *p,
                struct log *log, EVP_PKEY **key_out, struct error *e);
/* The CA no longer knows the stored account (accountDoesNotExist): set its
 * record aside as regr.json.forgotten (the key stays, so acct_ensure looks
 * it up by key and registers it again when the CA has no trace of it) and
 * drop A's kid. Under the account's lock; a record that another run has
 * already replaced (its URL is not A's) is kept. */
int acct_forget(struct acme *a, const struct store *s, struct error *e);
/* Load the existing account only (revocation); fails when there is none.
 * ID picks one of several (NULL: the only one). */
int acct_load(struct acme *a, const struct store *s, const char *id, EVP_PKEY **key_out,
              struct error *e);
/* Load the account kept in DIR (from acct_locate), acmehook's or
 * certbot's. A key rollover that a crash interrupted is settled first:
 * the CA is asked which key it knows, and that one is kept. */
int acct_load_dir(struct acme *a, const struct store *s, const char *dir, EVP_PKEY **key_out,
                  struct error *e);
/* A new account key of TYPE (ec256, ec384, rsa2048, rsa3072, rsa4096;
 * NULL: ec256), as settings_check accepts them. */
EVP_PKEY *acct_keygen(const char *type, struct error *e);
/* The URL of the account of KEY at A's server (newAccount with
 * onlyReturnExisting) into *URL, which stays NULL when the CA has none. */
int acct_lookup(struct acme *a, EVP_PKEY *key, struct log *log, char **url, struct error *e);

/* --- account_store.c: the stored accounts of a server ------------------ */

/* One stored account. Owns its strings. */
struct acct_entry {
	char *id;   /* certbot's id: the MD5 of the key's public PEM, or the
	             * directory's name */
	char *dir;  /* where its private_key.pem and regr.json are */
	char *url;  /* its URL at the CA, NULL when the record has none */
};

/* The account id of KEY (32 hex digits), malloc'd. */
char *acct_key_id(EVP_PKEY *key, struct error *e);
/* Every complete account of acmehook's stored for the server at DIR_URL,
 * and with CERTBOT certbot's too (CONFIG/accounts/SERVER/ID with a JWK
 * private_key.json), into *OUT (free with acct_entries_free, then free). */
int acct_list(const struct store *s, const char *dir_url, bool certbot, struct acct_entry **out,
              size_t *n_out, struct error *e);
/* Whether the account in DIR is certbot's (a JWK key, no PEM). */
bool acct_is_certbots(const char *dir);
void acct_entries_free(struct acct_entry *v, size_t n);
/* The id of the account kept in DIR (one of acct_list's), malloc'd. */
char *acct_id_of_dir(const struct store *s, const char *dir_url, const char *dir,
                     struct error *e);
/* The directory of account WANT (NULL: the only one) into DIR, among
 * acmehook's accounts and with CERTBOT certbot's. Returns 1 when found, 0
 * when none is stored and WANT is NULL, -1 (EXIT_USAGE, listing the
 * stored ids) for an unknown WANT or several without WANT. */
int acct_locate(const struct store *s, const char *dir_url, const char *want, bool certbot,
                char *dir, size_t cap, struct error *e);

/* --- account_ops.c: what an account does at the CA (RFC 8555 §7.3) ----- */

/* The account object as the CA has it (a POST of "{}" to its URL);
 * the caller frees it with cJSON_Delete. */
cJSON *acct_fetch(struct acme *a, struct error *e);
/* Replace the account's contacts by EMAILS (a comma list; NULL or empty:
 * none), at the CA and then in acmehook's record in DIR (certbot's record
 * is left alone: certbot asks the CA). */
int acct_set_contact(struct acme *a, const char *dir, const char *emails, struct error *e);
/* Deactivate the account (§7.3.6); then its files in DIR are removed
 * (certbot's too, as certbot removes them): the CA will refuse the
 * account from now on. */
int acct_deactivate(struct acme *a, const struct store *s, const char *dir, struct error *e);
/* Roll the account key over to NEW_KEY (§7.3.5); refused for certbot's
 * accounts, whose files stay certbot's. NEW_KEY is written to
 * DIR/private_key.pem.next first and renamed over private_key.pem once the
 * CA accepted it, so a crash in between leaves both keys on disk and
 * acct_load_dir settles which one the CA knows. On success A->key is
 * NEW_KEY (borrowed, as before). */
int acct_rollover(struct acme *a, const struct store *s, const char *dir, EVP_PKEY *new_key,
                  struct error *e);
/* Settle a rollover a crash interrupted in DIR (see acct_rollover); OLD
 * is the key read from private_key.pem. *KEY is the key to use from now
 * on: OLD itself, the pending key (renamed into place), or, when a
 * rollover finished while this run waited for the account's lock, the key
 * file read again; the caller frees OLD when *KEY is another. */
int acct_settle_rollover(struct acme *a, const struct store *s, const char *dir, EVP_PKEY *old,
                         EVP_PKEY **key, struct error *e);

#endif
