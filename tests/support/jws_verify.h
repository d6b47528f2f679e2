/* Flattened JWS verification for the tests (see jws_verify.c). */
#ifndef ACMEHOOK_TESTS_JWS_VERIFY_H
#define ACMEHOOK_TESTS_JWS_VERIFY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "acme/jws.h"
#include "base/err.h"

/* Verify a flattened JWS signed with KEY (ES256, ES384 or RS256; the
 * header's alg must match the key). Returns 0 when the signature is good. */
int jws_verify(EVP_PKEY *key, const char *flattened_json, struct error *e);

/* Verify a flattened JWS MACed with HS256/HS384/HS512 (alg read from the
 * protected header) under KEY. Returns 0 when the MAC is good. */
int jws_hmac_verify(const unsigned char *key, size_t key_len,
                    const char *flattened_json, struct error *e);

#endif
