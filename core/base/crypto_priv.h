/* Helpers shared by the crypto_*.c files only; not part of base/crypto.h. */
#ifndef ACMEHOOK_BASE_CRYPTO_PRIV_H
#define ACMEHOOK_BASE_CRYPTO_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509v3.h>

#include "base/der.h"
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

/* The named curves whose keys the engine encodes and decodes itself. */
struct crypto_curve {
	const char *group;              /* OpenSSL's group name */
	const char *jwk;                /* the JWK "crv" (RFC 7518) */
	int nid;
	const unsigned char *oid;       /* the namedCurve OID's content bytes */
	size_t oid_len;
	size_t size;                    /* bytes of a coordinate and of the scalar */
	/* Whether crypto_pkcs8_parse reads keys on this curve. Checking that
	 * the point belongs to the scalar takes a constant-time scalar
	 * multiplication: 0.35 million instructions on P-256 and 2.3 on P-521,
	 * but 14 on P-384, three times what OpenSSL's whole reader costs
	 * (which checks nothing), so P-384 keys are left to that reader. */
	bool load_here;
};

/* The key kinds encoded by hand: an RSA key (two primes) or an EC key on a
 * curve of the table; anything else goes through OpenSSL's encoders. */
enum crypto_kind { CRYPTO_OTHER = 0, CRYPTO_RSA, CRYPTO_EC };
enum crypto_kind crypto_key_kind(EVP_PKEY *key, const struct crypto_curve **curve);
/* The curve named NAME: a JWK "crv" with JWK, else OpenSSL's group name. */
const struct crypto_curve *crypto_curve_by_name(const char *name, bool jwk);
/* The curve whose OID content bytes are the N bytes at P, or NULL. */
const struct crypto_curve *crypto_curve_by_oid(const unsigned char *p, size_t n);
/* The AlgorithmIdentifier of an RSA key (CURVE NULL) or an EC key on CURVE,
 * as SubjectPublicKeyInfo and PKCS#8 carry it. */
void crypto_der_key_algid(struct der_writer *w, const struct crypto_curve *curve);

/* OpenSSL's names of n, e, d, p, q, dp, dq, qi: RSAPrivateKey's order. */
extern const char *const crypto_rsa_params[8];
/* Push an EC key's curve, uncompressed point and scalar D onto BLD. */
int crypto_push_ec(OSSL_PARAM_BLD *bld, const struct crypto_curve *curve,
                   const unsigned char *pub, size_t pub_len, const BIGNUM *d);
/* An RSA key (CURVE NULL) or an EC key on CURVE from the parameters on
 * BLD, checked so that its private and public parts match. Errors name
 * WHAT ("the JWK") and have exit code CODE. */
EVP_PKEY *crypto_key_build(const struct crypto_curve *curve, OSSL_PARAM_BLD *bld, const char *what,
                           int code, struct error *e);

/* KEY as unencrypted PKCS#8 PEM into *PEM (the caller wipes and frees it):
 * 1 when done, 0 when KEY is of a kind encoded by OpenSSL only, -1 on
 * failure. */
int crypto_pkcs8_pem(EVP_PKEY *key, char **pem);
/* A key from the LEN bytes of PKCS#8 DER at DER, or from the LEN bytes of
 * a file at DATA that is one plain "PRIVATE KEY" PEM block: 1 with *KEY,
 * 0 when the input is not a form read here (RSA, or EC on a curve of the
 * table marked load_here, with its public point) and OpenSSL should read
 * it, -1 with E set (naming WHAT) when it is such a form but not a valid
 * key. */
int crypto_pkcs8_parse(const unsigned char *der, size_t len, const char *what, EVP_PKEY **key,
                       struct error *e);
int crypto_pkcs8_load(const char *data, size_t len, const char *what, EVP_PKEY **key,
                      struct error *e);

/* A CSR built with OpenSSL's X509_REQ, for keys crypto_key_kind does not
 * know; same arguments as crypto_csr_make, which checked them. */
int crypto_csr_make_x509(EVP_PKEY *key, const char *const *names, size_t n,
                         unsigned char **der, size_t *der_len);

#endif
