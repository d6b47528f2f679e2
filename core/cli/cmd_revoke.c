/* revoke (RFC 8555 §7.6): by the account that holds the certificate, or,
 * when the account is not the issuer's or is gone, by the certificate's
 * own key. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/x509.h>

#include "acme/account.h"
#include "acme/acme.h"
#include "base/b64.h"
#include "base/crypto.h"
#include "cli/engine.h"

struct reason {
	const char *name;
	int code; /* RFC 5280 CRLReason */
};

static const struct reason reasons[] = {
	{"unspecified", 0},        {"keycompromise", 1},        {"affiliationchanged", 3},
	{"superseded", 4},         {"cessationofoperation", 5},
};

static int reason_code(const char *name)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcasecmp(reasons[i].name, name) == 0)
			return reasons[i].code;
	return -1;
}

static char *revoke_payload(X509 *cert, int code)
{
	size_t len = 0;
	unsigned char *der = crypto_cert_der(cert, &len);
	char *b64 = der ? b64url_encode(der, len) : NULL, *text = NULL;
	cJSON *o = cJSON_CreateObject();

	if (b64 && o && cJSON_AddStringToObject(o, "certificate", b64) &&
	    cJSON_AddNumberToObject(o, "reason", code))
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(b64);
	free(der);
	return text;
}

/* Revoke signed with the certificate's own key (RFC 8555 §7.6), which
 * must be the key of CERT. */
static int revoke_by_key(struct acme *a, X509 *cert, const char *cert_path,
                         const char *key_path, const char *payload, struct error *e)
{
	struct acme_reply r = {0};
	EVP_PKEY *key = crypto_key_load(key_path, e);
	int ret = -1;

	if (!key)
		goto out;
	if (!crypto_pubkey_equal(key, X509_get0_pubkey(cert))) {
		err_set(e, EXIT_USAGE, "%s is not the key of %s", key_path, cert_path);
		goto out;
	}
	ret = acme_post_jwk(a, key, "revoking the certificate with its key",
	                    acme_resource(a, "revokeCert"), payload, &r, e);
out:
	acme_reply_free(&r);
	EVP_PKEY_free(key);
	return ret;
}

int cmd_revoke(struct engine *eng, struct error *e)
{
	struct settings s;
	struct acme a = {0};
	struct acme_reply r = {0};
	struct cert_info ci = {0};
	EVP_PKEY *acct_key = NULL;
	X509 *cert = NULL;
	char cert_path[PATH_MAX], key_path[PATH_MAX] = "", *payload = NULL;
	const char *name = eng->base.cert_name;
	int code, ret = -1;
	bool done = false;

	settings_init(&s);
	if (!name && !eng->base.cert_path) {
		err_set(e, EXIT_USAGE, "revoke needs --cert-name NAME or --cert-path FILE");
		goto out;
	}
	if (name && !store_lineage_exists(&eng->store, name)) {
		err_set(e, EXIT_USAGE, "no certificate named \"%s\" in %s", name, eng->store.config_dir);
		goto out;
	}
	if (engine_lineage_settings(eng, name, true, &s, e) < 0)
		goto out;
	code = reason_code(s.reason ? s.reason : "unspecified");
	if (eng->base.cert_path)
		snprintf(cert_path, sizeof(cert_path), "%s", eng->base.cert_path);
	else
		store_live_path(&eng->store, name, "cert", cert_path, sizeof(cert_path));
	if (s.key_path)
		snprintf(key_path, sizeof(key_path), "%s", s.key_path);
	else if (name)
		store_live_path(&eng->store, name, "privkey", key_path, sizeof(key_path));
	cert = crypto_cert_load(cert_path, e);
	if (!cert || crypto_cert_info(cert, &ci, e) < 0)
		goto out;
	payload = revoke_payload(cert, code);
	if (!payload) {
		err_nomem(e);
		goto out;
	}
	if (acme_open(&a, &eng->http, &eng->log, config_server_url(s.server), e) < 0)
		goto out;
	acme_set_deadline(&a, s.timeout);
	if (acct_load(&a, &eng->store, s.account, &acct_key, e) == 0) {
		if (acme_post(&a, "revoking the certificate", acme_resource(&a, "revokeCert"), payload,
		              &r, e) == 0)
			done = true;
		/* The account may not be the one that ordered it: fall back to
		 * the certificate's key when we have it. */
		else if (!key_path[0] || !store_exists(key_path) || !err_is_problem(e, ACME_PROB_UNAUTHORIZED))
			goto out;
		else
			log_msg(&eng->log, LVL_INFO, "%s; trying again signed with the certificate key",
			        e->msg);
	} else if (!key_path[0] || !store_exists(key_path)) {
		err_prefix(e, "cannot revoke %s without the account or --key-path", cert_path);
		goto out;
	}
	if (!done) {
		err_clear(e);
		if (revoke_by_key(&a, cert, cert_path, key_path, payload, e) < 0)
			goto out;
	}
	fprintf(eng->out, "Revoked the certificate %s (serial %s, reason %s).\n", cert_path,
	        ci.serial, s.reason ? s.reason : "unspecified");
	/* certbot asks whether to delete a revoked lineage; here it is kept
	 * unless --delete-after-revoke says otherwise. */
	if (name && eng->base.delete_after_revoke == 1 && cmd_delete_lineage(eng, name, e) < 0)
		goto out;
	ret = 0;
out:
	acme_reply_free(&r);
	acme_close(&a);
	crypto_cert_info_free(&ci);
	X509_free(cert);
	EVP_PKEY_free(acct_key);
	free(payload);
	settings_free(&s);
	return ret;
}
