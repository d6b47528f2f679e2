/* PKCS#8 private keys (RFC 5208, RFC 5915, RFC 8017) for RSA and the NIST
 * curves, encoded and decoded here rather than through OpenSSL's generic
 * encoders and decoders, which enumerate every implementation on each call
 * and cost more than the rest of an issuance's key handling; and the key
 * builder the JWK import shares. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/crypto_priv.h"
#include "base/der.h"

/* An 8192-bit RSA key is under 5 KiB of DER. */
#define PKCS8_CAP (16 * 1024)

static const unsigned char oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const unsigned char oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const unsigned char oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};

static const struct crypto_curve curves[] = {
	{"prime256v1", "P-256", NID_X9_62_prime256v1, oid_p256, sizeof(oid_p256), 32, true},
	{"secp384r1", "P-384", NID_secp384r1, oid_p384, sizeof(oid_p384), 48, false},
	{"secp521r1", "P-521", NID_secp521r1, oid_p521, sizeof(oid_p521), 66, true},
};

/* RSAPrivateKey's integers after the version, in their order, which is
 * also the order of a JWK's members n, e, d, p, q, dp, dq, qi. */
const char *const crypto_rsa_params[8] = {
	OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,        OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,  OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};

const struct crypto_curve *crypto_curve_by_name(const char *name, bool jwk)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(name, jwk ? curves[i].jwk : curves[i].group) == 0)
			return &curves[i];
	return NULL;
}

const struct crypto_curve *crypto_curve_by_oid(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].oid_len == n && memcmp(curves[i].oid, p, n) == 0)
			return &curves[i];
	return NULL;
}

enum crypto_kind crypto_key_kind(EVP_PKEY *key, const struct crypto_curve **curve)
{
	char group[64];
	BIGNUM *third = NULL;

	*curve = NULL;
	if (EVP_PKEY_is_a(key, "RSA")) {
		/* A multi-prime key has no place in a two-prime RSAPrivateKey. */
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR3, &third)) {
			BN_clear_free(third);
			return CRYPTO_OTHER;
		}
		return CRYPTO_RSA;
	}
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) &&
	    (*curve = crypto_curve_by_name(group, false)))
		return CRYPTO_EC;
	return CRYPTO_OTHER;
}

void crypto_der_key_algid(struct der_writer *w, const struct crypto_curve *curve)
{
	der_begin(w, DER_SEQUENCE);
	if (curve) {
		der_put(w, DER_OID, oid_ec, sizeof(oid_ec));
		der_put(w, DER_OID, curve->oid, curve->oid_len);
	} else {
		der_put(w, DER_OID, oid_rsa, sizeof(oid_rsa));
		der_put(w, DER_NULL, NULL, 0);
	}
	der_end(w);
}

int crypto_push_ec(OSSL_PARAM_BLD *bld, const struct crypto_curve *curve,
                   const unsigned char *pub, size_t pub_len, const BIGNUM *d)
{
	return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) &&
	               OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) &&
	               OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)
	       ? 0
	       : -1;
}

/* The public point of an EC key on CURVE is its scalar times the
 * generator, and the scalar is in range. OpenSSL's EVP_PKEY_pairwise_check
 * would do, but it also checks the point's order with a second scalar
 * multiplication: on P-256 it costs 0.8 million instructions against 0.35
 * here. */
static bool ec_match(EVP_PKEY *key, const struct crypto_curve *curve)
{
	EC_GROUP *group = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *d = NULL;
	unsigned char pub[1 + 2 * 66], calc[1 + 2 * 66];
	size_t plen = 0;
	bool ok = false;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
	    !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof(pub),
	                                     &plen) ||
	    !(group = EC_GROUP_new_by_curve_name_ex(NULL, NULL, curve->nid)) || !(pt = EC_POINT_new(group)))
		goto out;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0 ||
	    !EC_POINT_mul(group, pt, d, NULL, NULL, NULL))
		goto out;
	ok = EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, calc, sizeof(calc), NULL) == plen &&
	     memcmp(calc, pub, plen) == 0;
out:
	EC_POINT_free(pt);
	EC_GROUP_free(group);
	BN_clear_free(d);
	return ok;
}

/* N = P * Q, and the CRT values belong to D, E and the primes: DP and DQ
 * are D modulo P - 1 and Q - 1 and invert E there, QI inverts Q modulo P.
 * Then a signature made with the private parts verifies with N and E.
 * That P and Q are prime is not tested: OpenSSL's pairwise check does,
 * at 380 million instructions for a 2048-bit key, and its own PEM reader
 * checks nothing at all. */
static bool rsa_match(EVP_PKEY *key)
{
	BIGNUM *v[8] = {0};
	BIGNUM *t, *p1, *q1;
	BN_CTX *ctx = BN_CTX_secure_new();
	bool ok = false;

	if (!ctx)
		return false;
	BN_CTX_start(ctx);
	t = BN_CTX_get(ctx);
	p1 = BN_CTX_get(ctx);
	q1 = BN_CTX_get(ctx);
	if (!q1)
		goto out;
	for (size_t i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(key, crypto_rsa_params[i], &v[i]))
			goto out;
		if (i >= 2)
			BN_set_flags(v[i], BN_FLG_CONSTTIME);
	}
	/* v: n, e, d, p, q, dp, dq, qi */
	if (BN_cmp(v[3], BN_value_one()) <= 0 || BN_cmp(v[4], BN_value_one()) <= 0 ||
	    !BN_sub(p1, v[3], BN_value_one()) || !BN_sub(q1, v[4], BN_value_one()) ||
	    !BN_mul(t, v[3], v[4], ctx) || BN_cmp(t, v[0]) != 0 ||
	    !BN_mod(t, v[2], p1, ctx) || BN_cmp(t, v[5]) != 0 ||
	    !BN_mod(t, v[2], q1, ctx) || BN_cmp(t, v[6]) != 0 ||
	    !BN_mod_mul(t, v[1], v[5], p1, ctx) || !BN_is_one(t) ||
	    !BN_mod_mul(t, v[1], v[6], q1, ctx) || !BN_is_one(t) ||
	    !BN_mod_mul(t, v[7], v[4], v[3], ctx) || !BN_is_one(t))
		goto out;
	ok = true;
out:
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(v[i]);
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return ok;
}

/* The parts must be one key: a key that signs but does not verify is no
 * key at all, and EVP_PKEY_fromdata takes the parts as they come. */
static bool parts_match(EVP_PKEY *key, const struct crypto_curve *curve)
{
	return curve ? ec_match(key, curve) : rsa_match(key);
}

EVP_PKEY *crypto_key_build(const struct crypto_curve *curve, OSSL_PARAM_BLD *bld, const char *what,
                           int code, struct error *e)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL, *ret = NULL;
	char why[256];

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, curve ? "EC" : "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) <= 0) {
		err_set(e, code, "%s is not a valid %s private key: %s", what, curve ? "EC" : "RSA",
		        crypto_ossl_reason(why, sizeof(why)));
		goto out;
	}
	if (!parts_match(key, curve)) {
		err_set(e, code, "the private and public parts of %s do not match", what);
		goto out;
	}
	ret = key;
	key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	OSSL_PARAM_free(params);
	return ret;
}

/* --- PKCS#8 out ----------------------------------------------------------- */

/* ECPrivateKey (RFC 5915) as OpenSSL writes it inside PKCS#8: version 1,
 * the scalar padded to the curve's size, no parameters (the
 * AlgorithmIdentifier has them), the public point. */
static int ec_private_der(struct der_writer *w, EVP_PKEY *key, const struct crypto_curve *curve)
{
	unsigned char d[66], pub[1 + 2 * 66];
	size_t plen = 0;
	BIGNUM *bn = NULL;
	int ret = -1;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &bn) ||
	    BN_bn2binpad(bn, d, (int)curve->size) < 0 ||
	    !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof(pub),
	                                     &plen))
		goto out;
	der_begin(w, DER_SEQUENCE);
	der_put_uint(w, (const unsigned char *)"\x01", 1);
	der_put(w, DER_OCTET_STRING, d, curve->size);
	der_begin(w, DER_CONTEXT(1));
	der_put_bits(w, pub, plen);
	der_end(w);
	der_end(w);
	ret = 0;
out:
	OPENSSL_cleanse(d, sizeof(d));
	BN_clear_free(bn);
	return ret;
}

/* RSAPrivateKey (RFC 8017 §A.1.2), version 0 with two primes. */
static int rsa_private_der(struct der_writer *w, EVP_PKEY *key)
{
	BIGNUM *bn = NULL;
	int ret = -1;

	der_begin(w, DER_SEQUENCE);
	der_put_uint(w, NULL, 0);
	for (size_t i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(key, crypto_rsa_params[i], &bn))
			goto out;
		der_put_bn(w, bn);
		BN_clear_free(bn);
		bn = NULL;
	}
	der_end(w);
	ret = 0;
out:
	BN_clear_free(bn);
	return ret;
}

/* The PEM armour around DER: base64 in lines of 64 characters. */
static char *pem_wrap(const unsigned char *der, size_t len)
{
	struct buf b = {0};
	char *text = NULL, *res = NULL;
	size_t tlen;

	if (!(text = b64_encode(der, len)))
		goto out;
	tlen = strlen(text);
	if (buf_puts(&b, "-----BEGIN PRIVATE KEY-----\n") < 0)
		goto out;
	for (size_t off = 0; off < tlen; off += 64) {
		if (buf_append(&b, text + off, tlen - off < 64 ? tlen - off : 64) < 0 ||
		    buf_puts(&b, "\n") < 0)
			goto out;
	}
	if (buf_puts(&b, "-----END PRIVATE KEY-----\n") < 0)
		goto out;
	res = buf_steal(&b);
out:
	if (text)
		crypto_wipe_free(text, strlen(text));
	buf_free(&b);
	return res;
}

int crypto_pkcs8_pem(EVP_PKEY *key, char **pem)
{
	const struct crypto_curve *curve = NULL;
	enum crypto_kind kind = crypto_key_kind(key, &curve);
	struct der_writer w;
	unsigned char *der = NULL;
	size_t len = 0;
	int ret = -1;

	der_writer_init(&w, PKCS8_CAP);
	if (kind == CRYPTO_OTHER) {
		ret = 0;
		goto out;
	}
	der_begin(&w, DER_SEQUENCE);
	der_put_uint(&w, NULL, 0);
	crypto_der_key_algid(&w, curve);
	der_begin(&w, DER_OCTET_STRING);
	if ((kind == CRYPTO_EC ? ec_private_der(&w, key, curve) : rsa_private_der(&w, key)) < 0)
		goto out;
	der_end(&w);
	der_end(&w);
	if (der_finish(&w, &der, &len) < 0 || !(*pem = pem_wrap(der, len)))
		goto out;
	ret = 1;
out:
	der_writer_free(&w);
	if (der)
		crypto_wipe_free((char *)der, len);
	return ret;
}

/* --- PKCS#8 in ------------------------------------------------------------ */

/* The parts of an ECPrivateKey on CURVE onto BLD. Only the form with the
 * public point, uncompressed, is taken: without it the point would have to
 * be computed, which OpenSSL's own decoder does. */
static int ec_parts(struct der_reader *in, const struct crypto_curve *curve, OSSL_PARAM_BLD *bld,
                    BIGNUM **d)
{
	struct der_reader seq, priv, params, pubkey;
	const unsigned char *pub;
	size_t plen;

	if (der_get(in, DER_SEQUENCE, &seq) < 0 || !der_at_end(in) || der_get_small(&seq, 1) < 0 ||
	    der_get(&seq, DER_OCTET_STRING, &priv) < 0 || priv.len == 0 || priv.len > curve->size)
		return 0;
	if (der_peek(&seq) == DER_CONTEXT(0) &&
	    (der_get(&seq, DER_CONTEXT(0), &params) < 0 ||
	     !der_get_fixed(&params, DER_OID, curve->oid, curve->oid_len) || !der_at_end(&params)))
		return 0;
	if (der_get(&seq, DER_CONTEXT(1), &pubkey) < 0 || der_get_bits(&pubkey, &pub, &plen) < 0 ||
	    !der_at_end(&pubkey) || !der_at_end(&seq) || plen != 1 + 2 * curve->size || pub[0] != 0x04)
		return 0;
	if (!(*d = BN_bin2bn(priv.p, (int)priv.len, NULL)) || crypto_push_ec(bld, curve, pub, plen, *d) < 0)
		return -1;
	return 1;
}

/* The eight integers of a two-prime RSAPrivateKey onto BLD. */
static int rsa_parts(struct der_reader *in, OSSL_PARAM_BLD *bld, BIGNUM **bns)
{
	struct der_reader seq;
	const unsigned char *p;
	size_t n;

	if (der_get(in, DER_SEQUENCE, &seq) < 0 || !der_at_end(in) || der_get_small(&seq, 0) < 0)
		return 0;
	for (size_t i = 0; i < 8; i++) {
		if (der_get_uint(&seq, &p, &n) < 0 || n > 1024)
			return 0;
		if (!(bns[i] = BN_bin2bn(p, (int)n, NULL)) ||
		    !OSSL_PARAM_BLD_push_BN(bld, crypto_rsa_params[i], bns[i]))
			return -1;
	}
	return der_at_end(&seq) ? 1 : 0;
}

int crypto_pkcs8_parse(const unsigned char *der, size_t len, const char *what, EVP_PKEY **key,
                       struct error *e)
{
	struct der_reader top, pki, alg, priv, oid;
	const struct crypto_curve *curve = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bns[8] = {0};
	EVP_PKEY *k = NULL;
	int ret = 0;

	/* PrivateKeyInfo: version 0, the algorithm, the key; no attributes. */
	der_reader_init(&top, der, len);
	if (der_get(&top, DER_SEQUENCE, &pki) < 0 || !der_at_end(&top) || der_get_small(&pki, 0) < 0 ||
	    der_get(&pki, DER_SEQUENCE, &alg) < 0 || der_get(&pki, DER_OCTET_STRING, &priv) < 0 ||
	    !der_at_end(&pki))
		goto out;
	if (der_get_fixed(&alg, DER_OID, oid_ec, sizeof(oid_ec))) {
		if (der_get(&alg, DER_OID, &oid) < 0 || !der_at_end(&alg) ||
		    !(curve = crypto_curve_by_oid(oid.p, oid.len)) || !curve->load_here)
			goto out;
	} else if (!der_get_fixed(&alg, DER_OID, oid_rsa, sizeof(oid_rsa)) ||
	           !der_get_fixed(&alg, DER_NULL, NULL, 0) || !der_at_end(&alg)) {
		goto out;
	}
	if (!(bld = OSSL_PARAM_BLD_new())) {
		ret = -1;
		goto out;
	}
	ret = curve ? ec_parts(&priv, curve, bld, &bns[0]) : rsa_parts(&priv, bld, bns);
	if (ret <= 0)
		goto out;
	if (!(k = crypto_key_build(curve, bld, what, EXIT_OP, e))) {
		ret = -1;
		goto out;
	}
	*key = k;
out:
	if (ret < 0 && !err_isset(e))
		err_set(e, EXIT_OP, "cannot load %s: out of memory", what);
	OSSL_PARAM_BLD_free(bld);
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(bns[i]);
	return ret;
}

/* The DER inside a "PRIVATE KEY" PEM block exactly as OpenSSL and certbot
 * write it: the BEGIN line first in the file, no headers, lines of 64
 * characters but the last, the END line. Anything else is left to
 * OpenSSL's reader, so that what it accepts here it would read the same. */
static int pem_unwrap(const char *data, size_t len, unsigned char **der, size_t *der_len)
{
	static const char begin[] = "-----BEGIN PRIVATE KEY-----", end[] = "-----END PRIVATE KEY-----";
	static const char b64_alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	struct buf b = {0};
	const char *p = data, *stop = data + len, *eol;
	size_t n, last = 64;
	int ret = -1;

	b.limit = len;
	for (bool first = true;; first = false) {
		if (!(eol = memchr(p, '\n', (size_t)(stop - p))))
			goto out;
		n = (size_t)(eol - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (first) {
			if (n != sizeof(begin) - 1 || memcmp(p, begin, n) != 0)
				goto out;
		} else if (n == sizeof(end) - 1 && memcmp(p, end, n) == 0) {
			break;
		} else {
			/* The alphabet stops strspn at the newline at the latest. */
			if (n == 0 || n > 64 || last != 64 || strspn(p, b64_alphabet) < n ||
			    buf_append(&b, p, n) < 0)
				goto out;
			last = n;
		}
		p = eol + 1;
	}
	if (b.len == 0 || b64_decode(b.data, der, der_len) < 0)
		goto out;
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

int crypto_pkcs8_load(const char *data, size_t len, const char *what, EVP_PKEY **key,
                      struct error *e)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	int ret;

	if (pem_unwrap(data, len, &der, &der_len) < 0)
		return 0;
	ret = crypto_pkcs8_parse(der, der_len, what, key, e);
	crypto_wipe_free((char *)der, der_len);
	return ret;
}
