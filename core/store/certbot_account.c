/* certbot's account directories (see certbot_account.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "base/crypto.h"
#include "store/certbot_account.h"
#include "store/fs.h"

#define REGR_CAP (64 * 1024)
#define URL_MAX 2000

bool certbot_account_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n > 0 && n <= 64 &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

int certbot_regr_parse(const char *text, size_t len, char **url, struct error *e)
{
	cJSON *o = NULL;
	const cJSON *uri, *body;
	char *copy = NULL;
	int ret = -1;

	if (len > REGR_CAP) {
		err_set(e, EXIT_USAGE, "account record is larger than %d bytes", REGR_CAP);
		goto out;
	}
	o = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(o)) {
		err_set(e, EXIT_USAGE, "account record is not a JSON object");
		goto out;
	}
	body = cJSON_GetObjectItemCaseSensitive(o, "body");
	if (body && !cJSON_IsObject(body)) {
		err_set(e, EXIT_USAGE, "account record's \"body\" is not an object");
		goto out;
	}
	uri = cJSON_GetObjectItemCaseSensitive(o, "uri");
	if (!cJSON_IsString(uri) || strncmp(uri->valuestring, "https://", 8) != 0 ||
	    strlen(uri->valuestring) <= 8 || strlen(uri->valuestring) > URL_MAX) {
		err_set(e, EXIT_USAGE, "account record has no https \"uri\" of at most %d bytes",
		        URL_MAX);
		goto out;
	}
	/* The URL goes into every request's protected header and into logs. */
	for (const char *p = uri->valuestring; *p; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			err_set(e, EXIT_USAGE, "account record's \"uri\" holds a space or a byte that is "
			                       "not printable ASCII");
			goto out;
		}
	if (!(copy = strdup(uri->valuestring))) {
		err_nomem(e);
		goto out;
	}
	*url = copy;
	ret = 0;
out:
	cJSON_Delete(o);
	return ret;
}

/* A private key file that others may read is already lost: refuse it
 * rather than sign with it, as credentials files are refused. */
static int private_only(int fd, const char *path, void *ud, struct error *e)
{
	struct stat st;

	(void)ud;
	if (fstat(fd, &st) < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot stat %s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return err_set(e, EXIT_USAGE,
		               "account key %s is accessible by group or others (mode %03o); chmod 400 it",
		               path, (unsigned)(st.st_mode & 0777));
	return 0;
}

int certbot_account_load(const char *server_dir, const char *id, EVP_PKEY **key, char **url,
                         struct error *e)
{
	char keyp[PATH_MAX], regr[PATH_MAX];
	char *text = NULL, *u = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;
	int fd = -1, ret = -1;

	if (!certbot_account_id_valid(id))
		return err_set(e, EXIT_USAGE, "account \"%.80s\" is not a valid account id "
		                              "(letters, digits, '-' and '_')", id ? id : "");
	if (snprintf(keyp, sizeof(keyp), "%s/%s/private_key.json", server_dir, id) >= (int)sizeof(keyp) ||
	    snprintf(regr, sizeof(regr), "%s/%s/regr.json", server_dir, id) >= (int)sizeof(regr))
		return err_set(e, EXIT_USAGE, "account directory path too long: %s", server_dir);
	if (!store_exists(regr))
		return err_set(e, EXIT_USAGE, "account %s is not in %s: no %s", id, server_dir, regr);
	if (store_read(regr, REGR_CAP, &text, &len, e) < 0)
		goto out;
	if (certbot_regr_parse(text, len, &u, e) < 0) {
		err_prefix(e, "%s", regr);
		goto out;
	}
	free(text);
	text = NULL;
	fd = open(keyp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err_set_errno(e, EXIT_USAGE, errno, "cannot open the account key %s: %s", keyp,
		              strerror(errno));
		goto out;
	}
	if (store_read_fd(fd, keyp, REGR_CAP, private_only, NULL, &text, &len, e) < 0)
		goto out;
	k = crypto_key_from_jwk(text, len, e);
	if (!k) {
		err_prefix(e, "%s", keyp);
		goto out;
	}
	*key = k;
	*url = u;
	k = NULL;
	u = NULL;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	EVP_PKEY_free(k);
	free(u);
	return ret;
}

int certbot_account_sole(const char *server_dir, char *id, size_t cap, struct error *e)
{
	char p[PATH_MAX], first[80] = "";
	struct dirent *de;
	DIR *d = opendir(server_dir);
	int found = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!certbot_account_id_valid(de->d_name) ||
		    snprintf(p, sizeof(p), "%s/%s/regr.json", server_dir, de->d_name) >= (int)sizeof(p) ||
		    !store_exists(p))
			continue;
		if (found++ == 0)
			snprintf(first, sizeof(first), "%s", de->d_name);
	}
	closedir(d);
	if (found > 1)
		return err_set(e, EXIT_USAGE, "%s holds %d certbot accounts: choose one with --account ID",
		               server_dir, found);
	if (found == 0)
		return 0;
	if (strlen(first) >= cap)
		return err_set(e, EXIT_USAGE, "account id too long: %s", first);
	snprintf(id, cap, "%s", first);
	return 1;
}
