/* Credentials files: certbot's "key = value" format for TSIG secrets and
 * API tokens, read with the care secrets need. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "conf/credentials.h"
#include "conf/ini.h"

struct cred_ctx {
	struct log *log;
	char **kv;
	size_t n;
};

static int cred_cb(void *ud, const char *section, const char *key, const char *value,
                   const char *origin, struct error *e)
{
	struct cred_ctx *c = ud;
	char **nkv;

	if (section[0])
		return err_set(e, EXIT_USAGE, "%s: credentials files have no sections", origin);
	nkv = realloc(c->kv, (c->n * 2 + 3) * sizeof(*nkv));
	if (!nkv)
		return err_nomem(e);
	c->kv = nkv;
	nkv[c->n * 2] = strdup(key);
	nkv[c->n * 2 + 1] = strdup(value);
	nkv[c->n * 2 + 2] = NULL;
	if (!nkv[c->n * 2] || !nkv[c->n * 2 + 1]) {
		free(nkv[c->n * 2]);
		free(nkv[c->n * 2 + 1]);
		nkv[c->n * 2] = NULL;
		return err_nomem(e);
	}
	c->n++;
	if (log_secret_key(key))
		log_add_secret(c->log, value);
	return 0;
}

void credentials_free(char **kv)
{
	for (size_t i = 0; kv && kv[i]; i++) {
		OPENSSL_cleanse(kv[i], strlen(kv[i]));
		free(kv[i]);
	}
	free(kv);
}

int credentials_load(const char *path, struct log *log, char ***kv, struct error *e)
{
	struct cred_ctx c = {.log = log};
	struct stat st;

	if (stat(path, &st) < 0)
		return err_set_errno(e, EXIT_USAGE, errno, "cannot read the credentials file %s: %s",
		                     path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(e, EXIT_USAGE, "credentials file %s is not a regular file", path);
	/* certbot warns; we refuse: a secret others can read is already lost. */
	if (st.st_mode & 077)
		return err_set(e, EXIT_USAGE,
		               "credentials file %s is accessible by group or others (mode %03o); "
		               "chmod 600 it",
		               path, (unsigned)(st.st_mode & 0777));
	if (ini_parse(path, cred_cb, &c, e) < 0) {
		credentials_free(c.kv);
		return -1;
	}
	if (!c.kv && !(c.kv = calloc(1, sizeof(*c.kv))))
		return err_nomem(e);
	*kv = c.kv;
	return 0;
}
