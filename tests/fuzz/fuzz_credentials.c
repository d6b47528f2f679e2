/* Credentials files (certbot's "key = value" format), read by
 * credentials_load from a private file under /tmp. A file that loads gives
 * a NULL-terminated list of key, value pairs with no empty key (the secret
 * ones registered with the log on the way); a refused one gets a one-line
 * message. */
#include "base/log.h"
#include "conf/credentials.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct log lg;
	struct error e = {0};
	char **kv = NULL;

	if (fuzz_tempfile(data, size, path, sizeof(path)) < 0)
		abort();
	log_init(&lg, LVL_ERROR);
	if (credentials_load(path, &lg, &kv, &e) == 0) {
		size_t n = 0;
		if (!kv)
			abort();
		while (kv[n])
			n++;
		if (n % 2 != 0)
			abort();
		for (size_t i = 0; i < n; i += 2)
			if (!kv[i][0])
				abort();
		credentials_free(kv);
	} else if (!e.msg[0] || strchr(e.msg, '\n')) {
		abort();
	}
	log_free(&lg);
	unlink(path);
	return 0;
}
