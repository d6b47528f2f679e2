/* Certificate chains as a CA sends them: parse, describe every
 * certificate, and check that the PEM we would store parses back to the
 * same number of certificates. */
#include "base/crypto.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error e = {0};
	STACK_OF(X509) *chain = crypto_chain_parse((const char *)data, size, &e);
	STACK_OF(X509) *again = NULL;
	char *pem = NULL, *tail = NULL, *top = NULL;
	int n;

	if (!chain)
		return 0;
	n = sk_X509_num(chain);
	if (n < 1 || n > 10)
		abort(); /* documented: 1 to 10 certificates */
	for (int i = 0; i < n; i++) {
		X509 *cert = sk_X509_value(chain, i);
		struct cert_info ci;
		unsigned char *der;
		size_t der_len = 0;
		char *one;

		err_clear(&e);
		if (crypto_cert_info(cert, &ci, &e) == 0)
			crypto_cert_info_free(&ci);
		one = crypto_cert_pem(cert);
		free(one);
		der = crypto_cert_der(cert, &der_len);
		free(der);
	}
	top = crypto_issuer_of_chain_top(chain);
	free(top);
	tail = crypto_chain_pem(chain, n - 1);
	free(tail);
	pem = crypto_chain_pem(chain, 0);
	if (pem) {
		err_clear(&e);
		again = crypto_chain_parse(pem, strlen(pem), &e);
		if (!again || sk_X509_num(again) != n)
			abort();
		sk_X509_pop_free(again, X509_free);
		free(pem);
	}
	sk_X509_pop_free(chain, X509_free);
	return 0;
}
