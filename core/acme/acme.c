#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/jws.h"
#include "base/log.h"

/* A CA may reject any nonce (Pebble's test mode rejects half of them at
 * random); each retry carries the fresh nonce of the rejection, so a long
 * run of rejections is vanishingly unlikely from an honest CA (2^-30 at
 * 50 %), while the cap still ends a loop with a broken one. */
#define BAD_NONCE_RETRIES 30

void acme_reply_free(struct acme_reply *r)
{
	if (!r)
		return;
	cJSON_Delete(r->json);
	http_response_free(&r->http);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

static int parse_reply(struct http_response *hr, struct acme_reply *out)
{
	char *ct = http_header(hr, "Content-Type");

	memset(out, 0, sizeof(*out));
	out->status = hr->status;
	if (ct && strncasecmp(ct, "application/", 12) == 0 && strstr(ct, "json") && hr->body.data)
		out->json = cJSON_ParseWithLength(hr->body.data, hr->body.len);
	free(ct);
	out->location = http_header(hr, "Location");
	out->http = *hr;
	memset(hr, 0, sizeof(*hr));
	return 0;
}

int acme_open(struct acme *a, struct http_client *http, struct log *log, const char *url,
              struct error *e)
{
	struct http_response hr = {0};
	cJSON *dir = NULL;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	a->http = http;
	a->log = log;
	a->max_polls = 120;
	if (http_request(http, "GET", url, NULL, NULL, 0, NULL, &hr, e) < 0)
		goto out;
	if (hr.status != 200) {
		err_set(e, EXIT_OP, "ACME directory %s answered HTTP %ld; check --server", url,
		        hr.status);
		goto out;
	}
	dir = cJSON_ParseWithLength(hr.body.data ? hr.body.data : "", hr.body.len);
	if (!cJSON_IsObject(dir) || !cJSON_IsString(cJSON_GetObjectItem(dir, "newNonce")) ||
	    !cJSON_IsString(cJSON_GetObjectItem(dir, "newAccount")) ||
	    !cJSON_IsString(cJSON_GetObjectItem(dir, "newOrder"))) {
		err_set(e, EXIT_OP, "%s is not an ACME directory (no newNonce/newAccount/newOrder)",
		        url);
		goto out;
	}
	a->dir_url = strdup(url);
	if (!a->dir_url) {
		err_nomem(e);
		goto out;
	}
	a->dir = dir;
	dir = NULL;
	ret = 0;
out:
	cJSON_Delete(dir);
	http_response_free(&hr);
	return ret;
}

void acme_close(struct acme *a)
{
	if (!a)
		return;
	cJSON_Delete(a->dir);
	free(a->dir_url);
	free(a->kid);
	nonce_pool_free(&a->nonces);
	memset(a, 0, sizeof(*a));
}

const char *acme_resource(const struct acme *a, const char *name)
{
	const cJSON *v = cJSON_GetObjectItem(a->dir, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *dir_meta(const struct acme *a, const char *name)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(a->dir, "meta"), name);
}

bool acme_eab_required(const struct acme *a)
{
	return cJSON_IsTrue(dir_meta(a, "externalAccountRequired"));
}

const char *acme_terms(const struct acme *a)
{
	const cJSON *v = dir_meta(a, "termsOfService");
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *acme_problem_type(const cJSON *problem)
{
	const cJSON *t = cJSON_GetObjectItem(problem, "type");
	const char *pfx = "urn:ietf:params:acme:error:";

	if (!cJSON_IsString(t))
		return NULL;
	if (strncmp(t->valuestring, pfx, strlen(pfx)) == 0)
		return t->valuestring + strlen(pfx);
	return t->valuestring;
}

void acme_problem_text(const cJSON *problem, char *dst, size_t cap)
{
	const char *type = acme_problem_type(problem);
	const cJSON *detail = cJSON_GetObjectItem(problem, "detail");
	const cJSON *subs = cJSON_GetObjectItem(problem, "subproblems");
	size_t o;
	const cJSON *s;

	snprintf(dst, cap, "%s: %s", type ? type : "unknown problem",
	         cJSON_IsString(detail) ? detail->valuestring : "(no detail)");
	cJSON_ArrayForEach(s, subs) {
		const cJSON *id = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "identifier"), "value");
		const char *st = acme_problem_type(s);
		const cJSON *sd = cJSON_GetObjectItem(s, "detail");

		o = strlen(dst);
		if (o + 1 >= cap)
			break;
		snprintf(dst + o, cap - o, "; %s: %s: %s",
		         cJSON_IsString(id) ? id->valuestring : "?", st ? st : "?",
		         cJSON_IsString(sd) ? sd->valuestring : "");
	}
}

long acme_retry_after(const struct acme_reply *r, long default_s)
{
	char *v = http_header(&r->http, "Retry-After");
	long s = default_s;

	if (v) {
		char *end = NULL;
		long n = strtol(v, &end, 10);
		if (end != v && *end == '\0') {
			s = n;
		} else {
			struct tm tm = {0};
			/* HTTP-date form, e.g. "Wed, 21 Oct 2015 07:28:00 GMT". */
			if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
				s = (long)(timegm(&tm) - time(NULL));
		}
		free(v);
	}
	if (s < 1)
		s = 1;
	if (s > 60)
		s = 60;
	return s;
}

static int post_signed(struct acme *a, EVP_PKEY *key, const char *kid, const char *what,
                       const char *url, const char *payload, struct acme_reply *out,
                       struct error *e)
{
	static const char *const hdrs[] = {"Content-Type: application/jose+json", NULL};
	struct acme_reply r = {0};
	char *nonce = NULL, *body = NULL;
	int ret = -1;

	for (int attempt = 0;; attempt++) {
		struct http_response hr = {0};
		const char *ptype;

		nonce = nonce_take(&a->nonces, a->http, acme_resource(a, "newNonce"), e);
		if (!nonce)
			goto out;
		body = jws_sign(key, kid, nonce, url, payload, e);
		if (!body)
			goto out;
		if (http_request(a->http, "POST", url, hdrs, body, strlen(body), NULL, &hr, e) < 0) {
			err_prefix(e, "%s", what);
			goto out;
		}
		nonce_keep(&a->nonces, &hr);
		parse_reply(&hr, &r);
		free(nonce);
		free(body);
		nonce = body = NULL;
		if (r.status < 400)
			break;
		ptype = acme_problem_type(r.json);
		if (ptype && strcmp(ptype, "badNonce") == 0 && attempt < BAD_NONCE_RETRIES) {
			/* RFC 8555 §6.5: retry with the nonce the error carried. */
			log_msg(a->log, LVL_DEBUG, "%s: badNonce, retrying", what);
			acme_reply_free(&r);
			continue;
		}
		if (r.json) {
			char text[768];
			acme_problem_text(r.json, text, sizeof(text));
			err_set_acme(e, ptype, r.status, "%s: the CA refused (HTTP %ld) %s", what,
			             r.status, text);
		} else {
			err_set_acme(e, NULL, r.status, "%s: the CA answered HTTP %ld from %s", what,
			             r.status, url);
		}
		goto out;
	}
	*out = r;
	memset(&r, 0, sizeof(r));
	ret = 0;
out:
	free(nonce);
	free(body);
	acme_reply_free(&r);
	return ret;
}

int acme_post(struct acme *a, const char *what, const char *url, const char *payload,
              struct acme_reply *out, struct error *e)
{
	if (!a->key || !a->kid)
		return err_set(e, EXIT_OP, "%s: no ACME account is loaded", what);
	return post_signed(a, a->key, a->kid, what, url, payload, out, e);
}

int acme_post_jwk(struct acme *a, EVP_PKEY *key, const char *what, const char *url,
                  const char *payload, struct acme_reply *out, struct error *e)
{
	return post_signed(a, key, NULL, what, url, payload, out, e);
}
