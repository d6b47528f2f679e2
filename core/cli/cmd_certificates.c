/* certificates: what is stored, for people or (--json) for scripts. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/x509.h>

#include "base/crypto.h"
#include "cli/due.h"
#include "cli/engine.h"
#include "conf/renewal.h"
#include "store/status.h"

static void add_time(cJSON *o, const char *key, time_t t)
{
	char date[32];

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &(struct tm){0}));
	cJSON_AddStringToObject(o, key, date);
}

/* What the status record ST says about the version live/ serves. */
static void add_deploy_state(struct engine *eng, const char *name,
                             const struct lineage_status *st, cJSON *o)
{
	/* A record about a version that never went live is stale. */
	bool pending = st->deploy_pending && st->version == store_live_version(&eng->store, name);

	cJSON_AddBoolToObject(o, "deploy_pending", pending);
	if (pending && st->deploy_error[0])
		cJSON_AddStringToObject(o, "deploy_error", st->deploy_error);
}

/* What the status record ST says about the last attempt to issue the
 * lineage, and the time the CA asked not to be contacted before while it
 * is ahead. */
static void add_attempt_state(const struct lineage_status *st, cJSON *o)
{
	if (st->last_attempt == 0)
		return;
	add_time(o, "last_attempt", st->last_attempt);
	if (st->last_outcome[0])
		cJSON_AddStringToObject(o, "last_outcome", st->last_outcome);
	if (st->last_problem[0])
		cJSON_AddStringToObject(o, "last_problem", st->last_problem);
	if (st->last_error[0])
		cJSON_AddStringToObject(o, "last_error", st->last_error);
	if (st->failures > 0)
		cJSON_AddNumberToObject(o, "failures", st->failures);
	if (st->next_attempt > time(NULL)) {
		add_time(o, "next_attempt", st->next_attempt);
		cJSON_AddStringToObject(o, "next_attempt_reason",
		                        st->backoff ? "backoff" : "retry-after");
	}
}

/* The facts of NAME's live certificate into *F and its record into *ST:
 * from the status record when it describes what live/ serves, else from
 * the certificate itself (this command only reads; renew repairs the
 * record). */
static int live_facts(struct engine *eng, const char *name, struct lineage_status *st,
                      struct lineage_facts *f, struct error *e)
{
	char p[PATH_MAX];
	struct error bad = {0};
	X509 *c = NULL;
	int ret;

	if (status_read_all(&eng->store, name, st, f, &bad) < 0) {
		log_msg(&eng->log, LVL_WARN, "%s", bad.msg);
		memset(st, 0, sizeof(*st));
		memset(f, 0, sizeof(*f));
	}
	if (due_facts_live(eng, name, f))
		return 0;
	status_facts_free(f);
	store_live_path(&eng->store, name, "cert", p, sizeof(p));
	c = crypto_cert_load(p, e);
	ret = c ? due_facts_of(eng, name, NULL, c, store_live_version(&eng->store, name), f, e) : -1;
	X509_free(c);
	return ret;
}

/* When the next renew acts on NAME, and why. */
static void add_next_renewal(cJSON *o, const struct lineage_status *st,
                             const struct lineage_facts *f)
{
	char why[256];
	const char *kind;
	time_t now = time(NULL), at = due_next_renewal(st, f, now, &kind, why, sizeof(why));

	if (at <= now) {
		cJSON_AddStringToObject(o, "next_renewal", "now");
	} else {
		add_time(o, "next_renewal", at);
	}
	cJSON_AddStringToObject(o, "next_renewal_reason", kind);
	cJSON_AddStringToObject(o, "next_renewal_detail", why);
}

static cJSON *lineage_json(struct engine *eng, const char *name, struct error *e)
{
	char p[PATH_MAX];
	struct lineage_status st = {0};
	struct lineage_facts f = {0};
	cJSON *o = cJSON_CreateObject(), *names;
	static const char *const kinds[] = {"cert", "chain", "fullchain", "privkey"};
	bool ok = false;

	if (!o || live_facts(eng, name, &st, &f, e) < 0)
		goto out;
	cJSON_AddStringToObject(o, "name", name);
	names = cJSON_AddArrayToObject(o, "domains");
	for (size_t i = 0; f.names && f.names[i]; i++)
		cJSON_AddItemToArray(names, cJSON_CreateString(f.names[i]));
	cJSON_AddStringToObject(o, "serial", f.serial);
	cJSON_AddStringToObject(o, "issuer", f.issuer);
	if (f.profile[0])
		cJSON_AddStringToObject(o, "profile", f.profile);
	add_time(o, "expiry", f.not_after);
	cJSON_AddNumberToObject(o, "days_left", (double)((f.not_after - time(NULL)) / 86400));
	cJSON_AddStringToObject(o, "key_type", f.key_type);
	cJSON_AddNumberToObject(o, "version", f.version);
	add_next_renewal(o, &st, &f);
	add_deploy_state(eng, name, &st, o);
	add_attempt_state(&st, o);
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
	status_facts_free(&f);
	return o;
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
 * will ask the CA for. For a lineage whose record does not say which
 * profile its certificate was ordered with. */
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
		if (recorded && !cJSON_GetObjectItem(o, "profile"))
			add_profile(eng, name, o);
	} else if (recorded) {
		struct lineage_status st = {0};
		o = unissued_json(eng, name);
		if (o)
			cJSON_AddStringToObject(o, "name", name);
		if (o && status_read(&eng->store, name, &st, &one) == 0)
			add_attempt_state(&st, o);
		else if (o)
			log_msg(&eng->log, LVL_WARN, "%s", one.msg);
		if (o)
			add_profile(eng, name, o);
	} else {
		o = cJSON_CreateObject();
		if (o)
			cJSON_AddStringToObject(o, "name", name);
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
		fprintf(eng->out, "    Serial Number: %s\n    Key Type: %s\n    Issuer: %s\n",
		        str_of(o, "serial"), str_of(o, "key_type"), str_of(o, "issuer"));
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
	if (str_of(o, "next_renewal"))
		fprintf(eng->out, "    Next Renewal: %s (%s)\n", str_of(o, "next_renewal"),
		        str_of(o, "next_renewal_detail"));
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
		fprintf(eng->out, "    Next Attempt: not before %s (%s; --force-renewal "
		                  "tries earlier)\n",
		        str_of(o, "next_attempt"),
		        strcmp(str_of(o, "next_attempt_reason"), "backoff") == 0
		                ? "renew pauses after failures in a row"
		                : "the CA asked");
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
