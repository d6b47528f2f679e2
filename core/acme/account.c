#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "acme/account.h"
#include "acme/acme.h"
#include "base/crypto.h"
#include "acme/jws.h"
#include "base/log.h"
#include "base/testpoint.h"
#include "store/certbot_account.h"
#include "store/lock.h"
#include "store/store.h"

/* Keep a URL part as a path component: anything but [A-Za-z0-9._:-]
 * becomes '_', and no component may be "." or "..". */
static void safe_part(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (const char *p = src; *p && o + 1 < cap; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '.' || c == '-' || c == ':' || c == '_';
		dst[o++] = ok ? c : '_';
	}
	dst[o] = '\0';
	if (strcmp(dst, ".") == 0 || strcmp(dst, "..") == 0 || o == 0)
		snprintf(dst, cap, "_");
}

int acct_dir(const struct store *s, const char *dir_url, char *dst, size_t cap, struct error *e)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	char hp[300], part[256], *save = NULL;
	size_t o;
	int ret = -1;

	if (!u || curl_url_set(u, CURLUPART_URL, dir_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		err_set(e, EXIT_USAGE, "invalid server URL \"%s\"", dir_url);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	snprintf(hp, sizeof(hp), "%s%s%s", host, port ? ":" : "", port ? port : "");
	safe_part(part, sizeof(part), hp);
	if (store_accounts_dir(s, dst, cap) < 0) {
		err_set(e, EXIT_USAGE, "config directory path too long: %s", s->config_dir);
		goto out;
	}
	o = strlen(dst);
	o += (size_t)snprintf(dst + o, cap - o, "/%s", part);
	for (char *seg = path ? strtok_r(path, "/", &save) : NULL; seg && o < cap;
	     seg = strtok_r(NULL, "/", &save)) {
		safe_part(part, sizeof(part), seg);
		o += (size_t)snprintf(dst + o, cap - o, "/%s", part);
	}
	if (o >= cap) {
		err_set(e, EXIT_USAGE, "server URL too long: %s", dir_url);
		goto out;
	}
	ret = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return ret;
}

static int write_regr(const char *path, const char *kid, const char *email, struct error *e)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;
	int ret = -1;

	if (!o || !cJSON_AddStringToObject(o, "uri", kid) ||
	    (email && !cJSON_AddStringToObject(o, "email", email))) {
		err_nomem(e);
		goto out;
	}
	text = cJSON_Print(o);
	if (!text) {
		err_nomem(e);
		goto out;
	}
	ret = store_write_atomic(path, text, strlen(text), 0600, e);
out:
	free(text);
	cJSON_Delete(o);
	return ret;
}

static char *read_kid(const char *path, struct error *e)
{
	char *text = NULL, *kid = NULL;
	cJSON *o = NULL;
	const cJSON *uri;

	if (store_read(path, 64 << 10, &text, NULL, e) < 0)
		return NULL;
	o = cJSON_Parse(text);
	uri = cJSON_GetObjectItem(o, "uri");
	if (!cJSON_IsString(uri) || strncmp(uri->valuestring, "https://", 8) != 0)
		err_set(e, EXIT_USAGE, "%s is malformed: no https \"uri\"; move it away to look the "
		                       "account up again by its key", path);
	else if (!(kid = strdup(uri->valuestring)))
		err_nomem(e);
	cJSON_Delete(o);
	free(text);
	return kid;
}

/* Build the newAccount payload. EAB binds the account key to the CA-side
 * credential (RFC 8555 §7.3.4). */
static char *account_payload(struct acme *a, EVP_PKEY *key, const struct acct_params *p,
                             bool only_existing, struct error *e)
{
	cJSON *o = cJSON_CreateObject(), *contact, *eab;
	char *text = NULL;

	if (!o) {
		err_nomem(e);
		goto out;
	}
	if (only_existing) {
		if (!cJSON_AddTrueToObject(o, "onlyReturnExisting")) {
			err_nomem(e);
			goto out;
		}
	} else {
		if (!cJSON_AddBoolToObject(o, "termsOfServiceAgreed", p->agree_tos != 0)) {
			err_nomem(e);
			goto out;
		}
		if (p->email) {
			char mail[512];
			snprintf(mail, sizeof(mail), "mailto:%s", p->email);
			contact = cJSON_AddArrayToObject(o, "contact");
			if (!contact || !cJSON_AddItemToArray(contact, cJSON_CreateString(mail))) {
				err_nomem(e);
				goto out;
			}
		}
		if (p->eab_kid) {
			eab = jws_eab(p->eab_kid, p->eab_key, p->eab_key_len, p->eab_alg, key,
			              acme_resource(a, "newAccount"), e);
			if (!eab)
				goto out;
			cJSON_AddItemToObject(o, "externalAccountBinding", eab);
		}
	}
	text = cJSON_PrintUnformatted(o);
	if (!text) {
		err_nomem(e);
		goto out;
	}
out:
	cJSON_Delete(o);
	return text;
}

int acct_forget(struct acme *a, const struct store *s, struct error *e)
{
	char dir[PATH_MAX], regr[PATH_MAX + 32], aside[PATH_MAX + 48];
	char *stored = NULL;
	struct error ignore = {0};
	int lock = -1, ret = -1;

	if (acct_dir(s, a->dir_url, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(regr, sizeof(regr), "%s/regr.json", dir);
	snprintf(aside, sizeof(aside), "%s/regr.json.forgotten", dir);
	if (store_lock_account(s, dir, &lock, e) < 0)
		return -1;
	/* Another run may have met the same answer and registered again
	 * already: a record with another URL than ours is that new one. */
	stored = read_kid(regr, &ignore);
	if (stored && a->kid && strcmp(stored, a->kid) == 0 && rename(regr, aside) < 0) {
		err_set(e, EXIT_OP, "cannot set aside %s: %s", regr, strerror(errno));
		goto out;
	}
	free(a->kid);
	a->kid = NULL;
	a->key = NULL;
	ret = 0;
out:
	free(stored);
	store_unlock(lock);
	return ret;
}

/* certbot asks on the terminal when --agree-tos is missing and -n is not
 * given; so do we. Anything but y/yes is a no. */
static bool ask_terms(const struct acme *a)
{
	char line[16] = "";
	const char *tos = acme_terms(a);

	fprintf(stderr, "Please read the terms of service of %s%s%s\n"
	                "Do you agree? (Y)es/(N)o: ",
	        a->dir_url, tos ? " at " : "", tos ? tos : "");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

int acct_load(struct acme *a, const struct store *s, EVP_PKEY **key_out, struct error *e)
{
	char dir[PATH_MAX], keyp[PATH_MAX + 32], regr[PATH_MAX + 32];
	EVP_PKEY *key = NULL;
	char *kid = NULL;

	if (acct_dir(s, a->dir_url, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(keyp, sizeof(keyp), "%s/private_key.pem", dir);
	snprintf(regr, sizeof(regr), "%s/regr.json", dir);
	if (!store_exists(keyp) || !store_exists(regr))
		return err_set(e, EXIT_USAGE, "no account for %s in %s; register one with certonly",
		               a->dir_url, dir);
	key = crypto_key_load(keyp, e);
	if (!key)
		return -1;
	kid = read_kid(regr, e);
	if (!kid) {
		EVP_PKEY_free(key);
		return -1;
	}
	a->key = key;
	a->kid = kid;
	*key_out = key;
	return 0;
}

/* Keep the account URL the CA gave, after saying which account it is. */
static int take_url(struct log *log, const char *how, const char *location, char **url,
                    struct error *e)
{
	log_msg(log, LVL_INFO, "%s account %s", how, location);
	if (!(*url = strdup(location)))
		return err_nomem(e);
	return 0;
}

/* The key survived but the account record did not: ask the CA for the
 * account of KEY (onlyReturnExisting). *URL stays NULL when it has none. */
static int lookup_by_key(struct acme *a, EVP_PKEY *key, const struct acct_params *p,
                         struct log *log, char **url, struct error *e)
{
	struct acme_reply r = {0};
	char *payload = account_payload(a, key, p, true, e);
	int ret = -1;

	if (!payload)
		goto out;
	if (acme_post_jwk(a, key, "looking up the account by its key",
	                  acme_resource(a, "newAccount"), payload, &r, e) < 0) {
		if (!err_is_problem(e, ACME_PROB_ACCOUNT_DOES_NOT_EXIST))
			goto out;
		err_clear(e);
	} else if (r.location && strncmp(r.location, "https://", 8) == 0 &&
	           take_url(log, "Found the existing", r.location, url, e) < 0) {
		goto out;
	}
	ret = 0;
out:
	acme_reply_free(&r);
	free(payload);
	return ret;
}

/* Register a new account with *KEY (made first when NULL). Everything the
 * CA needs is checked before any POST. *URL is the account's URL. */
static int register_new(struct acme *a, EVP_PKEY **key, const struct acct_params *p,
                        struct log *log, char **url, struct error *e)
{
	struct acme_reply r = {0};
	struct acct_params agreed = *p;
	char *payload = NULL;
	int ret = -1;

	if (acme_eab_required(a) && !p->eab_kid) {
		err_set(e, EXIT_USAGE,
		        "the CA at %s requires External Account Binding: add --eab-kid KID and "
		        "--eab-hmac-key KEY (from your CA account)",
		        a->dir_url);
		goto out;
	}
	if (!p->agree_tos && !(p->interactive && ask_terms(a))) {
		err_set(e, EXIT_USAGE,
		        "registering with %s needs your agreement to its terms of service%s%s: "
		        "add --agree-tos",
		        a->dir_url, acme_terms(a) ? " at " : "", acme_terms(a) ? acme_terms(a) : "");
		goto out;
	}
	agreed.agree_tos = 1; /* by flag or at the prompt */
	if (!*key) {
		const char *t = p->key_type ? p->key_type : "ec256";
		if (strncasecmp(t, "rsa", 3) == 0)
			*key = crypto_keygen("rsa", NULL, atoi(t + 3), e);
		else
			*key = crypto_keygen("ecdsa",
			                     strcasecmp(t, "ec384") == 0 ? "secp384r1" : "secp256r1", 0, e);
		if (!*key)
			goto out;
	}
	payload = account_payload(a, *key, &agreed, false, e);
	if (!payload || acme_post_jwk(a, *key, "registering the account",
	                              acme_resource(a, "newAccount"), payload, &r, e) < 0)
		goto out;
	if (!r.location || strncmp(r.location, "https://", 8) != 0) {
		err_set(e, EXIT_OP, "the CA accepted the account but sent no https Location header");
		goto out;
	}
	if (take_url(log, "Registered", r.location, url, e) < 0)
		goto out;
	ret = 0;
out:
	acme_reply_free(&r);
	free(payload);
	return ret;
}

static bool is_account_file(const char *base, const void *ud)
{
	(void)ud;
	return strcmp(base, "private_key.pem") == 0 || strcmp(base, "regr.json") == 0;
}

/* acct_ensure's work once the account lock is held: the files are looked
 * at again, since the run that held the lock before may have created the
 * account. A key without a record here is not one being created (that
 * run would hold the lock) but one whose record was lost or set aside. */
static int ensure_locked(struct acme *a, const struct store *s, const char *dir,
                         const struct acct_params *p, struct log *log, EVP_PKEY **key_out,
                         struct error *e)
{
	char keyp[PATH_MAX + 32], regr[PATH_MAX + 32];
	EVP_PKEY *key = NULL;
	char *url = NULL, *pem = NULL;
	bool key_on_disk;
	int ret = -1;

	snprintf(keyp, sizeof(keyp), "%s/private_key.pem", dir);
	snprintf(regr, sizeof(regr), "%s/regr.json", dir);
	/* Temporaries of a run killed while writing hold a private key. */
	store_remove_temps(dir, is_account_file, NULL);
	key_on_disk = store_exists(keyp);
	if (key_on_disk && store_exists(regr))
		return acct_load(a, s, key_out, e);
	if (key_on_disk && (!(key = crypto_key_load(keyp, e)) ||
	                    lookup_by_key(a, key, p, log, &url, e) < 0))
		goto out;
	if (!url && register_new(a, &key, p, log, &url, e) < 0)
		goto out;
	/* Nothing is written unless the CA accepted the account. The key goes
	 * first and the record second, both under the lock: a reader that
	 * finds both finds a matching pair. */
	if (store_mkdirs(dir, 0700, e) < 0)
		goto out;
	if (!key_on_disk) {
		pem = crypto_key_pem(key, e);
		if (!pem || store_write_atomic(keyp, pem, strlen(pem), 0600, e) < 0)
			goto out;
	}
	if (write_regr(regr, url, p->email, e) < 0)
		goto out;
	a->kid = url;
	url = NULL;
	a->key = key;
	*key_out = key;
	key = NULL;
	ret = 0;
out:
	if (pem) {
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
	free(url);
	EVP_PKEY_free(key);
	return ret;
}

/* A lineage taken over from certbot keeps certbot's account: the one its
 * renewal file names, in certbot's directory for the server. */
static int load_certbot(struct acme *a, const char *dir, const char *id, struct log *log,
                        EVP_PKEY **key_out, struct error *e)
{
	EVP_PKEY *key = NULL;
	char *url = NULL;

	if (certbot_account_load(dir, id, &key, &url, e) < 0)
		return -1;
	log_msg(log, LVL_DEBUG, "using certbot's account %s (%s)", id, url);
	a->key = key;
	a->kid = url;
	*key_out = key;
	return 0;
}

int acct_ensure(struct acme *a, const struct store *s, const struct acct_params *p,
                struct log *log, EVP_PKEY **key_out, struct error *e)
{
	char dir[PATH_MAX], keyp[PATH_MAX + 32], regr[PATH_MAX + 32];
	int lock = -1, ret;

	if (acct_dir(s, a->dir_url, dir, sizeof(dir), e) < 0)
		return -1;
	if (p->account_id)
		return load_certbot(a, dir, p->account_id, log, key_out, e);
	snprintf(keyp, sizeof(keyp), "%s/private_key.pem", dir);
	snprintf(regr, sizeof(regr), "%s/regr.json", dir);
	/* In a config dir certbot made, acmehook without an account of its
	 * own for the server uses certbot's, rather than registering another. */
	if (!store_exists(keyp) && !store_exists(regr)) {
		char id[80];
		int found = certbot_account_sole(dir, id, sizeof(id), e);
		if (found != 0)
			return found < 0 ? -1 : load_certbot(a, dir, id, log, key_out, e);
	}
	/* The common case needs no lock: a record is written only after its
	 * key, so when both are there the pair is complete. */
	if (store_exists(keyp) && store_exists(regr))
		return acct_load(a, s, key_out, e);
	/* Creating, or a key without its record: one run at a time, so that
	 * runs started together register one account, not one each with
	 * the last key and the last record from different ones. */
	if (store_lock_account(s, dir, &lock, e) < 0)
		return -1;
	testpoint("account-locked");
	ret = ensure_locked(a, s, dir, p, log, key_out, e);
	store_unlock(lock);
	return ret;
}
