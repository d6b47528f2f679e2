#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>

#include "base/b64.h"
#include "base/buf.h"
#include "acme/jws.h"

/* What a JWS alg needs: the digest, and for ECDSA the width of one of R
 * and S (also the JWK coordinate width), 0 for RSA. */
struct jws_alg {
	const char *name;
	const char *md;
	size_t ec_len;
	const char *crv;
};

static const struct jws_alg alg_es256 = { "ES256", "SHA256", 32, "P-256" };
static const struct jws_alg alg_es384 = { "ES384", "SHA384", 48, "P-384" };
static const struct jws_alg alg_rs256 = { "RS256", "SHA256", 0, NULL };

static const struct jws_alg *alg_of_key(EVP_PKEY *key)
{
	char group[64];

	if (!key)
		return NULL;
	if (EVP_PKEY_is_a(key, "RSA"))
		return &alg_rs256;
	if (!EVP_PKEY_is_a(key, "EC"))
		return NULL;
	if (!EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
		return NULL;
	switch (OBJ_txt2nid(group)) {
	case NID_X9_62_prime256v1:
		return &alg_es256;
	case NID_secp384r1:
		return &alg_es384;
	default:
		return NULL;
	}
}

static const char *key_type_name(EVP_PKEY *key)
{
	const char *n = key ? EVP_PKEY_get0_type_name(key) : NULL;

	return n ? n : "(none)";
}

const char *jws_alg_for_key(EVP_PKEY *key)
{
	const struct jws_alg *a = alg_of_key(key);

	return a ? a->name : NULL;
}

/* Base64url of a big number's bytes: fixed width when WIDTH is non-zero
 * (EC coordinates), otherwise minimal with no leading zero bytes (RSA). */
static char *bn_b64url(const BIGNUM *bn, size_t width)
{
	unsigned char *bin = NULL;
	char *res = NULL;
	int n;

	n = width ? (int)width : BN_num_bytes(bn);
	if (n <= 0)
		n = 1;
	bin = calloc(1, (size_t)n);
	if (!bin)
		goto out;
	if (width ? BN_bn2binpad(bn, bin, n) != n : BN_bn2bin(bn, bin) < 0)
		goto out;
	res = b64url_encode(bin, (size_t)n);
out:
	free(bin);
	return res;
}

char *jws_jwk(EVP_PKEY *key, struct error *e)
{
	const struct jws_alg *alg = alg_of_key(key);
	BIGNUM *a = NULL, *b = NULL;
	char *a64 = NULL, *b64 = NULL, *res = NULL;
	struct buf out = { 0 };

	if (!alg) {
		err_set(e, EXIT_OP, "cannot build a JWK for key type %s: only P-256, P-384 and RSA keys are supported",
		        key_type_name(key));
		goto out;
	}
	if (alg->ec_len) {
		if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &a) ||
		    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &b)) {
			err_set(e, EXIT_OP, "cannot read the public point of the %s key", alg->crv);
			goto out;
		}
		a64 = bn_b64url(a, alg->ec_len);
		b64 = bn_b64url(b, alg->ec_len);
		if (!a64 || !b64 ||
		    buf_printf(&out, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		               alg->crv, a64, b64) < 0)
			goto out;
	} else {
		if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &a) ||
		    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &b)) {
			err_set(e, EXIT_OP, "cannot read the modulus and exponent of the RSA key");
			goto out;
		}
		a64 = bn_b64url(a, 0);
		b64 = bn_b64url(b, 0);
		if (!a64 || !b64 ||
		    buf_printf(&out, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a64, b64) < 0)
			goto out;
	}
	res = buf_steal(&out);
out:
	/* Failures without a message of their own are allocation or library
	 * failures. */
	if (!res && !err_isset(e))
		err_set(e, EXIT_OP, "cannot build the JWK: out of memory");
	BN_free(a);
	BN_free(b);
	free(a64);
	free(b64);
	buf_free(&out);
	return res;
}

char *jws_thumbprint(EVP_PKEY *key, struct error *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *jwk = NULL, *res = NULL;

	jwk = jws_jwk(key, e);
	if (!jwk)
		goto out;
	if (!EVP_Digest(jwk, strlen(jwk), md, &mdlen, EVP_sha256(), NULL)) {
		err_set(e, EXIT_OP, "cannot hash the JWK for its thumbprint: SHA-256 failed");
		goto out;
	}
	res = b64url_encode(md, mdlen);
	if (!res)
		err_set(e, EXIT_OP, "cannot encode the JWK thumbprint: out of memory");
out:
	free(jwk);
	return res;
}

/* Sign DATA and return the JWS signature bytes: raw R||S for ECDSA (JWS
 * does not use OpenSSL's DER form), PKCS#1 v1.5 for RSA. */
static int sign_raw(EVP_PKEY *key, const struct jws_alg *alg, const char *data,
                    size_t len, unsigned char **sig, size_t *siglen,
                    struct error *e)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL, *raw = NULL;
	const unsigned char *p;
	ECDSA_SIG *es = NULL;
	size_t derlen = 0, rawlen;
	int ret = -1;

	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_DigestSignInit_ex(ctx, NULL, alg->md, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &derlen, (const unsigned char *)data, len) != 1 ||
	    !(der = malloc(derlen)) ||
	    EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)data, len) != 1) {
		err_set(e, EXIT_OP, "cannot sign the request with the %s key: signing failed", alg->name);
		goto out;
	}
	if (!alg->ec_len) {
		*sig = der;
		*siglen = derlen;
		der = NULL;
		ret = 0;
		goto out;
	}
	p = der;
	es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	rawlen = 2 * alg->ec_len;
	raw = malloc(rawlen);
	if (!es || !raw ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)alg->ec_len) != (int)alg->ec_len ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + alg->ec_len, (int)alg->ec_len) != (int)alg->ec_len) {
		err_set(e, EXIT_OP, "cannot convert the %s signature to JWS form", alg->name);
		goto out;
	}
	*sig = raw;
	*siglen = rawlen;
	raw = NULL;
	ret = 0;
out:
	ECDSA_SIG_free(es);
	free(der);
	free(raw);
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* Append "A.B", the JWS signing input, to OUT. */
static int join_b64(struct buf *out, const char *a, const char *b)
{
	return buf_puts(out, a) < 0 || buf_puts(out, ".") < 0 || buf_puts(out, b) < 0 ? -1 : 0;
}

char *jws_sign(EVP_PKEY *key, const char *kid, const char *nonce,
               const char *url, const char *payload, struct error *e)
{
	const struct jws_alg *alg = alg_of_key(key);
	cJSON *hdr = NULL, *jwk = NULL;
	char *jwk_str = NULL, *hdr_str = NULL, *h64 = NULL, *p64 = NULL;
	char *s64 = NULL, *res = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct buf input = { 0 }, out = { 0 };

	if (!alg) {
		err_set(e, EXIT_OP, "cannot sign with key type %s: only P-256, P-384 and RSA keys are supported",
		        key_type_name(key));
		goto out;
	}
	if (!url) {
		err_set(e, EXIT_OP, "cannot sign a request without a URL");
		goto out;
	}
	hdr = cJSON_CreateObject();
	if (!hdr || !cJSON_AddStringToObject(hdr, "alg", alg->name))
		goto out;
	if (kid) {
		if (!cJSON_AddStringToObject(hdr, "kid", kid))
			goto out;
	} else {
		jwk_str = jws_jwk(key, e);
		if (!jwk_str)
			goto out;
		jwk = cJSON_Parse(jwk_str);
		if (!jwk || !cJSON_AddItemToObject(hdr, "jwk", jwk))
			goto out;
		jwk = NULL;
	}
	if (nonce && !cJSON_AddStringToObject(hdr, "nonce", nonce))
		goto out;
	if (!cJSON_AddStringToObject(hdr, "url", url))
		goto out;
	hdr_str = cJSON_PrintUnformatted(hdr);
	if (!hdr_str)
		goto out;
	h64 = b64url_encode(hdr_str, strlen(hdr_str));
	p64 = payload ? b64url_encode(payload, strlen(payload)) : strdup("");
	if (!h64 || !p64 || join_b64(&input, h64, p64) < 0)
		goto out;
	if (sign_raw(key, alg, input.data, input.len, &sig, &siglen, e) < 0)
		goto out;
	s64 = b64url_encode(sig, siglen);
	if (!s64 ||
	    buf_printf(&out, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
	               h64, p64, s64) < 0)
		goto out;
	res = buf_steal(&out);
out:
	/* Failures without a message of their own are allocation or library
	 * failures. */
	if (!res && !err_isset(e))
		err_set(e, EXIT_OP, "cannot build the JWS for %s: out of memory", url ? url : "(no URL)");
	cJSON_Delete(jwk);
	cJSON_Delete(hdr);
	free(jwk_str);
	cJSON_free(hdr_str);
	free(h64);
	free(p64);
	free(s64);
	free(sig);
	buf_free(&input);
	buf_free(&out);
	return res;
}

static const EVP_MD *hmac_md(const char *alg)
{
	if (!alg)
		return NULL;
	if (strcmp(alg, "HS256") == 0)
		return EVP_sha256();
	if (strcmp(alg, "HS384") == 0)
		return EVP_sha384();
	if (strcmp(alg, "HS512") == 0)
		return EVP_sha512();
	return NULL;
}

int jws_hmac(const char *alg, const unsigned char *key, size_t key_len,
             const char *data, size_t len, unsigned char *out,
             size_t *out_len)
{
	static const unsigned char empty[1] = { 0 };
	const EVP_MD *md = hmac_md(alg);
	unsigned int n = 0;

	if (!md || key_len > INT_MAX)
		return -1;
	/* HMAC() treats a NULL key as "reuse the previous key", which a
	 * one-shot call does not have, so an empty key gets a real pointer. */
	if (!HMAC(md, key && key_len ? key : empty, (int)key_len,
	          (const unsigned char *)data, len, out, &n))
		return -1;
	*out_len = n;
	return 0;
}

cJSON *jws_eab(const char *eab_kid, const unsigned char *hmac_key,
               size_t key_len, const char *hmac_alg, EVP_PKEY *account_key,
               const char *url, struct error *e)
{
	cJSON *hdr = NULL, *obj = NULL, *res = NULL;
	char *hdr_str = NULL, *jwk = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	struct buf input = { 0 };

	if (!hmac_md(hmac_alg)) {
		err_set(e, EXIT_USAGE, "unsupported EAB HMAC algorithm \"%s\": use HS256, HS384 or HS512",
		        hmac_alg ? hmac_alg : "(none)");
		goto out;
	}
	if (!eab_kid || !*eab_kid) {
		err_set(e, EXIT_USAGE, "the EAB key identifier is empty: set the kid your CA issued");
		goto out;
	}
	if (!hmac_key || key_len == 0) {
		err_set(e, EXIT_USAGE, "the EAB HMAC key for kid \"%s\" is empty: set the key your CA issued",
		        eab_kid);
		goto out;
	}
	if (!url) {
		err_set(e, EXIT_OP, "cannot build the EAB binding without the newAccount URL");
		goto out;
	}
	jwk = jws_jwk(account_key, e);
	if (!jwk)
		goto out;
	hdr = cJSON_CreateObject();
	if (!hdr || !cJSON_AddStringToObject(hdr, "alg", hmac_alg) ||
	    !cJSON_AddStringToObject(hdr, "kid", eab_kid) ||
	    !cJSON_AddStringToObject(hdr, "url", url))
		goto out;
	hdr_str = cJSON_PrintUnformatted(hdr);
	if (!hdr_str)
		goto out;
	h64 = b64url_encode(hdr_str, strlen(hdr_str));
	p64 = b64url_encode(jwk, strlen(jwk));
	if (!h64 || !p64 || join_b64(&input, h64, p64) < 0)
		goto out;
	if (jws_hmac(hmac_alg, hmac_key, key_len, input.data, input.len, mac, &maclen) < 0) {
		err_set(e, EXIT_OP, "cannot compute the EAB %s MAC for kid \"%s\"", hmac_alg, eab_kid);
		goto out;
	}
	s64 = b64url_encode(mac, maclen);
	obj = cJSON_CreateObject();
	if (!s64 || !obj || !cJSON_AddStringToObject(obj, "protected", h64) ||
	    !cJSON_AddStringToObject(obj, "payload", p64) ||
	    !cJSON_AddStringToObject(obj, "signature", s64))
		goto out;
	res = obj;
	obj = NULL;
out:
	/* Failures without a message of their own are allocation or library
	 * failures. */
	if (!res && !err_isset(e))
		err_set(e, EXIT_OP, "cannot build the EAB binding for kid \"%s\": out of memory", eab_kid);
	OPENSSL_cleanse(mac, sizeof(mac));
	cJSON_Delete(obj);
	cJSON_Delete(hdr);
	cJSON_free(hdr_str);
	free(jwk);
	free(h64);
	free(p64);
	free(s64);
	buf_free(&input);
	return res;
}
