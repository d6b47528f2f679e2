/* Verifying flattened JWS objects, which the client itself never needs
 * (it only signs): the tests check what the client signs, and the JWS
 * fuzz target exercises the parser, with this verifier. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base/b64.h"
#include "base/buf.h"
#include "jws_verify.h"

struct verify_alg {
	const char *name;
	const char *md;
	size_t ec_len;   /* ECDSA: bytes of r and of s; 0 for RSA */
};

static const struct verify_alg *alg_of_key(EVP_PKEY *key)
{
	static const struct verify_alg algs[] = {
		{"ES256", "SHA256", 32}, {"ES384", "SHA384", 48}, {"RS256", "SHA256", 0}};
	const char *name = jws_alg_for_key(key);

	for (size_t i = 0; name && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

static int join_b64(struct buf *out, const char *a, const char *b)
{
	return buf_puts(out, a) < 0 || buf_puts(out, ".") < 0 || buf_puts(out, b) < 0 ? -1 : 0;
}

/* Returns 1 for a good signature, 0 for a bad one. */
static int verify_raw(EVP_PKEY *key, const struct verify_alg *alg, const char *data,
                      size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	const unsigned char *vsig = sig;
	size_t vlen = siglen;
	int n, ok = 0;

	if (alg->ec_len) {
		if (siglen != 2 * alg->ec_len)
			goto out;
		es = ECDSA_SIG_new();
		r = BN_bin2bn(sig, (int)alg->ec_len, NULL);
		s = BN_bin2bn(sig + alg->ec_len, (int)alg->ec_len, NULL);
		if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
			goto out;
		r = s = NULL;
		n = i2d_ECDSA_SIG(es, &der);
		if (n <= 0)
			goto out;
		vsig = der;
		vlen = (size_t)n;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, alg->md, NULL, NULL, key, NULL) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, vsig, vlen, (const unsigned char *)data, len) == 1;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* The pieces of a flattened JWS a verifier needs. */
struct jws_parts {
	struct buf input;       /* "protected.payload", the signed bytes */
	char *alg;
	unsigned char *sig;
	size_t siglen;
};

static void parts_free(struct jws_parts *jp)
{
	buf_free(&jp->input);
	free(jp->alg);
	free(jp->sig);
	jp->alg = NULL;
	jp->sig = NULL;
}

static int parts_parse(const char *json, struct jws_parts *jp, struct error *e)
{
	cJSON *root = NULL, *hdr = NULL;
	const cJSON *prot, *pay, *sig, *alg;
	unsigned char *hdr_raw = NULL;
	size_t hdr_len = 0;
	int ret = -1;

	root = json ? cJSON_Parse(json) : NULL;
	prot = cJSON_GetObjectItemCaseSensitive(root, "protected");
	pay = cJSON_GetObjectItemCaseSensitive(root, "payload");
	sig = cJSON_GetObjectItemCaseSensitive(root, "signature");
	if (!cJSON_IsString(prot) || !cJSON_IsString(pay) || !cJSON_IsString(sig)) {
		err_set(e, EXIT_OP, "JWS is not flattened JSON with protected, payload and signature strings");
		goto out;
	}
	if (b64url_decode(prot->valuestring, &hdr_raw, &hdr_len) < 0 ||
	    !(hdr = cJSON_ParseWithLength((const char *)hdr_raw, hdr_len))) {
		err_set(e, EXIT_OP, "JWS protected header \"%.64s\" is not base64url JSON", prot->valuestring);
		goto out;
	}
	alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
	if (!cJSON_IsString(alg)) {
		err_set(e, EXIT_OP, "JWS protected header has no alg");
		goto out;
	}
	if (b64url_decode(sig->valuestring, &jp->sig, &jp->siglen) < 0) {
		err_set(e, EXIT_OP, "JWS signature \"%.64s\" is not base64url", sig->valuestring);
		goto out;
	}
	jp->alg = strdup(alg->valuestring);
	if (!jp->alg || join_b64(&jp->input, prot->valuestring, pay->valuestring) < 0) {
		err_set(e, EXIT_OP, "cannot verify the JWS: out of memory");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		parts_free(jp);
	cJSON_Delete(hdr);
	cJSON_Delete(root);
	free(hdr_raw);
	return ret;
}

int jws_verify(EVP_PKEY *key, const char *flattened_json, struct error *e)
{
	const struct verify_alg *alg = alg_of_key(key);
	struct jws_parts jp = { 0 };
	int ret = -1;

	if (!alg) {
		err_set(e, EXIT_OP, "cannot verify with this key: only P-256, P-384 and RSA keys are supported");
		goto out;
	}
	if (parts_parse(flattened_json, &jp, e) < 0)
		goto out;
	if (strcmp(jp.alg, alg->name) != 0) {
		err_set(e, EXIT_OP, "JWS alg \"%s\" does not match the %s key", jp.alg, alg->name);
		goto out;
	}
	if (!verify_raw(key, alg, jp.input.data, jp.input.len, jp.sig, jp.siglen)) {
		err_set(e, EXIT_OP, "JWS %s signature does not verify", alg->name);
		goto out;
	}
	ret = 0;
out:
	parts_free(&jp);
	return ret;
}

int jws_hmac_verify(const unsigned char *key, size_t key_len,
                    const char *flattened_json, struct error *e)
{
	struct jws_parts jp = { 0 };
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	int ret = -1;

	if (parts_parse(flattened_json, &jp, e) < 0)
		goto out;
	if (jws_hmac(jp.alg, key, key_len, jp.input.data, jp.input.len, mac, &maclen) < 0) {
		err_set(e, EXIT_OP, "unsupported JWS HMAC algorithm \"%s\"", jp.alg);
		goto out;
	}
	if (maclen != jp.siglen || CRYPTO_memcmp(mac, jp.sig, maclen) != 0) {
		err_set(e, EXIT_OP, "JWS %s MAC does not verify", jp.alg);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	parts_free(&jp);
	return ret;
}
