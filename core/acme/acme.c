#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/jws.h"
#include "base/log.h"
#include "base/retry.h"

void acme_reply_free(struct acme_reply *r)
{
	if (!r)
		return;
	cJSON_Delete(r->json);
	http_response_free(&r->http);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

/* Every JSON reply of the CA passes here. A \u0000 escape in a string is
 * refused: cJSON would cut the string short there, and a shortened token
 * or URL must never be acted on. */
static int parse_reply(struct http_response *hr, const char *url, struct acme_reply *out,
                       struct error *e)
{
	char *ct = http_header(hr, "Content-Type");
	bool json = ct && strncasecmp(ct, "application/", 12) == 0 && strstr(ct, "json") &&
	            hr->body.data;

	free(ct);
	memset(out, 0, sizeof(*out));
	if (json && obj_json_has_nul(hr->body.data, hr->body.len))
		return err_set(e, EXIT_OP, "the CA's reply from %s has a NUL character (\\u0000) "
		                           "in a string; refusing it", url);
	out->status = hr->status;
	if (json)
		out->json = cJSON_ParseWithLength(hr->body.data, hr->body.len);
	out->location = http_header(hr, "Location");
	out->http = *hr;
	memset(hr, 0, sizeof(*hr));
	return 0;
}

int acme_open(struct acme *a, struct http_client *http, struct log *log, const char *url,
              struct error *e)
{
	struct http_response hr = {0};
	struct retry rt;
	struct obj_directory d = {0};
	cJSON *dir = NULL;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	a->http = http;
	a->log = log;
	a->max_polls = 120;
	a->nonces = malloc(sizeof(*a->nonces));
	if (!a->nonces) {
		err_nomem(e);
		goto out;
	}
	nonce_pool_init(a->nonces);
	retry_init(&rt, log, "fetching the ACME directory", 0);
	if (retry_request(&rt, http, "GET", url, NULL, &hr, e) < 0)
		goto out;
	if (hr.status != 200) {
		err_set(e, EXIT_OP, "ACME directory %s answered HTTP %ld; check --server", url,
		        hr.status);
		goto out;
	}
	if (hr.body.data && obj_json_has_nul(hr.body.data, hr.body.len)) {
		err_set(e, EXIT_OP, "the ACME directory %s has a NUL character (\\u0000) in a "
		                    "string; refusing it", url);
		goto out;
	}
	dir = cJSON_ParseWithLength(hr.body.data ? hr.body.data : "", hr.body.len);
	if (!dir) {
		err_set(e, EXIT_OP, "%s is not an ACME directory (not JSON); check --server", url);
		goto out;
	}
	if (obj_directory_parse(dir, url, &d, e) < 0)
		goto out;
	a->dir_url = strdup(url);
	if (!a->dir_url) {
		err_nomem(e);
		goto out;
	}
	a->dir = dir;
	dir = NULL;
	a->d = d;
	memset(&d, 0, sizeof(d));
	ret = 0;
out:
	obj_directory_free(&d);
	cJSON_Delete(dir);
	http_response_free(&hr);
	if (ret < 0)
		acme_close(a);
	return ret;
}

void acme_set_deadline(struct acme *a, long seconds)
{
	a->deadline = seconds > 0 ? time(NULL) + (time_t)seconds : 0;
}

void acme_close(struct acme *a)
{
	if (!a)
		return;
	if (!a->view) {
		cJSON_Delete(a->dir);
		obj_directory_free(&a->d);
		free(a->dir_url);
		nonce_pool_free(a->nonces);
		free(a->nonces);
	}
	free(a->kid);
	memset(a, 0, sizeof(*a));
}

void acme_view(struct acme *v, const struct acme *base, struct http_client *http,
               struct log *log)
{
	memset(v, 0, sizeof(*v));
	v->http = http;
	v->log = log;
	v->dir_url = base->dir_url;
	v->dir = base->dir;
	v->d = base->d;
	v->nonces = base->nonces;
	v->view = true;
	v->max_polls = base->max_polls;
}

const char *acme_resource(const struct acme *a, const char *name)
{
	return obj_directory_url(&a->d, name);
}

bool acme_eab_required(const struct acme *a)
{
	return a->d.eab_required;
}

const char *acme_terms(const struct acme *a)
{
	return a->d.terms;
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
	time_t now = time(NULL), at;
	long s = default_s;

	if (v && retry_after_parse(v, now, &at) == 0)
		s = at - now > 60 ? 60 : (long)(at - now);
	free(v);
	if (s < 1)
		s = 1;
	if (s > 60)
		s = 60;
	return s;
}

/* One signed POST, sent again (with a fresh nonce) as base/retry.h
 * decides. REPEATABLE: sending it twice does no harm, so a reset or a
 * timeout that may have come after the CA acted is retried too. */
static int post_signed(struct acme *a, EVP_PKEY *key, const char *kid, const char *what,
                       const char *url, const char *payload, bool repeatable,
                       struct acme_reply *out, struct error *e)
{
	static const char *const hdrs[] = {"Content-Type: application/jose+json", NULL};
	struct acme_reply r = {0};
	struct retry rt;
	char *nonce = NULL, *body = NULL, *ra = NULL;
	int ret = -1;

	retry_init(&rt, a->log, what, a->deadline);
	for (;;) {
		struct http_response hr = {0};
		struct error fail = {0};
		bool unsent = false;
		struct http_opts opts = {.once = !repeatable, .unsent = &unsent,
		                         .timeout_seconds = retry_time_left(&rt,
		                                                            a->http->timeout_seconds)};
		const char *ptype;
		int rc;

		nonce = nonce_take(a->nonces, a->http, a->log, a->deadline,
		                   acme_resource(a, "newNonce"), e);
		if (!nonce)
			goto out;
		body = jws_sign(key, kid, nonce, url, payload, e);
		if (!body)
			goto out;
		rc = http_request(a->http, "POST", url, hdrs, body, strlen(body), &opts, &hr, &fail);
		free(nonce);
		free(body);
		nonce = body = NULL;
		if (rc < 0) {
			err_prefix(&fail, "%s", what);
			/* Nothing was sent when the connection failed before the
			 * request went out: then even a newOrder may go again. */
			if (retry_again(&rt, &fail, NULL, repeatable || unsent, e) < 0)
				goto out;
			continue;
		}
		nonce_keep(a->nonces, &hr);
		rc = parse_reply(&hr, url, &r, e);
		http_response_free(&hr);
		if (rc < 0)
			goto out;
		if (r.status < 400)
			break;
		ptype = acme_problem_type(r.json);
		if (r.json) {
			char text[768];
			acme_problem_text(r.json, text, sizeof(text));
			err_set_acme(&fail, ptype, r.status, "%s: the CA refused (HTTP %ld) %s", what,
			             r.status, text);
		} else {
			err_set_acme(&fail, NULL, r.status, "%s: the CA answered HTTP %ld from %s", what,
			             r.status, url);
		}
		/* An error answer means the CA did not act: safe to send again. */
		ra = http_header(&r.http, "Retry-After");
		rc = retry_again(&rt, &fail, ra, true, e);
		free(ra);
		ra = NULL;
		acme_reply_free(&r);
		if (rc < 0)
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

/* POST-as-GET (no payload) and a challenge answer ("{}") change nothing
 * when they arrive twice; anything else (newOrder, finalize, newAccount,
 * revokeCert, keyChange, account updates) might. */
static bool payload_repeatable(const char *payload)
{
	return !payload || strcmp(payload, "{}") == 0;
}

int acme_post(struct acme *a, const char *what, const char *url, const char *payload,
              struct acme_reply *out, struct error *e)
{
	if (!a->key || !a->kid)
		return err_set(e, EXIT_OP, "%s: no ACME account is loaded", what);
	return post_signed(a, a->key, a->kid, what, url, payload, payload_repeatable(payload), out,
	                   e);
}

int acme_post_jwk(struct acme *a, EVP_PKEY *key, const char *what, const char *url,
                  const char *payload, struct acme_reply *out, struct error *e)
{
	return post_signed(a, key, NULL, what, url, payload, payload_repeatable(payload), out, e);
}
