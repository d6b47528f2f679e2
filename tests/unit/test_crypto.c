/* Keys, CSRs and certificate chains. The CA, leaf and weak CSR are built
 * here with the OpenSSL API so each case controls exactly what it breaks. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "base/crypto.h"

static char tmpdir[256];

/* Returns a static buffer: copy it before the next call. */
static char *tmp_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	CHECK(fp != NULL);
	if (!fp)
		return;
	CHECK(fwrite(data, 1, len, fp) == len);
	fclose(fp);
}

static bool has(const struct error *e, const char *what)
{
	return strstr(e->msg, what) != NULL;
}

static void add_san(X509 *cert, const char *const *sans)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();

	for (size_t i = 0; sans && sans[i]; i++) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

		ASN1_STRING_set(ia5, sans[i], -1);
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		sk_GENERAL_NAME_push(gens, gn);
	}
	X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT);
	GENERAL_NAMES_free(gens);
}

/* A certificate for SUBJECT_KEY named CN, issued by ISSUER (self-signed when
 * NULL) and signed with SIGNER. */
static X509 *make_cert(const char *cn, EVP_PKEY *subject_key, X509 *issuer,
                       EVP_PKEY *signer, long serial, const char *const *sans)
{
	X509 *c = X509_new();
	X509_NAME *nm = X509_NAME_new();

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_NAME_add_entry_by_NID(nm, NID_commonName, MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(c, nm);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : nm);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 90L * 86400);
	X509_set_pubkey(c, subject_key);
	add_san(c, sans);
	X509_sign(c, signer, EVP_sha256());
	X509_NAME_free(nm);
	return c;
}

static void test_keys(void)
{
	struct error e = { 0 };
	EVP_PKEY *k256, *k384, *rsa, *loaded, *bad;
	char *d, *pem;
	BIO *bio;

	k256 = crypto_keygen("ecdsa", NULL, 0, &e);
	k384 = crypto_keygen("ecdsa", "secp384r1", 0, &e);
	rsa = crypto_keygen("rsa", NULL, 2048, &e);
	CHECK(k256 && k384 && rsa);
	CHECK(!err_isset(&e));
	d = crypto_key_describe(k256);
	CHECK_STR(d, "ecdsa secp256r1");
	free(d);
	d = crypto_key_describe(k384);
	CHECK_STR(d, "ecdsa secp384r1");
	free(d);
	d = crypto_key_describe(rsa);
	CHECK_STR(d, "rsa 2048");
	free(d);
	CHECK(!crypto_pubkey_equal(k256, k384));
	CHECK(crypto_pubkey_equal(k256, k256));
	CHECK(!crypto_pubkey_equal(k256, NULL));

	bad = crypto_keygen("dsa", NULL, 0, &e);
	CHECK(bad == NULL && e.exit_code == EXIT_USAGE && has(&e, "\"dsa\"") && has(&e, "ecdsa or rsa"));
	err_clear(&e);
	bad = crypto_keygen("ecdsa", "secp521r1", 0, &e);
	CHECK(bad == NULL && e.exit_code == EXIT_USAGE && has(&e, "secp521r1") && has(&e, "secp384r1"));
	err_clear(&e);
	bad = crypto_keygen("rsa", NULL, 1024, &e);
	CHECK(bad == NULL && e.exit_code == EXIT_USAGE && has(&e, "1024") && has(&e, "4096"));
	err_clear(&e);
	bad = crypto_keygen("rsa", NULL, 2560, &e);
	CHECK(bad == NULL && has(&e, "2560"));
	err_clear(&e);
	bad = crypto_keygen(NULL, NULL, 0, &e);
	CHECK(bad == NULL && e.exit_code == EXIT_USAGE);
	err_clear(&e);

	/* PKCS#8 round trip. */
	pem = crypto_key_pem(k384, &e);
	CHECK(pem && strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	if (pem) {
		write_file(tmp_path("k384.pem"), pem, strlen(pem));
		OPENSSL_cleanse(pem, strlen(pem));
	}
	free(pem);
	loaded = crypto_key_load(tmp_path("k384.pem"), &e);
	CHECK(loaded && crypto_pubkey_equal(loaded, k384));
	EVP_PKEY_free(loaded);

	/* Traditional ("EC PRIVATE KEY") form loads too. */
	bio = BIO_new_file(tmp_path("trad.pem"), "w");
	CHECK(bio && PEM_write_bio_PrivateKey_traditional(bio, k256, NULL, NULL, 0, NULL, NULL));
	BIO_free(bio);
	loaded = crypto_key_load(tmp_path("trad.pem"), &e);
	CHECK(loaded && crypto_pubkey_equal(loaded, k256));
	CHECK(!err_isset(&e));
	EVP_PKEY_free(loaded);

	/* An encrypted key fails at once instead of prompting. */
	bio = BIO_new_file(tmp_path("enc.pem"), "w");
	CHECK(bio && PEM_write_bio_PKCS8PrivateKey(bio, k256, EVP_aes_128_cbc(), "pw", 2, NULL, NULL));
	BIO_free(bio);
	loaded = crypto_key_load(tmp_path("enc.pem"), &e);
	CHECK(loaded == NULL && has(&e, tmp_path("enc.pem")));
	err_clear(&e);

	loaded = crypto_key_load(tmp_path("missing.pem"), &e);
	CHECK(loaded == NULL && has(&e, "missing.pem"));
	err_clear(&e);
	write_file(tmp_path("junk.pem"), "not a key\n", 10);
	loaded = crypto_key_load(tmp_path("junk.pem"), &e);
	CHECK(loaded == NULL && has(&e, "junk.pem"));
	err_clear(&e);

	EVP_PKEY_free(k256);
	EVP_PKEY_free(k384);
	EVP_PKEY_free(rsa);
}

static void test_csr(void)
{
	static const char *const names[] = { "Example.COM", "www.example.com", "a.example.net" };
	static const char long_name[] =
		"a-rather-long-label-that-goes-on.and-on-and-on-past-64.example.com";
	struct error e = { 0 };
	EVP_PKEY *key = crypto_keygen("ecdsa", NULL, 0, &e), *pub = NULL, *rsa;
	unsigned char *der = NULL, *der2 = NULL;
	size_t der_len = 0, der2_len = 0, n = 0;
	char **got = NULL, path[600], dpath[600];
	const unsigned char *p;
	const char *one[1];
	X509_REQ *req;
	BIO *bio;

	CHECK(crypto_csr_make(key, names, 3, &der, &der_len, &e) == 0);
	CHECK(!err_isset(&e));
	snprintf(dpath, sizeof(dpath), "%s", tmp_path("csr.der"));
	write_file(dpath, der, der_len);
	CHECK(crypto_csr_load(dpath, &der2, &der2_len, &got, &n, &pub, &e) == 0);
	CHECK(!err_isset(&e));
	CHECK(n == 3 && got && got[3] == NULL);
	if (n == 3) {
		CHECK_STR(got[0], "example.com");
		CHECK_STR(got[1], "www.example.com");
		CHECK_STR(got[2], "a.example.net");
	}
	CHECK(der2_len == der_len && der2 && memcmp(der, der2, der_len) == 0);
	CHECK(crypto_pubkey_equal(pub, key));
	crypto_names_free(got);
	got = NULL;
	free(der2);
	der2 = NULL;
	EVP_PKEY_free(pub);
	pub = NULL;

	/* The same request as PEM. */
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)der_len);
	snprintf(path, sizeof(path), "%s", tmp_path("csr.pem"));
	bio = BIO_new_file(path, "w");
	CHECK(req && bio && PEM_write_bio_X509_REQ(bio, req));
	BIO_free(bio);
	X509_REQ_free(req);
	CHECK(crypto_csr_load(path, &der2, &der2_len, &got, &n, &pub, &e) == 0);
	CHECK(n == 3 && der2_len == der_len);
	crypto_names_free(got);
	got = NULL;
	free(der2);
	der2 = NULL;
	EVP_PKEY_free(pub);
	pub = NULL;
	free(der);
	der = NULL;

	/* A first name too long for a CN leaves the subject empty. */
	one[0] = long_name;
	CHECK(crypto_csr_make(key, one, 1, &der, &der_len, &e) == 0);
	p = der;
	req = der ? d2i_X509_REQ(NULL, &p, (long)der_len) : NULL;
	CHECK(req && X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0);
	X509_REQ_free(req);
	write_file(dpath, der, der_len);
	CHECK(crypto_csr_load(dpath, &der2, &der2_len, &got, &n, &pub, &e) == 0);
	CHECK(n == 1 && got && strcmp(got[0], long_name) == 0);
	crypto_names_free(got);
	got = NULL;
	free(der2);
	der2 = NULL;
	EVP_PKEY_free(pub);
	pub = NULL;

	/* A flipped bit in the signature must be caught. */
	der[der_len - 3] ^= 0x01;
	write_file(dpath, der, der_len);
	CHECK(crypto_csr_load(dpath, &der2, &der2_len, &got, &n, &pub, &e) == -1);
	CHECK(has(&e, "csr.der") && got == NULL && pub == NULL && der2 == NULL);
	err_clear(&e);
	free(der);
	der = NULL;

	CHECK(crypto_csr_make(key, names, 0, &der, &der_len, &e) == -1 && der == NULL);
	err_clear(&e);

	/* A SHA-1 CSR is refused and the message says so. */
	rsa = crypto_keygen("rsa", NULL, 2048, &e);
	req = X509_REQ_new();
	X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName, MBSTRING_ASC,
	                           (const unsigned char *)"weak.example", -1, -1, 0);
	X509_REQ_set_pubkey(req, rsa);
	CHECK(X509_REQ_sign(req, rsa, EVP_sha1()) > 0);
	bio = BIO_new_file(path, "w");
	CHECK(bio && PEM_write_bio_X509_REQ(bio, req));
	BIO_free(bio);
	X509_REQ_free(req);
	CHECK(crypto_csr_load(path, &der2, &der2_len, &got, &n, &pub, &e) == -1);
	CHECK(has(&e, "sha1") || has(&e, "SHA1"));
	CHECK(has(&e, "csr.pem"));
	err_clear(&e);

	/* No SAN and no CN: nothing to order. */
	req = X509_REQ_new();
	X509_REQ_set_pubkey(req, rsa);
	X509_REQ_sign(req, rsa, EVP_sha256());
	bio = BIO_new_file(path, "w");
	CHECK(bio && PEM_write_bio_X509_REQ(bio, req));
	BIO_free(bio);
	X509_REQ_free(req);
	CHECK(crypto_csr_load(path, &der2, &der2_len, &got, &n, &pub, &e) == -1);
	CHECK(has(&e, "csr.pem"));
	err_clear(&e);

	/* A CSR from the openssl command line: the CN is among the SANs
	 * once lower-cased, so it is not repeated. */
	snprintf(path, sizeof(path), "%s/crypto/csr-cli.pem",
	         getenv("AH_TEST_DATA") ? getenv("AH_TEST_DATA") : "tests/data");
	CHECK(crypto_csr_load(path, &der2, &der2_len, &got, &n, &pub, &e) == 0);
	CHECK(!err_isset(&e));
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(got[0], "example.org");
		CHECK_STR(got[1], "www.example.org");
	}
	crypto_names_free(got);
	free(der2);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(key);
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *r = malloc(la + lb + 1);

	memcpy(r, a, la);
	memcpy(r + la, b, lb + 1);
	return r;
}

static void test_chain(void)
{
	static const char *const sans[] = { "example.com", "www.example.com", NULL };
	struct error e = { 0 };
	EVP_PKEY *ca_key = crypto_keygen("ecdsa", "secp384r1", 0, &e);
	EVP_PKEY *leaf_key = crypto_keygen("ecdsa", NULL, 0, &e);
	EVP_PKEY *other = crypto_keygen("ecdsa", NULL, 0, &e);
	X509 *ca = make_cert("Test Root CA", ca_key, NULL, ca_key, 1, NULL);
	X509 *leaf = make_cert("example.com", leaf_key, ca, ca_key, 0x0102ab, sans);
	X509 *zero = make_cert("zero.example", leaf_key, ca, ca_key, 0, NULL);
	char *leaf_pem = crypto_cert_pem(leaf), *ca_pem = crypto_cert_pem(ca);
	char *both, *swapped, *text, *top, *keypem;
	STACK_OF(X509) *chain, *bad;
	struct cert_info ci;
	unsigned char *der;
	size_t der_len = 0;
	X509 *loaded;
	time_t now = time(NULL);

	CHECK(leaf_pem && ca_pem);
	CHECK(strncmp(leaf_pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	both = concat(leaf_pem, ca_pem);
	swapped = concat(ca_pem, leaf_pem);

	chain = crypto_chain_parse(both, strlen(both), &e);
	CHECK(chain && sk_X509_num(chain) == 2);
	CHECK(!err_isset(&e));

	/* Whitespace around and between blocks is fine. */
	text = malloc(strlen(both) + 16);
	snprintf(text, strlen(both) + 16, "\n\r\n  %s\n\t\n", both);
	bad = crypto_chain_parse(text, strlen(text), &e);
	CHECK(bad && sk_X509_num(bad) == 2);
	sk_X509_pop_free(bad, X509_free);
	free(text);

	/* Anything else is refused. */
	keypem = crypto_key_pem(other, &e);
	text = concat(both, keypem);
	bad = crypto_chain_parse(text, strlen(text), &e);
	CHECK(bad == NULL && has(&e, "PRIVATE KEY"));
	err_clear(&e);
	OPENSSL_cleanse(keypem, strlen(keypem));
	free(keypem);
	free(text);
	text = concat(both, "trailing garbage\n");
	bad = crypto_chain_parse(text, strlen(text), &e);
	CHECK(bad == NULL && has(&e, "unexpected text"));
	err_clear(&e);
	free(text);
	text = concat("garbage\n", both);
	bad = crypto_chain_parse(text, strlen(text), &e);
	CHECK(bad == NULL && err_isset(&e));
	err_clear(&e);
	free(text);
	bad = crypto_chain_parse(" \n", 2, &e);
	CHECK(bad == NULL && has(&e, "no certificate"));
	err_clear(&e);
	/* A truncated block. */
	bad = crypto_chain_parse(leaf_pem, strlen(leaf_pem) - 10, &e);
	CHECK(bad == NULL && err_isset(&e));
	err_clear(&e);
	/* A BEGIN whose END is missing must not borrow the next block's. */
	{
		size_t cut = (size_t)(strstr(leaf_pem, "-----END") - leaf_pem);

		text = malloc(cut + strlen(ca_pem) + 1);
		memcpy(text, leaf_pem, cut);
		strcpy(text + cut, ca_pem);
		bad = crypto_chain_parse(text, strlen(text), &e);
		CHECK(bad == NULL && has(&e, "malformed"));
		err_clear(&e);
		free(text);
	}
	/* More than ten certificates. */
	text = strdup("");
	for (int i = 0; i < 11; i++) {
		char *t = concat(text, leaf_pem);

		free(text);
		text = t;
	}
	bad = crypto_chain_parse(text, strlen(text), &e);
	CHECK(bad == NULL && has(&e, "10"));
	err_clear(&e);
	free(text);

	/* chain_check. */
	{
		const char *const want[] = { "www.example.com", "EXAMPLE.com" };
		const char *const fewer[] = { "example.com" };
		const char *const more[] = { "example.com", "www.example.com", "api.example.com" };

		CHECK(crypto_chain_check(chain, leaf_key, want, 2, &e) == 0);
		CHECK(!err_isset(&e));
		CHECK(crypto_chain_check(chain, other, want, 2, &e) == -1);
		CHECK(has(&e, "certificate's public key does not match the CSR key"));
		err_clear(&e);
		CHECK(crypto_chain_check(chain, leaf_key, fewer, 1, &e) == -1);
		CHECK(has(&e, "www.example.com"));
		err_clear(&e);
		CHECK(crypto_chain_check(chain, leaf_key, more, 3, &e) == -1);
		CHECK(has(&e, "api.example.com"));
		err_clear(&e);

		/* Swapped: checked with the CA's key and its (no) names, only the
		 * order is wrong. */
		bad = crypto_chain_parse(swapped, strlen(swapped), &e);
		CHECK(bad != NULL);
		CHECK(crypto_chain_check(bad, leaf_key, want, 2, &e) == -1);
		err_clear(&e);
		CHECK(crypto_chain_check(bad, ca_key, NULL, 0, &e) == -1);
		CHECK(has(&e, "chain out of order at position 0"));
		err_clear(&e);
		sk_X509_pop_free(bad, X509_free);

		/* A leaf followed by a certificate that did not issue it. */
		bad = sk_X509_new_null();
		X509_up_ref(leaf);
		sk_X509_push(bad, leaf);
		X509_up_ref(zero);
		sk_X509_push(bad, zero);
		CHECK(crypto_chain_check(bad, leaf_key, want, 2, &e) == -1);
		CHECK(has(&e, "chain out of order at position 0"));
		err_clear(&e);
		sk_X509_pop_free(bad, X509_free);
	}

	/* A same-named impostor CA: names line up, signature does not. */
	{
		const char *const want[] = { "example.com", "www.example.com" };
		X509 *fake = make_cert("Test Root CA", other, NULL, other, 7, NULL);

		bad = sk_X509_new_null();
		X509_up_ref(leaf);
		sk_X509_push(bad, leaf);
		sk_X509_push(bad, fake);
		CHECK(crypto_chain_check(bad, leaf_key, want, 2, &e) == -1);
		CHECK(has(&e, "chain out of order at position 0"));
		err_clear(&e);
		sk_X509_pop_free(bad, X509_free);
	}

	/* Three deep: leaf, intermediate, root passes; an impostor root
	 * after the intermediate is reported at position 1. */
	{
		const char *const want[] = { "example.com", "www.example.com" };
		EVP_PKEY *ikey = crypto_keygen("ecdsa", NULL, 0, &e);
		X509 *inter = make_cert("Test Intermediate", ikey, ca, ca_key, 2, NULL);
		X509 *leaf2 = make_cert("example.com", leaf_key, inter, ikey, 3, sans);
		X509 *fake = make_cert("Test Root CA", other, NULL, other, 7, NULL);
		STACK_OF(X509) *three = sk_X509_new_null();

		sk_X509_push(three, leaf2);
		sk_X509_push(three, inter);
		X509_up_ref(ca);
		sk_X509_push(three, ca);
		CHECK(crypto_chain_check(three, leaf_key, want, 2, &e) == 0);
		CHECK(!err_isset(&e));
		X509_free(sk_X509_pop(three));
		sk_X509_push(three, fake);
		CHECK(crypto_chain_check(three, leaf_key, want, 2, &e) == -1);
		CHECK(has(&e, "chain out of order at position 1"));
		err_clear(&e);
		sk_X509_pop_free(three, X509_free);
		EVP_PKEY_free(ikey);
	}

	/* cert_info. */
	memset(&ci, 0x5a, sizeof(ci));
	CHECK(crypto_cert_info(leaf, &ci, &e) == 0);
	CHECK_STR(ci.serial, "102ab");
	CHECK_STR(ci.subject_cn, "example.com");
	CHECK_STR(ci.issuer_cn, "Test Root CA");
	CHECK(ci.not_before <= now + 5 && ci.not_before >= now - 60);
	CHECK(ci.not_after - ci.not_before == 90L * 86400);
	CHECK(ci.names && ci.names[0] && ci.names[1] && !ci.names[2]);
	if (ci.names && ci.names[0] && ci.names[1]) {
		CHECK_STR(ci.names[0], "example.com");
		CHECK_STR(ci.names[1], "www.example.com");
	}
	crypto_cert_info_free(&ci);
	CHECK(ci.names == NULL);
	crypto_cert_info_free(NULL);
	CHECK(crypto_cert_info(zero, &ci, &e) == 0);
	CHECK_STR(ci.serial, "0");
	CHECK(ci.names && ci.names[0] == NULL);
	crypto_cert_info_free(&ci);

	top = crypto_issuer_of_chain_top(chain);
	CHECK_STR(top, "Test Root CA");
	free(top);

	text = crypto_chain_pem(chain, 1);
	CHECK_STR(text, ca_pem);
	free(text);
	text = crypto_chain_pem(chain, 0);
	CHECK_STR(text, both);
	free(text);
	CHECK(crypto_chain_pem(chain, 3) == NULL);

	der = crypto_cert_der(leaf, &der_len);
	CHECK(der && der_len > 100 && der[0] == 0x30);
	free(der);

	/* Loading from files. */
	write_file(tmp_path("chain.pem"), both, strlen(both));
	loaded = crypto_cert_load(tmp_path("chain.pem"), &e);
	CHECK(loaded && X509_cmp(loaded, leaf) == 0);
	X509_free(loaded);
	bad = crypto_chain_load(tmp_path("chain.pem"), &e);
	CHECK(bad && sk_X509_num(bad) == 2);
	sk_X509_pop_free(bad, X509_free);
	text = concat(both, "-----BEGIN X509 CRL-----\n");
	write_file(tmp_path("chain2.pem"), text, strlen(text));
	free(text);
	bad = crypto_chain_load(tmp_path("chain2.pem"), &e);
	CHECK(bad == NULL && has(&e, "chain2.pem") && has(&e, "X509 CRL"));
	err_clear(&e);
	loaded = crypto_cert_load(tmp_path("nope.pem"), &e);
	CHECK(loaded == NULL && has(&e, "nope.pem"));
	err_clear(&e);

	sk_X509_pop_free(chain, X509_free);
	free(both);
	free(swapped);
	free(leaf_pem);
	free(ca_pem);
	X509_free(zero);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(other);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(ca_key);
}

int main(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char cmd[600];
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s/ah-test-crypto-XXXXXX", base);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_keys();
	test_csr();
	test_chain();
	rc = check_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
