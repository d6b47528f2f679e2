/* certificates: what is stored, for people or (--json) for scripts. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/x509.h>


#include "base/crypto.h"
#include "cli/engine.h"
#include "conf/renewal.h"

static cJSON *lineage_json(struct engine *eng, const char *name, struct error *e)
{
	char p[PATH_MAX];
	struct cert_info ci = {0};
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	cJSON *o = cJSON_CreateObject(), *names;
	char *kd = NULL, date[32];
	static const char *const kinds[] = {"cert", "chain", "fullchain", "privkey"};
	bool ok = false;

	if (!o)
		goto out;
	cJSON_AddStringToObject(o, "name", name);
	store_live_path(&eng->store, name, "cert", p, sizeof(p));
	c = crypto_cert_load(p, e);
	if (!c || crypto_cert_info(c, &ci, e) < 0)
		goto out;
	names = cJSON_AddArrayToObject(o, "domains");
	for (size_t i = 0; ci.names && ci.names[i]; i++)
		cJSON_AddItemToArray(names, cJSON_CreateString(ci.names[i]));
	cJSON_AddStringToObject(o, "serial", ci.serial);
	cJSON_AddStringToObject(o, "issuer", ci.issuer_cn);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&ci.not_after));
	cJSON_AddStringToObject(o, "expiry", date);
	cJSON_AddNumberToObject(o, "days_left", (double)((ci.not_after - time(NULL)) / 86400));
	k = X509_get_pubkey(c);
	kd = k ? crypto_key_describe(k) : NULL;
	cJSON_AddStringToObject(o, "key_type", kd ? kd : "unknown");
	cJSON_AddNumberToObject(o, "version", store_lineage_latest(&eng->store, name));
	for (size_t i = 0; i < 4; i++) {
		char field[32];
		snprintf(field, sizeof(field), "%s_path", kinds[i]);
		store_live_path(&eng->store, name, kinds[i], p, sizeof(p));
		cJSON_AddStringToObject(o, field, p);
	}
	ok = true;
out:
	if (!ok) {
		cJSON_Delete(o);
		o = NULL;
	}
	free(kd);
	EVP_PKEY_free(k);
	X509_free(c);
	crypto_cert_info_free(&ci);
	return o;
}

int cmd_certificates(struct engine *eng, struct error *e)
{
	char **names = store_lineages(&eng->store, e);
	cJSON *arr = cJSON_CreateArray();
	int ret = -1;

	if (!names || !arr)
		goto out;
	for (size_t i = 0; names[i]; i++) {
		struct error one = {0};
		cJSON *o;
		if (eng->base.cert_name && strcmp(eng->base.cert_name, names[i]) != 0)
			continue;
		o = lineage_json(eng, names[i], &one);
		if (!o) {
			log_msg(&eng->log, LVL_WARN, "%s: %s", names[i], one.msg);
			continue;
		}
		cJSON_AddItemToArray(arr, o);
	}
	if (eng->base.json) {
		char *text = cJSON_Print(arr);
		if (!text) {
			err_nomem(e);
			goto out;
		}
		fprintf(eng->out, "%s\n", text);
		free(text);
	} else if (cJSON_GetArraySize(arr) == 0) {
		fprintf(eng->out, "No certificates found in %s.\n", eng->store.config_dir);
	} else {
		const cJSON *o;
		fprintf(eng->out, "Found the following certificates:\n");
		cJSON_ArrayForEach(o, arr) {
			const cJSON *d;
			fprintf(eng->out, "  Certificate Name: %s\n    Serial Number: %s\n    Key Type: %s\n"
			                  "    Domains:",
			        cJSON_GetObjectItem(o, "name")->valuestring,
			        cJSON_GetObjectItem(o, "serial")->valuestring,
			        cJSON_GetObjectItem(o, "key_type")->valuestring);
			cJSON_ArrayForEach(d, cJSON_GetObjectItem(o, "domains"))
				fprintf(eng->out, " %s", d->valuestring);
			fprintf(eng->out, "\n    Expiry Date: %s (VALID: %d days)\n"
			                  "    Certificate Path: %s\n    Private Key Path: %s\n",
			        cJSON_GetObjectItem(o, "expiry")->valuestring,
			        (int)cJSON_GetObjectItem(o, "days_left")->valuedouble,
			        cJSON_GetObjectItem(o, "fullchain_path")->valuestring,
			        cJSON_GetObjectItem(o, "privkey_path")->valuestring);
		}
	}
	ret = 0;
out:
	cJSON_Delete(arr);
	store_names_free(names);
	return ret;
}
