/* JWS, JWK and EAB against the RFC 7638 and RFC 7515 published examples,
 * plus round trips for every algorithm the client signs with. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "base/b64.h"
#include "check.h"
#include "acme/jws.h"
#include "jws_verify.h"

/* RFC 7638 §3.1. */
static const char rfc7638_n[] =
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

/* RFC 7515 Appendix A.1 and A.3 share this payload. */
static const char rfc7515_payload[] =
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char a1_protected[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
static const char a1_k[] =
	"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const char a1_sig[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char a3_protected[] = "eyJhbGciOiJFUzI1NiJ9";
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char a3_sig[] =
	"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

static unsigned char *unb64(const char *s, size_t *len)
{
	unsigned char *out = NULL;

	if (b64url_decode(s, &out, len) < 0)
		return NULL;
	return out;
}

static EVP_PKEY *rsa_from_n_e(const char *n64, const char *e64)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *nb, *eb;
	size_t nl = 0, el = 0;
	BIGNUM *n = NULL, *e = NULL;

	nb = unb64(n64, &nl);
	eb = unb64(e64, &el);
	if (nb && eb) {
		n = BN_bin2bn(nb, (int)nl, NULL);
		e = BN_bin2bn(eb, (int)el, NULL);
	}
	if (bld && n && e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) &&
	    EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return key;
}

static EVP_PKEY *p256_from_x_y(const char *x64, const char *y64)
{
	unsigned char point[65], *x, *y;
	size_t xl = 0, yl = 0;
	char group[] = "P-256";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	x = unb64(x64, &xl);
	y = unb64(y64, &yl);
	if (x && y && xl == 32 && yl == 32) {
		point[0] = 0x04;
		memcpy(point + 1, x, 32);
		memcpy(point + 33, y, 32);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
		params[2] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
			EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	}
	EVP_PKEY_CTX_free(ctx);
	free(x);
	free(y);
	return key;
}

static char *flattened(const char *prot, const char *payload, const char *sig)
{
	size_t n = strlen(prot) + strlen(payload) + strlen(sig) + 64;
	char *s = malloc(n);

	snprintf(s, n, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
	         prot, payload, sig);
	return s;
}

/* Decode the named base64url member of a flattened JWS into a string. */
static char *member_decoded(const cJSON *jws, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(jws, name);
	unsigned char *out = NULL;
	size_t len = 0;

	if (!cJSON_IsString(m) || b64url_decode(m->valuestring, &out, &len) < 0)
		return NULL;
	return (char *)out;
}

static const char *str_member(const cJSON *o, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static void test_rfc7638(void)
{
	struct error e = { 0 };
	EVP_PKEY *key = rsa_from_n_e(rfc7638_n, "AQAB");
	char *jwk, *tp, want[512];

	CHECK(key != NULL);
	CHECK_STR(jws_alg_for_key(key), "RS256");
	jwk = jws_jwk(key, &e);
	snprintf(want, sizeof(want), "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}", rfc7638_n);
	CHECK_STR(jwk, want);
	tp = jws_thumbprint(key, &e);
	CHECK_STR(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(jwk);
	free(tp);
	EVP_PKEY_free(key);
}

static void test_rfc7515_a1(void)
{
	struct error e = { 0 };
	unsigned char *k, mac[EVP_MAX_MD_SIZE];
	size_t klen = 0, maclen = 0;
	char input[256], *sig64 = NULL, *jws, *bad;

	k = unb64(a1_k, &klen);
	CHECK(k && klen == 64);
	snprintf(input, sizeof(input), "%s.%s", a1_protected, rfc7515_payload);
	CHECK(jws_hmac("HS256", k, klen, input, strlen(input), mac, &maclen) == 0);
	CHECK(maclen == 32);
	sig64 = b64url_encode(mac, maclen);
	CHECK_STR(sig64, a1_sig);
	CHECK(jws_hmac("HS999", k, klen, input, strlen(input), mac, &maclen) == -1);

	jws = flattened(a1_protected, rfc7515_payload, a1_sig);
	CHECK(jws_hmac_verify(k, klen, jws, &e) == 0);
	CHECK(!err_isset(&e));
	k[0] ^= 1;
	CHECK(jws_hmac_verify(k, klen, jws, &e) == -1);
	CHECK(strstr(e.msg, "HS256") != NULL);
	k[0] ^= 1;
	err_clear(&e);
	bad = flattened(a1_protected, "eyJ4IjoxfQ", a1_sig);
	CHECK(jws_hmac_verify(k, klen, bad, &e) == -1);
	free(bad);
	free(jws);
	free(sig64);
	free(k);
}

static void test_rfc7515_a3(void)
{
	struct error e = { 0 };
	EVP_PKEY *key = p256_from_x_y(a3_x, a3_y);
	char *jws, *jwk, want[256], tampered[sizeof(a3_sig)];

	CHECK(key != NULL);
	CHECK_STR(jws_alg_for_key(key), "ES256");
	jwk = jws_jwk(key, &e);
	snprintf(want, sizeof(want), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	         a3_x, a3_y);
	CHECK_STR(jwk, want);
	jws = flattened(a3_protected, rfc7515_payload, a3_sig);
	CHECK(jws_verify(key, jws, &e) == 0);
	CHECK(!err_isset(&e));
	free(jws);

	memcpy(tampered, a3_sig, sizeof(a3_sig));
	tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
	jws = flattened(a3_protected, rfc7515_payload, tampered);
	CHECK(jws_verify(key, jws, &e) == -1);
	CHECK(err_isset(&e));
	free(jws);
	free(jwk);
	EVP_PKEY_free(key);
}

/* Sign with KID or an embedded JWK and check every header member. */
static void check_sign(EVP_PKEY *key, const char *alg, size_t sig_len)
{
	struct error e = { 0 };
	char *out, *hdr_s, *pay, *jwk_s, prefix[64];
	cJSON *jws, *hdr, *jwk_want;
	unsigned char *sig;
	size_t slen = 0;

	out = jws_sign(key, "https://ca.test/acct/1", "nonce-abc", "https://ca.test/order",
	               "{\"a\":1}", &e);
	CHECK(out != NULL);
	CHECK(!err_isset(&e));
	jws = cJSON_Parse(out);
	hdr_s = member_decoded(jws, "protected");
	snprintf(prefix, sizeof(prefix), "{\"alg\":\"%s\",\"kid\":", alg);
	CHECK(hdr_s && strncmp(hdr_s, prefix, strlen(prefix)) == 0);
	hdr = hdr_s ? cJSON_Parse(hdr_s) : NULL;
	CHECK_STR(str_member(hdr, "alg"), alg);
	CHECK_STR(str_member(hdr, "kid"), "https://ca.test/acct/1");
	CHECK_STR(str_member(hdr, "nonce"), "nonce-abc");
	CHECK_STR(str_member(hdr, "url"), "https://ca.test/order");
	CHECK(cJSON_GetObjectItemCaseSensitive(hdr, "jwk") == NULL);
	pay = member_decoded(jws, "payload");
	CHECK_STR(pay, "{\"a\":1}");
	sig = unb64(str_member(jws, "signature"), &slen);
	CHECK(sig && slen == sig_len);
	CHECK(jws_verify(key, out, &e) == 0);
	free(sig);
	free(pay);
	cJSON_Delete(hdr);
	free(hdr_s);
	cJSON_Delete(jws);
	free(out);

	/* No kid: the JWK goes in instead, and POST-as-GET has payload "". */
	out = jws_sign(key, NULL, "n2", "https://ca.test/new-acct", NULL, &e);
	CHECK(out != NULL);
	jws = cJSON_Parse(out);
	CHECK_STR(str_member(jws, "payload"), "");
	hdr_s = member_decoded(jws, "protected");
	snprintf(prefix, sizeof(prefix), "{\"alg\":\"%s\",\"jwk\":{", alg);
	CHECK(hdr_s && strncmp(hdr_s, prefix, strlen(prefix)) == 0);
	hdr = hdr_s ? cJSON_Parse(hdr_s) : NULL;
	CHECK(cJSON_GetObjectItemCaseSensitive(hdr, "kid") == NULL);
	CHECK_STR(str_member(hdr, "nonce"), "n2");
	CHECK_STR(str_member(hdr, "url"), "https://ca.test/new-acct");
	jwk_s = jws_jwk(key, &e);
	jwk_want = jwk_s ? cJSON_Parse(jwk_s) : NULL;
	CHECK(jwk_want && cJSON_Compare(cJSON_GetObjectItemCaseSensitive(hdr, "jwk"), jwk_want, 1));
	CHECK(jws_verify(key, out, &e) == 0);
	CHECK(!err_isset(&e));
	cJSON_Delete(jwk_want);
	free(jwk_s);
	cJSON_Delete(hdr);
	free(hdr_s);
	cJSON_Delete(jws);
	free(out);
}

static void test_sign_round_trips(void)
{
	struct error e = { 0 };
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	char *out, *jwk;

	CHECK(p256 && p384 && rsa && p521);
	CHECK_STR(jws_alg_for_key(p384), "ES384");
	CHECK(jws_alg_for_key(p521) == NULL);
	check_sign(p256, "ES256", 64);
	check_sign(p384, "ES384", 96);
	check_sign(rsa, "RS256", 256);

	jwk = jws_jwk(p384, &e);
	CHECK(jwk && strncmp(jwk, "{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"", 31) == 0);
	free(jwk);

	/* A signature from one key must not verify under another. */
	out = jws_sign(p256, "k", "n", "https://ca.test/x", "{}", &e);
	CHECK(out != NULL);
	CHECK(jws_verify(p384, out, &e) == -1);
	err_clear(&e);
	CHECK(jws_verify(rsa, out, &e) == -1);
	err_clear(&e);
	free(out);

	CHECK(jws_sign(p521, "k", "n", "https://ca.test/x", "{}", &e) == NULL);
	CHECK(strstr(e.msg, "EC") != NULL);
	err_clear(&e);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p521);
}

/* JWK coordinates are fixed width: find a key whose x has a leading zero
 * byte (1 in 256) and check it is still 32 bytes in the JWK. */
static void test_jwk_padding(void)
{
	struct error e = { 0 };
	bool found = false;

	for (int i = 0; i < 4000 && !found; i++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		BIGNUM *x = NULL;

		if (k && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
		    BN_num_bytes(x) < 32) {
			char *jwk = jws_jwk(k, &e);
			cJSON *o = jwk ? cJSON_Parse(jwk) : NULL;
			unsigned char *xb = NULL;
			size_t xl = 0;

			found = true;
			xb = unb64(str_member(o, "x"), &xl);
			CHECK(xb && xl == 32 && xb[0] == 0);
			free(xb);
			cJSON_Delete(o);
			free(jwk);
		}
		BN_free(x);
		EVP_PKEY_free(k);
	}
	CHECK(found);
}

static void test_eab(void)
{
	static const unsigned char hkey[] = "an-eab-hmac-key-of-some-length!!";
	struct error e = { 0 };
	EVP_PKEY *acct = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	cJSON *eab, *hdr;
	char *printed, *hdr_s, *pay, *jwk;
	unsigned char *sig;
	size_t slen = 0;

	eab = jws_eab("kid-123", hkey, sizeof(hkey) - 1, "HS256", acct,
	              "https://ca.test/new-acct", &e);
	CHECK(eab != NULL);
	CHECK(!err_isset(&e));
	hdr_s = member_decoded(eab, "protected");
	CHECK_STR(hdr_s, "{\"alg\":\"HS256\",\"kid\":\"kid-123\",\"url\":\"https://ca.test/new-acct\"}");
	hdr = hdr_s ? cJSON_Parse(hdr_s) : NULL;
	CHECK(cJSON_GetObjectItemCaseSensitive(hdr, "nonce") == NULL);
	pay = member_decoded(eab, "payload");
	jwk = jws_jwk(acct, &e);
	CHECK_STR(pay, jwk);
	sig = unb64(str_member(eab, "signature"), &slen);
	CHECK(sig && slen == 32);
	printed = cJSON_PrintUnformatted(eab);
	CHECK(jws_hmac_verify(hkey, sizeof(hkey) - 1, printed, &e) == 0);
	CHECK(!err_isset(&e));
	CHECK(jws_hmac_verify(hkey, sizeof(hkey) - 2, printed, &e) == -1);
	err_clear(&e);
	free(sig);
	cJSON_free(printed);
	free(jwk);
	free(pay);
	cJSON_Delete(hdr);
	free(hdr_s);
	cJSON_Delete(eab);

	eab = jws_eab("kid-123", hkey, sizeof(hkey) - 1, "HS512", acct,
	              "https://ca.test/new-acct", &e);
	sig = eab ? unb64(str_member(eab, "signature"), &slen) : NULL;
	CHECK(sig && slen == 64);
	printed = eab ? cJSON_PrintUnformatted(eab) : NULL;
	CHECK(printed && jws_hmac_verify(hkey, sizeof(hkey) - 1, printed, &e) == 0);
	free(sig);
	cJSON_free(printed);
	cJSON_Delete(eab);

	eab = jws_eab("kid-123", hkey, sizeof(hkey) - 1, "HS999", acct,
	              "https://ca.test/new-acct", &e);
	CHECK(eab == NULL);
	CHECK(e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, "HS999") != NULL);
	err_clear(&e);
	CHECK(jws_eab("kid-123", hkey, 0, "HS256", acct, "https://ca.test/new-acct", &e) == NULL);
	CHECK(e.exit_code == EXIT_USAGE);
	EVP_PKEY_free(acct);
}

int main(void)
{
	test_rfc7638();
	test_rfc7515_a1();
	test_rfc7515_a3();
	test_sign_round_trips();
	test_jwk_padding();
	test_eab();
	return check_done();
}
