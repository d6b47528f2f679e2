/* Helpers shared by the crypto_*.c files only; not part of base/crypto.h. */
#ifndef ACMEHOOK_BASE_CRYPTO_PRIV_H
#define ACMEHOOK_BASE_CRYPTO_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include "base/err.h"

/* Certificates, CSRs and keys are small; anything bigger is a mistake or
 * an attack, and reading it whole would be the real problem. */
#define FILE_CAP (1024 * 1024)
#define CHAIN_MAX 10

/* Read PATH whole (at most FILE_CAP bytes) into a NUL-terminated buffer.
 * The buffer may hold a private key, so callers wipe it before free. */
int crypto_read_file(const char *path, char **data, size_t *len, struct error *e);
/* The first NEEDLE in the HAY_LEN bytes at HAY, or NULL. */
const char *crypto_find_bytes(const char *hay, size_t hay_len, const char *needle,
                              size_t needle_len);
/* Wipe LEN bytes of S, then free it; NULL is fine. */
void crypto_wipe_free(char *s, size_t len);
/* The reason of OpenSSL's latest error into DST (and clear the queue). */
const char *crypto_ossl_reason(char *dst, size_t cap);
/* The contents of a memory BIO as a new string (NULL on failure). */
char *crypto_bio_take(BIO *bio);
/* Append NAME (LEN bytes) lower-cased to the NULL-terminated list *LIST
 * of *N entries, unless it is there already. Returns 0 or -1 (memory). */
int crypto_names_add(char ***list, size_t *n, const char *name, size_t len);
/* The DNS names and IP addresses of GENS (may be NULL) as a fresh list;
 * with STRICT any other kind of name is an error naming WHAT. */
int crypto_gens_idents(const GENERAL_NAMES *gens, bool strict, const char *what,
                       char ***out, size_t *n_out, struct error *e);
/* The subject CN of NM as a new string in *OUT (NULL when absent). */
int crypto_name_cn(const X509_NAME *nm, char **out);

/* A PEM password callback that refuses: we never prompt for a passphrase,
 * and an encrypted file is an error. */
int crypto_no_passphrase(char *buf, int size, int rwflag, void *u);

#endif
