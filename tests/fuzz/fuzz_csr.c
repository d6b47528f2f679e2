/* User-supplied CSRs (--csr), PEM or DER, through the same loader the
 * certonly --csr path uses. */
#include "base/crypto.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	unsigned char *der = NULL;
	size_t der_len = 0, n_names = 0;
	char **names = NULL;
	EVP_PKEY *pub = NULL;
	struct error e = {0};

	if (fuzz_tempfile(data, size, path, sizeof(path)) < 0)
		return 0;
	if (crypto_csr_load(path, &der, &der_len, &names, &n_names, &pub, &e) == 0) {
		if (!der || !der_len || !names || !pub)
			abort();
		for (size_t i = 0; i < n_names; i++)
			if (!names[i])
				abort();
		if (names[n_names])
			abort(); /* documented: NULL-terminated, N_NAMES entries */
		free(der);
		crypto_names_free(names);
		EVP_PKEY_free(pub);
	}
	unlink(path);
	return 0;
}
