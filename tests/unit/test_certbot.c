/* certbot's state read in place: JWK account keys, account directories
 * and configobj values. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "check.h"
#include "conf/configobj.h"
#include "conf/internal.h"
#include "store/certbot_account.h"
#include "store/fs.h"
#include "testutil.h"

/* Append "NAME": base64url(BN PARAM of KEY) to B, padded to PAD bytes. */
static void put_bn(struct buf *b, EVP_PKEY *key, const char *name, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	unsigned char raw[1024];
	int n;
	char *enc;

	CHECK(EVP_PKEY_get_bn_param(key, param, &bn) == 1);
	n = pad ? BN_bn2binpad(bn, raw, pad) : BN_bn2bin(bn, raw);
	enc = b64url_encode(raw, (size_t)n);
	buf_printf(b, "%s\"%s\": \"%s\"", b->len > 1 ? ", " : "", name, enc);
	free(enc);
	BN_free(bn);
}

/* KEY as certbot writes it to private_key.json. */
static char *rsa_jwk(EVP_PKEY *key, bool crt)
{
	struct buf b = {0};

	buf_puts(&b, "{");
	put_bn(&b, key, "n", OSSL_PKEY_PARAM_RSA_N, 0);
	put_bn(&b, key, "e", OSSL_PKEY_PARAM_RSA_E, 0);
	put_bn(&b, key, "d", OSSL_PKEY_PARAM_RSA_D, 0);
	if (crt) {
		put_bn(&b, key, "p", OSSL_PKEY_PARAM_RSA_FACTOR1, 0);
		put_bn(&b, key, "q", OSSL_PKEY_PARAM_RSA_FACTOR2, 0);
		put_bn(&b, key, "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1, 0);
		put_bn(&b, key, "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2, 0);
		put_bn(&b, key, "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0);
	}
	buf_puts(&b, ", \"kty\": \"RSA\"}");
	return buf_steal(&b);
}

static char *ec_jwk(EVP_PKEY *key, const char *crv, int size)
{
	struct buf b = {0};

	buf_puts(&b, "{");
	put_bn(&b, key, "x", OSSL_PKEY_PARAM_EC_PUB_X, size);
	put_bn(&b, key, "y", OSSL_PKEY_PARAM_EC_PUB_Y, size);
	put_bn(&b, key, "d", OSSL_PKEY_PARAM_PRIV_KEY, size);
	buf_printf(&b, ", \"crv\": \"%s\", \"kty\": \"EC\"}", crv);
	return buf_steal(&b);
}

/* TEXT loads as KEY, described as DESC. */
static void loads_as(const char *text, EVP_PKEY *key, const char *desc)
{
	struct error e = {0};
	EVP_PKEY *k = crypto_key_from_jwk(text, strlen(text), &e);
	char *d = k ? crypto_key_describe(k) : NULL;

	CHECK(k && crypto_pubkey_equal(k, key));
	CHECK_STR(d ? d : e.msg, desc);
	free(d);
	EVP_PKEY_free(k);
}

static void test_jwk(void)
{
	struct error e = {0};
	EVP_PKEY *rsa = crypto_keygen("rsa", NULL, 2048, &e);
	EVP_PKEY *ec = crypto_keygen("ecdsa", "secp384r1", 0, &e);
	EVP_PKEY *other = crypto_keygen("ecdsa", "secp384r1", 0, &e);
	char *text, *swapped;

	CHECK(rsa && ec && other);
	text = rsa_jwk(rsa, true);
	loads_as(text, rsa, "rsa 2048");
	free(text);

	/* Without the CRT values the parts cannot be checked: refused. */
	text = rsa_jwk(rsa, false);
	CHECK(!crypto_key_from_jwk(text, strlen(text), &e) && strstr(e.msg, "\"p\""));
	err_clear(&e);
	free(text);

	text = ec_jwk(ec, "P-384", 48);
	loads_as(text, ec, "ecdsa secp384r1");
	/* The curve must match the coordinates' size. */
	swapped = strdup(text);
	memcpy(strstr(swapped, "P-384"), "P-256", 5);
	CHECK(!crypto_key_from_jwk(swapped, strlen(swapped), &e) && e.msg[0]);
	err_clear(&e);
	free(swapped);
	free(text);
	/* Another key's private part with this key's point: refused. */
	{
		char *mine = ec_jwk(ec, "P-384", 48), *theirs = ec_jwk(other, "P-384", 48);
		char *d_mine = strstr(mine, "\"d\""), *d_theirs = strstr(theirs, "\"d\"");
		memcpy(d_mine, d_theirs, strlen(d_theirs) < strlen(d_mine) ? strlen(d_theirs) : strlen(d_mine));
		CHECK(!crypto_key_from_jwk(mine, strlen(mine), &e) && e.msg[0]);
		err_clear(&e);
		free(mine);
		free(theirs);
	}
	CHECK(!crypto_key_from_jwk("{\"kty\": \"oct\", \"k\": \"AAAA\"}", 27, &e) &&
	      strstr(e.msg, "oct"));
	err_clear(&e);
	CHECK(!crypto_key_from_jwk("[1]", 3, &e) && e.msg[0]);
	err_clear(&e);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other);
}

static void test_account(void)
{
	char dir[] = "/tmp/acmehook-certbot-XXXXXX", p[PATH_MAX];
	struct error e = {0};
	EVP_PKEY *ec = crypto_keygen("ecdsa", NULL, 0, &e), *k = NULL;
	char *jwk = ec_jwk(ec, "P-256", 32), *url = NULL;
	const char *regr = "{\"body\": {}, \"uri\": \"https://ca.example/acct/7\"}";

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/0123abcd", dir);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/0123abcd/regr.json", dir);
	CHECK(store_write_atomic(p, regr, strlen(regr), 0644, &e) == 0);
	snprintf(p, sizeof(p), "%s/0123abcd/private_key.json", dir);
	CHECK(store_write_atomic(p, jwk, strlen(jwk), 0400, &e) == 0);
	CHECK(certbot_account_load(dir, "0123abcd", &k, &url, &e) == 0);
	CHECK(k && crypto_pubkey_equal(k, ec));
	CHECK_STR(url ? url : "", "https://ca.example/acct/7");
	EVP_PKEY_free(k);
	free(url);
	k = NULL;
	url = NULL;
	/* A key others may read is refused, naming the file and the fix. */
	CHECK(chmod(p, 0644) == 0);
	CHECK(certbot_account_load(dir, "0123abcd", &k, &url, &e) < 0 && strstr(e.msg, "chmod") &&
	      !k && !url);
	err_clear(&e);
	CHECK(certbot_account_load(dir, "../0123abcd", &k, &url, &e) < 0 && strstr(e.msg, "id"));
	err_clear(&e);
	CHECK(certbot_account_load(dir, "feedbeef", &k, &url, &e) < 0 && strstr(e.msg, "feedbeef"));
	err_clear(&e);
	CHECK(certbot_regr_parse("{\"uri\": \"http://ca.example/a\"}", 29, &url, &e) < 0);
	err_clear(&e);
	CHECK(certbot_regr_parse("{\"uri\": \"https://ca.example/a b\"}", 32, &url, &e) < 0);
	err_clear(&e);
	free(jwk);
	EVP_PKEY_free(ec);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	CHECK(system(p) == 0);
}

/* RAW decodes to the items WANT (NULL-terminated), as a list or not. */
static void decodes(const char *raw, bool want_list, const char *const *want)
{
	char **v = NULL;
	bool list = !want_list;
	struct error e = {0};
	size_t n = 0;

	CHECK(cobj_decode(raw, &v, &list, "t", &e) == 0);
	if (!v)
		return;
	CHECK(list == want_list);
	while (v[n] && want[n] && strcmp(v[n], want[n]) == 0)
		n++;
	CHECK(!v[n] && !want[n]);
	conf_strv_free(v);
}

static void test_configobj(void)
{
	static const char *const values[] = {
		"/var/www", "", "a, b", "'quoted'", "\"dq\"", "echo \"$X\" >>'/log'", " lead",
		"# not a comment", "ends\"", NULL};
	struct cobj_file f = {0};
	struct error e = {0};
	const char *text = "# comment\nversion = 2.1.0\n[renewalparams]\nwebroot_path = /w,\n"
	                   "[[webroot_map]]\na.example = /w\n[other]\nk = v\n";

	decodes("/var/www,", true, (const char *const[]){"/var/www", NULL});
	decodes("dns-01, http-01", true, (const char *const[]){"dns-01", "http-01", NULL});
	decodes(",", true, (const char *const[]){NULL});
	decodes("\"a, b\" # c", false, (const char *const[]){"a, b", NULL});
	decodes("'''echo \"$X\" >>'/log''''", false,
	        (const char *const[]){"echo \"$X\" >>'/log'", NULL});
	decodes("plain text", false, (const char *const[]){"plain text", NULL});
	CHECK(cobj_parse(text, "r.conf", &f, &e) == 0);
	CHECK(cobj_find(&f, "", "version") && cobj_find(&f, "renewalparams", "webroot_path"));
	CHECK(cobj_find(&f, "renewalparams/webroot_map", "a.example"));
	CHECK(cobj_find(&f, "other", "k") && !cobj_find(&f, "renewalparams", "k"));
	cobj_free(&f);
	CHECK(cobj_parse("[a]\n[[[b]]]\n", "r.conf", &f, &e) < 0 && strstr(e.msg, "r.conf:2"));
	err_clear(&e);
	/* What cobj_put writes reads back the same. */
	for (size_t i = 0; values[i]; i++) {
		struct buf b = {0};
		char **v = NULL;
		bool list;
		CHECK(cobj_put(&b, "k", values[i], &e) == 0);
		CHECK(cobj_parse(b.data, "w.conf", &f, &e) == 0 && f.n == 1);
		CHECK(f.n == 1 && cobj_decode(f.l[0].value, &v, &list, "w", &e) == 0 && !list);
		CHECK(v && v[0] && strcmp(v[0], values[i]) == 0 && !v[1]);
		conf_strv_free(v);
		cobj_free(&f);
		buf_free(&b);
	}
	{
		struct buf b = {0};
		CHECK(cobj_put_list(&b, "k", (char *[]){"a", "b\nc", NULL}, &e) < 0 && strstr(e.msg, "k"));
		err_clear(&e);
		CHECK(cobj_put(&b, "k", "a\nb", &e) < 0);
		err_clear(&e);
		buf_free(&b);
	}
}

int main(void)
{
	test_jwk();
	test_account();
	test_configobj();
	return check_done();
}
