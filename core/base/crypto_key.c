/* Keys: generation, loading without ever prompting, PEM, comparison, and
 * import from a JWK. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/crypto_priv.h"
EVP_PKEY *crypto_keygen(const char *key_type, const char *curve, int rsa_bits,
                        struct error *e)
{
	EVP_PKEY *key = NULL;
	const char *group;
	char why[256];

	if (key_type && strcmp(key_type, "ecdsa") == 0) {
		if (!curve || strcmp(curve, "secp256r1") == 0) {
			group = "P-256";
		} else if (strcmp(curve, "secp384r1") == 0) {
			group = "P-384";
		} else {
			err_set(e, EXIT_USAGE, "unsupported elliptic curve \"%s\": use secp256r1 or secp384r1",
			        curve);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
		if (!key)
			err_set(e, EXIT_OP, "cannot generate an ecdsa %s key: %s",
			        curve ? curve : "secp256r1", crypto_ossl_reason(why, sizeof(why)));
		return key;
	}
	if (key_type && strcmp(key_type, "rsa") == 0) {
		if (rsa_bits != 2048 && rsa_bits != 3072 && rsa_bits != 4096) {
			err_set(e, EXIT_USAGE, "unsupported RSA key size %d: use 2048, 3072 or 4096", rsa_bits);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
		if (!key)
			err_set(e, EXIT_OP, "cannot generate an rsa %d key: %s", rsa_bits,
			        crypto_ossl_reason(why, sizeof(why)));
		return key;
	}
	err_set(e, EXIT_USAGE, "unsupported key type \"%s\": use ecdsa or rsa",
	        key_type ? key_type : "(none)");
	return NULL;
}


EVP_PKEY *crypto_key_load(const char *path, struct error *e)
{
	char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	char why[256], what[PATH_MAX + 16];
	int fast;

	if (crypto_read_file(path, &data, &len, e) < 0)
		goto out;
	/* Keys in the PKCS#8 form this program and certbot write are read
	 * here; everything else goes to OpenSSL's reader as it is. */
	snprintf(what, sizeof(what), "private key %s", path);
	fast = crypto_pkcs8_load(data, len, what, &key, e);
	if (fast != 0)
		goto out;
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio) {
		err_set(e, EXIT_OP, "cannot read private key %s: out of memory", path);
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, crypto_no_passphrase, NULL);
	if (!key)
		err_set(e, EXIT_OP, "cannot load private key %s: not an unencrypted PEM private key (%s)",
		        path, crypto_ossl_reason(why, sizeof(why)));
out:
	BIO_free(bio);
	crypto_wipe_free(data, len);
	return key;
}

char *crypto_key_pem(EVP_PKEY *key, struct error *e)
{
	BIO *bio = NULL;
	char *res = NULL;
	char why[256];
	int done;

	/* RSA and the NIST curves are encoded here; OpenSSL's encoder handles
	 * the rest. */
	if (key && (done = crypto_pkcs8_pem(key, &res)) != 0) {
		if (done < 0)
			err_set(e, EXIT_OP, "cannot encode the %s private key as PEM: %s",
			        EVP_PKEY_get0_type_name(key), crypto_ossl_reason(why, sizeof(why)));
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	if (!bio || !key ||
	    !PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		err_set(e, EXIT_OP, "cannot encode the %s private key as PEM: %s",
		        key ? EVP_PKEY_get0_type_name(key) : "(none)", crypto_ossl_reason(why, sizeof(why)));
		goto out;
	}
	res = crypto_bio_take(bio);
	if (!res)
		err_set(e, EXIT_OP, "cannot encode the private key as PEM: out of memory");
out:
	BIO_free(bio);
	return res;
}

char *crypto_key_describe(EVP_PKEY *key)
{
	char group[64], out[96];
	const char *name;

	if (!key)
		return strdup("none");
	if (EVP_PKEY_is_a(key, "RSA")) {
		snprintf(out, sizeof(out), "rsa %d", EVP_PKEY_get_bits(key));
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
			snprintf(group, sizeof(group), "unknown");
		/* OpenSSL calls P-256 "prime256v1"; users configure "secp256r1". */
		switch (OBJ_txt2nid(group)) {
		case NID_X9_62_prime256v1:
			name = "secp256r1";
			break;
		default:
			name = group;
			break;
		}
		snprintf(out, sizeof(out), "ecdsa %s", name);
	} else {
		name = EVP_PKEY_get0_type_name(key);
		snprintf(out, sizeof(out), "%s %d", name ? name : "unknown", EVP_PKEY_get_bits(key));
		for (char *p = out; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return strdup(out);
}

bool crypto_pubkey_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	return a && b && EVP_PKEY_eq(a, b) == 1;
}

/* --- JWK import (RFC 7517/7518) ------------------------------------------ */

/* JWKs are small: a 8192-bit RSA private key is under 12 KiB of JSON. */
#define JWK_CAP (64 * 1024)

/* Member NAME of JWK as an unsigned big-endian number, base64url-decoded.
 * At most MAX bytes and not empty. */
static BIGNUM *jwk_bn(const cJSON *jwk, const char *name, size_t max, struct error *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(jwk, name);
	unsigned char *raw = NULL;
	size_t len = 0;
	BIGNUM *bn = NULL;

	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		err_set(e, EXIT_USAGE, "JWK member \"%s\" is missing or not a string", name);
		return NULL;
	}
	if (strlen(v->valuestring) > (max * 4 + 2) / 3 + 1 || b64url_decode(v->valuestring, &raw, &len) < 0 ||
	    len == 0 || len > max) {
		err_set(e, EXIT_USAGE, "JWK member \"%s\" is not base64url of at most %zu bytes", name,
		        max);
		goto out;
	}
	bn = BN_bin2bn(raw, (int)len, NULL);
	if (!bn)
		err_set(e, EXIT_OP, "cannot read JWK member \"%s\": out of memory", name);
out:
	crypto_wipe_free((char *)raw, len);
	return bn;
}

/* Push the members of an RSA JWK: n, e, d and the CRT values p, q, dp,
 * dq, qi, which certbot always writes and without which the key's parts
 * cannot be checked against each other. */
static int jwk_rsa_params(const cJSON *jwk, OSSL_PARAM_BLD *bld, BIGNUM **bns, struct error *e)
{
	static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};

	for (size_t i = 0; i < 8; i++) {
		/* 8192-bit moduli at most; a public exponent fits 8 bytes. */
		bns[i] = jwk_bn(jwk, names[i], i == 1 ? 8 : 1024, e);
		if (!bns[i])
			return -1;
		if (!OSSL_PARAM_BLD_push_BN(bld, crypto_rsa_params[i], bns[i]))
			return err_set(e, EXIT_OP, "cannot build the RSA key: out of memory");
	}
	return 0;
}

/* Push the members of an EC JWK: crv (P-256, P-384, P-521) and x, y, d of
 * exactly the curve's size. */
static int jwk_ec_params(const cJSON *jwk, OSSL_PARAM_BLD *bld, BIGNUM **bns,
                         unsigned char *pub, const struct crypto_curve **curvep, struct error *e)
{
	const cJSON *crv = cJSON_GetObjectItemCaseSensitive(jwk, "crv");
	const struct crypto_curve *curve;
	size_t size;

	if (!cJSON_IsString(crv))
		return err_set(e, EXIT_USAGE, "EC JWK has no \"crv\"");
	if (!(curve = *curvep = crypto_curve_by_name(crv->valuestring, true)))
		return err_set(e, EXIT_USAGE, "EC JWK curve \"%.20s\" is not supported: use P-256, P-384 or P-521",
		               crv->valuestring);
	size = curve->size;
	bns[0] = jwk_bn(jwk, "x", size, e);
	bns[1] = bns[0] ? jwk_bn(jwk, "y", size, e) : NULL;
	bns[2] = bns[1] ? jwk_bn(jwk, "d", size, e) : NULL;
	if (!bns[2])
		return -1;
	/* The public point, uncompressed: 0x04 || x || y. */
	pub[0] = 0x04;
	if (BN_bn2binpad(bns[0], pub + 1, (int)size) < 0 || BN_bn2binpad(bns[1], pub + 1 + size, (int)size) < 0)
		return err_set(e, EXIT_USAGE, "EC JWK coordinates are too long for %s", crv->valuestring);
	if (crypto_push_ec(bld, curve, pub, 1 + 2 * size, bns[2]) < 0)
		return err_set(e, EXIT_OP, "cannot build the EC key: out of memory");
	return 0;
}

EVP_PKEY *crypto_key_from_jwk(const char *text, size_t len, struct error *e)
{
	cJSON *jwk = NULL;
	const cJSON *kty;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL, *ret = NULL;
	BIGNUM *bns[8] = {0};
	const struct crypto_curve *curve = NULL;
	unsigned char pub[1 + 2 * 66];
	bool rsa = false;

	if (len > JWK_CAP) {
		err_set(e, EXIT_USAGE, "JWK is larger than %d bytes", JWK_CAP);
		goto out;
	}
	jwk = cJSON_ParseWithLength(text, len);
	kty = cJSON_GetObjectItemCaseSensitive(jwk, "kty");
	if (!cJSON_IsObject(jwk) || !cJSON_IsString(kty)) {
		err_set(e, EXIT_USAGE, "not a JWK: no JSON object with a \"kty\"");
		goto out;
	}
	if (!(bld = OSSL_PARAM_BLD_new())) {
		err_set(e, EXIT_OP, "cannot read the JWK: out of memory");
		goto out;
	}
	if (strcmp(kty->valuestring, "RSA") == 0) {
		rsa = true;
		if (jwk_rsa_params(jwk, bld, bns, e) < 0)
			goto out;
	} else if (strcmp(kty->valuestring, "EC") == 0) {
		if (jwk_ec_params(jwk, bld, bns, pub, &curve, e) < 0)
			goto out;
	} else {
		err_set(e, EXIT_USAGE, "JWK key type \"%.20s\" is not supported: use RSA or EC",
		        kty->valuestring);
		goto out;
	}
	if (!(key = crypto_key_build(curve, bld, "the JWK", EXIT_USAGE, e)))
		goto out;
	if (rsa && (EVP_PKEY_get_bits(key) < 2048 || EVP_PKEY_get_bits(key) > 8192)) {
		err_set(e, EXIT_USAGE, "the JWK's RSA key has %d bits: 2048 to 8192 are accepted",
		        EVP_PKEY_get_bits(key));
		goto out;
	}
	ret = key;
	key = NULL;
out:
	EVP_PKEY_free(key);
	OSSL_PARAM_BLD_free(bld);
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(bns[i]);
	OPENSSL_cleanse(pub, sizeof(pub));
	cJSON_Delete(jwk);
	return ret;
}
