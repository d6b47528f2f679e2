/* Keys, CSRs and certificates: the OpenSSL work the engine needs, behind
 * functions that report one-line errors naming the file or value at fault.
 *
 * Ownership: every returned pointer is owned by the caller. Strings and DER
 * buffers are malloc'd (free with free(); wipe key PEM first), EVP_PKEY with
 * EVP_PKEY_free, X509 with X509_free, chains with
 * sk_X509_pop_free(chain, X509_free), name lists with crypto_names_free.
 * Arguments are borrowed.
 */
#ifndef ACMEHOOK_CRYPTO_H
#define ACMEHOOK_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/err.h"

/* Generate a key. KEY_TYPE "ecdsa" with CURVE "secp256r1" (the default
 * when CURVE is NULL) or "secp384r1", or "rsa" with RSA_BITS 2048, 3072 or
 * 4096 (ignored for ecdsa). Any other value is an EXIT_USAGE error. */
EVP_PKEY *crypto_keygen(const char *key_type, const char *curve, int rsa_bits,
                        struct error *e);

/* Load an unencrypted PEM private key (PKCS#8 or traditional) from PATH.
 * Never prompts for a passphrase. A PKCS#8 RSA, P-256 or P-521 key whose
 * private and public parts do not match is refused. */
EVP_PKEY *crypto_key_load(const char *path, struct error *e);

/* A private key from a JWK (RFC 7517) of LEN bytes at TEXT: kty "RSA"
 * (n, e, d, p, q, dp, dq, qi, as certbot writes them; 2048 to 8192 bits)
 * or "EC" (crv P-256, P-384 or P-521 with x, y and d of the curve's size).
 * The private and public parts must match. The caller wipes TEXT. */
EVP_PKEY *crypto_key_from_jwk(const char *text, size_t len, struct error *e);

/* KEY as an unencrypted PKCS#8 PEM string; the caller wipes
 * (OPENSSL_cleanse) and frees it. */
char *crypto_key_pem(EVP_PKEY *key, struct error *e);

/* A short description such as "ecdsa secp256r1" or "rsa 2048"; NULL only
 * on allocation failure. */
char *crypto_key_describe(EVP_PKEY *key);

/* True when both keys are non-NULL and have the same public key. */
bool crypto_pubkey_equal(EVP_PKEY *a, EVP_PKEY *b);

/* Build a DER CSR for the N names (N >= 1), signed with KEY using SHA-256.
 * The subject is CN=NAMES[0] when that fits the 64-character CN limit and
 * empty otherwise (the SAN extension is then marked critical, as RFC 5280
 * requires); every name goes into the SAN, an IP address as an iPAddress
 * and anything else as a DNS name. */
int crypto_csr_make(EVP_PKEY *key, const char *const *names, size_t n,
                    unsigned char **der, size_t *der_len, struct error *e);

/* Read a PEM or DER CSR from PATH, check its self-signature and that it
 * is signed with SHA-256, SHA-384 or SHA-512. NAMES gets the lower-cased
 * SAN DNS names followed by the subject CN when it is not among them, as a
 * NULL-terminated list (N_NAMES entries). A SAN entry of another type is
 * refused because the order could not cover it. PUBKEY gets the CSR's
 * public key. Outputs are written only on success. */
int crypto_csr_load(const char *path, unsigned char **der, size_t *der_len,
                    char ***names, size_t *n_names, EVP_PKEY **pubkey,
                    struct error *e);

/* Free a NULL-terminated name list; NULL is fine. */
void crypto_names_free(char **names);

/* Parse LEN bytes of PEM that must hold only CERTIFICATE blocks, with
 * nothing but whitespace around them: 1 to 10 certificates, leaf first. */
STACK_OF(X509) *crypto_chain_parse(const char *pem, size_t len, struct error *e);

/* Check a chain before it is stored: the leaf's public key is KEY, the
 * leaf's SAN DNS names equal the N NAMES as a case-insensitive set, and
 * each certificate is issued (name and signature) by the next one. */
int crypto_chain_check(STACK_OF(X509) *chain, EVP_PKEY *key,
                       const char *const *names, size_t n, struct error *e);

/* PEM text of one certificate, or of the chain's certificates from index
 * FROM to the end, concatenated. NULL on allocation failure or bad FROM. */
char *crypto_cert_pem(X509 *cert);
char *crypto_chain_pem(STACK_OF(X509) *chain, int from);

struct cert_info {
	char serial[130];       /* lower-case hex, no leading zeros except "0" */
	time_t not_before, not_after;
	char subject_cn[256];   /* "" when absent; truncated when longer */
	char issuer_cn[256];
	char **names;           /* SAN DNS names, NULL-terminated; owned */
};

/* Fill CI from CERT; CI is written only on success. Release with
 * crypto_cert_info_free. */
int crypto_cert_info(X509 *cert, struct cert_info *ci, struct error *e);
void crypto_cert_info_free(struct cert_info *ci);

/* The first certificate of the PEM file PATH. */
X509 *crypto_cert_load(const char *path, struct error *e);

/* Every certificate of the PEM file PATH (at most 1 MiB), parsed as
 * strictly as crypto_chain_parse. */
STACK_OF(X509) *crypto_chain_load(const char *path, struct error *e);

/* The issuer CN of the chain's last certificate, which is how
 * --preferred-chain names a chain. NULL when the chain is empty, that
 * certificate has no issuer CN, or on allocation failure. */
char *crypto_issuer_of_chain_top(STACK_OF(X509) *chain);

/* CERT's renewal information identifier (RFC 9773 §4.1): base64url of
 * its authority key identifier's keyIdentifier, ".", base64url of its
 * serial number's DER content octets. Malloc'd; NULL with E set when
 * CERT has no authority key identifier. */
char *crypto_cert_ari_id(X509 *cert, struct error *e);

/* CERT's DER encoding (malloc'd) and its length in *LEN; NULL on failure. */
unsigned char *crypto_cert_der(X509 *cert, size_t *len);

#endif
