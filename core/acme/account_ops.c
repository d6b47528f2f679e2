/* What an existing account does at the CA (RFC 8555 §7.3.2 to §7.3.6):
 * show itself, change its contacts, roll its key over, deactivate. The
 * local files follow the CA, never the other way round. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "acme/account.h"
#include "acme/acme.h"
#include "acme/jws.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/testpoint.h"
#include "store/lock.h"
#include "store/store.h"

cJSON *acct_fetch(struct acme *a, struct error *e)
{
	struct acme_reply r = {0};
	cJSON *o = NULL;

	/* POST-as-GET (RFC 8555 §6.3); Pebble refuses the empty update
	 * ("{}") older clients sent instead. */
	if (acme_post(a, "reading the account", a->kid, NULL, &r, e) == 0) {
		if (cJSON_IsObject(r.json)) {
			o = r.json;
			r.json = NULL;
		} else {
			err_set(e, EXIT_OP, "the CA answered with no account object for %s", a->kid);
		}
	}
	acme_reply_free(&r);
	return o;
}

/* The contact array of EMAILS, a comma list (blanks around addresses
 * ignored); empty when EMAILS is NULL or blank. */
static cJSON *contact_array(const char *emails, struct error *e)
{
	cJSON *arr = cJSON_CreateArray();
	char mail[512];

	if (!arr) {
		err_nomem(e);
		return NULL;
	}
	for (const char *p = emails; p && *p;) {
		size_t n = strcspn(p, ",");
		const char *w = p;
		size_t len = n;
		while (len && (*w == ' ' || *w == '\t')) {
			w++;
			len--;
		}
		while (len && (w[len - 1] == ' ' || w[len - 1] == '\t'))
			len--;
		if (len) {
			if (memchr(w, '@', len) == NULL || len + 8 > sizeof(mail)) {
				err_set(e, EXIT_USAGE, "\"%.*s\" is not an email address", (int)len, w);
				cJSON_Delete(arr);
				return NULL;
			}
			snprintf(mail, sizeof(mail), "mailto:%.*s", (int)len, w);
			if (!cJSON_AddItemToArray(arr, cJSON_CreateString(mail))) {
				err_nomem(e);
				cJSON_Delete(arr);
				return NULL;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return arr;
}

/* Rewrite the record in DIR with KEY set to VALUE (NULL: removed). */
static int record_set(const char *dir, const char *key, const char *value, struct error *e)
{
	char regr[PATH_MAX + 32], *text = NULL, *out = NULL;
	cJSON *o = NULL;
	int ret = -1;

	snprintf(regr, sizeof(regr), "%s/regr.json", dir);
	if (store_read(regr, 64 << 10, &text, NULL, e) < 0)
		goto out;
	if (!(o = cJSON_Parse(text)) || !cJSON_IsObject(o)) {
		err_set(e, EXIT_OP, "%s is malformed", regr);
		goto out;
	}
	cJSON_DeleteItemFromObject(o, key);
	if ((value && !cJSON_AddStringToObject(o, key, value)) || !(out = cJSON_Print(o))) {
		err_nomem(e);
		goto out;
	}
	ret = store_write_atomic(regr, out, strlen(out), 0600, e);
out:
	free(out);
	cJSON_Delete(o);
	free(text);
	return ret;
}

int acct_set_contact(struct acme *a, const char *dir, const char *emails, struct error *e)
{
	struct acme_reply r = {0};
	cJSON *o = cJSON_CreateObject(), *arr = NULL;
	char *payload = NULL;
	int ret = -1;

	if (!o) {
		err_nomem(e);
		goto out;
	}
	if (!(arr = contact_array(emails, e)))
		goto out;
	cJSON_AddItemToObject(o, "contact", arr);
	if (!(payload = cJSON_PrintUnformatted(o))) {
		err_nomem(e);
		goto out;
	}
	if (acme_post(a, "updating the account's contacts", a->kid, payload, &r, e) < 0)
		goto out;
	ret = acct_is_certbots(dir) ? 0 : record_set(dir, "email", emails && *emails ? emails : NULL, e);
out:
	acme_reply_free(&r);
	free(payload);
	cJSON_Delete(o);
	return ret;
}

/* Remove FILE in DIR; a missing file is fine. */
static int remove_in(const char *dir, const char *file, struct error *e)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (unlink(p) < 0 && errno != ENOENT)
		return err_set_errno(e, EXIT_OP, errno, "cannot remove %s: %s", p, strerror(errno));
	return 0;
}

int acct_deactivate(struct acme *a, const struct store *s, const char *dir, struct error *e)
{
	struct acme_reply r = {0};
	char top[PATH_MAX];
	int lock = -1, ret = -1;

	if (store_lock_account(s, dir, &lock, e) < 0)
		return -1;
	if (acme_post(a, "deactivating the account", a->kid, "{\"status\":\"deactivated\"}", &r,
	              e) < 0)
		goto out;
	/* The key goes first: a record without its key is not an account,
	 * while a key without its record would be looked up again. */
	if (remove_in(dir, "private_key.pem.next", e) < 0 || remove_in(dir, "private_key.pem", e) < 0 ||
	    remove_in(dir, "private_key.json", e) < 0 || remove_in(dir, "regr.json", e) < 0 ||
	    remove_in(dir, "meta.json", e) < 0 || remove_in(dir, "regr.json.forgotten", e) < 0)
		goto out;
	store_fsync_dir_of(dir);
	/* An account of its own directory takes the directory with it. */
	if (acct_dir(s, a->dir_url, top, sizeof(top), e) < 0)
		goto out;
	if (strcmp(top, dir) != 0)
		rmdir(dir);
	ret = 0;
out:
	acme_reply_free(&r);
	store_unlock(lock);
	return ret;
}

/* The keyChange request (§7.3.5): an inner JWS signed by the new key,
 * with its JWK, carrying the account URL and the old key. */
static char *key_change_payload(struct acme *a, const char *url, EVP_PKEY *new_key,
                                struct error *e)
{
	cJSON *o = cJSON_CreateObject(), *old = NULL;
	char *old_jwk = jws_jwk(a->key, e), *inner = NULL, *text = NULL;

	if (!old_jwk)
		goto out;
	if (!o || !(old = cJSON_Parse(old_jwk)) || !cJSON_AddStringToObject(o, "account", a->kid)) {
		err_nomem(e);
		goto out;
	}
	cJSON_AddItemToObject(o, "oldKey", old);
	old = NULL;
	if (!(text = cJSON_PrintUnformatted(o))) {
		err_nomem(e);
		goto out;
	}
	inner = jws_sign(new_key, NULL, NULL, url, text, e);
out:
	free(text);
	free(old_jwk);
	cJSON_Delete(old);
	cJSON_Delete(o);
	return inner;
}

int acct_rollover(struct acme *a, const struct store *s, const char *dir, EVP_PKEY *new_key,
                  struct error *e)
{
	struct acme_reply r = {0};
	const char *url = acme_resource(a, "keyChange");
	char keyp[PATH_MAX + 32], next[PATH_MAX + 32];
	char *pem = NULL, *payload = NULL, *id = NULL;
	int lock = -1, ret = -1;

	if (!url)
		return err_set(e, EXIT_OP, "the CA at %s offers no key change (keyChange)",
		               a->dir_url);
	if (acct_is_certbots(dir))
		return err_set(e, EXIT_USAGE, "the account in %s is certbot's (private_key.json); "
		                              "acmehook rolls over only the keys of its own accounts",
		               dir);
	snprintf(keyp, sizeof(keyp), "%s/private_key.pem", dir);
	snprintf(next, sizeof(next), "%s/private_key.pem.next", dir);
	if (store_lock_account(s, dir, &lock, e) < 0)
		return -1;
	/* The id stays the old key's, so that renewal files naming it keep
	 * finding the account. */
	if (!(id = acct_id_of_dir(s, a->dir_url, dir, e)) || record_set(dir, "id", id, e) < 0)
		goto out;
	if (!(pem = crypto_key_pem(new_key, e)) ||
	    store_write_atomic(next, pem, strlen(pem), 0600, e) < 0)
		goto out;
	if (!(payload = key_change_payload(a, url, new_key, e)) ||
	    acme_post(a, "changing the account key", url, payload, &r, e) < 0) {
		/* The CA refused it: the pending key means nothing. When the
		 * answer was lost, the next run asks the CA which key it has. */
		struct error ignore = {0};
		if (e->kind != ERR_NETWORK && e->kind != ERR_TIMEOUT && e->kind != ERR_INTERRUPTED)
			remove_in(dir, "private_key.pem.next", &ignore);
		goto out;
	}
	testpoint("account-key-changed");
	if (rename(next, keyp) < 0) {
		err_set_errno(e, EXIT_OP, errno,
		              "the CA now knows the new key, but it cannot be moved into %s (%s); "
		              "the next run will", keyp, strerror(errno));
		goto out;
	}
	store_fsync_dir_of(keyp);
	a->key = new_key;
	ret = 0;
out:
	free(id);
	free(payload);
	if (pem) {
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
	acme_reply_free(&r);
	store_unlock(lock);
	return ret;
}

int acct_settle_rollover(struct acme *a, const struct store *s, const char *dir, EVP_PKEY *old,
                         EVP_PKEY **key, struct error *e)
{
	char keyp[PATH_MAX + 32], next[PATH_MAX + 32];
	EVP_PKEY *pending = NULL;
	char *url = NULL;
	int lock = -1, ret = -1;

	snprintf(keyp, sizeof(keyp), "%s/private_key.pem", dir);
	snprintf(next, sizeof(next), "%s/private_key.pem.next", dir);
	if (store_lock_account(s, dir, &lock, e) < 0)
		return -1;
	/* The run that held the lock finished its rollover (or another run
	 * settled it) while we waited: the key file is the one to use now. */
	if (!store_exists(next)) {
		if (!(*key = crypto_key_load(keyp, e)))
			goto out;
		ret = 0;
		goto out;
	}
	if (!(pending = crypto_key_load(next, e)) || acct_lookup(a, pending, a->log, &url, e) < 0) {
		err_prefix(e, "cannot tell which key the CA holds for the account in %s (an "
		              "interrupted key rollover left %s)", dir, next);
		goto out;
	}
	if (url && a->kid && strcmp(url, a->kid) == 0) {
		log_msg(a->log, LVL_WARN,
		        "an interrupted key rollover of %s had reached the CA: using the new key", a->kid);
		if (rename(next, keyp) < 0) {
			err_set_errno(e, EXIT_OP, errno, "cannot move %s into place: %s", next,
			              strerror(errno));
			goto out;
		}
		store_fsync_dir_of(keyp);
		*key = pending;
		pending = NULL;
	} else {
		log_msg(a->log, LVL_WARN,
		        "an interrupted key rollover of %s never reached the CA: keeping the old key",
		        a->kid ? a->kid : dir);
		if (remove_in(dir, "private_key.pem.next", e) < 0)
			goto out;
		*key = old;
	}
	ret = 0;
out:
	free(url);
	EVP_PKEY_free(pending);
	store_unlock(lock);
	return ret;
}
