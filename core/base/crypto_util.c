/* Helpers shared by the crypto_*.c files: bounded file reads, OpenSSL
 * error text, name lists. */
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

/* Collect the DNS names of GENS (may be NULL) into a fresh list. With
 * ONLY_DNS, any other kind of name is an error: a CSR that asks for an IP
 * address or e-mail address cannot be satisfied by a DNS order. WHAT names
 * the source for messages. */
int crypto_gens_dns(const GENERAL_NAMES *gens, bool only_dns, const char *what,
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
