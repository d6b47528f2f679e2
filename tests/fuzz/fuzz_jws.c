/* Flattened JWS verification, with a signature key and a MAC key fixed in
 * this harness so the corpus can hold objects that really verify and the
 * fuzzer starts from the success path. The keys are test-only values. */
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "fuzz_util.h"
#include "acme/jws.h"
#include "jws_verify.h"

static const char test_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtAg0p6TEvYAS8v6t\n"
	"dx4s1Jj8hRGIyvqf21waE9ndzyShRANCAARjHy8KVwtozyS61X9AqZqX3YFbCgQu\n"
	"9sTPK2uprVDKTLT++2A30NhhgU8x6og/J98XAPB4bNvht7DlDssAFQlw\n"
	"-----END PRIVATE KEY-----\n";

/* The MAC key is the 32 bytes 0x00..0x1f. */
static const unsigned char test_hmac_key[32] = {
	0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

/* Parsed once per process: parsing a key on every input would dominate
 * the run time. core has no mutable globals; this is a test harness. */
static EVP_PKEY *test_key;

static void free_test_key(void)
{
	EVP_PKEY_free(test_key);
	test_key = NULL;
}

static EVP_PKEY *get_test_key(void)
{
	if (!test_key) {
		BIO *bio = BIO_new_mem_buf(test_key_pem, -1);
		if (bio)
			test_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (!test_key)
			abort();
		atexit(free_test_key);
	}
	return test_key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct error e = {0};

	(void)jws_verify(get_test_key(), s, &e);
	err_clear(&e);
	(void)jws_hmac_verify(test_hmac_key, sizeof(test_hmac_key), s, &e);
	free(s);
	return 0;
}
