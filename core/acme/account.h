/* ACME accounts (RFC 8555 §7.3): reuse the stored account for a server,
 * find it by key when only the key survived, or create it, with External
 * Account Binding when the CA requires it. Nothing is written unless the
 * CA accepted the account. */
#ifndef ACMEHOOK_ACCT_H
#define ACMEHOOK_ACCT_H

#include <stddef.h>

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
	const char *account_id;       /* certbot's account ID (renewal file's "account"):
	                               * use CONFIG/accounts/SERVER/ID as it is; NULL: ours */
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
/* Load the existing account only (revocation); fails when there is none. */
int acct_load(struct acme *a, const struct store *s, EVP_PKEY **key_out, struct error *e);

#endif
