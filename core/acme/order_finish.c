#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "acme/order_finish.h"
#include "acme/order_poll.h"
#include "base/b64.h"
#include "base/log.h"
#include "base/testpoint.h"

bool order_answer_lost(const struct error *e)
{
	return e->kind == ERR_NETWORK || e->kind == ERR_TIMEOUT;
}

static bool not_ready(const struct error *e)
{
	return e->kind == ERR_ACME && strcmp(e->problem_type, "orderNotReady") == 0;
}

static int add_chain(struct order_result *res, const struct acme_reply *r, struct error *e)
{
	char **nc;

	if (r->http.body.len == 0 || !strstr(r->http.body.data, "-----BEGIN CERTIFICATE-----"))
		return err_set(e, EXIT_OP, "the certificate download is not a PEM chain");
	nc = realloc(res->chains, (res->n_chains + 2) * sizeof(*nc));
	if (!nc)
		return err_nomem(e);
	res->chains = nc;
	nc[res->n_chains] = strndup(r->http.body.data, r->http.body.len);
	if (!nc[res->n_chains])
		return err_nomem(e);
	nc[++res->n_chains] = NULL;
	return 0;
}

static int download(struct acme *a, const char *url, struct order_result *res, struct error *e)
{
	struct acme_reply r = {0};
	char **alts = NULL;
	int ret = -1;

	if (acme_post(a, "downloading the certificate", url, NULL, &r, e) < 0 ||
	    add_chain(res, &r, e) < 0)
		goto out;
	/* Keep every chain the CA offers (RFC 8555 §7.4.2). */
	alts = http_links(&r.http, "alternate");
	for (size_t i = 0; alts && alts[i] && i < 8; i++) {
		struct acme_reply ar = {0};
		if (strncmp(alts[i], "https://", 8) != 0)
			continue;
		if (acme_post(a, "downloading an alternate chain", alts[i], NULL, &ar, e) < 0 ||
		    add_chain(res, &ar, e) < 0) {
			acme_reply_free(&ar);
			goto out;
		}
		acme_reply_free(&ar);
	}
	ret = 0;
out:
	http_links_free(alts);
	acme_reply_free(&r);
	return ret;
}

/* Send the CSR to FINALIZE (RFC 8555 §7.4); *OUT gets the CA's answer, the
 * order. A problem document in reply is the CA refusing this CSR, which a
 * resumed run would only send again: the order is then *DEAD. */
static int send_csr(struct acme *a, const char *finalize, const unsigned char *csr_der,
                    size_t csr_len, struct acme_reply *out, bool *dead, struct error *e)
{
	cJSON *o = cJSON_CreateObject();
	char *csr64 = b64url_encode(csr_der, csr_len), *body = NULL;
	int ret = -1;

	if (!o || !csr64 || !cJSON_AddStringToObject(o, "csr", csr64) ||
	    !(body = cJSON_PrintUnformatted(o))) {
		err_nomem(e);
		goto out;
	}
	if (acme_post(a, "finalizing the order", finalize, body, out, e) < 0) {
		*dead = e->kind == ERR_ACME && !not_ready(e) &&
		        !err_is_problem(e, ACME_PROB_ACCOUNT_DOES_NOT_EXIST) &&
		        !err_is_problem(e, ACME_PROB_RATE_LIMITED);
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(o);
	free(body);
	free(csr64);
	return ret;
}

/* Finalize an order that is ready; *OUT gets the order as the CA last
 * told it. finalize is not idempotent either: when its answer is lost the
 * order tells whether the CA acted on it (processing or valid), and only
 * an order still ready gets the CSR once more. */
static int finalize_once(struct acme *a, struct log *log, const char *order_url,
                         const char *finalize, const unsigned char *csr_der, size_t csr_len,
                         struct acme_reply *out, bool *dead, struct error *e)
{
	struct acme_reply r = {0};
	struct error lost = {0};
	enum obj_status st;
	int ret = -1;

	if (send_csr(a, finalize, csr_der, csr_len, out, dead, e) == 0)
		return 0;
	if (!order_answer_lost(e))
		return -1;
	lost = *e;
	err_clear(e);
	log_msg(log, LVL_INFO, "The answer to finalize was lost (%s); checking order %s instead "
	        "of sending it again", lost.msg, order_url);
	if (acme_post(a, "checking the order after a lost finalize", order_url, NULL, &r, e) < 0 ||
	    obj_status_of(r.json, "order", order_url, &st, e) < 0)
		goto out;
	if (st == OBJ_ST_PROCESSING || st == OBJ_ST_VALID) {
		log_msg(log, LVL_INFO, "The CA took the finalize request: order %s is %s", order_url,
		        obj_status_name(st));
		*out = r;
		memset(&r, 0, sizeof(r));
		ret = 0;
		goto out;
	}
	if (st != OBJ_ST_READY) {
		*dead = st == OBJ_ST_INVALID;
		err_set(e, EXIT_OP, "the order is %s after a lost finalize request (%s)",
		        obj_status_name(st), lost.msg);
		goto out;
	}
	log_msg(log, LVL_INFO, "Order %s is still ready: the CA did not act; finalizing again",
	        order_url);
	ret = send_csr(a, finalize, csr_der, csr_len, out, dead, e);
out:
	acme_reply_free(&r);
	return ret;
}

/* Finalize the order at ORDER_URL, which is ready (or taken for ready,
 * when every challenge came back valid and the order was not POLLED
 * since); *LAST gets the CA's answer, the order, and *ST and *AT its
 * status and Retry-After. A CA that has not caught up with its own
 * validations refuses the CSR as orderNotReady: the order is then polled
 * until it is ready and finalized again. */
static int finalize_ready(struct acme *a, struct log *log, const char *order_url,
                          const char *finalize, const unsigned char *csr_der, size_t csr_len,
                          bool polled, struct acme_reply *last, enum obj_status *st, time_t *at,
                          bool *dead, struct error *e)
{
	static const enum obj_status pending[] = {OBJ_ST_PENDING, OBJ_ST_NONE};
	struct error ignore = {0};

	acme_reply_free(last);
	if (finalize_once(a, log, order_url, finalize, csr_der, csr_len, last, dead, e) < 0) {
		if (polled || !not_ready(e))
			return -1;
		err_clear(e);
		*st = OBJ_ST_PENDING;
		if (order_poll(a, "waiting for the order to be ready", "order", order_url, pending, 0,
		               last, st, e) < 0)
			return -1;
		acme_reply_free(last);
		if (*st != OBJ_ST_READY)
			return err_set(e, EXIT_OP, "the order is %s instead of ready",
			               obj_status_name(*st));
		if (finalize_once(a, log, order_url, finalize, csr_der, csr_len, last, dead, e) < 0)
			return -1;
	}
	testpoint("finalize-sent");
	*at = order_poll_retry_at(last);
	/* The answer is the order (RFC 8555 §7.4), valid already when the CA
	 * issued at once; one that does not say is polled. */
	if (obj_status_of(last->json, "order", order_url, st, &ignore) < 0)
		*st = OBJ_ST_PROCESSING;
	return 0;
}

int order_finish(struct acme *a, struct log *log, const char *order_url,
                 const struct obj_order *known, enum obj_status st, bool polled,
                 struct acme_reply *last, const unsigned char *csr_der, size_t csr_len,
                 struct order_result *res, bool *dead, struct error *e)
{
	static const enum obj_status processing[] = {OBJ_ST_PROCESSING, OBJ_ST_NONE};
	struct obj_order ord = {0};
	const char *cert = known->certificate;
	time_t at = 0;
	int ret = -1;

	if (st == OBJ_ST_READY && finalize_ready(a, log, order_url, known->finalize, csr_der,
	                                         csr_len, polled, last, &st, &at, dead, e) < 0)
		goto out;
	/* Finalization may be asynchronous: poll while "processing". */
	if (st == OBJ_ST_PROCESSING) {
		acme_reply_free(last);
		if (order_poll(a, "waiting for the certificate", "order", order_url, processing, at,
		               last, &st, e) < 0)
			goto out;
	}
	if (last->json) {
		if (obj_order_parse(last->json, order_url, &ord, e) < 0)
			goto out;
		st = ord.status;
		cert = ord.certificate;
	}
	if (st != OBJ_ST_VALID || !cert) {
		*dead = st == OBJ_ST_INVALID;
		err_set(e, EXIT_OP, "the order ended %s without a certificate URL",
		        obj_status_name(st));
		goto out;
	}
	ret = download(a, cert, res, e);
out:
	obj_order_free(&ord);
	return ret;
}

