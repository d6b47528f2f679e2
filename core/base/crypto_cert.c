/* Certificates and chains: strict parsing, the checks before a
 * certificate is kept, and what the commands show of one. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/crypto_priv.h"
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

STACK_OF(X509) *crypto_chain_parse(const char *pem, size_t len, struct error *e)
{
	static const char begin[] = "-----BEGIN ";
	static const char begin_cert[] = "-----BEGIN CERTIFICATE-----";
	static const char end_cert[] = "-----END CERTIFICATE-----";
	const size_t begin_len = sizeof(begin_cert) - 1;
	STACK_OF(X509) *chain = NULL, *res = NULL;
	BIO *bio = NULL;
	X509 *cert = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *body = NULL;
	long body_len = 0;
	size_t pos = 0;

	chain = sk_X509_new_null();
	if (!chain || !pem) {
		err_set(e, EXIT_OP, "cannot parse the certificate chain: %s", pem ? "out of memory" : "no text");
		goto out;
	}
	for (;;) {
		const char *blk, *stop;
		const unsigned char *p;
		size_t blk_len;

		while (pos < len && is_space(pem[pos]))
			pos++;
		if (pos == len)
			break;
		blk = pem + pos;
		if (len - pos < sizeof(begin) - 1 || memcmp(blk, begin, sizeof(begin) - 1) != 0) {
			err_set(e, EXIT_OP, "certificate chain has unexpected text at byte %zu: only PEM CERTIFICATE blocks are allowed",
			        pos);
			goto out;
		}
		if (len - pos < begin_len || memcmp(blk, begin_cert, begin_len) != 0) {
			const char *t = blk + sizeof(begin) - 1;
			size_t tl = 0;

			while (t + tl < pem + len && tl < 40 && t[tl] != '-' && t[tl] != '\n')
				tl++;
			err_set(e, EXIT_OP, "certificate chain has a PEM \"%.*s\" block at byte %zu: only CERTIFICATE blocks are allowed",
			        (int)tl, t, pos);
			goto out;
		}
		stop = crypto_find_bytes(blk, len - pos, end_cert, sizeof(end_cert) - 1);
		if (!stop) {
			err_set(e, EXIT_OP, "certificate chain has an unterminated CERTIFICATE block at byte %zu", pos);
			goto out;
		}
		blk_len = (size_t)(stop - blk) + sizeof(end_cert) - 1;
		/* A BEGIN without its END would otherwise swallow the next
		 * block's END and hide whatever lies between. */
		if (stop < blk + begin_len ||
		    crypto_find_bytes(blk + begin_len, (size_t)(stop - blk) - begin_len, "-----", 5) ||
		    blk_len > INT_MAX) {
			err_set(e, EXIT_OP, "certificate chain has a malformed CERTIFICATE block at byte %zu", pos);
			goto out;
		}
		if (sk_X509_num(chain) >= CHAIN_MAX) {
			err_set(e, EXIT_OP, "certificate chain has more than %d certificates", CHAIN_MAX);
			goto out;
		}
		/* Parse the block on its own so PEM_read_bio cannot skip ahead
		 * over text between blocks. */
		bio = BIO_new_mem_buf(blk, (int)blk_len);
		if (!bio || !PEM_read_bio(bio, &name, &header, &body, &body_len) ||
		    strcmp(name, "CERTIFICATE") != 0 || *header != '\0') {
			err_set(e, EXIT_OP, "certificate chain has a malformed CERTIFICATE block at byte %zu", pos);
			goto out;
		}
		p = body;
		cert = d2i_X509(NULL, &p, body_len);
		if (!cert || p != body + body_len) {
			err_set(e, EXIT_OP, "certificate chain has an unparsable certificate at byte %zu", pos);
			goto out;
		}
		if (!sk_X509_push(chain, cert)) {
			err_set(e, EXIT_OP, "cannot parse the certificate chain: out of memory");
			goto out;
		}
		cert = NULL;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(body);
		name = header = NULL;
		body = NULL;
		BIO_free(bio);
		bio = NULL;
		pos += blk_len;
	}
	if (sk_X509_num(chain) == 0) {
		err_set(e, EXIT_OP, "certificate chain has no certificate");
		goto out;
	}
	res = chain;
	chain = NULL;
out:
	ERR_clear_error();
	X509_free(cert);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(body);
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	return res;
}

static bool list_has(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(list[i], name) == 0)
			return true;
	}
	return false;
}

/* A display string for a certificate: its subject CN, or a fallback. */
static void cert_label(X509 *cert, char *dst, size_t cap)
{
	char *cn = NULL;

	if (crypto_name_cn(X509_get_subject_name(cert), &cn) == 0 && cn)
		snprintf(dst, cap, "%s", cn);
	else
		snprintf(dst, cap, "(no CN)");
	free(cn);
}

int crypto_chain_check(STACK_OF(X509) *chain, EVP_PKEY *key,
                       const char *const *names, size_t n, struct error *e)
{
	X509 *leaf;
	GENERAL_NAMES *gens = NULL;
	char **have = NULL;
	size_t n_have = 0;
	struct buf extra = { 0 }, missing = { 0 };
	int count, ret = -1;

	count = chain ? sk_X509_num(chain) : 0;
	if (count <= 0) {
		err_set(e, EXIT_OP, "certificate chain is empty");
		goto out;
	}
	leaf = sk_X509_value(chain, 0);
	if (!crypto_pubkey_equal(X509_get0_pubkey(leaf), key)) {
		err_set(e, EXIT_OP, "certificate's public key does not match the CSR key");
		goto out;
	}
	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	if (crypto_gens_idents(gens, false, "the certificate", &have, &n_have, e) < 0)
		goto out;
	for (size_t i = 0; i < n_have; i++) {
		if (!list_has((char *const *)names, n, have[i]) &&
		    buf_printf(&extra, "%s%s", extra.len ? ", " : "", have[i]) < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!list_has(have, n_have, names[i]) &&
		    buf_printf(&missing, "%s%s", missing.len ? ", " : "", names[i]) < 0)
			goto out;
	}
	if (extra.len || missing.len) {
		err_set(e, EXIT_OP, "certificate names do not match the order: extra [%s], missing [%s]",
		        extra.len ? extra.data : "", missing.len ? missing.data : "");
		goto out;
	}
	for (int i = 0; i + 1 < count; i++) {
		X509 *c = sk_X509_value(chain, i), *up = sk_X509_value(chain, i + 1);
		EVP_PKEY *upkey = X509_get0_pubkey(up);

		if (X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(up)) != 0 ||
		    !upkey || X509_verify(c, upkey) != 1) {
			char a[128], b[128];

			ERR_clear_error();
			cert_label(c, a, sizeof(a));
			cert_label(up, b, sizeof(b));
			err_set(e, EXIT_OP, "certificate chain out of order at position %d: \"%s\" is not issued by the next certificate \"%s\"",
			        i, a, b);
			goto out;
		}
	}
	ret = 0;
out:
	/* Failures without a message of their own are allocation or library
	 * failures. */
	if (ret < 0 && !err_isset(e))
		err_set(e, EXIT_OP, "cannot compare the certificate names: out of memory");
	buf_free(&extra);
	buf_free(&missing);
	crypto_names_free(have);
	GENERAL_NAMES_free(gens);
	return ret;
}

char *crypto_cert_pem(X509 *cert)
{
	BIO *bio = NULL;
	char *res = NULL;

	bio = BIO_new(BIO_s_mem());
	if (bio && cert && PEM_write_bio_X509(bio, cert))
		res = crypto_bio_take(bio);
	BIO_free(bio);
	return res;
}

char *crypto_chain_pem(STACK_OF(X509) *chain, int from)
{
	BIO *bio = NULL;
	char *res = NULL;
	int count = chain ? sk_X509_num(chain) : 0;

	if (from < 0 || from > count)
		return NULL;
	bio = BIO_new(BIO_s_mem());
	if (!bio)
		goto out;
	for (int i = from; i < count; i++) {
		if (!PEM_write_bio_X509(bio, sk_X509_value(chain, i)))
			goto out;
	}
	res = crypto_bio_take(bio);
out:
	BIO_free(bio);
	return res;
}

/* Lower-case hex without leading zeros, "0" for zero, "-" for negatives
 * (which RFC 5280 forbids but some certificates carry). */
static int serial_hex(const ASN1_INTEGER *ai, char *dst, size_t cap)
{
	BIGNUM *bn = NULL;
	char *hex = NULL, *p;
	bool neg;
	int ret = -1;

	bn = ASN1_INTEGER_to_BN(ai, NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (!hex)
		goto out;
	p = hex;
	neg = *p == '-';
	if (neg)
		p++;
	while (p[0] == '0' && p[1] != '\0')
		p++;
	if (strlen(p) + (neg ? 1 : 0) >= cap)
		goto out;
	snprintf(dst, cap, "%s%s", neg ? "-" : "", p);
	for (p = dst; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	ret = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return ret;
}

static int asn1_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

int crypto_cert_info(X509 *cert, struct cert_info *ci, struct error *e)
{
	struct cert_info tmp;
	GENERAL_NAMES *gens = NULL;
	char *scn = NULL, *icn = NULL;
	size_t n = 0;
	int ret = -1;

	memset(&tmp, 0, sizeof(tmp));
	if (!cert) {
		err_set(e, EXIT_OP, "cannot describe a missing certificate");
		goto out;
	}
	if (serial_hex(X509_get0_serialNumber(cert), tmp.serial, sizeof(tmp.serial)) < 0) {
		err_set(e, EXIT_OP, "certificate serial number is unreadable or longer than %zu hex digits",
		        sizeof(tmp.serial) - 1);
		goto out;
	}
	if (asn1_time_t(X509_get0_notBefore(cert), &tmp.not_before) < 0 ||
	    asn1_time_t(X509_get0_notAfter(cert), &tmp.not_after) < 0) {
		err_set(e, EXIT_OP, "certificate %s has an unreadable validity period", tmp.serial);
		goto out;
	}
	if (crypto_name_cn(X509_get_subject_name(cert), &scn) < 0 ||
	    crypto_name_cn(X509_get_issuer_name(cert), &icn) < 0) {
		err_set(e, EXIT_OP, "certificate %s has an unreadable subject or issuer CN", tmp.serial);
		goto out;
	}
	snprintf(tmp.subject_cn, sizeof(tmp.subject_cn), "%s", scn ? scn : "");
	snprintf(tmp.issuer_cn, sizeof(tmp.issuer_cn), "%s", icn ? icn : "");
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (crypto_gens_idents(gens, false, "the certificate", &tmp.names, &n, e) < 0)
		goto out;
	*ci = tmp;
	ret = 0;
out:
	free(scn);
	free(icn);
	GENERAL_NAMES_free(gens);
	return ret;
}

void crypto_cert_info_free(struct cert_info *ci)
{
	if (!ci)
		return;
	crypto_names_free(ci->names);
	ci->names = NULL;
}

X509 *crypto_cert_load(const char *path, struct error *e)
{
	char *data = NULL, why[256];
	size_t len = 0;
	BIO *bio = NULL;
	X509 *cert = NULL;

	if (crypto_read_file(path, &data, &len, e) < 0)
		goto out;
	bio = BIO_new_mem_buf(data, (int)len);
	cert = bio ? PEM_read_bio_X509(bio, NULL, crypto_no_passphrase, NULL) : NULL;
	if (!cert)
		err_set(e, EXIT_OP, "cannot load a certificate from %s: no PEM CERTIFICATE block (%s)",
		        path, crypto_ossl_reason(why, sizeof(why)));
out:
	BIO_free(bio);
	free(data);
	return cert;
}

STACK_OF(X509) *crypto_chain_load(const char *path, struct error *e)
{
	char *data = NULL;
	size_t len = 0;
	STACK_OF(X509) *chain = NULL;

	if (crypto_read_file(path, &data, &len, e) < 0)
		goto out;
	chain = crypto_chain_parse(data, len, e);
	if (!chain)
		err_prefix(e, "%s", path);
out:
	free(data);
	return chain;
}

char *crypto_issuer_of_chain_top(STACK_OF(X509) *chain)
{
	int count = chain ? sk_X509_num(chain) : 0;
	char *cn = NULL;

	if (count <= 0)
		return NULL;
	if (crypto_name_cn(X509_get_issuer_name(sk_X509_value(chain, count - 1)), &cn) < 0)
		return NULL;
	return cn;
}

unsigned char *crypto_cert_der(X509 *cert, size_t *len)
{
	unsigned char *enc = NULL, *res = NULL;
	int n;

	n = cert ? i2d_X509(cert, &enc) : -1;
	if (n > 0 && (res = malloc((size_t)n))) {
		memcpy(res, enc, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(enc);
	return res;
}

char *crypto_cert_ari_id(X509 *cert, struct error *e)
{
	/* Decoded here rather than through OpenSSL's extension cache, which
	 * gives nothing for a certificate it finds incomplete. */
	AUTHORITY_KEYID *aki = X509_get_ext_d2i(cert, NID_authority_key_identifier, NULL, NULL);
	const ASN1_OCTET_STRING *kid = aki ? aki->keyid : NULL;
	const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
	unsigned char *der = NULL;
	char *a = NULL, *b = NULL, *id = NULL;
	int len, hdr;

	if (!kid || ASN1_STRING_length(kid) <= 0) {
		err_set(e, EXIT_OP, "the certificate has no authority key identifier, which "
		                    "renewal information needs");
		goto out;
	}
	/* RFC 9773 §4.1: the serial's DER encoding without its tag and length
	 * (a leading zero byte kept for a high first bit). */
	len = i2d_ASN1_INTEGER(serial, &der);
	if (len < 3 || (der[1] & 0x80 && len < 2 + (der[1] & 0x7f) + 1)) {
		err_set(e, EXIT_OP, "the certificate's serial number cannot be encoded");
		goto out;
	}
	hdr = der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2;
	a = b64url_encode(ASN1_STRING_get0_data(kid), (size_t)ASN1_STRING_length(kid));
	b = b64url_encode(der + hdr, (size_t)(len - hdr));
	if (!a || !b || !(id = malloc(strlen(a) + strlen(b) + 2))) {
		err_nomem(e);
		goto out;
	}
	snprintf(id, strlen(a) + strlen(b) + 2, "%s.%s", a, b);
out:
	AUTHORITY_KEYID_free(aki);
	OPENSSL_free(der);
	free(a);
	free(b);
	return id;
}
