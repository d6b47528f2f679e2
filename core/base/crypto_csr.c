/* CSRs: the ones we make and the ones users bring. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/ident.h"
#include "base/crypto_priv.h"
#include "base/der.h"

/* A CSR for 100 names with an 8192-bit RSA key is under 8 KiB. */
#define CSR_CAP (64 * 1024)

/* The CN repeats the first DNS name, as CAs expect; an address is never a
 * CN (CA/Browser Forum requirements), nor is a name over the CN's limit of
 * 64 characters (RFC 5280). */
static bool csr_with_cn(const char *first)
{
	return !ident_is_ip(first) && strlen(first) <= 64;
}

/* Content bytes of the OIDs a CSR needs. */
static const unsigned char oid_cn[] = {0x55, 0x04, 0x03};
static const unsigned char oid_ext_req[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
static const unsigned char oid_san[] = {0x55, 0x1d, 0x11};
/* The signature AlgorithmIdentifiers, whole: sha256WithRSAEncryption with
 * NULL parameters, and ecdsa-with-SHA256 with none (RFC 5758). */
static const unsigned char sig_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                               0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const unsigned char sig_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                                 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

/* SubjectPublicKeyInfo of KEY straight from its parameters: OpenSSL's
 * generic encoder costs more than the rest of the CSR. */
static int csr_spki(struct der_writer *w, EVP_PKEY *key, const struct crypto_curve *curve)
{
	unsigned char pub[1 + 2 * 66];
	size_t plen = 0;
	BIGNUM *n = NULL, *ex = NULL;
	int ret = -1;

	der_begin(w, DER_SEQUENCE);
	crypto_der_key_algid(w, curve);
	if (curve) {
		/* The point as the key holds it: uncompressed unless the key says
		 * otherwise, as OpenSSL's own encoder writes it. */
		if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
		                                     sizeof(pub), &plen))
			goto out;
		der_put_bits(w, pub, plen);
	} else {
		if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
		    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &ex))
			goto out;
		/* RSAPublicKey (RFC 8017 §A.1.1) inside the BIT STRING. */
		der_begin(w, DER_BIT_STRING);
		der_put_raw(w, "", 1);
		der_begin(w, DER_SEQUENCE);
		der_put_bn(w, n);
		der_put_bn(w, ex);
		der_end(w);
		der_end(w);
	}
	der_end(w);
	ret = 0;
out:
	BN_free(n);
	BN_free(ex);
	return ret;
}

/* CertificationRequestInfo (RFC 2986 §4.1): version 0, the subject, the
 * key, and an extensionRequest attribute holding the SAN. */
static int csr_info(struct der_writer *w, EVP_PKEY *key, const struct crypto_curve *curve,
                    const char *const *names, size_t n)
{
	bool with_cn = csr_with_cn(names[0]);

	der_begin(w, DER_SEQUENCE);
	der_put_uint(w, NULL, 0);
	der_begin(w, DER_SEQUENCE);
	if (with_cn) {
		der_begin(w, DER_SET);
		der_begin(w, DER_SEQUENCE);
		der_put(w, DER_OID, oid_cn, sizeof(oid_cn));
		der_put(w, DER_UTF8STRING, names[0], strlen(names[0]));
		der_end(w);
		der_end(w);
	}
	der_end(w);
	if (csr_spki(w, key, curve) < 0)
		return -1;
	der_begin(w, DER_CONTEXT(0));
	der_begin(w, DER_SEQUENCE);
	der_put(w, DER_OID, oid_ext_req, sizeof(oid_ext_req));
	der_begin(w, DER_SET);
	der_begin(w, DER_SEQUENCE);             /* Extensions */
	der_begin(w, DER_SEQUENCE);             /* Extension */
	der_put(w, DER_OID, oid_san, sizeof(oid_san));
	/* RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical. */
	if (!with_cn)
		der_put(w, DER_BOOLEAN, "\xff", 1);
	der_begin(w, DER_OCTET_STRING);
	der_begin(w, DER_SEQUENCE);
	for (size_t i = 0; i < n; i++) {
		unsigned char addr[16];
		size_t alen = 0;

		if (ident_ip_bytes(names[i], addr, &alen) == 0)
			der_put(w, DER_CONTEXT_PRIM(7), addr, alen);      /* iPAddress */
		else
			der_put(w, DER_CONTEXT_PRIM(2), names[i], strlen(names[i])); /* dNSName */
	}
	for (int i = 0; i < 8; i++)
		der_end(w);
	return 0;
}

/* The request signed: CertificationRequest (RFC 2986 §4.2). */
static int csr_sign(EVP_PKEY *key, const struct crypto_curve *curve, const unsigned char *info,
                    size_t info_len, unsigned char **der, size_t *der_len)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	struct der_writer w;
	int ret = -1;

	der_writer_init(&w, CSR_CAP);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &sig_len, info, info_len) != 1 || !(sig = malloc(sig_len)) ||
	    EVP_DigestSign(md, sig, &sig_len, info, info_len) != 1)
		goto out;
	der_begin(&w, DER_SEQUENCE);
	der_put_raw(&w, info, info_len);
	if (curve)
		der_put_raw(&w, sig_ecdsa_sha256, sizeof(sig_ecdsa_sha256));
	else
		der_put_raw(&w, sig_rsa_sha256, sizeof(sig_rsa_sha256));
	der_put_bits(&w, sig, sig_len);
	der_end(&w);
	ret = der_finish(&w, der, der_len);
out:
	der_writer_free(&w);
	free(sig);
	EVP_MD_CTX_free(md);
	return ret;
}

int crypto_csr_make(EVP_PKEY *key, const char *const *names, size_t n,
                    unsigned char **der, size_t *der_len, struct error *e)
{
	const struct crypto_curve *curve = NULL;
	enum crypto_kind kind;
	struct der_writer w;
	unsigned char *info = NULL;
	size_t info_len = 0;
	char why[256];
	int ret = -1;

	der_writer_init(&w, CSR_CAP);
	if (!key || !names || n == 0) {
		err_set(e, EXIT_OP, "cannot make a CSR without a key and at least one name");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!names[i] || !*names[i]) {
			err_set(e, EXIT_OP, "cannot make a CSR: name %zu is empty", i + 1);
			goto out;
		}
	}
	kind = crypto_key_kind(key, &curve);
	if (kind == CRYPTO_OTHER) {
		ret = crypto_csr_make_x509(key, names, n, der, der_len);
		goto out;
	}
	if (csr_info(&w, key, curve, names, n) < 0 || der_finish(&w, &info, &info_len) < 0)
		goto out;
	ret = csr_sign(key, curve, info, info_len, der, der_len);
out:
	/* Failures without a message of their own are allocation or library
	 * failures. */
	if (ret < 0 && !err_isset(e))
		err_set(e, EXIT_OP, "cannot make a CSR for %s: %s",
		        names && n ? names[0] : "(no names)", crypto_ossl_reason(why, sizeof(why)));
	der_writer_free(&w);
	free(info);
	return ret;
}

int crypto_csr_make_x509(EVP_PKEY *key, const char *const *names, size_t n,
                         unsigned char **der, size_t *der_len)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *enc = NULL, *res = NULL;
	bool with_cn;
	int len, ret = -1;

	/* The CN repeats the first DNS name, as CAs expect; an address is
	 * never a CN (CA/Browser Forum requirements). */
	with_cn = csr_with_cn(names[0]);
	req = X509_REQ_new();
	subj = X509_NAME_new();
	gens = sk_GENERAL_NAME_new_null();
	if (!req || !subj || !gens || !X509_REQ_set_version(req, 0))
		goto out;
	if (with_cn &&
	    !X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8,
	                                (const unsigned char *)names[0], -1, -1, 0))
		goto out;
	if (!X509_REQ_set_subject_name(req, subj))
		goto out;
	for (size_t i = 0; i < n; i++) {
		unsigned char addr[16];
		size_t alen = 0;
		bool ip = ident_ip_bytes(names[i], addr, &alen) == 0;

		gn = GENERAL_NAME_new();
		ia5 = ASN1_IA5STRING_new(); /* an OCTET STRING for addresses: the same type */
		if (!gn || !ia5 ||
		    !(ip ? ASN1_OCTET_STRING_set(ia5, addr, (int)alen) : ASN1_STRING_set(ia5, names[i], -1)))
			goto out;
		GENERAL_NAME_set0_value(gn, ip ? GEN_IPADD : GEN_DNS, ia5);
		ia5 = NULL;
		if (!sk_GENERAL_NAME_push(gens, gn))
			goto out;
		gn = NULL;
	}
	/* RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical. */
	if (!X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, with_cn ? 0 : 1, X509V3_ADD_DEFAULT) ||
	    !X509_REQ_add_extensions(req, exts) || !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_sign(req, key, EVP_sha256()))
		goto out;
	len = i2d_X509_REQ(req, &enc);
	if (len <= 0 || !(res = malloc((size_t)len)))
		goto out;
	memcpy(res, enc, (size_t)len);
	*der = res;
	*der_len = (size_t)len;
	res = NULL;
	ret = 0;
out:
	free(res);
	OPENSSL_free(enc);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return ret;
}

int crypto_csr_load(const char *path, unsigned char **der, size_t *der_len,
                    char ***names, size_t *n_names, EVP_PKEY **pubkey,
                    struct error *e)
{
	char *data = NULL, *cn = NULL, why[256];
	size_t len = 0, n = 0;
	BIO *bio = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *pk = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = NULL;
	char **list = NULL;
	unsigned char *enc = NULL, *res = NULL;
	const unsigned char *p;
	int sig_nid, md_nid = NID_undef, pk_nid, crit = -1, enc_len, ret = -1;

	if (crypto_read_file(path, &data, &len, e) < 0)
		goto out;
	if (crypto_find_bytes(data, len, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(data, (int)len);
		req = bio ? PEM_read_bio_X509_REQ(bio, NULL, crypto_no_passphrase, NULL) : NULL;
	} else {
		p = (const unsigned char *)data;
		req = d2i_X509_REQ(NULL, &p, (long)len);
		if (req && p != (const unsigned char *)data + len) {
			err_set(e, EXIT_USAGE, "CSR %s has %zu trailing bytes after the DER request",
			        path, len - (size_t)(p - (const unsigned char *)data));
			goto out;
		}
	}
	if (!req) {
		err_set(e, EXIT_USAGE, "cannot parse CSR %s: not a PEM or DER certificate request (%s)",
		        path, crypto_ossl_reason(why, sizeof(why)));
		goto out;
	}
	/* The digest is checked before the signature so a weak one is named
	 * even where the library refuses to verify it at all. */
	sig_nid = X509_REQ_get_signature_nid(req);
	if (!OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) ||
	    (md_nid != NID_sha256 && md_nid != NID_sha384 && md_nid != NID_sha512)) {
		err_set(e, EXIT_USAGE, "CSR %s is signed with %s: only SHA-256, SHA-384 or SHA-512 signatures are accepted",
		        path, sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "an unknown algorithm");
		goto out;
	}
	pk = X509_REQ_get_pubkey(req);
	if (!pk || X509_REQ_verify(req, pk) != 1) {
		err_set(e, EXIT_USAGE, "CSR %s: its self-signature does not verify (%s)", path,
		        crypto_ossl_reason(why, sizeof(why)));
		goto out;
	}
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (!gens && crit != -1) {
		err_set(e, EXIT_USAGE, "CSR %s has a malformed or repeated subject alternative name extension", path);
		goto out;
	}
	if (crypto_gens_idents(gens, true, path, &list, &n, e) < 0)
		goto out;
	if (crypto_name_cn(X509_REQ_get_subject_name(req), &cn) < 0) {
		err_set(e, EXIT_USAGE, "CSR %s has an unreadable subject CN", path);
		goto out;
	}
	if (cn && crypto_names_add(&list, &n, cn, strlen(cn)) < 0) {
		err_set(e, EXIT_OP, "cannot read the names of CSR %s: out of memory", path);
		goto out;
	}
	if (n == 0) {
		err_set(e, EXIT_USAGE, "CSR %s names no domain: it has neither DNS subject alternative names nor a CN",
		        path);
		goto out;
	}
	enc_len = i2d_X509_REQ(req, &enc);
	if (enc_len <= 0 || !(res = malloc((size_t)enc_len))) {
		err_set(e, EXIT_OP, "cannot re-encode CSR %s: out of memory", path);
		goto out;
	}
	memcpy(res, enc, (size_t)enc_len);
	*der = res;
	*der_len = (size_t)enc_len;
	*names = list;
	*n_names = n;
	*pubkey = pk;
	res = NULL;
	list = NULL;
	pk = NULL;
	ret = 0;
out:
	free(res);
	OPENSSL_free(enc);
	free(cn);
	crypto_names_free(list);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_PKEY_free(pk);
	X509_REQ_free(req);
	BIO_free(bio);
	free(data);
	return ret;
}
