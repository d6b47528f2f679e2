#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "acme/acme.h"
#include "base/b64.h"
#include "base/ident.h"
#include "base/sleep.h"
#include "base/testpoint.h"
#include "dns/client.h"
#include "dns/propagation.h"
#include "acme/jws.h"
#include "acme/objects.h"
#include "acme/order_lost.h"
#include "acme/order_finish.h"
#include "acme/order_fresh.h"
#include "acme/order_new.h"
#include "acme/order_poll.h"
#include "base/log.h"
#include "acme/order.h"
#include "host/batch.h"
#include "host/route.h"
#include "store/orders.h"

struct authz {
	const struct routed_name *on;
	char *url;
	char *identifier;     /* without "*." */
	bool wildcard;
	bool done;            /* valid without our help (reused by the CA) */
	bool answered;        /* the challenge was answered before (a resumed order) */
	char *chall_url;
	char *token;
	char *key_auth;
	char *txt;            /* dns-01 value */
	bool presented;
};

static void authz_free(struct authz *z)
{
	free(z->url);
	free(z->identifier);
	free(z->chall_url);
	free(z->token);
	if (z->key_auth) {
		OPENSSL_cleanse(z->key_auth, strlen(z->key_auth));
		free(z->key_auth);
	}
	free(z->txt);
}

void order_result_free(struct order_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_chains; i++)
		free(r->chains[i]);
	free(r->chains);
	r->chains = NULL;
	r->n_chains = 0;
}

static const struct routed_name *find_name(const struct routed_name *names, size_t n,
                                          const struct obj_identifier *id, bool wildcard)
{
	for (size_t i = 0; i < n; i++) {
		const char *nm = names[i].name;
		bool wc = strncmp(nm, "*.", 2) == 0;
		if (wc == wildcard && ident_matches(id->type, id->value, wc ? nm + 2 : nm))
			return &names[i];
	}
	return NULL;
}

/* Fetch an authorization, find which of our names it is for, and pick the
 * challenge of that name's route. */
static int authz_prepare(struct acme *a, struct authz *z, const struct routed_name *names,
                         size_t n, const char *thumb, bool *dead, struct error *e)
{
	struct acme_reply r = {0};
	struct obj_authz az = {0};
	const struct obj_challenge *ch;
	const char *type, *value;
	int ret = -1;

	if (acme_post(a, "fetching an authorization", z->url, NULL, &r, e) < 0 ||
	    obj_authz_parse(r.json, z->url, &az, e) < 0)
		goto out;
	value = az.id.value;
	z->wildcard = az.wildcard;
	if (!(z->identifier = strdup(value))) {
		err_nomem(e);
		goto out;
	}
	z->on = find_name(names, n, &az.id, z->wildcard);
	if (!z->on) {
		err_set(e, EXIT_OP, "the CA sent an authorization for %s%s, which was not ordered",
		        z->wildcard ? "*." : "", value);
		goto out;
	}
	if (az.status == OBJ_ST_VALID) {
		z->done = true;
		ret = 0;
		goto out;
	}
	if (az.status != OBJ_ST_PENDING) {
		/* invalid, deactivated, expired or revoked: the order cannot
		 * become ready any more. */
		*dead = true;
		err_set(e, EXIT_OP, "authorization for %s is %s, not pending", value,
		        obj_status_name(az.status));
		goto out;
	}
	type = challenge_type_name(z->on->challenge);
	ch = obj_authz_challenge(&az, type);
	if (!ch || !ch->token) {
		err_set(e, EXIT_OP, "the CA offers no %s challenge for %s", type, value);
		goto out;
	}
	if (!(z->chall_url = strdup(ch->url)) || !(z->token = strdup(ch->token))) {
		err_nomem(e);
		goto out;
	}
	/* A run cut short after answering: the CA is validating, and a
	 * second answer would be refused. */
	z->answered = ch->status == OBJ_ST_PROCESSING || ch->status == OBJ_ST_VALID;
	{
		size_t len = strlen(z->token) + 1 + strlen(thumb) + 1;
		z->key_auth = malloc(len);
		if (!z->key_auth) {
			err_nomem(e);
			goto out;
		}
		snprintf(z->key_auth, len, "%s.%s", z->token, thumb);
	}
	if (z->on->challenge == CHALLENGE_DNS_01) {
		unsigned char md[32];
		unsigned int mdlen = 0;
		if (!EVP_Digest(z->key_auth, strlen(z->key_auth), md, &mdlen, EVP_sha256(), NULL) ||
		    !(z->txt = b64url_encode(md, mdlen))) {
			err_nomem(e);
			goto out;
		}
	}
	ret = 0;
out:
	obj_authz_free(&az);
	acme_reply_free(&r);
	return ret;
}

/* The challenge of ZS[I] as the plugin host takes it, with the names of
 * the challenges its instance presents in this order (NAMES has room for
 * N) and how many of them follow it: hooks use these to act once, after
 * the last. */
static void fill_challenge(const struct authz *zs, size_t n, size_t i, const char **names,
                           struct challenge_desc *c)
{
	const struct authz *z = &zs[i];

	memset(c, 0, sizeof(*c));
	for (size_t j = 0; j < n; j++) {
		if (zs[j].done || zs[j].on->inst != z->on->inst)
			continue;
		names[c->n_order_names++] = zs[j].identifier;
		c->remaining += j > i;
	}
	c->order_names = names;
	c->identifier = z->identifier;
	c->wildcard = z->wildcard;
	c->type = z->on->challenge;
	c->token = z->token;
	c->key_authorization = z->key_auth;
	if (z->txt) {
		c->txt_value = z->txt;
		c->record_name = z->on->record_name;
		c->zone = z->on->zone;
	}
}

static int authz_error(const cJSON *authz, const char *ident, struct error *e)
{
	const cJSON *ch;
	const char *type = NULL;
	char text[768] = "no detail";

	cJSON_ArrayForEach(ch, cJSON_GetObjectItem(authz, "challenges")) {
		const cJSON *err = cJSON_GetObjectItem(ch, "error");
		if (err) {
			acme_problem_text(err, text, sizeof(text));
			type = acme_problem_type(err);
			break;
		}
	}
	/* The challenge's problem type is kept, for the status record and
	 * the failure hook. */
	if (type)
		return err_set_acme(e, type, 0, "validation of %s failed: %s", ident, text);
	return err_set(e, EXIT_OP, "validation of %s failed: %s", ident, text);
}

/* One propagation wait for every dns-01 record presented. */
static int wait_dns(const struct order_dns *dns, struct log *log, const struct authz *zs,
                    size_t n, struct error *e)
{
	struct dns_expect *items = calloc(n ? n : 1, sizeof(*items));
	size_t k = 0;
	int ret = -1;

	if (!items)
		return err_nomem(e);
	for (size_t i = 0; i < n; i++) {
		if (!zs[i].presented || !zs[i].txt)
			continue;
		items[k].name = zs[i].on->record_name;
		items[k].zone = zs[i].on->zone;
		items[k].value = zs[i].txt;
		k++;
	}
	if (k == 0) {
		ret = 0;
		goto out;
	}
	if (!dns || !dns->client || !dns->cfg) {
		err_set(e, EXIT_OP, "dns-01 records were presented but no DNS client is set up");
		goto out;
	}
	log_msg(log, LVL_INFO, "Waiting for %zu DNS record%s to be served", k, k == 1 ? "" : "s");
	ret = dns_wait_propagation(dns->client, dns->cfg, items, k, e);
out:
	free(items);
	return ret;
}

/* The order became invalid while validating: find which authorization
 * failed and why, from the authorizations themselves (the order only says
 * that one did). */
static int validation_failed(struct acme *a, const char *order_url, const cJSON *order,
                             const struct authz *zs, size_t n, struct error *e)
{
	char text[768] = "no detail";

	for (size_t i = 0; i < n; i++) {
		struct acme_reply r = {0};
		enum obj_status st;
		int failed;

		if (zs[i].done)
			continue;
		if (acme_post(a, "fetching a failed authorization", zs[i].url, NULL, &r, e) < 0 ||
		    obj_status_of(r.json, "authorization", zs[i].url, &st, e) < 0) {
			acme_reply_free(&r);
			return -1;
		}
		failed = st != OBJ_ST_VALID && st != OBJ_ST_PENDING && st != OBJ_ST_PROCESSING;
		if (failed)
			authz_error(r.json, zs[i].on->name, e);
		acme_reply_free(&r);
		if (failed)
			return -1;
	}
	if (cJSON_GetObjectItem(order, "error"))
		acme_problem_text(cJSON_GetObjectItem(order, "error"), text, sizeof(text));
	return err_set(e, EXIT_OP, "order %s became invalid while its authorizations were being "
	               "validated: %s", order_url, text);
}

/* Answer every challenge not answered yet. *ALL_VALID tells whether the
 * CA answered each of them (and holds every other authorization) as
 * valid already; *AT gets the latest Retry-After of the answers. */
static int answer_all(struct acme *a, struct authz *zs, size_t n, bool *all_valid, time_t *at,
                      struct error *e)
{
	*all_valid = true;
	for (size_t i = 0; i < n; i++) {
		struct acme_reply r = {0};
		struct error ignore = {0};
		enum obj_status st = OBJ_ST_NONE;
		time_t t;

		if (zs[i].done)
			continue;
		if (zs[i].answered) {
			*all_valid = false;
			continue;
		}
		if (acme_post(a, "answering a challenge", zs[i].chall_url, "{}", &r, e) < 0)
			return -1;
		/* The answer is the challenge (RFC 8555 §7.5.1): one the CA
		 * validated at once needs no poll. */
		if (obj_status_of(r.json, "challenge", zs[i].chall_url, &st, &ignore) < 0 ||
		    st != OBJ_ST_VALID)
			*all_valid = false;
		t = order_poll_retry_at(&r);
		*at = t > *at ? t : *at;
		acme_reply_free(&r);
	}
	return 0;
}

/* Wait until the CA has validated every authorization: the order at
 * ORDER_URL leaves "pending" then (RFC 8555 §7.1.6), so one poll of the
 * order stands for one of every authorization. *ST gets the order's
 * status, *POLLED whether it was asked (not when every challenge came back
 * valid, which makes it ready), and *OUT the order when it was. */
static int wait_validated(struct acme *a, struct log *log, const char *order_url,
                          const struct authz *zs, size_t n, bool all_valid, time_t at,
                          enum obj_status *st, bool *polled, struct acme_reply *out,
                          bool *dead, struct error *e)
{
	static const enum obj_status pending[] = {OBJ_ST_PENDING, OBJ_ST_NONE};
	struct acme_reply r = {0};

	*st = OBJ_ST_PENDING;
	*polled = !all_valid;
	if (all_valid) {
		*st = OBJ_ST_READY;
	} else {
		if (order_poll(a, "waiting for validation", "order", order_url, pending, at, &r, st,
		               e) < 0)
			return -1;
		if (*st == OBJ_ST_INVALID) {
			*dead = true;
			validation_failed(a, order_url, r.json, zs, n, e);
			acme_reply_free(&r);
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!zs[i].done)
			log_msg(log, LVL_INFO, "Validated %s", zs[i].on->name);
	*out = r;
	return 0;
}

/* Present every challenge, wait once for the dns-01 records, answer every
 * challenge, wait for the CA, and clean up every challenge presented. */
static int validate_all(struct acme *a, struct log *log, const struct order_dns *dns,
                        const char *order_url, struct authz *zs, size_t n,
                        enum obj_status *st, bool *polled, struct acme_reply *order,
                        bool *dead, struct error *e)
{
	struct host_challenge *hc = calloc(n ? n : 1, sizeof(*hc));
	/* Each challenge gets its own list of its instance's names: a batch
	 * holds every description at once. */
	const char **names = calloc(n ? n * n : 1, sizeof(*names));
	size_t k = 0;
	time_t at = 0;
	bool all_valid = false;
	int ret = -1;

	if (!hc || !names) {
		free(hc);
		free(names);
		return err_nomem(e);
	}
	/* Each plugin instance presents all of its challenges in one call. */
	for (size_t i = 0; i < n; i++) {
		if (zs[i].done)
			continue;
		hc[k].inst = zs[i].on->inst;
		fill_challenge(zs, n, i, names + k * n, &hc[k].desc);
		hc[k].name = zs[i].on->name;
		hc[k++].presented = &zs[i].presented;
	}
	if (host_present_all(hc, k, log, e) < 0 ||
	    wait_dns(dns, log, zs, n, e) < 0 || answer_all(a, zs, n, &all_valid, &at, e) < 0)
		goto out;
	testpoint("challenges-answered");
	if (wait_validated(a, log, order_url, zs, n, all_valid, at, st, polled, order, dead, e) < 0)
		goto out;
	ret = 0;
out:
	/* Clean up every challenge that was presented, whatever happened. */
	host_cleanup_all(hc, k, log);
	free(hc);
	free(names);
	return ret;
}

static int cmp_authz(const void *x, const void *y)
{
	const struct authz *a = x, *b = y;
	return (a->on > b->on) - (a->on < b->on);
}

/* Place the order for NAMES: *ORD gets the CA's order and *ORDER_URL
 * (owned by the caller) its Location. newOrder is not idempotent: when
 * its answer is lost the CA may have created the order, so the account's
 * orders are searched for it before another one is placed, and a second
 * lost answer ends the run. */
static int place_order(struct acme *a, struct log *log, const struct routed_name *names, size_t n,
                       struct obj_order *ord, char **order_url, struct error *e)
{
	struct acme_reply r = {0};
	struct error lost = {0};
	const char **list = calloc(n ? n : 1, sizeof(*list));
	const char *replaces = acme_resource(a, "renewalInfo") ? a->replaces : NULL;
	char *payload = order_new_payload(names, n, a->profile, replaces);
	int found, ret = -1;

	if (!payload || !list) {
		err_nomem(e);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		list[i] = names[i].name;
	for (int attempt = 1;; attempt++) {
		if (acme_post(a, "placing the order", acme_resource(a, "newOrder"), payload, &r,
		              e) == 0)
			break;
		if (replaces && order_new_replaces_refused(e)) {
			/* The renewal still matters more than the link to the old
			 * certificate: order once more without it. */
			log_msg(log, LVL_INFO, "The CA refused the order as a replacement of %s (%s); "
			        "placing it without \"replaces\"", replaces, e->msg);
			err_clear(e);
			acme_reply_free(&r);
			free(payload);
			replaces = NULL;
			payload = order_new_payload(names, n, a->profile, NULL);
			if (!payload) {
				err_nomem(e);
				goto out;
			}
			attempt--;
			continue;
		}
		if (!order_answer_lost(e))
			goto out;
		lost = *e;
		err_clear(e);
		log_msg(log, LVL_INFO, "The answer to the new order was lost (%s); looking for it "
		        "among the account's orders", lost.msg);
		found = order_find_lost(a, log, list, n, ord, order_url, e);
		if (found < 0)
			goto out;
		if (found) {
			log_msg(log, LVL_INFO, "Adopting order %s (%s), which the CA created for the "
			        "lost request", *order_url, obj_status_name(ord->status));
			ret = 0;
			goto out;
		}
		if (attempt == 2) {
			*e = lost;
			goto out;
		}
		log_msg(log, LVL_INFO, "The CA has no such order; placing it again");
	}
	if (!r.location || strncmp(r.location, "https://", 8) != 0) {
		err_set(e, EXIT_OP, "the CA's new order has no https Location");
		goto out;
	}
	if (obj_order_parse(r.json, r.location, ord, e) < 0)
		goto out;
	if (!(*order_url = strdup(r.location))) {
		obj_order_free(ord);
		err_nomem(e);
		goto out;
	}
	log_msg(log, LVL_DEBUG, "Order %s", *order_url);
	ret = 0;
out:
	acme_reply_free(&r);
	free(payload);
	free(list);
	return ret;
}

/* Forget the order place_order set, to place another. */
static void drop_order(struct obj_order *ord, char **order_url)
{
	obj_order_free(ord);
	free(*order_url);
	*order_url = NULL;
}

/* Place the order as place_order does; when A asks for fresh
 * authorizations, deactivate those the CA reused and place it again, up
 * to ORDER_FRESH_TRIES orders; the last one is only looked at. The orders
 * left behind expire at the CA. */
static int place_fresh_order(struct acme *a, struct log *log, const struct routed_name *names,
                             size_t n, struct obj_order *ord, char **order_url, struct error *e)
{
	enum acme_fresh want = a->fresh;

	for (int tries = 1;; tries++) {
		bool last = tries == ORDER_FRESH_TRIES;
		int valid;

		if (place_order(a, log, names, n, ord, order_url, e) < 0)
			return -1;
		if (want == ACME_FRESH_OFF)
			return 0;
		valid = order_deactivate_reused(a, log, ord, !last, e);
		if (valid == 0)
			return 0;
		if (valid > 0 && !last) {
			log_msg(log, LVL_INFO, "Placing the order again, for fresh authorizations");
			drop_order(ord, order_url);
			continue;
		}
		/* The CA would not deactivate one, or keeps reusing them. */
		if (want == ACME_FRESH_REQUIRE) {
			if (valid > 0)
				err_set(e, EXIT_OP, "the CA still reuses a valid authorization in order %s "
				        "after %d orders; the names cannot all be validated again now",
				        *order_url, ORDER_FRESH_TRIES);
			else
				err_prefix(e, "cannot get fresh authorizations for order %s", *order_url);
			drop_order(ord, order_url);
			return -1;
		}
		/* A dry run goes on with what it has, as certbot's does. */
		log_msg(log, LVL_WARN, "Could not get fresh authorizations for every name (%s); the "
		        "dry run goes on, but may not show whether every challenge works",
		        valid > 0 ? "the CA keeps reusing them" : e->msg);
		err_clear(e);
		if (valid > 0)
			return 0;
		/* A failed deactivation may have followed a good one, which
		 * leaves this order unable to become ready: order once more,
		 * taking what the CA reuses. */
		want = ACME_FRESH_OFF;
		drop_order(ord, order_url);
	}
}

/* Fetch every authorization ORD lists into ZS (room for N), counting
 * them in *NZ as they are set up so the caller frees exactly those, and
 * sort them into the order the user gave the names. */
static int prepare_all(struct acme *a, const struct obj_order *ord,
                       const struct routed_name *names, size_t n, struct authz **zs_out,
                       size_t *nz, bool *dead, struct error *e)
{
	struct authz *zs;
	char *thumb = NULL;
	int ret = -1;

	if (ord->n_authzs < 1 || ord->n_authzs > n)
		return err_set(e, EXIT_OP, "the order lists %zu authorizations for %zu names",
		               ord->n_authzs, n);
	zs = calloc(ord->n_authzs, sizeof(*zs));
	*zs_out = zs;
	thumb = jws_thumbprint(a->key, e);
	if (!zs || !thumb) {
		err_nomem(e);
		goto out;
	}
	for (size_t i = 0; i < ord->n_authzs; i++) {
		struct authz *z = &zs[*nz];
		if (!(z->url = strdup(ord->authzs[i]))) {
			err_nomem(e);
			goto out;
		}
		(*nz)++;
		if (authz_prepare(a, z, names, n, thumb, dead, e) < 0)
			goto out;
	}
	/* Work through the names in the order the user gave them, whatever
	 * order the CA lists the authorizations in: logs and plugin calls
	 * then read predictably. */
	qsort(zs, *nz, sizeof(*zs), cmp_authz);
	ret = 0;
out:
	free(thumb);
	return ret;
}

/* Fetch the recorded order J->resume. Returns 1 when the CA still has it
 * pending, ready, processing or valid (*ORD its state, *ORDER_URL as
 * place_order sets it); 0 when it cannot be resumed, after removing the
 * record; -1 on a failure that keeps the record for the next run (the
 * network, a signal, an account the CA forgot). */
static int resume_order(struct acme *a, struct log *log, const struct order_journal *j,
                        struct obj_order *ord, char **order_url, struct error *e)
{
	struct acme_reply r = {0};
	struct obj_order o = {0};
	int ret = 0;

	if (acme_post(a, "fetching the recorded order", j->resume, NULL, &r, e) < 0) {
		/* Only the CA saying it has no such order for us (404,
		 * unauthorized, malformed) makes it not worth resuming. */
		if ((e->kind != ERR_ACME && e->kind != ERR_HTTP) || e->http_status < 400 ||
		    e->http_status >= 500 || e->http_status == 429 ||
		    err_is_problem(e, ACME_PROB_ACCOUNT_DOES_NOT_EXIST))
			return -1;
		log_msg(log, LVL_INFO, "Not resuming order %s: %s", j->resume, e->msg);
		err_clear(e);
		goto discard;
	}
	if (obj_order_parse(r.json, j->resume, &o, e) < 0) {
		log_msg(log, LVL_INFO, "Not resuming order %s: %s", j->resume, e->msg);
		err_clear(e);
		goto discard;
	}
	if (o.status == OBJ_ST_INVALID) {
		log_msg(log, LVL_INFO, "Not resuming order %s: it is invalid", j->resume);
		goto discard;
	}
	if (!(*order_url = strdup(j->resume))) {
		ret = err_nomem(e);
		goto out;
	}
	log_msg(log, LVL_INFO, "Resuming order %s (%s)", j->resume, obj_status_name(o.status));
	*ord = o;
	memset(&o, 0, sizeof(o));
	ret = 1;
	goto out;
discard:
	store_order_remove(j->store, j->lineage);
out:
	obj_order_free(&o);
	acme_reply_free(&r);
	return ret;
}

/* Record the order just placed at ORDER_URL for J's lineage, with the
 * certificate key, before anything else is sent for it. */
static int record_order(const struct acme *a, const struct order_journal *j,
                        const struct routed_name *names, size_t n, const char *order_url,
                        struct error *e)
{
	struct order_record rec = {0};
	const char **list = calloc(n ? n : 1, sizeof(*list));
	int ret = -1;

	if (!list) {
		err_nomem(e);
		goto out;
	}
	if (!a->dir_url || !a->kid) {
		err_set(e, EXIT_OP, "cannot record order %s: no account is open", order_url);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		list[i] = names[i].name;
	if (store_order_make(a->dir_url, a->kid, order_url, list, n, time(NULL), &rec, e) < 0 ||
	    store_order_save(j->store, j->lineage, &rec, j->key_pem, e) < 0)
		goto out;
	ret = 0;
out:
	store_order_free(&rec);
	free(list);
	return ret;
}

int order_issue(struct acme *a, struct log *log, const struct order_dns *dns,
                const struct routed_name *names, size_t n, const struct order_journal *j,
                const unsigned char *csr_der, size_t csr_len, struct order_result *out,
                struct error *e)
{
	struct obj_order ord = {0};
	struct authz *zs = NULL;
	struct order_result res = {0};
	struct acme_reply last = {0};
	enum obj_status st;
	char *order_url = NULL;
	size_t nz = 0;
	sigset_t sigs, old;
	bool blocked = false, dead = false, polled = true;
	int resumed = 0, ret = -1;

	if (a->profile && obj_directory_check_profile(&a->d, a->profile, e) < 0)
		goto out;
	if (j && j->resume && (resumed = resume_order(a, log, j, &ord, &order_url, e)) < 0)
		goto out;
	if (!resumed) {
		if (place_fresh_order(a, log, names, n, &ord, &order_url, e) < 0)
			goto out;
		if (j && record_order(a, j, names, n, order_url, e) < 0)
			goto out;
		testpoint("order-placed");
	}
	/* From here on challenges may be out: signals wait until every
	 * presented one is cleaned up. The waits take them (base/sleep.h) and
	 * end the order early. */
	sleep_fatal_signals(&sigs);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	blocked = true;
	/* An order past "pending" (resumed, or one whose authorizations the
	 * CA holds valid already) has every authorization valid. */
	st = ord.status;
	if (st == OBJ_ST_PENDING) {
		if (prepare_all(a, &ord, names, n, &zs, &nz, &dead, e) < 0 ||
		    validate_all(a, log, dns, order_url, zs, nz, &st, &polled, &last, &dead, e) < 0)
			goto out;
	}
	if (order_finish(a, log, order_url, &ord, st, polled, &last, csr_der, csr_len, &res, &dead,
	                 e) < 0)
		goto out;
	*out = res;
	memset(&res, 0, sizeof(res));
	ret = 0;
out:
	/* The CA declared the order invalid: the next run places a new one.
	 * On any other failure the record stays for the next run to resume. */
	if (ret < 0 && dead && j)
		store_order_remove(j->store, j->lineage);
	for (size_t i = 0; zs && i < nz; i++)
		authz_free(&zs[i]);
	free(zs);
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	order_result_free(&res);
	acme_reply_free(&last);
	obj_order_free(&ord);
	free(order_url);
	return ret;
}
