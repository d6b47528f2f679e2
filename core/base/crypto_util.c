/* Helpers shared by the crypto_*.c files: bounded file reads, OpenSSL
 * error text, name lists. */
#include <arpa/inet.h>
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
/* Read PATH whole (at most FILE_CAP bytes) into a NUL-terminated buffer.
 * The buffer may hold a private key, so callers wipe it before free. */
int crypto_read_file(const char *path, char **data, size_t *len,
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
const char *crypto_find_bytes(const char *hay, size_t hay_len, const char *needle,
                              size_t needle_len)
{
	for (size_t i = 0; needle_len <= hay_len && i <= hay_len - needle_len; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, needle_len) == 0)
			return hay + i;
	}
	return NULL;
}

void crypto_wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, len);
	free(s);
}

/* The text of OpenSSL's most recent error, so a message can say why a
 * parse failed; the queue is cleared so it cannot leak into later calls. */
const char *crypto_ossl_reason(char *dst, size_t cap)
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
char *crypto_bio_take(BIO *bio)
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
int crypto_names_add(char ***list, size_t *n, const char *name, size_t len)
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

/* The text of an iPAddress name (4 or 16 bytes) into OUT, canonical as
 * base/ident.h writes addresses; -1 for any other length. */
static int ip_text(const ASN1_OCTET_STRING *ip, char out[IDENT_IP_MAX])
{
	int len = ASN1_STRING_length(ip);

	if (len != 4 && len != 16)
		return -1;
	return inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), out,
	                 IDENT_IP_MAX)
	               ? 0
	               : -1;
}

/* Collect the identifiers of GENS (may be NULL): DNS names, and IP
 * addresses (RFC 8738) in canonical text, into a fresh list. With
 * STRICT, any other kind of name is an error: a CSR that asks for an
 * e-mail address or a URI cannot be satisfied by an ACME order. WHAT names
 * the source for messages. */
int crypto_gens_idents(const GENERAL_NAMES *gens, bool strict, const char *what,
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
		char ip[IDENT_IP_MAX];
		const char *s;
		int len;

		if (gn->type == GEN_IPADD) {
			if (ip_text(gn->d.iPAddress, ip) < 0) {
				err_set(e, EXIT_OP, "%s has an IP address name of %d bytes; an address "
				        "has 4 or 16", what, ASN1_STRING_length(gn->d.iPAddress));
				goto out;
			}
			if (crypto_names_add(&list, &n, ip, strlen(ip)) < 0)
				goto out;
			continue;
		}
		if (gn->type != GEN_DNS) {
			if (!strict)
				continue;
			err_set(e, EXIT_OP, "%s has a subject alternative name of type %d that is neither "
			        "a DNS name nor an IP address; only those can be ordered",
			        what, gn->type);
			goto out;
		}
		s = (const char *)ASN1_STRING_get0_data(gn->d.dNSName);
		len = ASN1_STRING_length(gn->d.dNSName);
		if (len <= 0 || memchr(s, '\0', (size_t)len)) {
			err_set(e, EXIT_OP, "%s has an empty or NUL-containing DNS name", what);
			goto out;
		}
		if (crypto_names_add(&list, &n, s, (size_t)len) < 0)
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
int crypto_name_cn(const X509_NAME *nm, char **out)
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

/* Refuses to prompt: an encrypted key is a configuration error here, and a
 * prompt would hang an unattended renewal. */
int crypto_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}
