/* The DER reader (base/der.h) over arbitrary bytes, and the PKCS#8 key
 * reader that uses it, as DER and as the text of a key file. A key it
 * reads must be the key OpenSSL reads from the same DER, and must survive
 * being written and read back. */
#include <openssl/x509.h>

#include "base/crypto.h"
#include "base/crypto_priv.h"
#include "base/der.h"
#include "fuzz_util.h"

/* Walk every element, descending into constructed ones; the contents the
 * reader hands out must lie inside their parent. */
static void walk(struct der_reader r)
{
	const unsigned char *start = r.p, *end = r.p + r.len, *raw, *v;
	struct der_reader in, copy;
	size_t n;
	int tag;

	while ((tag = der_peek(&r)) >= 0) {
		copy = r;
		if (der_get(&copy, (unsigned char)tag, &in) < 0) {
			/* Refused by der_get, refused whole, unless only depth is at fault. */
			if (r.depth < DER_MAX_DEPTH && der_get_raw(&r, &raw, &n) == 0)
				abort();
			return;
		}
		if (in.p < start || in.p + in.len > end || in.depth != r.depth + 1 || copy.p != in.p + in.len)
			abort();
		if (tag == DER_INTEGER && der_get_uint(&r, &v, &n) == 0 && n && v[0] == 0)
			abort(); /* the magnitude comes without a leading zero */
		if (tag & 0x20)
			walk(in);
		r = copy;
	}
}

static void check_key(EVP_PKEY *key, const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	EVP_PKEY *ossl = d2i_AutoPrivateKey(NULL, &p, (long)size), *again = NULL;
	char *pem = NULL;
	struct error e = {0};

	if (!ossl || EVP_PKEY_eq(key, ossl) != 1)
		abort(); /* read here, it must be what OpenSSL reads */
	if (crypto_pkcs8_pem(key, &pem) != 1 || crypto_pkcs8_load(pem, strlen(pem), "pem", &again, &e) != 1 ||
	    EVP_PKEY_eq(key, again) != 1)
		abort(); /* written here, it reads back the same */
	EVP_PKEY_free(again);
	EVP_PKEY_free(ossl);
	crypto_wipe_free(pem, strlen(pem));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct der_reader r;
	EVP_PKEY *key = NULL;
	struct error e = {0};
	int rc;

	der_reader_init(&r, data, size);
	walk(r);

	rc = crypto_pkcs8_parse(data, size, "fuzz", &key, &e);
	if ((rc == 1) != (key != NULL) || (rc == -1) != (e.msg[0] != '\0') || rc < -1 || rc > 1)
		abort();
	if (key)
		check_key(key, data, size);
	EVP_PKEY_free(key);
	key = NULL;

	memset(&e, 0, sizeof(e));
	rc = crypto_pkcs8_load((const char *)data, size, "fuzz", &key, &e);
	if ((rc == 1) != (key != NULL) || (rc == -1) != (e.msg[0] != '\0'))
		abort();
	EVP_PKEY_free(key);
	return 0;
}
