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
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/ident.h"
#include "base/crypto_priv.h"
int crypto_csr_make(EVP_PKEY *key, const char *const *names, size_t n,
                    unsigned char **der, size_t *der_len, struct error *e)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *enc = NULL, *res = NULL;
	bool with_cn;
	char why[256];
	int len, ret = -1;

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
	/* The CN repeats the first DNS name, as CAs expect; an address is
	 * never a CN (CA/Browser Forum requirements). */
	with_cn = !ident_is_ip(names[0]) && strlen(names[0]) <= 64;
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
	/* Failures without a message of their own are allocation or library
	 * failures. */
	if (ret < 0 && !err_isset(e))
		err_set(e, EXIT_OP, "cannot make a CSR for %s: %s",
		        names && n ? names[0] : "(no names)", crypto_ossl_reason(why, sizeof(why)));
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
