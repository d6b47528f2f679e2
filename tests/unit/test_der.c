/* The DER writer and reader, and the structures built and read with them
 * instead of OpenSSL's encoders: CSRs and PKCS#8 keys, each checked
 * against what OpenSSL itself makes of the same key. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"
#include "testutil.h"
#include "base/crypto.h"
#include "base/crypto_priv.h"
#include "base/der.h"

static char tmpdir[256];

static bool bytes_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void test_writer(void)
{
	static const unsigned char want[] = {
		0x30, 0x0f, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x80, 0x03, 0x02, 0x00, 0xab, 0xa1, 0x02, 0x05, 0x00,
	};
	unsigned char big[300], *out = NULL;
	size_t len = 0;
	struct der_writer w;
	BIGNUM *bn = BN_new();

	der_writer_init(&w, 1024);
	der_begin(&w, DER_SEQUENCE);
	der_put_uint(&w, (const unsigned char *)"\x00\x00", 2);     /* zero keeps one byte */
	BN_set_word(bn, 0x80);
	der_put_bn(&w, bn);                                          /* top bit set: 0x00 added */
	der_put_bits(&w, "\xab", 1);
	der_begin(&w, DER_CONTEXT(1));
	der_put(&w, DER_NULL, NULL, 0);
	der_end(&w);
	der_end(&w);
	CHECK(der_finish(&w, &out, &len) == 0 && bytes_eq(out, len, want, sizeof(want)));
	free(out);

	/* Long lengths take their shortest long form, after the fact. */
	memset(big, 0x11, sizeof(big));
	der_writer_init(&w, 1024);
	der_begin(&w, DER_SEQUENCE);
	der_put(&w, DER_OCTET_STRING, big, 200);
	der_end(&w);
	CHECK(der_finish(&w, &out, &len) == 0 && len == 206 && out[1] == 0x81 && out[2] == 203 &&
	      out[3] == 0x04 && out[4] == 0x81 && out[5] == 200);
	free(out);
	der_writer_init(&w, 1024);
	der_put(&w, DER_OCTET_STRING, big, 256);
	CHECK(der_finish(&w, &out, &len) == 0 && len == 260 && out[1] == 0x82 && out[2] == 1 && out[3] == 0);
	free(out);

	/* The cap, an element left open, an end without a beginning and a
	 * negative number all fail at der_finish. */
	der_writer_init(&w, 100);
	der_put(&w, DER_OCTET_STRING, big, 200);
	CHECK(der_finish(&w, &out, &len) == -1);
	der_writer_init(&w, 100);
	der_begin(&w, DER_SEQUENCE);
	CHECK(der_finish(&w, &out, &len) == -1);
	der_writer_init(&w, 100);
	der_end(&w);
	CHECK(der_finish(&w, &out, &len) == -1);
	der_writer_init(&w, 100);
	BN_set_negative(bn, 1);
	der_put_bn(&w, bn);
	CHECK(der_finish(&w, &out, &len) == -1);
	der_writer_init(&w, 1024);
	for (int i = 0; i <= DER_MAX_DEPTH; i++)
		der_begin(&w, DER_SEQUENCE);
	CHECK(der_finish(&w, &out, &len) == -1);
	BN_free(bn);
}

/* True when the reader takes the N bytes at P as one SEQUENCE whose
 * contents are a single INTEGER, read with der_get_uint. */
static bool reads(const void *p, size_t n)
{
	struct der_reader r, in;
	const unsigned char *v;
	size_t vlen;

	der_reader_init(&r, p, n);
	return der_get(&r, DER_SEQUENCE, &in) == 0 && der_at_end(&r) && der_get_uint(&in, &v, &vlen) == 0 &&
	       der_at_end(&in);
}

static void test_reader(void)
{
	unsigned char deep[2 * (DER_MAX_DEPTH + 1)];
	struct der_reader r, in;
	const unsigned char *v;
	size_t vlen, depth = 0;

	CHECK(reads("\x30\x03\x02\x01\x05", 5));
	CHECK(reads("\x30\x04\x02\x02\x00\x80", 6));
	CHECK(!reads("\x30\x80\x02\x01\x05\x00\x00", 7));           /* indefinite */
	CHECK(!reads("\x30\x81\x03\x02\x01\x05", 6));               /* long form for 3 */
	CHECK(!reads("\x30\x82\x00\x03\x02\x01\x05", 7));           /* leading zero length byte */
	CHECK(!reads("\x30\x04\x02\x01\x05", 5));                   /* past the end */
	CHECK(!reads("\x30\x03\x02\x02\x05", 5));                   /* inner past its parent */
	CHECK(!reads("\x30\x85\x00\x00\x00\x00\x03", 7));           /* five length bytes */
	CHECK(!reads("\x30\x04\x02\x02\x00\x05", 6));               /* INTEGER not minimal */
	CHECK(!reads("\x30\x03\x02\x01\x85", 5));                   /* negative */
	CHECK(!reads("\x30\x02\x02\x00", 4));                       /* empty INTEGER */
	CHECK(!reads("\x30\x04\x02\x01\x05\x00", 6));               /* trailing byte inside */
	CHECK(!reads("\x3f\x01\x03\x02\x01\x05", 6));               /* high tag number form */
	CHECK(!reads("\x30", 1) && !reads("", 0));

	der_reader_init(&r, "\x02\x02\x00\xff", 4);
	CHECK(der_get_uint(&r, &v, &vlen) == 0 && vlen == 1 && v[0] == 0xff);
	der_reader_init(&r, "\x02\x01\x00", 3);
	CHECK(der_get_uint(&r, &v, &vlen) == 0 && vlen == 0);
	der_reader_init(&r, "\x02\x01\x02", 3);
	CHECK(der_get_small(&r, 1) == -1 && der_get_small(&r, 2) == 0 && der_at_end(&r));
	der_reader_init(&r, "\x03\x02\x01\xfe", 4);                 /* unused bits */
	CHECK(der_get_bits(&r, &v, &vlen) == -1 && der_peek(&r) == DER_BIT_STRING);
	der_reader_init(&r, "\x06\x03\x55\x04\x03", 5);
	CHECK(!der_get_fixed(&r, DER_OID, "\x55\x04\x04", 3) && der_get_fixed(&r, DER_OID, "\x55\x04\x03", 3));

	/* Nesting: DER_MAX_DEPTH levels are read, one more is refused. */
	for (int i = 0; i <= DER_MAX_DEPTH; i++) {
		deep[2 * i] = DER_SEQUENCE;
		deep[2 * i + 1] = (unsigned char)(2 * (DER_MAX_DEPTH - i));
	}
	der_reader_init(&r, deep, sizeof(deep));
	while (der_get(&r, DER_SEQUENCE, &in) == 0) {
		r = in;
		depth++;
	}
	CHECK(depth == DER_MAX_DEPTH);
}

/* --- CSRs ------------------------------------------------------------------ */

/* The CertificationRequestInfo of a DER CSR, as bytes. */
static bool csr_info(const unsigned char *der, size_t len, const unsigned char **p, size_t *n)
{
	struct der_reader r, in;

	der_reader_init(&r, der, len);
	return der_get(&r, DER_SEQUENCE, &in) == 0 && der_get_raw(&in, p, n) == 0;
}

/* A CSR for the N NAMES made by hand must parse, verify with KEY and
 * carry exactly the request info OpenSSL's X509_REQ builds for them. */
static void check_csr(EVP_PKEY *key, const char *const *names, size_t n, bool want_cn)
{
	unsigned char *der = NULL, *ref = NULL;
	const unsigned char *p, *info = NULL, *ref_info = NULL;
	size_t len = 0, ref_len = 0, info_len = 0, ref_info_len = 0;
	struct error e = {0};
	X509_REQ *req = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	int crit = -1, nid_md = 0, nid_pk = 0;
	GENERAL_NAMES *gens = NULL;

	CHECK(crypto_csr_make(key, names, n, &der, &len, &e) == 0);
	CHECK(crypto_csr_make_x509(key, names, n, &ref, &ref_len) == 0);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	CHECK(req && p == der + len);
	CHECK(req && X509_REQ_verify(req, key) == 1);
	CHECK(req && OBJ_find_sigid_algs(X509_REQ_get_signature_nid(req), &nid_md, &nid_pk) &&
	      nid_md == NID_sha256);
	CHECK(req && (X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 1) == want_cn);
	exts = req ? X509_REQ_get_extensions(req) : NULL;
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	CHECK(gens && sk_GENERAL_NAME_num(gens) == (int)n && crit == !want_cn);
	CHECK(csr_info(der, len, &info, &info_len) && csr_info(ref, ref_len, &ref_info, &ref_info_len) &&
	      bytes_eq(info, info_len, ref_info, ref_info_len));
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(der);
	free(ref);
}

static void test_csr(EVP_PKEY **keys, size_t nkeys)
{
	static const char long_name[] =
		"a-rather-long-label-that-goes-on.and-on-and-on-beyond.the-limit.example.com";
	const char *const plain[] = {"example.com", "www.example.com", "192.0.2.7"};
	const char *const ips[] = {"192.0.2.1", "2001:db8::1", "example.org"};
	const char *const idn[] = {"xn--bcher-kva.example", "xn--mnchen-3ya.example"};
	const char *const longest[] = {long_name, "short.example"};
	struct error e = {0};
	unsigned char *der = NULL;
	size_t len = 0;

	for (size_t i = 0; i < nkeys; i++) {
		check_csr(keys[i], plain, 3, true);
		check_csr(keys[i], ips, 3, false);
		check_csr(keys[i], idn, 2, true);
		check_csr(keys[i], longest, 2, false);
		check_csr(keys[i], plain, 1, true);
	}
	CHECK(crypto_csr_make(keys[0], plain, 0, &der, &len, &e) == -1 && der == NULL && e.msg[0]);
}

/* --- PKCS#8 ---------------------------------------------------------------- */

/* KEY as OpenSSL writes it: PKCS#8 PEM (malloc'd) and the DER inside. */
static char *ossl_pem(EVP_PKEY *key, unsigned char **der, size_t *der_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
	unsigned char *enc = NULL;
	char *data = NULL, *res;
	long n;
	int dlen;

	PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &data);
	res = strndup(data, (size_t)n);
	dlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &enc);
	*der = malloc((size_t)dlen);
	memcpy(*der, enc, (size_t)dlen);
	*der_len = (size_t)dlen;
	OPENSSL_free(enc);
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(bio);
	return res;
}

static EVP_PKEY *ossl_load(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	return k;
}

/* A signature by SIGNER verifies with VERIFIER. */
static bool signs_for(EVP_PKEY *signer, EVP_PKEY *verifier)
{
	EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t sig_len = sizeof(sig);
	bool ok;

	ok = EVP_DigestSignInit(s, NULL, EVP_sha256(), NULL, signer) == 1 &&
	     EVP_DigestSign(s, sig, &sig_len, (const unsigned char *)"msg", 3) == 1 &&
	     EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, verifier) == 1 &&
	     EVP_DigestVerify(v, sig, sig_len, (const unsigned char *)"msg", 3) == 1;
	EVP_MD_CTX_free(s);
	EVP_MD_CTX_free(v);
	return ok;
}

/* PEM of DER under LABEL, as OpenSSL writes it. */
static char *pem_of(const char *label, const unsigned char *der, size_t len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *res;
	long n;

	PEM_write_bio(bio, label, "", der, (long)len);
	n = BIO_get_mem_data(bio, &data);
	res = strndup(data, (size_t)n);
	BIO_free(bio);
	return res;
}

/* Load PEM through crypto_key_load from a file; FAST is what the PKCS#8
 * reader must say of it (1 read, 0 left to OpenSSL, -1 refused). */
static EVP_PKEY *load(const char *pem, int fast, struct error *e)
{
	char path[512];
	FILE *fp;
	EVP_PKEY *k = NULL;

	pathf(path, sizeof(path), "%s/key.pem", tmpdir);
	CHECK(crypto_pkcs8_load(pem, strlen(pem), "the key", &k, e) == fast);
	EVP_PKEY_free(k);
	memset(e, 0, sizeof(*e));
	fp = fopen(path, "w");
	CHECK(fp && fputs(pem, fp) >= 0);
	if (fp)
		fclose(fp);
	return crypto_key_load(path, e);
}

static void check_key(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *ref = ossl_pem(key, &der, &der_len), *mine, *crlf;
	struct error e = {0};
	EVP_PKEY *fast, *slow = ossl_load(ref);
	const struct crypto_curve *curve = NULL;
	/* P-384 keys are left to OpenSSL's reader (see crypto_priv.h). */
	int here = crypto_key_kind(key, &curve) != CRYPTO_EC || curve->load_here;

	/* The same PEM as OpenSSL's, byte for byte. */
	mine = crypto_key_pem(key, &e);
	CHECK_STR(mine, ref);
	/* Read back, it is the key OpenSSL reads, and each signs for the other. */
	fast = load(ref, here, &e);
	CHECK(fast && slow && EVP_PKEY_eq(fast, slow) == 1 && EVP_PKEY_eq(fast, key) == 1);
	CHECK(fast && slow && signs_for(fast, slow) && signs_for(slow, fast));
	EVP_PKEY_free(fast);
	/* Line ends written on another system are read the same. */
	crlf = calloc(2 * strlen(ref) + 1, 1);
	for (char *s = ref, *d = crlf; *s; s++) {
		if (*s == '\n')
			*d++ = '\r';
		*d++ = *s;
	}
	fast = load(crlf, here, &e);
	CHECK(fast && EVP_PKEY_eq(fast, key) == 1);
	EVP_PKEY_free(fast);
	free(crlf);
	free(mine);
	free(ref);
	free(der);
	EVP_PKEY_free(slow);
}

/* The last byte of integer WHICH (0 n, 1 e, 2 d ... 7 qi) in an RSA key's
 * PKCS#8 DER, or NULL. */
static unsigned char *rsa_int_last(unsigned char *der, size_t len, int which)
{
	struct der_reader r, pki, oct, seq;
	const unsigned char *v = NULL;
	size_t vlen = 0;

	der_reader_init(&r, der, len);
	if (der_get(&r, DER_SEQUENCE, &pki) < 0 || der_get_small(&pki, 0) < 0 ||
	    der_get_raw(&pki, &v, &vlen) < 0 || der_get(&pki, DER_OCTET_STRING, &oct) < 0 ||
	    der_get(&oct, DER_SEQUENCE, &seq) < 0 || der_get_small(&seq, 0) < 0)
		return NULL;
	for (int i = 0; i <= which; i++)
		if (der_get_uint(&seq, &v, &vlen) < 0 || vlen == 0)
			return NULL;
	return der + (v - der) + vlen - 1;
}

/* Forms the fast path leaves to OpenSSL, which must still read them as
 * before; and keys whose parts do not match, which it refuses. */
static void check_other_forms(EVP_PKEY *ec, EVP_PKEY *ec2, EVP_PKEY *rsa)
{
	unsigned char *der = NULL, *der2 = NULL, *bare = NULL;
	size_t len = 0, len2 = 0, bare_len = 0;
	char *pem = ossl_pem(ec, &der, &len), *pem2 = ossl_pem(ec2, &der2, &len2), *p = NULL;
	const struct crypto_curve *curve = NULL;
	struct der_writer w;
	unsigned char d[32], *d_last;
	BIGNUM *bn = NULL;
	struct error e = {0};
	EVP_PKEY *k;
	BIO *bio;

	/* The traditional "EC PRIVATE KEY" form. */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey_traditional(bio, ec, NULL, NULL, 0, NULL, NULL);
	BIO_write(bio, "", 1);
	BIO_get_mem_data(bio, &p);
	k = load(p, 0, &e);
	CHECK(k && EVP_PKEY_eq(k, ec) == 1);
	EVP_PKEY_free(k);
	BIO_free(bio);

	/* PKCS#8 without the public point: OpenSSL computes it. */
	CHECK(crypto_key_kind(ec, &curve) == CRYPTO_EC && curve);
	EVP_PKEY_get_bn_param(ec, "priv", &bn);
	BN_bn2binpad(bn, d, sizeof(d));
	der_writer_init(&w, 1024);
	der_begin(&w, DER_SEQUENCE);
	der_put_uint(&w, NULL, 0);
	crypto_der_key_algid(&w, curve);
	der_begin(&w, DER_OCTET_STRING);
	der_begin(&w, DER_SEQUENCE);
	der_put_uint(&w, (const unsigned char *)"\x01", 1);
	der_put(&w, DER_OCTET_STRING, d, sizeof(d));
	der_end(&w);
	der_end(&w);
	der_end(&w);
	CHECK(der_finish(&w, &bare, &bare_len) == 0);
	p = pem_of("PRIVATE KEY", bare, bare_len);
	k = load(p, 0, &e);
	CHECK(k && EVP_PKEY_eq(k, ec) == 1);
	EVP_PKEY_free(k);
	free(p);

	/* Lines longer than 64 characters. */
	p = calloc(strlen(pem) + 1, 1);
	for (char *s = pem, *t = p; *s; s++)
		if (*s != '\n' || s[1] == '-' || s[1] == '\0' || s - pem < 30)
			*t++ = *s;
	k = load(p, 0, &e);
	CHECK(k && EVP_PKEY_eq(k, ec) == 1);
	EVP_PKEY_free(k);
	free(p);

	/* Refused as before: encrypted, or not a key at all. */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PKCS8PrivateKey(bio, ec, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"secret");
	BIO_write(bio, "", 1);
	BIO_get_mem_data(bio, &p);
	CHECK(!load(p, 0, &e) && strstr(e.msg, "key.pem"));
	BIO_free(bio);
	CHECK(!load("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0, &e) &&
	      strstr(e.msg, "key.pem"));

	/* One key's scalar with another key's point. */
	memcpy(der + len - 65, der2 + len2 - 65, 65);
	p = pem_of("PRIVATE KEY", der, len);
	CHECK(!load(p, -1, &e) && strstr(e.msg, "key.pem") && strstr(e.msg, "do not match"));
	free(p);
	free(pem);
	free(der);

	/* An RSA key with one part not its own: the low bit of any of its
	 * integers flipped. */
	for (int which = 0; which < 8; which++) {
		pem = ossl_pem(rsa, &der, &len);
		d_last = rsa_int_last(der, len, which);
		CHECK(d_last != NULL);
		if (d_last)
			*d_last ^= 1;
		p = pem_of("PRIVATE KEY", der, len);
		CHECK(!load(p, -1, &e) && strstr(e.msg, "key.pem"));
		free(p);
		free(pem);
		free(der);
	}
	free(pem2);
	free(der2);
	free(bare);
	BN_free(bn);
}

int main(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	EVP_PKEY *keys[6] = {0};
	struct error e = {0};
	size_t n = 0;

	pathf(tmpdir, sizeof(tmpdir), "%s/ah-test-der-XXXXXX", base);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_writer();
	test_reader();
	keys[n++] = crypto_keygen("ecdsa", "secp256r1", 0, &e);
	keys[n++] = crypto_keygen("ecdsa", "secp384r1", 0, &e);
	keys[n++] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	keys[n++] = crypto_keygen("rsa", NULL, 2048, &e);
	keys[n++] = crypto_keygen("ecdsa", "secp256r1", 0, &e);
	keys[n++] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	for (size_t i = 0; i < n; i++)
		CHECK(keys[i] != NULL);
	test_csr(keys, 4);
	for (size_t i = 0; i < n; i++)
		check_key(keys[i]);
	check_other_forms(keys[0], keys[4], keys[3]);
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
	rm_rf(tmpdir);
	return check_done();
}
