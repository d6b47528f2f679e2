/* JSON Web Signatures for ACME (RFC 7515, RFC 8555 §6.2).
 *
 * Only the flattened JSON serialization is produced, because that is the
 * only one ACME servers must accept. Every returned string is malloc'd and
 * owned by the caller; keys are borrowed.
 */
#ifndef ACMEHOOK_JWS_H
#define ACMEHOOK_JWS_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base/err.h"

/* "ES256" (P-256), "ES384" (P-384), "RS256" (RSA), or NULL for any other
 * key. The result is a static string. */
const char *jws_alg_for_key(EVP_PKEY *key);

/* The public JWK in RFC 7638 canonical form: compact JSON, required
 * members only, in lexicographic order, e.g.
 * {"crv":"P-256","kty":"EC","x":"...","y":"..."} or
 * {"e":"AQAB","kty":"RSA","n":"..."}. The same string goes into JWS
 * headers and the thumbprint, so the two can never disagree. */
char *jws_jwk(EVP_PKEY *key, struct error *e);

/* base64url(SHA-256(jws_jwk(KEY))), the RFC 7638 thumbprint used in key
 * authorizations. */
char *jws_thumbprint(EVP_PKEY *key, struct error *e);

/* Sign PAYLOAD for URL. The protected header carries, in this order, alg,
 * then kid when KID is non-NULL or else the jwk object, then nonce (left
 * out when NONCE is NULL) and url. A NULL PAYLOAD is POST-as-GET: the
 * payload member is the empty string. Returns
 * {"protected":"..","payload":"..","signature":".."}. */
char *jws_sign(EVP_PKEY *key, const char *kid, const char *nonce,
               const char *url, const char *payload, struct error *e);

/* RFC 8555 §7.3.4 external account binding: a flattened JWS object whose
 * protected header is {"alg":HMAC_ALG,"kid":EAB_KID,"url":URL} and whose
 * payload is the account key's JWK, MACed with HMAC_KEY. HMAC_ALG is
 * "HS256", "HS384" or "HS512". The caller owns the returned object. */
cJSON *jws_eab(const char *eab_kid, const unsigned char *hmac_key,
               size_t key_len, const char *hmac_alg, EVP_PKEY *account_key,
               const char *url, struct error *e);

/* HMAC DATA with the digest named by ALG ("HS256", "HS384", "HS512") into
 * OUT, which must hold EVP_MAX_MD_SIZE bytes; *OUT_LEN gets the MAC length.
 * Returns 0, or -1 for an unknown ALG or a library failure. */
int jws_hmac(const char *alg, const unsigned char *key, size_t key_len,
             const char *data, size_t len, unsigned char *out,
             size_t *out_len);

#endif
