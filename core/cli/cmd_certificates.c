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
#include "store/status.h"

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

/* What the status record says about the version live/ serves. */
static void add_deploy_state(struct engine *eng, const char *name, cJSON *o)
{
	struct lineage_status st = {0};
	struct error e = {0};
	bool pending;

	if (status_read(&eng->store, name, &st, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "%s", e.msg);
		return;
	}
	/* A record about a version that never went live is stale. */
	pending = st.deploy_pending && st.version == store_live_version(&eng->store, name);
	cJSON_AddBoolToObject(o, "deploy_pending", pending);
	if (pending && st.deploy_error[0])
		cJSON_AddStringToObject(o, "deploy_error", st.deploy_error);
}

static void add_time(cJSON *o, const char *key, time_t t)
{
	char date[32];

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	cJSON_AddStringToObject(o, key, date);
}

/* What the status record says about the last attempt to issue NAME, and
 * the time the CA asked not to be contacted before while it is ahead. */
static void add_attempt_state(struct engine *eng, const char *name, cJSON *o)
{
	struct lineage_status st = {0};
	struct error e = {0};

	if (status_read(&eng->store, name, &st, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "%s", e.msg);
		return;
	}
	if (st.last_attempt == 0)
		return;
	add_time(o, "last_attempt", st.last_attempt);
	if (st.last_outcome[0])
		cJSON_AddStringToObject(o, "last_outcome", st.last_outcome);
	if (st.last_problem[0])
		cJSON_AddStringToObject(o, "last_problem", st.last_problem);
	if (st.last_error[0])
		cJSON_AddStringToObject(o, "last_error", st.last_error);
	if (st.next_attempt > time(NULL))
		add_time(o, "next_attempt", st.next_attempt);
}

/* A lineage whose record exists but whose first certificate does not:
 * its names come from the record. */
static cJSON *unissued_json(struct engine *eng, const char *name)
{
	struct settings st;
	struct error e = {0};
	cJSON *o = cJSON_CreateObject(), *names;

	settings_init(&st);
	if (o && renewal_load(&eng->store, name, &st, &e) == 0) {
		names = cJSON_AddArrayToObject(o, "domains");
		for (size_t i = 0; i < st.n_domains; i++)
			cJSON_AddItemToArray(names, cJSON_CreateString(st.domains[i]));
	} else if (o) {
		log_msg(&eng->log, LVL_WARN, "%s: %s", name, e.msg);
	}
	settings_free(&st);
	return o;
}

/* The profile NAME is ordered with, from its renewal file: what renewals
 * will ask the CA for. */
static void add_profile(struct engine *eng, const char *name, cJSON *o)
{
	struct settings st;
	struct error e = {0};

	settings_init(&st);
	if (renewal_load(&eng->store, name, &st, &e) == 0 && st.preferred_profile)
		cJSON_AddStringToObject(o, "profile", st.preferred_profile);
	settings_free(&st);
}

/* One entry: NAME with its STATE ("ok", "no certificate yet", "no
 * renewal record"). NULL when it cannot be described (already logged). */
static cJSON *entry(struct engine *eng, const char *name, bool recorded)
{
	struct error one = {0};
	bool live = store_live_exists(&eng->store, name);
	cJSON *o = NULL;

	if (live) {
		o = lineage_json(eng, name, &one);
		if (!o) {
			log_msg(&eng->log, LVL_WARN, "%s: %s", name, one.msg);
			return NULL;
		}
		add_deploy_state(eng, name, o);
	} else if (recorded) {
		o = unissued_json(eng, name);
		if (o)
			cJSON_AddStringToObject(o, "name", name);
	} else {
		o = cJSON_CreateObject();
		if (o)
			cJSON_AddStringToObject(o, "name", name);
	}
	if (o && recorded) {
		add_attempt_state(eng, name, o);
		add_profile(eng, name, o);
	}
	if (o)
		cJSON_AddStringToObject(o, "state", !recorded ? "no renewal record"
		                                    : live    ? "ok"
		                                              : "no certificate yet");
	return o;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void print_entry(struct engine *eng, const cJSON *o)
{
	const cJSON *d, *pending = cJSON_GetObjectItem(o, "deploy_pending");
	const char *state = str_of(o, "state"), *name = str_of(o, "name");

	fprintf(eng->out, "  Certificate Name: %s\n", name);
	if (str_of(o, "serial"))
		fprintf(eng->out, "    Serial Number: %s\n    Key Type: %s\n", str_of(o, "serial"),
		        str_of(o, "key_type"));
	if (cJSON_GetObjectItem(o, "domains")) {
		fprintf(eng->out, "    Domains:");
		cJSON_ArrayForEach(d, cJSON_GetObjectItem(o, "domains"))
			fprintf(eng->out, " %s", d->valuestring);
		fprintf(eng->out, "\n");
	}
	if (str_of(o, "profile"))
		fprintf(eng->out, "    Profile: %s\n", str_of(o, "profile"));
	if (str_of(o, "expiry"))
		fprintf(eng->out, "    Expiry Date: %s (VALID: %d days)\n"
		                  "    Certificate Path: %s\n    Private Key Path: %s\n",
		        str_of(o, "expiry"), (int)cJSON_GetObjectItem(o, "days_left")->valuedouble,
		        str_of(o, "fullchain_path"), str_of(o, "privkey_path"));
	if (strcmp(state, "no certificate yet") == 0)
		fprintf(eng->out, "    Status: no certificate yet (an issuance did not finish; "
		                  "`acmehook renew` completes it)\n");
	else if (strcmp(state, "no renewal record") == 0)
		fprintf(eng->out, "    Status: no renewal record, so it is not renewed (certonly "
		                  "--cert-name %s -d NAME... takes it over)\n",
		        name);
	if (str_of(o, "last_attempt")) {
		fprintf(eng->out, "    Last Attempt: %s (%s", str_of(o, "last_attempt"),
		        str_of(o, "last_outcome") ? str_of(o, "last_outcome") : "unknown");
		if (str_of(o, "last_problem"))
			fprintf(eng->out, ", %s", str_of(o, "last_problem"));
		if (str_of(o, "last_error"))
			fprintf(eng->out, ": %s", str_of(o, "last_error"));
		fprintf(eng->out, ")\n");
	}
	if (str_of(o, "next_attempt"))
		fprintf(eng->out, "    Next Attempt: not before %s (the CA asked; --force-renewal "
		                  "tries earlier)\n",
		        str_of(o, "next_attempt"));
	if (cJSON_IsTrue(pending))
		fprintf(eng->out, "    Deploy: pending (%s); the next run retries it\n",
		        str_of(o, "deploy_error") ? str_of(o, "deploy_error") : "not finished");
}

int cmd_certificates(struct engine *eng, struct error *e)
{
	char **names = store_lineages(&eng->store, e), **unrecorded = NULL;
	cJSON *arr = cJSON_CreateArray();
	int ret = -1;

	if (!names || !arr)
		goto out;
	unrecorded = store_unrecorded(&eng->store, e);
	if (!unrecorded)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		char **list = pass == 0 ? names : unrecorded;
		for (size_t i = 0; list[i]; i++) {
			cJSON *o;
			if (eng->base.cert_name && strcmp(eng->base.cert_name, list[i]) != 0)
				continue;
			o = entry(eng, list[i], pass == 0);
			if (o)
				cJSON_AddItemToArray(arr, o);
		}
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
		cJSON_ArrayForEach(o, arr)
			print_entry(eng, o);
	}
	ret = 0;
out:
	cJSON_Delete(arr);
	store_names_free(unrecorded);
	store_names_free(names);
	return ret;
}
