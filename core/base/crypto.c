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

/* Certificates, CSRs and keys are small; anything bigger is a mistake or
 * an attack, and reading it whole would be the real problem. */
#define FILE_CAP (1024 * 1024)
#define CHAIN_MAX 10

/* Read PATH whole (at most FILE_CAP bytes) into a NUL-terminated buffer.
 * The buffer may hold a private key, so callers wipe it before free. */
static int read_file(const char *path, char **data, size_t *len,
                     struct error *e)
{
	FILE *fp = NULL;
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;
	int ret = -1;

	b.limit = FILE_CAP;
	fp = fopen(path, "rb");
	if (!fp) {
		err_set(e, EXIT_OP, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (buf_append(&b, chunk, n) < 0) {
			err_set(e, EXIT_OP, "cannot read %s: larger than %d bytes or out of memory",
			        path, FILE_CAP);
			goto out;
		}
	}
	if (ferror(fp)) {
		err_set(e, EXIT_OP, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	*len = b.len;
	*data = buf_steal(&b);
	if (!*data) {
		err_set(e, EXIT_OP, "cannot read %s: out of memory", path);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	buf_free(&b);
	if (fp)
		fclose(fp);
	return ret;
}

/* memmem is a GNU extension the project's feature macros do not enable. */
static const char *find_bytes(const char *hay, size_t hay_len, const char *needle,
                              size_t needle_len)
{
	for (size_t i = 0; needle_len <= hay_len && i <= hay_len - needle_len; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, needle_len) == 0)
			return hay + i;
	}
	return NULL;
}

static void wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, len);
	free(s);
}

/* The text of OpenSSL's most recent error, so a message can say why a
 * parse failed; the queue is cleared so it cannot leak into later calls. */
static const char *ossl_reason(char *dst, size_t cap)
{
	unsigned long code = ERR_peek_last_error();
	const char *reason = code ? ERR_reason_error_string(code) : NULL;

	if (reason)
		snprintf(dst, cap, "%s", reason);
	else if (code)
		ERR_error_string_n(code, dst, cap);
	else
		snprintf(dst, cap, "unknown reason");
	ERR_clear_error();
	return dst;
}

/* Copy a memory BIO's contents into a malloc'd string and wipe the BIO's
 * buffer, which may hold a private key. */
static char *bio_take(BIO *bio)
{
	BUF_MEM *mem = NULL;
	char *res;

	BIO_get_mem_ptr(bio, &mem);
	if (!mem)
		return NULL;
	res = malloc(mem->length + 1);
	if (res) {
		memcpy(res, mem->data, mem->length);
		res[mem->length] = '\0';
	}
	OPENSSL_cleanse(mem->data, mem->max);
	return res;
}

EVP_PKEY *crypto_keygen(const char *key_type, const char *curve, int rsa_bits,
                        struct error *e)
{
	EVP_PKEY *key = NULL;
	const char *group;
	char why[256];

	if (key_type && strcmp(key_type, "ecdsa") == 0) {
		if (!curve || strcmp(curve, "secp256r1") == 0) {
			group = "P-256";
		} else if (strcmp(curve, "secp384r1") == 0) {
			group = "P-384";
		} else {
			err_set(e, EXIT_USAGE, "unsupported elliptic curve \"%s\": use secp256r1 or secp384r1",
			        curve);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
		if (!key)
			err_set(e, EXIT_OP, "cannot generate an ecdsa %s key: %s",
			        curve ? curve : "secp256r1", ossl_reason(why, sizeof(why)));
		return key;
	}
	if (key_type && strcmp(key_type, "rsa") == 0) {
		if (rsa_bits != 2048 && rsa_bits != 3072 && rsa_bits != 4096) {
			err_set(e, EXIT_USAGE, "unsupported RSA key size %d: use 2048, 3072 or 4096", rsa_bits);
			return NULL;
		}
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
		if (!key)
			err_set(e, EXIT_OP, "cannot generate an rsa %d key: %s", rsa_bits,
			        ossl_reason(why, sizeof(why)));
		return key;
	}
	err_set(e, EXIT_USAGE, "unsupported key type \"%s\": use ecdsa or rsa",
	        key_type ? key_type : "(none)");
	return NULL;
}

/* Refuses to prompt: an encrypted key is a configuration error here, and a
 * prompt would hang an unattended renewal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *crypto_key_load(const char *path, struct error *e)
{
	char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	char why[256];

	if (read_file(path, &data, &len, e) < 0)
		goto out;
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio) {
		err_set(e, EXIT_OP, "cannot read private key %s: out of memory", path);
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!key)
		err_set(e, EXIT_OP, "cannot load private key %s: not an unencrypted PEM private key (%s)",
		        path, ossl_reason(why, sizeof(why)));
out:
	BIO_free(bio);
	wipe_free(data, len);
	return key;
}

char *crypto_key_pem(EVP_PKEY *key, struct error *e)
{
	BIO *bio = NULL;
	char *res = NULL;
	char why[256];

	bio = BIO_new(BIO_s_mem());
	if (!bio || !key ||
	    !PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		err_set(e, EXIT_OP, "cannot encode the %s private key as PEM: %s",
		        key ? EVP_PKEY_get0_type_name(key) : "(none)", ossl_reason(why, sizeof(why)));
		goto out;
	}
	res = bio_take(bio);
	if (!res)
		err_set(e, EXIT_OP, "cannot encode the private key as PEM: out of memory");
out:
	BIO_free(bio);
	return res;
}

char *crypto_key_describe(EVP_PKEY *key)
{
	char group[64], out[96];
	const char *name;

	if (!key)
		return strdup("none");
	if (EVP_PKEY_is_a(key, "RSA")) {
		snprintf(out, sizeof(out), "rsa %d", EVP_PKEY_get_bits(key));
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
			snprintf(group, sizeof(group), "unknown");
		/* OpenSSL calls P-256 "prime256v1"; users configure "secp256r1". */
		switch (OBJ_txt2nid(group)) {
		case NID_X9_62_prime256v1:
			name = "secp256r1";
			break;
		default:
			name = group;
			break;
		}
		snprintf(out, sizeof(out), "ecdsa %s", name);
	} else {
		name = EVP_PKEY_get0_type_name(key);
		snprintf(out, sizeof(out), "%s %d", name ? name : "unknown", EVP_PKEY_get_bits(key));
		for (char *p = out; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return strdup(out);
}

bool crypto_pubkey_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	return a && b && EVP_PKEY_eq(a, b) == 1;
}

void crypto_names_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

/* Append NAME (LEN bytes) lower-cased to the NULL-terminated list LIST of
 * *N entries, unless it is already there. */
static int names_add(char ***list, size_t *n, const char *name, size_t len)
{
	char **grown, *copy;

	copy = malloc(len + 1);
	if (!copy)
		return -1;
	for (size_t i = 0; i < len; i++)
		copy[i] = (char)tolower((unsigned char)name[i]);
	copy[len] = '\0';
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i], copy) == 0) {
			free(copy);
			return 0;
		}
	}
	grown = realloc(*list, (*n + 2) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return -1;
	}
	grown[*n] = copy;
	grown[*n + 1] = NULL;
	*list = grown;
	(*n)++;
	return 0;
}

/* Collect the DNS names of GENS (may be NULL) into a fresh list. With
 * ONLY_DNS, any other kind of name is an error: a CSR that asks for an IP
 * address or e-mail address cannot be satisfied by a DNS order. WHAT names
 * the source for messages. */
static int gens_dns(const GENERAL_NAMES *gens, bool only_dns, const char *what,
                    char ***out, size_t *n_out, struct error *e)
{
	char **list = NULL;
	size_t n = 0;
	int ret = -1;

	list = calloc(1, sizeof(*list));
	if (!list)
		goto out;
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *ia5;
		const char *s;
		int len;

		if (gn->type != GEN_DNS) {
			if (!only_dns)
				continue;
			err_set(e, EXIT_OP, "%s has a subject alternative name of type %d that is not a DNS name; only DNS names are supported",
			        what, gn->type);
			goto out;
		}
		ia5 = gn->d.dNSName;
		s = (const char *)ASN1_STRING_get0_data(ia5);
		len = ASN1_STRING_length(ia5);
		if (len <= 0 || memchr(s, '\0', (size_t)len)) {
			err_set(e, EXIT_OP, "%s has an empty or NUL-containing DNS name", what);
			goto out;
		}
		if (names_add(&list, &n, s, (size_t)len) < 0)
			goto out;
	}
	*out = list;
	*n_out = n;
	list = NULL;
	ret = 0;
out:
	/* Failures without a message of their own are allocation or library
	 * failures. */
	if (ret < 0 && !err_isset(e))
		err_set(e, EXIT_OP, "cannot read the names of %s: out of memory", what);
	crypto_names_free(list);
	return ret;
}

/* The first CN of NM as a malloc'd UTF-8 string in *OUT, or NULL when
 * there is none. Returns -1 on allocation failure or an embedded NUL. */
static int name_cn(const X509_NAME *nm, char **out)
{
	const X509_NAME_ENTRY *ent;
	unsigned char *utf8 = NULL;
	char *res = NULL;
	int idx, len, ret = -1;

	idx = nm ? X509_NAME_get_index_by_NID(nm, NID_commonName, -1) : -1;
	if (idx < 0) {
		*out = NULL;
		return 0;
	}
	ent = X509_NAME_get_entry(nm, idx);
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ent));
	if (len < 0 || memchr(utf8, '\0', (size_t)len))
		goto out;
	res = malloc((size_t)len + 1);
	if (!res)
		goto out;
	memcpy(res, utf8, (size_t)len);
	res[len] = '\0';
	*out = res;
	ret = 0;
out:
	OPENSSL_free(utf8);
	return ret;
}

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
	with_cn = strlen(names[0]) <= 64;
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
		gn = GENERAL_NAME_new();
		ia5 = ASN1_IA5STRING_new();
		if (!gn || !ia5 || !ASN1_STRING_set(ia5, names[i], -1))
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
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
		        names && n ? names[0] : "(no names)", ossl_reason(why, sizeof(why)));
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

	if (read_file(path, &data, &len, e) < 0)
		goto out;
	if (find_bytes(data, len, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(data, (int)len);
		req = bio ? PEM_read_bio_X509_REQ(bio, NULL, no_passphrase, NULL) : NULL;
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
		        path, ossl_reason(why, sizeof(why)));
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
		        ossl_reason(why, sizeof(why)));
		goto out;
	}
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (!gens && crit != -1) {
		err_set(e, EXIT_USAGE, "CSR %s has a malformed or repeated subject alternative name extension", path);
		goto out;
	}
	if (gens_dns(gens, true, path, &list, &n, e) < 0)
		goto out;
	if (name_cn(X509_REQ_get_subject_name(req), &cn) < 0) {
		err_set(e, EXIT_USAGE, "CSR %s has an unreadable subject CN", path);
		goto out;
	}
	if (cn && names_add(&list, &n, cn, strlen(cn)) < 0) {
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
		stop = find_bytes(blk, len - pos, end_cert, sizeof(end_cert) - 1);
		if (!stop) {
			err_set(e, EXIT_OP, "certificate chain has an unterminated CERTIFICATE block at byte %zu", pos);
			goto out;
		}
		blk_len = (size_t)(stop - blk) + sizeof(end_cert) - 1;
		/* A BEGIN without its END would otherwise swallow the next
		 * block's END and hide whatever lies between. */
		if (stop < blk + begin_len ||
		    find_bytes(blk + begin_len, (size_t)(stop - blk) - begin_len, "-----", 5) ||
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

	if (name_cn(X509_get_subject_name(cert), &cn) == 0 && cn)
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
	if (gens_dns(gens, false, "the certificate", &have, &n_have, e) < 0)
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
		res = bio_take(bio);
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
	res = bio_take(bio);
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
	if (name_cn(X509_get_subject_name(cert), &scn) < 0 ||
	    name_cn(X509_get_issuer_name(cert), &icn) < 0) {
		err_set(e, EXIT_OP, "certificate %s has an unreadable subject or issuer CN", tmp.serial);
		goto out;
	}
	snprintf(tmp.subject_cn, sizeof(tmp.subject_cn), "%s", scn ? scn : "");
	snprintf(tmp.issuer_cn, sizeof(tmp.issuer_cn), "%s", icn ? icn : "");
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (gens_dns(gens, false, "the certificate", &tmp.names, &n, e) < 0)
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

	if (read_file(path, &data, &len, e) < 0)
		goto out;
	bio = BIO_new_mem_buf(data, (int)len);
	cert = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
	if (!cert)
		err_set(e, EXIT_OP, "cannot load a certificate from %s: no PEM CERTIFICATE block (%s)",
		        path, ossl_reason(why, sizeof(why)));
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

	if (read_file(path, &data, &len, e) < 0)
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
	if (name_cn(X509_get_issuer_name(sk_X509_value(chain, count - 1)), &cn) < 0)
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
